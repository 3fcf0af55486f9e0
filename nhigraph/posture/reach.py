"""Reach summaries for the whole estate: every credential's reach once, shared by all.

A posture build needs, for every integration, the stores its live credentials reach
with their effective access and depth (no witness paths). Walking one blast radius
per integration repeats the same work for every credential two integrations share
and for every chain two credentials share. Here each credential's reach with ``k``
chaining hops left is computed once and memoised (``Reach.of``): its direct grants,
then the reach of each live credential kept in a store it reaches, one hop deeper.
An integration's summary merges its live credentials' reaches: for each store the
highest access, and the fewest hops among paths with that access, which is the
access and depth ``graph.blast.blast_radius`` reports (the tests hold this module to
it on random graphs, on both stores).

The store is asked in batches (``ReachView`` questions over sets), so Neo4j answers a
few large queries instead of several per radius. Cost: O(C x (K + 1)) merges for C
credentials and K = max_chain, each linear in the stores merged; memory is the
memoised summaries (store index, access rank, depth), never paths.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from nhigraph.graph.blast import CredentialFacts, Grant, ReachView, StoreFacts, is_live
from nhigraph.graph.model import ACCESS_RANK, Label
from nhigraph.graph.policy import BlastPolicy

ACCESS_BY_RANK = {rank: access for access, rank in ACCESS_RANK.items()}
BATCH = 2000  # ids per question to the store

#: store -> (access rank, depth)
StoreReach = dict[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class Summary:
    """What a set of credentials reaches at ``as_of``: the blast radius without paths."""

    stores: dict[str, tuple[str, int]]  # store -> (effective access, depth)
    tenants: dict[str, str]  # tenant -> highest access touched
    score: float
    classes: dict[str, str]  # store -> classification

    @property
    def chained(self) -> bool:
        return any(depth > 0 for _, depth in self.stores.values())


class Reach:
    """Memoised per-credential reach over one ``ReachView`` at one ``as_of``.

    ``check`` is called in the inner loops (cooperative cancellation: it raises to stop
    the work, e.g. when a request's deadline passed).
    """

    def __init__(
        self,
        view: ReachView,
        as_of: str,
        policy: BlastPolicy,
        max_chain: int = 3,
        check: Callable[[], None] | None = None,
    ) -> None:
        if max_chain < 0:
            raise ValueError("max_chain must be 0 or more")
        self.view = view
        self.as_of = as_of
        self.policy = policy
        self.max_chain = max_chain
        self.check = check or (lambda: None)
        self._facts: dict[str, CredentialFacts | None] = {}
        self._live: dict[str, bool] = {}
        self._direct: dict[str, tuple[StoreReach, dict[str, int]]] = {}
        self._grants: dict[str, list[Grant]] = {}
        self._contained: dict[str, list[str]] = {}
        self._stores: dict[str, StoreFacts | None] = {}
        self._memo: dict[tuple[str, int], tuple[StoreReach, dict[str, int]]] = {}
        self._summaries: dict[tuple[str, ...], Summary] = {}
        self._next: dict[str, list[str]] = {}

    # ------------------------------------------------------------ what the store answers

    def facts(self, credentials: Iterable[str]) -> dict[str, CredentialFacts | None]:
        missing = [c for c in dict.fromkeys(credentials) if c not in self._facts]
        for i in range(0, len(missing), BATCH):
            chunk = missing[i : i + BATCH]
            found = self.view.credential_facts(chunk)
            for c in chunk:
                self._facts[c] = found.get(c)
            self.check()
        return self._facts

    def live(self, credentials: Iterable[str]) -> list[str]:
        """Those of ``credentials`` live at ``as_of`` (judged once each)."""
        wanted = list(credentials)
        judged = self._live
        if any(c not in judged for c in wanted):
            facts = self.facts(wanted)
            for c in wanted:
                if c not in judged:
                    f = facts.get(c)
                    judged[c] = f is not None and is_live(f, self.as_of)
        return [c for c in wanted if judged[c]]

    def store_facts(self, stores: Iterable[str]) -> dict[str, StoreFacts | None]:
        missing = [s for s in dict.fromkeys(stores) if s not in self._stores]
        for i in range(0, len(missing), BATCH):
            chunk = missing[i : i + BATCH]
            found = self.view.store_facts(chunk)
            for s in chunk:
                self._stores[s] = found.get(s)
            self.check()
        return self._stores

    def prepare(self, credentials: Collection[str]) -> None:
        """Ask the store, in batches, everything the reach of ``credentials`` needs:
        liveness, direct grants, stores of admin tenants, what reached stores keep;
        then the same for the live credentials found in those stores."""
        frontier = [c for c in self.live(credentials) if c not in self._direct]
        while frontier:
            for i in range(0, len(frontier), BATCH):
                self._load_direct(frontier[i : i + BATCH])
            reached = {s for c in frontier for s in self._direct[c][0]}
            facts = self.store_facts(reached)
            kept = {k for s in reached if (f := facts.get(s)) is not None for k in f.stored}
            frontier = [c for c in self.live(sorted(kept)) if c not in self._direct]

    def _load_direct(self, credentials: Sequence[str]) -> None:
        grants = self.view.grants(credentials)
        admin = sorted(
            {g.target for g in grants if g.target_label == Label.TENANT and g.access == "admin"}
        )
        contained = self.view.tenant_stores(admin) if admin else {}
        self._contained.update(contained)
        direct: dict[str, tuple[StoreReach, dict[str, int]]] = {c: ({}, {}) for c in credentials}
        for c in credentials:
            self._grants[c] = []
        for g in grants:
            self._grants[g.credential].append(g)
            stores, tenants = direct[g.credential]
            rank = ACCESS_RANK[g.access]
            if g.target_label == Label.DATA_STORE:
                _raise(stores, g.target, rank, 0)
                continue
            tenants[g.target] = max(rank, tenants.get(g.target, 0))
            if g.access == "admin":
                for store in contained.get(g.target, ()):
                    _raise(stores, store, rank, 0)
        self._direct.update(direct)
        self.check()

    # ------------------------------------------------------------ reach

    def of(self, credential: str, hops: int) -> StoreReach:
        """The stores a live ``credential`` reaches with ``hops`` chaining hops left."""
        return self._of(credential, hops)[0]

    def _of(self, credential: str, hops: int) -> tuple[StoreReach, dict[str, int]]:
        """(stores with access rank and depth, tenants touched with their rank) of a live
        ``credential`` with ``hops`` hops left: its direct reach, then that of every live
        credential kept in a store it reaches, one hop deeper."""
        key = (credential, hops)
        found = self._memo.get(key)
        if found is not None:
            return found
        if credential not in self._direct:
            self.prepare([credential])
        direct = self._direct.get(credential, _NOTHING)
        if hops == 0:
            self._memo[key] = direct
            return direct
        self.check()
        stores, tenants = dict(direct[0]), dict(direct[1])
        for other in self._kept(credential):
            other_stores, other_tenants = self._of(other, hops - 1)
            for store, (rank, depth) in other_stores.items():
                _raise(stores, store, rank, depth + 1)
            for tenant, rank in other_tenants.items():
                if rank > tenants.get(tenant, 0):
                    tenants[tenant] = rank
        found = self._memo[key] = (stores, tenants)
        return found

    def _kept(self, credential: str) -> list[str]:
        """The live credentials kept in the stores ``credential`` reaches directly."""
        found = self._next.get(credential)
        if found is None:
            direct = self._direct.get(credential, _NOTHING)[0]
            facts = self.store_facts(direct)
            kept = sorted({k for s in direct if (f := facts.get(s)) is not None for k in f.stored})
            found = self._next[credential] = self.live(kept)
        return found

    def forget_walks(self) -> None:
        """Drop the per-credential reaches (memory); summaries already made stay, and a
        new one walks again."""
        self._memo.clear()

    def summary(self, credentials: Iterable[str]) -> Summary:
        """The reach of ``credentials`` together (only the live ones count); remembered,
        since the rules and the risk ask about the same integrations."""
        key = tuple(sorted(set(credentials)))
        found = self._summaries.get(key)
        if found is None:
            found = self._summaries[key] = self._summary(key)
        return found

    def _summary(self, credentials: Sequence[str]) -> Summary:
        live = self.live(credentials)
        self.prepare(live)
        stores: StoreReach = {}
        tenant_rank: dict[str, int] = {}
        for credential in live:
            reach, touched = self._of(credential, self.max_chain)
            for store, (rank, depth) in reach.items():
                _raise(stores, store, rank, depth)
            for tenant, rank in touched.items():
                if rank > tenant_rank.get(tenant, 0):
                    tenant_rank[tenant] = rank
        # Every reached store's tenants are touched too, at the store's access.
        facts = self.store_facts(stores)
        out: dict[str, tuple[str, int]] = {}
        classes: dict[str, str] = {}
        score = 0.0
        for store in sorted(stores):
            store_facts = facts.get(store)
            if store_facts is None:
                continue
            rank, depth = stores[store]
            access = ACCESS_BY_RANK[rank]
            out[store] = (access, depth)
            classes[store] = store_facts.classification
            score += self.policy.store_weight(store_facts.classification, access)
            for tenant in store_facts.tenants:
                if rank > tenant_rank.get(tenant, 0):
                    tenant_rank[tenant] = rank
        tenants = {t: ACCESS_BY_RANK[r] for t, r in sorted(tenant_rank.items())}
        return Summary(out, tenants, round(score, 6), classes)

    def approved(self, credentials: Iterable[str], scopes: Collection[str]) -> dict[str, str]:
        """The approved radius: stores the live ``credentials`` reach directly (depth 0)
        through ``scopes`` only, with the highest such access. Nobody approves what a
        credential kept in a store gives, so chained reach is never approved."""
        live = self.live(sorted(set(credentials)))
        self.prepare(live)
        allowed = set(scopes)
        reach: StoreReach = {}
        for credential in live:
            for g in self._grants.get(credential, ()):
                if g.scope not in allowed:
                    continue
                rank = ACCESS_RANK[g.access]
                if g.target_label == Label.DATA_STORE:
                    _raise(reach, g.target, rank, 0)
                elif g.access == "admin":
                    for store in self._contained.get(g.target, ()):
                        _raise(reach, store, rank, 0)
        return {store: ACCESS_BY_RANK[rank] for store, (rank, _) in sorted(reach.items())}


_NOTHING: tuple[StoreReach, dict[str, int]] = ({}, {})


def _raise(reach: StoreReach, store: str, rank: int, depth: int) -> None:
    """Keep the highest access for ``store``, and the fewest hops among paths with it."""
    current = reach.get(store)
    if current is None or rank > current[0] or (rank == current[0] and depth < current[1]):
        reach[store] = (rank, depth)
