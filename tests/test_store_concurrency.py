"""Writers at once: threads of one process and several processes on one embedded file.

Whatever the interleaving, no write is lost, what SQLite holds is what memory holds,
no relationship points at a missing node, and a failed write leaves both as they
were. Loops are bounded by counts (and a time cap that fails the test, never
passes it); nothing asserts how long anything took.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from nhigraph.errors import StoreError
from nhigraph.graph.connect import open_store
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.store import StoredNode
from nhigraph.posture.reviews import record_review
from nhigraph.settings import Settings
from tests.test_store_contract import RUN1, RUN2, ZEN, Store, estate, snapshot

WRITERS = 4
READERS = 8
REVIEWS_PER_WRITER = 25
CAP_SECONDS = 120  # a hang fails the test instead of blocking the suite


def memory_view(store: EmbeddedStore) -> tuple[list[Any], list[Any]]:
    graph = store.graph
    return sorted(graph.nodes(data=True)), sorted(graph.edges(keys=True, data=True))


def disk_view(path: Path) -> tuple[list[Any], list[Any]]:
    """The graph as a fresh process loads it from the file."""
    with EmbeddedStore(path) as fresh:
        return memory_view(fresh)


def assert_whole(store: Store) -> None:
    """Every relationship's ends exist, and stats agrees with the export."""
    nodes: dict[str, str] = {}
    rels = 0
    for item in store.export():
        if isinstance(item, StoredNode):
            nodes[item.id] = item.label
        else:
            rels += 1
            assert item.start in nodes and item.end in nodes, f"dangling {item}"
    stats = store.stats()
    assert stats.total_nodes == len(nodes)
    assert stats.total_rels == rels


def run_writers_and_readers(store: Store, writers: int, readers: int) -> list[BaseException]:
    """``writers`` threads each record REVIEWS_PER_WRITER reviews while ``readers``
    threads read; returns what any of them raised."""
    errors: list[BaseException] = []
    done = threading.Event()
    deadline = time.monotonic() + CAP_SECONDS

    def write(n: int) -> None:
        try:
            for i in range(REVIEWS_PER_WRITER):
                record_review(store, ZEN, "keep", f"writer-{n}", f"review {i}")
        except BaseException as exc:
            errors.append(exc)

    def read() -> None:
        try:
            while not done.is_set() and time.monotonic() < deadline:
                store.stats()
                store.nodes_of("Review")
                store.neighbours("REVIEWS", "out", [ZEN])
                store.get_nodes([ZEN])
                store.generation()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    watchers = [threading.Thread(target=read) for _ in range(readers)]
    for thread in [*threads, *watchers]:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    done.set()
    for thread in watchers:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in [*threads, *watchers]), "threads still running"
    return errors


def test_writer_and_reader_threads_lose_nothing(store: Store) -> None:
    store.upsert(estate(), RUN1)
    before = store.generation()
    errors = run_writers_and_readers(store, WRITERS, READERS)
    assert errors == []
    total = WRITERS * REVIEWS_PER_WRITER
    stats = store.stats()
    assert stats.nodes["Review"] == total
    assert stats.rels["REVIEWS"] == total
    assert len(store.nodes_of("Review")) == total
    assert len(store.neighbours("REVIEWS", "in", [ZEN])[ZEN]) == total
    assert store.generation() == before + total  # one transaction per review
    assert_whole(store)


def test_threads_leave_the_embedded_file_equal_to_memory(embedded_store: EmbeddedStore) -> None:
    embedded_store.upsert(estate(), RUN1)
    assert run_writers_and_readers(embedded_store, WRITERS, READERS) == []
    assert memory_view(embedded_store) == disk_view(Path(embedded_store.path))


def _record_reviews(path: str, writer: int, count: int, started: Any) -> None:
    """A writer process: its own store on the shared file."""
    started.wait(60)
    with EmbeddedStore(path) as store:
        for i in range(count):
            record_review(store, ZEN, "keep", f"process-{writer}", f"review {i}")


def test_writer_processes_and_threads_on_one_file_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    processes, per_process = 3, 20
    with EmbeddedStore(path) as store:
        store.upsert(estate(), RUN1)
        context = multiprocessing.get_context("spawn")
        started = context.Event()
        children = [
            context.Process(target=_record_reviews, args=(str(path), n, per_process, started))
            for n in range(processes)
        ]
        for child in children:
            child.start()
        started.set()
        # Meanwhile this process writes from threads, its readers reading.
        assert run_writers_and_readers(store, 2, 4) == []
        for child in children:
            child.join(CAP_SECONDS)
        assert [child.exitcode for child in children] == [0] * processes
        total = processes * per_process + 2 * REVIEWS_PER_WRITER
        # Our memory caught up at each of our writes, but not with the children's last
        # ones: refresh() reloads when the generation moved, and only then.
        store.refresh()
        assert store.refresh() is False
        assert store.stats().nodes["Review"] == total
        assert memory_view(store) == disk_view(path)
        assert_whole(store)
        assert store.generation() == 1 + total


def test_a_write_after_another_process_wrote_is_computed_against_the_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.db"
    with EmbeddedStore(path) as ours, EmbeddedStore(path) as theirs:
        ours.upsert(estate("acme"), RUN1)
        assert theirs.refresh() is True  # opened before our write: it reloads
        theirs.upsert(estate("globex"), RUN1)
        # Our memory has not seen globex: the write reloads first, so globex's nodes
        # (shared team and vendor included) are unchanged, not added.
        summary = ours.upsert(estate("globex"), RUN2)
        assert (summary.nodes_added, summary.nodes_unchanged) == (0, 9)
        assert memory_view(ours) == disk_view(path)
        assert ours.refresh() is False
        assert theirs.refresh() is True
        assert memory_view(theirs) == disk_view(path)


def test_a_failed_write_after_another_process_wrote_leaves_file_and_memory_equal(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.db"
    with EmbeddedStore(path) as ours, EmbeddedStore(path) as theirs:
        ours.upsert(estate("acme"), RUN1)
        theirs.upsert(estate("globex"), RUN1)
        with sqlite3.connect(path) as db:  # a real SQLite failure midway through the batch
            db.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON rel WHEN NEW.type = 'STORES' "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        generation = theirs.generation()
        with pytest.raises(StoreError, match=r"write failed, nothing was changed \(disk full\)"):
            ours.upsert(estate("initech"), RUN2)
        assert ours.generation() == generation
        assert memory_view(ours) == disk_view(path)
        assert ours.stats().nodes["Integration"] == 4  # acme's and globex's, not initech's


class _FailingCommit(sqlite3.Connection):
    """A connection whose next COMMIT fails the way a full disk makes it fail."""

    fail_next_commit = False

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql == "COMMIT" and _FailingCommit.fail_next_commit:
            _FailingCommit.fail_next_commit = False
            raise sqlite3.OperationalError("database or disk is full")
        return super().execute(sql, *args)


def test_a_failed_commit_leaves_file_and_memory_equal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.db"
    real_connect = sqlite3.connect
    monkeypatch.setattr(
        sqlite3, "connect", lambda *a, **kw: real_connect(*a, **kw, factory=_FailingCommit)
    )
    with EmbeddedStore(path) as store:
        store.upsert(estate("acme"), RUN1)
        before = snapshot(store)
        generation = store.generation()
        _FailingCommit.fail_next_commit = True
        with pytest.raises(StoreError, match=r"nothing was changed \(database or disk is full\)"):
            store.upsert(estate("globex"), RUN2)
        assert snapshot(store) == before
        assert store.generation() == generation
        assert memory_view(store) == disk_view(path)
        # The next write goes through.
        store.upsert(estate("globex"), RUN2)
        assert memory_view(store) == disk_view(path)


def test_a_busy_file_fails_the_write_cleanly_after_the_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = open_store(Settings(db=path, db_busy_timeout=0.2))  # NHIGRAPH_DB_BUSY_TIMEOUT
    assert isinstance(store, EmbeddedStore)
    with store:
        store.upsert(estate("acme"), RUN1)
        before = memory_view(store)
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process's long write
        try:
            with pytest.raises(StoreError, match=r"nothing was changed \(database is locked\)"):
                store.upsert(estate("globex"), RUN2)
            # Readers in this process are not held up by the wait.
            assert store.stats().nodes["Integration"] == 2
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert memory_view(store) == before == disk_view(path)
