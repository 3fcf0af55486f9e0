"""The ``nhigraph`` application object, its consoles, the global options and what every
command shares: the settings, opening the store, reading ``--as-of``.

Commands live beside this module, one module per domain; they translate options into
calls on ``graph/`` and ``ingest/`` and print the result, holding no graph logic.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console

from nhigraph.errors import ConfigError
from nhigraph.graph.connect import open_store
from nhigraph.graph.model import UtcDatetime, format_utc
from nhigraph.graph.store import Store
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


state = _State()


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
    state.overrides = {k: v for k, v in given.items() if v is not None}


def open_for_read() -> Store:
    return open_store(state.settings())


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


class quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def parse_as_of(text: str | None) -> str:
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
