"""The Neo4j store: the same contract as the embedded store, on a Neo4j 5.26 server.

It is the only code that reads ``queries/``; every query is parameterised and
written with static labels, so each lookup by id is an index seek. A batch is one
write transaction made of ``UNWIND $rows`` chunks, nodes first, then relationships.
Timestamps are native Neo4j datetimes in the database and canonical UTC strings
outside it. Every write transaction ends by moving the generation (one
``NhigraphMeta`` node); ingest runs are ``NhigraphRun`` nodes. Both labels are
bookkeeping: no read of the graph (stats, export, nodes by label) ever returns them.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, DriverError, Neo4jError, ServiceUnavailable

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


def _generation_of(result: neo4j.Result) -> int:
    return int(result.single(strict=True)["generation"])


def _from_db(props: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in props.items():
        if isinstance(value, neo4j.time.DateTime):
            value = format_utc(value.to_native())
        out[key] = value
    return out


P = ParamSpec("P")
R = TypeVar("R")


def _unreachable_as_store_error(read: Callable[P, R]) -> Callable[P, R]:
    """A read that fails because the server is gone, frozen past the driver's timeouts or
    refusing (``ServiceUnavailable``, ``SessionExpired``, a reset socket, a server error)
    raises our ``StoreError``, never the driver's exception."""

    @functools.wraps(read)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return read(*args, **kwargs)
        except (DriverError, OSError) as exc:
            store = args[0]
            raise StoreError(
                f"Neo4j at {getattr(store, 'uri', '?')} is not reachable ({type(exc).__name__})"
            ) from None
        except Neo4jError as exc:
            store = args[0]
            raise StoreError(
                f"Neo4j at {getattr(store, 'uri', '?')} refused a read: {exc.code}"
            ) from None

    return guarded


def _finding_filters(query: FindingQuery) -> dict[str, Any]:
    """The parameters the stored-findings queries filter by."""
    return {
        "open": 0 if query.resolved else 1,
        "severities": list(query.severity_ranks),
        "rules": list(query.rules),
        "integrations": list(query.integrations),
    }


def _integration_row(r: neo4j.Record) -> IntegrationRow:
    return IntegrationRow(r["id"], r["risk"], r["tier"], r["blast_score"], r["due"], r["body"])


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
        connect_timeout: float = 5.0,
    ) -> None:
        self.uri = uri
        self.tx_timeout = tx_timeout
        self.database = database
        self.batch_rows = batch_rows
        # Notifications (e.g. "property key does not exist" for optional properties such as
        # patches) are for query authors, not for logs.
        # A stopped server otherwise costs every call the driver's default 60 s of trying
        # to acquire a connection; a frozen one, 30 s per connection attempt.
        self._driver = GraphDatabase.driver(
            uri,
            auth=(user, password),
            notifications_min_severity="OFF",
            connection_timeout=connect_timeout,
            connection_acquisition_timeout=connect_timeout,
        )
        self._local = threading.local()  # one reader session per thread (the API's pool)
        self._sessions: list[neo4j.Session] = []
        self._sessions_lock = threading.Lock()
        self._seen_generation = 0  # the generation this object last caught up with
        try:
            self._driver.verify_connectivity()
            with self._session() as session:
                for statement in queries.statements("constraints"):
                    session.run(statement).consume()
                record = session.run(queries.load("generation")).single(strict=True)
                self._seen_generation = int(record["generation"])
        except AuthError:
            self._driver.close()
            raise StoreError(f"Neo4j at {uri}: authentication failed for user {user!r}") from None
        except (ServiceUnavailable, OSError) as exc:
            self._driver.close()
            raise StoreError(f"Neo4j at {uri} is not reachable ({exc})") from None

    def _session(self) -> neo4j.Session:
        return self._driver.session(database=self.database)

    # ------------------------------------------------------------------ reading

    @_unreachable_as_store_error
    def generation(self) -> int:
        """The store's generation: every committed write, from any process, moves it."""
        return int(self._rows("generation")[0]["generation"])

    def refresh(self) -> bool:
        """True when a write this object did not make committed since it last caught up.
        Reads are live, so there is nothing to reload."""
        current = self.generation()
        with self._sessions_lock:
            moved = current != self._seen_generation
            self._seen_generation = current
        return moved

    @_unreachable_as_store_error
    def incomplete_runs(self) -> list[RunRecord]:
        """Runs recorded pending with no later complete run of their source and tenant."""
        return [
            RunRecord(r["id"], r["source"], r["tenant"], r["started"], r["finished"], r["state"])
            for r in self._rows("runs_incomplete")
        ]

    @_unreachable_as_store_error
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

    @_unreachable_as_store_error
    def get_node(self, node_id: str) -> StoredNode | None:
        with self._session() as session:
            record = session.run(queries.load("nodes_by_id"), ids=[node_id]).single()
        if record is None:
            return None
        props = _from_db(record["props"])
        props.pop("id", None)
        return StoredNode(record["label"], record["id"], props)

    @_unreachable_as_store_error
    def get_nodes(self, ids: Iterable[str]) -> dict[str, StoredNode]:
        wanted = list(dict.fromkeys(ids))
        found: dict[str, StoredNode] = {}
        for i in range(0, len(wanted), self.batch_rows):
            for r in self._rows("nodes_by_id", ids=wanted[i : i + self.batch_rows]):
                props = _from_db(r["props"])
                props.pop("id", None)
                found[r["id"]] = StoredNode(r["label"], r["id"], props)
        return found

    @_unreachable_as_store_error
    def nodes_of(self, label: str) -> list[StoredNode]:
        if label not in _LABELS:
            raise StoreError(f"unknown label {label!r}")
        nodes = []
        for r in self._rows(f"nodes_{_snake(label)}"):
            props = _from_db(r["props"])
            props.pop("id", None)
            nodes.append(StoredNode(label, r["id"], props))
        return nodes

    @_unreachable_as_store_error
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

    @_unreachable_as_store_error
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

    @_unreachable_as_store_error
    def vendor_refs(self) -> list[VendorRef]:
        with self._session() as session:
            return [
                VendorRef(r["id"], r["name"], tuple(r["aliases"] or ()), r["source"])
                for r in session.run(queries.load("vendor_refs"))
            ]

    @_unreachable_as_store_error
    def stats(self) -> GraphStats:
        with self._session() as session:
            nodes = {r["label"]: r["count"] for r in session.run(queries.load("stats_nodes"))}
            rels = {r["type"]: r["count"] for r in session.run(queries.load("stats_relationships"))}
        return GraphStats(nodes=dict(sorted(nodes.items())), rels=dict(sorted(rels.items())))

    def export(self) -> Iterator[StoredNode | StoredRel]:
        try:
            yield from self._export()
        except (DriverError, OSError, Neo4jError) as exc:
            what = type(exc).__name__
            raise StoreError(f"Neo4j at {self.uri} is not reachable ({what})") from None

    def _export(self) -> Iterator[StoredNode | StoredRel]:
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
        except (DriverError, OSError, Neo4jError) as exc:
            # A broken session is dropped; the next read on this thread opens a new one.
            self._local.reader = None
            with contextlib.suppress(DriverError, OSError, Neo4jError):
                reader.close()
            what = exc.code if isinstance(exc, Neo4jError) else type(exc).__name__
            raise StoreError(f"Neo4j at {self.uri} is not reachable ({what})") from None

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

    def start_run(self, source: str, tenant: str, run: SyncRun) -> None:
        """Record ``run`` of ``source``/``tenant`` as pending, before its first write."""
        params = {"id": run.id, "source": source, "tenant": tenant, "started": run.at}
        self._commit(lambda tx: _generation_of(tx.run(queries.load("run_start"), params)))

    def finish_run(self, source: str, tenant: str, run: SyncRun) -> None:
        """Record ``run`` complete; it supersedes the earlier runs of its scope, whose
        records are forgotten."""
        params = {
            "id": run.id,
            "source": source,
            "tenant": tenant,
            "started": run.at,
            "finished": format_utc(datetime.now(UTC)),
        }
        self._commit(lambda tx: _generation_of(tx.run(queries.load("run_finish"), params)))

    @_unreachable_as_store_error
    def clear(self) -> None:
        """Delete everything (tests, and starting over); the generation moves on."""
        with self._session() as session:
            session.run(queries.load("clear")).consume()
        self._write(lambda tx: WriteSummary())

    def _write(self, work: Callable[[neo4j.Transaction], WriteSummary]) -> WriteSummary:
        """Run ``work`` in one transaction that ends by moving the generation (last, so
        that its lock is held only until the commit): committed whole, or rolled back."""
        result = WriteSummary()

        def then_bump(tx: neo4j.Transaction) -> int:
            nonlocal result
            result = work(tx)
            return _generation_of(tx.run(queries.load("generation_bump")))

        self._commit(then_bump)
        return result

    def _commit(self, work: Callable[[neo4j.Transaction], int]) -> None:
        """Run ``work``, which moves the generation and returns it, in one explicit
        transaction: committed whole, or rolled back."""
        try:
            with (
                self._session() as session,
                session.begin_transaction(timeout=self.tx_timeout) as tx,
            ):
                generation = work(tx)
                tx.commit()
        except (DriverError, OSError) as exc:
            raise StoreError(f"Neo4j at {self.uri} is not reachable ({exc})") from None
        except Neo4jError as exc:
            raise StoreError(
                f"Neo4j at {self.uri} refused the write, nothing was changed: "
                f"{exc.code}: {exc.message}"
            ) from None
        with self._sessions_lock:
            if generation == self._seen_generation + 1:  # nobody else wrote meanwhile
                self._seen_generation = generation

    # ------------------------------------------------------------------ derived: posture
    # Derived nodes (label Derived) and REACHES / ABOUT / OF relationships, beside the
    # graph; never part of stats or export, and the generation does not move for them.
    # A posture is written in transactions of ``batch_rows``: the PostureMeta node goes
    # last, so a reader sees either the previous description or the new one.

    def save_posture(self, rows: PostureRows, now: str) -> None:
        build = rows.meta.get("as_of", now) + "/" + now

        def run(name: str, **params: Any) -> int:
            def work(tx: neo4j.ManagedTransaction) -> int:
                record = tx.run(queries.load(name), params).single()
                return 0 if record is None else int(record[0])

            try:
                with self._session() as session:
                    result: int = session.execute_write(work)
                    return result
            except ServiceUnavailable as exc:
                raise StoreError(f"Neo4j at {self.uri} is not reachable ({exc})") from None
            except Neo4jError as exc:
                raise StoreError(
                    f"Neo4j at {self.uri} refused the posture: {exc.code}: {exc.message}"
                ) from None

        for clear in ("posture_clear_reaches", "posture_clear_nodes"):
            while run(clear, rows=self.batch_rows):
                pass

        def write_all(name: str, rows: list[dict[str, Any]], **extra: Any) -> None:
            for i in range(0, len(rows), self.batch_rows):
                run(name, rows=rows[i : i + self.batch_rows], **extra)

        write_all(
            "posture_integrations_write",
            [
                {"id": r.id, "risk": r.risk, "tier": r.tier, "blast_score": r.blast_score,
                 "due": r.due, "body": r.body}
                for r in rows.integrations
            ],
        )  # fmt: skip
        write_all(
            "posture_reach_write",
            [{"integration": i, "store": s, "access": a, "depth": d} for i, s, a, d in rows.reach],
        )
        write_all(
            "posture_shared_write",
            [{"id": r.id, "excess": r.excess, "body": r.body} for r in rows.shared],
        )
        write_all(
            "posture_findings_write",
            [
                {"id": f.id, "rule": f.rule, "severity_rank": f.severity_rank,
                 "subject": f.subject, "integration": f.integration, "body": f.body}
                for f in rows.findings
            ],
            build=build,
            now=now,
        )  # fmt: skip
        run("posture_findings_resolve", build=build, now=now)
        run("posture_meta_write", meta=dict(rows.meta))

    @_unreachable_as_store_error
    def posture_meta(self) -> dict[str, str] | None:
        found = self._rows("posture_meta")
        if not found:
            return None
        meta = dict(found[0]["meta"])
        meta.pop("key", None)
        return {k: str(v) for k, v in meta.items()}

    @_unreachable_as_store_error
    def posture_findings(self, query: FindingQuery) -> list[StoredFinding]:
        rows = self._rows(
            "posture_findings",
            **_finding_filters(query),
            after=None if query.after is None else list(query.after),
            first=query.first,
            offset=query.offset,
        )
        return [
            StoredFinding(r["id"], r["body"], r["first_seen"], r["last_seen"], r["resolved_at"])
            for r in rows
        ]

    @_unreachable_as_store_error
    def posture_finding_counts(self) -> dict[int, int]:
        return {int(r["rank"]): int(r["count"]) for r in self._rows("posture_finding_counts")}

    @_unreachable_as_store_error
    def posture_findings_count(self, query: FindingQuery) -> int:
        rows = self._rows(
            "posture_findings_count",
            **_finding_filters(query),
        )
        return int(rows[0]["total"])

    @_unreachable_as_store_error
    def posture_integration_page(
        self, order: str, first: int, offset: int, ids: tuple[str, ...], now: str
    ) -> list[tuple[IntegrationRow, int]]:
        if order not in ("risk", "queue"):
            raise StoreError(f"unknown posture order {order!r}")
        rows = self._rows(
            f"posture_integration_page_{order}",
            ids=list(ids),
            now=now,
            first=first,
            offset=offset,
        )
        return [(_integration_row(r), int(r["overdue"])) for r in rows]

    @_unreachable_as_store_error
    def posture_integration_count(self, ids: tuple[str, ...]) -> int:
        return int(self._rows("posture_integration_count", ids=list(ids))[0]["total"])

    @_unreachable_as_store_error
    def posture_integrations(
        self, order: str, first: int, after: tuple[Any, ...] | None = None
    ) -> list[tuple[IntegrationRow, tuple[Any, ...]]]:
        if order not in ("risk", "due"):
            raise StoreError(f"unknown posture order {order!r}")
        # The cursor is the embedded store's (-risk, ...) keyset; Cypher compares risk itself.
        cypher_after: list[Any] | None = None
        if after is not None:
            cypher_after = (
                [-after[0], after[1]]
                if order == "risk"
                else [after[0], -after[1], -after[2], after[3]]
            )
        out = []
        for r in self._rows(f"posture_integrations_by_{order}", after=cypher_after, first=first):
            row = IntegrationRow(
                r["id"], r["risk"], r["tier"], r["blast_score"], r["due"], r["body"]
            )
            cursor: tuple[Any, ...] = (
                (-row.risk, row.id)
                if order == "risk"
                else (row.due, -row.risk, -row.blast_score, row.id)
            )
            out.append((row, cursor))
        return out

    @_unreachable_as_store_error
    def posture_integration(self, integration: str) -> IntegrationRow | None:
        found = self._rows("posture_integration", id=integration)
        if not found:
            return None
        return _integration_row(found[0])

    @_unreachable_as_store_error
    def posture_reach(self, integration: str) -> list[tuple[str, str, int]]:
        return [
            (r["store"], r["access"], int(r["depth"]))
            for r in self._rows("posture_reach", id=integration)
        ]

    @_unreachable_as_store_error
    def posture_shared(self, first: int, after: str | None = None) -> list[SharedRow]:
        return [
            SharedRow(r["id"], int(r["excess"]), r["body"])
            for r in self._rows("posture_shared", after=after or "", first=first)
        ]

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
