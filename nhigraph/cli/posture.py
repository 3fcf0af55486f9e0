"""Posture commands: findings, risk, the review queue, recording a review, the report.

Each leads with counts and the worst items; ``--all`` lists everything, ``--json`` all
of it with ids. Integrations are named by name or id.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import RenderableType
from rich.text import Text

from nhigraph.cli.app import (
    app,
    err,
    names,
    open_for_read,
    out,
    parse_as_of,
    resolve,
    state,
    working,
)
from nhigraph.cli.blast import ALL, TOP, more, print_all, start_ids, subject, table
from nhigraph.errors import ConfigError
from nhigraph.graph.blast import blast_radius, resolve_start
from nhigraph.graph.model import Label, format_utc
from nhigraph.graph.policy import Policy, load_policy
from nhigraph.graph.search import NameIndex
from nhigraph.graph.store import Store
from nhigraph.posture.assess import Posture
from nhigraph.settings import StoreKind

SEVERITIES = ("critical", "high", "medium", "low")
_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


def _posture_and_names(as_of: str | None, integrations: list[str] | None = None) -> Any:
    """The posture (now: the stored one, rebuilt first when the graph moved since it was
    built; at a past moment: computed on demand, one radius per integration) and the
    store's names."""
    settings = state.settings()
    policy = load_policy(settings.policy)
    store = open_for_read(settings)
    try:
        warn_incomplete(store)
        index = names(store)
        resolve(store, integrations, Label.INTEGRATION, "integration")  # unknown names fail first
        return current_posture(store, policy, as_of), index
    finally:
        store.close()


def current_posture(store: Store, policy: Policy, as_of: str | None) -> Posture:
    from nhigraph.posture import stored
    from nhigraph.posture.assess import assess_posture

    if as_of is not None:
        with working("assessing every integration (findings, risk, reviews)"):
            return assess_posture(store, policy, parse_as_of(as_of))
    # Out of date (the graph moved, the policy changed, or a day passed): rebuilt first.
    with working("updating the stored posture (findings, risk, reviews)"):
        stored.ensure(store, policy)
    with working("reading the stored posture"):
        return stored.load(store)


def warn_incomplete(store: Store) -> None:
    """One warning line on stderr per ingest run that has not completed."""
    from nhigraph.graph.runs import describe

    for run in store.incomplete_runs():
        err.print(f"warning: {describe(run)}", soft_wrap=True)


def posture_ids(index: NameIndex, given: list[str] | None) -> list[str] | None:
    if not given:
        return given
    return [index.resolve(text, [Label.INTEGRATION], "integration") for text in given]


@app.command()
def findings(
    as_of: Annotated[str | None, typer.Option(help="a moment in the past; default now")] = None,
    severity: Annotated[
        list[str] | None, typer.Option(help="only these severities (repeatable)")
    ] = None,
    rule: Annotated[list[str] | None, typer.Option(help="only these rule ids")] = None,
    integration: Annotated[
        list[str] | None, typer.Option(help="only about these integrations (name or id)")
    ] = None,
    show_all: Annotated[bool, ALL] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """What is wrong: counts by severity and rule, then each finding (worst first) with
    its evidence and remediation."""
    posture, index = _posture_and_names(as_of, integration)
    integration = posture_ids(index, integration)
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
    severities = Counter(f.severity for f in chosen)
    split = ", ".join(f"{severities[s]} {s}" for s in SEVERITIES if severities[s])
    by_rule = table("severity", "rule", "count", "title", right=("count",))
    rules: dict[str, list[Any]] = {}
    for f in chosen:
        rules.setdefault(f.rule, []).append(f)
    for rule_id, found in rules.items():
        first = found[0]
        by_rule.add_row(Text(first.severity, style=_SEVERITY_STYLE.get(first.severity, "")),
                        rule_id, str(len(found)), first.title)  # fmt: skip
    shown = chosen if show_all else chosen[:TOP]
    details: list[RenderableType | None] = []
    for f in shown:
        head = Text(f"\n{f.severity} ", style=_SEVERITY_STYLE.get(f.severity, ""))
        head.append(f"{f.rule} {f.title}", style="bold")
        details.append(head)
        details.append(Text(f"subject: {subject(index, f.subject)}"))
        if f.integration and f.integration != f.subject:
            details.append(Text(f"integration: {subject(index, f.integration)}"))
        evidence = json.dumps(f.evidence, sort_keys=True)
        details.append(Text(f"evidence: {evidence}", style="dim"))
        details.append(Text(f"fix: {f.remediation}"))
    print_all(
        Text(f"{len(chosen)} findings as of {posture.as_of}" + (f": {split}" if split else "")),
        by_rule if chosen else None,
        Text(
            f"\n{'all' if show_all else f'the first {len(shown)}'} findings, worst first:",
            style="bold",
        )
        if chosen
        else None,
        *details,
        more(len(shown), len(chosen)),
    )


@app.command()
def risk(
    as_of: Annotated[str | None, typer.Option(help="a moment in the past; default now")] = None,
    top: Annotated[int, typer.Option(min=1, help="how many, highest risk first")] = 20,
    explain: Annotated[
        str | None,
        typer.Option(help="an integration (name or id): list each factor's contribution"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Risk per integration: blast score plus the points of its findings, and its tier."""
    posture, index = _posture_and_names(as_of, [explain] if explain else None)
    chosen = list(posture.risks)
    if explain is not None:
        wanted = index.resolve(explain, [Label.INTEGRATION], "integration")
        chosen = [r for r in chosen if r.integration == wanted]
    else:
        chosen = chosen[:top]
    if as_json:
        out.print_json(json.dumps({"as_of": posture.as_of, "risks": [r.to_dict() for r in chosen]}))
        return
    if explain is not None:
        item = chosen[0]
        factors = table("points", "factor", "detail", right=("points",))
        for factor in item.factors:
            factors.add_row(f"{factor.points:g}", factor.name, factor.detail)
        title = Text(subject(index, item.integration), style="bold")
        title.append(f": risk {item.risk:g} ({item.tier})")
        print_all(title, Text(item.integration, style="dim"), factors)
        return
    tiers = Counter(r.tier for r in posture.risks)
    split = ", ".join(f"{tiers[s]} {s}" for s in SEVERITIES if tiers[s])
    ranked = table("tier", "risk", "blast", "integration", right=("risk", "blast"))
    for r in chosen:
        ranked.add_row(Text(r.tier, style=_SEVERITY_STYLE.get(r.tier, "")), f"{r.risk:g}",
                       f"{r.blast_score:g}", r.name)  # fmt: skip
    print_all(
        Text(f"{len(posture.risks)} integrations as of {posture.as_of}: {split}"),
        ranked,
        more(len(chosen), len(posture.risks)),
    )


@app.command()
def reviews(
    as_of: Annotated[str | None, typer.Option(help="a moment in the past; default now")] = None,
    top: Annotated[int, typer.Option(min=1, help="how many, most overdue first")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """The review queue: most overdue first, then highest risk, then largest blast score."""
    posture, _index = _posture_and_names(as_of)
    chosen = list(posture.queue)[:top]
    if as_json:
        out.print_json(json.dumps({"as_of": posture.as_of, "queue": [e.to_dict() for e in chosen]}))
        return
    overdue = sum(1 for e in posture.queue if e.overdue_days > 0)
    queue = table("overdue", "due", "tier", "risk", "integration", right=("overdue", "risk"))
    for e in chosen:
        name = e.name + (
            ""
            if e.last_review is None
            else f" (last: {e.last_review.decision} {e.last_review.reviewed_at[:10]})"
        )
        queue.add_row(str(e.overdue_days), e.due[:10], e.tier, f"{e.risk:g}", name)
    print_all(
        Text(f"{overdue} of {len(posture.queue)} reviews overdue as of {posture.as_of}"),
        queue,
        more(len(chosen), len(posture.queue)),
    )


@app.command()
def review(
    integration: Annotated[str, typer.Argument(help="the integration reviewed, by name or id")],
    decision: Annotated[str, typer.Option(help="keep, reduce or revoke")],
    reviewer: Annotated[str, typer.Option(help="who decided")],
    notes: Annotated[str | None, typer.Option(help="why")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Record an access review (kept as history; the queue then counts from it)."""
    from nhigraph.graph.model import ReviewDecision
    from nhigraph.posture.reviews import record_review

    try:
        chosen = ReviewDecision(decision)
    except ValueError:
        raise ConfigError(f"--decision {decision!r}: one of keep, reduce, revoke") from None
    store = open_for_read()
    try:
        index = names(store)
        wanted = index.resolve(integration, [Label.INTEGRATION], "integration")
        record = record_review(store, wanted, chosen, reviewer, notes)
    finally:
        store.close()
    if as_json:
        out.print_json(json.dumps(record.to_dict()))
        return
    out.print(
        f"{index.name_of(wanted)}: {record.decision} by {record.reviewer} at "
        f"{record.reviewed_at} ({record.id})"
    )


@app.command()
def report(
    output: Annotated[Path, typer.Option("-o", "--output", help="the folder to write")],
    as_of: Annotated[str | None, typer.Option(help="a moment in the past; default now")] = None,
    integration: Annotated[
        list[str] | None, typer.Option(help="picture this radius (name or id)")
    ] = None,
    vendor: Annotated[
        list[str] | None, typer.Option(help="picture this vendor's radius (name or id)")
    ] = None,
    credential: Annotated[list[str] | None, typer.Option(help="picture this radius")] = None,
    team: Annotated[
        list[str] | None, typer.Option(help="picture this team's radius (name or id)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print what was written as JSON")] = False,
) -> None:
    """Write report.json, findings.csv and a self-contained report.html (findings, top
    risks, and a picture of the chosen blast radius: by default the riskiest integration)."""
    from nhigraph.report import write_report

    settings = state.settings()
    policy = load_policy(settings.policy)
    moment = parse_as_of(as_of)
    store = open_for_read(settings)
    try:
        ids = start_ids(store, integration, vendor, credential, team)
        index = names(store)
        posture = current_posture(store, policy, as_of)
        if not ids and posture.risks:
            ids = [posture.risks[0].integration]
        radius: dict[str, Any] | None = None
        if ids:
            chosen = blast_radius(store, resolve_start(store, ids), moment, policy.blast)
            title = ", ".join(index.name_of(i) for i in ids)
            found = chosen.to_dict()
            named = {n: index.name_of(n) for n in _radius_ids(found)}
            radius = {"title": f"Blast radius of {title}", "ids": ids, **found, "names": named}
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
    written = write_report(content, output)
    if as_json:
        out.print_json(
            json.dumps({"files": [str(p) for p in written], "summary": posture.summary()})
        )
        return
    out.print("  ".join(str(path) for path in written))


def _radius_ids(radius: dict[str, Any]) -> set[str]:
    ids = {s["id"] for s in radius["stores"]} | {t["id"] for t in radius["tenants"]}
    return ids | set(radius["start"]) | {e["id"] for e in radius["exposed"]}


posture_app = typer.Typer(
    help="The stored posture: build it now, or say when it was built and whether it is "
    "out of date.",
    no_args_is_help=True,
)
app.add_typer(posture_app, name="posture")


@posture_app.command("build")
def posture_build(
    as_json: Annotated[bool, typer.Option("--json", help="print the status as JSON")] = False,
) -> None:
    """Compute every finding, risk, review due date and reach summary now and store them
    beside the graph (ingest and collect do this unless --no-posture)."""
    from nhigraph.posture import stored

    settings = state.settings()
    store = open_for_read(settings)
    try:
        with working("building the posture (findings, risk, reviews, reach)"):
            status = stored.rebuild(store, load_policy(settings.policy))
    finally:
        store.close()
    _print_status(status, as_json)


@posture_app.command("status")
def posture_status(
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """When the stored posture was built, from which graph generation, and whether it is
    out of date (exit 0 either way)."""
    from nhigraph.posture import stored

    settings = state.settings()
    store = open_for_read(settings, allow_empty=True)
    try:
        status = stored.status(store, load_policy(settings.policy), stored.MAX_AGE)
    finally:
        store.close()
    _print_status(status, as_json)


def _print_status(status: Any, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(status.to_dict()))
        return
    if not status.built:
        out.print("posture: not built (run `nhigraph posture build`)")
        return
    state_text = "current" if not status.stale else f"out of date: {status.why_stale}"
    out.print(
        f"posture: {status.findings} findings over {status.integrations} integrations, "
        f"as of {status.as_of}, from graph generation {status.generation}; {state_text}"
    )
