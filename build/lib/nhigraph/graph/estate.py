"""A read-only snapshot of the whole graph, for rules that look at everything at once.

Findings, risk and the review queue ask questions across the estate (every
integration's owner, credentials, scopes, vendor, ...). ``read_estate`` takes one
snapshot through the store contract's generic reads (``nodes_of`` per label,
``neighbours`` per relationship type), so both stores give the same snapshot and
everything computed from it agrees. Properties are the effective ones (people's
patches win). Cost: one scan per label and one batched read per relationship type,
O(V + E); the snapshot itself is plain dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nhigraph.graph.model import ENDPOINTS, Label, RelType, effective
from nhigraph.graph.store import Store

Props = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Edge:
    other: str
    props: Props


@dataclass
class Estate:
    """Nodes by label (id -> effective props, bookkeeping included) and relationships
    by type in both directions (id -> [Edge], ordered by the other id)."""

    nodes: dict[str, dict[str, Props]] = field(default_factory=dict)
    out: dict[str, dict[str, list[Edge]]] = field(default_factory=dict)
    into: dict[str, dict[str, list[Edge]]] = field(default_factory=dict)

    def of(self, label: Label | str) -> dict[str, Props]:
        return self.nodes.get(str(label), {})

    def node(self, node_id: str) -> Props | None:
        for nodes in self.nodes.values():
            if node_id in nodes:
                return nodes[node_id]
        return None

    def targets(self, node_id: str, rel_type: RelType | str) -> list[str]:
        """Ids ``node_id`` points at with ``rel_type``."""
        return [e.other for e in self.out.get(str(rel_type), {}).get(node_id, [])]

    def sources(self, node_id: str, rel_type: RelType | str) -> list[str]:
        """Ids that point at ``node_id`` with ``rel_type``."""
        return [e.other for e in self.into.get(str(rel_type), {}).get(node_id, [])]


def read_estate(store: Store) -> Estate:
    """The whole graph as an ``Estate`` (see the module docstring for the cost)."""
    estate = Estate()
    for label in Label:
        estate.nodes[str(label)] = {n.id: effective(n.props) for n in store.nodes_of(str(label))}
    for rel_type, (starts, _ends) in ENDPOINTS.items():
        out: dict[str, list[Edge]] = {}
        into: dict[str, list[Edge]] = {}
        start_ids: list[str] = [i for s in starts for i in estate.nodes[str(s)]]
        for start, joined in store.neighbours(str(rel_type), "out", start_ids).items():
            out[start] = [Edge(other, dict(props)) for other, props in joined]
            for other, props in joined:
                into.setdefault(other, []).append(Edge(start, dict(props)))
        for edges in into.values():
            edges.sort(key=lambda e: e.other)
        estate.out[str(rel_type)] = out
        estate.into[str(rel_type)] = into
    return estate
