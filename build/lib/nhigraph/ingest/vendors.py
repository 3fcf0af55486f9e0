"""Tie integrations to vendors from the publisher hints their sources carry.

A source says who publishes an app (Microsoft's verified publisher, a GitHub app's
owner organisation, a Slack app directory entry, ...); the same connector authorised
in two Salesforce orgs and a Google Workspace carries the same publisher three
times. After every ingest, ``link_vendors`` groups integrations by publisher (by
name, made comparable: case, punctuation and legal suffixes such as 'Inc.' or
'GmbH' dropped; and by the source's publisher id, which joins differently spelt
names) and writes one ``PROVIDES`` per integration, as the derived source ``link``:

- a vendor the inventory (or any source) declares whose name or alias matches is
  used; otherwise a vendor ``vendor:<name key>`` is created, named as its apps are;
- an integration whose vendor someone declared (an inventory ``vendor:``) is left
  alone: people win over hints;
- what no longer holds (an app gone, a vendor declared since) is removed by the
  ``link`` cleanup, so the links always reflect the current graph.

Unverified hints are names an app chose for itself; they still link (a compromise
scoping errs towards inclusion), and ``publisher_verified`` on the integration
says how far to trust that.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from nhigraph.graph.model import Label, RelType
from nhigraph.graph.store import (
    Batch,
    IntegrationRef,
    NodeRow,
    RelRow,
    Store,
    SyncRun,
    VendorRef,
    WriteSummary,
)

SOURCE = "link"
TENANT = "vendors"

# Words that say what legal form a company has, not who it is.
_LEGAL = frozenset(
    {
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "llp",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "bv",
        "nv",
        "corp",
        "corporation",
        "co",
        "company",
        "pty",
        "oy",
        "ab",
        "as",
        "aps",
        "srl",
        "spa",
        "kk",
    }
)


def vendor_key(name: str) -> str:
    """A publisher name made comparable: 'Ledgerly, Inc.' and 'LEDGERLY' give 'ledgerly'."""
    words = re.findall(r"[a-z0-9]+", name.casefold())
    while len(words) > 1 and words[-1] in _LEGAL:
        words.pop()
    return "".join(words)


@dataclass(frozen=True, slots=True)
class VendorLinks:
    batch: Batch
    linked: int  # integrations given a vendor from hints
    created: int  # vendors created because nobody declared them


def plan_links(integrations: Sequence[IntegrationRef], vendors: Sequence[VendorRef]) -> VendorLinks:
    """The ``link`` batch for the graph as it is: pure, O(integrations + vendors)."""
    declared: dict[str, str] = {}  # name key -> vendor id (declared by people or sources)
    for vendor in vendors:
        if vendor.source == SOURCE:
            continue
        for name in (vendor.name, *vendor.aliases):
            key = vendor_key(name)
            if key and (key not in declared or vendor.id < declared[key]):
                declared[key] = vendor.id
    hinted = [i for i in integrations if i.publisher and not i.declared_vendors]
    # Union name keys that one source's publisher id says are the same publisher.
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.get(key, key) != key:
            key = parent[key]
        return key

    by_publisher_id: dict[tuple[str | None, str], str] = {}
    for item in hinted:
        key = vendor_key(item.publisher or "")
        if not key:
            continue
        parent.setdefault(key, key)
        if item.publisher_id:
            other = by_publisher_id.setdefault((item.provider, item.publisher_id), key)
            a, b = sorted((find(key), find(other)))
            parent[b] = a
    groups: dict[str, list[IntegrationRef]] = {}
    for item in hinted:
        key = vendor_key(item.publisher or "")
        if key:
            groups.setdefault(find(key), []).append(item)
    nodes: list[NodeRow] = []
    rels: list[RelRow] = []
    for root, members in sorted(groups.items()):
        keys = sorted({vendor_key(m.publisher or "") for m in members})
        vendor_id = next((declared[k] for k in keys if k in declared), None)
        if vendor_id is None:
            vendor_id = f"vendor:{root}"
            names = sorted({m.publisher or "" for m in members}, key=lambda n: (n.casefold(), n))
            props: dict[str, object] = {"name": names[0]}
            if len(names) > 1:
                props["aliases"] = names[1:]
            nodes.append(NodeRow(str(Label.VENDOR), vendor_id, props))
        rels.extend(RelRow(str(RelType.PROVIDES), vendor_id, m.id) for m in members)
    batch = Batch(SOURCE, TENANT, nodes, sorted(rels, key=lambda r: (r.start, r.end)))
    return VendorLinks(batch, linked=len(rels), created=len(nodes))


def link_vendors(store: Store) -> tuple[VendorLinks, WriteSummary]:
    """Plan the links on ``store``'s current graph, write them, and clean up stale ones."""
    plan = plan_links(store.integration_refs(SOURCE), store.vendor_refs())
    run = SyncRun.start()
    summary = store.upsert(plan.batch, run) + store.cleanup(SOURCE, TENANT, run)
    return plan, summary
