"""The stored posture: write a build, say whether it is current, and read it back.

``refresh`` builds and saves the posture when the store has none, or when the graph
moved since it was built (its generation), or the policy changed. ``status`` says
which. ``load`` reads it back as the same ``Posture`` the on-demand computation gives
(findings, risk, the review queue), with days overdue counted at read time, so every
interface shows the same answers without walking the estate. A question about a past
``as_of`` is not stored: ``graph.posture.assess_posture`` computes it on demand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from nhigraph.graph.estate import Estate
from nhigraph.graph.model import format_utc
from nhigraph.graph.policy import Policy
from nhigraph.graph.store import FindingQuery, Store
from nhigraph.posture.assess import Posture
from nhigraph.posture.build import FORMAT, build_posture, policy_digest
from nhigraph.posture.findings import SEVERITY_RANK, Finding, Reference
from nhigraph.posture.reviews import QueueEntry, ReviewRecord
from nhigraph.posture.risk import Factor, RiskAssessment

PAGE = 5000  # rows per read when loading everything


@dataclass(frozen=True, slots=True)
class PostureStatus:
    built: bool
    as_of: str | None  # the moment it was computed for
    generation: int | None  # the graph generation it was computed from
    current_generation: int
    integrations: int
    findings: int
    why_stale: str | None  # None: current

    @property
    def stale(self) -> bool:
        return self.why_stale is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "built": self.built,
            "as_of": self.as_of,
            "generation": self.generation,
            "current_generation": self.current_generation,
            "integrations": self.integrations,
            "findings": self.findings,
            "stale": self.stale,
            "why_stale": self.why_stale,
        }


def now_utc() -> str:
    return format_utc(datetime.now(UTC).replace(microsecond=0))


def status(store: Store, policy: Policy, max_age: timedelta | None = None) -> PostureStatus:
    """Whether the stored posture answers for the graph as it is now."""
    current = store.generation()
    meta = store.posture_meta()
    if meta is None:
        return PostureStatus(False, None, None, current, 0, 0, "no posture has been built")
    generation = int(meta.get("generation", "-1"))
    why = None
    if meta.get("format") != FORMAT:
        why = "it was built by another version of nhigraph"
    elif generation != current:
        why = f"the graph changed since (generation {generation} -> {current})"
    elif meta.get("policy") != policy_digest(policy):
        why = "the policy changed since"
    elif max_age is not None and _age(meta.get("as_of", "")) > max_age:
        why = f"it was computed for {meta.get('as_of')}, more than {max_age} ago"
    return PostureStatus(
        True,
        meta.get("as_of"),
        generation,
        current,
        int(meta.get("integrations", "0")),
        int(meta.get("findings", "0")),
        why,
    )


def _age(as_of: str) -> timedelta:
    try:
        moment = datetime.fromisoformat(as_of.replace("Z", "+00:00"))
    except ValueError:
        return timedelta.max
    return datetime.now(UTC) - moment


#: Liveness changes with time (expiries): a posture older than this is rebuilt on read.
MAX_AGE = timedelta(hours=24)


def rebuild(store: Store, policy: Policy, max_chain: int = 3) -> PostureStatus:
    """Build the posture now and store it; returns the new status."""
    now = now_utc()
    store.save_posture(build_posture(store, policy, now, max_chain), now)
    return status(store, policy)


def ensure(store: Store, policy: Policy) -> tuple[PostureStatus, bool]:
    """The stored posture, rebuilt first when it is missing or stale; (status, rebuilt)."""
    current = status(store, policy, MAX_AGE)
    if not current.stale:
        return current, False
    return rebuild(store, policy), True


# --------------------------------------------------------------------------- reading


def finding_from(body: dict[str, Any]) -> Finding:
    return Finding(
        rule=body["rule"],
        title=body["title"],
        severity=body["severity"],
        subject=body["subject"],
        integration=body["integration"],
        evidence=body["evidence"],
        remediation=body["remediation"],
        owasp=tuple(Reference(r["id"], r["name"]) for r in body["owasp"]),
        nist=tuple(Reference(r["id"], r["name"]) for r in body["nist"]),
    )


def risk_from(body: dict[str, Any]) -> RiskAssessment:
    return RiskAssessment(
        body["integration"],
        body["name"],
        body["risk"],
        body["tier"],
        body["blast_score"],
        tuple(Factor(f["name"], f["points"], f["detail"]) for f in body["factors"]),
    )


def queue_entry_from(body: dict[str, Any], now: datetime) -> QueueEntry:
    due = datetime.fromisoformat(body["due"].replace("Z", "+00:00"))
    last = body.get("last_review")
    return QueueEntry(
        body["integration"],
        body["name"],
        body["tier"],
        body["risk"],
        body["blast_score"],
        body["due"],
        int((now - due) // timedelta(days=1)),
        None if last is None else ReviewRecord(**last),
    )


def load(store: Store, as_of: str | None = None) -> Posture:
    """Everything stored, as a ``Posture`` (days overdue counted at ``as_of``, default
    now). Cost: a read of every stored row, paged."""
    meta = store.posture_meta() or {}
    moment = as_of or now_utc()
    now = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    findings: list[Finding] = []
    after: tuple[int, str, str, str, str] | None = None
    while True:
        page = store.posture_findings(FindingQuery(first=PAGE, after=after))
        findings.extend(finding_from(json.loads(row.body)) for row in page)
        if len(page) < PAGE:
            break
        last = findings[-1]
        after = (
            SEVERITY_RANK[last.severity],
            last.rule,
            last.subject,
            last.integration or "",
            page[-1].id,
        )
    # The store pages by (severity, rule, subject, id); the engine's order breaks ties by
    # the integration and the evidence.
    findings.sort(key=Finding.sort_key)
    risks: list[RiskAssessment] = []
    queue: list[QueueEntry] = []
    for order in ("risk", "due"):
        cursor: tuple[Any, ...] | None = None
        while True:
            rows = store.posture_integrations(order, PAGE, cursor)
            for record, _ in rows:
                body = json.loads(record.body)
                if order == "risk":
                    risks.append(risk_from(body["risk"]))
                else:
                    queue.append(queue_entry_from(body["review"], now))
            if len(rows) < PAGE:
                break
            cursor = rows[-1][1]
    # Days overdue are whole days at read time: two dues in one day tie on them, and the
    # queue then orders by risk (posture.reviews), which the stored due order cannot know.
    queue.sort(key=lambda e: (-e.overdue_days, -e.risk, -e.blast_score, e.integration))
    return Posture(meta.get("as_of", moment), Estate(), tuple(findings), tuple(risks), tuple(queue))
