"""Findings, risk, reviews, compromise impact, lookup and what-if over HTTP, on both stores:
the API gives exactly what ``graph/`` computes on the same store, and admins alone write."""

from __future__ import annotations

from typing import Any

from nhigraph.api.keys import Role
from nhigraph.graph.estate import read_estate
from nhigraph.graph.policy import default_policy
from nhigraph.posture import impact
from nhigraph.posture.assess import assess_posture
from nhigraph.secrets import load_fingerprinter
from tests.api_support import AS_OF, LEDGERLY, SYNCBRIDGE, Live

POLICY = default_policy()
REFRESH = "salesforce:northwind:cred:syncbridge-refresh"


def test_findings_risk_and_queue_are_the_engines(api: Live) -> None:
    posture = assess_posture(api.store, POLICY, AS_OF)
    got = api.data("""query($at: DateTime) {
      findings(first: 100, asOf: $at, severities: ["critical", "high"]) {
        totalCount items { rule severity subject integrationId evidence owasp { id } nist { id } } }
      risk(first: 5, asOf: $at) { totalCount items { integrationId risk tier blastScore
        factors { name points detail } } }
      reviewQueue(first: 5, asOf: $at) { totalCount items { integrationId due overdueDays } } }""",
                   {"at": AS_OF})  # fmt: skip
    severe = [f for f in posture.findings if f.severity in ("critical", "high")]
    assert got["findings"]["totalCount"] == len(severe)
    assert got["findings"]["items"] == [
        {"rule": f.rule, "severity": f.severity, "subject": f.subject,
         "integrationId": f.integration, "evidence": f.evidence,
         "owasp": [{"id": r.id} for r in f.owasp], "nist": [{"id": r.id} for r in f.nist]}
        for f in severe[:100]
    ]  # fmt: skip
    assert got["findings"]["items"][0]["rule"] == "NHI-VEN-001"
    assert got["risk"]["totalCount"] == 109
    assert got["risk"]["items"] == [
        {"integrationId": r.integration, "risk": r.risk, "tier": r.tier.upper(),
         "blastScore": r.blast_score,
         "factors": [{"name": f.name, "points": f.points, "detail": f.detail} for f in r.factors]}
        for r in posture.risks[:5]
    ]  # fmt: skip
    assert got["risk"]["items"][0]["integrationId"] == SYNCBRIDGE
    assert got["reviewQueue"]["items"] == [
        {"integrationId": e.integration, "due": e.due, "overdueDays": e.overdue_days}
        for e in posture.queue[:5]
    ]
    assert got["reviewQueue"]["items"][0] == {
        "integrationId": "m365:northwind:sp:meetsmart-exec-assistant",
        "due": "2026-07-20T00:00:00Z",
        "overdueDays": 123,
    }


def test_only_admins_record_reviews_and_the_queue_counts_from_them(api: Live) -> None:
    mutation = """mutation($id: String!) { recordReview(integrationId: $id, decision: REDUCE,
        notes: "drop the full scope") { nhigraphId decision notes reviewer
        integration { nhigraphId reviews { decision reviewer } } } }"""
    variables = {"id": "m365:northwind:sp:meetsmart-exec-assistant"}
    for role in (Role.READER, Role.ANALYST):
        assert api.codes(mutation, variables, role) == ["FORBIDDEN"]
    recorded = api.data(mutation, variables, Role.ADMIN)["recordReview"]
    assert recorded["decision"] == "REDUCE" and recorded["reviewer"] == "test admin"
    assert recorded["integration"]["reviews"][0] == {"decision": "REDUCE", "reviewer": "test admin"}
    # As of now: a queue as of a moment before the review was recorded does not count it.
    query = "query($o: Int!) { reviewQueue(first: 100, offset: $o) { items "
    query += "{ integrationId overdueDays lastReview { decision } } } }"
    queue = [e for o in (0, 100) for e in api.data(query, {"o": o})["reviewQueue"]["items"]]
    assert len(queue) == 109
    reviewed = next(e for e in queue if e["integrationId"] == variables["id"])
    # Reviewed now: the next review is a cadence away, so it is no longer overdue.
    assert reviewed["overdueDays"] < 0 and reviewed["lastReview"] == {"decision": "REDUCE"}
    unknown = api.post(mutation, {"id": "nope:x"}, Role.ADMIN).json()["errors"][0]
    assert unknown["extensions"]["code"] == "NOT_FOUND"


def test_compromise_impact_lookup_and_what_if_are_the_engines(api: Live) -> None:
    estate = read_estate(api.store)
    expected = impact.compromise_impact(api.store, estate, [LEDGERLY], AS_OF, POLICY)
    got = api.data("""query($v: [String!]!, $at: DateTime) {
      compromiseImpact(start: {vendors: $v}, asOf: $at) {
        startIds radius { score } plan { order credentialId tenant provider why ownScore
          action { where api } } teamsToNotify { teamId owns uses }
        storesToCheck { dataStoreId classification access } details } }""",
                   {"v": [LEDGERLY], "at": AS_OF})["compromiseImpact"]  # fmt: skip
    assert got["details"] == expected.to_dict()
    assert [s["credentialId"] for s in got["plan"]] == [s.credential for s in expected.plan]
    assert got["radius"]["score"] == expected.radius.score
    assert got["plan"][0]["why"] == "start"
    assert {t["teamId"] for t in got["teamsToNotify"]} == {t.team for t in expected.teams}
    # By a leaked identifier: the last characters of the Northwind Ledgerly secret.
    by_suffix = api.data('{ credentialLookup(identifier: "…Qk7v2mXp") { credentialId how } }')
    assert by_suffix["credentialLookup"] == [
        {"credentialId": "m365:northwind:cred:ledgerly-expense-secret", "how": "suffix"}
    ]
    leaked = api.data('{ compromiseImpact(identifier: "Qk7v2mXp", asOf: "2026-11-20") '
                      "{ plan { credentialId } } }")  # fmt: skip
    assert leaked["compromiseImpact"]["plan"][0]["credentialId"] == (
        "m365:northwind:cred:ledgerly-expense-secret"
    )
    secret = api.data('query($s: String!) { credentialLookup(secret: $s) { credentialId } }',
                      {"s": "not-a-secret-anyone-has"})  # fmt: skip
    assert secret == {"credentialLookup": []}
    change = api.data("""query($c: [String!]!, $at: DateTime) { whatIf(revokeCredentials: $c,
        asOf: $at) { exposureBefore exposureAfter integrations { integrationId beforeScore
        afterScore } breaks { integrationId teams lostCredentials } } }""",
                      {"c": [REFRESH], "at": AS_OF})  # fmt: skip
    assert change["whatIf"] == {
        "exposureBefore": 341.0,
        "exposureAfter": 14.0,
        "integrations": [{"integrationId": SYNCBRIDGE, "beforeScore": 341.0, "afterScore": 14.0}],
        "breaks": [{"integrationId": SYNCBRIDGE,
                    "teams": ["inventory:team:customer-support", "inventory:team:marketing",
                              "inventory:team:revenue-ops"],
                    "lostCredentials": ["salesforce:northwind:cred:syncbridge-refresh"]}],
    }  # fmt: skip


def test_the_responders_tools_need_the_analyst_role(api: Live) -> None:
    queries: list[tuple[str, dict[str, Any] | None]] = [
        ("{ findings(first: 1) { totalCount } }", None),
        ("{ risk(first: 1) { totalCount } }", None),
        ("{ reviewQueue(first: 1) { totalCount } }", None),
        ('{ credentialLookup(identifier: "x") { credentialId } }', None),
        ('{ whatIf(revokeCredentials: ["x:y"]) { exposureBefore } }', None),
        ('{ compromiseImpact(start: {vendors: ["x:y"]}) { startIds } }', None),
    ]
    for query, variables in queries:
        assert api.codes(query, variables, Role.READER) == ["FORBIDDEN"], query
    assert load_fingerprinter(api.settings) is not None
