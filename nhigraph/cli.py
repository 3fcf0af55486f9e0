"""The ``nhigraph`` command line: ingest, stats, export, generate, schema.

Commands translate options into calls on ``graph/`` and ``ingest/`` and print the
result; they hold no graph logic. Every error a user can cause is printed as one
line on stderr with a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from nhigraph.errors import ConfigError, NhigraphError
from nhigraph.graph.connect import open_store
from nhigraph.graph.model import graph_json_schema
from nhigraph.graph.store import Store, StoredNode, WriteSummary
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
    return table


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="inventory files: .yaml .yml .json .csv")],
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Ingest inventory files; each file is one transaction, then its stale records go."""
    from nhigraph.ingest.sync import read_inventories, write_batches

    store = _open()
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=as_json or not err.is_terminal,
        ) as progress:
            task = progress.add_task("reading", total=len(files))
            batches = read_inventories(store, files)
            progress.update(task, completed=len(files), description="writing")
            progress.reset(task, total=sum(len(b.nodes) + len(b.rels) for _, b in batches))
            rows: list[tuple[str, WriteSummary]] = []

            def done(file: str, summary: WriteSummary) -> None:
                rows.append((file, summary))
                batch = next(b for f, b in batches if f == file)
                progress.advance(task, len(batch.nodes) + len(batch.rels))

            write_batches(store, batches, on_file=done)
    finally:
        store.close()
    if as_json:
        out.print_json(json.dumps({file: s.as_dict() for file, s in rows}))
    else:
        out.print(_summary_table(rows))


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Count nodes per label and relationships per type."""
    store = _open()
    try:
        result = store.stats()
    finally:
        store.close()
    if as_json:
        out.print_json(json.dumps({"nodes": result.nodes, "relationships": result.rels}))
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
    output: Annotated[Path, typer.Option("-o", "--output", help=".json, .yaml or .yml")] = Path(
        "estate.json"
    ),
) -> None:
    """Write a realistic synthetic estate in the inventory format."""
    from nhigraph.ingest import synthetic

    if output.suffix.lower() not in (".json", ".yaml", ".yml"):
        raise ConfigError(f"{output}: use a .json, .yaml or .yml file name")
    document = synthetic.generate(integrations, seed)
    synthetic.write(document, output)
    err.print(f"wrote {output}: {integrations} integrations, seed {seed}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the canonical graph."""
    out.print_json(json.dumps(graph_json_schema()))


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
