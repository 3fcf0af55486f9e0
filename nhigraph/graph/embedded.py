"""The embedded store: the graph in memory as a networkx MultiDiGraph, persisted in SQLite.

SQLite is the durable copy (domain properties plus bookkeeping: source, sync tags,
first_seen, last_seen); the networkx graph holds the domain view the engine reads:
node attributes are ``label`` plus domain properties, each edge is keyed by its
relationship type and carries its domain properties. A write goes to SQLite in one
transaction first and reaches the in-memory graph only after it commits, so a
failed batch leaves both as they were.

Several threads and several processes may share a file. One lock serialises every
use of the connection and every change to memory; SQLite's write lock (``BEGIN
IMMEDIATE``, waited for up to the busy timeout) serialises writers across processes.
Every write bumps a generation counter in the same transaction; a write that finds
the counter moved by another process reloads memory first, so what it computes and
applies starts from what the file holds. Readers catch up with ``refresh()``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import networkx as nx

from nhigraph.errors import StoreError
from nhigraph.graph import embedded_posture
from nhigraph.graph.blast import CredentialFacts, Grant, StoreFacts, facts_from_props
from nhigraph.graph.model import format_utc
from nhigraph.graph.store import (
    Batch,
    FindingQuery,
    GraphStats,
    IntegrationRef,
    IntegrationRow,
    PostureRows,
    RunRecord,
    Seen,
    SharedRow,
    StoredFinding,
    StoredNode,
    StoredRel,
    SyncRun,
    VendorRef,
    WriteSummary,
    check_batch,
    only_patch,
    patch_props,
    referenced_ids,
    without_patch,
)

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS node (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    props TEXT NOT NULL,
    source TEXT NOT NULL,
    sync_tenant TEXT NOT NULL,
    sync_run TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rel (
    start TEXT NOT NULL,
    type TEXT NOT NULL,
    "end" TEXT NOT NULL,
    props TEXT NOT NULL,
    source TEXT NOT NULL,
    sync_tenant TEXT NOT NULL,
    sync_run TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (start, type, "end")
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS node_label ON node (label);
CREATE TABLE IF NOT EXISTS patch (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    sync_tenant TEXT NOT NULL,
    sync_run TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS run (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    tenant TEXT NOT NULL,
    seq INTEGER NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    state TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS run_scope ON run (source, tenant, seq);
INSERT OR IGNORE INTO meta VALUES ('generation', '0');
"""
# Files written before generations and runs get them on first open: these tell.
_READY = """
SELECT (SELECT value FROM meta WHERE key = 'schema'),
       (SELECT value FROM meta WHERE key = 'generation'),
       (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'run')
"""
_GENERATION = "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation'"
_INCOMPLETE_RUNS = """
SELECT id, source, tenant, started, finished, state FROM run AS pending
WHERE state = 'pending' AND NOT EXISTS (
    SELECT 1 FROM run AS later
    WHERE later.source = pending.source AND later.tenant = pending.tenant
      AND later.state = 'complete' AND later.seq > pending.seq
)
ORDER BY started, id
"""
_SQLITE_BUSY = 5

_UPSERT_NODE = """
INSERT INTO node (
    id, label, props, origin, source, sync_tenant, sync_run, first_seen, last_seen
)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    label = excluded.label, props = excluded.props, origin = excluded.origin,
    source = excluded.source, sync_tenant = excluded.sync_tenant,
    sync_run = excluded.sync_run, last_seen = excluded.last_seen
"""

_UPSERT_REL = """
INSERT INTO rel (
    start, type, "end", props, origin, source, sync_tenant, sync_run, first_seen, last_seen
)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (start, type, "end") DO UPDATE SET
    props = excluded.props, origin = excluded.origin, source = excluded.source,
    sync_tenant = excluded.sync_tenant, sync_run = excluded.sync_run,
    last_seen = excluded.last_seen
"""

# Stores written before page chains were recorded gain the column (empty: unknown).
_MIGRATIONS = (
    ("node", "origin", "ALTER TABLE node ADD COLUMN origin TEXT NOT NULL DEFAULT ''"),
    ("rel", "origin", "ALTER TABLE rel ADD COLUMN origin TEXT NOT NULL DEFAULT ''"),
)

_EMPTY = "{}"


def _dumps(props: Mapping[str, Any]) -> str:
    return json.dumps(props, sort_keys=True, separators=(",", ":")) if props else _EMPTY


def _loads(text: str) -> dict[str, Any]:
    return {} if text == _EMPTY else dict(json.loads(text))


def _create_private(path: str) -> None:
    """Create the file readable by its owner only, as SQLite would otherwise make it
    0644; SQLite gives its journal, -wal and -shm files the database file's mode."""
    if path == ":memory:" or path.startswith("file:"):
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the store ({exc.strerror})") from None


_P = ParamSpec("_P")
_T = TypeVar("_T")


def _reading(
    method: Callable[Concatenate[EmbeddedStore, _P], _T],
) -> Callable[Concatenate[EmbeddedStore, _P], _T]:
    """Run a read method holding the store's lock: no write changes memory or uses the
    connection meanwhile."""

    @functools.wraps(method)
    def locked(store: EmbeddedStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        with store._lock:
            return method(store, *args, **kwargs)

    return locked


def _one_writer(
    method: Callable[Concatenate[EmbeddedStore, _P], _T],
) -> Callable[Concatenate[EmbeddedStore, _P], _T]:
    """Run a write method holding the store's lock and SQLite's write lock, after
    catching up with what other processes committed; what it leaves uncommitted
    (nothing to write, or a failure) is rolled back."""

    @functools.wraps(method)
    def serialised(store: EmbeddedStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        store._begin_write()
        try:
            return method(store, *args, **kwargs)
        finally:
            try:
                if store._db.in_transaction:
                    store._db.execute("ROLLBACK")
            finally:
                store._lock.release()

    return serialised


class EmbeddedStore:
    """networkx in memory, SQLite on disk. Use ``":memory:"`` for a throwaway store."""

    def __init__(self, path: str | Path, busy_timeout: float = 30.0) -> None:
        self.path = str(path)
        self.busy_timeout = busy_timeout
        _create_private(self.path)
        try:
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=busy_timeout
            )
            # A large write grows the WAL; keep what stays of it after a checkpoint small.
            self._db.execute("PRAGMA journal_size_limit = 67108864")
            schema = self._prepare()
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorcode", None) == _SQLITE_BUSY:
                raise StoreError(f"{self.path}: busy, try again ({exc})") from None
            raise StoreError(f"{self.path}: not an nhigraph store ({exc})") from None
        if schema != SCHEMA_VERSION:
            self._db.close()
            raise StoreError(
                f"{self.path}: store schema {schema}, this nhigraph reads {SCHEMA_VERSION}"
            )
        self._graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self._store_facts: dict[str, StoreFacts] = {}
        self._generation = -1  # the file's generation that memory reflects
        # Guards the connection (threads share it one statement at a time) and memory.
        self._lock = threading.RLock()
        with self._lock:
            self._load()

    def _prepare(self) -> str:
        """Create or complete the schema (in WAL mode: readers in other processes never
        wait for a writer); returns the file's schema version."""
        db = self._db
        try:
            schema, generation, runs = db.execute(_READY).fetchone()
        except sqlite3.OperationalError:  # no meta table: a new file
            schema, generation, runs = None, None, 0
        if schema is not None and generation is not None and runs:
            return str(schema)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            for table, column, statement in _MIGRATIONS:
                columns = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
                if column not in columns:
                    db.execute(statement)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            (schema,) = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            db.execute("COMMIT")
        finally:
            if db.in_transaction:
                db.execute("ROLLBACK")
        return str(schema)

    # ------------------------------------------------------------------ reading

    def _load(self) -> None:
        """Memory from the file, in one read transaction (the caller holds the lock)."""
        db = self._db
        own = not db.in_transaction
        if own:
            db.execute("BEGIN")
        try:
            (generation,) = db.execute(_GENERATION).fetchone()
            graph = nx.MultiDiGraph()
            for node_id, label, props in db.execute("SELECT id, label, props FROM node"):
                graph.add_node(node_id, label=label, **_loads(props))
            graph.add_edges_from(
                (start, end, rel_type, _loads(props))
                for start, rel_type, end, props in db.execute(
                    'SELECT start, type, "end", props FROM rel'
                )
            )
        finally:
            if own and db.in_transaction:
                db.execute("COMMIT")
        self._store_facts = {}
        self._graph = graph
        self._generation = generation

    def generation(self) -> int:
        """The file's generation: every committed write, from any process, moves it."""
        with self._lock:
            try:
                (generation,) = self._db.execute(_GENERATION).fetchone()
            except sqlite3.Error as exc:  # e.g. a closed connection
                raise StoreError(f"{self.path}: cannot be read ({exc})") from None
        return int(generation)

    def refresh(self) -> bool:
        """Reload memory if another process wrote since it was loaded; True if it did.
        O(1) when nothing moved, a full load (O(V+E)) otherwise."""
        with self._lock:
            if self.generation() == self._generation:
                return False
            self._load()
            return True

    def incomplete_runs(self) -> list[RunRecord]:
        """Runs recorded pending with no later complete run of their source and tenant."""
        with self._lock:
            try:
                rows = self._db.execute(_INCOMPLETE_RUNS).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: cannot be read ({exc})") from None
        return [RunRecord(*row) for row in rows]

    @property
    def graph(self) -> nx.MultiDiGraph:
        """A read-only view of the domain graph, for the engine."""
        return self._graph.copy(as_view=True)

    @_reading
    def labels_of(self, ids: Iterable[str]) -> dict[str, str]:
        nodes = self._graph.nodes
        return {i: nodes[i]["label"] for i in ids if i in nodes}

    @_reading
    def get_node(self, node_id: str) -> StoredNode | None:
        row = self._db.execute(
            f"SELECT {_NODE_COLUMNS} FROM node WHERE id = ?", (node_id,)
        ).fetchone()
        return None if row is None else _stored_node(*row)

    def get_nodes(self, ids: Iterable[str]) -> dict[str, StoredNode]:
        wanted = list(dict.fromkeys(ids))
        found: dict[str, StoredNode] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            with self._lock:
                rows = self._db.execute(
                    f"SELECT {_NODE_COLUMNS} FROM node WHERE id IN ({marks})", chunk
                ).fetchall()
            for row in rows:
                found[row[0]] = _stored_node(*row)
        return found

    def nodes_of(self, label: str) -> list[StoredNode]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_NODE_COLUMNS} FROM node WHERE label = ? ORDER BY id", (label,)
            ).fetchall()
        return [_stored_node(*row) for row in rows]

    @_reading
    def neighbours(
        self, rel_type: str, direction: str, ids: Iterable[str]
    ) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        adjacency = self._graph._succ if direction == "out" else self._graph._pred
        found: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for node_id in ids:
            joined = [
                (other, dict(keys[rel_type]))
                for other, keys in adjacency.get(node_id, _NO_EDGES).items()
                if rel_type in keys
            ]
            if joined:
                found[node_id] = sorted(joined, key=lambda item: item[0])
        return found

    @_reading
    def integration_refs(self, derived_source: str) -> list[IntegrationRef]:
        declared: dict[str, list[str]] = {}
        for vendor, integration in self._db.execute(
            "SELECT start, \"end\" FROM rel WHERE type = 'PROVIDES' AND source <> ?",
            (derived_source,),
        ):
            declared.setdefault(integration, []).append(vendor)
        refs = []
        for node_id, attrs in self._graph.nodes(data=True):
            if attrs["label"] != "Integration":
                continue
            refs.append(
                IntegrationRef(
                    node_id,
                    attrs["name"],
                    attrs.get("provider"),
                    attrs.get("client_id"),
                    attrs.get("publisher"),
                    attrs.get("publisher_id"),
                    bool(attrs.get("publisher_verified")),
                    tuple(sorted(declared.get(node_id, ()))),
                )
            )
        return sorted(refs, key=lambda r: r.id)

    @_reading
    def vendor_refs(self) -> list[VendorRef]:
        sources = dict(self._db.execute("SELECT id, source FROM node WHERE label = 'Vendor'"))
        return [
            VendorRef(node_id, attrs["name"], tuple(attrs.get("aliases", ())), sources[node_id])
            for node_id, attrs in sorted(self._graph.nodes(data=True))
            if attrs["label"] == "Vendor"
        ]

    @_reading
    def stats(self) -> GraphStats:
        nodes = Counter(label for _, label in self._graph.nodes(data="label"))
        rels = Counter(key for _, _, key in self._graph.edges(keys=True))
        return GraphStats(nodes=dict(sorted(nodes.items())), rels=dict(sorted(rels.items())))

    def export(self) -> Iterator[StoredNode | StoredRel]:
        """One snapshot of the file, read through a connection of its own so that a long
        export holds up neither this store's threads nor (in WAL mode) any writer."""
        if self.path == ":memory:":
            with self._lock:
                items = list(_export(self._db))
            yield from items
            return
        db = sqlite3.connect(self.path, isolation_level=None, timeout=self.busy_timeout)
        try:
            db.execute("BEGIN")  # both queries read one snapshot
            yield from _export(db)
        finally:
            db.close()

    # ------------------------------------------------------------------ engine questions
    # The ReachView of graph.blast over the in-memory graph: plain dict walks, sorted.

    def _out(self, node: str, rel_type: str) -> list[str]:
        return sorted(n for n, keys in self._graph._succ[node].items() if rel_type in keys)

    def _in(self, node: str, rel_type: str) -> list[str]:
        return sorted(n for n, keys in self._graph._pred[node].items() if rel_type in keys)

    @_reading
    def resolve_start(self, ids: Sequence[str]) -> dict[str, tuple[str, list[str]]]:
        nodes = self._graph._node  # plain dict of attribute dicts
        found: dict[str, tuple[str, list[str]]] = {}
        for node_id in ids:
            if node_id not in nodes:
                continue
            label = nodes[node_id]["label"]
            if label == "Credential":
                integrations: list[str] = []
                credentials = [node_id]
            elif label == "Integration":
                integrations = [node_id]
            elif label == "Vendor":
                integrations = self._out(node_id, "PROVIDES")
            elif label == "Team":
                integrations = sorted(
                    set(self._out(node_id, "OWNS")) | set(self._out(node_id, "USES"))
                )
            else:
                integrations, credentials = [], []
            if label != "Credential":
                credentials = sorted(
                    {c for i in integrations for c in self._out(i, "HAS_CREDENTIAL")}
                )
            found[node_id] = (label, credentials)
        return found

    @_reading
    def credential_facts(self, ids: Collection[str]) -> dict[str, CredentialFacts]:
        nodes = self._graph._node  # plain dict of attribute dicts
        facts = {}
        for node_id in ids:
            if node_id not in nodes or nodes[node_id]["label"] != "Credential":
                continue
            facts[node_id] = facts_from_props(
                node_id,
                nodes[node_id],
                ((i, nodes[i]["status"]) for i in self._in(node_id, "HAS_CREDENTIAL")),
                (bool(nodes[p]["enabled"]) for p in self._out(node_id, "ACTS_AS")),
            )
        return facts

    @_reading
    def grants(self, credentials: Collection[str]) -> list[Grant]:
        nodes = self._graph._node  # plain dict of attribute dicts
        succ = self._graph._succ
        found = []
        for credential in credentials:
            for scope in self._out(credential, "GRANTS"):
                scope_access = nodes[scope]["access"]
                for target, keys in succ[scope].items():
                    edge = keys.get("CAN_ACCESS")
                    if edge is not None:
                        found.append(
                            Grant(
                                credential,
                                scope,
                                target,
                                nodes[target]["label"],
                                edge.get("access", scope_access),
                            )
                        )
        return sorted(found)

    @_reading
    def tenant_stores(self, tenants: Collection[str]) -> dict[str, list[str]]:
        return {t: self._out(t, "CONTAINS") for t in tenants if t in self._graph}

    @_reading
    def store_facts(self, stores: Collection[str]) -> dict[str, StoreFacts]:
        # Every radius asks about the same few hundred stores, each with many CAN_ACCESS
        # in-edges to skip over: remembered until the next write (see _changed).
        nodes = self._graph._node  # plain dict of attribute dicts
        cache = self._store_facts
        for d in stores:
            if d not in cache and d in nodes:
                cache[d] = StoreFacts(
                    d,
                    nodes[d]["name"],
                    nodes[d].get("patch_classification") or nodes[d]["classification"],
                    tuple(self._in(d, "CONTAINS")),
                    tuple(self._out(d, "STORES")),
                )
        return {d: cache[d] for d in stores if d in cache}

    @_reading
    def approved_scopes(self, integration: str) -> list[str]:
        return self._out(integration, "APPROVED_FOR") if integration in self._graph else []

    @_reading
    def team_usage(self) -> dict[str, list[str]]:
        usage: dict[str, set[str]] = {}
        for team, label in self._graph.nodes(data="label"):
            if label != "Team":
                continue
            for integration, keys in self._graph._succ[team].items():
                if "OWNS" in keys or "USES" in keys:
                    usage.setdefault(integration, set()).add(team)
        return {i: sorted(teams) for i, teams in sorted(usage.items())}

    # ------------------------------------------------------------------ writing

    @_one_writer
    def upsert(self, batch: Batch, run: SyncRun) -> WriteSummary:
        """Write ``batch`` in one SQLite transaction, then into memory. O(batch size)."""
        ids = {n.id for n in batch.nodes} | referenced_ids(batch)
        check_batch(batch, self.labels_of(ids))
        graph = self._graph
        summary = WriteSummary()
        node_changes: list[tuple[str, str, Mapping[str, Any]]] = []
        node_rows = []
        book = (batch.source, batch.tenant, run.id, run.at, run.at)
        for node in batch.nodes:
            props: Mapping[str, Any] = node.props
            if node.id not in graph:
                summary.nodes_added += 1
                node_changes.append((node.id, node.label, props))
            else:
                current = graph.nodes[node.id]
                if "patch_source" in current:  # keep people's patch beside the new values
                    kept = only_patch(current)
                    if without_patch(current) == {"label": node.label, **props}:
                        summary.nodes_unchanged += 1
                    else:
                        summary.nodes_updated += 1
                    props = {**props, **kept}
                    node_changes.append((node.id, node.label, props))
                elif len(current) == len(props) + 1 and all(
                    current.get(k, _MISSING) == v for k, v in props.items()
                ):
                    summary.nodes_unchanged += 1
                else:
                    summary.nodes_updated += 1
                    node_changes.append((node.id, node.label, props))
            node_rows.append((node.id, node.label, _dumps(props), _chains(node.origin), *book))
        # Patches apply to the node as this batch leaves it (new values, or the stored ones).
        written = {node_id: (label, props) for node_id, label, props in node_changes}
        patch_rows = []
        patch_index = []
        patch_book = {
            "patch_source": batch.source,
            "patch_tenant": batch.tenant,
            "patch_run": run.id,
        }
        for patch in batch.patches:
            label, base = written.get(patch.id) or (patch.label, dict(graph.nodes[patch.id]))
            new_props = {
                **without_patch({k: v for k, v in base.items() if k != "label"}),
                **patch_props(patch.props, patch_book),
            }
            old = graph.nodes[patch.id] if patch.id in graph else {}
            if _patch_values(old) == _patch_values(new_props):
                summary.patches_unchanged += 1
            else:
                summary.patches_set += 1
            node_changes.append((patch.id, label, new_props))
            written[patch.id] = (label, new_props)
            patch_rows.append((_dumps(new_props), patch.id))
            patch_index.append((patch.id, batch.source, batch.tenant, run.id))
        rel_changes: list[tuple[str, str, str, Mapping[str, Any], bool]] = []
        rel_rows = []
        adjacency = graph._succ  # plain dicts: this loop runs once per relationship
        for rel in batch.rels:
            props = rel.props
            current_rel = adjacency.get(rel.start, _NO_EDGES).get(rel.end, _NO_EDGES).get(rel.type)
            if current_rel is None:
                summary.rels_added += 1
                rel_changes.append((rel.start, rel.end, rel.type, props, True))
            elif current_rel == props:
                summary.rels_unchanged += 1
            else:
                summary.rels_updated += 1
                rel_changes.append((rel.start, rel.end, rel.type, props, False))
            rel_rows.append(
                (rel.start, rel.type, rel.end, _dumps(props), _chains(rel.origin), *book)
            )
        # In primary-key order the B-tree is appended to rather than split at random.
        node_rows.sort()
        rel_rows.sort()
        self._write(
            lambda db: (
                db.executemany(_UPSERT_NODE, node_rows),
                db.executemany(_UPSERT_REL, rel_rows),
                db.executemany("UPDATE node SET props = ? WHERE id = ?", patch_rows),
                db.executemany("INSERT OR REPLACE INTO patch VALUES (?, ?, ?, ?)", patch_index),
            )
        )
        try:
            for node_id, label, props in node_changes:
                if node_id in graph:
                    attrs = graph.nodes[node_id]
                    attrs.clear()
                    attrs["label"] = label
                    attrs.update(props)
                else:
                    graph.add_node(node_id, label=label, **props)
            _add_new_edges(graph, ((s, e, t, p) for s, e, t, p, new in rel_changes if new))
            for start, end, rel_type, props, is_new in rel_changes:
                if not is_new:
                    attrs = graph.edges[start, end, rel_type]
                    attrs.clear()
                    attrs.update(props)
        except BaseException:
            self._load()  # memory failed after the commit: SQLite is the truth
            raise
        return summary

    @_one_writer
    def cleanup(
        self, source: str, tenant: str, run: SyncRun, seen: Seen | None = None
    ) -> WriteSummary:
        """Remove what ``source``/``tenant`` reported before ``run`` but not in it (with
        ``seen``, only what was read from page chains the run read whole).

        Relationships of other sources that touch a removed node go with it (a
        relationship cannot outlive its ends); nothing else of theirs is touched.
        """
        stale_nodes = [
            node_id
            for node_id, origin in self._db.execute(
                "SELECT id, origin FROM node WHERE source = ? AND sync_tenant = ? "
                "AND sync_run <> ?",
                (source, tenant, run.id),
            )
            if seen is None or seen.covers(_unchains(origin))
        ]
        stale_rels = {
            (start, end, rel_type)
            for start, rel_type, end, origin in self._db.execute(
                'SELECT start, type, "end", origin FROM rel '
                "WHERE source = ? AND sync_tenant = ? AND sync_run <> ?",
                (source, tenant, run.id),
            )
            if seen is None or seen.covers(_unchains(origin))
        }
        graph = self._graph
        gone = set(stale_nodes)
        stale_patches = {
            row[0]: without_patch(graph.nodes[row[0]])
            for row in self._db.execute(
                "SELECT id FROM patch WHERE source = ? AND sync_tenant = ? AND sync_run <> ?",
                (source, tenant, run.id),
            )
            if row[0] not in gone
        }
        for node_id in stale_nodes:
            stale_rels.update(graph.out_edges(node_id, keys=True))
            stale_rels.update(graph.in_edges(node_id, keys=True))
        if not stale_nodes and not stale_rels and not stale_patches:
            return WriteSummary()
        unpatched = [
            (_dumps({k: v for k, v in props.items() if k != "label"}), node_id)
            for node_id, props in stale_patches.items()
        ]
        self._write(
            lambda db: (
                db.executemany(
                    'DELETE FROM rel WHERE start = ? AND "end" = ? AND type = ?', stale_rels
                ),
                db.executemany("DELETE FROM node WHERE id = ?", ((i,) for i in stale_nodes)),
                db.executemany("DELETE FROM patch WHERE id = ?", ((i,) for i in stale_nodes)),
                db.executemany("UPDATE node SET props = ? WHERE id = ?", unpatched),
                db.executemany("DELETE FROM patch WHERE id = ?", ((i,) for i in stale_patches)),
            )
        )
        try:
            graph.remove_edges_from(stale_rels)
            graph.remove_nodes_from(stale_nodes)
            for node_id, props in stale_patches.items():
                attrs = graph.nodes[node_id]
                attrs.clear()
                attrs.update(props)
        except BaseException:
            self._load()
            raise
        return WriteSummary(
            nodes_removed=len(stale_nodes),
            rels_removed=len(stale_rels),
            patches_removed=len(stale_patches),
        )

    @_one_writer
    def start_run(self, source: str, tenant: str, run: SyncRun) -> None:
        """Record ``run`` of ``source``/``tenant`` as pending, before its first write."""
        seq = self._generation + 1  # the generation this write commits: orders the runs
        self._write(
            lambda db: db.execute(
                "INSERT OR REPLACE INTO run VALUES (?, ?, ?, ?, ?, NULL, 'pending')",
                (run.id, source, tenant, seq, run.at),
            )
        )

    @_one_writer
    def finish_run(self, source: str, tenant: str, run: SyncRun) -> None:
        """Record ``run`` complete; it supersedes the earlier runs of its scope, whose
        records are forgotten."""
        seq = self._generation + 1
        finished = format_utc(datetime.now(UTC))

        def work(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO run VALUES (?, ?, ?, ?, ?, ?, 'complete') ON CONFLICT (id) "
                "DO UPDATE SET finished = excluded.finished, state = excluded.state",
                (run.id, source, tenant, seq, run.at, finished),
            )
            db.execute(
                "DELETE FROM run WHERE source = ? AND tenant = ? "
                "AND seq < (SELECT seq FROM run WHERE id = ?)",
                (source, tenant, run.id),
            )

        self._write(work)

    @_one_writer
    def clear(self) -> None:
        """Delete everything (tests, and starting over); the generation moves on."""
        self._write(
            lambda db: (
                db.execute("DELETE FROM rel"),
                db.execute("DELETE FROM node"),
                db.execute("DELETE FROM patch"),
                db.execute("DELETE FROM run"),
            )
        )
        self._graph = nx.MultiDiGraph()

    def _begin_write(self) -> None:
        """Take the lock and SQLite's write lock, then catch up with other processes.

        SQLite's lock is polled, not waited for under the busy timeout, so that this
        store's readers are not held up while another process writes.
        """
        deadline = time.monotonic() + self.busy_timeout
        pause = 0.002
        while True:
            self._lock.acquire()
            try:
                self._db.execute("PRAGMA busy_timeout = 0")
                try:
                    self._db.execute("BEGIN IMMEDIATE")
                finally:
                    self._db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
                break
            except sqlite3.OperationalError as exc:
                self._lock.release()
                busy = getattr(exc, "sqlite_errorcode", 0) & 0xFF == _SQLITE_BUSY
                if not busy or time.monotonic() >= deadline:
                    raise StoreError(
                        f"{self.path}: write failed, nothing was changed ({exc})"
                    ) from None
            except sqlite3.Error as exc:  # e.g. a closed connection
                self._lock.release()
                raise StoreError(
                    f"{self.path}: write failed, nothing was changed ({exc})"
                ) from None
            except BaseException:
                self._lock.release()
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        try:
            (generation,) = self._db.execute(_GENERATION).fetchone()
            if generation != self._generation:
                self._load()  # inside the transaction: exactly what the write builds on
        except BaseException as exc:
            self._db.execute("ROLLBACK")
            self._lock.release()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(
                    f"{self.path}: write failed, nothing was changed ({exc})"
                ) from None
            raise

    def _write(self, work: Any) -> None:
        """Run ``work`` in the transaction ``_one_writer`` opened, bump the generation, and
        commit; on failure roll back, so the file and memory are as they were."""
        self._store_facts = {}  # the graph is about to change
        db = self._db
        generation = self._generation + 1
        try:
            work(db)
            db.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (str(generation),))
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):  # a closed or broken connection
                if db.in_transaction:
                    db.execute("ROLLBACK")
            raise StoreError(f"{self.path}: write failed, nothing was changed ({exc})") from None
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        self._generation = generation

    # ------------------------------------------------------------------ derived: posture
    # The stored posture lives in tables of its own (graph/embedded_posture.py). Writing
    # it takes the write lock like any write but leaves the graph's generation alone.

    def save_posture(self, rows: PostureRows, now: str) -> None:
        self._begin_write()
        db = self._db
        try:
            embedded_posture.save(db, rows, now)
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: writing the posture failed ({exc})") from None
        finally:
            try:
                if db.in_transaction:
                    db.execute("ROLLBACK")
            finally:
                self._lock.release()

    @_reading
    def posture_meta(self) -> dict[str, str] | None:
        return embedded_posture.meta(self._db)

    @_reading
    def posture_findings(self, query: FindingQuery) -> list[StoredFinding]:
        return embedded_posture.findings(self._db, query)

    @_reading
    def posture_finding_counts(self) -> dict[int, int]:
        return embedded_posture.finding_counts(self._db)

    @_reading
    def posture_findings_count(self, query: FindingQuery) -> int:
        return embedded_posture.findings_count(self._db, query)

    @_reading
    def posture_integration_page(
        self, order: str, first: int, offset: int, ids: tuple[str, ...], now: str
    ) -> list[tuple[IntegrationRow, int]]:
        return embedded_posture.integration_page(self._db, order, first, offset, ids, now)

    @_reading
    def posture_integration_count(self, ids: tuple[str, ...]) -> int:
        return embedded_posture.integration_count(self._db, ids)

    @_reading
    def posture_integrations(
        self, order: str, first: int, after: tuple[Any, ...] | None = None
    ) -> list[tuple[IntegrationRow, tuple[Any, ...]]]:
        return embedded_posture.integrations(self._db, order, first, after)

    @_reading
    def posture_integration(self, integration: str) -> IntegrationRow | None:
        return embedded_posture.integration(self._db, integration)

    @_reading
    def posture_reach(self, integration: str) -> list[tuple[str, str, int]]:
        return embedded_posture.reach(self._db, integration)

    @_reading
    def posture_shared(self, first: int, after: str | None = None) -> list[SharedRow]:
        return embedded_posture.shared(self._db, first, after)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _add_new_edges(
    graph: nx.MultiDiGraph, edges: Iterable[tuple[str, str, str, Mapping[str, Any]]]
) -> None:
    """Add edges known to be new between nodes known to exist, straight into networkx's
    adjacency dicts: what ``add_edge`` does, without its per-call checks, which were a
    fifth of a large ingest. ``add_edges_from`` (used by ``_load``) is the reference;
    the contract tests compare the two graphs after every write."""
    succ, pred = graph._succ, graph._pred
    key_dict, attr_dict = graph.edge_key_dict_factory, graph.edge_attr_dict_factory
    for start, end, key, props in edges:
        keys = succ[start].get(end)
        if keys is None:
            keys = succ[start][end] = pred[end][start] = key_dict()
        attrs = keys[key] = attr_dict()
        attrs.update(props)
    nx._clear_cache(graph)


def _export(db: sqlite3.Connection) -> Iterator[StoredNode | StoredRel]:
    for row in db.execute(f"SELECT {_NODE_COLUMNS} FROM node ORDER BY id"):
        yield _stored_node(*row)
    for start, rel_type, end, props, *book in db.execute(
        'SELECT start, type, "end", props, source, sync_tenant, sync_run, origin, '
        'first_seen, last_seen FROM rel ORDER BY start, type, "end"'
    ):
        yield StoredRel(rel_type, start, end, {**_loads(props), **_bookkeeping(*book)})


def _patch_values(props: Mapping[str, Any]) -> dict[str, Any]:
    """A patch's fields and owner, without the run tag that every re-declaration moves."""
    return {k: v for k, v in props.items() if k.startswith("patch_") and k != "patch_run"}


_MISSING = object()
_NO_EDGES: dict[str, Any] = {}


_NODE_COLUMNS = "id, label, props, source, sync_tenant, sync_run, origin, first_seen, last_seen"


def _chains(origin: Sequence[str]) -> str:
    """A record's page chains as the ``origin`` column holds them (one per line)."""
    return "\n".join(origin)


def _unchains(text: str) -> tuple[str, ...]:
    return tuple(text.split("\n")) if text else ()


def _bookkeeping(
    source: str, sync_tenant: str, sync_run: str, origin: str, first_seen: str, last_seen: str
) -> dict[str, Any]:
    book: dict[str, Any] = {"source": source, "sync_tenant": sync_tenant, "sync_run": sync_run}
    if origin:
        book["sync_origin"] = list(_unchains(origin))
    book["first_seen"] = first_seen
    book["last_seen"] = last_seen
    return book


def _stored_node(node_id: str, label: str, props: str, *book: str) -> StoredNode:
    return StoredNode(label, node_id, {**_loads(props), **_bookkeeping(*book)})
