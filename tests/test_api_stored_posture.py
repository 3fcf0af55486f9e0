"""GraphQL reads the stored posture when it is current: findings, risk and the review
queue are paged by the store and equal what computing them at the same moment gives;
a stale posture (the graph moved) is not served. Both stores, over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from nhigraph.api.keys import Role
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.policy import default_policy
from nhigraph.graph.store import Store
from nhigraph.posture import stored
from tests.api_support import SYNCBRIDGE, Live, load_demo
from tests.conftest import neo4j_password, neo4j_uri

QUERY = """query($at: DateTime, $o: Int!, $sev: [String!]) {
  findings(first: 40, offset: $o, asOf: $at, severities: $sev) { totalCount
    items { rule severity subject integrationId evidence } }
  risk(first: 7, offset: $o, asOf: $at) {
    totalCount items { integrationId risk tier factors { name points } } }
  reviewQueue(first: 9, offset: $o, asOf: $at) {
    totalCount items { integrationId due overdueDays } } }"""


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Live:
    store: Store
    if request.param == "embedded":
        store = EmbeddedStore(tmp_path / "demo.db")
    else:
        request.getfixturevalue("neo4j_server")
        store = Neo4jStore(neo4j_uri(), "neo4j", neo4j_password())
        store.clear()
    load_demo(store)
    served = Live(store, tmp_path / "keys.json")
    request.addfinalizer(lambda: (served.stop(), store.close()))
    return served


def test_the_stored_posture_is_served_paged_and_equals_the_computed_one(live: Live) -> None:
    status = stored.rebuild(live.store, default_policy())
    assert not status.stale
    for offset in (0, 3):
        for severities in (None, ["critical", "high"], ["nonsense"]):
            variables = {"o": offset, "sev": severities}
            from_store = live.data(QUERY, {**variables, "at": None})
            computed = live.data(QUERY, {**variables, "at": status.as_of})
            assert from_store == computed, (offset, severities)
    everything = live.data(QUERY, {"o": 0, "sev": None, "at": None})
    assert everything["findings"]["totalCount"] == status.findings == 417
    assert everything["risk"]["totalCount"] == 109
    assert live.data(QUERY, {"o": 0, "sev": ["nonsense"], "at": None})["findings"] == {
        "totalCount": 0,
        "items": [],
    }


def test_a_stale_posture_is_not_served(live: Live) -> None:
    stored.rebuild(live.store, default_policy())
    query = (
        "query($o: Int!) { reviewQueue(first: 100, offset: $o) "
        "{ items { integrationId overdueDays } } }"
    )

    def queue() -> dict[str, dict[str, int]]:
        pages = [live.data(query, {"o": o})["reviewQueue"]["items"] for o in (0, 100)]
        return {e["integrationId"]: e for page in pages for e in page}

    before = queue()
    review = f"""mutation {{ recordReview(integrationId: "{SYNCBRIDGE}", decision: KEEP)
        {{ nhigraphId }} }}"""
    live.data(review, role=Role.ADMIN)
    assert stored.status(live.store, default_policy()).stale
    after = queue()
    # Just reviewed: due again a whole cadence from now, so no longer overdue.
    assert after[SYNCBRIDGE]["overdueDays"] < 0 <= before[SYNCBRIDGE]["overdueDays"]


def test_now_is_read_from_the_store_not_computed(live: Live) -> None:
    from nhigraph.posture.build import build_posture

    now = stored.now_utc()
    rows = build_posture(live.store, default_policy(), now)
    dropped = rows.findings.pop(0)  # the store, not a computation, must be what answers
    rows.meta["findings"] = str(len(rows.findings))
    live.store.save_posture(rows, now)
    count = "{ findings(first: 1) { totalCount items { subject } } }"
    assert live.data(count)["findings"]["totalCount"] == 416
    at = "query($at: DateTime) { findings(first: 1, asOf: $at) { totalCount items { subject } } }"
    assert live.data(at, {"at": now})["findings"]["totalCount"] == 417
    assert live.data(at, {"at": now})["findings"]["items"][0]["subject"] == dropped.subject
