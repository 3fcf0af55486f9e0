"""Pagination state: does a page say more pages follow, and which page chains were read whole.

Every SaaS list API pages its answers, and each says "more follow" its own way: Graph's
``@odata.nextLink``, Google's ``nextPageToken``, Slack's ``response_metadata.next_cursor``,
Salesforce's ``done: false`` with ``nextRecordsUrl``, and GitHub's and Okta's
``Link: <...>; rel="next"`` header. Some also give a total (GitHub's ``total_count``,
Salesforce's ``totalSize``). ``completeness`` reads those markers on saved and fetched
pages alike and says which page chains (an endpoint, or an endpoint for one parent) were
read to their end; cleanup removes only what such chains stopped reporting. Nothing here
writes or parses records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from nhigraph.graph.store import Seen
from nhigraph.ingest.raw import RawPage


class Envelope(StrEnum):
    SINGLE = "single"  # one response; nothing follows it (a report, one object)
    ODATA = "odata"  # Microsoft Graph: @odata.nextLink
    TOKEN = "token"  # Google APIs: nextPageToken
    CURSOR = "cursor"  # Slack Web API: response_metadata.next_cursor
    LINK = "link"  # GitHub, Okta: the Link header's rel="next"
    SOQL = "soql"  # Salesforce REST query: done false, nextRecordsUrl


@dataclass(frozen=True, slots=True)
class Paging:
    """How one endpoint's pages say more follow, and where a total is given."""

    envelope: Envelope
    items: str | None = None  # the member holding a page's items, when a total is given
    total: str | None = None  # the member giving the number of items over every page


SINGLE = Paging(Envelope.SINGLE)


def _member(body: Any, *keys: str) -> Any:
    for key in keys:
        body = body.get(key) if isinstance(body, dict) else None
    return body


_LINK = re.compile(r"<([^>]*)>([^<]*)")
_REL = re.compile(r"""\brel\s*=\s*"?([^";,]*)""", re.IGNORECASE)


def link_next(header: str) -> str | None:
    """The target of a ``Link`` header's rel="next" entry (RFC 8288), if any."""
    for target, params in _LINK.findall(header):
        for rel in _REL.findall(params):
            if "next" in rel.lower().split():
                return str(target)
    return None


def more_marker(paging: Paging, page: RawPage) -> str | None:
    """The marker by which ``page`` says more pages follow it, or None."""
    body = page.body
    envelope = paging.envelope
    if envelope is Envelope.ODATA:
        link = _member(body, "@odata.nextLink")
        return "@odata.nextLink" if isinstance(link, str) and link else None
    if envelope is Envelope.TOKEN:
        token = _member(body, "nextPageToken")
        return "nextPageToken" if isinstance(token, str) and token else None
    if envelope is Envelope.CURSOR:
        cursor = _member(body, "response_metadata", "next_cursor")
        return "response_metadata.next_cursor" if isinstance(cursor, str) and cursor else None
    if envelope is Envelope.SOQL:
        if _member(body, "done") is False:
            return "done: false"
        following = _member(body, "nextRecordsUrl")
        return "nextRecordsUrl" if isinstance(following, str) and following else None
    if envelope is Envelope.LINK:
        header = page.headers.get("link")
        return 'Link rel="next"' if header and link_next(header) else None
    return None


def _count(paging: Paging, page: RawPage) -> tuple[int, int] | None:
    """(items on the page, the total it reports), when the endpoint gives a total."""
    if paging.total is None or paging.items is None:
        return None
    total = _member(page.body, paging.total)
    items = _member(page.body, paging.items)
    if isinstance(total, bool) or not isinstance(total, int) or not isinstance(items, list):
        return None
    return len(items), total


@dataclass(frozen=True, slots=True)
class Gap:
    """One page chain that was not read to its end."""

    file: str  # the last page read of the chain
    origin: str  # the chain ('<endpoint>' or '<endpoint>/<parent>')
    why: str

    def __str__(self) -> str:
        return f"{self.file}: {self.why}; what {self.origin} reported before is kept"


def _chains(pages: Iterable[RawPage]) -> dict[str, list[RawPage]]:
    chains: dict[str, list[RawPage]] = {}
    for page in pages:
        chains.setdefault(page.origin, []).append(page)
    return chains


def completeness(
    pagings: Mapping[str, Paging], pages: Mapping[str, Sequence[RawPage]]
) -> tuple[Seen, list[Gap]]:
    """Which page chains of ``pages`` were read whole, and what is missing.

    A chain is whole when its last page (in the order read) says nothing more follows
    and, where the endpoint reports a total, its pages hold that many items. ``whole``
    in the result means every endpoint of ``pagings`` had pages and every chain is whole.
    A missing middle page that no total reveals cannot be seen from the pages.
    """
    complete: set[str] = set()
    gaps: list[Gap] = []
    whole = True
    for endpoint, paging in pagings.items():
        endpoint_pages = pages.get(endpoint, ())
        if not endpoint_pages:
            whole = False
            continue
        for origin, chain in _chains(endpoint_pages).items():
            last = chain[-1]
            marker = more_marker(paging, last)
            if marker is not None:
                what = f"the last page of {origin} read says more pages follow ({marker})"
                gaps.append(Gap(last.file, origin, f"{what}, but no later page was read"))
                continue
            counts = [c for c in (_count(paging, p) for p in chain) if c is not None]
            if counts:
                held = sum(n for n, _ in counts)
                total = max(t for _, t in counts)
                if held < total:
                    why = f"{origin} holds {held} of the {total} items its {paging.total} reports"
                    gaps.append(Gap(last.file, origin, why))
                    continue
            complete.add(origin)
    return Seen(frozenset(complete), whole and not gaps), gaps
