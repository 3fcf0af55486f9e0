"""The report renderer: one report (plain JSON-able dicts) as JSON, CSV and a self-contained page.

The caller builds the report (summary, findings, risks and one chosen blast radius, each
the ``to_dict()`` of the engine's results); this module only renders it, and must not
read a store, a setting or the clock. The HTML page needs nothing but itself: inline
CSS, no JavaScript, no reference to anything outside the page, and a
Content-Security-Policy that forbids loading anything; the blast radius is an inline
SVG laid out here. Every string from the report is escaped (HTML) or defused
(spreadsheet formulas in CSV), and the output is deterministic: the same report gives
byte-identical files.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nhigraph.graph.model import ACCESS_RANK

Report = Mapping[str, Any]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
SEVERITIES = ("critical", "high", "medium", "low", "info")
TIERS = ("critical", "high", "medium", "low")
CLASSIFICATIONS = ("public", "internal", "confidential", "restricted")
ACCESSES = ("read", "write", "admin")
CSV_HEADER = (
    "severity", "rule", "title", "subject", "integration", "owasp", "nist", "remediation",
    "evidence",
)  # fmt: skip

#: How much of a radius the picture draws; the tables below it list everything.
MAX_PICTURE_STORES = 60
MAX_PICTURE_CREDENTIALS = 40  # per kind: start, exposed
MAX_PICTURE_TENANTS = 40
MAX_RISKS = 20

CLASSIFICATION_FILL = {
    "public": "#cfe2ff",
    "internal": "#c7e9d3",
    "confidential": "#ffe08a",
    "restricted": "#f4a6ae",
}
UNKNOWN_FILL = "#e9ecef"
#: access -> (colour, width, dash pattern); colour and width both say it, for the colour-blind
ACCESS_STROKE = {
    "read": ("#3f6fa8", 1.5, "6 4"),
    "write": ("#d97706", 2.5, ""),
    "admin": ("#b91c1c", 4.0, ""),
}
STORED_STROKE = ("#7c3aed", 1.5, "2 3")  # a data store keeps a credential
# Formula triggers in spreadsheets (OWASP's CSV injection list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --------------------------------------------------------------------------- files


def write_report(report: Report, folder: Path) -> list[Path]:
    """Write ``report.json``, ``findings.csv`` and ``report.html`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "report.json", folder / "findings.csv", folder / "report.html"]
    text = json.dumps(report, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    paths[0].write_text(text, encoding="utf-8", newline="")
    paths[1].write_text(render_csv(report), encoding="utf-8", newline="")
    paths[2].write_text(render_html(report), encoding="utf-8", newline="")
    return paths


# --------------------------------------------------------------------------- CSV


def render_csv(report: Report) -> str:
    """The findings as CSV, one row each (CRLF line ends), safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for finding in report.get("findings") or ():
        row = [
            _str(finding.get("severity")),
            _str(finding.get("rule")),
            _str(finding.get("title")),
            _str(finding.get("subject")),
            _str(finding.get("integration")),
            "; ".join(_reference_text(r) for r in finding.get("owasp") or ()),
            "; ".join(_reference_text(r) for r in finding.get("nist") or ()),
            _str(finding.get("remediation")),
            _compact_json(finding.get("evidence", {})),
        ]
        writer.writerow([_defuse(cell) for cell in row])
    return out.getvalue()


def _defuse(cell: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading quote, which shows as text."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _compact_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _reference_parts(reference: Any) -> tuple[str, str]:
    """(id, name) of an OWASP/NIST reference given as ``{"id", "name"}`` or as text."""
    if isinstance(reference, Mapping):
        return _str(reference.get("id")), _str(reference.get("name"))
    return _str(reference), ""


def _reference_text(reference: Any) -> str:
    ref_id, name = _reference_parts(reference)
    return f"{ref_id} {name}".strip()


# --------------------------------------------------------------------------- HTML


def render_html(report: Report) -> str:
    """One self-contained HTML page: summary, the blast-radius picture, top risks, findings."""
    title = _str(report.get("title")) or "nhigraph report"
    findings = list(report.get("findings") or ())
    risks = list(report.get("risks") or ())
    radius = report.get("radius")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        _header(report, title),
        "<main>",
        _summary(report, findings),
        _radius_section(radius),
        _risks_section(risks),
        _findings_section(findings),
        "</main>",
        "<footer>Written by nhigraph. This page is self-contained: it loads nothing and runs"
        " no scripts.</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _e(value: Any) -> str:
    """Any value as escaped HTML text (safe in text and in quoted attributes)."""
    return html.escape(_str(value), quote=True)


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _str(value)
    if isinstance(value, int) or value.is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _known_first(counts: Mapping[str, Any], order: Sequence[str]) -> list[tuple[str, Any]]:
    """Counts in the canonical order, then any other keys sorted."""
    return [(k, counts[k]) for k in order if k in counts] + [
        (k, counts[k]) for k in sorted(counts) if k not in order
    ]


def _badge(kind: str, value: Any) -> str:
    text = _str(value)
    return f'<span class="badge {kind}-{_css_token(text)}">{_e(text)}</span>'


_KNOWN_WORDS = frozenset(SEVERITIES + TIERS + CLASSIFICATIONS + ACCESSES)


def _css_token(value: str) -> str:
    """A value as a CSS class fragment: known words keep their name, anything else is 'other'."""
    return value if value in _KNOWN_WORDS else "other"


def _header(report: Report, title: str) -> str:
    meta = [
        ("as of", report.get("as_of")),
        ("generated", report.get("generated_at")),
        ("store", report.get("store")),
    ]
    items = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in meta if v)
    nav = (
        '<nav><a href="#summary">Summary</a><a href="#blast">Blast radius</a>'
        '<a href="#top-risks">Top risks</a><a href="#all-findings">Findings</a></nav>'
    )
    return f'<header><h1>{_e(title)}</h1><dl class="meta">{items}</dl>{nav}</header>'


def _summary(report: Report, findings: list[Any]) -> str:
    summary = report.get("summary") or {}
    by_severity = summary.get("by_severity") or {}
    tiers = summary.get("tiers") or {}
    totals = [
        ("integrations", summary.get("integrations")),
        ("findings", summary.get("findings", len(findings))),
    ]
    cards = "".join(
        f'<div class="card"><div class="count">{_e(_number(v))}</div>'
        f'<div class="what">{_e(k)}</div></div>'
        for k, v in totals
        if v is not None
    )
    severity_cells = "".join(
        f'<div class="card sev-{_css_token(k)}"><div class="count">{_e(_number(v))}</div>'
        f'<div class="what">{_e(k)}</div></div>'
        for k, v in _known_first(by_severity, SEVERITIES)
    )
    tier_cells = "".join(
        f'<div class="card tier-{_css_token(k)}"><div class="count">{_e(_number(v))}</div>'
        f'<div class="what">{_e(k)}</div></div>'
        for k, v in _known_first(tiers, TIERS)
    )
    return (
        '<section id="summary"><h2>Summary</h2>'
        f'<div class="cards" id="totals">{cards}</div>'
        f'<h3>Findings by severity</h3><div class="cards" id="by-severity">{severity_cells}</div>'
        f'<h3>Integrations by risk tier</h3><div class="cards" id="by-tier">{tier_cells}</div>'
        "</section>"
    )


def _risks_section(risks: list[Any]) -> str:
    rows = []
    for rank, risk in enumerate(risks[:MAX_RISKS], start=1):
        factors = "".join(
            f"<li><b>{_e(f.get('name'))}</b> +{_e(_number(f.get('points')))}"
            f"{': ' + _e(f.get('detail')) if f.get('detail') else ''}</li>"
            for f in risk.get("factors") or ()
        )
        rows.append(
            f'<tr class="tier-{_css_token(_str(risk.get("tier")))}"><td class="num">{rank}</td>'
            f"<td>{_e(risk.get('name'))}<br><code>{_e(risk.get('integration'))}</code></td>"
            f"<td>{_badge('tier', risk.get('tier'))}</td>"
            f'<td class="num">{_e(_number(risk.get("risk")))}</td>'
            f'<td class="num">{_e(_number(risk.get("blast_score")))}</td>'
            f'<td><ul class="factors">{factors}</ul></td></tr>'
        )
    shown = f" (the first {MAX_RISKS} of {len(risks)})" if len(risks) > MAX_RISKS else ""
    empty = "" if risks else '<p class="empty">No integrations were assessed.</p>'
    return (
        f'<section id="top-risks"><h2>Top risks{_e(shown)}</h2>{empty}'
        '<table id="risks"><thead><tr><th>#</th><th>integration</th><th>tier</th>'
        "<th>risk</th><th>blast score</th><th>factors</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _findings_section(findings: list[Any]) -> str:
    rows = []
    for f in findings:
        severity = _str(f.get("severity"))
        evidence = _compact_json(f.get("evidence", {}))
        preview = evidence if len(evidence) <= 60 else evidence[:57] + "..."
        rows.append(
            f'<tr class="sev-{_css_token(severity)}">'
            f"<td>{_badge('sev', severity)}</td>"
            f'<td class="rule"><code>{_e(f.get("rule"))}</code></td>'
            f"<td>{_e(f.get('title'))}</td>"
            f'<td class="id"><code>{_e(f.get("subject"))}</code></td>'
            f'<td class="id"><code>{_e(f.get("integration"))}</code></td>'
            f"<td>{_references(f.get('owasp'))}</td>"
            f"<td>{_references(f.get('nist'))}</td>"
            f"<td>{_e(f.get('remediation'))}</td>"
            f"<td><details><summary>{_e(preview)}</summary><pre>{_e(evidence)}</pre>"
            "</details></td></tr>"
        )
    empty = "" if findings else '<p class="empty">No findings.</p>'
    return (
        f'<section id="all-findings"><h2>Findings ({len(findings)})</h2>{empty}'
        '<table id="findings"><thead><tr><th>severity</th><th>rule</th><th>title</th>'
        "<th>subject</th><th>integration</th><th>OWASP NHI</th><th>NIST CSF</th>"
        "<th>remediation</th><th>evidence</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _references(references: Any) -> str:
    out = []
    for reference in references or ():
        ref_id, name = _reference_parts(reference)
        out.append(f'<abbr title="{_e(name)}">{_e(ref_id)}</abbr>' if name else _e(ref_id))
    return "<br>".join(out)


def _radius_section(radius: Mapping[str, Any] | None) -> str:
    if not radius:
        return (
            '<section id="blast"><h2>Blast radius</h2>'
            '<p class="empty">No blast radius was chosen for this report.</p></section>'
        )
    stores = list(radius.get("stores") or ())
    start = list(radius.get("start") or ())
    live = list(radius.get("live_start") or ())
    facts = [
        ("start", ", ".join(_str(i) for i in radius.get("ids") or ()) or None),
        ("live start credentials", f"{len(live)} of {len(start)}"),
        ("as of", radius.get("as_of")),
        ("max chain", radius.get("max_chain")),
        ("min access", radius.get("min_access")),
        ("blast score", _number(radius.get("score"))),
        ("data stores", len(stores)),
        ("tenants", len(radius.get("tenants") or ())),
        ("exposed credentials", len(radius.get("exposed") or ())),
        ("lateral integrations", ", ".join(map(_str, radius.get("lateral_integrations") or ()))),
    ]
    items = "".join(
        f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in facts if v not in (None, "")
    )
    rows = "".join(
        f'<tr><td class="id"><code>{_e(s.get("id"))}</code></td><td>{_e(s.get("name"))}</td>'
        f"<td>{_badge('cls', s.get('classification'))}</td>"
        f"<td>{_badge('acc', s.get('access'))}</td>"
        f'<td class="num">{_e(_number(s.get("depth")))}</td>'
        f'<td class="id">{_e(_path_text(s.get("path")))}</td></tr>'
        for s in stores
    )
    title = _str(radius.get("title")) or "Blast radius"
    return (
        f'<section id="blast"><h2>{_e(title)}</h2><dl class="meta">{items}</dl>'
        f'<div class="picture">{render_svg(radius)}</div>'
        f"<details><summary>Every reached data store, with its witness path ({len(stores)})"
        '</summary><table id="radius-stores"><thead><tr><th>data store</th><th>name</th>'
        "<th>classification</th><th>access</th><th>depth</th><th>witness path</th></tr>"
        f"</thead><tbody>{rows}</tbody></table></details></section>"
    )


def _path_text(path: Any) -> str:
    if not isinstance(path, Mapping):
        return ""
    nodes = [_str(n) for n in path.get("nodes") or ()]
    rels = [_str(r) for r in path.get("rels") or ()]
    text = nodes[0] if nodes else ""
    for rel, node in zip(rels, nodes[1:], strict=False):
        text += f" -{rel}-> {node}"
    return text


# --------------------------------------------------------------------------- the picture

NODE_W = 178
NODE_H = 34
ROW_H = 44
COL_W = 222
PAD = 14
TOP = 34  # room for the column headings
LABEL_CHARS = 24  # at 11px, what fits in NODE_W
DETAIL_CHARS = 29  # at 9.5px
LEGEND_W = 150 + 4 * 130 + 20  # the legend's width, the picture's least
#: Text styles as attributes, so the SVG looks the same outside this page.
_TEXT = {
    "heading": 'class="heading" font-size="12" font-weight="bold" fill="#343a40"',
    "label": 'class="label" font-size="11" fill="#212529"',
    "detail": 'class="detail" font-size="9.5" fill="#495057"',
    "note": 'class="note" font-size="12" fill="#b91c1c"',
}


@dataclass
class _Node:
    kind: str  # start, tenant, store, exposed
    id: str
    label: str
    detail: str
    tooltip: str
    fill: str
    depth: int  # the chaining depth (the hop, for an exposed credential); -1 for a start
    dashed: bool = False  # a start credential that is not live, an exposure not followed
    column: int = 0
    y: float = 0.0
    sources: list[_Node] = field(default_factory=list)
    targets: list[_Node] = field(default_factory=list)


def _source_rank(node: _Node, position: Mapping[int, tuple[int, int]]) -> tuple[int, int]:
    placed = [position[id(s)] for s in node.sources if id(s) in position]
    return min(placed) if placed else (node.column, 1 << 30)


@dataclass(frozen=True)
class _Edge:
    source: _Node
    target: _Node
    kind: str  # an access level, or "stores"
    tooltip: str


def render_svg(radius: Mapping[str, Any]) -> str:
    """The radius as an inline SVG: columns by chaining depth, edges along witness paths.

    Start credentials on the left; then for each depth the tenants and the data stores
    reached, with the credentials exposed in those stores between one depth and the next.
    A store is drawn under the tenant on its witness path (else its first tenant). Only
    the first ``MAX_PICTURE_*`` of each kind are drawn, most sensitive first; a note says
    how many were left out.
    """
    return _Layout(radius).svg()


def _shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """Text that fits a node: long ids keep their last ``:`` segments (the specific part)."""
    if len(text) <= limit:
        return text
    tail = ""
    for segment in reversed(text.split(":")):
        candidate = segment + (":" + tail if tail else "")
        if len(candidate) + 2 > limit:
            break
        tail = candidate
    if tail:
        return "\u2026:" + tail
    head = (limit - 1) * 2 // 3
    return text[:head] + "\u2026" + text[len(text) - (limit - 1 - head) :]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _head(node_id: str) -> str:
    """The provider and tenant part of an id (``m365:northwind:secret:x`` -> ``m365:northwind``)."""
    return ":".join(node_id.split(":")[:2])


def _rank(value: Any, order: Sequence[str]) -> int:
    return order.index(value) if value in order else -1


def _last_grant(path: Any) -> tuple[str | None, list[str]]:
    """The credential that took the last GRANTS step on a witness path, and the nodes after it."""
    nodes = _path_nodes(path)
    rels = [_str(r) for r in path.get("rels") or ()] if isinstance(path, Mapping) else []
    grant = max((i for i, r in enumerate(rels) if r == "GRANTS"), default=None)
    if grant is None or grant >= len(nodes):
        return None, []
    return nodes[grant], nodes[grant + 1 :]


def _path_nodes(path: Any) -> list[str]:
    return [_str(n) for n in path.get("nodes") or ()] if isinstance(path, Mapping) else []


def _depth(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class _Layout:
    """Which nodes and edges the picture has, and where they go."""

    def __init__(self, radius: Mapping[str, Any]) -> None:
        max_chain = radius.get("max_chain")
        self.max_chain = max_chain if isinstance(max_chain, int) else None
        self.nodes: dict[tuple[str, str], _Node] = {}
        self.edges: dict[tuple[int, int], _Edge] = {}
        self.notes: list[str] = []
        self._credentials(radius)
        self._stores(radius)

    # ---- which nodes and edges

    def _credentials(self, radius: Mapping[str, Any]) -> None:
        live = {_str(c) for c in radius.get("live_start") or ()}
        start = sorted(
            {_str(c) for c in radius.get("start") or ()}, key=lambda c: (c not in live, c)
        )
        exposed = sorted(
            radius.get("exposed") or (), key=lambda e: (_depth(e.get("depth")), _str(e.get("id")))
        )
        self._left_out(len(start) - MAX_PICTURE_CREDENTIALS, "start credential")
        self._left_out(len(exposed) - MAX_PICTURE_CREDENTIALS, "exposed credential")
        for cred in start[:MAX_PICTURE_CREDENTIALS]:
            state = "live" if cred in live else "not live at as_of"
            tooltip = f"start credential {cred}\n{state}"
            detail = f"{'live' if cred in live else 'not live'} \u00b7 {_head(cred)}"
            self._node("start", cred, detail, tooltip, "#ffffff", -1, dashed=cred not in live)
        for e in exposed[:MAX_PICTURE_CREDENTIALS]:
            cred, depth = _str(e.get("id")), _depth(e.get("depth"))
            followed = self.max_chain is None or depth <= self.max_chain
            held_by = ", ".join(_str(i) for i in e.get("integrations") or ()) or "no integration"
            tooltip = "\n".join(
                (
                    f"exposed credential {cred}",
                    f"found in {_str(e.get('found_in'))}",
                    f"hop {depth}" + ("" if followed else " (beyond max_chain: not followed)"),
                    f"held by {held_by}",
                    f"path: {_path_text(e.get('path'))}",
                )
            )
            detail = f"hop {depth} \u00b7 " + (_head(cred) if followed else "not followed")
            self._node("exposed", cred, detail, tooltip, "#e9defc", depth, dashed=not followed)

    def _stores(self, radius: Mapping[str, Any]) -> None:
        tenant_access = {
            _str(t.get("id")): _str(t.get("access")) for t in radius.get("tenants") or ()
        }
        stores = sorted(
            radius.get("stores") or (),
            key=lambda s: (
                _depth(s.get("depth")),
                -_rank(s.get("classification"), CLASSIFICATIONS),
                -ACCESS_RANK.get(_str(s.get("access")), 0),
                _str(s.get("id")),
            ),
        )
        self._left_out(len(stores) - MAX_PICTURE_STORES, "data store")
        # Each store goes under the tenant on its witness path, else its first tenant.
        routes: list[tuple[Mapping[str, Any], str | None]] = []
        tenant_depth: dict[str, int] = {}
        for s in stores[:MAX_PICTURE_STORES]:
            _, after_grant = _last_grant(s.get("path"))
            on_path = [n for n in after_grant if n in tenant_access]
            candidates = on_path or sorted(_str(t) for t in s.get("tenants") or ())
            tenant = candidates[0] if candidates else None
            routes.append((s, tenant))
            if tenant is not None:
                depth = _depth(s.get("depth"))
                tenant_depth[tenant] = min(depth, tenant_depth.get(tenant, depth))
        # Tenants with drawn stores first (shallowest first), then those touched directly.
        tenant_ids = sorted(
            set(tenant_access) | set(tenant_depth),
            key=lambda t: (t not in tenant_depth, tenant_depth.get(t, 0), t),
        )
        self._left_out(len(tenant_ids) - MAX_PICTURE_TENANTS, "tenant")
        for t in tenant_ids[:MAX_PICTURE_TENANTS]:
            access = tenant_access.get(t, "")
            tooltip = f"tenant {t}\naccess {access or 'unknown'}" + (
                "" if t in tenant_depth else "\ntouched directly: no data store drawn under it"
            )
            detail = f"tenant \u00b7 {access}" if access else "tenant"
            self._node("tenant", t, detail, tooltip, "#eef0f3", tenant_depth.get(t, 0))
        for s, tenant in routes:
            self._store(s, tenant)
        for e in sorted(radius.get("exposed") or (), key=lambda e: _str(e.get("id"))):
            found_in = self.nodes.get(("store", _str(e.get("found_in"))))
            cred_node = self.nodes.get(("exposed", _str(e.get("id"))))
            if found_in is not None and cred_node is not None:
                self._edge(found_in, cred_node, "stores")

    def _store(self, s: Mapping[str, Any], tenant: str | None) -> None:
        """A store's node, and its witness path drawn as credential -> tenant -> store."""
        sid = _str(s.get("id"))
        name = _str(s.get("name")) or sid
        classification, access = _str(s.get("classification")), _str(s.get("access"))
        depth = _depth(s.get("depth"))
        tooltip = "\n".join(
            (
                f"data store {sid}",
                f"name {name}",
                f"classification {classification}",
                f"access {access}",
                f"depth {depth}",
                f"tenants {', '.join(_str(t) for t in s.get('tenants') or ()) or 'none'}",
                f"path: {_path_text(s.get('path'))}",
            )
        )
        fill = CLASSIFICATION_FILL.get(classification, UNKNOWN_FILL)
        detail = f"{classification} \u00b7 {access}"
        store = self._node("store", sid, detail, tooltip, fill, depth, label=name)
        cred, _ = _last_grant(s.get("path"))
        source = None
        if cred is not None:
            source = self.nodes.get(("start", cred)) or self.nodes.get(("exposed", cred))
        via = None if tenant is None else self.nodes.get(("tenant", tenant))
        if via is not None:
            self._edge(via, store, access)
            if source is not None:
                self._edge(source, via, access)
        elif source is not None:
            self._edge(source, store, access)

    def _left_out(self, count: int, what: str) -> None:
        if count > 0:
            self.notes.append(f"+{count} more {what}{'s' if count != 1 else ''} not drawn")

    def _node(
        self,
        kind: str,
        node_id: str,
        detail: str,
        tooltip: str,
        fill: str,
        depth: int,
        dashed: bool = False,
        label: str | None = None,
    ) -> _Node:
        text = _shorten(node_id if label is None else label)
        detail = _clip(detail, DETAIL_CHARS)
        node = _Node(kind, node_id, text, detail, tooltip, fill, depth, dashed=dashed)
        self.nodes[(kind, node_id)] = node
        return node

    def _edge(self, source: _Node, target: _Node, kind: str) -> None:
        """One edge per pair of nodes, drawn with the highest access over what it carries."""
        key = (id(source), id(target))
        current = self.edges.get(key)
        if current is not None and ACCESS_RANK.get(kind, 0) <= ACCESS_RANK.get(current.kind, 0):
            return
        what = "keeps it" if kind == "stores" else f"{kind} access"
        self.edges[key] = _Edge(source, target, kind, f"{source.id} \u2192 {target.id} ({what})")
        if current is None:
            source.targets.append(target)
            target.sources.append(source)

    # ---- where they go

    def _columns(self) -> list[tuple[str, list[_Node]]]:
        """Columns left to right: start; then per depth exposed (hop d), tenants, stores."""
        slot = {"exposed": 0, "tenant": 1, "store": 2}
        headings = (
            "exposed \u00b7 hop {d}",
            "tenants \u00b7 depth {d}",
            "data stores \u00b7 depth {d}",
        )
        by_key: dict[tuple[int, int], list[_Node]] = {}
        for node in self.nodes.values():
            key = (-1, 0) if node.kind == "start" else (node.depth, slot[node.kind])
            by_key.setdefault(key, []).append(node)
        columns = [("start credentials", by_key.pop((-1, 0), []))]
        for (d, kind), nodes in sorted(by_key.items()):
            columns.append((headings[kind].format(d=d), nodes))
        for c, (_, nodes) in enumerate(columns):
            for node in nodes:
                node.column = c
        return columns

    def arrange(self) -> list[tuple[str, list[_Node]]]:
        columns = self._columns()
        # Order each column by where its nodes' sources are (a layered barycentre), then id.
        position: dict[int, tuple[int, int]] = {}
        for _, nodes in columns:
            nodes.sort(key=lambda n: (_source_rank(n, position), n.dashed, n.id))
            for row, node in enumerate(nodes):
                position[id(node)] = (node.column, row)
                node.y = TOP + row * ROW_H
        # Then, right to left, pull nodes level with their targets (stores stay put).
        for _, nodes in reversed(columns):
            if not nodes or nodes[0].kind == "store":
                continue
            floor = float(TOP)
            for node in nodes:
                ahead = [t.y for t in node.targets if t.column > node.column]
                node.y = max(sum(ahead) / len(ahead) if ahead else node.y, floor)
                floor = node.y + ROW_H
        return columns

    # ---- drawing

    def svg(self) -> str:
        columns = self.arrange()
        width = max(LEGEND_W, PAD * 2 + len(columns) * COL_W - (COL_W - NODE_W))
        bottom = max((n.y + NODE_H for n in self.nodes.values()), default=float(TOP))
        parts: list[str] = []
        for c, (heading, _) in enumerate(columns):
            parts.append(
                f'<text {_TEXT["heading"]} x="{PAD + c * COL_W}" y="{PAD + 8}">{_e(heading)}</text>'
            )
        for edge in self.edges.values():
            parts.append(self._edge_svg(edge))
        for _, nodes in columns:
            parts.extend(self._node_svg(node) for node in nodes)
        notes = list(self.notes)
        if not any(n.kind in ("store", "tenant") for n in self.nodes.values()):
            notes.insert(0, "Nothing is reachable: no start credential reaches a tenant or store")
        y = bottom + 24
        for note in notes:
            parts.append(f'<text {_TEXT["note"]} x="{PAD}" y="{_f(y)}">{_e(note)}</text>')
            y += 18
        legend, legend_h = _legend(PAD, y)
        parts.append(legend)
        height = y + legend_h + PAD
        return (
            f'<svg id="blast-radius" role="img" aria-label="blast radius" width="{width}" '
            f'height="{_f(height)}" viewBox="0 0 {width} {_f(height)}" '
            'font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">'
            "<title>Blast radius: start credentials on the left, then per chaining depth the"
            " tenants and data stores reached</title>" + "".join(parts) + "</svg>"
        )

    def _x(self, node: _Node) -> int:
        return PAD + node.column * COL_W

    def _edge_svg(self, edge: _Edge) -> str:
        default = STORED_STROKE if edge.kind == "stores" else ("#6c757d", 1.5, "")
        colour, width, dash = ACCESS_STROKE.get(edge.kind, default)
        x1, y1 = self._x(edge.source) + NODE_W, edge.source.y + NODE_H / 2
        x2, y2 = self._x(edge.target), edge.target.y + NODE_H / 2
        bend = max(40.0, (x2 - x1) / 2)
        d = (
            f"M{_f(x1)},{_f(y1)} C{_f(x1 + bend)},{_f(y1)} "
            f"{_f(x2 - bend)},{_f(y2)} {_f(x2)},{_f(y2)}"
        )
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        return (
            f'<path class="edge" data-kind="{_e(edge.kind)}" data-from="{_e(edge.source.id)}" '
            f'data-to="{_e(edge.target.id)}" d="{d}" fill="none" stroke="{colour}" '
            f'stroke-width="{_f(width)}"{dash_attr} stroke-opacity="0.85">'
            f"<title>{_e(edge.tooltip)}</title></path>"
        )

    def _node_svg(self, node: _Node) -> str:
        x, y = self._x(node), node.y
        radius = NODE_H / 2 if node.kind in ("start", "exposed") else 4
        stroke = "#495057" if node.kind != "tenant" else "#212529"
        stroke_w = 2.0 if node.kind == "tenant" else 1.2
        dash = ' stroke-dasharray="5 3"' if node.dashed else ""
        opacity = ' opacity="0.6"' if node.dashed and node.kind == "start" else ""
        return (
            f'<g class="node" data-kind="{node.kind}" data-id="{_e(node.id)}"{opacity}>'
            f"<title>{_e(node.tooltip)}</title>"
            f'<rect x="{x}" y="{_f(y)}" width="{NODE_W}" height="{NODE_H}" rx="{_f(radius)}" '
            f'fill="{node.fill}" stroke="{stroke}" stroke-width="{_f(stroke_w)}"{dash}/>'
            f'<text {_TEXT["label"]} x="{x + 10}" y="{_f(y + 14)}">{_e(node.label)}</text>'
            f'<text {_TEXT["detail"]} x="{x + 10}" y="{_f(y + 27)}">{_e(node.detail)}</text></g>'
        )


def _f(value: float) -> str:
    """A coordinate with at most one decimal, the same on every platform."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _legend(x: int, y: float) -> tuple[str, float]:
    """Three rows: store fills, edge styles, node shapes; returns the SVG and its height."""
    parts = ['<g class="legend">']
    rows: list[tuple[str, list[str]]] = [
        ("data stores", []),
        ("edges (left to right)", []),
        ("credentials, tenants", []),
    ]
    for i, name in enumerate(CLASSIFICATIONS):
        lx, ly = x + 150 + i * 130, y
        rows[0][1].append(
            f'<rect x="{lx}" y="{_f(ly)}" width="26" height="14" rx="3" '
            f'fill="{CLASSIFICATION_FILL[name]}" stroke="#495057"/>'
            f'<text {_TEXT["detail"]} x="{lx + 32}" y="{_f(ly + 11)}">{name}</text>'
        )
    styles = [(name, *ACCESS_STROKE[name]) for name in ACCESSES]
    styles.append(("keeps credential", *STORED_STROKE))
    for i, (name, colour, width, dash) in enumerate(styles):
        lx, ly = x + 150 + i * 130, y + 22
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        rows[1][1].append(
            f'<line x1="{lx}" y1="{_f(ly + 7)}" x2="{lx + 26}" y2="{_f(ly + 7)}" '
            f'stroke="{colour}" stroke-width="{_f(width)}"{dash_attr}/>'
            f'<text {_TEXT["detail"]} x="{lx + 32}" y="{_f(ly + 11)}">{name}</text>'
        )
    kinds = [
        ("start credential", "#ffffff", ""),
        ("not live", "#ffffff", ' stroke-dasharray="5 3" opacity="0.6"'),
        ("exposed credential", "#e9defc", ""),
        ("tenant", "#eef0f3", ""),
    ]
    for i, (name, fill, extra) in enumerate(kinds):
        lx, ly = x + 150 + i * 130, y + 44
        rx = 3 if name == "tenant" else 7
        rows[2][1].append(
            f'<rect x="{lx}" y="{_f(ly)}" width="26" height="14" rx="{rx}" '
            f'fill="{fill}" stroke="#495057"{extra}/>'
            f'<text {_TEXT["detail"]} x="{lx + 32}" y="{_f(ly + 11)}">{name}</text>'
        )
    for i, (heading, items) in enumerate(rows):
        parts.append(f'<text {_TEXT["heading"]} x="{x}" y="{_f(y + i * 22 + 11)}">{heading}</text>')
        parts.extend(items)
    parts.append("</g>")
    return "".join(parts), 62.0


_CSS = """
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 13px;
  color: #212529; background: #ffffff; margin: 0; }
header { background: #1f2a44; color: #ffffff; padding: 14px 24px; }
header h1 { margin: 0 0 6px; font-size: 22px; }
header nav a { color: #cfe2ff; margin-right: 16px; }
dl.meta { display: flex; flex-wrap: wrap; gap: 4px 22px; margin: 4px 0 8px; }
dl.meta div { display: flex; gap: 6px; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; font-family: "DejaVu Sans Mono", monospace; word-break: break-all; }
main { padding: 0 24px 24px; }
h2 { margin: 22px 0 8px; font-size: 18px; border-bottom: 2px solid #dee2e6; }
h3 { margin: 10px 0 6px; font-size: 14px; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; }
.card { border: 1px solid #ced4da; border-radius: 6px; padding: 6px 14px; min-width: 80px;
  text-align: center; background: #f8f9fa; }
.card .count { font-size: 20px; font-weight: bold; }
.card .what { color: #495057; }
.sev-critical .count, .tier-critical .count { color: #b91c1c; }
.sev-high .count, .tier-high .count { color: #c2410c; }
.sev-medium .count, .tier-medium .count { color: #a16207; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { border: 1px solid #dee2e6; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f1f3f5; }
td.num { text-align: right; white-space: nowrap; }
td.id code, td.id { word-break: break-all; }
td.rule { white-space: nowrap; }
code, pre { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 12px; }
pre { white-space: pre-wrap; word-break: break-all; margin: 4px 0; max-width: 340px; }
details summary { cursor: pointer; color: #1f2a44; word-break: break-all; }
ul.factors { margin: 0; padding-left: 16px; }
abbr { white-space: nowrap; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 9px; font-weight: bold;
  font-size: 12px; background: #e9ecef; color: #212529; white-space: nowrap; }
.badge.sev-critical, .badge.tier-critical { background: #b91c1c; color: #ffffff; }
.badge.sev-high, .badge.tier-high { background: #ea580c; color: #ffffff; }
.badge.sev-medium, .badge.tier-medium { background: #facc15; color: #212529; }
.badge.sev-low, .badge.tier-low { background: #bfdbfe; color: #212529; }
.badge.cls-public { background: #cfe2ff; } .badge.cls-internal { background: #c7e9d3; }
.badge.cls-confidential { background: #ffe08a; } .badge.cls-restricted { background: #f4a6ae; }
.badge.acc-admin { background: #b91c1c; color: #ffffff; }
.badge.acc-write { background: #d97706; color: #ffffff; }
.picture { overflow-x: auto; border: 1px solid #dee2e6; border-radius: 6px; background: #fcfcfd;
  margin: 8px 0; }
.empty { color: #6c757d; font-style: italic; }
footer { color: #6c757d; padding: 12px 24px; border-top: 1px solid #dee2e6; }
"""
