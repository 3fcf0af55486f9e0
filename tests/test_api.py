"""The GraphQL API over real HTTP (uvicorn on a socket), on both stores, on the demo estate.

The estate is the README's: Northwind's inventory, Tailspin's seven SaaS exports and
what people know about them. Each engine gets one store and one live server for the
module; every test asks it over HTTP with real API keys.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest

from nhigraph.api.keys import Role
from nhigraph.api.schema import Context, build_schema
from nhigraph.graph.blast import blast_radius, resolve_start
from nhigraph.graph.policy import default_policy
from tests.api_support import AS_OF, LEDGERLY, ROOT, SYNCBRIDGE, Live

# --------------------------------------------------------------------------- authentication


def test_every_graphql_request_needs_a_valid_key(api: Live) -> None:
    query = {"query": "{ viewer { role } }"}
    anonymous = api.http.post("/graphql", json=query)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="nhigraph"'
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    for header in ("Bearer nhg_not-a-key", "Basic dXNlcjpwYXNz", "Bearer", api.keys[Role.READER]):
        assert api.http.post("/graphql", json=query, headers={"Authorization": header}
                             ).status_code == 401  # fmt: skip
    revocable, secret = api.keyring.create("short-lived", Role.READER)
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.http.post("/graphql", json=query, headers=headers).status_code == 200
    api.keyring.revoke(revocable.id)
    time.sleep(0.01)  # a new mtime for the file check
    assert api.http.post("/graphql", json=query, headers=headers).status_code == 401
    assert api.data("{ viewer { role name } }") == {"viewer": {"role": "analyst",
                                                             "name": "test analyst"}}  # fmt: skip


def test_only_json_posts_within_the_body_limit(api: Live) -> None:
    auth = {"Authorization": f"Bearer {api.keys[Role.ADMIN]}"}
    assert api.http.get("/graphql", params={"query": "{ viewer { role } }"}).status_code == 405
    form = api.http.post("/graphql", content="query={viewer{role}}", headers={
        **auth, "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert form.status_code == 415
    big = "{ viewer { role } }" + " " * 70_000
    assert api.http.post("/graphql", json={"query": big}, headers=auth).status_code == 413
    bad = api.http.post("/graphql", content=b"{not json", headers={
        **auth, "Content-Type": "application/json"})  # fmt: skip
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["message"] == "the body is not valid JSON"


def test_roles_are_enforced_per_field_node_lookups_included(api: Live) -> None:
    radius = f'{{ blastRadius(start: {{vendors: ["{LEDGERLY}"]}}) {{ score }} }}'
    assert api.codes(radius, role=Role.READER) == ["FORBIDDEN"]
    assert api.post(radius, role=Role.READER).json()["errors"][0]["message"] == (
        "this field needs the analyst role"
    )
    nested = f'{{ integration(id: "{SYNCBRIDGE}") {{ name blastRadius {{ score }} }} }}'
    assert api.codes(nested, role=Role.READER) == ["FORBIDDEN"]
    gid = api.data(f'{{ integration(id: "{SYNCBRIDGE}") {{ id }} }}', role=Role.READER)
    node_id = gid["integration"]["id"]
    by_node = (
        f'{{ node(id: "{node_id}") {{ ... on Integration {{ name blastRadius {{ score }} }} }} }}'
    )
    assert api.codes(by_node, role=Role.READER) == ["FORBIDDEN"]
    assert api.codes("{ sharedConnectors { integrationId } }", role=Role.READER) == ["FORBIDDEN"]
    assert api.data(by_node)["node"]["name"] == "SyncBridge CRM-Slack Connector"
    assert api.data(radius, role=Role.ADMIN)["blastRadius"]["score"] > 0


# --------------------------------------------------------------------------- limits


def test_abusive_queries_are_refused_with_their_codes(api: Live) -> None:
    deep = "{ integrations(first: 1) { edges { node { name " + "credentials { integrations { " * 6
    deep += "name" + " } }" * 6 + " } } } }"
    assert api.codes(deep) == ["QUERY_TOO_DEEP"]
    aliases = "{ " + " ".join(f"a{i}: viewer {{ role }}" for i in range(16)) + " }"
    assert api.codes(aliases) == ["TOO_MANY_ALIASES"]
    assert api.codes("{ integrations(first: 101) { totalCount } }") == ["FIRST_TOO_LARGE"]
    assert api.codes("query($n: Int!) { teams(first: $n) { totalCount } }", {"n": 500}) == [
        "FIRST_TOO_LARGE"
    ]
    assert api.codes("{ vendors { totalCount } }") == ["FIRST_REQUIRED"]
    costly = "{ integrations(first: 100) { edges { node { credentials { grants { reaches { " \
             "target { id } } } } } } } }"  # fmt: skip
    response = api.post(costly).json()["errors"][0]
    assert response["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert response["message"] == (
        "the query could return about 10000 nodes; at most 10000 (ask for fewer with first, "
        "or split it)"
    ) or response["message"].startswith("the query could return about ")
    huge = "{ " + " ".join("viewer { role }" for _ in range(600)) + " }"
    assert api.codes(huge) == ["QUERY_TOO_LARGE"]


def test_introspection_and_suggestions_are_off_by_default(api: Live) -> None:
    errors = api.post("{ __schema { types { name } } }").json()["errors"]
    assert errors[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "introspection" in errors[0]["message"].lower()
    typo = api.post("{ integrations(first: 1) { edges { node { nam } } } }").json()["errors"]
    assert typo[0]["message"] == "Cannot query field 'nam' on type 'Integration'."
    assert api.data("{ viewer { __typename } }") == {"viewer": {"__typename": "Viewer"}}


def test_internal_errors_are_masked(api: Live) -> None:
    bad_cursor = api.post('{ teams(first: 2, after: "bm9wZQ") { totalCount } }').json()
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    unknown = api.post('{ blastRadius(start: {integrations: ["nope:x"]}) { score } }').json()
    assert unknown["errors"][0] == {
        "message": "unknown start ids: nope:x",
        "locations": [{"line": 1, "column": 3}],
        "path": ["blastRadius"],
        "extensions": {"code": "UNKNOWN_START"},
    }


# --------------------------------------------------------------------------- answers


def test_an_integration_with_its_people_vendor_credentials_and_scopes(api: Live) -> None:
    query = """query($id: String!) { integration(id: $id) {
        nhigraphId name kind status lifecycle purpose reviewDue riskTier source
        owner { nhigraphId name } users { name } vendor { name status }
        credentials { nhigraphId kind status hasFingerprint grants { name access } }
        grantedScopes { nhigraphId } approvedScopes { nhigraphId } } }"""
    got = api.data(query, {"id": SYNCBRIDGE})["integration"]
    assert got == {
        "nhigraphId": SYNCBRIDGE,
        "name": "SyncBridge CRM-Slack Connector",
        "kind": "OAUTH_APP",
        "status": "ENABLED",
        "lifecycle": "IN_USE",
        "purpose": "Mirror Salesforce case and deal updates into Slack channels and back",
        "reviewDue": "2026-10-01T00:00:00Z",
        "riskTier": "CRITICAL",
        "source": "inventory",
        "owner": {"nhigraphId": "inventory:team:revenue-ops", "name": "Revenue Ops"},
        "users": [{"name": "Customer Support"}, {"name": "Marketing"}, {"name": "Revenue Ops"}],
        "vendor": {"name": "SyncBridge", "status": "ACTIVE"},
        "credentials": [
            {"nhigraphId": "salesforce:northwind:cred:syncbridge-refresh",
             "kind": "OAUTH_REFRESH_TOKEN", "status": "ACTIVE", "hasFingerprint": False,
             "grants": [{"name": "api", "access": "WRITE"}, {"name": "full", "access": "ADMIN"},
                        {"name": "refresh_token", "access": "READ"}]},
            {"nhigraphId": "slack:northwind:cred:syncbridge-bot", "kind": "OAUTH_GRANT",
             "status": "ACTIVE", "hasFingerprint": False,
             "grants": [{"name": "channels:history", "access": "READ"},
                        {"name": "chat:write", "access": "WRITE"},
                        {"name": "files:read", "access": "READ"},
                        {"name": "groups:history", "access": "READ"}]},
        ],
        "grantedScopes": [{"nhigraphId": s} for s in (
            "salesforce:northwind/api", "salesforce:northwind/full",
            "salesforce:northwind/refresh_token", "slack:northwind/channels:history",
            "slack:northwind/chat:write", "slack:northwind/files:read",
            "slack:northwind/groups:history")],
        "approvedScopes": [{"nhigraphId": s} for s in (
            "salesforce:northwind/api", "salesforce:northwind/refresh_token",
            "slack:northwind/channels:history", "slack:northwind/chat:write")],
    }  # fmt: skip
    # The same integration by its global id, and through node().
    gid = api.data(f'{{ integration(id: "{SYNCBRIDGE}") {{ id }} }}')["integration"]["id"]
    assert api.data(f'{{ node(id: "{gid}") {{ id ... on Integration {{ nhigraphId }} }} }}') == {
        "node": {"id": gid, "nhigraphId": SYNCBRIDGE}
    }
    assert api.data('{ integration(id: "nope:x") { name } }') == {"integration": None}


def test_blast_radius_over_http_is_the_engines_answer(api: Live) -> None:
    query = """query($v: [String!]!, $at: DateTime) {
      blastRadius(start: {vendors: $v}, asOf: $at, maxChain: 3) {
        start liveStart asOf score lateralIntegrations
        stores { dataStoreId access depth classification witnessPath { nodes relationships hops } }
        tenants { tenantId access }
        exposedCredentials { credentialId depth foundIn integrations } } }"""
    got = api.data(query, {"v": [LEDGERLY], "at": AS_OF})["blastRadius"]
    expected = blast_radius(
        api.store, resolve_start(api.store, [LEDGERLY]), AS_OF, default_policy().blast, 3
    )
    assert got["score"] == expected.score == 137.0
    assert got["asOf"] == AS_OF and got["start"] == list(expected.start)
    assert [(s["dataStoreId"], s["access"].lower(), s["depth"], s["witnessPath"]["nodes"])
            for s in got["stores"]] == [
        (s.id, s.access, s.depth, list(s.path.nodes)) for s in expected.stores]  # fmt: skip
    assert [(t["tenantId"], t["access"].lower()) for t in got["tenants"]] == [
        (t.id, t.access) for t in expected.tenants
    ]
    assert len(got["stores"]) == 19
    assert "slack:E07TAILSPIN" in [t["tenantId"] for t in got["tenants"]]


def test_shared_connectors_show_scope_creep(api: Live) -> None:
    got = api.data("""{ sharedConnectors(asOf: "2026-11-20") {
        integrationId teams effective { score } approved { score }
        excess { dataStoreId effectiveAccess approvedAccess } } }""")["sharedConnectors"]
    m365 = next(c for c in got if c["integrationId"].startswith("m365:7b3e9f12"))
    assert m365 == {
        "integrationId": "m365:7b3e9f12-4c8a-4d5e-b1a6-2f9c0e8d4a71:sp:"
        "c4a9e2f7-3b6d-4e18-a5c0-8d2f6b9e1a73",
        "teams": ["inventory:team:customer-support", "inventory:team:marketing",
                  "inventory:team:revenue-ops"],
        "effective": {"score": 24.0},
        "approved": {"score": 4.0},
        "excess": [{"dataStoreId": "m365:7b3e9f12-4c8a-4d5e-b1a6-2f9c0e8d4a71:store:mail",
                    "effectiveAccess": "WRITE", "approvedAccess": None}],
    }  # fmt: skip
    assert len(got) == 6


def test_connections_page_filter_and_sort(api: Live) -> None:
    page = """query($after: String) { integrations(first: 40, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { nhigraphId } } } }"""
    seen: list[str] = []
    after = None
    while True:
        got = api.data(page, {"after": after})["integrations"]
        seen += [e["node"]["nhigraphId"] for e in got["edges"]]
        if not got["pageInfo"]["hasNextPage"]:
            break
        after = got["pageInfo"]["endCursor"]
    assert got["totalCount"] == 109
    assert seen == sorted(n.id for n in api.store.nodes_of("Integration"))
    filtered = api.data("""{ integrations(first: 100, sort: [{provider: ASC}, {name: DESC}],
        where: {OR: [{provider: {eq: "aws"}}, {name: {contains: "LEDGERLY"}}],
                NOT: {status: {eq: "disabled"}}, createdAt: {gt: "2000-01-01"}}) {
        totalCount edges { node { name provider } } } }""")["integrations"]
    # Providers ascending (none first), then names descending (by code point).
    assert [(e["node"]["provider"], e["node"]["name"]) for e in filtered["edges"]] == [
        (None, "Ledgerly Receipt Importer (Google)"),
        (None, "Ledgerly Expense Sync"),
        *(("aws", n) for n in ("syncbridge-backup", "signalwatch-audit", "root account",
          "meetsmart-recordings", "ledgerly-export", "jordan.lee", "github-actions-deploy",
          "cloudfront-legacy-signer")),
        ("github", "Ledgerly Spend Sync"),
        ("okta", "Ledgerly Spend Sync"),
        ("salesforce", "Ledgerly for Salesforce"),
        ("slack", "Ledgerly"),
    ]  # fmt: skip
    assert filtered["totalCount"] == len(filtered["edges"])
    stores = api.data("""{ dataStores(first: 5, where: {classification: {eq: "restricted"},
        id: {startsWith: "m365:7b3e"}}) { edges { node { nhigraphId classification
        sourceClassification } } } }""")["dataStores"]["edges"]
    assert [e["node"] for e in stores] == [
        {"nhigraphId": "m365:7b3e9f12-4c8a-4d5e-b1a6-2f9c0e8d4a71:store:directory",
         "classification": "RESTRICTED", "sourceClassification": None},
        {"nhigraphId": "m365:7b3e9f12-4c8a-4d5e-b1a6-2f9c0e8d4a71:store:mail",
         "classification": "RESTRICTED", "sourceClassification": "CONFIDENTIAL"},
    ]  # fmt: skip


INJECTIONS = [
    "x' OR 1=1 //",
    '"}) MATCH (n) DETACH DELETE n //',
    "') RETURN n UNION MATCH (n) RETURN n //",
    "$ids",
    "\\u0027 OR true",
]


def test_cypher_shaped_filter_values_are_data(api: Live) -> None:
    before = api.store.stats()
    fields = {
        "integrations": ["id", "name", "kind", "status", "provider", "clientId", "publisher"],
        "credentials": ["id", "kind", "identifier", "status"],
        "tenants": ["id", "name", "provider"],
        "dataStores": ["id", "name", "kind", "classification"],
        "teams": ["id", "name", "status"],
        "vendors": ["id", "name", "status"],
    }
    for connection, names in fields.items():
        for name in names:
            for value in INJECTIONS:
                for op in ("eq", "contains", "startsWith"):
                    query = f"query($v: String!) {{ {connection}(first: 1, where: " \
                            f"{{{name}: {{{op}: $v}}}}) {{ totalCount }} }}"  # fmt: skip
                    assert api.data(query, {"v": value})[connection]["totalCount"] == 0
            query = f"query($v: [String!]!) {{ {connection}(first: 1, where: " \
                    f"{{{name}: {{in: $v}}}}) {{ totalCount }} }}"  # fmt: skip
            assert api.data(query, {"v": INJECTIONS})[connection]["totalCount"] == 0
    assert api.store.stats() == before


# --------------------------------------------------------------------------- service


def test_health_readiness_and_metrics(api: Live) -> None:
    assert api.http.get("/healthz").json() == {"status": "ok"}
    assert api.http.get("/readyz").json() == {"status": "ready"}
    api.data("{ viewer { role } }")
    api.codes("{ vendors { totalCount } }")
    metrics = api.http.get("/metrics").text
    assert 'nhigraph_graphql_operations_total{operation="query:viewer",outcome="ok"}' in metrics
    assert 'nhigraph_graphql_errors_total{code="FIRST_REQUIRED",operation="refused"}' in metrics
    assert "nhigraph_graphql_operation_seconds_bucket" in metrics
    assert api.http.get("/healthz").headers["x-content-type-options"] == "nosniff"


def test_access_logs_hold_no_query_text_or_variables(
    api: Live, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "ghp_" + "S3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3cr3t"
    caplog.set_level(logging.INFO, logger="nhigraph.api.access")
    api.data("query($v: String!) { teams(first: 1, where: {name: {eq: $v}}) { totalCount } }",
             {"v": secret})  # fmt: skip
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name.endswith("access")]
    assert lines and lines[-1]["operation"] == "query:teams" and lines[-1]["status"] == 200
    assert set(lines[-1]) == {"ts", "request_id", "method", "path", "status", "ms", "key_id",
                              "operation", "client"}  # fmt: skip
    assert secret not in caplog.text and "where" not in caplog.text


def test_a_page_of_100_integrations_is_a_bounded_number_of_store_calls(api: Live) -> None:
    schema = build_schema()
    key = api.keyring.list()[0]
    query = """{ integrations(first: 100) { edges { node { name owner { name } users { name }
        vendor { name } credentials { kind actsAs { name } grants { name reaches { access } } }
        approvedScopes { name } grantedScopes { name } } } } }"""
    calls = {}
    for first in (5, 100):
        context = Context(api.store, default_policy().blast, key)
        page = query.replace("first: 100", f"first: {first}")
        result = asyncio.run(schema.execute(page, context_value=context))
        assert result.errors is None
        assert len(result.data["integrations"]["edges"]) == first  # type: ignore[index]
        calls[first] = context.store_calls
    # One label scan, then batched calls per relationship kind and level, plus node loads:
    # about 15 (batches split when worker threads finish at different times), the same
    # for 5 integrations as for 100; unbatched, 100 would take well over 1,000.
    assert calls[100] <= 24 and calls[5] <= 24, calls


def test_the_committed_schema_file_is_current() -> None:
    assert (ROOT / "schema.graphql").read_text() == str(build_schema()) + "\n", (
        "regenerate it: nhigraph schema --graphql > schema.graphql"
    )
