"""Commands that write or dump the graph: ingest, collect, sources, stats, export,
generate, schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from nhigraph.cli.app import app, count, err, open_for_read, out, quiet, state, working
from nhigraph.errors import ConfigError, InputError, NhigraphError
from nhigraph.graph.connect import open_store
from nhigraph.graph.model import graph_json_schema
from nhigraph.graph.policy import load_policy
from nhigraph.graph.store import Batch, Store, StoredNode, SyncRun, WriteSummary
from nhigraph.ingest.sources import NAMES as SOURCE_NAMES
from nhigraph.settings import Settings, StoreKind


def _summary_table(rows: list[tuple[str, WriteSummary]]) -> Table:
    table = Table(title="ingest", title_justify="left")
    table.add_column("file", overflow="fold")
    table.add_column("records")
    for head in ("added", "updated", "unchanged", "removed"):
        table.add_column(head, justify="right")
    for file, s in rows:
        table.add_row(
            file,
            "nodes",
            *map(str, (s.nodes_added, s.nodes_updated, s.nodes_unchanged, s.nodes_removed)),
        )
        table.add_row(
            "",
            "relationships",
            *map(str, (s.rels_added, s.rels_updated, s.rels_unchanged, s.rels_removed)),
        )
        if s.patches_set or s.patches_unchanged or s.patches_removed:
            table.add_row(
                "",
                "patches",
                *map(str, (s.patches_set, "", s.patches_unchanged, s.patches_removed)),
            )
    return table


#: ingest's and collect's option to leave the stored posture for later.
NoPosture = Annotated[
    bool,
    typer.Option(
        "--no-posture",
        help="do not update the stored posture (findings, risk, reviews) after writing; "
        "`nhigraph posture build` does it later",
    ),
]


@app.command()
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="inventory files (.yaml .yml .json .csv), or with --source the saved API "
            "responses: a file or a folder of pages"
        ),
    ],
    source: Annotated[
        str | None,
        typer.Option(help="the SaaS source the pages come from: " + ", ".join(SOURCE_NAMES)),
    ] = None,
    tenant: Annotated[
        str | None,
        typer.Option(help="with --source: the tenant, when the pages do not name it"),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="with --source: refuse pages that say more pages follow which were not "
            "saved (by default what they hold is written and nothing of theirs is removed)",
        ),
    ] = False,
    no_posture: NoPosture = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Ingest inventories or saved SaaS responses; each file or tenant is one transaction,
    then its stale records go (for saved pages, only what page sets read to their end
    stopped reporting), then integrations are tied to vendors."""
    from nhigraph.ingest.redaction import load_fingerprinter
    from nhigraph.ingest.source import read_saved
    from nhigraph.ingest.sources import get_source
    from nhigraph.ingest.sync import read_inventories, read_source

    settings = state.settings()
    if source is None and tenant is not None:
        raise ConfigError("--tenant goes with --source")
    store = open_store(settings)
    try:
        warnings: list[str] = []
        unclassified: list[str] = []
        incomplete: list[str] = []
        if source is None:
            if strict:
                raise ConfigError("--strict goes with --source")
            batches = read_inventories(store, paths, warnings)
        else:
            kind = get_source(source)
            raws = [read_saved(kind, path, tenant) for path in paths]
            read = read_source(kind, raws, load_fingerprinter(settings))
            _refuse_gaps(read, strict)
            batches, unclassified = read.batches, read.unclassified
            warnings, incomplete = read.warnings, [str(g) for g in read.gaps]
        _write_and_report(
            store, settings, batches, unclassified, warnings, as_json, incomplete, not no_posture
        )
    finally:
        store.close()


@app.command()
def sources(
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """The SaaS sources: what --tenant means for each, the endpoints they read, the
    permission each needs, and the names saved pages take."""
    from nhigraph.ingest.sources import all_sources

    known = all_sources()
    if as_json:
        out.print_json(json.dumps([
            {"name": s.name, "provider": s.provider, "title": s.title, "tenant": s.tenant_help,
             "endpoints": [{"name": e.name, "call": e.path, "permission": e.permission,
                            "saved_as": f"{e.name}[.*].{e.format}"} for e in s.endpoints]}
            for s in known
        ]))  # fmt: skip
        return
    for source in known:
        table = Table(
            title=f"{source.name}: {source.title}",
            title_justify="left",
            caption=f"--tenant: {source.tenant_help}",
            caption_justify="left",
        )
        for head in ("saved as", "call", "needs"):
            table.add_column(head, overflow="fold")
        for e in source.endpoints:
            table.add_row(f"{e.name}[.*].{e.format}", e.path, e.permission)
        out.print(table)


@app.command()
def collect(
    source: Annotated[str, typer.Argument(help="one of: " + ", ".join(SOURCE_NAMES))],
    tenant: Annotated[
        str | None,
        typer.Option(help="the tenant to collect (org, domain, account); see docs/sources/"),
    ] = None,
    save: Annotated[
        Path | None,
        typer.Option(help="also keep the raw pages in this folder (ingest --source reads it)"),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="refuse pages that say more follow but were not read"),
    ] = False,
    no_posture: NoPosture = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Collect a source live from its admin API and ingest it. If the API is unavailable,
    nothing is written and nothing is removed."""
    from nhigraph.ingest.redaction import load_fingerprinter
    from nhigraph.ingest.source import FetchContext, save_pages
    from nhigraph.ingest.sources import collect as fetch_source
    from nhigraph.ingest.sources import get_source
    from nhigraph.ingest.sync import read_source

    settings = state.settings()
    kind = get_source(source)
    with err.status(f"collecting {source}", spinner="dots") if err.is_terminal else quiet():
        raw, why = fetch_source(kind, FetchContext(settings, tenant))
    if raw is None:
        raise NhigraphError(f"{why}; {source} is unavailable: nothing was written or removed")
    if save is not None:
        written = save_pages(raw, save)
        err.print(f"saved {len(written)} pages under {save}")
    read = read_source(kind, [raw], load_fingerprinter(settings))
    _refuse_gaps(read, strict)
    store = open_store(settings)
    try:
        incomplete = [str(g) for g in read.gaps]
        _write_and_report(
            store,
            settings,
            read.batches,
            read.unclassified,
            read.warnings,
            as_json,
            incomplete,
            not no_posture,
        )
    finally:
        store.close()


def _refuse_gaps(read: Any, strict: bool) -> None:
    """With --strict, page sets not read to their end are an error before any write."""
    if strict and read.gaps:
        gap = read.gaps[0]
        more = f" (and {len(read.gaps) - 1} more)" if len(read.gaps) > 1 else ""
        raise InputError(gap.file, "/", None, f"{gap.why}{more}; nothing was written (--strict)")


def _write_and_report(
    store: Store,
    settings: Settings,
    batches: list[tuple[str, Batch]],
    unclassified: list[str],
    warnings: list[str],
    as_json: bool,
    incomplete: list[str] | None = None,
    posture: bool = True,
) -> None:
    from nhigraph.ingest import vendors
    from nhigraph.ingest.sync import write_batches
    from nhigraph.posture import stored

    # Every file can make the vendor links stale: their run is pending from the first write.
    link_run = SyncRun.start()
    store.start_run(vendors.SOURCE, vendors.TENANT, link_run)
    # Neo4j holds a transaction in its heap: large files go in parts (see write_batches).
    max_records = settings.neo4j_tx_records if settings.store == StoreKind.NEO4J else None
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=as_json or not err.is_terminal,
    ) as progress:
        records = sum(len(b.nodes) + len(b.rels) + len(b.patches) for _, b in batches)
        task = progress.add_task("writing", total=records)
        results = write_batches(
            store,
            batches,
            on_file=lambda b: progress.advance(task, len(b.nodes) + len(b.rels) + len(b.patches)),
            max_records=max_records,
        )
        links, linked = vendors.link_vendors(store, link_run)
    status = None
    if posture:
        with working("updating the stored posture (findings, risk, reviews)"):
            status = stored.rebuild(store, load_policy(settings.policy))
    rows = [(r.file, r.summary) for r in results]
    if as_json:
        report = {
            "files": {file: summary.as_dict() for file, summary in rows},
            "vendor_links": {
                "integrations": links.linked,
                "vendors_created": links.created,
                **linked.as_dict(),
            },
            "unclassified_scopes": unclassified,
            "incomplete": incomplete or [],
            "warnings": warnings,
            "posture": None if status is None else status.to_dict(),
        }
        out.print_json(json.dumps(report))
        return
    out.print(_summary_table(rows))
    out.print(
        f"vendors: {count(links.linked, 'integration')} tied to a vendor by publisher hints "
        f"({count(links.created, 'vendor')} known only from hints; "
        f"{count(linked.rels_added, 'link')} added, {linked.rels_removed} removed)"
    )
    if unclassified:
        shown = ", ".join(unclassified[:10]) + (" ..." if len(unclassified) > 10 else "")
        verb = "is" if len(unclassified) == 1 else "are"
        out.print(
            Text(f"{count(len(unclassified), 'scope')} {verb} not in the catalogue", style="yellow")
            + Text(f" (stored as write, reaching their tenant): {shown}")
        )
    if status is not None:
        err.print(
            f"posture updated: {count(status.findings, 'finding')} over "
            f"{count(status.integrations, 'integration')}"
        )
    for gap in incomplete or []:
        err.print(f"warning: incomplete: {gap}")
    for warning in warnings:
        err.print(f"warning: {warning}")


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Count nodes per label and relationships per type, and name the ingest runs that
    have not completed."""
    from nhigraph.graph.runs import describe

    store = open_for_read(allow_empty=True)
    try:
        result = store.stats()
        incomplete = store.incomplete_runs()
    finally:
        store.close()
    if as_json:
        runs = [r.to_dict() for r in incomplete]
        counts = {"nodes": result.nodes, "relationships": result.rels}
        out.print_json(json.dumps({**counts, "incomplete_runs": runs}))
        return
    table = Table(title="graph", title_justify="left")
    table.add_column("kind")
    table.add_column("name")
    table.add_column("count", justify="right")
    for label, n in result.nodes.items():
        table.add_row("node", label, str(n))
    for rel_type, n in result.rels.items():
        table.add_row("relationship", rel_type, str(n))
    table.add_row("total", "nodes", str(result.total_nodes), style="bold")
    table.add_row("total", "relationships", str(result.total_rels), style="bold")
    out.print(table)
    for run in incomplete:
        out.print(Text("incomplete:", style="yellow") + Text(f" {describe(run)}"))


@app.command()
def export(
    fmt: Annotated[str, typer.Option("--format", help="json")] = "json",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="file; default stdout")
    ] = None,
) -> None:
    """Write the whole graph (nodes by id, then relationships) as JSON."""
    if fmt != "json":
        raise ConfigError(f"export format {fmt!r} is not supported (use json)")
    store = open_for_read(allow_empty=True)
    try:
        stream = output.open("w", encoding="utf-8") if output else sys.stdout
        try:
            _write_export(store, stream)
        finally:
            if output:
                stream.close()
    finally:
        store.close()


def _write_export(store: Store, stream: Any) -> None:
    stream.write('{"nodes": [')
    first, in_rels = True, False
    for item in store.export():
        if isinstance(item, StoredNode):
            record: dict[str, Any] = {"id": item.id, "label": item.label, **item.props}
        else:
            if not in_rels:
                stream.write('\n], "relationships": [')
                first, in_rels = True, True
            record = {"type": item.type, "start": item.start, "end": item.end, **item.props}
        stream.write(("\n" if first else ",\n") + json.dumps(record, sort_keys=True))
        first = False
    if not in_rels:
        stream.write('\n], "relationships": [')
    stream.write("\n]}\n")


@app.command()
def generate(
    integrations: Annotated[int, typer.Option(min=1, max=1_000_000, help="how many")] = 1000,
    seed: Annotated[int, typer.Option(help="same seed, same estate")] = 1,
    chaining: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="fraction of data stores holding credentials")
    ] = 0.015,
    output: Annotated[Path, typer.Option("-o", "--output", help=".json, .yaml or .yml")] = Path(
        "estate.json"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="print what was written as JSON")] = False,
) -> None:
    """Write a realistic synthetic estate in the inventory format."""
    from nhigraph.ingest import synthetic

    if output.suffix.lower() not in (".json", ".yaml", ".yml"):
        raise ConfigError(f"{output}: use a .json, .yaml or .yml file name")
    document = synthetic.generate(integrations, seed, chaining)
    synthetic.write(document, output)
    if as_json:
        out.print_json(json.dumps({"output": str(output), "integrations": integrations,
                                   "seed": seed, "chaining": chaining}))  # fmt: skip
        return
    err.print(f"wrote {output}: {integrations} integrations, seed {seed}")


@app.command()
def schema(
    graphql: Annotated[
        bool, typer.Option("--graphql", help="the API's GraphQL schema (SDL) instead")
    ] = False,
) -> None:
    """Print the JSON Schema of the canonical graph, or the API's GraphQL schema."""
    if graphql:
        from nhigraph.api.schema import build_schema

        sys.stdout.write(str(build_schema()) + "\n")
        return
    out.print_json(json.dumps(graph_json_schema()))
