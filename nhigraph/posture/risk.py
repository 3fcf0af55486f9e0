"""Risk per integration: its blast score and the findings it carries, explained; and tiers.

``risk = blast score x blast_weight + the severity points of its findings`` (policy),
with the tier from the policy's thresholds. Every assessment lists each factor's
contribution, so a reviewer sees why an integration is where it is. Pure over an
``Estate`` and a ``ReachView``; cost: one merge of memoised credential reaches per
integration (``posture.reach``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from nhigraph.graph import blast
from nhigraph.graph.estate import Estate
from nhigraph.graph.model import Label, RelType
from nhigraph.graph.policy import Policy
from nhigraph.posture.reach import Reach


class FindingLike(Protocol):
    @property
    def rule(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def integration(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Factor:
    name: str
    points: float
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "points": self.points, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    integration: str
    name: str
    risk: float
    tier: str
    blast_score: float
    factors: tuple[Factor, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "integration": self.integration,
            "name": self.name,
            "risk": self.risk,
            "tier": self.tier,
            "blast_score": self.blast_score,
            "factors": [f.to_dict() for f in self.factors],
        }


def assess(
    estate: Estate,
    view: blast.ReachView,
    policy: Policy,
    as_of: str,
    findings: Iterable[FindingLike],
    max_chain: int = 3,
    reach: Reach | None = None,
) -> list[RiskAssessment]:
    """Every integration's risk, highest first (then by id). ``reach`` answers the blast
    radii (one memoised per-credential reach shared with the findings, when given)."""
    reach = reach or Reach(view, as_of, policy.blast, max_chain)
    by_integration: dict[str, list[FindingLike]] = {}
    for finding in findings:
        if finding.integration is not None:
            by_integration.setdefault(finding.integration, []).append(finding)
    points = policy.risk.severity_points
    out = []
    for integration, props in sorted(estate.of(Label.INTEGRATION).items()):
        radius = reach.summary(estate.targets(integration, RelType.HAS_CREDENTIAL))
        factors = [
            Factor(
                "blast radius",
                radius.score * policy.risk.blast_weight,
                f"{len(radius.stores)} data stores, {len(radius.tenants)} tenants reachable",
            )
        ]
        for finding in sorted(by_integration.get(integration, []), key=_finding_order):
            factors.append(
                Factor(
                    finding.title,
                    float(getattr(points, finding.severity)),
                    f"{finding.rule} ({finding.severity}) on {finding.subject}",
                )
            )
        risk = round(sum(f.points for f in factors), 2)
        out.append(
            RiskAssessment(
                integration,
                str(props.get("name", integration)),
                risk,
                policy.risk.tier(risk),
                radius.score,
                tuple(factors),
            )
        )
    out.sort(key=lambda a: (-a.risk, a.integration))
    return out


_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


def _finding_order(finding: FindingLike) -> tuple[int, str, str]:
    return (_SEVERITY_ORDER.get(finding.severity, 9), finding.rule, finding.subject)
