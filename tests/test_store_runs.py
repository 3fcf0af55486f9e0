"""Ingest runs as both stores record them: pending before the first write, complete after
the cleanup; a run that never completed is named until its scope is ingested again."""

from __future__ import annotations

import pytest

from nhigraph.errors import StoreError
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.store import RelRow, RunRecord, SyncRun, WriteSummary
from nhigraph.ingest.sync import write_batches
from nhigraph.ingest.vendors import SOURCE as VENDORS
from nhigraph.ingest.vendors import TENANT as VENDORS_TENANT
from nhigraph.ingest.vendors import link_vendors
from tests.test_store_contract import RUN1, RUN2, Store, estate, snapshot

RUN3 = SyncRun("run-3", "2026-11-03T00:00:00Z")
BOOK = ("first_seen", "last_seen", "sync_run")


def pending(run: SyncRun, tenant: str = "acme") -> RunRecord:
    return RunRecord(run.id, "inventory", tenant, run.at, None, "pending")


def test_a_run_is_incomplete_from_its_start_until_it_finishes(store: Store) -> None:
    assert store.incomplete_runs() == []
    store.start_run("inventory", "acme", RUN1)
    assert store.incomplete_runs() == [pending(RUN1)]
    store.upsert(estate("acme"), RUN1)
    store.cleanup("inventory", "acme", RUN1)
    assert store.incomplete_runs() == [pending(RUN1)]
    store.finish_run("inventory", "acme", RUN1)
    assert store.incomplete_runs() == []


def test_a_later_complete_run_of_the_scope_supersedes_a_pending_one(store: Store) -> None:
    store.start_run("inventory", "acme", RUN1)  # interrupted
    store.start_run("inventory", "globex", RUN1)  # another scope, interrupted too
    store.start_run("inventory", "acme", RUN2)
    store.finish_run("inventory", "acme", RUN2)
    assert store.incomplete_runs() == [pending(RUN1, "globex")]
    # A run that starts after a complete one is named, whatever the order of their ids.
    earlier_name = SyncRun("run-0", "2026-11-04T00:00:00Z")
    store.start_run("inventory", "acme", earlier_name)
    assert store.incomplete_runs() == [pending(RUN1, "globex"), pending(earlier_name)]
    store.finish_run("inventory", "globex", RUN3)
    store.finish_run("inventory", "acme", earlier_name)
    assert store.incomplete_runs() == []


def test_write_batches_records_its_runs(store: Store) -> None:
    generation = store.generation()
    results = write_batches(
        store, [("acme.yaml", estate("acme")), ("globex.yaml", estate("globex"))]
    )
    assert [r.summary.nodes_added for r in results] == [9, 7]
    assert store.incomplete_runs() == []
    # Per file: the pending record, the upsert, the cleanup (nothing to remove: the
    # embedded store commits nothing), the complete record.
    per_file = 3 if isinstance(store, EmbeddedStore) else 4
    assert store.generation() - generation == 2 * per_file


def test_a_file_failing_part_way_stays_incomplete_until_it_is_ingested_again(
    store: Store,
) -> None:
    write_batches(store, [("acme.yaml", estate("acme"))])
    broken = estate("acme", purpose="renewals")
    broken.rels.append(RelRow("OWNS", "inventory:team:ghost", "salesforce:acme:app:zen"))
    # Four records per transaction: the nodes are written, then a part is refused.
    with pytest.raises(StoreError, match="'inventory:team:ghost' is not in the batch or the store"):
        write_batches(store, [("acme.yaml", broken)], max_records=4)
    (interrupted,) = store.incomplete_runs()
    assert (interrupted.source, interrupted.tenant, interrupted.state) == (
        "inventory",
        "acme",
        "pending",
    )
    zen = store.get_node("salesforce:acme:app:zen")
    assert zen is not None and zen.props["purpose"] == "renewals"  # half of the file is in
    # The next ingest of the scope completes it, and the store is what a clean ingest gives.
    again = write_batches(store, [("acme.yaml", estate("acme", purpose="renewals"))], max_records=4)
    assert again[0].summary.nodes_removed == 0
    assert store.incomplete_runs() == []
    clean = estate("acme", purpose="renewals")
    store_snapshot = snapshot(store, BOOK)
    store.clear()
    write_batches(store, [("acme.yaml", clean)])
    assert snapshot(store, BOOK) == store_snapshot


def test_vendor_links_are_a_run_that_an_ingest_command_keeps_pending(store: Store) -> None:
    """The CLI starts the vendor linker's run before the first file and finishes it after
    the links are written, so the links are never silently stale."""
    run = SyncRun.start()
    store.start_run(VENDORS, VENDORS_TENANT, run)
    write_batches(store, [("acme.yaml", estate("acme"))])
    assert [(r.source, r.tenant) for r in store.incomplete_runs()] == [(VENDORS, VENDORS_TENANT)]
    _, summary = link_vendors(store, run)
    assert summary == WriteSummary()
    assert store.incomplete_runs() == []
