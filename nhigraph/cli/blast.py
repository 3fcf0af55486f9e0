"""Blast-radius commands: blast-radius and shared-connectors."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.tree import Tree

from nhigraph.cli.app import app, out, parse_as_of, state
from nhigraph.errors import ConfigError
from nhigraph.graph.blast import (
    BlastRadius,
    ReachedStore,
    WitnessPath,
    blast_radius,
    resolve_start,
    shared_connectors,
)
from nhigraph.graph.connect import open_store
from nhigraph.graph.model import Access
from nhigraph.graph.policy import load_policy


def path_text(path: WitnessPath) -> str:
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


def radius_tree(title: str, radius: BlastRadius) -> Tree:
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
            leaf.add(f"[dim]{escape(path_text(store.path))}[/]")
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
    moment = parse_as_of(as_of)
    settings = state.settings()
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
        out.print(radius_tree(f"blast radius of [bold]{escape(', '.join(ids))}[/]", radius))


@app.command("shared-connectors")
def shared_connectors_command(
    as_of: Annotated[str | None, typer.Option(help="a moment in the past; default now")] = None,
    max_chain: Annotated[int, typer.Option(min=0, max=10, help="chaining hops")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="print the full result")] = False,
) -> None:
    """Integrations two or more teams own or use: effective radius, approved radius, excess."""
    moment = parse_as_of(as_of)
    settings = state.settings()
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
        tree = radius_tree(
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
