"""Access reviews: recording them, and the queue that says what to review first.

A review is a ``Review`` node ``REVIEWS`` an integration: decision (keep, reduce,
revoke), notes, who and when. Each is written once, in a sync scope of its own, so
no cleanup ever removes it (it is history; if the integration goes, the review node
stays). The next review is due ``cadence(tier)`` days after the last one; an
integration never reviewed is due on the date people declared (``review_due``), or
else since it was first seen. The queue orders by days overdue, then risk, then blast
score, then id. Pure over an ``Estate`` except ``record_review``, which writes.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from nhigraph.errors import NhigraphError
from nhigraph.graph.estate import Estate
from nhigraph.graph.model import Label, RelType, Review, ReviewDecision, format_utc
from nhigraph.graph.policy import Policy
from nhigraph.graph.store import Batch, NodeRow, RelRow, Store, SyncRun
from nhigraph.posture.risk import RiskAssessment
from nhigraph.secrets import secret_kind

SOURCE = "reviews"


class UnknownIntegration(NhigraphError):
    code = "NOT_FOUND"


class BadReview(NhigraphError):
    """A review that cannot be recorded as given; the message never quotes the value."""

    code = "BAD_USER_INPUT"


#: Review notes are free text, capped like every other text of the model.
NOTES_MAX = 2000


def check_notes(notes: str | None) -> None:
    """Refuse notes that hold a secret (every reader can read a review: a pasted token
    would be published to all of them) or that are over ``NOTES_MAX`` characters. The
    same secret shapes as ingest redacts; the message names the kind, never the value."""
    if notes is None:
        return
    kind = secret_kind(notes)
    if kind is not None:
        raise BadReview(
            f"notes look like they hold {kind}; reviews are readable by every reader, so "
            "leave the secret out (and revoke it if it is real)"
        )
    if len(notes.strip()) > NOTES_MAX:
        raise BadReview(f"notes have {len(notes.strip())} characters; at most {NOTES_MAX}")


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    id: str
    integration: str
    decision: str
    notes: str | None
    reviewer: str
    reviewed_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "integration": self.integration,
            "decision": self.decision,
            "notes": self.notes,
            "reviewer": self.reviewer,
            "reviewed_at": self.reviewed_at,
        }


def record_review(
    store: Store,
    integration: str,
    decision: ReviewDecision | str,
    reviewer: str,
    notes: str | None = None,
    now: datetime | None = None,
) -> ReviewRecord:
    """Write one review of ``integration`` (which must exist) in its own transaction."""
    check_notes(notes)
    if store.labels_of([integration]).get(integration) != Label.INTEGRATION:
        raise UnknownIntegration(f"no integration {integration}")
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    review_id = f"review:{integration}@{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    try:
        review = Review(
            id=review_id,
            decision=ReviewDecision(decision),
            notes=notes,
            reviewer=reviewer,
            reviewed_at=moment,
        )
    except (ValidationError, ValueError) as exc:
        fields = (
            sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
            if isinstance(exc, ValidationError)
            else ["decision"]
        )
        raise BadReview(f"not a valid review: check {', '.join(fields)}") from None
    props = review.model_dump(mode="json", exclude={"id"}, exclude_none=True)
    batch = Batch(
        SOURCE,
        review_id,  # a scope of its own: no cleanup ever runs over it
        [NodeRow(str(Label.REVIEW), review_id, props)],
        [RelRow(str(RelType.REVIEWS), review_id, integration)],
    )
    store.upsert(batch, SyncRun.start(moment))
    return ReviewRecord(review_id, integration, str(review.decision), notes, reviewer,
                        format_utc(moment))  # fmt: skip


def reviews_of(estate: Estate, integration: str) -> list[ReviewRecord]:
    """Reviews of ``integration``, newest first."""
    found = []
    for review_id in estate.sources(integration, RelType.REVIEWS):
        props = estate.of(Label.REVIEW).get(review_id)
        if props is None:
            continue
        found.append(
            ReviewRecord(
                review_id,
                integration,
                str(props["decision"]),
                props.get("notes"),
                str(props["reviewer"]),
                str(props["reviewed_at"]),
            )
        )
    return sorted(found, key=lambda r: (r.reviewed_at, r.id), reverse=True)


@dataclass(frozen=True, slots=True)
class QueueEntry:
    integration: str
    name: str
    tier: str
    risk: float
    blast_score: float
    due: str
    overdue_days: int  # negative: due in that many days
    last_review: ReviewRecord | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "integration": self.integration,
            "name": self.name,
            "tier": self.tier,
            "risk": self.risk,
            "blast_score": self.blast_score,
            "due": self.due,
            "overdue_days": self.overdue_days,
            "last_review": None if self.last_review is None else self.last_review.to_dict(),
        }


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def review_queue(
    estate: Estate, assessments: Sequence[RiskAssessment], policy: Policy, as_of: str
) -> list[QueueEntry]:
    """Every integration with when its review is due; most overdue first."""
    now = _parse(as_of)
    entries = []
    for assessment in assessments:
        props = estate.of(Label.INTEGRATION).get(assessment.integration, {})
        # Only reviews recorded by as_of count: the queue at a past moment is as it was then.
        history = [r for r in reviews_of(estate, assessment.integration) if r.reviewed_at <= as_of]
        last = history[0] if history else None
        if last is not None:
            cadence = getattr(policy.reviews.cadence_days, assessment.tier)
            due = _parse(last.reviewed_at) + timedelta(days=cadence)
        elif props.get("review_due"):
            due = _parse(str(props["review_due"]))
        else:
            due = _parse(str(props.get("first_seen", as_of)))
        overdue = (now - due) // timedelta(days=1)
        entries.append(
            QueueEntry(
                assessment.integration,
                assessment.name,
                assessment.tier,
                assessment.risk,
                assessment.blast_score,
                format_utc(due),
                int(overdue),
                last,
            )
        )
    entries.sort(key=lambda e: (-e.overdue_days, -e.risk, -e.blast_score, e.integration))
    return entries
