"""A sync run: hand parsed batches to a store, then clean up what their sources stopped reporting.

Every file is parsed and checked before the first write, so a bad file in a
command writes nothing at all. Each file is then one upsert transaction and one
cleanup of its own (source, tenant) scope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from nhigraph.errors import InputError
from nhigraph.graph.store import Batch, Store, SyncRun, WriteSummary, split_batch
from nhigraph.ingest import inventory


@dataclass(frozen=True, slots=True)
class FileResult:
    file: str
    summary: WriteSummary


def read_inventories(store: Store, paths: Sequence[Path]) -> list[tuple[str, Batch]]:
    """Parse every file, then resolve references against all the files and the store."""
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

    return [(item.file, item.batch(known, others_than(item))) for item in parsed]


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
        summary = summary + store.cleanup(batch.source, batch.tenant, run)
        results.append(FileResult(file, summary))
        if on_file is not None:
            on_file(batch)
    return results
