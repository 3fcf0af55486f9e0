"""The layers stay apart: the API depends on the graph and on ``nhigraph.secrets``, never
on ingest (the sources); ``graph/`` imports neither. Checked in fresh interpreters, so
what another test imported cannot hide an import."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _loaded_after_import(module: str) -> set[str]:
    code = (
        f"import sys, {module}\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith('nhigraph.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return set(done.stdout.split())


@pytest.mark.parametrize("module", ["nhigraph.api.app", "nhigraph.api.schema"])
def test_the_api_does_not_import_ingest(module: str) -> None:
    loaded = _loaded_after_import(module)
    assert "nhigraph.secrets" in loaded  # the keyed hash and the secret shapes come from here
    assert sorted(m for m in loaded if m.startswith("nhigraph.ingest")) == []


def test_the_graph_imports_neither_ingest_nor_the_api() -> None:
    loaded = _loaded_after_import("nhigraph.posture.reviews")
    assert sorted(m for m in loaded if m.startswith(("nhigraph.ingest", "nhigraph.api"))) == []


def test_the_graph_core_does_not_import_what_is_derived_from_it() -> None:
    """Model, store contract, stores and blast engine form the core; findings, risk,
    reviews, impact and the posture build (``nhigraph.posture``) sit on top of it."""
    core = ["model", "store", "embedded", "neo4j_store", "blast", "estate", "listing", "search"]
    loaded = _loaded_after_import(", ".join(f"nhigraph.graph.{m}" for m in core))
    assert sorted(m for m in loaded if m.startswith(("nhigraph.posture", "nhigraph.ingest"))) == []
