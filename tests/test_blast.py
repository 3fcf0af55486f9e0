"""Blast-radius scenarios with exact answers, each on the embedded store and on Neo4j."""

from __future__ import annotations

from typing import Any

import pytest

from nhigraph.graph.blast import (
    UnknownStartError,
    blast_radius,
    effective_vs_approved,
    resolve_start,
    shared_connectors,
)
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.policy import default_policy
from nhigraph.graph.store import Batch, NodeRow, RelRow, SyncRun

Store = EmbeddedStore | Neo4jStore
POLICY = default_policy().blast
RUN = SyncRun("run-1", "2026-11-01T00:00:00Z")
NOW = "2026-11-29T00:00:00Z"


class Graph:
    """A terse builder for hand-made graphs."""

    def __init__(self) -> None:
        self.batch = Batch("test", "t")

    def node(self, label: str, node_id: str, **props: Any) -> Graph:
        self.batch.nodes.append(NodeRow(label, node_id, props))
        return self

    def rel(self, rel_type: str, start: str, end: str, **props: Any) -> Graph:
        self.batch.rels.append(RelRow(rel_type, start, end, props))
        return self

    def tenant(self, tenant_id: str, provider: str, *stores: tuple[str, str]) -> Graph:
        self.node("Tenant", tenant_id, provider=provider, name=tenant_id)
        for store_id, classification in stores:
            self.node("DataStore", store_id, name=store_id.rsplit(":", 1)[-1], kind="object",
                      classification=classification)  # fmt: skip
            self.rel("CONTAINS", tenant_id, store_id)
        return self

    def scope(self, tenant_id: str, name: str, access: str, *targets: Any) -> Graph:
        scope_id = f"{tenant_id}/{name}"
        self.node("Scope", scope_id, name=name, provider="x", access=access, sensitive=False)
        for target in targets:
            if isinstance(target, tuple):
                self.rel("CAN_ACCESS", scope_id, target[0], access=target[1])
            else:
                self.rel("CAN_ACCESS", scope_id, target)
        return self

    def integration(self, integration_id: str, status: str = "enabled") -> Graph:
        return self.node("Integration", integration_id, name=integration_id, kind="oauth_app",
                         status=status, lifecycle="in_use")  # fmt: skip

    def credential(
        self, integration_id: str, credential_id: str, *grants: str, **props: Any
    ) -> Graph:
        props.setdefault("status", "active")
        self.node("Credential", credential_id, kind="oauth_refresh_token", **props)
        self.rel("HAS_CREDENTIAL", integration_id, credential_id)
        for scope_id in grants:
            self.rel("GRANTS", credential_id, scope_id)
        return self

    def load(self, store: Store) -> Store:
        store.upsert(self.batch, RUN)
        return store


def vendor_estate() -> Graph:
    """(a) A vendor's OAuth connector with grants into two Salesforce orgs; a support case
    in one org holds an AWS access key; AWS Secrets Manager holds a Snowflake token."""
    g = Graph()
    g.node("Vendor", "inv:vendor:helpdesk", name="Helpdesk Inc", status="offboarded")
    g.tenant(
        "sf:acme", "salesforce", ("sf:acme:Case", "confidential"), ("sf:acme:Account", "internal")
    )
    g.tenant("sf:emea", "salesforce", ("sf:emea:Case", "restricted"))
    g.tenant(
        "aws:prod", "aws", ("aws:prod:s3:lake", "restricted"), ("aws:prod:secrets", "restricted")
    )
    g.tenant("snow:acme", "snowflake", ("snow:acme:db:ANALYTICS", "confidential"))
    g.scope("sf:acme", "api", "write", "sf:acme:Case", ("sf:acme:Account", "read"))
    g.scope("sf:emea", "api", "read", "sf:emea:Case")
    g.scope("aws:prod", "S3ReadOnly", "read", "aws:prod:s3:lake")
    g.scope("aws:prod", "SecretsRead", "read", "aws:prod:secrets")
    g.scope("snow:acme", "TRANSFORMER", "write", "snow:acme:db:ANALYTICS")
    g.integration("sf:acme:app:helpdesk")
    g.rel("PROVIDES", "inv:vendor:helpdesk", "sf:acme:app:helpdesk")
    g.credential("sf:acme:app:helpdesk", "sf:acme:tok:helpdesk", "sf:acme/api",
                 created_at="2025-01-01T00:00:00Z")  # fmt: skip
    g.credential("sf:acme:app:helpdesk", "sf:emea:tok:helpdesk", "sf:emea/api",
                 created_at="2025-01-01T00:00:00Z", status="revoked",
                 revoked_at="2026-08-12T00:00:00Z")  # fmt: skip
    g.integration("aws:prod:user:etl")
    g.credential("aws:prod:user:etl", "aws:prod:key:AKIAETL", "aws:prod/S3ReadOnly",
                 "aws:prod/SecretsRead", created_at="2026-03-01T00:00:00Z")  # fmt: skip
    g.integration("snow:acme:svc:dbt")
    g.credential("snow:acme:svc:dbt", "snow:acme:tok:dbt", "snow:acme/TRANSFORMER")
    g.rel("STORES", "sf:acme:Case", "aws:prod:key:AKIAETL")
    g.rel("STORES", "aws:prod:secrets", "snow:acme:tok:dbt")
    return g


def stores_of(result: Any) -> list[tuple[str, str, int]]:
    return [(s.id, s.access, s.depth) for s in result.stores]


def test_a_vendor_reaches_chained_stores_at_depth_one_and_two(store: Store) -> None:
    vendor_estate().load(store)
    start = resolve_start(store, ["inv:vendor:helpdesk"])
    assert start == ["sf:acme:tok:helpdesk", "sf:emea:tok:helpdesk"]
    result = blast_radius(store, start, "2026-07-01T00:00:00Z", POLICY)
    assert result.live_start == ("sf:acme:tok:helpdesk", "sf:emea:tok:helpdesk")
    assert stores_of(result) == [
        ("aws:prod:s3:lake", "read", 1),
        ("aws:prod:secrets", "read", 1),
        ("sf:acme:Account", "read", 0),
        ("sf:acme:Case", "write", 0),
        ("sf:emea:Case", "read", 0),
        ("snow:acme:db:ANALYTICS", "write", 2),
    ]
    analytics = result.stores[-1]
    assert analytics.path.nodes == (
        "sf:acme:tok:helpdesk", "sf:acme/api", "sf:acme:Case", "aws:prod:key:AKIAETL",
        "aws:prod/SecretsRead", "aws:prod:secrets", "snow:acme:tok:dbt",
        "snow:acme/TRANSFORMER", "snow:acme:db:ANALYTICS",
    )  # fmt: skip
    assert analytics.path.rels == (
        "GRANTS", "CAN_ACCESS", "STORES", "GRANTS", "CAN_ACCESS", "STORES", "GRANTS",
        "CAN_ACCESS",
    )  # fmt: skip
    assert analytics.tenants == ("snow:acme",)
    assert [(e.id, e.depth, e.found_in, e.integrations) for e in result.exposed] == [
        ("aws:prod:key:AKIAETL", 1, "sf:acme:Case", ("aws:prod:user:etl",)),
        ("snow:acme:tok:dbt", 2, "aws:prod:secrets", ("snow:acme:svc:dbt",)),
    ]
    assert result.lateral_integrations == ("aws:prod:user:etl", "snow:acme:svc:dbt")
    assert [(t.id, t.access) for t in result.tenants] == [
        ("aws:prod", "read"), ("sf:acme", "write"), ("sf:emea", "read"), ("snow:acme", "write"),
    ]  # fmt: skip
    # restricted*read*2 (lake, secrets) + internal*read + confidential*write
    # + restricted*read (emea) + confidential*write (analytics)
    assert result.score == 10 + 10 + 2 + 10 + 10 + 10


def test_as_of_after_a_grant_was_revoked_and_before_a_key_existed(store: Store) -> None:
    vendor_estate().load(store)
    start = resolve_start(store, ["inv:vendor:helpdesk"])
    after = blast_radius(store, start, "2026-08-13T00:00:00Z", POLICY)
    assert after.live_start == ("sf:acme:tok:helpdesk",)
    assert ("sf:emea:Case", "read", 0) not in stores_of(after)
    assert len(after.stores) == 5
    # Before the ETL key was created, the support case held nothing usable yet.
    before_key = blast_radius(store, start, "2026-02-01T00:00:00Z", POLICY)
    assert stores_of(before_key) == [
        ("sf:acme:Account", "read", 0),
        ("sf:acme:Case", "write", 0),
        ("sf:emea:Case", "read", 0),
    ]
    assert before_key.exposed == ()
    # Before anything was created, nothing is live.
    nothing = blast_radius(store, start, "2024-01-01T00:00:00Z", POLICY)
    assert (nothing.live_start, nothing.stores, nothing.score) == ((), (), 0)


def test_max_chain_and_min_access_bound_the_answer(store: Store) -> None:
    vendor_estate().load(store)
    start = resolve_start(store, ["sf:acme:app:helpdesk"])
    direct = blast_radius(store, start, "2026-07-01T00:00:00Z", POLICY, max_chain=0)
    assert [s.id for s in direct.stores] == ["sf:acme:Account", "sf:acme:Case", "sf:emea:Case"]
    # The key is exposed (the attacker can read it) but not followed.
    assert [(e.id, e.depth) for e in direct.exposed] == [("aws:prod:key:AKIAETL", 1)]
    assert [(e["id"], e["followed"]) for e in direct.to_dict()["exposed"]] == [
        ("aws:prod:key:AKIAETL", False)
    ]
    chained = blast_radius(store, start, "2026-07-01T00:00:00Z", POLICY, max_chain=1)
    assert [(e["id"], e["depth"], e["followed"]) for e in chained.to_dict()["exposed"]] == [
        ("aws:prod:key:AKIAETL", 1, True),
        ("snow:acme:tok:dbt", 2, False),
    ]
    writes = blast_radius(store, start, "2026-07-01T00:00:00Z", POLICY, min_access="write")
    assert stores_of(writes) == [
        ("sf:acme:Case", "write", 0),
        ("snow:acme:db:ANALYTICS", "write", 2),
    ]
    assert [t.id for t in writes.tenants] == ["sf:acme", "snow:acme"]
    # Stores below the floor still expose what they hold.
    assert [e.id for e in writes.exposed] == ["aws:prod:key:AKIAETL", "snow:acme:tok:dbt"]


def test_admin_on_a_tenant_reaches_every_store_it_contains(store: Store) -> None:
    g = Graph()
    g.tenant("gh:acme", "github", ("gh:acme:repo:a", "internal"), ("gh:acme:repo:b", "restricted"))
    g.scope("gh:acme", "admin:org", "admin", "gh:acme")
    g.scope("gh:acme", "contents:read", "read", "gh:acme:repo:a", ("gh:acme", "read"))
    g.integration("gh:acme:app:ci")
    g.credential("gh:acme:app:ci", "gh:acme:pat:1", "gh:acme/contents:read")
    g.integration("gh:acme:app:admin")
    g.credential("gh:acme:app:admin", "gh:acme:pat:2", "gh:acme/admin:org")
    g.load(store)
    reader = blast_radius(store, ["gh:acme:pat:1"], NOW, POLICY)
    assert stores_of(reader) == [("gh:acme:repo:a", "read", 0)]
    assert [(t.id, t.access) for t in reader.tenants] == [("gh:acme", "read")]
    admin = blast_radius(store, ["gh:acme:pat:2"], NOW, POLICY)
    assert stores_of(admin) == [("gh:acme:repo:a", "admin", 0), ("gh:acme:repo:b", "admin", 0)]
    assert admin.stores[1].path.rels == ("GRANTS", "CAN_ACCESS", "CONTAINS")
    assert admin.score == 2 * 3 + 10 * 3


def test_liveness_follows_the_integration_and_the_principal(store: Store) -> None:
    g = Graph()
    g.tenant("m365:c", "m365", ("m365:c:mail", "confidential"))
    g.scope("m365:c", "Mail.Read", "read", "m365:c:mail")
    g.integration("m365:c:sp:off", status="disabled")
    g.credential("m365:c:sp:off", "m365:c:secret:off", "m365:c/Mail.Read")
    g.integration("m365:c:sp:deleg")
    g.credential("m365:c:sp:deleg", "m365:c:grant:deleg", "m365:c/Mail.Read")
    g.node("Principal", "m365:c:user:gone", name="gone", kind="user", enabled=False, is_admin=False)
    g.rel("ACTS_AS", "m365:c:grant:deleg", "m365:c:user:gone")
    g.integration("m365:c:sp:exp")
    g.credential("m365:c:sp:exp", "m365:c:secret:exp", "m365:c/Mail.Read",
                 expires_at="2026-11-29T00:00:00Z")  # fmt: skip
    g.load(store)
    for credential in ("m365:c:secret:off", "m365:c:grant:deleg", "m365:c:secret:exp"):
        result = blast_radius(store, [credential], NOW, POLICY)
        assert (result.live_start, result.stores) == ((), ()), credential
    # The day before it expired, the secret still worked.
    day_before = blast_radius(store, ["m365:c:secret:exp"], "2026-11-28T23:59:59Z", POLICY)
    assert stores_of(day_before) == [("m365:c:mail", "read", 0)]


def shared_estate() -> Graph:
    """(c) A connector three teams each authorised with different scopes."""
    g = Graph()
    for team in ("sales", "support", "finance"):
        g.node("Team", f"inv:team:{team}", name=team, status="active")
    g.tenant("sf:n", "salesforce", ("sf:n:Case", "confidential"),
             ("sf:n:Opportunity", "confidential"), ("sf:n:Invoice", "restricted"))  # fmt: skip
    g.scope("sf:n", "cases.read", "read", "sf:n:Case")
    g.scope("sf:n", "opps.write", "write", "sf:n:Opportunity")
    g.scope("sf:n", "full", "admin", "sf:n")
    g.integration("sf:n:app:sync")
    g.rel("OWNS", "inv:team:sales", "sf:n:app:sync")
    for team in ("sales", "support", "finance"):
        g.rel("USES", f"inv:team:{team}", "sf:n:app:sync")
    g.rel("APPROVED_FOR", "sf:n:app:sync", "sf:n/cases.read")
    g.rel("APPROVED_FOR", "sf:n:app:sync", "sf:n/opps.write")
    g.credential("sf:n:app:sync", "sf:n:tok:sales", "sf:n/opps.write")
    g.credential("sf:n:app:sync", "sf:n:tok:support", "sf:n/cases.read")
    g.credential("sf:n:app:sync", "sf:n:tok:finance", "sf:n/full")
    g.integration("sf:n:app:solo")
    g.rel("OWNS", "inv:team:finance", "sf:n:app:solo")
    g.credential("sf:n:app:solo", "sf:n:tok:solo", "sf:n/cases.read")
    return g


def test_a_shared_connectors_excess_over_its_approval(store: Store) -> None:
    shared_estate().load(store)
    result = effective_vs_approved(store, "sf:n:app:sync", NOW, POLICY)
    assert stores_of(result.effective) == [
        ("sf:n:Case", "admin", 0), ("sf:n:Invoice", "admin", 0), ("sf:n:Opportunity", "admin", 0),
    ]  # fmt: skip
    assert stores_of(result.approved) == [
        ("sf:n:Case", "read", 0),
        ("sf:n:Opportunity", "write", 0),
    ]
    assert [e.to_dict() for e in result.excess] == [
        {"store": "sf:n:Case", "effective_access": "admin", "approved_access": "read"},
        {"store": "sf:n:Invoice", "effective_access": "admin", "approved_access": None},
        {"store": "sf:n:Opportunity", "effective_access": "admin", "approved_access": "write"},
    ]
    connectors = shared_connectors(store, NOW, POLICY)
    assert [(c.integration, c.teams) for c in connectors] == [
        ("sf:n:app:sync", ("inv:team:finance", "inv:team:sales", "inv:team:support")),
    ]
    assert connectors[0].excess == result.excess


def test_unknown_and_unsuitable_start_ids_are_named(store: Store) -> None:
    vendor_estate().load(store)
    with pytest.raises(UnknownStartError) as excinfo:
        resolve_start(store, ["sf:acme:app:helpdesk", "nope:1", "nope:2"])
    assert str(excinfo.value) == "unknown start ids: nope:1, nope:2"
    with pytest.raises(UnknownStartError) as excinfo:
        resolve_start(store, ["sf:acme:Case"])
    assert str(excinfo.value) == (
        "a blast radius starts from credentials, integrations, vendors or teams, not: "
        "sf:acme:Case (DataStore)"
    )


def test_a_cycle_through_stores_ends(store: Store) -> None:
    g = Graph()
    g.tenant("a:t", "aws", ("a:t:s1", "internal"), ("a:t:s2", "internal"))
    g.scope("a:t", "r1", "read", "a:t:s1")
    g.scope("a:t", "r2", "read", "a:t:s2")
    g.integration("a:t:i1")
    g.credential("a:t:i1", "a:t:c1", "a:t/r1")
    g.integration("a:t:i2")
    g.credential("a:t:i2", "a:t:c2", "a:t/r2")
    g.rel("STORES", "a:t:s1", "a:t:c2")
    g.rel("STORES", "a:t:s2", "a:t:c1")
    g.load(store)
    result = blast_radius(store, ["a:t:c1"], NOW, POLICY, max_chain=10)
    assert stores_of(result) == [("a:t:s1", "read", 0), ("a:t:s2", "read", 1)]
    assert [(e.id, e.depth) for e in result.exposed] == [("a:t:c2", 1)]


def test_a_write_between_two_radii_is_seen_by_the_second(store: Store) -> None:
    vendor_estate().load(store)
    start = resolve_start(store, ["sf:emea:tok:helpdesk"])
    before = blast_radius(store, start, "2026-07-01T00:00:00Z", POLICY)
    assert before.exposed == ()
    more = Graph()
    more.rel("STORES", "sf:emea:Case", "snow:acme:tok:dbt")
    store.upsert(more.batch, SyncRun("run-2", "2026-11-02T00:00:00Z"))
    after = blast_radius(store, start, "2026-07-01T00:00:00Z", POLICY)
    assert [(e.id, e.found_in) for e in after.exposed] == [("snow:acme:tok:dbt", "sf:emea:Case")]
