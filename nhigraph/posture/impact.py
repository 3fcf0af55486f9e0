"""Compromise response: what a known-bad vendor, integration or credential exposes, the
revocation plan, finding a leaked credential in the graph, and what-if revocations.

Everything here is a pure function of a ``ReachView`` (the blast-radius questions a store
answers) and an ``Estate`` snapshot (names, kinds, identifiers, owners); results are
plain objects with ``to_dict()`` for JSON. How each credential is revoked comes from
``revocation.yaml`` beside this module. Nothing here keeps, logs or returns a secret: a
secret pasted by a responder is hashed on arrival by the caller's fingerprint function
(``nhigraph.secrets.Fingerprinter.fingerprint``, passed in so that graph code never
reads a key) and only the hash is compared. It opens no connection and reads no
setting; ``ReducedView`` hides credentials, scopes and stores from any view without
writing to a store.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from nhigraph.errors import ConfigError, NhigraphError
from nhigraph.graph.blast import (
    BlastRadius,
    CredentialFacts,
    ExposedCredential,
    Grant,
    ReachView,
    StoreFacts,
    blast_radius,
    is_live,
    resolve_start,
)
from nhigraph.graph.estate import Estate
from nhigraph.graph.model import ACCESS_RANK, Classification, CredentialKind, Label, RelType
from nhigraph.graph.policy import BlastPolicy, Policy

CLASSIFICATION_RANK: dict[str, int] = {c.value: rank for rank, c in enumerate(Classification, 1)}


class IncidentInputError(NhigraphError):
    """A lookup or what-if question that cannot be answered as asked (unknown ids, nothing
    to look for); the message names what was wrong and never repeats a secret."""

    code = "BAD_REQUEST"


# --------------------------------------------------------------------------- revocation table


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RevocationAction(_Strict):
    """How one kind of credential is revoked at one provider."""

    where: str = Field(min_length=1, description="the console path a person follows")
    api: tuple[str, ...] = Field(default=(), description="the calls that revoke it, in order")
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"where": self.where, "api": list(self.api), "note": self.note}


class ProviderRevocations(_Strict):
    name: str = Field(min_length=1)
    kinds: dict[CredentialKind, RevocationAction]


ProviderName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]


class RevocationTable(_Strict):
    """Per provider (and ``default``), per credential kind: the revocation action."""

    providers: dict[ProviderName, ProviderRevocations]

    @model_validator(mode="after")
    def _default_lists_every_kind(self) -> RevocationTable:
        default = self.providers.get("default")
        if default is None:
            raise ValueError("a 'default' provider listing every credential kind is required")
        missing = [k.value for k in CredentialKind if k not in default.kinds]
        if missing:
            raise ValueError(
                "the default provider must list every kind; missing: " + ", ".join(missing)
            )
        return self

    def action(self, provider: str, kind: str) -> tuple[str, RevocationAction]:
        """The entry that applies (the provider's, else the default's) and its action."""
        entry = self.providers.get(provider)
        if entry is not None and kind in entry.kinds:
            return provider, entry.kinds[CredentialKind(kind)]
        default = self.providers["default"]
        if kind in default.kinds:
            return "default", default.kinds[CredentialKind(kind)]
        return "default", _UNKNOWN_KIND


_UNKNOWN_KIND = RevocationAction(
    where="The provider's admin console: find the credential and revoke it",
    note="The credential's kind is not one nhigraph knows.",
)


def _parse_revocations(text: str, where: str) -> RevocationTable:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML ({' '.join(str(exc).split())})") from None
    try:
        return RevocationTable.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(f"{where}: {loc}: {first['msg']}") from None


@cache
def default_revocations() -> RevocationTable:
    """The table shipped beside this module."""
    text = (files("nhigraph.posture") / "revocation.yaml").read_text(encoding="utf-8")
    return _parse_revocations(text, "revocation.yaml")


def load_revocations(path: Path | None = None) -> RevocationTable:
    """The shipped table, or the one in the YAML file at ``path`` (it replaces it whole)."""
    if path is None:
        return default_revocations()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the revocation table ({exc.strerror})") from None
    return _parse_revocations(text, str(path))


# ------------------------------------------------------------------------- credential homes


@dataclass(frozen=True, slots=True)
class Home:
    """The tenant a credential is revoked in, where that was learnt, and its provider."""

    tenant: str
    tenant_from: str  # "scopes" | "integration" | "id"
    provider: str


def _scope_tenant(estate: Estate, scope_id: str) -> str:
    name = estate.of(Label.SCOPE).get(scope_id, {}).get("name")
    if isinstance(name, str) and scope_id.endswith("/" + name) and len(scope_id) > len(name) + 1:
        return scope_id[: -len(name) - 1]
    return scope_id.split("/", 1)[0]


def _pick_tenant(tenants: Counter[str], qualified: Sequence[str]) -> str:
    """The tenant that qualifies the credential's (or its integration's) id, else the one
    most grants are in, then the smallest id."""
    prefixed = [t for t in tenants if any(q.startswith(t + ":") for q in qualified)]
    if prefixed:
        return max(prefixed, key=lambda t: (len(t), t))
    return min(tenants, key=lambda t: (-tenants[t], t))


def credential_home(estate: Estate, credential: str) -> Home:
    """Where ``credential`` is revoked.

    The tenant is, in this order: the tenant of the scopes it GRANTS (a scope id is
    ``<tenant id>/<scope name>``); else the tenant of the scopes its integrations are
    APPROVED_FOR; else a tenant of the estate whose id qualifies the credential's id
    (``<tenant id>:...``); else, when nothing better is known, the first two colon parts
    of the credential's id (``<provider>:<tenant>:...``). Several tenants: the one whose
    id qualifies the credential's or its integration's id, else the one most of its
    scopes are in, then the smallest id. The provider is the tenant's, else the
    integration's ``provider``, else the first colon part of the tenant id.
    """
    holders = estate.sources(credential, RelType.HAS_CREDENTIAL)
    qualified = [credential, *holders]
    granted = Counter(_scope_tenant(estate, s) for s in estate.targets(credential, RelType.GRANTS))
    approved = Counter(
        _scope_tenant(estate, s) for i in holders for s in estate.targets(i, RelType.APPROVED_FOR)
    )
    if granted:
        tenant, source = _pick_tenant(granted, qualified), "scopes"
    elif approved:
        tenant, source = _pick_tenant(approved, qualified), "integration"
    else:
        known = [t for t in estate.of(Label.TENANT) if credential.startswith(t + ":")]
        tenant = max(known, key=len) if known else ":".join(credential.split(":")[:2])
        source = "id"
    provider = estate.of(Label.TENANT).get(tenant, {}).get("provider")
    if not isinstance(provider, str):
        given = [estate.of(Label.INTEGRATION).get(i, {}).get("provider") for i in holders]
        named = [p for p in given if isinstance(p, str)]
        provider = named[0] if named else tenant.split(":", 1)[0]
    return Home(tenant, source, provider)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class PlannedAction:
    """The revocation table's entry for a step: ``entry`` is the provider it came from
    (the credential's provider, or ``default``)."""

    entry: str
    where: str
    api: tuple[str, ...]
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"entry": self.entry, "where": self.where, "api": list(self.api), "note": self.note}


@dataclass(frozen=True, slots=True)
class RevocationStep:
    order: int  # 1-based position in the plan
    credential: str
    kind: str
    identifier: str | None
    integrations: tuple[str, ...]
    tenant: str
    tenant_from: str
    provider: str
    why: str  # "start", or "exposed in <store> at depth <n>"
    live: bool
    own_score: float  # the blast score of this credential alone
    note: str | None
    action: PlannedAction

    def to_dict(self) -> dict[str, Any]:
        return {
            "order": self.order,
            "credential": self.credential,
            "kind": self.kind,
            "identifier": self.identifier,
            "integrations": list(self.integrations),
            "tenant": self.tenant,
            "tenant_from": self.tenant_from,
            "provider": self.provider,
            "why": self.why,
            "live": self.live,
            "own_score": self.own_score,
            "note": self.note,
            "action": self.action.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class TenantSteps:
    """The plan's steps in one tenant, in plan order."""

    tenant: str
    provider: str
    steps: tuple[int, ...]
    credentials: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "provider": self.provider,
            "steps": list(self.steps),
            "credentials": list(self.credentials),
        }


@dataclass(frozen=True, slots=True)
class NotInPlan:
    """A start credential that needs no revocation: it no longer (or not yet) works."""

    credential: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"credential": self.credential, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class TeamToNotify:
    team: str
    name: str
    status: str
    owns: tuple[str, ...]  # integrations in the plan it owns
    uses: tuple[str, ...]  # ... and uses

    def to_dict(self) -> dict[str, Any]:
        return {
            "team": self.team,
            "name": self.name,
            "status": self.status,
            "owns": list(self.owns),
            "uses": list(self.uses),
        }


@dataclass(frozen=True, slots=True)
class VendorToNotify:
    vendor: str
    name: str
    status: str
    provides: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "vendor": self.vendor,
            "name": self.name,
            "status": self.status,
            "provides": list(self.provides),
        }


@dataclass(frozen=True, slots=True)
class StoreToCheck:
    store: str
    name: str
    classification: str
    access: str
    depth: int
    tenants: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "name": self.name,
            "classification": self.classification,
            "access": self.access,
            "depth": self.depth,
            "tenants": list(self.tenants),
        }


@dataclass(frozen=True, slots=True)
class CompromiseImpact:
    start_ids: tuple[str, ...]
    as_of: str
    max_chain: int
    radius: BlastRadius
    plan: tuple[RevocationStep, ...]
    by_tenant: tuple[TenantSteps, ...]
    not_in_plan: tuple[NotInPlan, ...]
    teams: tuple[TeamToNotify, ...]
    vendors: tuple[VendorToNotify, ...]
    unowned: tuple[str, ...]  # integrations in the plan that no team owns
    stores_to_check: tuple[StoreToCheck, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_ids": list(self.start_ids),
            "as_of": self.as_of,
            "max_chain": self.max_chain,
            "radius": self.radius.to_dict(),
            "plan": [s.to_dict() for s in self.plan],
            "by_tenant": [t.to_dict() for t in self.by_tenant],
            "not_in_plan": [n.to_dict() for n in self.not_in_plan],
            "teams": [t.to_dict() for t in self.teams],
            "vendors": [v.to_dict() for v in self.vendors],
            "unowned": list(self.unowned),
            "stores_to_check": [s.to_dict() for s in self.stores_to_check],
        }


# --------------------------------------------------------------------------- compromise impact


def _blast(policy: Policy | BlastPolicy) -> BlastPolicy:
    return policy.blast if isinstance(policy, Policy) else policy


def _gone(facts: CredentialFacts, as_of: str) -> str | None:
    """Why a credential cannot work at ``as_of`` whatever is re-enabled, or None."""
    if facts.created_at is not None and facts.created_at > as_of:
        return f"created after {as_of} ({facts.created_at})"
    if facts.status != "active" and not (facts.revoked_at is not None and facts.revoked_at > as_of):
        return facts.status + ("" if facts.revoked_at is None else f" at {facts.revoked_at}")
    if facts.expires_at is not None and facts.expires_at <= as_of:
        return f"expired at {facts.expires_at}"
    return None


def _dormant(facts: CredentialFacts) -> str:
    """Why a credential that still exists is not live (it would be, once re-enabled)."""
    if facts.integrations and all(s == "disabled" for _, s in facts.integrations):
        return "its integration is disabled at the source"
    return "it acts as a disabled principal"


def compromise_impact(
    view: ReachView,
    estate: Estate,
    start_ids: Sequence[str],
    as_of: str,
    policy: Policy | BlastPolicy,
    max_chain: int = 3,
    revocations: RevocationTable | None = None,
) -> CompromiseImpact:
    """The blast radius of a compromised vendor, integration, team or credential
    (``start_ids``) and the plan to contain it.

    The plan revokes the start credentials first, then the live credentials exposed in
    reached stores (``radius.exposed``, chained ones included). Each group is ordered by
    the credential's own blast score (its radius alone, same ``as_of`` and
    ``max_chain``), highest first, then by id. Start credentials that still exist but
    are not live (integration disabled, principal disabled) stay in the plan, after the
    live ones (own score 0), because re-enabling would bring them back; revoked, expired
    and not-yet-created ones are listed in ``not_in_plan``. ``by_tenant`` groups the
    steps by tenant, tenants in the order their first step appears.

    Cost: one blast radius for the start plus one per credential in the plan, each
    O(V + E) of its reachable subgraph; the estate lookups are O(plan size).
    """
    blast_policy = _blast(policy)
    table = revocations if revocations is not None else default_revocations()
    start = resolve_start(view, start_ids)
    radius = blast_radius(view, start, as_of, blast_policy, max_chain)
    facts = view.credential_facts(start)
    live_start = set(radius.live_start)

    def own_score(credential: str) -> float:
        return float(blast_radius(view, [credential], as_of, blast_policy, max_chain).score)

    not_in_plan: list[NotInPlan] = []
    starts: list[tuple[float, str, str | None]] = []
    for credential in start:
        gone = _gone(facts[credential], as_of) if credential in facts else "not a credential"
        if gone is not None:
            not_in_plan.append(NotInPlan(credential, gone))
        elif credential in live_start:
            starts.append((own_score(credential), credential, None))
        else:
            why = _dormant(facts[credential])
            starts.append((0.0, credential, f"not live at {as_of}: {why}; revoke it anyway"))
    starts.sort(key=lambda s: (-s[0], s[1]))
    exposed = sorted(((own_score(e.id), e) for e in radius.exposed), key=lambda s: (-s[0], s[1].id))

    steps: list[tuple[str, str, bool, float, str | None]] = [
        (c, "start", c in live_start, score, note) for score, c, note in starts
    ]
    steps += [(e.id, _exposed_why(e), True, score, None) for score, e in exposed]
    plan = [_step(estate, table, order, *step) for order, step in enumerate(steps, 1)]

    integrations = sorted({i for s in plan for i in s.integrations})
    teams, vendors, unowned = _who_to_notify(estate, integrations)
    stores = sorted(
        radius.stores,
        key=lambda s: (-CLASSIFICATION_RANK[s.classification], -ACCESS_RANK[s.access], s.id),
    )
    return CompromiseImpact(
        start_ids=tuple(dict.fromkeys(start_ids)),
        as_of=as_of,
        max_chain=max_chain,
        radius=radius,
        plan=tuple(plan),
        by_tenant=_by_tenant(plan),
        not_in_plan=tuple(not_in_plan),
        teams=teams,
        vendors=vendors,
        unowned=unowned,
        stores_to_check=tuple(
            StoreToCheck(s.id, s.name, s.classification, s.access, s.depth, s.tenants)
            for s in stores
        ),
    )


def _exposed_why(found: ExposedCredential) -> str:
    return f"exposed in {found.found_in} at depth {found.depth}"


def _step(
    estate: Estate,
    table: RevocationTable,
    order: int,
    credential: str,
    why: str,
    live: bool,
    score: float,
    note: str | None,
) -> RevocationStep:
    props = estate.of(Label.CREDENTIAL).get(credential, {})
    kind = str(props.get("kind", ""))
    identifier = props.get("identifier")
    home = credential_home(estate, credential)
    entry, action = table.action(home.provider, kind)
    return RevocationStep(
        order=order,
        credential=credential,
        kind=kind,
        identifier=identifier if isinstance(identifier, str) else None,
        integrations=tuple(estate.sources(credential, RelType.HAS_CREDENTIAL)),
        tenant=home.tenant,
        tenant_from=home.tenant_from,
        provider=home.provider,
        why=why,
        live=live,
        own_score=score,
        note=note,
        action=PlannedAction(entry, action.where, action.api, action.note),
    )


def _by_tenant(plan: Sequence[RevocationStep]) -> tuple[TenantSteps, ...]:
    groups: dict[str, list[RevocationStep]] = {}
    for step in plan:
        groups.setdefault(step.tenant, []).append(step)
    return tuple(
        TenantSteps(
            tenant,
            steps[0].provider,
            tuple(s.order for s in steps),
            tuple(s.credential for s in steps),
        )
        for tenant, steps in groups.items()
    )


def _who_to_notify(
    estate: Estate, integrations: Sequence[str]
) -> tuple[tuple[TeamToNotify, ...], tuple[VendorToNotify, ...], tuple[str, ...]]:
    owns: dict[str, list[str]] = {}
    uses: dict[str, list[str]] = {}
    provides: dict[str, list[str]] = {}
    unowned = []
    for integration in integrations:
        owners = estate.sources(integration, RelType.OWNS)
        if not owners:
            unowned.append(integration)
        for team in owners:
            owns.setdefault(team, []).append(integration)
        for team in estate.sources(integration, RelType.USES):
            uses.setdefault(team, []).append(integration)
        for vendor in estate.sources(integration, RelType.PROVIDES):
            provides.setdefault(vendor, []).append(integration)
    team_nodes = estate.of(Label.TEAM)
    teams = tuple(
        TeamToNotify(
            team,
            str(team_nodes.get(team, {}).get("name", team)),
            str(team_nodes.get(team, {}).get("status", "active")),
            tuple(owns.get(team, ())),
            tuple(uses.get(team, ())),
        )
        for team in sorted(set(owns) | set(uses))
    )
    vendor_nodes = estate.of(Label.VENDOR)
    vendors = tuple(
        VendorToNotify(
            vendor,
            str(vendor_nodes.get(vendor, {}).get("name", vendor)),
            str(vendor_nodes.get(vendor, {}).get("status", "active")),
            tuple(provided),
        )
        for vendor, provided in sorted(provides.items())
    )
    return teams, vendors, tuple(unowned)


# --------------------------------------------------------------------------- credential lookup


@dataclass(frozen=True, slots=True)
class Match:
    """A credential a responder's identifier or pasted secret points at (never the secret)."""

    credential: str
    kind: str
    identifier: str | None
    how: str  # "fingerprint" | "identifier" | "prefix" | "suffix"
    integrations: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "credential": self.credential,
            "kind": self.kind,
            "identifier": self.identifier,
            "how": self.how,
            "integrations": list(self.integrations),
        }


MIN_SUFFIX = 4
_HOW_RANK = {"fingerprint": 0, "identifier": 1, "prefix": 2, "suffix": 3}
_ELLIPSES = ("…", "...")
# A public handle's parts: "client 6b1f…, secret …Qk7v2mXp" -> client, 6b1f…, secret, …Qk7v2mXp
_PART = re.compile(r"[^\s,;()\[\]]+")


def _last_characters(part: str) -> str | None:
    """What a handle shows after its ellipsis ('ghp_…R8c2Lk4T' -> 'R8c2Lk4T'), or None."""
    for mark in _ELLIPSES:
        if mark in part:
            return part.rsplit(mark, 1)[1]
    return None


def credential_lookup(
    estate: Estate,
    identifier: str | None = None,
    secret: str | None = None,
    fingerprint: Callable[[str], str] | None = None,
) -> list[Match]:
    """Credentials matching a public ``identifier`` or a leaked ``secret``.

    ``identifier``: an exact match of a credential's identifier, or of one of its parts
    (a client id or key id inside "client <id>, secret …<last characters>"), is an
    ``identifier`` match; otherwise at least ``MIN_SUFFIX`` characters that end one of its
    parts are a ``suffix`` match ("the last characters of a token"), and at least as many
    that start one a ``prefix`` match (``AKIA``, a key id's first characters). A leading
    ellipsis (``…a1b2c3d4`` or ``...a1b2c3d4``) asks for a suffix match only, a trailing
    one (``AKIAQ3…``) for a prefix match only. Fewer characters that are no whole
    identifier or part are refused with the reason, rather than matching nothing.

    ``secret``: hashed once with ``fingerprint`` (the installation's keyed hash) and
    compared with the credentials' ``fingerprint`` (a ``fingerprint`` match); the last
    characters a credential's identifier shows after an ellipsis, when at least
    ``MIN_SUFFIX`` long and ending the secret, are a ``suffix`` match. The secret is not
    kept, returned or put in any message.

    A credential matched several ways is returned once, with the strongest way
    (fingerprint, identifier, suffix); matches are ordered by that, then by id.
    Cost: O(credentials * identifier length).
    """
    if identifier is None and secret is None:
        raise IncidentInputError("give an identifier or a secret to look for")
    how: dict[str, str] = {}

    def found(credential: str, way: str) -> None:
        if credential not in how or _HOW_RANK[way] < _HOW_RANK[how[credential]]:
            how[credential] = way

    credentials = estate.of(Label.CREDENTIAL)
    if identifier is not None:
        for credential, way in _by_identifier(credentials, identifier):
            found(credential, way)
    if secret is not None:
        if fingerprint is None:
            raise IncidentInputError(
                "a pasted secret needs the installation's fingerprint function to be matched"
            )
        digest = fingerprint(secret)
        for credential, props in credentials.items():
            if props.get("fingerprint") == digest:
                found(credential, "fingerprint")
            handle = props.get("identifier")
            if not isinstance(handle, str):
                continue
            for part in _PART.findall(handle):
                tail = _last_characters(part)
                if tail is not None and len(tail) >= MIN_SUFFIX and secret.endswith(tail):
                    found(credential, "suffix")
    return [
        Match(
            credential=credential,
            kind=str(credentials[credential].get("kind", "")),
            identifier=_text(credentials[credential].get("identifier")),
            how=way,
            integrations=tuple(estate.sources(credential, RelType.HAS_CREDENTIAL)),
        )
        for credential, way in sorted(how.items(), key=lambda m: (_HOW_RANK[m[1]], m[0]))
    ]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _by_identifier(
    credentials: dict[str, dict[str, Any]], identifier: str
) -> Iterable[tuple[str, str]]:
    query = identifier.strip()
    suffix_only = query.startswith(_ELLIPSES)
    prefix_only = not suffix_only and query.endswith(_ELLIPSES)
    core = query
    for mark in _ELLIPSES:
        core = core.removeprefix(mark).removesuffix(mark)
    if (suffix_only or prefix_only) and len(core) < MIN_SUFFIX:
        where = "after" if suffix_only else "before"
        end = "end" if suffix_only else "start"
        raise IncidentInputError(
            f"give at least {MIN_SUFFIX} characters {where} the ellipsis to match the {end} of "
            "an identifier"
        )
    if not core:
        raise IncidentInputError("an empty identifier matches nothing")
    found = 0
    for credential, props in credentials.items():
        handle = props.get("identifier")
        if not isinstance(handle, str):
            continue
        parts = _PART.findall(handle)
        if not (suffix_only or prefix_only) and (query == handle.strip() or query in parts):
            found += 1
            yield credential, "identifier"
        elif len(core) >= MIN_SUFFIX and not prefix_only and any(p.endswith(core) for p in parts):
            found += 1
            yield credential, "suffix"
        elif len(core) >= MIN_SUFFIX and not suffix_only and any(p.startswith(core) for p in parts):
            found += 1
            yield credential, "prefix"
    if not found and len(core) < MIN_SUFFIX:
        raise IncidentInputError(
            f"{core!r} is no whole identifier or part of one; give at least {MIN_SUFFIX} "
            "characters to match the start or the end of an identifier"
        )


# --------------------------------------------------------------------------- what if


class ReducedView:
    """Any ``ReachView`` with some credentials, scopes and data stores taken away: its
    answers are those of the same graph without those nodes and their relationships.

    Hidden ids are absent from every answer (as if deleted), grants through a hidden
    scope or to a hidden store are dropped, hidden stores leave their tenants, and hidden
    credentials leave the stores that keep them. Each answer costs what the wrapped
    view's does, plus a linear filter.
    """

    def __init__(
        self,
        view: ReachView,
        credentials: Collection[str] = (),
        scopes: Collection[str] = (),
        stores: Collection[str] = (),
    ) -> None:
        self.view = view
        self.credentials = frozenset(credentials)
        self.scopes = frozenset(scopes)
        self.stores = frozenset(stores)
        self._hidden = self.credentials | self.scopes | self.stores

    def resolve_start(self, ids: Sequence[str]) -> dict[str, tuple[str, list[str]]]:
        found = self.view.resolve_start([i for i in ids if i not in self._hidden])
        return {
            i: (label, [c for c in credentials if c not in self.credentials])
            for i, (label, credentials) in found.items()
        }

    def credential_facts(self, ids: Collection[str]) -> dict[str, CredentialFacts]:
        return self.view.credential_facts([i for i in ids if i not in self.credentials])

    def grants(self, credentials: Collection[str]) -> list[Grant]:
        return [
            g
            for g in self.view.grants([c for c in credentials if c not in self.credentials])
            if g.scope not in self.scopes and g.target not in self.stores
        ]

    def tenant_stores(self, tenants: Collection[str]) -> dict[str, list[str]]:
        return {
            tenant: [s for s in stores if s not in self.stores]
            for tenant, stores in self.view.tenant_stores(tenants).items()
        }

    def store_facts(self, stores: Collection[str]) -> dict[str, StoreFacts]:
        facts = self.view.store_facts([s for s in stores if s not in self.stores])
        return {
            store: StoreFacts(
                f.id,
                f.name,
                f.classification,
                f.tenants,
                tuple(c for c in f.stored if c not in self.credentials),
            )
            for store, f in facts.items()
        }

    def approved_scopes(self, integration: str) -> list[str]:
        return [s for s in self.view.approved_scopes(integration) if s not in self.scopes]

    def team_usage(self) -> dict[str, list[str]]:
        return self.view.team_usage()


@dataclass(frozen=True, slots=True)
class IntegrationChange:
    """One integration's blast radius before and after the what-if."""

    integration: str
    name: str
    before: BlastRadius
    after: BlastRadius

    def to_dict(self) -> dict[str, Any]:
        after = {s.id: s.access for s in self.after.stores}
        return {
            "integration": self.integration,
            "name": self.name,
            "before_score": float(self.before.score),
            "after_score": float(self.after.score),
            "lost_stores": [
                {"store": s.id, "access": s.access} for s in self.before.stores if s.id not in after
            ],
            "reduced_access": [
                {"store": s.id, "before": s.access, "after": after[s.id]}
                for s in self.before.stores
                if s.id in after and ACCESS_RANK[after[s.id]] < ACCESS_RANK[s.access]
            ],
        }


@dataclass(frozen=True, slots=True)
class TeamRole:
    team: str
    name: str
    roles: tuple[str, ...]  # "owns", "uses"

    def to_dict(self) -> dict[str, Any]:
        return {"team": self.team, "name": self.name, "roles": list(self.roles)}


@dataclass(frozen=True, slots=True)
class Breakage:
    """An integration that would stop working as it does: the live credentials it would
    lose, the scopes its other live credentials would lose, and the teams to warn."""

    integration: str
    name: str
    lost_credentials: tuple[str, ...]
    lost_scopes: tuple[str, ...]
    teams: tuple[TeamRole, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "integration": self.integration,
            "name": self.name,
            "lost_credentials": list(self.lost_credentials),
            "lost_scopes": list(self.lost_scopes),
            "teams": [t.to_dict() for t in self.teams],
        }


@dataclass(frozen=True, slots=True)
class WhatIf:
    as_of: str
    max_chain: int
    revoke_credentials: tuple[str, ...]
    remove_scopes: tuple[str, ...]
    remove_stores: tuple[str, ...]
    integrations: tuple[IntegrationChange, ...]
    exposure_before: float
    exposure_after: float
    breaks: tuple[Breakage, ...]
    #: credentials the revoked ones exposed (kept in stores they reached) that stay live:
    #: revoking a token does not take back what its holder could already copy
    still_exposed: tuple[ExposedCredential, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "max_chain": self.max_chain,
            "revoke_credentials": list(self.revoke_credentials),
            "remove_scopes": list(self.remove_scopes),
            "remove_stores": list(self.remove_stores),
            "integrations": [i.to_dict() for i in self.integrations],
            "exposure_before": self.exposure_before,
            "exposure_after": self.exposure_after,
            "breaks": [b.to_dict() for b in self.breaks],
            "still_exposed": [e.to_dict() for e in self.still_exposed],
        }


def _known(estate: Estate, label: Label, ids: Iterable[str], what: str) -> tuple[str, ...]:
    wanted = tuple(sorted(set(ids)))
    unknown = [i for i in wanted if i not in estate.of(label)]
    if unknown:
        raise IncidentInputError(f"unknown {what}: " + ", ".join(unknown))
    return wanted


def _upstream(
    estate: Estate, credentials: set[str], scopes: set[str], stores: set[str]
) -> set[str]:
    """Credentials that can reach a hidden credential, scope or store in the estate,
    walking STORES, CAN_ACCESS, CONTAINS and GRANTS backwards and ignoring liveness and
    access: a superset of the credentials whose radius can change. O(V + E)."""
    seen = credentials | scopes | stores  # node ids are unique across labels
    work = [*((c, "credential") for c in credentials), *((s, "scope") for s in scopes)]
    work += [(d, "target") for d in stores]  # a target is a data store or a tenant
    found = set(credentials)
    while work:
        node, kind = work.pop()
        if kind == "credential":
            step = [(d, "target") for d in estate.sources(node, RelType.STORES)]
        elif kind == "scope":
            step = [(c, "credential") for c in estate.sources(node, RelType.GRANTS)]
        else:
            step = [(s, "scope") for s in estate.sources(node, RelType.CAN_ACCESS)]
            step += [(t, "target") for t in estate.sources(node, RelType.CONTAINS)]
        for other, other_kind in step:
            if other not in seen:
                seen.add(other)
                work.append((other, other_kind))
                if other_kind == "credential":
                    found.add(other)
    return found


def what_if(
    view: ReachView,
    estate: Estate,
    policy: Policy | BlastPolicy,
    as_of: str,
    revoke_credentials: Iterable[str] = (),
    remove_scopes: Iterable[str] = (),
    remove_stores: Iterable[str] = (),
    max_chain: int = 3,
) -> WhatIf:
    """What revoking credentials, removing scopes (from everything that grants them) and
    removing data stores would change.

    For every integration whose blast radius changes or that would lose something: its
    radius before (``view``) and after (a ``ReducedView`` without those nodes); the
    total exposure before and after (the sum of those integrations' scores); and what
    would break: integrations that lose a live credential, or whose other live
    credentials lose a granted scope, with the teams that own or use them.

    Cost: one O(V + E) backward walk over the estate to find the integrations that can
    reach anything removed, then two blast radii for each of those, and one of the
    revoked credentials (what they exposed stays exposed: ``still_exposed``).
    """
    blast_policy = _blast(policy)
    revoked = _known(estate, Label.CREDENTIAL, revoke_credentials, "credentials")
    scopes = _known(estate, Label.SCOPE, remove_scopes, "scopes")
    stores = _known(estate, Label.DATA_STORE, remove_stores, "data stores")
    reduced = ReducedView(view, revoked, scopes, stores)
    upstream = _upstream(estate, set(revoked), set(scopes), set(stores))
    candidates = sorted({i for c in upstream for i in estate.sources(c, RelType.HAS_CREDENTIAL)})
    integrations = estate.of(Label.INTEGRATION)
    changes: list[IntegrationChange] = []
    breaks: list[Breakage] = []
    for integration in candidates:
        name = str(integrations.get(integration, {}).get("name", integration))
        before = _radius_of(view, integration, as_of, blast_policy, max_chain)
        after = _radius_of(reduced, integration, as_of, blast_policy, max_chain)
        broken = _breakage(view, estate, integration, name, as_of, set(revoked), set(scopes))
        if broken is not None:
            breaks.append(broken)
        if broken is not None or _reach(before) != _reach(after):
            changes.append(IntegrationChange(integration, name, before, after))
    return WhatIf(
        as_of=as_of,
        max_chain=max_chain,
        revoke_credentials=revoked,
        remove_scopes=scopes,
        remove_stores=stores,
        integrations=tuple(changes),
        exposure_before=float(round(sum(c.before.score for c in changes), 6)),
        exposure_after=float(round(sum(c.after.score for c in changes), 6)),
        breaks=tuple(breaks),
        still_exposed=_still_exposed(view, revoked, as_of, blast_policy, max_chain),
    )


def _still_exposed(
    view: ReachView, revoked: Sequence[str], as_of: str, policy: BlastPolicy, max_chain: int
) -> tuple[ExposedCredential, ...]:
    """What the revoked credentials' holder could read before: exposed credentials that
    are not revoked too stay live, whatever the exposure score says after."""
    if not revoked:
        return ()
    exposed = blast_radius(view, revoked, as_of, policy, max_chain).exposed
    return tuple(e for e in exposed if e.id not in set(revoked))


def _reach(radius: BlastRadius) -> tuple[Any, ...]:
    return (radius.stores, radius.tenants, radius.exposed, radius.score)


def _radius_of(
    view: ReachView, integration: str, as_of: str, policy: BlastPolicy, max_chain: int
) -> BlastRadius:
    found = view.resolve_start([integration])
    credentials = found[integration][1] if integration in found else []
    return blast_radius(view, credentials, as_of, policy, max_chain)


def _breakage(
    view: ReachView,
    estate: Estate,
    integration: str,
    name: str,
    as_of: str,
    revoked: set[str],
    scopes: set[str],
) -> Breakage | None:
    held = estate.targets(integration, RelType.HAS_CREDENTIAL)
    facts = view.credential_facts(held)
    live = [c for c in held if c in facts and is_live(facts[c], as_of)]
    lost_credentials = tuple(c for c in live if c in revoked)
    lost_scopes = tuple(
        sorted(
            {
                s
                for c in live
                if c not in revoked
                for s in estate.targets(c, RelType.GRANTS)
                if s in scopes
            }
        )
    )
    if not lost_credentials and not lost_scopes:
        return None
    owners = set(estate.sources(integration, RelType.OWNS))
    users = set(estate.sources(integration, RelType.USES))
    team_nodes = estate.of(Label.TEAM)
    teams = tuple(
        TeamRole(
            team,
            str(team_nodes.get(team, {}).get("name", team)),
            tuple(r for r, members in (("owns", owners), ("uses", users)) if team in members),
        )
        for team in sorted(owners | users)
    )
    return Breakage(integration, name, lost_credentials, lost_scopes, teams)
