"""The estate's posture at a moment: findings, risk per integration, the review queue.

One function so the CLI and the API answer the same way: a snapshot of the store
(``graph.estate``), every finding (``posture.findings``), each integration's risk from
its blast score and findings (``posture.risk``), and the review queue
(``posture.reviews``). Cost: a snapshot, the rules, and each credential's reach once
(``posture.reach``), shared by the rules and the risk.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from nhigraph.graph.estate import Estate, read_estate
from nhigraph.graph.model import Label
from nhigraph.graph.policy import Policy
from nhigraph.graph.store import Store
from nhigraph.posture import findings as rules
from nhigraph.posture.reach import Reach
from nhigraph.posture.reviews import QueueEntry, review_queue
from nhigraph.posture.risk import RiskAssessment, assess


@dataclass(frozen=True, slots=True)
class Posture:
    as_of: str
    estate: Estate
    findings: tuple[rules.Finding, ...]
    risks: tuple[RiskAssessment, ...]
    queue: tuple[QueueEntry, ...]

    def summary(self) -> dict[str, Any]:
        severities = Counter(f.severity for f in self.findings)
        tiers = Counter(r.tier for r in self.risks)
        return {
            "integrations": len(self.risks),
            "findings": len(self.findings),
            "by_severity": {s: severities.get(s, 0) for s in rules.SEVERITY_RANK},
            "tiers": {t: tiers.get(t, 0) for t in ("critical", "high", "medium", "low")},
            "overdue_reviews": sum(1 for e in self.queue if e.overdue_days > 0),
        }


def assess_posture(
    store: Store, policy: Policy, as_of: str, max_chain: int = 3, estate: Estate | None = None
) -> Posture:
    """The posture at ``as_of``; ``estate`` is a snapshot of ``store`` already taken."""
    estate = read_estate(store) if estate is None else estate
    reach = Reach(store, as_of, policy.blast, max_chain)
    reach.prepare(list(estate.of(Label.CREDENTIAL)))  # in batches, before any rule asks
    found = rules.find(estate, store, policy, as_of, max_chain, reach)
    risks = assess(estate, store, policy, as_of, found, max_chain, reach)
    queue = review_queue(estate, risks, policy, as_of)
    return Posture(as_of, estate, tuple(found), tuple(risks), tuple(queue))
