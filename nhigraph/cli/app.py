"""The ``nhigraph`` application object, its consoles, the global options and what every
command shares: the settings, opening the store, reading ``--as-of``.

Commands live beside this module, one module per domain; they translate options into
calls on ``graph/`` and ``ingest/`` and print the result, holding no graph logic.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console

from nhigraph.errors import ConfigError, NhigraphError
from nhigraph.graph.connect import open_store
from nhigraph.graph.model import Label, UtcDatetime, format_utc
from nhigraph.graph.search import NameIndex
from nhigraph.graph.store import Store
from nhigraph.settings import Settings, StoreKind

app = typer.Typer(
    name="nhigraph",
    help="Identity graph and blast-radius analyzer for SaaS integrations.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
# Data is never markup: ids such as store:snowflake:analytics hold ':snowflake:' and
# names may hold brackets. Styles are given as Text objects and style= arguments only.
out = Console(markup=False, emoji=False, highlight=False)
err = Console(stderr=True, markup=False, emoji=False, highlight=False)


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


def _print_version(given: bool) -> None:
    if given:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("nhigraph")
        except PackageNotFoundError:  # run from a source tree that was never installed
            from nhigraph import __version__ as number
        out.print(f"nhigraph {number}")
        raise typer.Exit()


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
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="print the version and exit"
        ),
    ] = False,
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


def open_for_read(settings: Settings | None = None, allow_empty: bool = False) -> Store:
    """The store for a command that only reads: a missing embedded file is not created,
    and an empty store is an error rather than an empty answer (unless ``allow_empty``:
    counting or dumping nothing is an answer)."""
    settings = settings or state.settings()
    where = (
        f"the embedded store {settings.db}"
        if settings.store == StoreKind.EMBEDDED
        else f"the Neo4j database {settings.neo4j_database} at {settings.neo4j_uri}"
    )
    if settings.store == StoreKind.EMBEDDED and not settings.db.exists():
        raise EmptyStore(
            f"there is no store at {settings.db}: ingest something first (nhigraph ingest "
            "FILE), or name the store with --db or NHIGRAPH_DB"
        )
    store = open_store(settings)
    if not allow_empty and not any(store.stats().nodes.values()):
        store.close()
        raise EmptyStore(f"{where} is empty: ingest something first (nhigraph ingest FILE)")
    return store


class EmptyStore(NhigraphError):
    """A read of a store that does not exist or holds nothing."""

    code = "EMPTY_STORE"
    exit_code = 3


_names: dict[int, NameIndex] = {}


def names(store: Store) -> NameIndex:
    """The store's name index, built once per process."""
    key = id(store)
    if key not in _names:
        _names[key] = NameIndex.build(store)
    return _names[key]


def resolve(store: Store, given: Sequence[str] | None, label: Label, what: str) -> list[str]:
    """The ids that names or ids given for ``label`` stand for."""
    index = names(store)
    return [index.resolve(text, [label], what) for text in given or ()]


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


class quiet_status:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def working(what: str) -> Any:
    """A spinner on stderr while a long step runs, only when stderr is a terminal."""
    return err.status(what, spinner="dots") if err.is_terminal else quiet_status()
