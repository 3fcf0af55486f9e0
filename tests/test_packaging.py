"""`pip install .` gives a working nhigraph: the wheel, installed with its dependencies in a
new virtual environment of its own, prints its version and ingests the demo with the
package data it carries (queries, catalogues, policy, the IDE).

Cost, measured on a 2-core machine with pip's cache warm: about 20 s to build the wheel
(pip fetches the pinned setuptools into its build environment) and 14 s to install it
with its dependencies (no pip inside the new venv, no bytecode compiling)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import EXAMPLES, ROOT


def run(*args: str | Path, cwd: Path) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_wheel_installs_in_a_new_venv_and_ingests_the_demo(tmp_path: Path) -> None:
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check")
    run(*pip, "wheel", "--quiet", "--no-deps", "-w", tmp_path / "dist", ROOT, cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("nhigraph-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for data in ("nhigraph/queries/blast_grants.cypher", "nhigraph/graph/policy.yaml",
                 "nhigraph/graph/graph.schema.json", "nhigraph/posture/revocation.yaml",
                 "nhigraph/ingest/catalogue/github.yaml", "nhigraph/cli/__init__.py"):  # fmt: skip
        assert data in names, data
    assert any(n.startswith("nhigraph/api/ide/static/") for n in names)
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(*pip, "--python", python, "install", "--quiet", "--no-compile", wheel, cwd=tmp_path)
    nhigraph = venv / "bin" / "nhigraph"
    assert run(nhigraph, "--version", cwd=tmp_path) == "nhigraph 0.1.0\n"
    db = tmp_path / "demo.db"
    summary = json.loads(run(nhigraph, "--db", db, "ingest", "--json",
                             EXAMPLES / "demo-estate.yaml", cwd=tmp_path))  # fmt: skip
    assert summary["files"][str(EXAMPLES / "demo-estate.yaml")]["nodes_added"] == 210
    radius = json.loads(run(nhigraph, "--db", db, "blast-radius", "--vendor", "Ledgerly",
                            "--as-of", "2026-11-29", "--json", cwd=tmp_path))  # fmt: skip
    assert radius["ids"] == ["inventory:vendor:ledgerly"]
