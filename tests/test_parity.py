"""Parity: random graphs into both stores; both engines must give identical answers.

Hypothesis draws small graphs with every label, dangling cases (credentials with
no integration, scopes that reach nothing, stores outside any tenant), cycles
through STORES, expired, revoked and disabled credentials, disabled principals and
integrations, and admin-on-tenant edges; then random starts, times and bounds.
"""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nhigraph.graph import blast
from nhigraph.graph.blast import (
    blast_radius,
    effective_vs_approved,
    resolve_start,
    shared_connectors,
)
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.policy import default_policy
from nhigraph.graph.store import Batch, NodeRow, RelRow, SyncRun

POLICY = default_policy().blast
RUN = SyncRun("run-1", "2026-01-01T00:00:00Z")
TIMES = [
    "2025-01-01T00:00:00Z",
    "2025-06-01T00:00:00Z",
    "2026-01-01T00:00:00Z",
    "2026-06-01T00:00:00Z",
]
ACCESS = ["read", "write", "admin"]
CLASSES = ["public", "internal", "confidential", "restricted"]


def maybe_time(draw: Any) -> str | None:
    return draw(st.sampled_from([None, *TIMES]))


@st.composite
def estates(draw: Any) -> dict[str, Any]:
    nodes: list[NodeRow] = []
    rels: list[RelRow] = []
    tenants = [f"t:{i}" for i in range(draw(st.integers(1, 3)))]
    stores: list[str] = []
    for tenant in tenants:
        nodes.append(NodeRow("Tenant", tenant, {"provider": "x", "name": tenant}))
        for j in range(draw(st.integers(0, 3))):
            store = f"{tenant}:d{j}"
            stores.append(store)
            nodes.append(
                NodeRow(
                    "DataStore",
                    store,
                    {"name": store, "kind": "k", "classification": draw(st.sampled_from(CLASSES))},
                )
            )
            if draw(st.integers(0, 4)):  # now and then a store outside any tenant
                rels.append(RelRow("CONTAINS", tenant, store))
    scopes: list[str] = []
    for tenant in tenants:
        for j in range(draw(st.integers(0, 3))):
            scope = f"{tenant}/s{j}"
            scopes.append(scope)
            nodes.append(
                NodeRow(
                    "Scope",
                    scope,
                    {
                        "name": f"s{j}",
                        "provider": "x",
                        "access": draw(st.sampled_from(ACCESS)),
                        "sensitive": False,
                    },
                )
            )
            targets = draw(st.lists(st.sampled_from(stores + tenants), max_size=3, unique=True))
            for target in targets:
                edge_access = draw(st.sampled_from([None, *ACCESS]))
                props = {} if edge_access is None else {"access": edge_access}
                rels.append(RelRow("CAN_ACCESS", scope, target, props))
    principals = [f"p:{i}" for i in range(draw(st.integers(0, 2)))]
    for principal in principals:
        nodes.append(
            NodeRow(
                "Principal",
                principal,
                {
                    "name": principal,
                    "kind": "user",
                    "enabled": draw(st.booleans()),
                    "is_admin": False,
                },
            )
        )
    integrations = [f"i:{i}" for i in range(draw(st.integers(1, 4)))]
    credentials: list[str] = []
    for integration in integrations:
        status = draw(st.sampled_from(["enabled", "enabled", "enabled", "disabled"]))
        nodes.append(
            NodeRow(
                "Integration",
                integration,
                {"name": integration, "kind": "oauth_app", "status": status, "lifecycle": "in_use"},
            )
        )
        for j in range(draw(st.integers(0, 3))):
            credentials.append(f"{integration}:c{j}")
            rels.append(RelRow("HAS_CREDENTIAL", integration, f"{integration}:c{j}"))
        for scope in (
            draw(st.lists(st.sampled_from(scopes), max_size=3, unique=True)) if scopes else []
        ):
            rels.append(RelRow("APPROVED_FOR", integration, scope))
    credentials += [f"orphan:c{j}" for j in range(draw(st.integers(0, 1)))]
    for credential in credentials:
        props: dict[str, Any] = {
            "kind": "api_key",
            "status": draw(st.sampled_from(["active", "active", "revoked", "disabled"])),
        }
        for key in ("created_at", "expires_at", "revoked_at"):
            value = maybe_time(draw)
            if value is not None:
                props[key] = value
        nodes.append(NodeRow("Credential", credential, props))
        for scope in (
            draw(st.lists(st.sampled_from(scopes), max_size=3, unique=True)) if scopes else []
        ):
            rels.append(RelRow("GRANTS", credential, scope))
        if principals and draw(st.integers(0, 3)) == 0:
            rels.append(RelRow("ACTS_AS", credential, draw(st.sampled_from(principals))))
    if stores and credentials:
        pairs = draw(
            st.lists(
                st.tuples(st.sampled_from(stores), st.sampled_from(credentials)),
                max_size=5,
                unique=True,
            )
        )
        rels += [RelRow("STORES", s, c) for s, c in pairs]
    teams = [f"team:{i}" for i in range(draw(st.integers(0, 3)))]
    vendors = [f"vendor:{i}" for i in range(draw(st.integers(0, 2)))]
    for team in teams:
        nodes.append(NodeRow("Team", team, {"name": team, "status": "active"}))
        for rel_type in ("OWNS", "USES"):
            for integration in draw(
                st.lists(st.sampled_from(integrations), max_size=2, unique=True)
            ):
                rels.append(RelRow(rel_type, team, integration))
    for vendor in vendors:
        nodes.append(NodeRow("Vendor", vendor, {"name": vendor, "status": "active"}))
        for integration in draw(st.lists(st.sampled_from(integrations), max_size=2, unique=True)):
            rels.append(RelRow("PROVIDES", vendor, integration))
    start = draw(
        st.lists(
            st.sampled_from(credentials + integrations + teams + vendors),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    return {
        "batch": Batch("test", "t", nodes, rels),
        "start": start,
        "integration": draw(st.sampled_from(integrations)),
        "as_of": draw(st.sampled_from(TIMES)),
        "max_chain": draw(st.integers(0, 3)),
        "min_access": draw(st.sampled_from([None, *ACCESS])),
    }


def answers(store: EmbeddedStore | Neo4jStore, case: dict[str, Any]) -> dict[str, Any]:
    start = resolve_start(store, case["start"])
    radius = blast_radius(
        store, start, case["as_of"], POLICY, case["max_chain"], case["min_access"]
    )
    versus = effective_vs_approved(store, case["integration"], case["as_of"], POLICY)
    shared = shared_connectors(store, case["as_of"], POLICY, max_chain=1)
    return {
        "start": start,
        "radius": radius.to_dict(),
        "versus": versus.to_dict(),
        "shared": [s.to_dict() for s in shared],
    }


@pytest.mark.neo4j
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=estates())
def test_both_engines_give_identical_answers(
    case: dict[str, Any], neo4j_server: Neo4jStore
) -> None:
    embedded = EmbeddedStore(":memory:")
    embedded.upsert(case["batch"], RUN)
    neo4j_server.clear()
    neo4j_server.upsert(case["batch"], RUN)
    assert answers(neo4j_server, case) == answers(embedded, case)
    embedded.close()


@settings(max_examples=300, deadline=None)
@given(case=estates())
def test_the_pruned_walk_equals_the_exhaustive_reference(case: dict[str, Any]) -> None:
    """Embedded only: keeping the best credential per (scope, target) step changes nothing.

    Pruning starts at every frontier size here, not only the large ones it is meant for.
    """
    store = EmbeddedStore(":memory:")
    store.upsert(case["batch"], RUN)
    start = resolve_start(store, case["start"])
    args = (store, start, case["as_of"], POLICY, case["max_chain"], case["min_access"])
    with patch.object(blast, "_PRUNE_FROM", 0):
        pruned = blast_radius(*args).to_dict()
    assert pruned == blast_radius(*args, exhaustive=True).to_dict()
    store.close()
