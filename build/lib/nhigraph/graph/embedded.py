"""The embedded store: the graph in memory as a networkx MultiDiGraph, persisted in SQLite.

SQLite is the durable copy (domain properties plus bookkeeping: source, sync tags,
first_seen, last_seen); the networkx graph holds the domain view the engine reads:
node attributes are ``label`` plus domain properties, each edge is keyed by its
relationship type and carries its domain properties. A write goes to SQLite in one
transaction first and reaches the in-memory graph only after it commits, so a
failed batch leaves both as they were. One process owns a file at a time.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from nhigraph.errors import StoreError
from nhigraph.graph.blast import CredentialFacts, Grant, StoreFacts, facts_from_props
from nhigraph.graph.store import (
    Batch,
    GraphStats,
    IntegrationRef,
    Seen,
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
"""

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


class EmbeddedStore:
    """networkx in memory, SQLite on disk. Use ``":memory:"`` for a throwaway store."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.executescript(_SCHEMA)
            for table, column, statement in _MIGRATIONS:
                columns = {r[1] for r in self._db.execute(f"PRAGMA table_info({table})")}
                if column not in columns:
                    self._db.execute(statement)
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not an nhigraph store ({exc})") from None
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        elif row[0] != SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: store schema {row[0]}, this nhigraph reads {SCHEMA_VERSION}"
            )
        self._graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self._store_facts: dict[str, StoreFacts] = {}
        # Readers in several threads (the API) share the connection one query at a time.
        self._read_lock = threading.Lock()
        self._load()

    # ------------------------------------------------------------------ reading

    def _load(self) -> None:
        self._store_facts = {}
        graph = nx.MultiDiGraph()
        for node_id, label, props in self._db.execute("SELECT id, label, props FROM node"):
            graph.add_node(node_id, label=label, **_loads(props))
        graph.add_edges_from(
            (start, end, rel_type, _loads(props))
            for start, rel_type, end, props in self._db.execute(
                'SELECT start, type, "end", props FROM rel'
            )
        )
        self._graph = graph

    @property
    def graph(self) -> nx.MultiDiGraph:
        """A read-only view of the domain graph, for the engine."""
        return self._graph.copy(as_view=True)

    def labels_of(self, ids: Iterable[str]) -> dict[str, str]:
        nodes = self._graph.nodes
        return {i: nodes[i]["label"] for i in ids if i in nodes}

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
            with self._read_lock:
                rows = self._db.execute(
                    f"SELECT {_NODE_COLUMNS} FROM node WHERE id IN ({marks})", chunk
                ).fetchall()
            for row in rows:
                found[row[0]] = _stored_node(*row)
        return found

    def nodes_of(self, label: str) -> list[StoredNode]:
        with self._read_lock:
            rows = self._db.execute(
                f"SELECT {_NODE_COLUMNS} FROM node WHERE label = ? ORDER BY id", (label,)
            ).fetchall()
        return [_stored_node(*row) for row in rows]

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

    def vendor_refs(self) -> list[VendorRef]:
        sources = dict(self._db.execute("SELECT id, source FROM node WHERE label = 'Vendor'"))
        return [
            VendorRef(node_id, attrs["name"], tuple(attrs.get("aliases", ())), sources[node_id])
            for node_id, attrs in sorted(self._graph.nodes(data=True))
            if attrs["label"] == "Vendor"
        ]

    def stats(self) -> GraphStats:
        nodes = Counter(label for _, label in self._graph.nodes(data="label"))
        rels = Counter(key for _, _, key in self._graph.edges(keys=True))
        return GraphStats(nodes=dict(sorted(nodes.items())), rels=dict(sorted(rels.items())))

    def export(self) -> Iterator[StoredNode | StoredRel]:
        for node_id, *rest in self._db.execute(f"SELECT {_NODE_COLUMNS} FROM node ORDER BY id"):
            yield _stored_node(node_id, *rest)
        for start, rel_type, end, props, *book in self._db.execute(
            'SELECT start, type, "end", props, source, sync_tenant, sync_run, origin, '
            'first_seen, last_seen FROM rel ORDER BY start, type, "end"'
        ):
            yield StoredRel(rel_type, start, end, {**_loads(props), **_bookkeeping(*book)})

    # ------------------------------------------------------------------ engine questions
    # The ReachView of graph.blast over the in-memory graph: plain dict walks, sorted.

    def _out(self, node: str, rel_type: str) -> list[str]:
        return sorted(n for n, keys in self._graph._succ[node].items() if rel_type in keys)

    def _in(self, node: str, rel_type: str) -> list[str]:
        return sorted(n for n, keys in self._graph._pred[node].items() if rel_type in keys)

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

    def tenant_stores(self, tenants: Collection[str]) -> dict[str, list[str]]:
        return {t: self._out(t, "CONTAINS") for t in tenants if t in self._graph}

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

    def approved_scopes(self, integration: str) -> list[str]:
        return self._out(integration, "APPROVED_FOR") if integration in self._graph else []

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

    def clear(self) -> None:
        """Delete everything (tests, and starting over)."""
        self._write(
            lambda db: (
                db.execute("DELETE FROM rel"),
                db.execute("DELETE FROM node"),
                db.execute("DELETE FROM patch"),
            )
        )
        self._graph = nx.MultiDiGraph()

    def _write(self, work: Any) -> None:
        self._store_facts = {}  # the graph is about to change
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            work(db)
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise StoreError(f"{self.path}: write failed, nothing was changed ({exc})") from None
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def close(self) -> None:
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
