"""Risk scores with their explanation, tiers, recorded reviews and the review queue; both stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.estate import read_estate
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.policy import default_policy
from nhigraph.graph.store import SyncRun
from nhigraph.posture.reviews import UnknownIntegration, record_review, review_queue, reviews_of
from nhigraph.posture.risk import Factor, assess
from tests.test_blast import Graph

Store = EmbeddedStore | Neo4jStore
POLICY = default_policy()
NOW = "2026-11-29T00:00:00Z"


@dataclass(frozen=True)
class F:
    rule: str
    title: str
    severity: str
    subject: str
    integration: str | None


def estate() -> Graph:
    """Two integrations: 'big' writes a restricted store (score 20), 'small' reads an
    internal one (score 2); 'idle' has no live credential (score 0)."""
    g = Graph().tenant("t:a", "x", ("t:a:vault", "restricted"), ("t:a:wiki", "internal"))
    g.scope("t:a", "write", "write", "t:a:vault").scope("t:a", "read", "read", "t:a:wiki")
    g.integration("i:big").credential("i:big", "c:big", "t:a/write")
    g.integration("i:small").credential("i:small", "c:small", "t:a/read")
    g.node("Integration", "i:idle", name="idle", kind="oauth_app", status="enabled",
           lifecycle="in_use", review_due="2026-12-31T00:00:00Z")  # fmt: skip
    return g


FINDINGS = [
    F("NHI-CRED-001", "credential without expiry", "medium", "c:big", "i:big"),
    F("NHI-OWN-001", "no accountable owner", "high", "i:small", "i:small"),
    F("NHI-OWN-001", "no accountable owner", "high", "i:big", "i:big"),
    F("NHI-X", "not about an integration", "low", "t:a", None),
]


def test_risk_is_blast_score_plus_finding_points_with_each_factor_listed(store: Store) -> None:
    estate().load(store)
    assessed = assess(read_estate(store), store, POLICY, NOW, FINDINGS)
    assert [(a.integration, a.risk, a.tier, a.blast_score) for a in assessed] == [
        ("i:big", 48.0, "medium", 20.0),  # 20 + high 20 + medium 8
        ("i:small", 22.0, "low", 2.0),
        ("i:idle", 0.0, "low", 0.0),
    ]
    assert assessed[0].factors == (
        Factor("blast radius", 20.0, "1 data stores, 1 tenants reachable"),
        Factor("no accountable owner", 20.0, "NHI-OWN-001 (high) on i:big"),
        Factor("credential without expiry", 8.0, "NHI-CRED-001 (medium) on c:big"),
    )


@pytest.mark.parametrize(
    ("risk", "tier"), [(0, "low"), (29.99, "low"), (30, "medium"), (80, "high"), (150, "critical")]
)
def test_tiers_come_from_the_policy_thresholds(risk: float, tier: str) -> None:
    assert POLICY.risk.tier(risk) == tier


def test_reviews_are_recorded_kept_and_order_the_queue(store: Store) -> None:
    estate().load(store)
    first = record_review(store, "i:big", "keep", "alice", "needed for payroll",
                          now=datetime(2026, 6, 1, 9, 0, tzinfo=UTC))  # fmt: skip
    second = record_review(store, "i:big", "reduce", "bob", None,
                           now=datetime(2026, 10, 1, 9, 0, tzinfo=UTC))  # fmt: skip
    with pytest.raises(UnknownIntegration):
        record_review(store, "i:nope", "keep", "alice")
    snapshot = read_estate(store)
    assert [(r.decision, r.reviewer, r.reviewed_at) for r in reviews_of(snapshot, "i:big")] == [
        ("reduce", "bob", "2026-10-01T09:00:00Z"),
        ("keep", "alice", "2026-06-01T09:00:00Z"),
    ]
    assert second.id != first.id and first.notes == "needed for payroll"
    assessed = assess(snapshot, store, POLICY, NOW, FINDINGS)
    queue = review_queue(snapshot, assessed, POLICY, NOW)
    # 'small' was never reviewed and declares nothing: due since first seen (2026-11-01).
    # 'big' (medium tier, 180-day cadence) was last reviewed 2026-10-01: due 2027-03-30.
    # 'idle' declares its review due 2026-12-31.
    assert [(e.integration, e.due, e.overdue_days) for e in queue] == [
        ("i:small", "2026-11-01T00:00:00Z", 28),
        ("i:idle", "2026-12-31T00:00:00Z", -32),
        ("i:big", "2027-03-30T09:00:00Z", -122),
    ]
    assert queue[2].last_review is not None and queue[2].last_review.decision == "reduce"
    # A source's cleanup never removes a review: it lives in a scope of its own.
    assert store.cleanup("reviews", "reviews", SyncRun("later", NOW)).nodes_removed == 0
    assert len(reviews_of(read_estate(store), "i:big")) == 2


def test_ties_in_the_queue_go_to_risk_then_blast_score(store: Store) -> None:
    g = estate()
    g.node("Integration", "i:other", name="other", kind="oauth_app", status="enabled",
           lifecycle="in_use")  # fmt: skip
    g.load(store)
    snapshot = read_estate(store)
    queue = review_queue(snapshot, assess(snapshot, store, POLICY, NOW, []), POLICY, NOW)
    # big, small and other are all due since first seen (28 days): big has the highest
    # risk (its blast score), then small; other and idle have none.
    assert [e.integration for e in queue] == ["i:big", "i:small", "i:other", "i:idle"]


def test_the_queue_as_of_a_past_moment_ignores_reviews_recorded_after_it(store: Store) -> None:
    estate().load(store)
    record_review(store, "i:big", "keep", "alice", None,
                  now=datetime(2026, 12, 6, 9, 0, tzinfo=UTC))  # fmt: skip
    snapshot = read_estate(store)
    assessed = assess(snapshot, store, POLICY, "2026-11-20T00:00:00Z", [])
    then = review_queue(snapshot, assessed, POLICY, "2026-11-20T00:00:00Z")
    big = next(e for e in then if e.integration == "i:big")
    # On 20 November the review of 6 December had not happened: due since first seen.
    assert (big.due, big.overdue_days, big.last_review) == ("2026-11-01T00:00:00Z", 19, None)
    later = review_queue(snapshot, assessed, POLICY, "2026-12-07T00:00:00Z")
    big = next(e for e in later if e.integration == "i:big")
    assert big.last_review is not None and big.last_review.reviewed_at == "2026-12-06T09:00:00Z"
