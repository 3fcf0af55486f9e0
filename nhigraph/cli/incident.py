"""Incident commands: compromise impact, credential lookup, what-if."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from nhigraph.cli.app import app, out, parse_as_of, state
from nhigraph.cli.blast import radius_tree
from nhigraph.errors import ConfigError
from nhigraph.graph.connect import open_store
from nhigraph.graph.policy import load_policy


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
    settings = state.settings()
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
        found = response.compromise_impact(
            store, estate, ids, parse_as_of(as_of), policy, max_chain
        )
    finally:
        store.close()
    if as_json:
        out.print_json(json.dumps(found.to_dict()))
        return
    out.print(radius_tree(f"compromise of [bold]{escape(', '.join(ids))}[/]", found.radius))
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
    settings = state.settings()
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
    settings = state.settings()
    policy = load_policy(settings.policy)
    store = open_store(settings)
    try:
        found = response.what_if(store, read_estate(store), policy, parse_as_of(as_of),
                                 revoke or (), remove_scope or (), remove_store or (),
                                 max_chain)  # fmt: skip
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
