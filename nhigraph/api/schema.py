"""The GraphQL schema: thin types over ``graph/``, roles per field, loaders per request.

Resolvers translate arguments, call the store and ``graph.blast``/``graph.listing``
in a worker thread (stores block), and map results; there is no graph logic here.
Every node type implements ``Node`` with a global id (``base64("<Label>:<id>")``)
and carries its nhigraph id as ``nhigraphId``; scalar fields are the node's
effective properties (people's patches win). Field roles: a reader sees the
inventory, an analyst also blast radius and shared connectors. Credentials never
expose secret material, not even their keyed fingerprint: only whether one exists.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import json
import typing
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any, NewType, TypeVar

import anyio.to_thread
import strawberry
from strawberry.dataloader import DataLoader
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.permission import BasePermission
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from nhigraph.api.keys import ApiKey, Role
from nhigraph.errors import NhigraphError
from nhigraph.graph import blast as engine
from nhigraph.graph import listing
from nhigraph.graph.estate import Estate, read_estate
from nhigraph.graph.model import (
    Access,
    Classification,
    CredentialKind,
    CredentialStatus,
    IntegrationKind,
    IntegrationStatus,
    Label,
    Lifecycle,
    PrincipalKind,
    ReviewDecision,
    RiskTier,
    TeamStatus,
    VendorStatus,
    effective,
    format_utc,
    parse_utc_text,
)
from nhigraph.graph.policy import BlastPolicy, Policy, default_policy
from nhigraph.graph.store import FindingQuery, JSONValue, Store, StoredNode
from nhigraph.posture import impact, stored
from nhigraph.posture.assess import Posture, assess_posture
from nhigraph.posture.findings import SEVERITY_RANK
from nhigraph.posture.findings import Finding as FindingRecord
from nhigraph.posture.reviews import QueueEntry, record_review
from nhigraph.posture.risk import RiskAssessment
from nhigraph.secrets import Fingerprinter

MAX_PAGE = 100
T = TypeVar("T")


class ApiInputError(NhigraphError):
    code = "BAD_USER_INPUT"


# --------------------------------------------------------------------------- request context

Neighbours = list[tuple[str, dict[str, JSONValue]]]


class Context:
    """Per request: the store, the policy, who asks, and the request's loaders."""

    def __init__(
        self,
        store: Store,
        policy: BlastPolicy,
        key: ApiKey,
        full_policy: Policy | None = None,
        fingerprinter: Fingerprinter | None = None,
    ) -> None:
        self.fingerprinter = fingerprinter
        self.store = store
        self.policy = policy
        self.full_policy = full_policy or default_policy()
        self.key = key
        self.postures: dict[str, Posture] = {}
        self.stored_as_of: str | bool | None = False  # False: not asked yet this request
        self._estate: Estate | None = None
        self.store_calls = 0  # how many times the store was asked (tests bound it)
        self._neighbours: dict[tuple[str, str], DataLoader[str, Neighbours]] = {}
        self._labels: dict[str, list[StoredNode]] = {}

        async def load_nodes(ids: list[str]) -> list[StoredNode | None]:
            found = await self.call(self.store.get_nodes, ids)
            return [found.get(i) for i in ids]

        self.nodes: DataLoader[str, StoredNode | None] = DataLoader(load_nodes)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking store or engine call in a worker thread."""
        self.store_calls += 1
        return await anyio.to_thread.run_sync(functools.partial(fn, *args))

    def neighbours(self, rel_type: str, direction: str) -> DataLoader[str, Neighbours]:
        loader = self._neighbours.get((rel_type, direction))
        if loader is None:

            async def load(ids: list[str]) -> list[Neighbours]:
                found = await self.call(self.store.neighbours, rel_type, direction, ids)
                return [found.get(i, []) for i in ids]

            loader = self._neighbours[(rel_type, direction)] = DataLoader(load)
        return loader

    async def estate(self) -> Estate:
        """One snapshot of the whole graph per request, however many fields need it."""
        if self._estate is None:
            self._estate = await self.call(read_estate, self.store)
        return self._estate

    async def of_label(self, label: str) -> list[StoredNode]:
        if label not in self._labels:
            self._labels[label] = await self.call(self.store.nodes_of, label)
        return self._labels[label]


def _ctx(info: Info) -> Context:
    ctx: Context = info.context
    return ctx


# --------------------------------------------------------------------------- roles


class IsAnalyst(BasePermission):
    """Blast radius and everything derived from it."""

    message = "this field needs the analyst role"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return _ctx(info).key.role.allows(Role.ANALYST)


class IsAdmin(BasePermission):
    """Changes to the graph."""

    message = "this field needs the admin role"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return _ctx(info).key.role.allows(Role.ADMIN)


# --------------------------------------------------------------------------- scalars, enums


def _parse_datetime(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 timestamp with a zone, e.g. 2026-01-31T09:00:00Z")
    return parse_utc_text(value)


DateTime = NewType("DateTime", str)
_DATETIME = strawberry.scalar(
    name="DateTime",
    serialize=str,
    parse_value=_parse_datetime,
    description="A moment in UTC at whole seconds, written 2026-01-31T09:00:00Z (a date "
    "alone means its midnight UTC).",
)

_ENUMS = [
    ReviewDecision,
    Access,
    Classification,
    CredentialKind,
    CredentialStatus,
    IntegrationKind,
    IntegrationStatus,
    Lifecycle,
    PrincipalKind,
    RiskTier,
    TeamStatus,
    VendorStatus,
]
for _enum in _ENUMS:
    strawberry.enum(_enum)


@strawberry.enum
class SortDirection(Enum):
    ASC = "asc"
    DESC = "desc"


def global_id(label: str, node_id: str) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{label}:{node_id}".encode()).decode())


def from_global_id(value: str) -> tuple[str, str] | None:
    try:
        text = base64.urlsafe_b64decode(value.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    label, sep, node_id = text.partition(":")
    if not sep or label not in {str(lbl) for lbl in Label}:
        return None
    return label, node_id


# --------------------------------------------------------------------------- node types


@strawberry.interface(description="Anything with a global id; fetch it again with node(id).")
class Node:
    id: strawberry.ID
    nhigraph_id: str = strawberry.field(description="the id nhigraph keys this node by")
    source: str = strawberry.field(description="the source that last wrote it")
    first_seen: DateTime
    last_seen: DateTime


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls, globalns=globals(), include_extras=False)
    return _HINTS[cls]


def to_graphql(stored: StoredNode) -> Any:
    """The GraphQL object of a stored node: its effective properties, enums as enums."""
    cls = _TYPES[stored.label]
    props = effective(stored.props)
    values: dict[str, Any] = {
        "id": global_id(stored.label, stored.id),
        "nhigraph_id": stored.id,
        "stored": stored,
    }
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in values or f.name not in hints:
            continue
        value = props.get(f.name)
        kind = typing.get_args(hints[f.name]) or (hints[f.name],)
        enum = next((k for k in kind if isinstance(k, type) and issubclass(k, Enum)), None)
        if value is not None and enum is not None:
            value = enum(value)
        if value is None and f.default is not dataclasses.MISSING:
            value = f.default
        values[f.name] = value
    return cls(**values)


async def _nodes(info: Info, ids: Sequence[str]) -> list[Any]:
    found = await _ctx(info).nodes.load_many(list(ids))
    return [to_graphql(n) for n in found if n is not None]


async def _joined(info: Info, node_id: str, rel_type: str, direction: str) -> list[str]:
    return [other for other, _ in await _ctx(info).neighbours(rel_type, direction).load(node_id)]


async def _related(info: Info, node_id: str, rel_type: str, direction: str) -> list[Any]:
    return await _nodes(info, await _joined(info, node_id, rel_type, direction))


@strawberry.type
class Team(Node):
    stored: strawberry.Private[StoredNode]
    name: str
    status: TeamStatus = TeamStatus.ACTIVE

    @strawberry.field(description="integrations it is the accountable owner of")
    async def owns(self, info: Info) -> list[Integration]:
        return await _related(info, self.nhigraph_id, "OWNS", "out")

    @strawberry.field(description="integrations it uses")
    async def uses(self, info: Info) -> list[Integration]:
        return await _related(info, self.nhigraph_id, "USES", "out")


@strawberry.type
class Vendor(Node):
    stored: strawberry.Private[StoredNode]
    name: str
    status: VendorStatus = VendorStatus.ACTIVE
    offboarded_at: DateTime | None = None
    aliases: list[str] | None = None

    @strawberry.field(description="integrations it provides")
    async def integrations(self, info: Info) -> list[Integration]:
        return await _related(info, self.nhigraph_id, "PROVIDES", "out")


@strawberry.type
class Principal(Node):
    stored: strawberry.Private[StoredNode]
    name: str
    kind: PrincipalKind = PrincipalKind.USER
    enabled: bool = True
    is_admin: bool = False


@strawberry.type
class Tenant(Node):
    stored: strawberry.Private[StoredNode]
    provider: str
    name: str

    @strawberry.field
    async def data_stores(self, info: Info) -> list[DataStore]:
        return await _related(info, self.nhigraph_id, "CONTAINS", "out")


@strawberry.type
class DataStore(Node):
    stored: strawberry.Private[StoredNode]
    name: str
    kind: str
    classification: Classification

    @strawberry.field(description="the source's classification, when people changed it")
    def source_classification(self) -> Classification | None:
        if "patch_classification" not in self.stored.props:
            return None
        return Classification(self.stored.props["classification"])

    @strawberry.field
    async def tenant(self, info: Info) -> Tenant | None:
        found = await _related(info, self.nhigraph_id, "CONTAINS", "in")
        return found[0] if found else None

    @strawberry.field(description="credentials kept in it: the chaining edge")
    async def stores_credentials(self, info: Info) -> list[Credential]:
        return await _related(info, self.nhigraph_id, "STORES", "out")


@strawberry.type
class ScopeReach:
    access: Access
    target_id: str

    @strawberry.field(description="the data store or tenant reached")
    async def target(self, info: Info) -> Node | None:
        found = await _nodes(info, [self.target_id])
        return found[0] if found else None


@strawberry.type
class Scope(Node):
    stored: strawberry.Private[StoredNode]
    name: str
    provider: str
    access: Access
    sensitive: bool = False
    unclassified: bool = False

    @strawberry.field(description="what the scope reaches, from the scope catalogue")
    async def reaches(self, info: Info) -> list[ScopeReach]:
        joined = await _ctx(info).neighbours("CAN_ACCESS", "out").load(self.nhigraph_id)
        return [
            ScopeReach(access=Access(props.get("access", self.access.value)), target_id=other)
            for other, props in joined
        ]


@strawberry.type
class Credential(Node):
    stored: strawberry.Private[StoredNode]
    kind: CredentialKind
    identifier: str | None = strawberry.field(
        default=None, description="a public handle (key id, client id, last characters)"
    )
    created_at: DateTime | None = None
    expires_at: DateTime | None = None
    last_used_at: DateTime | None = None
    last_rotated_at: DateTime | None = None
    status: CredentialStatus = CredentialStatus.ACTIVE
    revoked_at: DateTime | None = None

    @strawberry.field(description="whether a secret value was seen (its keyed hash is kept)")
    def has_fingerprint(self) -> bool:
        return "fingerprint" in self.stored.props

    @strawberry.field
    async def integrations(self, info: Info) -> list[Integration]:
        return await _related(info, self.nhigraph_id, "HAS_CREDENTIAL", "in")

    @strawberry.field(description="what it can actually do")
    async def grants(self, info: Info) -> list[Scope]:
        return await _related(info, self.nhigraph_id, "GRANTS", "out")

    @strawberry.field(description="the principal a delegated credential acts for")
    async def acts_as(self, info: Info) -> Principal | None:
        found = await _related(info, self.nhigraph_id, "ACTS_AS", "out")
        return found[0] if found else None

    @strawberry.field(description="data stores that keep this credential")
    async def stored_in(self, info: Info) -> list[DataStore]:
        return await _related(info, self.nhigraph_id, "STORES", "in")


@strawberry.type
class Integration(Node):
    stored: strawberry.Private[StoredNode]
    name: str
    kind: IntegrationKind
    status: IntegrationStatus = IntegrationStatus.ENABLED
    lifecycle: Lifecycle = Lifecycle.IN_USE
    purpose: str | None = None
    provider: str | None = None
    client_id: str | None = None
    publisher: str | None = None
    publisher_id: str | None = None
    publisher_verified: bool | None = None
    created_at: DateTime | None = None
    last_used_at: DateTime | None = None
    review_due: DateTime | None = None
    risk_tier: RiskTier | None = None

    @strawberry.field(description="the accountable owner (exactly one is expected)")
    async def owner(self, info: Info) -> Team | None:
        found = await _related(info, self.nhigraph_id, "OWNS", "in")
        return found[0] if found else None

    @strawberry.field(description="every team declared as its owner")
    async def owners(self, info: Info) -> list[Team]:
        return await _related(info, self.nhigraph_id, "OWNS", "in")

    @strawberry.field(description="the teams that use it")
    async def users(self, info: Info) -> list[Team]:
        return await _related(info, self.nhigraph_id, "USES", "in")

    @strawberry.field(description="who operates it")
    async def vendor(self, info: Info) -> Vendor | None:
        found = await _related(info, self.nhigraph_id, "PROVIDES", "in")
        return found[0] if found else None

    @strawberry.field
    async def credentials(self, info: Info) -> list[Credential]:
        return await _related(info, self.nhigraph_id, "HAS_CREDENTIAL", "out")

    @strawberry.field(description="the scopes its credentials grant (what it can do)")
    async def granted_scopes(self, info: Info) -> list[Scope]:
        credentials = await _joined(info, self.nhigraph_id, "HAS_CREDENTIAL", "out")
        grants = await _ctx(info).neighbours("GRANTS", "out").load_many(credentials)
        return await _nodes(info, sorted({scope for joined in grants for scope, _ in joined}))

    @strawberry.field(description="the scopes it was reviewed and approved for")
    async def approved_scopes(self, info: Info) -> list[Scope]:
        return await _related(info, self.nhigraph_id, "APPROVED_FOR", "out")

    @strawberry.field(description="its access reviews, newest first")
    async def reviews(self, info: Info) -> list[Review]:
        found: list[Review] = await _related(info, self.nhigraph_id, "REVIEWS", "in")
        return sorted(found, key=lambda r: (str(r.reviewed_at), r.nhigraph_id), reverse=True)

    @strawberry.field(permission_classes=[IsAnalyst], description="its blast radius")
    async def blast_radius(
        self,
        info: Info,
        as_of: DateTime | None = None,
        max_chain: int = 3,
        min_access: Access | None = None,
    ) -> BlastRadius:
        return await _radius(info, [self.nhigraph_id], as_of, max_chain, min_access)


@strawberry.type
class Review(Node):
    stored: strawberry.Private[StoredNode]
    decision: ReviewDecision
    notes: str | None = None
    reviewer: str = ""
    reviewed_at: DateTime | None = None

    @strawberry.field
    async def integration(self, info: Info) -> Integration | None:
        found = await _related(info, self.nhigraph_id, "REVIEWS", "out")
        return found[0] if found else None


_TYPES: dict[str, type[Any]] = {
    "Review": Review,
    "Team": Team,
    "Vendor": Vendor,
    "Integration": Integration,
    "Credential": Credential,
    "Principal": Principal,
    "Scope": Scope,
    "Tenant": Tenant,
    "DataStore": DataStore,
}

# --------------------------------------------------------------------------- blast radius


@strawberry.type
class WitnessPath:
    nodes: list[str]
    relationships: list[str]
    hops: int = strawberry.field(description="chaining hops (STORES) on the path")


def _path(path: engine.WitnessPath) -> WitnessPath:
    return WitnessPath(nodes=list(path.nodes), relationships=list(path.rels), hops=path.hops)


@strawberry.type
class ReachedStore:
    data_store_id: str
    name: str
    classification: Classification
    access: Access = strawberry.field(description="the highest access over all paths")
    depth: int = strawberry.field(description="chaining hops on the witness path")
    tenants: list[str]
    witness_path: WitnessPath

    @strawberry.field
    async def data_store(self, info: Info) -> DataStore | None:
        found = await _nodes(info, [self.data_store_id])
        return found[0] if found else None


@strawberry.type
class TouchedTenant:
    tenant_id: str
    access: Access


@strawberry.type
class ExposedCredential:
    credential_id: str
    depth: int = strawberry.field(description="the chaining hop it starts")
    found_in: str = strawberry.field(description="the data store on its witness path")
    integrations: list[str] = strawberry.field(description="lateral movement: who holds it")
    witness_path: WitnessPath


@strawberry.type
class BlastRadius:
    start: list[str] = strawberry.field(description="the start credentials")
    live_start: list[str]
    as_of: DateTime
    max_chain: int
    min_access: Access | None
    stores: list[ReachedStore]
    tenants: list[TouchedTenant]
    exposed_credentials: list[ExposedCredential]
    lateral_integrations: list[str]
    score: float = strawberry.field(description="sum of sensitivity x access weight")


def to_radius(radius: engine.BlastRadius) -> BlastRadius:
    return BlastRadius(
        start=list(radius.start),
        live_start=list(radius.live_start),
        as_of=DateTime(radius.as_of),
        max_chain=radius.max_chain,
        min_access=None if radius.min_access is None else Access(radius.min_access),
        stores=[
            ReachedStore(
                data_store_id=s.id,
                name=s.name,
                classification=Classification(s.classification),
                access=Access(s.access),
                depth=s.depth,
                tenants=list(s.tenants),
                witness_path=_path(s.path),
            )
            for s in radius.stores
        ],
        tenants=[TouchedTenant(tenant_id=t.id, access=Access(t.access)) for t in radius.tenants],
        exposed_credentials=[
            ExposedCredential(
                credential_id=e.id,
                depth=e.depth,
                found_in=e.found_in,
                integrations=list(e.integrations),
                witness_path=_path(e.path),
            )
            for e in radius.exposed
        ],
        lateral_integrations=list(radius.lateral_integrations),
        score=radius.score,
    )


def _moment(as_of: str | None) -> str:
    return as_of if as_of is not None else format_utc(datetime.now(UTC))


def _chain(max_chain: int) -> int:
    if not 0 <= max_chain <= 10:
        raise ApiInputError("maxChain must be between 0 and 10")
    return max_chain


async def _radius(
    info: Info, ids: list[str], as_of: str | None, max_chain: int, min_access: Access | None
) -> BlastRadius:
    ctx = _ctx(info)
    chain = _chain(max_chain)

    def compute() -> engine.BlastRadius:
        start = engine.resolve_start(ctx.store, ids)
        floor = None if min_access is None else min_access.value
        return engine.blast_radius(ctx.store, start, _moment(as_of), ctx.policy, chain, floor)

    return to_radius(await ctx.call(compute))


@strawberry.input(description="where a blast radius starts: any mix of ids")
class BlastStart:
    integrations: list[str] = strawberry.field(default_factory=list)
    credentials: list[str] = strawberry.field(default_factory=list)
    vendors: list[str] = strawberry.field(default_factory=list)
    teams: list[str] = strawberry.field(default_factory=list)


@strawberry.type
class Excess:
    data_store_id: str
    effective_access: Access
    approved_access: Access | None = strawberry.field(description="null: not reached at all")


@strawberry.type
class SharedConnector:
    integration_id: str
    teams: list[str]
    effective: BlastRadius
    approved: BlastRadius
    excess: list[Excess] = strawberry.field(description="scope creep: beyond the approval")

    @strawberry.field
    async def integration(self, info: Info) -> Integration | None:
        found = await _nodes(info, [self.integration_id])
        return found[0] if found else None


# --------------------------------------------------------------------------- filters, sorting


@strawberry.input(description="tests on a text field; all given must hold")
class StringFilter:
    eq: str | None = None
    contains: str | None = strawberry.field(default=None, description="case-insensitive")
    in_: list[str] | None = strawberry.field(default=None, name="in")
    starts_with: str | None = None


@strawberry.input(description="tests on a timestamp; all given must hold")
class DateTimeFilter:
    eq: DateTime | None = None
    lt: DateTime | None = None
    gt: DateTime | None = None


@strawberry.input
class BooleanFilter:
    eq: bool | None = None


def _tests(name: str, given: Any) -> list[listing.Condition]:
    out: list[listing.Condition] = []
    if isinstance(given, StringFilter):
        if given.eq is not None:
            out.append(listing.FieldTest(name, "eq", given.eq))
        if given.contains is not None:
            out.append(listing.FieldTest(name, "contains", given.contains))
        if given.in_ is not None:
            out.append(listing.FieldTest(name, "in", list(given.in_)))
        if given.starts_with is not None:
            out.append(listing.FieldTest(name, "startsWith", given.starts_with))
    elif isinstance(given, DateTimeFilter):
        for op in ("eq", "lt", "gt"):
            if getattr(given, op) is not None:
                out.append(listing.FieldTest(name, op, getattr(given, op)))
    elif isinstance(given, BooleanFilter) and given.eq is not None:
        out.append(listing.FieldTest(name, "eq", given.eq))
    return out


def condition(where: Any) -> listing.Condition | None:
    """A where input as a ``graph.listing`` condition (fields are property names)."""
    if where is None:
        return None
    parts: list[listing.Condition] = []
    for f in dataclasses.fields(where):
        value = getattr(where, f.name)
        if value is None:
            continue
        if f.name == "AND":
            parts.append(listing.AllOf(tuple(c for w in value if (c := condition(w)))))
        elif f.name == "OR":
            parts.append(listing.AnyOf(tuple(c for w in value if (c := condition(w)))))
        elif f.name == "NOT":
            inner = condition(value)
            if inner is not None:
                parts.append(listing.Not(inner))
        else:
            parts.extend(_tests(f.name, value))
    return listing.AllOf(tuple(parts)) if parts else None


def sort_keys(sort: list[Any] | None) -> list[tuple[str, bool]]:
    keys: list[tuple[str, bool]] = []
    for n, entry in enumerate(sort or []):
        given = [(f.name, getattr(entry, f.name)) for f in dataclasses.fields(entry)]
        given = [(name, d) for name, d in given if d is not None]
        if len(given) != 1:
            raise ApiInputError(f"sort[{n}]: give exactly one field")
        keys.append((given[0][0], given[0][1] == SortDirection.DESC))
    return keys


@strawberry.input
class TeamWhere:
    id: StringFilter | None = None
    name: StringFilter | None = None
    status: StringFilter | None = None
    source: StringFilter | None = None
    AND: list[TeamWhere] | None = None
    OR: list[TeamWhere] | None = None
    NOT: TeamWhere | None = None


@strawberry.input
class TeamSort:
    id: SortDirection | None = None
    name: SortDirection | None = None


@strawberry.input
class VendorWhere:
    id: StringFilter | None = None
    name: StringFilter | None = None
    status: StringFilter | None = None
    source: StringFilter | None = None
    AND: list[VendorWhere] | None = None
    OR: list[VendorWhere] | None = None
    NOT: VendorWhere | None = None


@strawberry.input
class VendorSort:
    id: SortDirection | None = None
    name: SortDirection | None = None


@strawberry.input
class IntegrationWhere:
    id: StringFilter | None = None
    name: StringFilter | None = None
    kind: StringFilter | None = None
    status: StringFilter | None = None
    lifecycle: StringFilter | None = None
    provider: StringFilter | None = None
    client_id: StringFilter | None = None
    publisher: StringFilter | None = None
    publisher_verified: BooleanFilter | None = None
    purpose: StringFilter | None = None
    source: StringFilter | None = None
    created_at: DateTimeFilter | None = None
    last_used_at: DateTimeFilter | None = None
    review_due: DateTimeFilter | None = None
    AND: list[IntegrationWhere] | None = None
    OR: list[IntegrationWhere] | None = None
    NOT: IntegrationWhere | None = None


@strawberry.input
class IntegrationSort:
    id: SortDirection | None = None
    name: SortDirection | None = None
    kind: SortDirection | None = None
    status: SortDirection | None = None
    provider: SortDirection | None = None
    created_at: SortDirection | None = None
    last_used_at: SortDirection | None = None
    review_due: SortDirection | None = None


@strawberry.input
class CredentialWhere:
    id: StringFilter | None = None
    kind: StringFilter | None = None
    identifier: StringFilter | None = None
    status: StringFilter | None = None
    source: StringFilter | None = None
    created_at: DateTimeFilter | None = None
    expires_at: DateTimeFilter | None = None
    last_used_at: DateTimeFilter | None = None
    AND: list[CredentialWhere] | None = None
    OR: list[CredentialWhere] | None = None
    NOT: CredentialWhere | None = None


@strawberry.input
class CredentialSort:
    id: SortDirection | None = None
    kind: SortDirection | None = None
    status: SortDirection | None = None
    created_at: SortDirection | None = None
    expires_at: SortDirection | None = None
    last_used_at: SortDirection | None = None


@strawberry.input
class TenantWhere:
    id: StringFilter | None = None
    name: StringFilter | None = None
    provider: StringFilter | None = None
    source: StringFilter | None = None
    AND: list[TenantWhere] | None = None
    OR: list[TenantWhere] | None = None
    NOT: TenantWhere | None = None


@strawberry.input
class TenantSort:
    id: SortDirection | None = None
    name: SortDirection | None = None
    provider: SortDirection | None = None


@strawberry.input
class DataStoreWhere:
    id: StringFilter | None = None
    name: StringFilter | None = None
    kind: StringFilter | None = None
    classification: StringFilter | None = None
    source: StringFilter | None = None
    AND: list[DataStoreWhere] | None = None
    OR: list[DataStoreWhere] | None = None
    NOT: DataStoreWhere | None = None


@strawberry.input
class DataStoreSort:
    id: SortDirection | None = None
    name: SortDirection | None = None
    kind: SortDirection | None = None
    classification: SortDirection | None = None


# --------------------------------------------------------------------------- connections

N = TypeVar("N")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(typing.Generic[N]):
    cursor: str
    node: N


@strawberry.type
class Connection(typing.Generic[N]):
    edges: list[Edge[N]]
    page_info: PageInfo
    total_count: int


def _props_for_listing(stored: StoredNode) -> dict[str, Any]:
    props = dict(effective(stored.props))
    props["id"] = stored.id
    return props


async def _connection(
    info: Info, label: str, first: int, after: str | None, where: Any, sort: list[Any] | None
) -> Connection[Any]:
    if not 0 <= first <= MAX_PAGE:
        raise ApiInputError(f"first must be between 0 and {MAX_PAGE}")
    nodes = await _ctx(info).of_label(label)
    try:
        chosen = listing.page(
            nodes,
            lambda n: n.id,
            _props_for_listing,
            condition(where),
            sort_keys(sort),
            first,
            after,
        )
    except listing.BadCursor as exc:
        raise ApiInputError(str(exc)) from None
    edges = [
        Edge(cursor=cursor, node=to_graphql(node))
        for node, cursor in zip(chosen.items, chosen.cursors, strict=True)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=chosen.has_next,
            has_previous_page=chosen.has_previous,
            start_cursor=chosen.cursors[0] if chosen.cursors else None,
            end_cursor=chosen.cursors[-1] if chosen.cursors else None,
        ),
        total_count=chosen.total,
    )


# --------------------------------------------------------------------------- posture


@strawberry.type
class Reference:
    id: str
    name: str


@strawberry.type
class Finding:
    rule: str
    title: str
    severity: str = strawberry.field(description="critical, high, medium, low or info")
    subject: str
    integration_id: str | None
    evidence: JSON
    remediation: str
    owasp: list[Reference] = strawberry.field(description="OWASP Non-Human Identities Top 10")
    nist: list[Reference] = strawberry.field(description="NIST CSF 2.0 subcategories")


@strawberry.type
class FindingPage:
    total_count: int
    items: list[Finding]


@strawberry.type
class RiskFactor:
    name: str
    points: float
    detail: str


@strawberry.type
class Risk:
    integration_id: str
    name: str
    risk: float
    tier: RiskTier
    blast_score: float
    factors: list[RiskFactor]

    @strawberry.field
    async def integration(self, info: Info) -> Integration | None:
        found = await _nodes(info, [self.integration_id])
        return found[0] if found else None


@strawberry.type
class RiskPage:
    total_count: int
    items: list[Risk]


@strawberry.type
class QueuedReview:
    integration_id: str
    name: str
    tier: RiskTier
    risk: float
    blast_score: float
    due: DateTime
    overdue_days: int = strawberry.field(description="negative: due in that many days")
    last_review_id: str | None

    @strawberry.field
    async def last_review(self, info: Info) -> Review | None:
        if self.last_review_id is None:
            return None
        found = await _nodes(info, [self.last_review_id])
        return found[0] if found else None


@strawberry.type
class ReviewQueue:
    total_count: int
    items: list[QueuedReview]


_STORED_OR_COMPUTED = (
    " read from the stored posture, paged by the store, when it is current; with asOf, or"
    " when the graph moved since it was built, computed for this request over every"
    " integration (whole-estate cost)"
)


async def _stored_as_of(info: Info, as_of: str | None) -> str | None:
    """When the question is about now and the stored posture answers for the graph as it
    is (same generation and policy, computed within a day): the moment it was computed
    for; else None, and the posture is computed for this request. One look per request."""
    if as_of is not None:
        return None
    ctx = _ctx(info)
    if ctx.stored_as_of is False:
        status = await ctx.call(stored.status, ctx.store, ctx.full_policy, stored.MAX_AGE)
        ctx.stored_as_of = None if status.stale else status.as_of
    return ctx.stored_as_of if isinstance(ctx.stored_as_of, str) else None


def _page_bounds(first: int, offset: int) -> None:
    if not 0 <= first <= MAX_PAGE:
        raise ApiInputError(f"first must be between 0 and {MAX_PAGE}")
    if offset < 0:
        raise ApiInputError("offset must not be negative")


def _finding_type(f: FindingRecord) -> Finding:
    return Finding(
        rule=f.rule,
        title=f.title,
        severity=f.severity,
        subject=f.subject,
        integration_id=f.integration,
        evidence=JSON(f.evidence),
        remediation=f.remediation,
        owasp=_refs(f.owasp),
        nist=_refs(f.nist),
    )


def _risk_type(r: RiskAssessment) -> Risk:
    return Risk(
        integration_id=r.integration,
        name=r.name,
        risk=r.risk,
        tier=RiskTier(r.tier),
        blast_score=r.blast_score,
        factors=[RiskFactor(name=f.name, points=f.points, detail=f.detail) for f in r.factors],
    )


def _queued_type(e: QueueEntry) -> QueuedReview:
    return QueuedReview(
        integration_id=e.integration,
        name=e.name,
        tier=RiskTier(e.tier),
        risk=e.risk,
        blast_score=e.blast_score,
        due=DateTime(e.due),
        overdue_days=e.overdue_days,
        last_review_id=None if e.last_review is None else e.last_review.id,
    )


async def _posture(info: Info, as_of: str | None) -> Posture:
    ctx = _ctx(info)
    moment = _moment(as_of)
    cached = ctx.postures.get(moment)
    if cached is None:
        estate = await ctx.estate()
        cached = ctx.postures[moment] = await ctx.call(
            assess_posture, ctx.store, ctx.full_policy, moment, 3, estate
        )
    return cached


def _window(items: Sequence[T], first: int, offset: int) -> list[T]:
    _page_bounds(first, offset)
    return list(items[offset : offset + first])


def _refs(items: Sequence[Any]) -> list[Reference]:
    return [Reference(id=r.id, name=r.name) for r in items]


# --------------------------------------------------------------------------- incident response


@strawberry.type
class RevocationAction:
    provider_entry: str = strawberry.field(description="the revocation table entry used")
    where: str = strawberry.field(description="the console path that revokes it")
    api: list[str] = strawberry.field(description="the API calls that revoke it")
    note: str | None


@strawberry.type
class RevocationStep:
    order: int
    credential_id: str
    kind: str
    identifier: str | None
    integrations: list[str]
    tenant: str
    provider: str
    why: str = strawberry.field(description="start, or where it was found exposed")
    live: bool
    own_score: float = strawberry.field(description="the blast score of this credential alone")
    note: str | None
    action: RevocationAction


@strawberry.type
class TeamToNotify:
    team_id: str
    name: str
    status: str
    owns: list[str]
    uses: list[str]


@strawberry.type
class StoreToCheck:
    data_store_id: str
    name: str
    classification: Classification
    access: Access
    depth: int


@strawberry.type
class CompromiseImpact:
    start_ids: list[str]
    as_of: DateTime
    radius: BlastRadius
    plan: list[RevocationStep] = strawberry.field(description="revoke in this order")
    teams_to_notify: list[TeamToNotify]
    stores_to_check: list[StoreToCheck] = strawberry.field(
        description="for exfiltration, most sensitive first"
    )
    details: JSON = strawberry.field(
        description="the whole answer: steps grouped by tenant, vendors, credentials left out"
    )


def to_impact(found: impact.CompromiseImpact) -> CompromiseImpact:
    return CompromiseImpact(
        start_ids=list(found.start_ids),
        as_of=DateTime(found.as_of),
        radius=to_radius(found.radius),
        plan=[
            RevocationStep(
                order=s.order,
                credential_id=s.credential,
                kind=s.kind,
                identifier=s.identifier,
                integrations=list(s.integrations),
                tenant=s.tenant,
                provider=s.provider,
                why=s.why,
                live=s.live,
                own_score=s.own_score,
                note=s.note,
                action=RevocationAction(
                    provider_entry=s.action.entry,
                    where=s.action.where,
                    api=list(s.action.api),
                    note=s.action.note,
                ),
            )
            for s in found.plan
        ],
        teams_to_notify=[
            TeamToNotify(
                team_id=t.team, name=t.name, status=t.status, owns=list(t.owns), uses=list(t.uses)
            )
            for t in found.teams
        ],
        stores_to_check=[
            StoreToCheck(
                data_store_id=c.store,
                name=c.name,
                classification=Classification(c.classification),
                access=Access(c.access),
                depth=c.depth,
            )
            for c in found.stores_to_check
        ],
        details=JSON(found.to_dict()),
    )


@strawberry.type
class CredentialMatch:
    credential_id: str
    kind: str
    identifier: str | None
    how: str = strawberry.field(description="fingerprint, identifier or suffix")
    integrations: list[str]


@strawberry.type
class IntegrationChange:
    integration_id: str
    name: str
    before_score: float
    after_score: float


@strawberry.type
class Breakage:
    integration_id: str
    name: str
    lost_credentials: list[str]
    lost_scopes: list[str]
    teams: list[str]


@strawberry.type
class WhatIf:
    exposure_before: float
    exposure_after: float
    integrations: list[IntegrationChange]
    breaks: list[Breakage] = strawberry.field(description="what would stop working, for whom")
    details: JSON


# --------------------------------------------------------------------------- the root


@strawberry.type
class Viewer:
    key_id: str
    name: str
    role: str


_FIRST = strawberry.argument(description=f"how many, at most {MAX_PAGE}")


@strawberry.type
class Query:
    @strawberry.field(description="the API key this request uses")
    def viewer(self, info: Info) -> Viewer:
        key = _ctx(info).key
        return Viewer(key_id=key.id, name=key.name, role=key.role.value)

    @strawberry.field(description="any node by its global id")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        decoded = from_global_id(str(id))
        if decoded is None:
            raise ApiInputError("id is not a global id this API gave out")
        label, node_id = decoded
        stored = await _ctx(info).nodes.load(node_id)
        return None if stored is None or stored.label != label else to_graphql(stored)

    @strawberry.field(description="one integration by its nhigraph id or global id")
    async def integration(self, info: Info, id: str) -> Integration | None:
        decoded = from_global_id(id)
        node_id = decoded[1] if decoded and decoded[0] == "Integration" else id
        stored = await _ctx(info).nodes.load(node_id)
        if stored is None or stored.label != "Integration":
            return None
        found: Integration = to_graphql(stored)
        return found

    @strawberry.field
    async def integrations(
        self,
        info: Info,
        first: typing.Annotated[int, _FIRST],
        after: str | None = None,
        where: IntegrationWhere | None = None,
        sort: list[IntegrationSort] | None = None,
    ) -> Connection[Integration]:
        return await _connection(info, "Integration", first, after, where, sort)

    @strawberry.field
    async def credentials(
        self,
        info: Info,
        first: typing.Annotated[int, _FIRST],
        after: str | None = None,
        where: CredentialWhere | None = None,
        sort: list[CredentialSort] | None = None,
    ) -> Connection[Credential]:
        return await _connection(info, "Credential", first, after, where, sort)

    @strawberry.field
    async def tenants(
        self,
        info: Info,
        first: typing.Annotated[int, _FIRST],
        after: str | None = None,
        where: TenantWhere | None = None,
        sort: list[TenantSort] | None = None,
    ) -> Connection[Tenant]:
        return await _connection(info, "Tenant", first, after, where, sort)

    @strawberry.field
    async def data_stores(
        self,
        info: Info,
        first: typing.Annotated[int, _FIRST],
        after: str | None = None,
        where: DataStoreWhere | None = None,
        sort: list[DataStoreSort] | None = None,
    ) -> Connection[DataStore]:
        return await _connection(info, "DataStore", first, after, where, sort)

    @strawberry.field
    async def teams(
        self,
        info: Info,
        first: typing.Annotated[int, _FIRST],
        after: str | None = None,
        where: TeamWhere | None = None,
        sort: list[TeamSort] | None = None,
    ) -> Connection[Team]:
        return await _connection(info, "Team", first, after, where, sort)

    @strawberry.field
    async def vendors(
        self,
        info: Info,
        first: typing.Annotated[int, _FIRST],
        after: str | None = None,
        where: VendorWhere | None = None,
        sort: list[VendorSort] | None = None,
    ) -> Connection[Vendor]:
        return await _connection(info, "Vendor", first, after, where, sort)

    @strawberry.field(
        permission_classes=[IsAnalyst],
        description="what a holder of these could reach, at asOf (default now)",
    )
    async def blast_radius(
        self,
        info: Info,
        start: BlastStart,
        as_of: DateTime | None = None,
        max_chain: int = 3,
        min_access: Access | None = None,
    ) -> BlastRadius:
        ids = [*start.integrations, *start.credentials, *start.vendors, *start.teams]
        if not ids:
            raise ApiInputError("start: name at least one integration, credential, vendor or team")
        return await _radius(info, ids, as_of, max_chain, min_access)

    @strawberry.field(
        permission_classes=[IsAnalyst],
        description="what is wrong, by rule:" + _STORED_OR_COMPUTED,
    )
    async def findings(
        self,
        info: Info,
        first: typing.Annotated[int, _FIRST],
        offset: int = 0,
        as_of: DateTime | None = None,
        severities: list[str] | None = None,
        rules: list[str] | None = None,
        integration_ids: list[str] | None = None,
    ) -> FindingPage:
        if await _stored_as_of(info, as_of) is not None:
            # Paged in the store: one indexed query for the page, one for the count.
            _page_bounds(first, offset)
            ctx = _ctx(info)
            ranks = tuple(SEVERITY_RANK[v] for v in severities or () if v in SEVERITY_RANK)
            if severities and not ranks:
                return FindingPage(total_count=0, items=[])
            query = FindingQuery(ranks, tuple(rules or ()), tuple(integration_ids or ()),
                                 first=first, offset=offset)  # fmt: skip
            rows = await ctx.call(ctx.store.posture_findings, query)
            total = await ctx.call(ctx.store.posture_findings_count, query)
            items = [_finding_type(stored.finding_from(json.loads(r.body))) for r in rows]
            return FindingPage(total_count=total, items=items)
        posture = await _posture(info, as_of)
        chosen = [
            f
            for f in posture.findings
            if (not severities or f.severity in severities)
            and (not rules or f.rule in rules)
            and (not integration_ids or f.integration in integration_ids)
        ]
        return FindingPage(
            total_count=len(chosen),
            items=[_finding_type(f) for f in _window(chosen, first, offset)],
        )

    @strawberry.field(
        permission_classes=[IsAnalyst],
        description="risk per integration, highest first:" + _STORED_OR_COMPUTED,
    )
    async def risk(
        self,
        info: Info,
        first: typing.Annotated[int, _FIRST],
        offset: int = 0,
        as_of: DateTime | None = None,
        integration_ids: list[str] | None = None,
    ) -> RiskPage:
        if await _stored_as_of(info, as_of) is not None:
            _page_bounds(first, offset)
            ctx = _ctx(info)
            ids = tuple(integration_ids or ())
            rows = await ctx.call(
                ctx.store.posture_integration_page, "risk", first, offset, ids, _moment(None)
            )
            total = await ctx.call(ctx.store.posture_integration_count, ids)
            items = [_risk_type(stored.risk_from(json.loads(r.body)["risk"])) for r, _ in rows]
            return RiskPage(total_count=total, items=items)
        posture = await _posture(info, as_of)
        chosen = [
            r for r in posture.risks if not integration_ids or r.integration in integration_ids
        ]
        return RiskPage(
            total_count=len(chosen),
            items=[_risk_type(r) for r in _window(chosen, first, offset)],
        )

    @strawberry.field(
        permission_classes=[IsAnalyst],
        description="what to review first: most overdue, then highest risk, then blast score:"
        + _STORED_OR_COMPUTED,
    )
    async def review_queue(
        self,
        info: Info,
        first: typing.Annotated[int, _FIRST],
        offset: int = 0,
        as_of: DateTime | None = None,
    ) -> ReviewQueue:
        if await _stored_as_of(info, as_of) is not None:
            _page_bounds(first, offset)
            ctx = _ctx(info)
            moment = _moment(None)
            now = datetime.fromisoformat(moment.replace("Z", "+00:00"))
            rows = await ctx.call(
                ctx.store.posture_integration_page, "queue", first, offset, (), moment
            )
            total = await ctx.call(ctx.store.posture_integration_count, ())
            items = [
                _queued_type(stored.queue_entry_from(json.loads(r.body)["review"], now))
                for r, _ in rows
            ]
            return ReviewQueue(total_count=total, items=items)
        posture = await _posture(info, as_of)
        return ReviewQueue(
            total_count=len(posture.queue),
            items=[_queued_type(e) for e in _window(posture.queue, first, offset)],
        )

    @strawberry.field(
        permission_classes=[IsAnalyst],
        description="a compromised vendor, integration, credential, team or leaked identifier:"
        " the blast radius and the plan to contain it",
    )
    async def compromise_impact(
        self,
        info: Info,
        start: BlastStart | None = None,
        identifier: str | None = None,
        as_of: DateTime | None = None,
        max_chain: int = 3,
    ) -> CompromiseImpact:
        ctx = _ctx(info)
        chain = _chain(max_chain)
        ids = (
            []
            if start is None
            else [*start.integrations, *start.credentials, *start.vendors, *start.teams]
        )

        estate = await ctx.estate()

        def compute() -> impact.CompromiseImpact:
            wanted = list(ids)
            if identifier is not None:
                matches = impact.credential_lookup(estate, identifier=identifier)
                if not matches:
                    raise ApiInputError("no credential has that identifier")
                wanted += [m.credential for m in matches]
            if not wanted:
                raise ApiInputError("give a start or an identifier")
            return impact.compromise_impact(
                ctx.store, estate, wanted, _moment(as_of), ctx.full_policy, chain
            )

        return to_impact(await ctx.call(compute))

    @strawberry.field(
        permission_classes=[IsAnalyst],
        description="credentials by public identifier (or its last characters), or by a leaked "
        "secret: hashed on arrival with this installation's key, never stored or logged",
    )
    async def credential_lookup(
        self, info: Info, identifier: str | None = None, secret: str | None = None
    ) -> list[CredentialMatch]:
        ctx = _ctx(info)
        if (identifier is None) == (secret is None):
            raise ApiInputError("give an identifier or a secret")
        fingerprint = None if ctx.fingerprinter is None else ctx.fingerprinter.fingerprint
        if secret is not None and fingerprint is None:
            raise ApiInputError("this server has no fingerprint key to hash a secret with")

        estate = await ctx.estate()

        def compute() -> list[impact.Match]:
            return impact.credential_lookup(
                estate,
                identifier=identifier,
                secret=secret,
                fingerprint=fingerprint,
            )

        return [
            CredentialMatch(
                credential_id=m.credential,
                kind=m.kind,
                identifier=m.identifier,
                how=m.how,
                integrations=list(m.integrations),
            )
            for m in await ctx.call(compute)
        ]

    @strawberry.field(
        permission_classes=[IsAnalyst],
        description="blast radius before and after revoking credentials or removing scopes or "
        "stores, and which teams lose which integrations",
    )
    async def what_if(
        self,
        info: Info,
        revoke_credentials: list[str] | None = None,
        remove_scopes: list[str] | None = None,
        remove_stores: list[str] | None = None,
        as_of: DateTime | None = None,
        max_chain: int = 3,
    ) -> WhatIf:
        ctx = _ctx(info)
        chain = _chain(max_chain)

        estate = await ctx.estate()

        def compute() -> impact.WhatIf:
            return impact.what_if(
                ctx.store,
                estate,
                ctx.full_policy,
                _moment(as_of),
                revoke_credentials or (),
                remove_scopes or (),
                remove_stores or (),
                chain,
            )

        found = await ctx.call(compute)
        return WhatIf(
            exposure_before=found.exposure_before,
            exposure_after=found.exposure_after,
            integrations=[
                IntegrationChange(
                    integration_id=c.integration,
                    name=c.name,
                    before_score=c.before.score,
                    after_score=c.after.score,
                )
                for c in found.integrations
            ],
            breaks=[
                Breakage(
                    integration_id=b.integration,
                    name=b.name,
                    lost_credentials=list(b.lost_credentials),
                    lost_scopes=list(b.lost_scopes),
                    teams=[t.team for t in b.teams],
                )
                for b in found.breaks
            ],
            details=JSON(found.to_dict()),
        )

    @strawberry.field(
        permission_classes=[IsAnalyst],
        description="integrations used by two or more teams, effective vs approved radius",
    )
    async def shared_connectors(
        self,
        info: Info,
        as_of: DateTime | None = None,
        max_chain: int = 3,
    ) -> list[SharedConnector]:
        ctx = _ctx(info)
        chain = _chain(max_chain)
        found = await ctx.call(
            engine.shared_connectors, ctx.store, _moment(as_of), ctx.policy, chain
        )
        return [
            SharedConnector(
                integration_id=item.integration,
                teams=list(item.teams),
                effective=to_radius(item.effective),
                approved=to_radius(item.approved),
                excess=[
                    Excess(
                        data_store_id=e.store,
                        effective_access=Access(e.effective_access),
                        approved_access=None
                        if e.approved_access is None
                        else Access(e.approved_access),
                    )
                    for e in item.excess
                ],
            )
            for item in found
        ]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="record an access review; the reviewer is the API key's name",
    )
    async def record_review(
        self, info: Info, integration_id: str, decision: ReviewDecision, notes: str | None = None
    ) -> Review:
        ctx = _ctx(info)
        record = await ctx.call(
            record_review, ctx.store, integration_id, decision, ctx.key.name, notes
        )
        found = await ctx.call(ctx.store.get_nodes, [record.id])
        review: Review = to_graphql(found[record.id])
        return review


class _Schema(strawberry.Schema):
    def process_errors(self, errors: list[Any], execution_context: Any = None) -> None:
        """Strawberry logs every error with its traceback, permission refusals included;
        the service logs the unexpected ones itself (``api.app.format_error``)."""


def build_schema(extensions: Sequence[Any] = (), suggestions: bool = False) -> strawberry.Schema:
    # The same few query texts arrive again and again: parse and validate each once
    # (validation depends on neither variables nor caller; it was 60% of the CPU).
    cached = [lambda: ParserCache(maxsize=256), lambda: ValidationCache(maxsize=256)]
    return _Schema(
        query=Query,
        mutation=Mutation,
        types=[Team, Vendor, Integration, Credential, Principal, Scope, Tenant, DataStore, Review],
        extensions=[*cached, *extensions],
        config=StrawberryConfig(
            disable_field_suggestions=not suggestions, scalar_map={DateTime: _DATETIME}
        ),
    )
