"""A posture build: everything derived from the graph at one moment, as rows a store keeps.

``build_posture`` computes, from one snapshot of the store, every finding, each
integration's risk with its factors and its reach summary (stores with effective
access and depth, by classification, blast score, whether any reach is chained), the
review queue's due dates, and each shared connector's effective and approved radius
and excess. ``save_posture`` writes it into the same store beside the graph, marked
derived: sources never write or clean it, and findings keep their history (first
seen, last seen, resolved). Readers (CLI, API) read the stored rows, paged by the
store, instead of walking the estate per request.

Cost: one snapshot (O(V + E)), each credential's reach once (``posture.reach``), the
rules, and one engine run (with witness paths) per integration whose effective radius
exceeds its approval; memory is the snapshot, the memoised reach summaries and the
rows, never every radius with its paths.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from nhigraph.graph.estate import Estate, read_estate
from nhigraph.graph.model import ACCESS_RANK, Label, RelType, format_utc
from nhigraph.graph.policy import Policy
from nhigraph.graph.store import FindingRow, IntegrationRow, PostureRows, SharedRow, Store
from nhigraph.posture.findings import SEVERITY_RANK, Finding, find
from nhigraph.posture.reach import Reach, Summary
from nhigraph.posture.reviews import review_queue
from nhigraph.posture.risk import assess

#: The version of the rows below; a store holding another is rebuilt, not read.
FORMAT = "1"


def finding_id(finding: Finding) -> str:
    """A finding's stable id: its rule, subject, the integration it is charged to, and the
    data store it names (a credential kept in two stores is two findings)."""
    store = finding.evidence.get("store", "")
    text = "\x1f".join((finding.rule, finding.subject, finding.integration or "", str(store)))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def policy_digest(policy: Policy) -> str:
    return hashlib.sha256(_json(policy.model_dump(mode="json")).encode()).hexdigest()[:16]


def build_posture(
    store: Store,
    policy: Policy,
    as_of: str | None = None,
    max_chain: int = 3,
    check: Callable[[], None] | None = None,
) -> PostureRows:
    """The posture of ``store`` at ``as_of`` (default now), with the generation it was
    computed from. ``check`` is called in the engine's loops (cancellation)."""
    generation = store.generation()
    now = as_of or format_utc(datetime.now(UTC).replace(microsecond=0))
    estate = read_estate(store)
    reach = Reach(store, now, policy.blast, max_chain, check)
    integrations = estate.of(Label.INTEGRATION)
    reach.prepare(list(estate.of(Label.CREDENTIAL)))
    # Every integration's summary first; then the per-credential memo can go (the rules
    # and the risk ask for summaries, which are remembered).
    for integration in integrations:
        reach.summary(estate.targets(integration, RelType.HAS_CREDENTIAL))
    reach.forget_walks()
    findings = find(estate, store, policy, now, max_chain, reach)
    risks = assess(estate, store, policy, now, findings, max_chain, reach)
    queue = {e.integration: e for e in review_queue(estate, risks, policy, now)}
    build = PostureRows(
        meta={
            "format": FORMAT,
            "as_of": now,
            "generation": str(generation),
            "max_chain": str(max_chain),
            "policy": policy_digest(policy),
            "integrations": str(len(integrations)),
            "findings": str(len(findings)),
        }
    )
    for finding in findings:
        build.findings.append(
            FindingRow(
                finding_id(finding),
                finding.rule,
                SEVERITY_RANK[finding.severity],
                finding.subject,
                finding.integration,
                _json(finding.to_dict()),
            )
        )
    for risk in risks:
        credentials = estate.targets(risk.integration, RelType.HAS_CREDENTIAL)
        summary = reach.summary(credentials)
        entry = queue[risk.integration]
        review = entry.to_dict()
        review.pop("overdue_days")  # depends on when it is read
        body = {"risk": risk.to_dict(), "review": review, "reach": reach_body(summary)}
        build.integrations.append(
            IntegrationRow(
                risk.integration, risk.risk, risk.tier, risk.blast_score, entry.due, _json(body)
            )
        )
        build.reach.extend(
            (risk.integration, store_id, access, depth)
            for store_id, (access, depth) in summary.stores.items()
        )
    build.shared.extend(_shared(store, estate, reach))
    return build


def reach_body(summary: Summary) -> dict[str, Any]:
    """What the stored record says of an integration's reach (the stores themselves are
    REACHES rows)."""
    by_class = Counter(summary.classes.values())
    return {
        "stores": len(summary.stores),
        "tenants": len(summary.tenants),
        "by_classification": dict(sorted(by_class.items())),
        "blast_score": summary.score,
        "chained": summary.chained,
        "max_depth": max((d for _, d in summary.stores.values()), default=0),
    }


def _shared(store: Store, estate: Estate, reach: Reach) -> Iterator[SharedRow]:
    """Shared connectors (two or more distinct teams own or use them): the effective and
    approved radius and the excess by store and access."""
    for integration, teams in sorted(store.team_usage().items()):
        if len(teams) < 2:
            continue
        credentials = estate.targets(integration, RelType.HAS_CREDENTIAL)
        effective = reach.summary(credentials)
        approved = reach.approved(credentials, estate.targets(integration, RelType.APPROVED_FOR))
        # Approved stores are reached directly by the same credentials: effective ones too.
        approved_score = sum(
            reach.policy.store_weight(effective.classes[s], a) for s, a in approved.items()
        )
        excess = [
            {"store": s, "effective_access": a, "approved_access": approved.get(s)}
            for s, (a, _) in effective.stores.items()
            if s not in approved or ACCESS_RANK[a] > ACCESS_RANK[approved[s]]
        ]
        body = {
            "teams": list(teams),
            "effective_score": effective.score,
            "approved_score": round(approved_score, 6),
            "excess": excess,
        }
        yield SharedRow(integration, len(excess), _json(body))
