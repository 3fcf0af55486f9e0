"""A sync run: hand parsed batches to a store, then clean up what their sources stopped reporting.

Every file is parsed and checked before the first write, so a bad file in a
command writes nothing at all. Each file is then one upsert transaction and one
cleanup of its own (source, tenant) scope, limited for a SaaS source to the records
whose page chains the run read to their end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nhigraph.errors import InputError
from nhigraph.graph.store import Batch, Store, SyncRun, WriteSummary, split_batch
from nhigraph.ingest import inventory, vendors
from nhigraph.ingest.paging import Gap, completeness
from nhigraph.ingest.redaction import Fingerprinter
from nhigraph.ingest.source import RawInput, Source, merge_inputs


@dataclass(frozen=True, slots=True)
class FileResult:
    file: str
    summary: WriteSummary


def read_inventories(
    store: Store, paths: Sequence[Path], warnings: list[str] | None = None
) -> list[tuple[str, Batch]]:
    """Parse every file, then resolve references against all the files and the store.

    Enrichments (``enrich``, ``classify``) are matched against what the store holds;
    what matches nothing is appended to ``warnings``.
    """
    parsed = [inventory.parse_file(p) for p in paths]
    defined: dict[str, str] = {}
    defined_in: dict[str, str] = {}
    scopes: dict[tuple[str, str], str] = {}
    for item in parsed:
        key = (item.source, item.name)
        if key in scopes:
            raise InputError(
                item.file,
                "/inventory",
                "inventory",
                f"'{item.name}' is also the name of {scopes[key]}; each file needs its own name",
            )
        scopes[key] = item.file
        for node_id, label in item.ids.items():
            if node_id in defined_in:
                raise InputError(
                    item.file,
                    f"{item.pointer_of(node_id)} (id {node_id})",
                    "id",
                    f"also defined in {defined_in[node_id]}",
                )
            defined_in[node_id] = item.file
            defined[node_id] = label

    def known(ids: Iterable[str]) -> Mapping[str, str]:
        wanted = list(ids)
        found = {i: defined[i] for i in wanted if i in defined}
        found.update(store.labels_of(i for i in wanted if i not in found))
        return found

    def others_than(item: inventory.ParsedInventory) -> Callable[[Iterable[str]], dict[str, str]]:
        """Ids someone other than ``item`` defines: another file, or another store scope."""

        def others(ids: Iterable[str]) -> dict[str, str]:
            found: dict[str, str] = {}
            for node_id in ids:
                if node_id in defined and defined_in[node_id] != item.file:
                    found[node_id] = defined[node_id]
                    continue
                node = store.get_node(node_id)
                owner = None if node is None else (node.props["source"], node.props["sync_tenant"])
                if node is not None and owner != (item.source, item.name):
                    found[node_id] = node.label
            return found

        return others

    index = store.integration_refs(vendors.SOURCE) if any(p.enriches for p in parsed) else None
    batches = [(item.file, item.batch(known, others_than(item), index)) for item in parsed]
    if warnings is not None:
        for item in parsed:
            warnings.extend(item.warnings)
    return batches


@dataclass(slots=True)
class SourceRead:
    """Batches of one source (one per tenant, labelled '<source> <tenant id>'), the scope
    names its catalogue did not know, the page chains not read to their end, and
    warnings (files passed over, records kept without a neighbour)."""

    batches: list[tuple[str, Batch]]
    unclassified: list[str]
    gaps: list[Gap] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_source(
    source: Source, raws: Sequence[RawInput], fingerprinter: Fingerprinter
) -> SourceRead:
    """Transform every input before anything is written; one batch per tenant.

    Inputs that report the same tenant (one folder per endpoint, or pages saved on two
    days) are read together as one set of pages, so a record may name a neighbour on
    another input's pages. Each batch carries what its pages say was read completely.
    """
    read = SourceRead([], [])
    unclassified: set[str] = set()
    for group in _tenant_groups(source, raws, fingerprinter):
        merged = merge_inputs(group)
        result = source.transform(merged, fingerprinter)
        seen, gaps = completeness(source.pagings, merged.pages)
        unclassified.update(result.unclassified)
        read.gaps.extend(gaps)
        read.warnings.extend(merged.notes)
        read.warnings.extend(result.warnings)
        for batch in result.batches:
            batch.seen = seen
            read.batches.append((f"{source.name} {batch.tenant}", batch))
    read.unclassified = sorted(unclassified)
    return read


def _tenant_groups(
    source: Source, raws: Sequence[RawInput], fingerprinter: Fingerprinter
) -> list[list[RawInput]]:
    """``raws`` grouped so that inputs reporting a common tenant are in one group.

    Each input is transformed alone to learn its tenants; when one cannot be read alone
    (its tenant is named only by another input's pages), all are read as one.
    """
    if len(raws) < 2:
        return [list(raws)]
    tenants: list[set[str]] = []
    for raw in raws:
        try:
            tenants.append({b.tenant for b in source.transform(raw, fingerprinter).batches})
        except InputError:
            return [list(raws)]
    groups: list[tuple[set[str], list[RawInput]]] = []
    for raw, found in zip(raws, tenants, strict=True):
        joined = [g for g in groups if g[0] & found]
        merged = (set(found), [r for g in joined for r in g[1]] + [raw])
        for g in joined:
            merged[0].update(g[0])
        groups = [g for g in groups if not g[0] & found] + [merged]
    return [members for _, members in groups]


def write_batches(
    store: Store,
    batches: Sequence[tuple[str, Batch]],
    on_file: Callable[[Batch], None] | None = None,
    max_records: int | None = None,
) -> list[FileResult]:
    """Upsert each batch in its own run, then clean up that batch's scope.

    A batch larger than ``max_records`` is written as several transactions; cleanup
    runs only once they all committed, so a failure part-way deletes nothing and the
    next run completes the write.
    """
    results = []
    for file, batch in batches:
        run = SyncRun.start()
        summary = WriteSummary()
        for part in split_batch(batch, max_records):
            summary = summary + store.upsert(part, run)
        summary = summary + store.cleanup(batch.source, batch.tenant, run, batch.seen)
        results.append(FileResult(file, summary))
        if on_file is not None:
            on_file(batch)
    return results
