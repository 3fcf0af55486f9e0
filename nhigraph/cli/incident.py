"""Incident commands: compromise impact, credential lookup, what-if.

A responder reads the answer first: what to revoke and whom to call, then the stores
to check; the full plan with every provider's API call is ``--all`` or ``--json``.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import RenderableType
from rich.padding import Padding
from rich.text import Text

from nhigraph.cli.app import app, count, names, open_for_read, out, parse_as_of, resolve, state
from nhigraph.cli.blast import (
    ALL,
    TOP,
    more,
    print_all,
    radius_summary,
    start_ids,
    subject,
    table,
    tenant_name,
)
from nhigraph.errors import ConfigError
from nhigraph.graph.blast import resolve_start
from nhigraph.graph.model import Label
from nhigraph.graph.policy import load_policy


@app.command()
def impact(
    vendor: Annotated[
        list[str] | None, typer.Option(help="a compromised vendor, by name or id")
    ] = None,
    integration: Annotated[
        list[str] | None, typer.Option(help="a compromised integration, by name or id")
    ] = None,
    credential: Annotated[
        list[str] | None, typer.Option(help="a compromised credential, by id or handle")
    ] = None,
    team: Annotated[
        list[str] | None, typer.Option(help="a compromised team's integrations (name or id)")
    ] = None,
    identifier: Annotated[
        str | None, typer.Option(help="a leaked public identifier (key id, last characters)")
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="a moment in the past; default now")] = None,
    max_chain: Annotated[int, typer.Option(min=0, max=10, help="chaining hops")] = 3,
    show_all: Annotated[bool, ALL] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the full plan as JSON")] = False,
) -> None:
    """A compromise: whom to call, what to revoke in which order (each provider's action),
    the stores to check for exfiltration, and the blast radius."""
    from nhigraph.graph.estate import read_estate
    from nhigraph.posture import impact as response

    settings = state.settings()
    policy = load_policy(settings.policy)
    store = open_for_read(settings)
    try:
        ids = start_ids(store, integration, vendor, credential, team)
        index = names(store)
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
    tenants = {step.tenant for step in found.plan}
    title = Text("compromise of ", style="bold")
    title.append(", ".join(subject(index, i) for i in ids))
    calls = (
        "; ".join(f"{t.name} (owns {len(t.owns)}, uses {len(t.uses)})" for t in found.teams)
        or "no team owns or uses these"
    )
    vendors = "; ".join(f"{v.name} ({v.status})" for v in found.vendors)
    plan = table("#", "revoke", "tenant", "why", "score", right=("#", "score"))
    steps = found.plan if show_all else found.plan[:TOP]
    for step in steps:
        plan.add_row(
            str(step.order),
            index.name_of(step.credential),
            tenant_name(index, step.tenant),
            step.why if step.why == "start" else "exposed",
            f"{step.own_score:g}",
        )
    how: list[RenderableType] = [Text("how to revoke, by provider:", style="bold")]
    seen: set[str] = set()
    for step in steps:
        if step.action.entry in seen:
            continue
        seen.add(step.action.entry)
        how.append(Padding(Text(f"{step.provider}: {step.action.where}"), (0, 0, 0, 2)))
    ranked = found.stores_to_check if show_all else found.stores_to_check[:TOP]
    check = table("class", "access", "depth", "data store to check", right=("depth",))
    for c in ranked:
        check.add_row(c.classification, c.access, str(c.depth), c.name or index.name_of(c.store))
    print_all(
        title,
        Text(
            f"revoke {len(found.plan)} credentials in {len(tenants)} tenants; blast score "
            f"{found.radius.score:g}"
        ),
        Text("call: " + calls),
        Text("vendors: " + vendors) if vendors else None,
        Text("no team owns: " + ", ".join(index.name_of(i) for i in found.unowned))
        if found.unowned
        else None,
        Text("\nrevocation plan (in this order):", style="bold"),
        plan,
        more(len(steps), len(found.plan)),
        *how,
        Text(f"\n{len(found.stores_to_check)} stores to check for exfiltration:", style="bold"),
        check,
        more(len(ranked), len(found.stores_to_check)),
        Text(""),
        *radius_summary(index, found.radius),
        Text("(nhigraph blast-radius shows every store and path)", style="dim"),
    )


@app.command()
def lookup(
    identifier: Annotated[
        str | None,
        typer.Option(help="a public identifier, its first or last characters (4 or more)"),
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
    from nhigraph.graph.estate import read_estate
    from nhigraph.ingest.redaction import load_fingerprinter
    from nhigraph.posture import impact as response

    if (identifier is None) == (not secret_stdin):
        raise ConfigError("give --identifier or --secret-stdin (a secret never goes in argv)")
    secret = sys.stdin.read().strip() if secret_stdin else None
    settings = state.settings()
    store = open_for_read(settings)
    try:
        matches = response.credential_lookup(
            read_estate(store),
            identifier=identifier,
            secret=secret,
            fingerprint=load_fingerprinter(settings).fingerprint,
        )
        index = names(store)
    finally:
        store.close()
    if as_json:
        out.print_json(json.dumps([m.to_dict() for m in matches]))
        return
    out.print(f"{len(matches)} matching credentials")
    for m in matches:
        line = Text(index.name_of(m.credential), style="bold")
        line.append(f"  {m.kind}, matched by {m.how}")
        out.print(line)
        out.print(Text(f"  {m.identifier or '(no identifier)'}  {m.credential}", style="dim"))


# What --revoke may name, in the order a name is tried: a vendor covers its integrations.
_REVOCABLE = (Label.CREDENTIAL, Label.VENDOR, Label.INTEGRATION, Label.TEAM)


@app.command("what-if")
def what_if_command(
    revoke: Annotated[
        list[str] | None,
        typer.Option(
            help="credentials to revoke: a credential (id or handle), or every credential "
            "of an integration, vendor or team (name or id)"
        ),
    ] = None,
    remove_scope: Annotated[list[str] | None, typer.Option(help="a scope id to remove")] = None,
    remove_store: Annotated[
        list[str] | None, typer.Option(help="a data store to remove, by name or id")
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="a moment in the past; default now")] = None,
    max_chain: Annotated[int, typer.Option(min=0, max=10, help="chaining hops")] = 3,
    show_all: Annotated[bool, ALL] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Blast radius before and after a change, what the revoked credentials exposed that
    stays live, and which teams lose which integrations."""
    from nhigraph.graph.estate import read_estate
    from nhigraph.posture import impact as response

    if not (revoke or remove_scope or remove_store):
        raise ConfigError("name a change: --revoke, --remove-scope or --remove-store")
    settings = state.settings()
    policy = load_policy(settings.policy)
    store = open_for_read(settings)
    try:
        index = names(store)
        revoked = sorted(
            {
                c
                for text in revoke or ()
                for c in resolve_start(
                    store,
                    [
                        index.resolve_first(
                            text, _REVOCABLE, "credential, vendor, integration or team"
                        )
                    ],
                )
            }
        )
        stores = resolve(store, remove_store, Label.DATA_STORE, "data store")
        found = response.what_if(store, read_estate(store), policy, parse_as_of(as_of), revoked,
                                 remove_scope or (), stores, max_chain)  # fmt: skip
    finally:
        store.close()
    if as_json:
        out.print_json(json.dumps(found.to_dict()))
        return
    out.print(
        f"exposure {found.exposure_before:g} -> {found.exposure_after:g} "
        f"({count(len(found.integrations), 'integration')} change)"
    )
    if found.still_exposed:
        still = table("depth", "still live", "exposed in", right=("depth",))
        shown = found.still_exposed if show_all else found.still_exposed[:TOP]
        for e in shown:
            still.add_row(str(e.depth), index.name_of(e.id), index.name_of(e.found_in))
        print_all(
            Text(
                f"but {len(found.still_exposed)} credentials the revoked ones exposed stay "
                "live: whoever held those could have copied them; rotate them too",
                style="bold",
            ),
            still,
            more(len(shown), len(found.still_exposed)),
        )
    changes = table("integration", "before", "after", right=("before", "after"))
    shown_changes = found.integrations if show_all else found.integrations[:TOP]
    for c in shown_changes:
        changes.add_row(c.name, f"{c.before.score:g}", f"{c.after.score:g}")
    breaks = table("would break", "loses", "teams")
    for b in found.breaks if show_all else found.breaks[:TOP]:
        teams = ", ".join(f"{t.name} ({'/'.join(t.roles)})" for t in b.teams)
        loses = ", ".join([index.name_of(c) for c in b.lost_credentials] + list(b.lost_scopes))
        breaks.add_row(b.name, loses, teams or "no team")
    print_all(
        changes if found.integrations else None,
        more(len(shown_changes), len(found.integrations)),
        breaks if found.breaks else Text("nothing breaks"),
        None if show_all else more(min(TOP, len(found.breaks)), len(found.breaks)),
    )
