"""The blast-radius engine: the one definition of docs/design.md, over any store's set questions.

``blast_radius`` is a pure function of a ``ReachView`` (what a store answers about
sets of ids: the credentials a start id stands for, the liveness facts of
credentials, the grants of credentials, the stores of tenants, the facts of data
stores) and its parameters. It opens no file or connection and reads no setting.
Both stores implement ``ReachView`` (networkx for the embedded store, one Cypher
query per question for Neo4j), so both engines run this same algorithm and differ
only in how they answer those questions; the parity suite holds their answers equal.

Cost: one round of questions per chaining hop, so at most ``max_chain + 1`` rounds;
each round is linear in the grants, stores and stored credentials it touches, and
overall O(V + E) of the reachable subgraph (plus sorting for the tie-breaks).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from nhigraph.errors import NhigraphError
from nhigraph.graph.model import ACCESS_RANK, Label, RelType
from nhigraph.graph.policy import BlastPolicy

ACCESS_BY_RANK = {rank: access for access, rank in ACCESS_RANK.items()}
START_LABELS = (Label.CREDENTIAL, Label.INTEGRATION, Label.VENDOR, Label.TEAM)


class UnknownStartError(NhigraphError):
    """Start ids the store does not hold, or that cannot start a blast radius."""

    code = "UNKNOWN_START"


# --------------------------------------------------------------------------- what a store answers


@dataclass(frozen=True, slots=True)
class CredentialFacts:
    """What decides whether a credential is live, and who holds it."""

    id: str
    status: str
    created_at: str | None = None
    expires_at: str | None = None
    revoked_at: str | None = None
    #: (integration id, its status) for every integration that HAS_CREDENTIAL it
    integrations: tuple[tuple[str, str], ...] = ()
    #: whether each principal it ACTS_AS is enabled
    principals_enabled: tuple[bool, ...] = ()


class Grant(NamedTuple):
    """One GRANTS then CAN_ACCESS step: a credential's scope reaching a store or tenant."""

    credential: str
    scope: str
    target: str
    target_label: str  # DataStore or Tenant
    access: str  # the CAN_ACCESS edge's access, else the scope's


@dataclass(frozen=True, slots=True)
class StoreFacts:
    id: str
    name: str
    classification: str
    tenants: tuple[str, ...]  # tenants that CONTAINS it
    stored: tuple[str, ...]  # credentials it STORES


class ReachView(Protocol):
    """The set questions the engine asks a store. Every answer is sorted or a mapping."""

    def resolve_start(self, ids: Sequence[str]) -> dict[str, tuple[str, list[str]]]:
        """For each of ``ids`` the store holds: its label and the credentials it stands for
        (a credential itself; an integration's credentials; those of a vendor's
        integrations; those of the integrations a team owns or uses)."""
        ...

    def credential_facts(self, ids: Collection[str]) -> dict[str, CredentialFacts]: ...

    def grants(self, credentials: Collection[str]) -> list[Grant]:
        """Every credential -GRANTS-> scope -CAN_ACCESS-> store-or-tenant step."""
        ...

    def tenant_stores(self, tenants: Collection[str]) -> dict[str, list[str]]:
        """The data stores each tenant CONTAINS."""
        ...

    def store_facts(self, stores: Collection[str]) -> dict[str, StoreFacts]: ...

    def approved_scopes(self, integration: str) -> list[str]:
        """The scopes an integration is APPROVED_FOR."""
        ...

    def team_usage(self) -> dict[str, list[str]]:
        """For every integration with an owning or using team: the distinct teams."""
        ...


# --------------------------------------------------------------------------- results


_STORES = RelType.STORES.value
_GRANTS_CAN_ACCESS = (RelType.GRANTS.value, RelType.CAN_ACCESS.value)
_CONTAINS = (RelType.CONTAINS.value,)
_STORES_REL = (_STORES,)


class WitnessPath(NamedTuple):
    """Node ids from a start credential to a store, and the relationship types between them.

    ``hops`` counts the STORES relationships (chaining hops) on the path.
    """

    nodes: tuple[str, ...]
    rels: tuple[str, ...]
    hops: int = 0

    def then(self, rels: tuple[str, ...], nodes: tuple[str, ...]) -> WitnessPath:
        hops = self.hops + (1 if rels == _STORES_REL else 0)
        return WitnessPath(self.nodes + nodes, self.rels + rels, hops)

    def key(self) -> tuple[int, int, tuple[str, ...]]:
        """Fewest chaining hops, then fewest relationships, then smallest id sequence."""
        return (self.hops, len(self.rels), self.nodes)

    def to_dict(self) -> dict[str, Any]:
        return {"nodes": list(self.nodes), "rels": list(self.rels)}


@dataclass(frozen=True, slots=True)
class ReachedStore:
    id: str
    name: str
    classification: str
    access: str
    depth: int
    tenants: tuple[str, ...]
    path: WitnessPath

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "classification": self.classification,
            "access": self.access,
            "depth": self.depth,
            "tenants": list(self.tenants),
            "path": self.path.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class TouchedTenant:
    id: str
    access: str  # the highest access over its own CAN_ACCESS and its reached stores

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "access": self.access}


@dataclass(frozen=True, slots=True)
class ExposedCredential:
    id: str
    depth: int  # the chaining hop it starts; above max_chain it was not followed
    found_in: str  # the data store on its witness path
    integrations: tuple[str, ...]
    path: WitnessPath
    #: whether what it reaches is in the radius; False when it lies beyond max_chain
    followed: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "depth": self.depth,
            "found_in": self.found_in,
            "followed": self.followed,
            "integrations": list(self.integrations),
            "path": self.path.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class BlastRadius:
    start: tuple[str, ...]  # the start credentials
    live_start: tuple[str, ...]  # those live at as_of
    as_of: str
    max_chain: int
    min_access: str | None
    stores: tuple[ReachedStore, ...]
    tenants: tuple[TouchedTenant, ...]
    exposed: tuple[ExposedCredential, ...]
    lateral_integrations: tuple[str, ...]
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": list(self.start),
            "live_start": list(self.live_start),
            "as_of": self.as_of,
            "max_chain": self.max_chain,
            "min_access": self.min_access,
            "stores": [s.to_dict() for s in self.stores],
            "tenants": [t.to_dict() for t in self.tenants],
            "exposed": [e.to_dict() for e in self.exposed],
            "lateral_integrations": list(self.lateral_integrations),
            "score": self.score,
        }


# --------------------------------------------------------------------------- the definition


def is_live(credential: CredentialFacts, as_of: str) -> bool:
    """Liveness at ``as_of`` as docs/design.md defines it (UTC strings compare in time order).

    A credential held by several integrations is live while any of them is enabled;
    one acting as several principals, while any of them is enabled: the attacker
    needs only one way in.
    """
    if credential.created_at is not None and credential.created_at > as_of:
        return False
    if credential.status != "active" and not (
        credential.revoked_at is not None and credential.revoked_at > as_of
    ):
        return False
    if credential.expires_at is not None and credential.expires_at <= as_of:
        return False
    if credential.integrations and all(s == "disabled" for _, s in credential.integrations):
        return False
    return not credential.principals_enabled or any(credential.principals_enabled)


#: How many ids an error message quotes; the rest are counted (a request may name thousands).
QUOTED_IDS = 5


def _a_few(ids: Sequence[str]) -> str:
    """``a, b, c`` — or the first few and how many there are, so a message stays short."""
    if len(ids) <= QUOTED_IDS:
        return ", ".join(ids)
    return f"{', '.join(ids[:QUOTED_IDS])} and {len(ids) - QUOTED_IDS} more ({len(ids)} in all)"


def resolve_start(view: ReachView, ids: Sequence[str]) -> list[str]:
    """The credential ids a mixed list of credential/integration/vendor/team ids stands for."""
    wanted = list(dict.fromkeys(ids))
    found = view.resolve_start(wanted)
    unknown = [i for i in wanted if i not in found]
    if unknown:
        raise UnknownStartError("unknown start ids: " + _a_few(unknown))
    wrong = [f"{i} ({found[i][0]})" for i in wanted if found[i][0] not in START_LABELS]
    if wrong:
        raise UnknownStartError(
            "a blast radius starts from credentials, integrations, vendors or teams, not: "
            + _a_few(wrong)
        )
    return sorted({c for i in wanted for c in found[i][1]})


@dataclass(slots=True)
class _Best:
    """The best candidate so far for one data store."""

    rank: int
    path: WitnessPath


@dataclass(slots=True)
class _Walk:
    view: ReachView
    as_of: str
    facts: dict[str, CredentialFacts] = field(default_factory=dict)
    cred_path: dict[str, WitnessPath] = field(default_factory=dict)
    best: dict[str, _Best] = field(default_factory=dict)  # store -> effective access, witness
    first_path: dict[str, WitnessPath] = field(default_factory=dict)  # store -> min-hop path
    tenant_rank: dict[str, int] = field(default_factory=dict)
    exposed: dict[str, ExposedCredential] = field(default_factory=dict)
    store_facts: dict[str, StoreFacts] = field(default_factory=dict)

    def live(self, ids: Iterable[str]) -> list[str]:
        missing = [i for i in ids if i not in self.facts]
        if missing:
            self.facts.update(self.view.credential_facts(missing))
        return [i for i in ids if i in self.facts and is_live(self.facts[i], self.as_of)]

    def consider(self, store: str, rank: int, path: WitnessPath) -> None:
        current = self.best.get(store)
        if (
            current is None
            or rank > current.rank
            or (rank == current.rank and path.key() < current.path.key())
        ):
            self.best[store] = _Best(rank, path)
        first = self.first_path.get(store)
        if first is None or path.key() < first.key():
            self.first_path[store] = path


def blast_radius(
    view: ReachView,
    start_credentials: Sequence[str],
    as_of: str,
    policy: BlastPolicy,
    max_chain: int = 3,
    min_access: str | None = None,
    start_scopes: Collection[str] | None = None,
    exhaustive: bool = False,
) -> BlastRadius:
    """Everything a holder of ``start_credentials`` can reach at ``as_of``.

    ``start_scopes`` restricts what the start credentials reach to those scopes (the
    approved radius); chained credentials are never restricted. ``exhaustive`` walks
    every grant instead of the best one per step: the plain reference the tests hold
    the pruned walk to.
    """
    if max_chain < 0:
        raise ValueError("max_chain must be 0 or more")
    walk = _Walk(view, as_of)
    start = sorted(set(start_credentials))
    live_start = walk.live(start)
    for credential in live_start:
        walk.cred_path[credential] = WitnessPath((credential,), ())
    frontier = live_start
    allowed = None if start_scopes is None else set(start_scopes)
    for depth in range(max_chain + 1):
        if not frontier:
            break
        grants = view.grants(frontier)
        if depth == 0 and allowed is not None:
            grants = [g for g in grants if g.scope in allowed]
        admin_tenants = sorted(
            {g.target for g in grants if g.target_label == Label.TENANT and g.access == "admin"}
        )
        contained = view.tenant_stores(admin_tenants) if admin_tenants else {}
        before = set(walk.first_path)
        # Pruning pays off only when many credentials may share steps (dense chaining).
        steps = (
            [(walk.cred_path[g.credential], g) for g in grants]
            if exhaustive or len(frontier) <= _PRUNE_FROM
            else _best_per_step(walk, grants)
        )
        for prefix, g in steps:
            rank = ACCESS_RANK[g.access]
            step = prefix.then(_GRANTS_CAN_ACCESS, (g.scope, g.target))
            if g.target_label == Label.DATA_STORE:
                walk.consider(g.target, rank, step)
                continue
            walk.tenant_rank[g.target] = max(rank, walk.tenant_rank.get(g.target, 0))
            if g.access == "admin":
                for store in contained.get(g.target, ()):
                    walk.consider(store, rank, step.then(_CONTAINS, (store,)))
        new_stores = sorted(set(walk.first_path) - before)
        if not new_stores:
            break
        walk.store_facts.update(view.store_facts(new_stores))
        frontier = _expose(walk, new_stores, depth + 1, follow=depth < max_chain)
    return _result(walk, start, live_start, as_of, max_chain, min_access, policy)


_PRUNE_FROM = 4  # frontier size above which _best_per_step is used


def _best_per_step(walk: _Walk, grants: list[Grant]) -> list[tuple[WitnessPath, Grant]]:
    """For each (scope, target) step, the grant whose credential has the smallest path.

    Within one round every frontier credential is the same number of hops away, and the
    access of a step depends only on the scope and the edge, so every other credential
    taking the same step would give the same access by a larger path: no witness can
    come from it. With many chained credentials sharing scopes this is most of the work.
    """
    best: dict[tuple[str, str], tuple[WitnessPath, Grant]] = {}
    paths = walk.cred_path
    for g in grants:
        step = (g.scope, g.target)
        current = best.get(step)
        if current is None or paths[g.credential].key() < current[0].key():
            best[step] = (paths[g.credential], g)
    # Any order will do: consider() keeps the highest access and the smallest path.
    return list(best.values())


def _expose(walk: _Walk, stores: list[str], depth: int, follow: bool) -> list[str]:
    """Live credentials kept in newly reached stores; returns those to follow next."""
    candidates: dict[str, WitnessPath] = {}
    for store in stores:
        facts = walk.store_facts.get(store)
        if facts is None:
            continue
        for credential in facts.stored:
            if credential in walk.cred_path or credential in walk.exposed:
                continue
            path = walk.first_path[store].then(_STORES_REL, (credential,))
            if credential not in candidates or path.key() < candidates[credential].key():
                candidates[credential] = path
    live = walk.live(sorted(candidates))
    for credential in live:
        path = candidates[credential]
        walk.exposed[credential] = ExposedCredential(
            id=credential,
            depth=depth,
            found_in=path.nodes[-2],
            integrations=tuple(sorted(i for i, _ in walk.facts[credential].integrations)),
            path=path,
            followed=follow,
        )
        if follow:
            walk.cred_path[credential] = path
    return live if follow else []


def _result(
    walk: _Walk,
    start: list[str],
    live_start: list[str],
    as_of: str,
    max_chain: int,
    min_access: str | None,
    policy: BlastPolicy,
) -> BlastRadius:
    floor = 0 if min_access is None else ACCESS_RANK[min_access]
    stores = []
    tenant_rank = dict(walk.tenant_rank)
    for store_id in sorted(walk.best):
        best = walk.best[store_id]
        facts = walk.store_facts[store_id]
        if best.rank < floor:
            continue
        for tenant in facts.tenants:
            tenant_rank[tenant] = max(best.rank, tenant_rank.get(tenant, 0))
        stores.append(
            ReachedStore(
                id=store_id,
                name=facts.name,
                classification=facts.classification,
                access=ACCESS_BY_RANK[best.rank],
                depth=best.path.hops,
                tenants=facts.tenants,
                path=best.path,
            )
        )
    tenants = tuple(
        TouchedTenant(t, ACCESS_BY_RANK[r]) for t, r in sorted(tenant_rank.items()) if r >= floor
    )
    exposed = tuple(walk.exposed[c] for c in sorted(walk.exposed))
    lateral = tuple(sorted({i for e in exposed for i in e.integrations}))
    score = sum(policy.store_weight(s.classification, s.access) for s in stores)
    return BlastRadius(
        start=tuple(start),
        live_start=tuple(live_start),
        as_of=as_of,
        max_chain=max_chain,
        min_access=min_access,
        stores=tuple(stores),
        tenants=tenants,
        exposed=exposed,
        lateral_integrations=lateral,
        score=round(score, 6),
    )


# --------------------------------------------------------------------------- shared connectors


@dataclass(frozen=True, slots=True)
class Excess:
    """A store the effective radius reaches beyond the approval, or with more access."""

    store: str
    effective_access: str
    approved_access: str | None  # None: not reached at all under the approval

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "effective_access": self.effective_access,
            "approved_access": self.approved_access,
        }


@dataclass(frozen=True, slots=True)
class EffectiveVsApproved:
    integration: str
    teams: tuple[str, ...]
    effective: BlastRadius
    approved: BlastRadius
    excess: tuple[Excess, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "integration": self.integration,
            "teams": list(self.teams),
            "effective": self.effective.to_dict(),
            "approved": self.approved.to_dict(),
            "excess": [e.to_dict() for e in self.excess],
        }


def effective_vs_approved(
    view: ReachView,
    integration: str,
    as_of: str,
    policy: BlastPolicy,
    max_chain: int = 3,
    teams: Sequence[str] = (),
) -> EffectiveVsApproved:
    """The radius of all the integration's live credentials, and its approved radius: what
    they reach directly (depth 0) through the scopes it is APPROVED_FOR. Nobody approves
    what a credential kept in a store gives, so every chained store is excess."""
    found = view.resolve_start([integration])
    if integration not in found:
        raise UnknownStartError(f"unknown start ids: {integration}")
    label, credentials = found[integration]
    if label != Label.INTEGRATION:
        raise UnknownStartError(f"{integration} is a {label}, not an Integration")
    effective = blast_radius(view, credentials, as_of, policy, max_chain)
    approved = blast_radius(
        view, credentials, as_of, policy, 0, start_scopes=view.approved_scopes(integration)
    )
    allowed = {s.id: s.access for s in approved.stores}
    excess = tuple(
        Excess(s.id, s.access, allowed.get(s.id))
        for s in effective.stores
        if s.id not in allowed or ACCESS_RANK[s.access] > ACCESS_RANK[allowed[s.id]]
    )
    return EffectiveVsApproved(integration, tuple(teams), effective, approved, excess)


def shared_connectors(
    view: ReachView, as_of: str, policy: BlastPolicy, max_chain: int = 3
) -> list[EffectiveVsApproved]:
    """Integrations owned or used by two or more distinct teams, with both radii."""
    usage = view.team_usage()
    return [
        effective_vs_approved(view, integration, as_of, policy, max_chain, teams)
        for integration, teams in sorted(usage.items())
        if len(teams) >= 2
    ]


def facts_from_props(
    credential: str,
    props: Mapping[str, Any],
    integrations: Iterable[tuple[str, str]],
    principals_enabled: Iterable[bool],
) -> CredentialFacts:
    """Build liveness facts from a credential's properties (both stores use this)."""
    return CredentialFacts(
        id=credential,
        status=str(props.get("status", "active")),
        created_at=props.get("created_at"),
        expires_at=props.get("expires_at"),
        revoked_at=props.get("revoked_at"),
        integrations=tuple(sorted(integrations)),
        principals_enabled=tuple(sorted(principals_enabled)),
    )
