"""The ``nhigraph`` command line: ingest, collect, stats, export, generate, schema, ...

Commands translate options into calls on ``graph/`` and ``ingest/`` and print the
result; they hold no graph logic. Every error a user can cause is printed as one
line on stderr with a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.tree import Tree

from nhigraph.errors import ConfigError, InputError, NhigraphError
from nhigraph.graph.blast import (
    BlastRadius,
    ReachedStore,
    WitnessPath,
    blast_radius,
    resolve_start,
    shared_connectors,
)
from nhigraph.graph.connect import open_store
from nhigraph.graph.model import Access, UtcDatetime, format_utc, graph_json_schema
from nhigraph.graph.policy import load_policy
from nhigraph.graph.store import Batch, Store, StoredNode, SyncRun, WriteSummary
from nhigraph.ingest.sources import NAMES as SOURCE_NAMES
from nhigraph.settings import Settings, StoreKind

app = typer.Typer(
    name="nhigraph",
    help="Identity graph and blast-radius analyzer for SaaS integrations.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)


class _State:
    overrides: dict[str, Any]

    def __init__(self) -> None:
        self.overrides = {}

    def settings(self) -> Settings:
        try:
            return Settings(**self.overrides)
        except ValidationError as exc:
            first = exc.errors(include_input=False)[0]
            name = "NHIGRAPH_" + "_".join(str(p) for p in first["loc"]).upper()
            raise ConfigError(f"setting {name}: {first['msg']}") from None


_state = _State()


@app.callback()
def _options(
    store: Annotated[
        StoreKind | None, typer.Option(help="embedded or neo4j [env NHIGRAPH_STORE]")
    ] = None,
    db: Annotated[
        Path | None, typer.Option(help="embedded store file [env NHIGRAPH_DB, ./nhigraph.db]")
    ] = None,
    neo4j_uri: Annotated[str | None, typer.Option(help="[env NHIGRAPH_NEO4J_URI]")] = None,
    neo4j_user: Annotated[str | None, typer.Option(help="[env NHIGRAPH_NEO4J_USER]")] = None,
    neo4j_database: Annotated[
        str | None, typer.Option(help="[env NHIGRAPH_NEO4J_DATABASE]")
    ] = None,
) -> None:
    """Global options; the Neo4j password is read from NHIGRAPH_NEO4J_PASSWORD only."""
    given = {
        "store": store,
        "db": db,
        "neo4j_uri": neo4j_uri,
        "neo4j_user": neo4j_user,
        "neo4j_database": neo4j_database,
    }
    _state.overrides = {k: v for k, v in given.items() if v is not None}


def _open() -> Store:
    return open_store(_state.settings())


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
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Ingest inventories or saved SaaS responses; each file or tenant is one transaction,
    then its stale records go (for saved pages, only what page sets read to their end
    stopped reporting), then integrations are tied to vendors."""
    from nhigraph.ingest.redaction import load_fingerprinter
    from nhigraph.ingest.source import read_saved
    from nhigraph.ingest.sources import get_source
    from nhigraph.ingest.sync import read_inventories, read_source

    settings = _state.settings()
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
        _write_and_report(store, settings, batches, unclassified, warnings, as_json, incomplete)
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
            title=f"{source.name}: {escape(source.title)}",
            title_justify="left",
            caption=f"--tenant: {escape(source.tenant_help)}",
            caption_justify="left",
        )
        for head in ("saved as", "call", "needs"):
            table.add_column(head, overflow="fold")
        for e in source.endpoints:
            table.add_row(f"{e.name}[.*].{e.format}", escape(e.path), escape(e.permission))
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
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Collect a source live from its admin API and ingest it. If the API is unavailable,
    nothing is written and nothing is removed."""
    from nhigraph.ingest.redaction import load_fingerprinter
    from nhigraph.ingest.source import FetchContext, save_pages
    from nhigraph.ingest.sources import collect as fetch_source
    from nhigraph.ingest.sources import get_source
    from nhigraph.ingest.sync import read_source

    settings = _state.settings()
    kind = get_source(source)
    with err.status(f"collecting {source}", spinner="dots") if err.is_terminal else _quiet():
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
            store, settings, read.batches, read.unclassified, read.warnings, as_json, incomplete
        )
    finally:
        store.close()


def _refuse_gaps(read: Any, strict: bool) -> None:
    """With --strict, page sets not read to their end are an error before any write."""
    if strict and read.gaps:
        gap = read.gaps[0]
        more = f" (and {len(read.gaps) - 1} more)" if len(read.gaps) > 1 else ""
        raise InputError(gap.file, "/", None, f"{gap.why}{more}; nothing was written (--strict)")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


class _quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _write_and_report(
    store: Store,
    settings: Settings,
    batches: list[tuple[str, Batch]],
    unclassified: list[str],
    warnings: list[str],
    as_json: bool,
    incomplete: list[str] | None = None,
) -> None:
    from nhigraph.ingest import vendors
    from nhigraph.ingest.sync import write_batches

    # Neo4j holds a transaction in its heap: large files go in parts (see write_batches).
    max_records = settings.neo4j_tx_records if settings.store == StoreKind.NEO4J else None
    # Every file can make the vendor links stale: their run is pending from the first write.
    link_run = SyncRun.start()
    store.start_run(vendors.SOURCE, vendors.TENANT, link_run)
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
        }
        out.print_json(json.dumps(report))
        return
    out.print(_summary_table(rows))
    out.print(
        f"vendors: {_count(links.linked, 'integration')} tied to a vendor by publisher hints "
        f"({_count(links.created, 'vendor')} known only from hints; "
        f"{_count(linked.rels_added, 'link')} added, {linked.rels_removed} removed)"
    )
    if unclassified:
        shown = ", ".join(unclassified[:10]) + (" ..." if len(unclassified) > 10 else "")
        verb = "is" if len(unclassified) == 1 else "are"
        out.print(
            f"[yellow]{_count(len(unclassified), 'scope')} {verb} not in the catalogue[/] "
            f"(stored as write, reaching their tenant): {escape(shown)}"
        )
    for gap in incomplete or []:
        err.print(f"warning: incomplete: {escape(gap)}")
    for warning in warnings:
        err.print(f"warning: {escape(warning)}")


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Count nodes per label and relationships per type, and name the ingest runs that
    have not completed."""
    from nhigraph.graph.runs import describe

    store = _open()
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
    for label, count in result.nodes.items():
        table.add_row("node", label, str(count))
    for rel_type, count in result.rels.items():
        table.add_row("relationship", rel_type, str(count))
    table.add_row("total", "nodes", str(result.total_nodes), style="bold")
    table.add_row("total", "relationships", str(result.total_rels), style="bold")
    out.print(table)
    for run in incomplete:
        out.print(f"[yellow]incomplete:[/] {escape(describe(run))}")


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
    store = _open()
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
) -> None:
    """Write a realistic synthetic estate in the inventory format."""
    from nhigraph.ingest import synthetic

    if output.suffix.lower() not in (".json", ".yaml", ".yml"):
        raise ConfigError(f"{output}: use a .json, .yaml or .yml file name")
    document = synthetic.generate(integrations, seed, chaining)
    synthetic.write(document, output)
    err.print(f"wrote {output}: {integrations} integrations, seed {seed}")


def _as_of(text: str | None) -> str:
    if text is None:
        return format_utc(datetime.now(UTC))
    try:
        moment: datetime = TypeAdapter(UtcDatetime).validate_python(text)
    except ValidationError:
        raise ConfigError(
            f"--as-of {text!r}: expected an ISO 8601 date or time with a zone, "
            "e.g. 2026-08-12 or 2026-08-12T09:00:00Z"
        ) from None
    return format_utc(moment)


def _path_text(path: WitnessPath) -> str:
    """The chain of credentials on a witness path and the scope that reached the store."""
    credentials = [path.nodes[0]]
    for rel, node in zip(path.rels, path.nodes[1:], strict=True):
        if rel == "STORES":
            credentials.append(node)
    scope_at = len(path.rels) - (2 if path.rels[-1] == "CONTAINS" else 1)
    via = f"via {path.nodes[scope_at]}"
    if path.rels[-1] == "CONTAINS":
        via += f" (admin on {path.nodes[-2]})"
    return " => ".join(credentials) + " " + via


def _radius_tree(title: str, radius: BlastRadius) -> Tree:
    tree = Tree(title)
    tree.add(
        f"{len(radius.start)} start credentials, {len(radius.live_start)} live as of "
        f"{radius.as_of}; max chain {radius.max_chain}; blast score {radius.score:g}"
    )
    by_tenant: dict[str, list[ReachedStore]] = {}
    for store in radius.stores:
        by_tenant.setdefault(store.tenants[0] if store.tenants else "", []).append(store)
    tenant_access = {t.id: t.access for t in radius.tenants}
    for tenant in sorted(set(by_tenant) | set(tenant_access)):
        label = (
            f"[bold]{escape(tenant)}[/] ({tenant_access.get(tenant, '-')})"
            if tenant
            else ("[bold](in no tenant)[/]")
        )
        branch = tree.add(label)
        for store in by_tenant.get(tenant, []):
            leaf = branch.add(
                f"{escape(store.id)}  [cyan]{store.access}[/]  {store.classification}  "
                f"depth {store.depth}"
            )
            leaf.add(f"[dim]{escape(_path_text(store.path))}[/]")
    if radius.exposed:
        exposed = tree.add("[bold]exposed credentials[/] (lateral movement)")
        for item in radius.exposed:
            followed = "" if item.depth <= radius.max_chain else ", not followed"
            exposed.add(
                f"{escape(item.id)}  in {escape(item.found_in)}  depth {item.depth}{followed}"
                f" -> {escape(', '.join(item.integrations) or '(no integration)')}"
            )
    return tree


@app.command("blast-radius")
def blast_radius_command(
    integration: Annotated[list[str] | None, typer.Option(help="an integration id")] = None,
    vendor: Annotated[list[str] | None, typer.Option(help="a vendor id")] = None,
    credential: Annotated[list[str] | None, typer.Option(help="a credential id")] = None,
    team: Annotated[list[str] | None, typer.Option(help="a team id")] = None,
    as_of: Annotated[str | None, typer.Option(help="a moment in the past; default now")] = None,
    max_chain: Annotated[int, typer.Option(min=0, max=10, help="chaining hops")] = 3,
    min_access: Annotated[Access | None, typer.Option(help="leave out stores below")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the full result")] = False,
) -> None:
    """What a holder of these credentials could reach: tenants, stores, access, the chain."""
    ids = [*(integration or []), *(vendor or []), *(credential or []), *(team or [])]
    if not ids:
        raise ConfigError("name a start: --integration, --vendor, --credential or --team")
    moment = _as_of(as_of)
    settings = _state.settings()
    policy = load_policy(settings.policy).blast
    store = open_store(settings)
    try:
        start = resolve_start(store, ids)
        radius = blast_radius(
            store,
            start,
            moment,
            policy,
            max_chain,
            None if min_access is None else min_access.value,
        )
    finally:
        store.close()
    if as_json:
        out.print_json(json.dumps({"ids": ids, **radius.to_dict()}))
    else:
        out.print(_radius_tree(f"blast radius of [bold]{escape(', '.join(ids))}[/]", radius))


@app.command("shared-connectors")
def shared_connectors_command(
    as_of: Annotated[str | None, typer.Option(help="a moment in the past; default now")] = None,
    max_chain: Annotated[int, typer.Option(min=0, max=10, help="chaining hops")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="print the full result")] = False,
) -> None:
    """Integrations two or more teams own or use: effective radius, approved radius, excess."""
    moment = _as_of(as_of)
    settings = _state.settings()
    policy = load_policy(settings.policy).blast
    store = open_store(settings)
    try:
        connectors = shared_connectors(store, moment, policy, max_chain)
    finally:
        store.close()
    if as_json:
        out.print_json(json.dumps([c.to_dict() for c in connectors]))
        return
    for connector in connectors:
        tree = _radius_tree(
            f"shared connector [bold]{escape(connector.integration)}[/] used by "
            f"{escape(', '.join(connector.teams))}",
            connector.effective,
        )
        creep = tree.add(
            f"[bold]beyond its approval[/] (approved score {connector.approved.score:g})"
        )
        for excess in connector.excess:
            creep.add(
                f"{escape(excess.store)}  [red]{excess.effective_access}[/] "
                f"(approved: {excess.approved_access or 'not reached'})"
            )
        if not connector.excess:
            creep.add("nothing: the effective radius stays within the approval")
        out.print(tree)


def _posture(as_of: str | None) -> Any:
    from nhigraph.graph.posture import assess_posture

    settings = _state.settings()
    policy = load_policy(settings.policy)
    store = open_store(settings)
    try:
        _warn_incomplete(store)
        return assess_posture(store, policy, _as_of(as_of))
    finally:
        store.close()


def _warn_incomplete(store: Store) -> None:
    """One warning line on stderr per ingest run that has not completed."""
    from nhigraph.graph.runs import describe

    for run in store.incomplete_runs():
        err.print(f"warning: {escape(describe(run))}", soft_wrap=True)


_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


@app.command()
def findings(
    as_of: Annotated[str | None, typer.Option(help="a moment in the past; default now")] = None,
    severity: Annotated[
        list[str] | None, typer.Option(help="only these severities (repeatable)")
    ] = None,
    rule: Annotated[list[str] | None, typer.Option(help="only these rule ids")] = None,
    integration: Annotated[list[str] | None, typer.Option(help="only about these")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """What is wrong: every finding with its rule, evidence and remediation."""
    posture = _posture(as_of)
    chosen = [
        f
        for f in posture.findings
        if (not severity or f.severity in severity)
        and (not rule or f.rule in rule)
        and (not integration or f.integration in integration)
    ]
    if as_json:
        out.print_json(json.dumps({"as_of": posture.as_of,
                                   "findings": [f.to_dict() for f in chosen]}))  # fmt: skip
        return
    table = Table(title=f"findings as of {posture.as_of}: {len(chosen)}", title_justify="left")
    for head in ("severity", "rule", "title", "subject", "integration"):
        table.add_column(head, overflow="fold")
    for f in chosen:
        style = _SEVERITY_STYLE.get(f.severity, "")
        table.add_row(f"[{style}]{f.severity}[/]" if style else f.severity, f.rule,
                      escape(f.title), escape(f.subject), escape(f.integration or ""))  # fmt: skip
    out.print(table)


@app.command()
def risk(
    as_of: Annotated[str | None, typer.Option(help="a moment in the past; default now")] = None,
    top: Annotated[int, typer.Option(min=1, help="how many, highest risk first")] = 20,
    explain: Annotated[
        str | None, typer.Option(help="an integration id: list each factor's contribution")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Risk per integration: blast score plus the points of its findings, and its tier."""
    posture = _posture(as_of)
    chosen = list(posture.risks)
    if explain is not None:
        chosen = [r for r in chosen if r.integration == explain]
        if not chosen:
            raise ConfigError(f"no integration {explain}")
    else:
        chosen = chosen[:top]
    if as_json:
        out.print_json(json.dumps({"as_of": posture.as_of, "risks": [r.to_dict() for r in chosen]}))
        return
    if explain is not None:
        item = chosen[0]
        table = Table(title=f"{escape(item.integration)}: risk {item.risk:g} ({item.tier})",
                      title_justify="left")  # fmt: skip
        table.add_column("factor", overflow="fold")
        table.add_column("points", justify="right")
        table.add_column("detail", overflow="fold")
        for factor in item.factors:
            table.add_row(escape(factor.name), f"{factor.points:g}", escape(factor.detail))
        out.print(table)
        return
    table = Table(title=f"risk as of {posture.as_of}", title_justify="left")
    for head in ("tier", "risk", "blast", "integration", "name"):
        table.add_column(
            head, overflow="fold", justify="right" if head in ("risk", "blast") else "left"
        )
    for r in chosen:
        table.add_row(r.tier, f"{r.risk:g}", f"{r.blast_score:g}", escape(r.integration),
                      escape(r.name))  # fmt: skip
    out.print(table)


@app.command()
def reviews(
    as_of: Annotated[str | None, typer.Option(help="a moment in the past; default now")] = None,
    top: Annotated[int, typer.Option(min=1, help="how many, most overdue first")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """The review queue: most overdue first, then highest risk, then largest blast score."""
    posture = _posture(as_of)
    chosen = list(posture.queue)[:top]
    if as_json:
        out.print_json(json.dumps({"as_of": posture.as_of, "queue": [e.to_dict() for e in chosen]}))
        return
    table = Table(title=f"review queue as of {posture.as_of}", title_justify="left")
    for head in ("overdue days", "due", "tier", "risk", "integration", "last review"):
        table.add_column(head, overflow="fold")
    for e in chosen:
        last = (
            "" if e.last_review is None else f"{e.last_review.decision} {e.last_review.reviewed_at}"
        )
        table.add_row(
            str(e.overdue_days), e.due, e.tier, f"{e.risk:g}", escape(e.integration), last
        )
    out.print(table)


@app.command()
def review(
    integration: Annotated[str, typer.Argument(help="the integration reviewed")],
    decision: Annotated[str, typer.Option(help="keep, reduce or revoke")],
    reviewer: Annotated[str, typer.Option(help="who decided")],
    notes: Annotated[str | None, typer.Option(help="why")] = None,
) -> None:
    """Record an access review (kept as history; the queue then counts from it)."""
    from nhigraph.graph.model import ReviewDecision
    from nhigraph.graph.reviews import record_review

    try:
        chosen = ReviewDecision(decision)
    except ValueError:
        raise ConfigError(f"--decision {decision!r}: one of keep, reduce, revoke") from None
    store = _open()
    try:
        record = record_review(store, integration, chosen, reviewer, notes)
    finally:
        store.close()
    out.print(
        f"{record.id}: {record.decision} by {escape(record.reviewer)} at {record.reviewed_at}"
    )


@app.command()
def impact(
    vendor: Annotated[list[str] | None, typer.Option(help="a compromised vendor")] = None,
    integration: Annotated[list[str] | None, typer.Option(help="a compromised integration")] = None,
    credential: Annotated[list[str] | None, typer.Option(help="a compromised credential")] = None,
    team: Annotated[
        list[str] | None, typer.Option(help="a compromised team's integrations")
    ] = None,
    identifier: Annotated[
        str | None, typer.Option(help="a leaked public identifier (key id, last characters)")
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="a moment in the past; default now")] = None,
    max_chain: Annotated[int, typer.Option(min=0, max=10, help="chaining hops")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="print the full plan as JSON")] = False,
) -> None:
    """A compromise: the blast radius, the revocation plan by tenant with each provider's
    action, the teams to notify and the stores to check for exfiltration."""
    from nhigraph.graph import impact as response
    from nhigraph.graph.estate import read_estate

    ids = [*(vendor or []), *(integration or []), *(credential or []), *(team or [])]
    settings = _state.settings()
    policy = load_policy(settings.policy)
    store = open_store(settings)
    try:
        estate = read_estate(store)
        if identifier is not None:
            matches = response.credential_lookup(estate, identifier=identifier)
            if not matches:
                raise ConfigError(f"no credential has the identifier {identifier!r}")
            ids += [m.credential for m in matches]
        if not ids:
            raise ConfigError("name a start: --vendor, --integration, --credential, --team or "
                              "--identifier")  # fmt: skip
        found = response.compromise_impact(store, estate, ids, _as_of(as_of), policy, max_chain)
    finally:
        store.close()
    if as_json:
        out.print_json(json.dumps(found.to_dict()))
        return
    out.print(_radius_tree(f"compromise of [bold]{escape(', '.join(ids))}[/]", found.radius))
    plan = Table(title="revocation plan (in this order)", title_justify="left")
    for head in ("#", "tenant", "credential", "why", "own score", "how"):
        plan.add_column(head, overflow="fold")
    for step in found.plan:
        how = step.action.where + ("\n" + "\n".join(step.action.api) if step.action.api else "")
        plan.add_row(str(step.order), escape(step.tenant), escape(step.credential),
                     escape(step.why), f"{step.own_score:g}", escape(how))  # fmt: skip
    out.print(plan)
    notify = Table(title="teams to notify", title_justify="left")
    for head in ("team", "owns", "uses"):
        notify.add_column(head, overflow="fold")
    for t in found.teams:
        notify.add_row(escape(t.name), escape(", ".join(t.owns)), escape(", ".join(t.uses)))
    out.print(notify)
    check = Table(title="stores to check for exfiltration", title_justify="left")
    for head in ("store", "classification", "access", "depth"):
        check.add_column(head, overflow="fold")
    for c in found.stores_to_check:
        check.add_row(escape(c.store), c.classification, c.access, str(c.depth))
    out.print(check)


@app.command()
def lookup(
    identifier: Annotated[
        str | None, typer.Option(help="a public identifier, or its last characters")
    ] = None,
    secret_stdin: Annotated[
        bool,
        typer.Option(
            "--secret-stdin",
            help="read a leaked secret from standard input (hashed on arrival, never stored)",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Find credentials by public identifier or by a leaked secret's keyed fingerprint."""
    from nhigraph.graph import impact as response
    from nhigraph.graph.estate import read_estate
    from nhigraph.ingest.redaction import load_fingerprinter

    if (identifier is None) == (not secret_stdin):
        raise ConfigError("give --identifier or --secret-stdin (a secret never goes in argv)")
    secret = sys.stdin.read().strip() if secret_stdin else None
    settings = _state.settings()
    store = open_store(settings)
    try:
        matches = response.credential_lookup(
            read_estate(store),
            identifier=identifier,
            secret=secret,
            fingerprint=load_fingerprinter(settings).fingerprint,
        )
    finally:
        store.close()
    if as_json:
        out.print_json(json.dumps([m.to_dict() for m in matches]))
        return
    table = Table(title=f"{len(matches)} matching credentials", title_justify="left")
    for head in ("credential", "kind", "identifier", "matched by", "integrations"):
        table.add_column(head, overflow="fold")
    for m in matches:
        table.add_row(escape(m.credential), m.kind, escape(m.identifier or ""), m.how,
                      escape(", ".join(m.integrations)))  # fmt: skip
    out.print(table)


@app.command("what-if")
def what_if_command(
    revoke: Annotated[list[str] | None, typer.Option(help="a credential id to revoke")] = None,
    remove_scope: Annotated[list[str] | None, typer.Option(help="a scope id to remove")] = None,
    remove_store: Annotated[
        list[str] | None, typer.Option(help="a data store id to remove")
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="a moment in the past; default now")] = None,
    max_chain: Annotated[int, typer.Option(min=0, max=10, help="chaining hops")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Blast radius before and after a change, and which teams lose which integrations."""
    from nhigraph.graph import impact as response
    from nhigraph.graph.estate import read_estate

    if not (revoke or remove_scope or remove_store):
        raise ConfigError("name a change: --revoke, --remove-scope or --remove-store")
    settings = _state.settings()
    policy = load_policy(settings.policy)
    store = open_store(settings)
    try:
        found = response.what_if(store, read_estate(store), policy, _as_of(as_of), revoke or (),
                                 remove_scope or (), remove_store or (), max_chain)  # fmt: skip
    finally:
        store.close()
    if as_json:
        out.print_json(json.dumps(found.to_dict()))
        return
    out.print(f"exposure {found.exposure_before:g} -> {found.exposure_after:g}")
    table = Table(title="blast radius before and after", title_justify="left")
    for head in ("integration", "before", "after"):
        table.add_column(head, overflow="fold")
    for c in found.integrations:
        table.add_row(escape(c.integration), f"{c.before.score:g}", f"{c.after.score:g}")
    out.print(table)
    breaks = Table(title="what would break", title_justify="left")
    for head in ("integration", "loses", "teams"):
        breaks.add_column(head, overflow="fold")
    for b in found.breaks:
        teams = ", ".join(f"{t.name} ({'/'.join(t.roles)})" for t in b.teams)
        loses = ", ".join(b.lost_credentials + b.lost_scopes)
        breaks.add_row(escape(b.integration), escape(loses), escape(teams))
    out.print(breaks)


@app.command()
def report(
    output: Annotated[Path, typer.Option("-o", "--output", help="the folder to write")],
    as_of: Annotated[str | None, typer.Option(help="a moment in the past; default now")] = None,
    integration: Annotated[list[str] | None, typer.Option(help="picture this radius")] = None,
    vendor: Annotated[list[str] | None, typer.Option(help="picture this vendor's radius")] = None,
    credential: Annotated[list[str] | None, typer.Option(help="picture this radius")] = None,
    team: Annotated[list[str] | None, typer.Option(help="picture this team's radius")] = None,
) -> None:
    """Write report.json, findings.csv and a self-contained report.html (findings, top
    risks, and a picture of the chosen blast radius: by default the riskiest integration)."""
    from nhigraph.graph.posture import assess_posture
    from nhigraph.report import write_report

    settings = _state.settings()
    policy = load_policy(settings.policy)
    moment = _as_of(as_of)
    store = open_store(settings)
    try:
        posture = assess_posture(store, policy, moment)
        ids = [*(integration or []), *(vendor or []), *(credential or []), *(team or [])]
        if not ids and posture.risks:
            ids = [posture.risks[0].integration]
        radius: dict[str, Any] | None = None
        if ids:
            chosen = blast_radius(store, resolve_start(store, ids), moment, policy.blast)
            radius = {"title": f"Blast radius of {', '.join(ids)}", "ids": ids, **chosen.to_dict()}
    finally:
        store.close()
    where = (
        f"embedded {settings.db}"
        if settings.store == StoreKind.EMBEDDED
        else f"neo4j {settings.neo4j_uri}"
    )
    content = {
        "title": "nhigraph report",
        "generated_at": format_utc(datetime.now(UTC)),
        "as_of": moment,
        "store": where,
        "summary": posture.summary(),
        "findings": [f.to_dict() for f in posture.findings],
        "risks": [r.to_dict() for r in posture.risks],
        "radius": radius,
    }
    for path in write_report(content, output):
        out.print(str(path))


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


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8000,
) -> None:
    """Serve the GraphQL API (POST /graphql, /ide/, /healthz, /readyz, /metrics)."""
    import logging

    import uvicorn

    from nhigraph.api.app import create_app
    from nhigraph.api.serving import server_config

    settings = _state.settings()
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    application = create_app(settings)
    err.print(
        f"nhigraph API on http://{host}:{port}/graphql ({settings.store.value} store"
        + (f" {settings.db}" if settings.store == StoreKind.EMBEDDED else "")
        + f"); keys in {settings.api_keys_file}"
        + (f"; IDE http://{host}:{port}/ide/" if settings.api_ide else "")
    )
    uvicorn.Server(server_config(application, settings, host, port)).run()


keys_app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)
app.add_typer(keys_app, name="api-key")


def _keyring() -> Any:
    from nhigraph.api.keys import ApiKeys

    return ApiKeys(_state.settings().api_keys_file)


@keys_app.command("create")
def api_key_create(
    name: Annotated[str, typer.Option(help="who or what uses it")],
    role: Annotated[str, typer.Option(help="reader, analyst or admin")] = "reader",
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Create a key. It is printed once and only its hash is kept."""
    from nhigraph.api.keys import Role

    try:
        chosen = Role(role)
    except ValueError:
        raise ConfigError(f"--role {role!r}: one of reader, analyst, admin") from None
    record, secret = _keyring().create(name, chosen)
    if as_json:
        out.print_json(json.dumps({**record.public(), "key": secret}))
        return
    out.print(f"{record.id} ({record.role}, {escape(record.name)}): {secret}", soft_wrap=True)
    err.print("This is the only time the key is shown; nhigraph keeps only its hash.")


@keys_app.command("list")
def api_key_list(
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """List keys (never the keys themselves)."""
    keys = _keyring().list()
    if as_json:
        out.print_json(json.dumps([k.public() for k in keys]))
        return
    table = Table(title="API keys", title_justify="left")
    for head in ("id", "name", "role", "created", "revoked"):
        table.add_column(head)
    for k in keys:
        table.add_row(k.id, escape(k.name), k.role.value, k.created_at, k.revoked_at or "")
    out.print(table)


@keys_app.command("revoke")
def api_key_revoke(key_id: Annotated[str, typer.Argument(help="the key's id (key_...)")]) -> None:
    """Revoke a key; a running server stops accepting it at its next request."""
    record = _keyring().revoke(key_id)
    out.print(f"{record.id} revoked at {record.revoked_at}")


def main() -> None:
    """Console entry point: user errors become one line and exit code 1."""
    try:
        app()
    except NhigraphError as exc:
        line = " ".join(str(exc).split())  # one line, whatever a driver put in its message
        err.print(f"nhigraph: error: {line}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("nhigraph: interrupted", markup=False)
        sys.exit(130)
