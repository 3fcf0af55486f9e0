"""The store contract: every test runs on the embedded store and on the real Neo4j server."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from nhigraph.errors import StoreError
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.model import effective
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.store import (
    Batch,
    NodeRow,
    RelRow,
    StoredNode,
    SyncRun,
    WriteSummary,
    split_batch,
)
from nhigraph.ingest.inventory import transform
from nhigraph.ingest.sync import write_batches
from tests.conftest import neo4j_password, neo4j_uri

Store = EmbeddedStore | Neo4jStore

ESTATE = """
format: nhigraph-inventory/v1
inventory: {name}
teams:
  - {{id: "inventory:team:payments", name: Payments}}
vendors:
  - {{id: "inventory:vendor:acme", name: Acme, status: offboarded, offboarded_at: 2026-01-01}}
tenants:
  - id: "salesforce:{name}"
    provider: salesforce
    name: Acme org
    data_stores:
      - id: "salesforce:{name}:object:Case"
        name: Cases
        kind: crm_object
        classification: confidential
        stores_credentials: ["aws:{name}:key:AKIAEXAMPLE0000001"]
    scopes:
      - name: api
        access: write
        can_access:
          - "salesforce:{name}:object:Case"
          - {{target: "salesforce:{name}", access: {tenant_access}}}
integrations:
  - id: "salesforce:{name}:app:zen"
    name: Zen connector
    kind: oauth_app
    purpose: {purpose}
    owner: "inventory:team:payments"
    vendor: "inventory:vendor:acme"
    approved_scopes: ["salesforce:{name}/api"]
    credentials:
      - id: "salesforce:{name}:token:1"
        kind: oauth_refresh_token
        identifier: "...a1b2c3d4"
        grants: ["salesforce:{name}/api"]
        created_at: "2025-02-01T10:00:00Z"
        expires_at: "{expires}"
  - id: "aws:{name}:user:etl"
    name: etl
    kind: service_account
    credentials:
      - id: "aws:{name}:key:AKIAEXAMPLE0000001"
        kind: access_key
        identifier: AKIAEXAMPLE0000001
"""


def estate(
    name: str = "acme",
    purpose: str = "case sync",
    expires: str = "2027-02-01T10:00:00Z",
    tenant_access: str = "read",
) -> Batch:
    text = ESTATE.format(name=name, purpose=purpose, expires=expires, tenant_access=tenant_access)
    return transform(text, f"{name}.yaml")


def snapshot(store: Store, drop: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
    items: list[tuple[Any, ...]] = []
    for item in store.export():
        props = {k: v for k, v in item.props.items() if k not in drop}
        if isinstance(item, StoredNode):
            items.append(("node", item.label, item.id, sorted(props.items())))
        else:
            items.append(("rel", item.type, item.start, item.end, sorted(props.items())))
    return sorted(items)


RUN1 = SyncRun("run-1", "2026-11-01T00:00:00Z")
RUN2 = SyncRun("run-2", "2026-11-02T00:00:00Z")


def test_upsert_reports_and_stores_every_record(store: Store) -> None:
    summary = store.upsert(estate(), RUN1)
    assert summary == WriteSummary(nodes_added=9, rels_added=10)
    stats = store.stats()
    assert stats.nodes == {
        "Credential": 2,
        "DataStore": 1,
        "Integration": 2,
        "Scope": 1,
        "Team": 1,
        "Tenant": 1,
        "Vendor": 1,
    }
    assert stats.rels == {
        "APPROVED_FOR": 1,
        "CAN_ACCESS": 2,
        "CONTAINS": 1,
        "GRANTS": 1,
        "HAS_CREDENTIAL": 2,
        "OWNS": 1,
        "PROVIDES": 1,
        "STORES": 1,
    }
    node = store.get_node("salesforce:acme:token:1")
    assert node is not None
    assert node.label == "Credential"
    assert node.props == {
        "kind": "oauth_refresh_token",
        "identifier": "...a1b2c3d4",
        "created_at": "2025-02-01T10:00:00Z",
        "expires_at": "2027-02-01T10:00:00Z",
        "status": "active",
        "source": "inventory",
        "sync_tenant": "acme",
        "sync_run": "run-1",
        "first_seen": "2026-11-01T00:00:00Z",
        "last_seen": "2026-11-01T00:00:00Z",
    }
    assert store.get_node("salesforce:acme:token:404") is None
    assert store.labels_of(["inventory:team:payments", "nope:x"]) == {
        "inventory:team:payments": "Team"
    }


def test_the_same_batch_twice_in_one_run_gives_an_identical_graph(store: Store) -> None:
    store.upsert(estate(), RUN1)
    before = snapshot(store)
    summary = store.upsert(estate(), RUN1)
    assert summary == WriteSummary(nodes_unchanged=9, rels_unchanged=10)
    assert snapshot(store) == before


def test_a_new_run_of_the_same_data_changes_only_last_seen_and_run(store: Store) -> None:
    store.upsert(estate(), RUN1)
    before = snapshot(store)
    summary = store.upsert(estate(), RUN2) + store.cleanup("inventory", "acme", RUN2)
    assert summary == WriteSummary(nodes_unchanged=9, rels_unchanged=10)
    assert snapshot(store, drop=("last_seen", "sync_run")) == [
        (*item[:-1], [p for p in item[-1] if p[0] not in ("last_seen", "sync_run")])
        for item in before
    ]
    node = store.get_node("inventory:team:payments")
    assert node is not None
    assert (node.props["first_seen"], node.props["last_seen"]) == (RUN1.at, RUN2.at)


def test_changed_and_dropped_properties_are_updates(store: Store) -> None:
    store.upsert(estate(), RUN1)
    changed = estate(purpose="billing sync", expires="2028-01-01", tenant_access="admin")
    summary = store.upsert(changed, RUN2)
    assert summary == WriteSummary(
        nodes_added=0, nodes_updated=2, nodes_unchanged=7, rels_updated=1, rels_unchanged=9
    )
    credential = store.get_node("salesforce:acme:token:1")
    assert credential is not None
    assert credential.props["expires_at"] == "2028-01-01T00:00:00Z"
    # A property the source stops reporting is gone, not kept from the last run.
    batch = estate()
    batch.nodes[:] = [
        NodeRow(n.label, n.id, {k: v for k, v in n.props.items() if k != "purpose"})
        for n in batch.nodes
    ]
    summary = store.upsert(batch, RUN2)
    assert summary.nodes_updated == 2  # purpose dropped, expires_at back
    integration = store.get_node("salesforce:acme:app:zen")
    assert integration is not None
    assert "purpose" not in integration.props


def test_a_dangling_reference_is_refused_and_nothing_is_written(store: Store) -> None:
    store.upsert(estate(), RUN1)
    before = snapshot(store)
    batch = estate("other")
    batch.rels.append(RelRow("OWNS", "inventory:team:ghost", "salesforce:other:app:zen"))
    with pytest.raises(StoreError) as excinfo:
        store.upsert(batch, RUN2)
    assert str(excinfo.value) == (
        "batch relationship 10: OWNS start 'inventory:team:ghost' is not in the batch or the store"
    )
    assert snapshot(store) == before


def test_a_node_cannot_change_label(store: Store) -> None:
    store.upsert(estate(), RUN1)
    batch = Batch("inventory", "x", [NodeRow("Vendor", "inventory:team:payments", {"name": "P"})])
    with pytest.raises(StoreError, match="is a Team in the store, cannot become Vendor"):
        store.upsert(batch, RUN2)


def test_a_relationship_must_join_the_labels_its_type_allows(store: Store) -> None:
    store.upsert(estate(), RUN1)
    batch = Batch(
        "inventory", "x", rels=[RelRow("OWNS", "inventory:vendor:acme", "salesforce:acme:app:zen")]
    )
    with pytest.raises(StoreError, match=r"OWNS cannot start at a Vendor"):
        store.upsert(batch, RUN2)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"name": {"nested": "map"}}, "property 'name' must be a string"),
        ({"name": "x", "tags": ["a", 1]}, "property 'tags' must be a string"),
        ({"name": "x", "source": "forged"}, "property 'source' is reserved for the store"),
    ],
)
def test_property_values_both_stores_cannot_keep_alike_are_refused(
    store: Store, props: dict[str, Any], message: str
) -> None:
    batch = Batch("inventory", "x", [NodeRow("Team", "inventory:team:x", props)])
    with pytest.raises(StoreError, match=message):
        store.upsert(batch, RUN1)
    assert store.stats().total_nodes == 0


def test_cleanup_removes_only_what_its_source_and_tenant_stopped_reporting(store: Store) -> None:
    store.upsert(estate("acme"), RUN1)
    store.upsert(estate("globex"), RUN1)  # same source, another tenant (cleanup scope)
    # Another source points at the acme ETL integration's credential.
    other = Batch(
        "github",
        "northwind",
        [NodeRow("DataStore", "github:northwind:repo:infra", {"name": "infra", "kind": "repo",
                                                                "classification": "internal"})],
        [RelRow("STORES", "github:northwind:repo:infra", "aws:acme:key:AKIAEXAMPLE0000001")],
    )  # fmt: skip
    store.upsert(other, RUN1)
    # The acme inventory stops reporting its ETL integration and its key.
    batch = estate("acme")
    gone = {"aws:acme:user:etl", "aws:acme:key:AKIAEXAMPLE0000001"}
    batch.nodes[:] = [n for n in batch.nodes if n.id not in gone]
    batch.rels[:] = [r for r in batch.rels if r.start not in gone and r.end not in gone]
    summary = store.upsert(batch, RUN2)
    assert summary == WriteSummary(nodes_unchanged=7, rels_unchanged=8)
    removed = store.cleanup("inventory", "acme", RUN2)
    # Two nodes; their HAS_CREDENTIAL and STORES (acme), and github's STORES to the key.
    assert removed == WriteSummary(nodes_removed=2, rels_removed=3)
    assert store.get_node("aws:acme:key:AKIAEXAMPLE0000001") is None
    assert store.get_node("aws:globex:key:AKIAEXAMPLE0000001") is not None
    assert store.get_node("github:northwind:repo:infra") is not None
    # acme's 7, globex's 9 less the team and vendor both inventories share, github's 1.
    assert store.stats().total_nodes == 7 + 9 - 2 + 1
    assert store.cleanup("inventory", "acme", RUN2) == WriteSummary()


def test_reopening_the_embedded_file_gives_the_same_graph(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with EmbeddedStore(path) as first:
        first.upsert(estate(), RUN1)
        before = snapshot(first)
        graph_before = sorted(first.graph.edges(keys=True, data=True))
        nodes_before = sorted(first.graph.nodes(data=True))
    with EmbeddedStore(path) as second:
        assert snapshot(second) == before
        assert sorted(second.graph.edges(keys=True, data=True)) == graph_before
        assert sorted(second.graph.nodes(data=True)) == nodes_before


def test_an_embedded_write_failing_midway_leaves_file_and_memory_as_they_were(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.db"
    store = EmbeddedStore(path)
    store.upsert(estate(), RUN1)
    # A real SQLite failure after the nodes are written: a trigger aborts one insert.
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON rel WHEN NEW.type = 'STORES' "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    bytes_before = path.read_bytes()
    edges_before = sorted(store.graph.edges(keys=True, data=True))
    with pytest.raises(StoreError, match=r"write failed, nothing was changed \(disk full\)"):
        store.upsert(estate("globex"), RUN2)
    assert path.read_bytes() == bytes_before
    assert sorted(store.graph.edges(keys=True, data=True)) == edges_before
    assert store.stats().total_nodes == 9
    store.close()


@pytest.mark.neo4j
def test_a_neo4j_write_failing_midway_is_rolled_back(neo4j_store: Neo4jStore) -> None:
    impatient = Neo4jStore(neo4j_uri(), "neo4j", neo4j_password(), tx_timeout=2.0)
    neo4j_store.upsert(estate(), RUN1)
    before = snapshot(neo4j_store)
    # Another client holds a write lock on the integration; our transaction writes the
    # new Team first, then waits on the lock until its timeout ends it.
    locked = threading.Event()
    release = threading.Event()

    def hold_lock() -> None:
        with neo4j_store._session() as session, session.begin_transaction() as tx:
            tx.run("MATCH (i:Integration {id: 'salesforce:acme:app:zen'}) SET i.name = 'x'")
            locked.set()
            release.wait(30)
            tx.rollback()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        batch = estate()
        batch.nodes.append(NodeRow("Team", "inventory:team:new", {"name": "New"}))
        with pytest.raises(StoreError, match="refused the write, nothing was changed"):
            impatient.upsert(batch, RUN2)
    finally:
        release.set()
        holder.join()
        impatient.close()
    assert snapshot(neo4j_store) == before


@pytest.mark.neo4j
def test_neo4j_keeps_timestamps_as_native_datetimes(neo4j_store: Neo4jStore) -> None:
    neo4j_store.upsert(estate(), RUN1)
    with neo4j_store._session() as session:
        record = session.run(
            "MATCH (c:Credential {id: 'salesforce:acme:token:1'}) "
            "RETURN valueType(c.expires_at) AS expires, valueType(c.first_seen) AS seen"
        ).single()
    assert record is not None
    assert (record["expires"], record["seen"]) == (
        "ZONED DATETIME NOT NULL",
        "ZONED DATETIME NOT NULL",
    )


def test_a_large_batch_written_in_parts_gives_the_same_graph(store: Store, tmp_path: Path) -> None:
    whole = estate()
    parts = split_batch(whole, 4)
    assert [(len(p.nodes), len(p.rels)) for p in parts] == [(4, 0), (4, 0), (1, 3), (0, 4), (0, 3)]
    results = write_batches(store, [("acme.yaml", whole)], max_records=4)
    assert results[0].summary == WriteSummary(nodes_added=9, rels_added=10)
    with EmbeddedStore(tmp_path / "whole.db") as reference:
        reference.upsert(whole, RUN1)
        drop = ("first_seen", "last_seen", "sync_run")
        assert snapshot(store, drop) == snapshot(reference, drop)
    again = write_batches(store, [("acme.yaml", whole)], max_records=4)
    assert again[0].summary == WriteSummary(nodes_unchanged=9, rels_unchanged=10)


def test_the_in_memory_graph_after_writes_equals_the_graph_loaded_from_disk(
    tmp_path: Path,
) -> None:
    """The fast in-memory writes against networkx's own add_edges_from (used to load)."""
    path = tmp_path / "s.db"
    with EmbeddedStore(path) as store:
        store.upsert(estate("acme"), RUN1)
        store.upsert(estate("globex"), RUN1)
        store.upsert(estate("acme", purpose="x", tenant_access="admin"), RUN2)
        smaller = estate("globex")
        smaller.rels[:] = [r for r in smaller.rels if r.type != "STORES"]
        store.upsert(smaller, RUN2)
        store.cleanup("inventory", "globex", RUN2)
        written = store.graph
        with EmbeddedStore(path) as loaded:
            for view in ("edges", "in_edges"):
                assert sorted(getattr(written, view)(keys=True, data=True)) == sorted(
                    getattr(loaded.graph, view)(keys=True, data=True)
                )
            assert sorted(written.nodes(data=True)) == sorted(loaded.graph.nodes(data=True))
            assert written.number_of_edges() == loaded.graph.number_of_edges() == 19


RUN3 = SyncRun("run-3", "2026-11-03T00:00:00Z")
ZEN = "salesforce:acme:app:zen"
CASE = "salesforce:acme:object:Case"


def people(*patches: NodeRow) -> Batch:
    return Batch("inventory", "people", patches=list(patches))


def test_a_patch_survives_its_owners_reingest_and_goes_with_its_own_cleanup(store: Store) -> None:
    store.upsert(estate("acme"), RUN1)
    declared = people(
        NodeRow("Integration", ZEN, {"purpose": "renewals", "review_due": "2027-01-01T00:00:00Z"}),
        NodeRow("DataStore", CASE, {"classification": "restricted"}),
    )
    assert store.upsert(declared, RUN1) == WriteSummary(patches_set=2)
    zen = store.get_node(ZEN)
    assert zen is not None
    assert {k: v for k, v in zen.props.items() if "purpose" in k or k.startswith("patch_")} == {
        "purpose": "case sync",
        "patch_purpose": "renewals",
        "patch_review_due": "2027-01-01T00:00:00Z",
        "patch_source": "inventory",
        "patch_tenant": "people",
        "patch_run": "run-1",
    }
    assert effective(zen.props)["purpose"] == "renewals"
    assert store.store_facts([CASE])[CASE].classification == "restricted"
    # The owner re-ingests: unchanged data stays unchanged, changed data keeps the patch.
    assert store.upsert(estate("acme"), RUN2) == WriteSummary(nodes_unchanged=9, rels_unchanged=10)
    assert store.upsert(estate("acme", purpose="case and renewals"), RUN2).nodes_updated == 1
    zen = store.get_node(ZEN)
    assert zen is not None and zen.props["purpose"] == "case and renewals"
    assert zen.props["patch_purpose"] == "renewals"
    assert store.cleanup("inventory", "acme", RUN2) == WriteSummary()
    assert store.store_facts([CASE])[CASE].classification == "restricted"
    # People stop declaring the integration's patch: their cleanup removes it, only it.
    assert store.upsert(people(declared.patches[1]), RUN3) == WriteSummary(patches_unchanged=1)
    assert store.cleanup("inventory", "people", RUN3) == WriteSummary(patches_removed=1)
    zen = store.get_node(ZEN)
    assert zen is not None and not [k for k in zen.props if k.startswith("patch_")]
    assert effective(zen.props)["purpose"] == "case and renewals"
    assert store.store_facts([CASE])[CASE].classification == "restricted"
    # The owner stops reporting the store: the node and its patch go; nothing is left over.
    batch = estate("acme")
    batch.nodes[:] = [n for n in batch.nodes if n.id != CASE]
    batch.rels[:] = [r for r in batch.rels if CASE not in (r.start, r.end)]
    store.upsert(batch, RUN3)
    assert store.cleanup("inventory", "acme", RUN3).nodes_removed == 1
    assert store.cleanup("inventory", "people", SyncRun("run-4", "2026-11-04T00:00:00Z")) == (
        WriteSummary()
    )


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (
            NodeRow("Integration", "salesforce:acme:app:nope", {"purpose": "x"}),
            "batch patch 0 (salesforce:acme:app:nope): the node is not in the batch or the store,"
            " not a Integration",
        ),
        (
            NodeRow("Integration", CASE, {"purpose": "x"}),
            f"batch patch 0 ({CASE}): the node is a DataStore, not a Integration",
        ),
        (
            NodeRow("Integration", ZEN, {"name": "x"}),
            f"batch patch 0 ({ZEN}): name cannot be patched on a Integration",
        ),
        (
            NodeRow("Team", "inventory:team:payments", {"name": "x"}),
            "batch patch 0 (inventory:team:payments): Team nodes take no patches",
        ),
    ],
)
def test_a_patch_must_set_patchable_fields_of_a_node_that_exists(
    store: Store, patch: NodeRow, message: str
) -> None:
    store.upsert(estate("acme"), RUN1)
    before = snapshot(store)
    with pytest.raises(StoreError) as caught:
        store.upsert(people(patch), RUN2)
    assert str(caught.value) == message
    assert snapshot(store) == before


def test_nodes_by_id_by_label_and_neighbours_read_alike(store: Store) -> None:
    store.upsert(estate("acme"), RUN1)
    found = store.get_nodes([ZEN, CASE, "nope:x", ZEN])
    assert sorted(found) == [ZEN, CASE]
    assert found[ZEN].label == "Integration" and found[ZEN].props["purpose"] == "case sync"
    assert found[ZEN].props["source"] == "inventory" and found[ZEN].props["first_seen"] == RUN1.at
    assert [n.id for n in store.nodes_of("Integration")] == ["aws:acme:user:etl", ZEN]
    assert store.nodes_of("Principal") == []
    assert store.neighbours("HAS_CREDENTIAL", "out", [ZEN, "aws:acme:user:etl", "x:y"]) == {
        ZEN: [("salesforce:acme:token:1", {})],
        "aws:acme:user:etl": [("aws:acme:key:AKIAEXAMPLE0000001", {})],
    }
    assert store.neighbours("CAN_ACCESS", "in", ["salesforce:acme", CASE]) == {
        "salesforce:acme": [("salesforce:acme/api", {"access": "read"})],
        CASE: [("salesforce:acme/api", {})],
    }
    assert store.neighbours("OWNS", "in", [ZEN]) == {ZEN: [("inventory:team:payments", {})]}
