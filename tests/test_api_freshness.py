"""A running server sees what another process committed: an ingest and a review written
by separate `nhigraph` processes show in the next request, on both stores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.store import Store
from nhigraph.ingest.sync import read_inventories, write_batches
from tests.api_support import Live
from tests.conftest import neo4j_password, neo4j_uri
from tests.test_cli import nhigraph

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo-estate.yaml"
OWNERS = ROOT / "examples" / "owners.csv"
SYNCBRIDGE = "salesforce:northwind:connected-app:syncbridge"
COUNT = "{ integrations(first: 1) { totalCount } }"
QUERY = """query($id: String!) { integration(id: $id) { name reviews { decision reviewer } } }"""


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Live, dict[str, str]]:
    store: Store
    if request.param == "embedded":
        store = EmbeddedStore(tmp_path / "shared.db")
        env = {"NHIGRAPH_DB": str(tmp_path / "shared.db")}
    else:
        request.getfixturevalue("neo4j_server")
        store = Neo4jStore(neo4j_uri(), "neo4j", neo4j_password())
        store.clear()
        env = {
            "NHIGRAPH_STORE": "neo4j",
            "NHIGRAPH_NEO4J_URI": neo4j_uri(),
            "NHIGRAPH_NEO4J_PASSWORD": neo4j_password(),
        }
    write_batches(store, read_inventories(store, [DEMO]))  # owners come later, elsewhere
    live = Live(store, tmp_path / "keys.json")
    request.addfinalizer(lambda: (live.stop(), store.close()))
    return live, {**env, "NHIGRAPH_FINGERPRINT_KEY": "freshness-test-key-0123456789abcdef"}


def test_the_next_request_sees_another_processs_ingest_and_review(
    served: tuple[Live, dict[str, str]],
) -> None:
    live, env = served
    before = live.data(QUERY, {"id": SYNCBRIDGE})["integration"]
    assert before["reviews"] == []
    integrations = live.data(COUNT)["integrations"]["totalCount"]
    # Another process: the owners spreadsheet goes in, then a review is recorded.
    ingest = nhigraph("ingest", "--no-posture", str(OWNERS), env={**os.environ, **env})
    assert ingest.returncode == 0, ingest.stderr
    review = nhigraph("review", SYNCBRIDGE, "--decision", "reduce", "--reviewer", "ana",
                      env={**os.environ, **env})  # fmt: skip
    assert review.returncode == 0, review.stderr
    after = live.data(QUERY, {"id": SYNCBRIDGE})["integration"]
    assert after["reviews"] == [{"decision": "REDUCE", "reviewer": "ana"}]
    assert live.data(COUNT)["integrations"]["totalCount"] == integrations + 8 == 49
