"""The API server and its keys: serve, api-key create/list/revoke."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from nhigraph.cli.app import app, err, out, state
from nhigraph.errors import ConfigError
from nhigraph.settings import StoreKind


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

    settings = state.settings()
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

    return ApiKeys(state.settings().api_keys_file)


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
    out.print(f"{record.id} ({record.role}, {record.name}): {secret}", soft_wrap=True)
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
        table.add_row(k.id, k.name, k.role.value, k.created_at, k.revoked_at or "")
    out.print(table)


@keys_app.command("revoke")
def api_key_revoke(
    key_id: Annotated[str, typer.Argument(help="the key's id (key_...)")],
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Revoke a key; a running server stops accepting it at its next request."""
    record = _keyring().revoke(key_id)
    if as_json:
        out.print_json(json.dumps(record.public()))
        return
    out.print(f"{record.id} revoked at {record.revoked_at}")
