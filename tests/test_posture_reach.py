"""Reach summaries equal the engine: the memoised per-credential reach (posture/reach.py)
against ``blast_radius`` on random graphs, on both stores, every start set and bound."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nhigraph.graph.blast import blast_radius, resolve_start
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.store import Batch, NodeRow, RelRow, Store
from nhigraph.posture.reach import Reach
from tests.test_parity import ACCESS, CLASSES, POLICY, RUN, TIMES, estates


@st.composite
def chained_estates(draw: Any) -> dict[str, Any]:
    """Graphs dense in chaining: most credentials live, many kept in stores, cycles,
    admin on tenants, several integrations sharing credentials."""
    nodes: list[NodeRow] = []
    rels: list[RelRow] = []
    tenants = [f"t:{i}" for i in range(draw(st.integers(1, 2)))]
    stores = []
    for tenant in tenants:
        nodes.append(NodeRow("Tenant", tenant, {"provider": "x", "name": tenant}))
        for j in range(draw(st.integers(1, 4))):
            store = f"{tenant}:d{j}"
            stores.append(store)
            classification = draw(st.sampled_from(CLASSES))
            props = {"name": store, "kind": "k", "classification": classification}
            nodes.append(NodeRow("DataStore", store, props))
            rels.append(RelRow("CONTAINS", tenant, store))
    scopes = []
    for tenant in tenants:
        for j in range(draw(st.integers(1, 4))):
            scope = f"{tenant}/s{j}"
            scopes.append(scope)
            access = draw(st.sampled_from(ACCESS))
            props = {"name": scope, "provider": "x", "access": access, "sensitive": False}
            nodes.append(NodeRow("Scope", scope, props))
            for target in draw(
                st.lists(st.sampled_from(stores + tenants), min_size=1, max_size=3, unique=True)
            ):
                edge = draw(st.sampled_from([None, *ACCESS]))
                rels.append(
                    RelRow("CAN_ACCESS", scope, target, {} if edge is None else {"access": edge})
                )
    credentials = [f"c:{i}" for i in range(draw(st.integers(2, 9)))]
    for credential in credentials:
        props: dict[str, Any] = {
            "kind": "api_key",
            "status": draw(st.sampled_from(["active"] * 5 + ["revoked"])),
        }
        if draw(st.integers(0, 4)) == 0:
            props["expires_at"] = draw(st.sampled_from(TIMES))
        nodes.append(NodeRow("Credential", credential, props))
        for scope in draw(st.lists(st.sampled_from(scopes), min_size=1, max_size=2, unique=True)):
            rels.append(RelRow("GRANTS", credential, scope))
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(stores), st.sampled_from(credentials)),
            min_size=1,
            max_size=10,
            unique=True,
        )
    )
    rels += [RelRow("STORES", s, c) for s, c in pairs]
    start = draw(st.lists(st.sampled_from(credentials), min_size=1, max_size=3, unique=True))
    return {
        "batch": Batch("test", "t", nodes, rels),
        "start": start,
        "as_of": draw(st.sampled_from(TIMES)),
        "max_chain": draw(st.integers(0, 4)),
    }


def engine(store: Store, credentials: list[str], as_of: str, max_chain: int) -> dict[str, Any]:
    radius = blast_radius(store, credentials, as_of, POLICY, max_chain)
    return {
        "stores": {s.id: (s.access, s.depth) for s in radius.stores},
        "tenants": {t.id: t.access for t in radius.tenants},
        "score": radius.score,
    }


def fast(reach: Reach, credentials: list[str]) -> dict[str, Any]:
    summary = reach.summary(credentials)
    return {"stores": summary.stores, "tenants": summary.tenants, "score": summary.score}


def check(store: Store, case: dict[str, Any]) -> None:
    reach = Reach(store, case["as_of"], POLICY, case["max_chain"])
    start = resolve_start(store, case["start"])
    # One Reach serves many start sets: memoised answers must not leak between them.
    for credentials in (start, *([c] for c in start), start[::-1]):
        assert fast(reach, credentials) == engine(
            store, credentials, case["as_of"], case["max_chain"]
        )


@settings(max_examples=300, deadline=None)
@given(case=st.one_of(estates(), chained_estates()))
def test_reach_summaries_equal_the_engine(case: dict[str, Any]) -> None:
    store = EmbeddedStore(":memory:")
    store.upsert(case["batch"], RUN)
    check(store, case)
    store.close()


@pytest.mark.neo4j
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=st.one_of(estates(), chained_estates()))
def test_reach_summaries_equal_the_engine_on_neo4j(
    case: dict[str, Any], neo4j_server: Neo4jStore
) -> None:
    neo4j_server.clear()
    neo4j_server.upsert(case["batch"], RUN)
    check(neo4j_server, case)
    # The chain-heavy graphs hold the two engines to each other as well (the parity
    # suite's graphs rarely chain).
    embedded = EmbeddedStore(":memory:")
    embedded.upsert(case["batch"], RUN)
    start = resolve_start(embedded, case["start"])
    for max_chain in (0, case["max_chain"]):
        full = blast_radius(embedded, start, case["as_of"], POLICY, max_chain).to_dict()
        assert blast_radius(neo4j_server, start, case["as_of"], POLICY, max_chain).to_dict() == full
    embedded.close()


def test_the_chain_heavy_graphs_do_chain() -> None:
    """The generator is worth its name: a fixed draw chains three hops deep."""
    store = EmbeddedStore(":memory:")
    nodes = [NodeRow("Tenant", "t", {"provider": "x", "name": "t"})]
    rels = []
    for i in range(4):
        nodes.append(
            NodeRow(
                "DataStore", f"d{i}", {"name": f"d{i}", "kind": "k", "classification": "restricted"}
            )
        )
        nodes.append(
            NodeRow(
                "Scope",
                f"t/s{i}",
                {"name": f"s{i}", "provider": "x", "access": "read", "sensitive": False},
            )
        )
        nodes.append(NodeRow("Credential", f"c{i}", {"kind": "api_key", "status": "active"}))
        rels += [
            RelRow("CONTAINS", "t", f"d{i}"),
            RelRow("CAN_ACCESS", f"t/s{i}", f"d{i}"),
            RelRow("GRANTS", f"c{i}", f"t/s{i}"),
        ]
        if i:
            rels.append(RelRow("STORES", f"d{i - 1}", f"c{i}"))
    store.upsert(Batch("test", "t", nodes, rels), RUN)
    summary = Reach(store, "2026-01-01T00:00:00Z", POLICY, 3).summary(["c0"])
    assert summary.stores == {
        "d0": ("read", 0),
        "d1": ("read", 1),
        "d2": ("read", 2),
        "d3": ("read", 3),
    }
    assert summary.chained
