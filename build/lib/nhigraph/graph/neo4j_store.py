"""The Neo4j store: the same contract as the embedded store, on a Neo4j 5.26 server.

It is the only code that reads ``queries/``; every query is parameterised and
written with static labels, so each lookup by id is an index seek. A batch is one
write transaction made of ``UNWIND $rows`` chunks, nodes first, then relationships.
Timestamps are native Neo4j datetimes in the database and canonical UTC strings
outside it.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable

from nhigraph import queries
from nhigraph.errors import StoreError
from nhigraph.graph.blast import CredentialFacts, Grant, StoreFacts, facts_from_props
from nhigraph.graph.model import (
    BOOKKEEPING,
    PATCH_BOOKKEEPING,
    PATCH_FIELDS,
    Label,
    RelType,
    format_utc,
)
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
    referenced_ids,
)

_PATCH_KEYS = [f"patch_{f}" for fields in PATCH_FIELDS.values() for f in fields]
_FIXED = ["id", *BOOKKEEPING, *_PATCH_KEYS, *PATCH_BOOKKEEPING]
_DATETIME_BOOKKEEPING = frozenset({"first_seen", "last_seen"})
_LABELS = frozenset(str(label) for label in Label)
_TYPES = frozenset(str(t) for t in RelType)
_REL_BOOK = frozenset(BOOKKEEPING)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _node_query(label: str) -> str:
    return queries.load(f"upsert_{_snake(label)}")


def _rel_query(rel_type: str, end_label: str) -> str:
    if rel_type == RelType.CAN_ACCESS:
        return queries.load(f"upsert_can_access_{_snake(end_label)}")
    return queries.load(f"upsert_{rel_type.lower()}")


def _parse_utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _from_db(props: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in props.items():
        if isinstance(value, neo4j.time.DateTime):
            value = format_utc(value.to_native())
        out[key] = value
    return out


class Neo4jStore:
    """A Neo4j server as the store. Creates the id constraints on connect."""

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        database: str = "neo4j",
        batch_rows: int = 5000,
        tx_timeout: float | None = None,
    ) -> None:
        self.uri = uri
        self.tx_timeout = tx_timeout
        self.database = database
        self.batch_rows = batch_rows
        # Notifications (e.g. "property key does not exist" for optional properties such as
        # patches) are for query authors, not for logs.
        self._driver = GraphDatabase.driver(
            uri, auth=(user, password), notifications_min_severity="OFF"
        )
        self._local = threading.local()  # one reader session per thread (the API's pool)
        self._sessions: list[neo4j.Session] = []
        self._sessions_lock = threading.Lock()
        try:
            self._driver.verify_connectivity()
            with self._session() as session:
                for statement in queries.statements("constraints"):
                    session.run(statement).consume()
        except AuthError:
            self._driver.close()
            raise StoreError(f"Neo4j at {uri}: authentication failed for user {user!r}") from None
        except (ServiceUnavailable, OSError) as exc:
            self._driver.close()
            raise StoreError(f"Neo4j at {uri} is not reachable ({exc})") from None

    def _session(self) -> neo4j.Session:
        return self._driver.session(database=self.database)

    # ------------------------------------------------------------------ reading

    def labels_of(self, ids: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(ids))
        found: dict[str, str] = {}
        with self._session() as session:
            for i in range(0, len(wanted), self.batch_rows):
                for record in session.run(
                    queries.load("labels_by_id"), ids=wanted[i : i + self.batch_rows]
                ):
                    found[record["id"]] = record["label"]
        return found

    def get_node(self, node_id: str) -> StoredNode | None:
        with self._session() as session:
            record = session.run(queries.load("nodes_by_id"), ids=[node_id]).single()
        if record is None:
            return None
        props = _from_db(record["props"])
        props.pop("id", None)
        return StoredNode(record["label"], record["id"], props)

    def get_nodes(self, ids: Iterable[str]) -> dict[str, StoredNode]:
        wanted = list(dict.fromkeys(ids))
        found: dict[str, StoredNode] = {}
        for i in range(0, len(wanted), self.batch_rows):
            for r in self._rows("nodes_by_id", ids=wanted[i : i + self.batch_rows]):
                props = _from_db(r["props"])
                props.pop("id", None)
                found[r["id"]] = StoredNode(r["label"], r["id"], props)
        return found

    def nodes_of(self, label: str) -> list[StoredNode]:
        if label not in _LABELS:
            raise StoreError(f"unknown label {label!r}")
        nodes = []
        for r in self._rows(f"nodes_{_snake(label)}"):
            props = _from_db(r["props"])
            props.pop("id", None)
            nodes.append(StoredNode(label, r["id"], props))
        return nodes

    def neighbours(
        self, rel_type: str, direction: str, ids: Iterable[str]
    ) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        if rel_type not in _TYPES or direction not in ("in", "out"):
            raise StoreError(f"unknown relationship {rel_type!r} / direction {direction!r}")
        wanted = list(dict.fromkeys(ids))
        found: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        name = f"neighbours_{direction}_{rel_type.lower()}"
        for i in range(0, len(wanted), self.batch_rows):
            for r in self._rows(name, ids=wanted[i : i + self.batch_rows]):
                props = {k: v for k, v in _from_db(r["props"]).items() if k not in _REL_BOOK}
                found.setdefault(r["id"], []).append((r["other"], props))
        return {k: sorted(v, key=lambda item: item[0]) for k, v in found.items()}

    def integration_refs(self, derived_source: str) -> list[IntegrationRef]:
        with self._session() as session:
            return [
                IntegrationRef(
                    r["id"],
                    r["name"],
                    r["provider"],
                    r["client_id"],
                    r["publisher"],
                    r["publisher_id"],
                    bool(r["publisher_verified"]),
                    tuple(sorted(r["declared"])),
                )
                for r in session.run(queries.load("integration_refs"), derived=derived_source)
            ]

    def vendor_refs(self) -> list[VendorRef]:
        with self._session() as session:
            return [
                VendorRef(r["id"], r["name"], tuple(r["aliases"] or ()), r["source"])
                for r in session.run(queries.load("vendor_refs"))
            ]

    def stats(self) -> GraphStats:
        with self._session() as session:
            nodes = {r["label"]: r["count"] for r in session.run(queries.load("stats_nodes"))}
            rels = {r["type"]: r["count"] for r in session.run(queries.load("stats_relationships"))}
        return GraphStats(nodes=dict(sorted(nodes.items())), rels=dict(sorted(rels.items())))

    def export(self) -> Iterator[StoredNode | StoredRel]:
        with self._session() as session:
            for record in session.run(queries.load("export_nodes")):
                props = _from_db(record["props"])
                node_id = props.pop("id")
                yield StoredNode(record["label"], node_id, props)
            for record in session.run(queries.load("export_relationships")):
                yield StoredRel(
                    record["type"], record["start"], record["end"], _from_db(record["props"])
                )

    # ------------------------------------------------------------------ engine questions
    # The ReachView of graph.blast: one parameterised query per question, sorted here.

    def _rows(self, name: str, **params: Any) -> list[neo4j.Record]:
        # One session per thread serves every read: a radius asks a dozen small questions,
        # and acquiring a session each time cost as much as answering. Sessions are not
        # thread-safe; the driver is.
        reader: neo4j.Session | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._local.reader = self._session()
            with self._sessions_lock:
                self._sessions.append(reader)
        try:
            return list(reader.run(queries.load(name), params))
        except ServiceUnavailable as exc:
            reader.close()
            self._local.reader = None
            raise StoreError(f"Neo4j at {self.uri} is not reachable ({exc})") from None

    def resolve_start(self, ids: Sequence[str]) -> dict[str, tuple[str, list[str]]]:
        return {
            r["id"]: (r["label"], sorted(r["credentials"]))
            for r in self._rows("blast_resolve", ids=list(ids))
        }

    def credential_facts(self, ids: Collection[str]) -> dict[str, CredentialFacts]:
        facts = {}
        for r in self._rows("blast_credentials", ids=list(ids)):
            props = _from_db(
                {k: r[k] for k in ("status", "created_at", "expires_at", "revoked_at")}
            )
            facts[r["id"]] = facts_from_props(
                r["id"],
                {k: v for k, v in props.items() if v is not None},
                ((i, s) for i, s in r["integrations"]),
                (bool(e) for e in r["principals"]),
            )
        return facts

    def grants(self, credentials: Collection[str]) -> list[Grant]:
        return sorted(
            Grant(r["credential"], r["scope"], r["target"], r["target_label"], r["access"])
            for r in self._rows("blast_grants", ids=list(credentials))
        )

    def tenant_stores(self, tenants: Collection[str]) -> dict[str, list[str]]:
        return {
            r["tenant"]: sorted(r["stores"])
            for r in self._rows("blast_tenant_stores", ids=list(tenants))
        }

    def store_facts(self, stores: Collection[str]) -> dict[str, StoreFacts]:
        return {
            r["id"]: StoreFacts(
                r["id"],
                r["name"],
                r["classification"],
                tuple(sorted(r["tenants"])),
                tuple(sorted(r["stored"])),
            )
            for r in self._rows("blast_stores", ids=list(stores))
        }

    def approved_scopes(self, integration: str) -> list[str]:
        return sorted(r["scope"] for r in self._rows("approved_scopes", id=integration))

    def team_usage(self) -> dict[str, list[str]]:
        rows = self._rows("team_usage")
        return {r["integration"]: sorted(r["teams"]) for r in sorted(rows, key=lambda r: r[0])}

    # ------------------------------------------------------------------ writing

    def upsert(self, batch: Batch, run: SyncRun) -> WriteSummary:
        """Write ``batch`` in one transaction of ``UNWIND`` chunks; all or nothing."""
        ids = {n.id for n in batch.nodes} | referenced_ids(batch)
        known = self.labels_of(ids)
        check_batch(batch, known)
        labels = {**known, **{n.id: n.label for n in batch.nodes}}
        nodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for node in batch.nodes:
            # Timestamps travel as text; the label's upsert query makes them datetimes.
            nodes[node.label].append(
                {"id": node.id, "props": dict(node.props), "origin": list(node.origin) or None}
            )
        rels: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for rel in batch.rels:
            rels[(rel.type, labels[rel.end])].append(
                {
                    "start": rel.start,
                    "end": rel.end,
                    "props": dict(rel.props),
                    "origin": list(rel.origin) or None,
                }
            )
        patches: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for patch in batch.patches:
            patches[patch.label].append({"id": patch.id, "props": dict(patch.props)})
        patch_book = {
            "patch_source": batch.source,
            "patch_tenant": batch.tenant,
            "patch_run": run.id,
        }
        seen = _parse_utc(run.at)
        params: dict[str, Any] = {
            "book": {
                "source": batch.source,
                "sync_tenant": batch.tenant,
                "sync_run": run.id,
                "last_seen": seen,
            },
            "seen": seen,
            "fixed": _FIXED,
        }

        def work(tx: neo4j.Transaction) -> WriteSummary:
            summary = WriteSummary()
            for label in Label:  # nodes first, in a fixed order
                rows = nodes.get(str(label), [])
                for i in range(0, len(rows), self.batch_rows):
                    chunk = rows[i : i + self.batch_rows]
                    rec = tx.run(_node_query(label), {"rows": chunk, **params}).single(strict=True)
                    summary.nodes_added += rec["added"]
                    summary.nodes_updated += rec["updated"]
                    summary.nodes_unchanged += len(chunk) - rec["added"] - rec["updated"]
            for (rel_type, end_label), rows in sorted(rels.items()):
                for i in range(0, len(rows), self.batch_rows):
                    chunk = rows[i : i + self.batch_rows]
                    query = _rel_query(rel_type, end_label)
                    rec = tx.run(query, {"rows": chunk, **params}).single(strict=True)
                    if rec["rows"] != len(chunk):
                        raise StoreError(
                            f"Neo4j at {self.uri}: {len(chunk) - rec['rows']} {rel_type} "
                            "relationships lost an end during the write; nothing was changed"
                        )
                    summary.rels_added += rec["added"]
                    summary.rels_updated += rec["updated"]
                    summary.rels_unchanged += len(chunk) - rec["added"] - rec["updated"]
            for patched, rows in sorted(patches.items()):
                for i in range(0, len(rows), self.batch_rows):
                    chunk = rows[i : i + self.batch_rows]
                    query = queries.load(f"patch_{_snake(patched)}")
                    rec = tx.run(query, {"rows": chunk, "book": patch_book}).single(strict=True)
                    if rec["rows"] != len(chunk):
                        raise StoreError(
                            f"Neo4j at {self.uri}: {len(chunk) - rec['rows']} patched {patched} "
                            "nodes vanished during the write; nothing was changed"
                        )
                    summary.patches_set += rec["updated"]
                    summary.patches_unchanged += len(chunk) - rec["updated"]
            return summary

        return self._write(work)

    def cleanup(
        self, source: str, tenant: str, run: SyncRun, seen: Seen | None = None
    ) -> WriteSummary:
        """Remove what ``source``/``tenant`` reported before ``run`` but not in it (with
        ``seen``, only what was read from page chains the run read whole)."""
        params: dict[str, Any] = {
            "source": source,
            "tenant": tenant,
            "run": run.id,
            "complete": None if seen is None else sorted(seen.complete),
            "whole": True if seen is None else seen.whole,
        }

        def work(tx: neo4j.Transaction) -> WriteSummary:
            rels = tx.run(queries.load("cleanup_relationships"), params).single(strict=True)
            touching = tx.run(queries.load("cleanup_node_relationships"), params).single(
                strict=True
            )
            nodes = tx.run(queries.load("cleanup_nodes"), params).single(strict=True)
            patches = tx.run(queries.load("cleanup_patches"), params).single(strict=True)
            return WriteSummary(
                nodes_removed=nodes["removed"],
                rels_removed=rels["removed"] + touching["removed"],
                patches_removed=patches["removed"],
            )

        return self._write(work)

    def clear(self) -> None:
        """Delete everything (tests, and starting over)."""
        with self._session() as session:
            session.run(queries.load("clear")).consume()

    def _write(self, work: Any) -> WriteSummary:
        """Run ``work`` in one explicit transaction: committed whole, or rolled back."""
        try:
            with (
                self._session() as session,
                session.begin_transaction(timeout=self.tx_timeout) as tx,
            ):
                result: WriteSummary = work(tx)
                tx.commit()
                return result
        except ServiceUnavailable as exc:
            raise StoreError(f"Neo4j at {self.uri} is not reachable ({exc})") from None
        except Neo4jError as exc:
            raise StoreError(
                f"Neo4j at {self.uri} refused the write, nothing was changed: "
                f"{exc.code}: {exc.message}"
            ) from None

    def close(self) -> None:
        with self._sessions_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
        self._driver.close()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
