"""The generation counter both stores keep, what readers in other processes learn from it,
and the embedded file's own safety (its mode, its journal)."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from nhigraph.errors import StoreError
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.model import Label
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.store import RelRow, StoredNode, SyncRun
from tests.conftest import neo4j_password, neo4j_uri
from tests.test_store_contract import RUN1, RUN2, Store, estate

RUN3 = SyncRun("run-3", "2026-11-03T00:00:00Z")


@pytest.fixture
def other(store: Store) -> Iterator[Store]:
    """A second store object on the same data: what another process sees."""
    second: Store
    if isinstance(store, EmbeddedStore):
        second = EmbeddedStore(store.path)
    else:
        second = Neo4jStore(neo4j_uri(), "neo4j", neo4j_password())
    yield second
    second.close()


def test_every_committed_write_moves_the_generation_and_nothing_else_does(store: Store) -> None:
    start = store.generation()
    store.upsert(estate("acme"), RUN1)
    assert store.generation() == start + 1
    store.upsert(estate("globex"), RUN1)
    assert store.generation() == start + 2
    smaller = estate("acme")
    smaller.rels[:] = [r for r in smaller.rels if r.type != "STORES"]
    store.upsert(smaller, RUN2)
    store.cleanup("inventory", "acme", RUN2)
    assert store.generation() == start + 4
    # Reads leave it alone.
    store.stats()
    list(store.export())
    store.nodes_of("Integration")
    store.refresh()
    assert store.generation() == start + 4
    # A refused batch writes nothing and leaves it alone.
    refused = estate("initech")
    refused.rels.append(RelRow("OWNS", "inventory:team:ghost", "salesforce:initech:app:zen"))
    with pytest.raises(StoreError):
        store.upsert(refused, RUN3)
    assert store.generation() == start + 4
    # Starting over is a write too: the generation never goes back.
    store.clear()
    assert store.generation() == start + 5
    assert store.stats().total_nodes == 0


def test_another_store_object_learns_of_a_write_through_refresh(store: Store, other: Store) -> None:
    store.upsert(estate("acme"), RUN1)
    assert other.refresh() is True
    assert other.refresh() is False
    assert other.generation() == store.generation()
    store.upsert(estate("globex"), RUN1)
    assert other.generation() == store.generation()
    assert other.refresh() is True
    # What it reads after refresh() is the other object's write, memory included.
    assert other.stats() == store.stats()
    assert other.labels_of(["salesforce:globex:app:zen"]) == {
        "salesforce:globex:app:zen": "Integration"
    }
    assert other.neighbours("HAS_CREDENTIAL", "out", ["salesforce:globex:app:zen"]) == {
        "salesforce:globex:app:zen": [("salesforce:globex:token:1", {})]
    }
    # A store's own writes keep it caught up.
    store.upsert(estate("initech"), RUN1)
    assert store.refresh() is False


def test_embedded_memory_is_stale_until_refresh(tmp_path: Path) -> None:
    """What refresh() is for: the in-memory graph of a reader process."""
    path = tmp_path / "s.db"
    with EmbeddedStore(path) as reader, EmbeddedStore(path) as writer:
        writer.upsert(estate("acme"), RUN1)
        assert reader.stats().total_nodes == 0  # memory as loaded
        assert reader.get_node("salesforce:acme:app:zen") is not None  # the file, read live
        assert reader.refresh() is True
        assert reader.stats() == writer.stats()


@pytest.mark.neo4j
def test_neo4j_bookkeeping_never_shows_in_the_graph(neo4j_store: Neo4jStore) -> None:
    neo4j_store.upsert(estate("acme"), RUN1)
    run = SyncRun("run-x", "2026-11-05T00:00:00Z")
    neo4j_store.start_run("inventory", "acme", run)
    neo4j_store.finish_run("inventory", "acme", run)
    neo4j_store.start_run("inventory", "globex", RUN2)
    with neo4j_store._session() as session:
        found = session.run(
            "MATCH (n) WHERE n:NhigraphMeta OR n:NhigraphRun RETURN labels(n)[0] AS label, "
            "count(*) AS count ORDER BY label"
        ).data()
    assert found == [{"label": "NhigraphMeta", "count": 1}, {"label": "NhigraphRun", "count": 2}]
    stats = neo4j_store.stats()
    assert set(stats.nodes) <= {str(label) for label in Label}
    assert stats.total_nodes == 9
    exported = [item for item in neo4j_store.export() if isinstance(item, StoredNode)]
    assert len(exported) == 9
    assert {item.label for item in exported} <= {str(label) for label in Label}
    assert neo4j_store.labels_of(["run-x", "generation", RUN2.id]) == {}
    assert neo4j_store.get_nodes(["run-x", RUN2.id]) == {}
    # A cleanup never takes a run record for a stale record of its scope.
    neo4j_store.cleanup("inventory", "globex", RUN2)
    assert [r.id for r in neo4j_store.incomplete_runs()] == [RUN2.id]
    # Starting over removes the runs but keeps the generation moving.
    generation = neo4j_store.generation()
    neo4j_store.clear()
    assert neo4j_store.incomplete_runs() == []
    assert neo4j_store.generation() == generation + 1


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_embedded_file_and_its_journal_are_private(tmp_path: Path) -> None:
    path = tmp_path / "private.db"
    with EmbeddedStore(path) as store:
        store.upsert(estate("acme"), RUN1)
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert store._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert wal.exists() and shm.exists()
        assert (_mode(path), _mode(wal), _mode(shm)) == (0o600, 0o600, 0o600)
    # A file made before this check keeps the mode its owner gave it.
    shared = tmp_path / "shared.db"
    sqlite3.connect(shared).close()
    shared.chmod(0o640)
    with EmbeddedStore(shared):
        assert _mode(shared) == 0o640


def test_a_file_from_before_generations_and_runs_is_completed_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with EmbeddedStore(path) as store:
        store.upsert(estate("acme"), RUN1)
        before = store.stats()
    with sqlite3.connect(path) as db:  # as the previous schema left it
        db.execute("DROP TABLE run")
        db.execute("DELETE FROM meta WHERE key = 'generation'")
    with EmbeddedStore(path) as store:
        assert store.stats() == before
        assert store.generation() == 0
        assert store.incomplete_runs() == []
        store.upsert(estate("globex"), RUN2)
        assert store.generation() == 1


def test_a_file_that_is_not_a_store_is_named(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database, just notes " * 100)
    with pytest.raises(
        StoreError, match=r"notes.db: not an nhigraph store \(file is not a database\)"
    ):
        EmbeddedStore(path)
