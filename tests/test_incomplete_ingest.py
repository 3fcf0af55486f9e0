"""An interrupted ingest: every reader says so until the next ingest completes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from nhigraph.api.keys import Role
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.runs import INCOMPLETE_INGEST, describe
from nhigraph.graph.store import SyncRun
from tests.api_support import Live
from tests.test_store_contract import ESTATE, RUN1, Store, estate

BOOK = ("first_seen", "last_seen", "sync_run")
CAP_SECONDS = 180  # a hung ingest fails the test


def nhigraph(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nhigraph", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "300", **env},
        timeout=CAP_SECONDS,
        check=False,
    )


# --------------------------------------------------------------------------- readers


def test_the_cli_names_an_incomplete_run_until_its_scope_is_ingested_again(
    tmp_path: Path,
) -> None:
    env = {"NHIGRAPH_DB": str(tmp_path / "s.db"), "NHIGRAPH_STORE": "embedded"}
    inventory = tmp_path / "acme.yaml"
    inventory.write_text(
        ESTATE.format(name="acme", purpose="x", expires="2027-01-01", tenant_access="read")
    )
    assert nhigraph(env, "ingest", str(inventory)).returncode == 0
    interrupted = SyncRun("20261101T000000Z-0badc0de", "2026-11-01T00:00:00Z")
    with EmbeddedStore(tmp_path / "s.db") as store:
        store.start_run("inventory", "acme", interrupted)  # what a killed ingest leaves
        (run,) = store.incomplete_runs()
    line = (
        "ingest run 20261101T000000Z-0badc0de of inventory acme (started 2026-11-01T00:00:00Z) "
        "has not completed (interrupted, or still writing): its records may be half written "
        "until inventory acme is ingested again"
    )
    assert describe(run) == line
    stats = json.loads(nhigraph(env, "stats", "--json").stdout)
    assert stats["incomplete_runs"] == [
        {
            "id": interrupted.id,
            "source": "inventory",
            "tenant": "acme",
            "started": interrupted.at,
            "finished": None,
            "state": "pending",
        }
    ]
    assert f"incomplete: {line}" in nhigraph(env, "stats").stdout
    for command in ("findings", "risk", "reviews"):
        result = nhigraph(env, command)
        assert result.returncode == 0, result.stderr
        assert result.stderr.splitlines() == [f"warning: {line}"]
    assert nhigraph(env, "ingest", str(inventory)).returncode == 0
    assert json.loads(nhigraph(env, "stats", "--json").stdout)["incomplete_runs"] == []
    assert nhigraph(env, "findings").stderr == ""


def test_the_api_says_so_in_readyz_and_in_every_response(store: Store, tmp_path: Path) -> None:
    store.upsert(estate("acme"), RUN1)
    live = Live(store, tmp_path / "keys.json")
    try:
        assert live.http.get("/readyz").json() == {"status": "ready"}
        assert "extensions" not in live.post("{ viewer { role } }").json()
        interrupted = SyncRun("20261102T000000Z-0badc0de", "2026-11-02T00:00:00Z")
        store.start_run("inventory", "acme", interrupted)
        ready = live.http.get("/readyz")
        assert ready.status_code == 200
        run = {
            "id": interrupted.id,
            "source": "inventory",
            "tenant": "acme",
            "started": interrupted.at,
            "finished": None,
            "state": "pending",
        }
        assert ready.json() == {"status": "degraded", "incomplete_runs": [run]}
        for role in (Role.READER, Role.ANALYST):
            body = live.post("{ viewer { role } }", role=role).json()
            assert body["data"] == {"viewer": {"role": role.value}}
            (warning,) = body["extensions"]["warnings"]
            assert warning["code"] == INCOMPLETE_INGEST
            assert warning["run"] == run
            assert warning["message"].startswith(f"ingest run {interrupted.id} of inventory acme")
        store.finish_run("inventory", "acme", SyncRun.start())
        assert live.http.get("/readyz").json() == {"status": "ready"}
        assert "extensions" not in live.post("{ viewer { role } }").json()
    finally:
        live.stop()
