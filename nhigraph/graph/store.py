"""The store contract: what every graph store (embedded, Neo4j) does, and the rows it takes.

Stores take plain rows that ingest has already validated against ``graph.model``;
a store re-checks only what it alone can see (references to nodes it holds,
labels at both ends of a relationship). A batch is written in one transaction:
a failed batch leaves the store as it was. Every committed write moves the store's
generation, so a reader in any process can tell that the graph changed; every
ingest run is recorded pending before its first write and complete after its
cleanup, so a reader can tell that a run was interrupted. Nothing here knows about
sources or file formats, and no store ever receives a secret value.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from nhigraph.errors import StoreError
from nhigraph.graph.blast import ReachView
from nhigraph.graph.model import (
    BOOKKEEPING,
    ENDPOINTS,
    PATCH_BOOKKEEPING,
    PATCH_FIELDS,
    Label,
    format_utc,
)

JSONValue = Any  # str | int | float | bool | list[str] as written by model_dump(mode="json")


@dataclass(frozen=True, slots=True)
class NodeRow:
    """One node: its label, id and domain properties (JSON-form values, no None)."""

    label: str
    id: str
    props: Mapping[str, JSONValue]
    # The page chains the node was read from (see Seen); empty for an inventory's.
    origin: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RelRow:
    """One relationship, identified by (type, start, end); props are its domain properties."""

    type: str
    start: str
    end: str
    props: Mapping[str, JSONValue] = field(default_factory=dict)
    origin: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Seen:
    """What one run of a source read completely, which bounds what its cleanup removes.

    ``complete`` holds the page chains read to their end ('<endpoint>', or
    '<endpoint>/<parent>' for an endpoint listed once per parent); ``whole`` says every
    endpoint was read and every chain is complete. A record the run did not report goes
    only when every chain it was read from is in ``complete``; one that names no chain
    (older stores, or catalogue data stores) goes only when the run was whole.
    """

    complete: frozenset[str]
    whole: bool

    def covers(self, origin: Iterable[str]) -> bool:
        chains = tuple(origin)
        return all(c in self.complete for c in chains) if chains else self.whole


@dataclass(frozen=True, slots=True)
class SyncRun:
    """One sync run of a source: a tag written on everything it reports, and when it ran."""

    id: str
    at: str  # canonical UTC timestamp, becomes last_seen (and first_seen of new records)

    @classmethod
    def start(cls, now: datetime | None = None) -> SyncRun:
        moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        return cls(id=f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}", at=format_utc(moment))


@dataclass(slots=True)
class Batch:
    """What one source reported for one tenant (its cleanup scope) in one run.

    ``patches`` are what people declare about nodes other sources own (see
    ``model.PATCH_FIELDS``): each sets the listed fields as ``patch_<field>`` beside
    the owner's values and replaces that node's earlier patch; the owner's re-ingest
    keeps it, and this scope's cleanup removes it once it is no longer declared.
    """

    source: str
    tenant: str
    nodes: list[NodeRow] = field(default_factory=list)
    rels: list[RelRow] = field(default_factory=list)
    patches: list[NodeRow] = field(default_factory=list)
    # What the run read completely; None when the batch is a whole file (inventories).
    seen: Seen | None = None


@dataclass(slots=True)
class WriteSummary:
    """Counts of what a write did. 'updated' means domain properties changed."""

    nodes_added: int = 0
    nodes_updated: int = 0
    nodes_unchanged: int = 0
    nodes_removed: int = 0
    rels_added: int = 0
    rels_updated: int = 0
    rels_unchanged: int = 0
    rels_removed: int = 0
    patches_set: int = 0  # a patch new or changed
    patches_unchanged: int = 0
    patches_removed: int = 0

    def __add__(self, other: WriteSummary) -> WriteSummary:
        return WriteSummary(**{k: getattr(self, k) + getattr(other, k) for k in self.__slots__})

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(frozen=True, slots=True)
class StoredNode:
    label: str
    id: str
    props: dict[str, JSONValue]  # domain properties and bookkeeping


@dataclass(frozen=True, slots=True)
class StoredRel:
    type: str
    start: str
    end: str
    props: dict[str, JSONValue]


@dataclass(frozen=True, slots=True)
class IntegrationRef:
    """What joins an integration to the inventory and to its vendor: ids, names, hints."""

    id: str
    name: str
    provider: str | None
    client_id: str | None
    publisher: str | None
    publisher_id: str | None
    publisher_verified: bool
    declared_vendors: tuple[str, ...]  # PROVIDES from any source but the derived one, sorted


@dataclass(frozen=True, slots=True)
class VendorRef:
    id: str
    name: str
    aliases: tuple[str, ...]
    source: str


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One ingest run of a (source, tenant) scope as the store records it: ``pending``
    from before its first write until its cleanup committed, then ``complete``."""

    id: str
    source: str
    tenant: str
    started: str  # the run's timestamp (SyncRun.at)
    finished: str | None
    state: str

    def to_dict(self) -> dict[str, str | None]:
        return {
            "id": self.id,
            "source": self.source,
            "tenant": self.tenant,
            "started": self.started,
            "finished": self.finished,
            "state": self.state,
        }


@dataclass(frozen=True, slots=True)
class GraphStats:
    nodes: dict[str, int]
    rels: dict[str, int]

    @property
    def total_nodes(self) -> int:
        return sum(self.nodes.values())

    @property
    def total_rels(self) -> int:
        return sum(self.rels.values())


# --------------------------------------------------------------------------- derived rows
# What a posture build writes beside the graph (posture/build.py). Stores keep these
# rows, index the fields that filter and order them, and page them; the bodies are JSON
# they never look into.


@dataclass(frozen=True, slots=True)
class FindingRow:
    id: str
    rule: str
    severity_rank: int
    subject: str
    integration: str | None
    body: str  # Finding.to_dict() as JSON


@dataclass(frozen=True, slots=True)
class IntegrationRow:
    """One integration's derived record: risk, review due date, reach summary."""

    id: str
    risk: float
    tier: str
    blast_score: float
    due: str  # when its next review is due (the queue orders by it)
    body: str  # {"risk": ..., "review": ..., "reach": ...} as JSON


@dataclass(frozen=True, slots=True)
class SharedRow:
    id: str
    excess: int  # how many stores are beyond the approval
    body: str  # {"teams", "effective_score", "approved_score", "excess"} as JSON


@dataclass(slots=True)
class PostureRows:
    """A whole posture as rows, ready for ``Store.save_posture`` (built by ``posture.build``)."""

    meta: dict[str, str]
    findings: list[FindingRow] = field(default_factory=list)
    integrations: list[IntegrationRow] = field(default_factory=list)
    reach: list[tuple[str, str, str, int]] = field(default_factory=list)  # REACHES rows
    shared: list[SharedRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """A finding as kept, with its history."""

    id: str
    body: str
    first_seen: str
    last_seen: str
    resolved_at: str | None


@dataclass(frozen=True, slots=True)
class FindingQuery:
    """Which stored findings to read: filters, and a page: a keyset (``after`` is the last
    row's (severity rank, rule, subject, integration or '', id) of the previous page) or
    an ``offset``."""

    severity_ranks: tuple[int, ...] = ()
    rules: tuple[str, ...] = ()
    integrations: tuple[str, ...] = ()
    resolved: bool = False  # True: the resolved ones instead of the open ones
    first: int = 100
    after: tuple[int, str, str, str, str] | None = None
    offset: int = 0


class Store(ReachView, Protocol):
    """The contract both stores pass (tests/test_store_contract.py), and the set
    questions the blast-radius engine asks (``graph.blast.ReachView``)."""

    def upsert(self, batch: Batch, run: SyncRun) -> WriteSummary:
        """Write a batch in one transaction; on any error the store is unchanged."""
        ...

    def cleanup(
        self, source: str, tenant: str, run: SyncRun, seen: Seen | None = None
    ) -> WriteSummary:
        """Remove what ``source`` reported for ``tenant`` before, but not in, ``run``;
        with ``seen``, only records every page chain of which the run read whole."""
        ...

    def start_run(self, source: str, tenant: str, run: SyncRun) -> None:
        """Record ``run`` of the scope pending, in a transaction of its own, before its
        first write."""
        ...

    def finish_run(self, source: str, tenant: str, run: SyncRun) -> None:
        """Record ``run`` complete (after its cleanup); it supersedes the scope's earlier
        runs, pending or not."""
        ...

    def incomplete_runs(self) -> list[RunRecord]:
        """Runs recorded pending whose scope has no later complete run: interrupted, or
        still writing. Their records may be half written until the scope is ingested
        again. Ordered by start."""
        ...

    def generation(self) -> int:
        """A number every committed write moves (from any process or thread); one cheap
        read. Cache what is derived from the graph against it."""
        ...

    def refresh(self) -> bool:
        """Catch up with writes made through other store objects (other processes) since
        this one last did; True when there were any. The embedded store reloads its
        in-memory graph; Neo4j reads live, so it only reports the move."""
        ...

    def labels_of(self, ids: Iterable[str]) -> dict[str, str]:
        """The label of each of ``ids`` that the store holds."""
        ...

    def get_node(self, node_id: str) -> StoredNode | None: ...

    def get_nodes(self, ids: Iterable[str]) -> dict[str, StoredNode]:
        """The nodes of ``ids`` the store holds (missing ids are absent)."""
        ...

    def nodes_of(self, label: str) -> list[StoredNode]:
        """Every node with ``label``, ordered by id."""
        ...

    def neighbours(
        self, rel_type: str, direction: str, ids: Iterable[str]
    ) -> dict[str, list[tuple[str, dict[str, JSONValue]]]]:
        """For each of ``ids``, the nodes joined to it by ``rel_type`` — ``direction`` 'out'
        (it is the start) or 'in' (it is the end) — with the relationship's domain
        properties, ordered by the other node's id; ids without any are absent."""
        ...

    def integration_refs(self, derived_source: str) -> list[IntegrationRef]:
        """Every integration (by id) with its join keys; ``declared_vendors`` leaves out
        PROVIDES relationships written by ``derived_source`` (the vendor linker)."""
        ...

    def vendor_refs(self) -> list[VendorRef]:
        """Every vendor (by id) with its names."""
        ...

    def stats(self) -> GraphStats: ...

    def export(self) -> Iterator[StoredNode | StoredRel]:
        """Every node (ordered by id), then every relationship (by start, type, end)."""
        ...

    # ---------------------------------------------------------------- derived: posture

    def save_posture(self, rows: PostureRows, now: str) -> None:
        """Replace the stored posture with ``rows`` in one transaction. Findings keep their
        history: one seen again keeps its first_seen; one no longer found is resolved at
        ``now``. Derived writes do not move the graph's generation."""
        ...

    def posture_meta(self) -> dict[str, str] | None:
        """What the stored posture was built from (as_of, generation, ...), or None."""
        ...

    def posture_findings(self, query: FindingQuery) -> list[StoredFinding]:
        """A page of stored findings in (severity, rule, subject, integration, id) order."""
        ...

    def posture_finding_counts(self) -> dict[int, int]:
        """Open findings per severity rank."""
        ...

    def posture_findings_count(self, query: FindingQuery) -> int:
        """How many stored findings ``query`` selects (its page aside)."""
        ...

    def posture_integration_page(
        self, order: str, first: int, offset: int, ids: tuple[str, ...], now: str
    ) -> list[tuple[IntegrationRow, int]]:
        """A page of integration records with their days overdue at ``now``: ``order``
        'risk' (highest first, then id) or 'queue' (most days overdue, then highest risk,
        blast score, id); ``ids`` (empty: all) filters."""
        ...

    def posture_integration_count(self, ids: tuple[str, ...]) -> int: ...

    def posture_integrations(
        self, order: str, first: int, after: tuple[Any, ...] | None = None
    ) -> list[tuple[IntegrationRow, tuple[Any, ...]]]:
        """A page of integration records, each with its keyset cursor: ``order`` 'risk'
        (highest first, then id) or 'due' (earliest due, then highest risk, blast score,
        id)."""
        ...

    def posture_integration(self, integration: str) -> IntegrationRow | None: ...

    def posture_reach(self, integration: str) -> list[tuple[str, str, int]]:
        """(store, access, depth) the integration REACHES, by store."""
        ...

    def posture_shared(self, first: int, after: str | None = None) -> list[SharedRow]:
        """A page of shared connectors by id."""
        ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------- shared checks


def check_batch(batch: Batch, known_labels: Mapping[str, str]) -> None:
    """Refuse a batch whose rows are inconsistent, before anything is written.

    ``known_labels`` maps ids the store already holds (that the batch refers to)
    to their labels. Checks: valid labels and types, no id twice in the batch, no
    node changing label, every relationship endpoint present with a label its
    type allows, no relationship twice.
    """
    labels: dict[str, str] = {}
    valid_labels = {str(lbl) for lbl in Label}
    for i, node in enumerate(batch.nodes):
        if node.label not in valid_labels:
            raise StoreError(f"batch node {i} ({node.id}): unknown label {node.label!r}")
        _check_props(node.props, f"batch node {i} ({node.id})")
        if node.id in labels:
            raise StoreError(f"batch node {i}: id {node.id!r} appears twice in the batch")
        old = known_labels.get(node.id)
        if old is not None and old != node.label:
            raise StoreError(
                f"batch node {i}: {node.id!r} is a {old} in the store, cannot become {node.label}"
            )
        labels[node.id] = node.label
    seen: set[tuple[str, str, str]] = set()
    for i, rel in enumerate(batch.rels):  # the hot loop of a large ingest: plain dicts only
        ends = _ENDPOINT_NAMES.get(rel.type)
        if ends is None:
            raise StoreError(f"batch relationship {i}: unknown type {rel.type!r}")
        if rel.props:
            _check_props(rel.props, f"batch relationship {i}")
        key = (rel.type, rel.start, rel.end)
        if key in seen:
            raise StoreError(f"batch relationship {i}: {rel.type} {rel.start} -> {rel.end} twice")
        seen.add(key)
        start_label = labels.get(rel.start) or known_labels.get(rel.start)
        end_label = labels.get(rel.end) or known_labels.get(rel.end)
        if start_label not in ends[0] or end_label not in ends[1]:
            _refuse_endpoint(i, rel, start_label, end_label, ends)
    patched: set[str] = set()
    for i, patch in enumerate(batch.patches):
        where = f"batch patch {i} ({patch.id})"
        allowed = PATCH_FIELDS.get(Label(patch.label)) if patch.label in valid_labels else None
        if allowed is None:
            raise StoreError(f"{where}: {patch.label} nodes take no patches")
        _check_props(patch.props, where)
        extra = sorted(set(patch.props) - set(allowed))
        if extra:
            raise StoreError(f"{where}: {', '.join(extra)} cannot be patched on a {patch.label}")
        if patch.id in patched:
            raise StoreError(f"{where}: the node is patched twice in the batch")
        patched.add(patch.id)
        label = labels.get(patch.id) or known_labels.get(patch.id)
        if label != patch.label:
            found = "not in the batch or the store" if label is None else f"a {label}"
            raise StoreError(f"{where}: the node is {found}, not a {patch.label}")


_ENDPOINT_NAMES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    str(t): (frozenset(map(str, s)), frozenset(map(str, e))) for t, (s, e) in ENDPOINTS.items()
}


def _refuse_endpoint(
    i: int,
    rel: RelRow,
    start_label: str | None,
    end_label: str | None,
    ends: tuple[frozenset[str], frozenset[str]],
) -> None:
    for end_name, node_id, label, allowed in (
        ("start", rel.start, start_label, ends[0]),
        ("end", rel.end, end_label, ends[1]),
    ):
        if label is None:
            raise StoreError(
                f"batch relationship {i}: {rel.type} {end_name} {node_id!r} is not in the "
                "batch or the store"
            )
        if label not in allowed:
            raise StoreError(
                f"batch relationship {i}: {rel.type} cannot {end_name} at a {label} ({node_id!r})"
            )


_SCALARS = (str, bool, int, float)


def _check_props(props: Mapping[str, JSONValue], where: str) -> None:
    """Property values both stores keep alike: scalars, or lists of strings."""
    for key, value in props.items():
        if key in BOOKKEEPING or key in ("id", "label") or key.startswith("patch_"):
            raise StoreError(f"{where}: property {key!r} is reserved for the store")
        if isinstance(value, _SCALARS):
            continue
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            continue
        raise StoreError(
            f"{where}: property {key!r} must be a string, number, boolean or list of strings"
        )


def split_batch(batch: Batch, max_records: int | None) -> list[Batch]:
    """``batch`` as consecutive parts of at most ``max_records`` records, nodes first.

    Written in order, every relationship's ends are in an earlier or the same part, or
    already in the store, so each part is a valid batch of its own.
    """
    records = len(batch.nodes) + len(batch.rels)
    if max_records is None or records <= max_records:
        return [batch]
    parts = []
    for start in range(0, records, max_records):
        end = start + max_records
        nodes = batch.nodes[start:end] if start < len(batch.nodes) else []
        rel_start = max(0, start - len(batch.nodes))
        rels = batch.rels[rel_start : max(0, end - len(batch.nodes))]
        parts.append(Batch(batch.source, batch.tenant, nodes, rels, seen=batch.seen))
    parts[-1].patches = list(batch.patches)  # after every node they may refer to
    return parts


def referenced_ids(batch: Batch) -> set[str]:
    """Ids the batch's relationships point at that the batch itself does not define."""
    own = {n.id for n in batch.nodes}
    refs: set[str] = set()
    for rel in batch.rels:
        if rel.start not in own:
            refs.add(rel.start)
        if rel.end not in own:
            refs.add(rel.end)
    refs.update(p.id for p in batch.patches if p.id not in own)
    return refs


def patch_props(props: Mapping[str, JSONValue], book: Mapping[str, str]) -> dict[str, JSONValue]:
    """The node properties a patch stores: ``patch_<field>`` for each field it sets, and
    its bookkeeping (``patch_source``, ``patch_tenant``, ``patch_run``)."""
    out: dict[str, JSONValue] = {f"patch_{k}": v for k, v in props.items()}
    out.update({k: book[k] for k in PATCH_BOOKKEEPING})
    return out


def without_patch(props: Mapping[str, JSONValue]) -> dict[str, JSONValue]:
    return {k: v for k, v in props.items() if not k.startswith("patch_")}


def only_patch(props: Mapping[str, JSONValue]) -> dict[str, JSONValue]:
    return {k: v for k, v in props.items() if k.startswith("patch_")}
