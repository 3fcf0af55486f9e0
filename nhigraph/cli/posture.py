"""Posture commands: findings, risk, the review queue, recording a review, the report."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from nhigraph.cli.app import app, open_for_read, out, parse_as_of, state
from nhigraph.errors import ConfigError
from nhigraph.graph.blast import (
    blast_radius,
    resolve_start,
)
from nhigraph.graph.connect import open_store
from nhigraph.graph.model import format_utc
from nhigraph.graph.policy import load_policy
from nhigraph.settings import StoreKind


def _posture(as_of: str | None) -> Any:
    from nhigraph.graph.posture import assess_posture

    settings = state.settings()
    policy = load_policy(settings.policy)
    store = open_store(settings)
    try:
        return assess_posture(store, policy, parse_as_of(as_of))
    finally:
        store.close()


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
    store = open_for_read()
    try:
        record = record_review(store, integration, chosen, reviewer, notes)
    finally:
        store.close()
    out.print(
        f"{record.id}: {record.decision} by {escape(record.reviewer)} at {record.reviewed_at}"
    )


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

    settings = state.settings()
    policy = load_policy(settings.policy)
    moment = parse_as_of(as_of)
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
