"""Blast-radius commands: blast-radius, shared-connectors and search (names to ids).

Human output leads with the answer (the score, what is reached, the worst first) and
names; each id appears once. ``--all`` lists everything, ``--json`` everything with ids.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated

import typer
from rich import box
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from nhigraph.cli.app import app, count, names, open_for_read, out, parse_as_of, resolve, state
from nhigraph.errors import ConfigError
from nhigraph.graph.blast import (
    BlastRadius,
    ReachedStore,
    WitnessPath,
    blast_radius,
    resolve_start,
    shared_connectors,
)
from nhigraph.graph.model import Access, Label
from nhigraph.graph.policy import BlastPolicy, load_policy
from nhigraph.graph.search import NameIndex
from nhigraph.graph.store import Store

TOP = 10  # rows shown before "… and N more (--all)"
ALL = typer.Option("--all", help="list everything, not only the top 10")


def table(*heads: str, right: Sequence[str] = ()) -> Table:
    """A borderless table that fits 80 columns: short columns never wrap."""
    grid = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, header_style="bold")
    for head in heads:
        grid.add_column(head, justify="right" if head in right else "left", overflow="fold")
    return grid


def more(shown: int, total: int) -> Text | None:
    return None if shown >= total else Text(f"… and {total - shown} more (--all)", style="dim")


def print_all(*parts: RenderableType | None) -> None:
    out.print(Group(*(p for p in parts if p is not None)))


def start_ids(
    store: Store,
    integration: list[str] | None,
    vendor: list[str] | None,
    credential: list[str] | None,
    team: list[str] | None,
) -> list[str]:
    """The ids of the starts named by name or id, in the order integration, vendor,
    credential, team."""
    ids: list[str] = []
    for given, label, what in (
        (integration, Label.INTEGRATION, "integration"),
        (vendor, Label.VENDOR, "vendor"),
        (credential, Label.CREDENTIAL, "credential"),
        (team, Label.TEAM, "team"),
    ):
        ids += resolve(store, given, label, what)
    return list(dict.fromkeys(ids))


def subject(index: NameIndex, node_id: str) -> str:
    """'Name (kind)' for a node, once."""
    entry = index.entries.get(node_id)
    return node_id if entry is None else f"{entry.name} ({index.kind_of(node_id)})"


def short(name: str) -> str:
    """A tenant's name without its parenthesised detail: 'Northwind (Microsoft 365, …)'."""
    return name.split(" (", 1)[0]


def tenant_name(index: NameIndex, tenant: str) -> str:
    """'Northwind m365': the tenant's short name and its provider."""
    entry = index.entries.get(tenant)
    provider = "" if entry is None else entry.summary.removesuffix(" tenant")
    return f"{short(index.name_of(tenant))} {provider}".strip()


def _weight(store: ReachedStore, policy: BlastPolicy) -> float:
    return policy.store_weight(store.classification, store.access)


def _chain(index: NameIndex, path: WitnessPath) -> str:
    """The credentials of a witness path by name, and the scope that reached the store."""
    credentials = [path.nodes[0]]
    for rel, node in zip(path.rels, path.nodes[1:], strict=True):
        if rel == "STORES":
            credentials.append(node)
    scope_at = len(path.rels) - (2 if path.rels[-1] == "CONTAINS" else 1)
    scope = path.nodes[scope_at].split("/", 1)[-1].rsplit("/", 1)[-1]  # a URL's last part
    via = f"via {scope}"
    if path.rels[-1] == "CONTAINS":
        via += f" (admin on {index.name_of(path.nodes[-2])})"
    return " => ".join(index.name_of(c) for c in credentials) + " " + via


def radius_summary(index: NameIndex, radius: BlastRadius) -> list[Text]:
    """The answer in two or three lines: score, starts, what is reached."""
    classes: dict[str, int] = {}
    for s in radius.stores:
        classes[s.classification] = classes.get(s.classification, 0) + 1
    order = ("restricted", "confidential", "internal", "public")
    split = ", ".join(f"{classes[c]} {c}" for c in order if c in classes)
    lines = [
        Text(
            f"{len(radius.start)} start credentials, {len(radius.live_start)} live as of "
            f"{radius.as_of}; max chain {radius.max_chain}"
        ),
        Text(
            f"reaches {len(radius.stores)} data stores in {len(radius.tenants)} tenants"
            + (f" ({split})" if split else "")
            + (f"; exposes {len(radius.exposed)} more credentials" if radius.exposed else "")
        ),
    ]
    return lines


def radius_view(
    index: NameIndex, radius: BlastRadius, policy: BlastPolicy, show_all: bool
) -> list[RenderableType | None]:
    """The stores (worst first), each path once, and the exposed credentials."""
    ranked = sorted(radius.stores, key=lambda s: (-_weight(s, policy), index.name_of(s.id)))
    shown = ranked if show_all else ranked[:TOP]
    stores = table("access", "class", "depth", "data store", "tenant", right=("depth",))
    for s in shown:
        tenant = tenant_name(index, s.tenants[0]) if s.tenants else "(no tenant)"
        stores.add_row(s.access, s.classification, str(s.depth), index.name_of(s.id), tenant)
    paths: dict[str, list[str]] = {}
    for s in ranked:
        paths.setdefault(_chain(index, s.path), []).append(index.name_of(s.id))
    path_items = list(paths.items())
    how: list[RenderableType] = [Text("how (each path once):", style="bold")]
    for chain, reached in path_items if show_all else path_items[:TOP]:
        listed = ", ".join(reached[:3]) + (
            f" and {len(reached) - 3} more" if len(reached) > 3 else ""
        )
        how.append(Padding(Text(chain), (0, 0, 0, 2)))
        how.append(Padding(Text(f"reaches {listed}", style="dim"), (0, 0, 0, 4)))
    parts: list[RenderableType | None] = [
        stores if radius.stores else Text("reaches no data store"),
        more(len(shown), len(ranked)),
    ]
    if paths:
        parts += [*how, None if show_all else more(min(TOP, len(path_items)), len(path_items))]
    if radius.exposed:
        exposed = table("depth", "exposed credential", "found in", "followed", right=("depth",))
        listed_exposed = radius.exposed if show_all else radius.exposed[:TOP]
        for e in listed_exposed:
            exposed.add_row(
                str(e.depth),
                index.name_of(e.id),
                index.name_of(e.found_in),
                "yes" if e.followed else "no (beyond max chain)",
            )
        parts += [
            Text("exposed credentials (lateral movement):", style="bold"),
            exposed,
            more(len(listed_exposed), len(radius.exposed)),
        ]
    return parts


@app.command("blast-radius")
def blast_radius_command(
    integration: Annotated[
        list[str] | None, typer.Option(help="an integration, by name or id")
    ] = None,
    vendor: Annotated[list[str] | None, typer.Option(help="a vendor, by name or id")] = None,
    credential: Annotated[
        list[str] | None, typer.Option(help="a credential, by id, key id or handle")
    ] = None,
    team: Annotated[list[str] | None, typer.Option(help="a team, by name or id")] = None,
    as_of: Annotated[str | None, typer.Option(help="a moment in the past; default now")] = None,
    max_chain: Annotated[int, typer.Option(min=0, max=10, help="chaining hops")] = 3,
    min_access: Annotated[Access | None, typer.Option(help="leave out stores below")] = None,
    show_all: Annotated[bool, ALL] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the full result")] = False,
) -> None:
    """What a holder of these credentials could reach: tenants, stores, access, the chain."""
    if not (integration or vendor or credential or team):
        raise ConfigError("name a start: --integration, --vendor, --credential or --team")
    moment = parse_as_of(as_of)
    settings = state.settings()
    policy = load_policy(settings.policy).blast
    store = open_for_read(settings)
    try:
        ids = start_ids(store, integration, vendor, credential, team)
        index = names(store)
        radius = blast_radius(
            store,
            resolve_start(store, ids),
            moment,
            policy,
            max_chain,
            None if min_access is None else min_access.value,
        )
    finally:
        store.close()
    if as_json:
        out.print_json(json.dumps({"ids": ids, **radius.to_dict()}))
        return
    title = Text("blast radius of ", style="bold")
    title.append(", ".join(subject(index, i) for i in ids)).append(f": score {radius.score:g}")
    print_all(title, *radius_summary(index, radius), *radius_view(index, radius, policy, show_all))


@app.command("shared-connectors")
def shared_connectors_command(
    as_of: Annotated[str | None, typer.Option(help="a moment in the past; default now")] = None,
    max_chain: Annotated[int, typer.Option(min=0, max=10, help="chaining hops")] = 3,
    show_all: Annotated[bool, ALL] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the full result")] = False,
) -> None:
    """Integrations two or more teams own or use: effective radius, approved radius, excess."""
    moment = parse_as_of(as_of)
    settings = state.settings()
    policy = load_policy(settings.policy).blast
    store = open_for_read(settings)
    try:
        connectors = shared_connectors(store, moment, policy, max_chain)
        index = names(store)
    finally:
        store.close()
    if as_json:
        out.print_json(json.dumps([c.to_dict() for c in connectors]))
        return
    beyond = sum(1 for c in connectors if c.excess)
    out.print(
        f"{len(connectors)} shared connectors as of {moment}; {beyond} reach beyond their approval"
    )
    ranked = sorted(connectors, key=lambda c: (-c.effective.score, c.integration))
    for connector in ranked if show_all else ranked[:TOP]:
        head = Text("\n" + index.name_of(connector.integration), style="bold")
        head.append(f"  {connector.integration}", style="dim")
        teams = ", ".join(index.name_of(t) for t in connector.teams)
        excess = table("data store", "access", "approved")
        for e in connector.excess if show_all else connector.excess[:TOP]:
            excess.add_row(
                index.name_of(e.store), e.effective_access, e.approved_access or "not reached"
            )
        print_all(
            head,
            Text(f"used by {teams}"),
            Text(
                f"score {connector.effective.score:g}, approved {connector.approved.score:g}; "
                f"{len(connector.excess)} stores beyond its approval"
            ),
            excess if connector.excess else None,
            None if show_all else more(min(TOP, len(connector.excess)), len(connector.excess)),
        )
    if not show_all and len(ranked) > TOP:
        out.print(more(TOP, len(ranked)))


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="a name, id, client id, key id or last characters")],
    show_all: Annotated[bool, ALL] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Find integrations, vendors, teams, credentials, tenants, data stores and principals
    by name, id, client id, key id or key tail; exact matches first."""
    store = open_for_read()
    try:
        hits = names(store).search(text, limit=None)
    finally:
        store.close()
    if as_json:
        out.print_json(json.dumps([h.to_dict() for h in hits]))
        return
    shown = hits if show_all else hits[:20]
    found = table("kind", "name, summary and id")
    for h in shown:
        cell = Text(h.name, style="bold")
        cell.append(f"\n{h.summary}").append(f"\n{h.id}", style="dim")
        found.add_row(h.kind, cell)
    print_all(
        Text(f"{count(len(hits), 'match')} for {text!r}".replace("matchs", "matches")),
        found if hits else None,
        more(len(shown), len(hits)),
    )
