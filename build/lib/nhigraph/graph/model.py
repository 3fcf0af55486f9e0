"""The canonical graph model: labels, relationships and enums of docs/design.md as pydantic models.

This is where data entering the graph is validated (ids, enums, timestamps); it
must not talk to a store or to a source. Inside nhigraph records travel as plain
rows (see ``graph.store``); these models are the edge where they are checked.

Timestamps are timezone-aware and normalised to UTC at whole seconds, written as
``YYYY-MM-DDTHH:MM:SSZ``; that form sorts lexicographically in time order, which
both stores rely on. A bare date means midnight UTC; a time without a zone is
rejected because guessing one would shift expiry checks by hours.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    model_validator,
)

# --------------------------------------------------------------------------- enums


class Access(StrEnum):
    """What a scope or an edge allows; ordered read < write < admin."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return ACCESS_RANK[self]


ACCESS_RANK: dict[str, int] = {"read": 1, "write": 2, "admin": 3}


class Classification(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"


class TeamStatus(StrEnum):
    ACTIVE = "active"
    DISBANDED = "disbanded"


class VendorStatus(StrEnum):
    ACTIVE = "active"
    OFFBOARDED = "offboarded"


class IntegrationKind(StrEnum):
    OAUTH_APP = "oauth_app"
    SERVICE_ACCOUNT = "service_account"
    API_CLIENT = "api_client"
    BOT = "bot"
    WEBHOOK = "webhook"
    APP_INSTALLATION = "app_installation"


class IntegrationStatus(StrEnum):
    """As the source reports it."""

    ENABLED = "enabled"
    DISABLED = "disabled"


class Lifecycle(StrEnum):
    """As people declare it."""

    IN_USE = "in_use"
    RETIRED = "retired"


class RiskTier(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class CredentialKind(StrEnum):
    OAUTH_REFRESH_TOKEN = "oauth_refresh_token"
    OAUTH_GRANT = "oauth_grant"
    API_KEY = "api_key"
    PERSONAL_ACCESS_TOKEN = "personal_access_token"
    CLIENT_SECRET = "client_secret"
    CERTIFICATE = "certificate"
    SERVICE_ACCOUNT_KEY = "service_account_key"
    WEBHOOK_SECRET = "webhook_secret"
    ACCESS_KEY = "access_key"


class CredentialStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    DISABLED = "disabled"


class ReviewDecision(StrEnum):
    KEEP = "keep"
    REDUCE = "reduce"
    REVOKE = "revoke"


class PrincipalKind(StrEnum):
    USER = "user"
    SERVICE_ACCOUNT = "service_account"


class Label(StrEnum):
    TEAM = "Team"
    VENDOR = "Vendor"
    INTEGRATION = "Integration"
    CREDENTIAL = "Credential"
    PRINCIPAL = "Principal"
    SCOPE = "Scope"
    TENANT = "Tenant"
    DATA_STORE = "DataStore"
    REVIEW = "Review"


class RelType(StrEnum):
    OWNS = "OWNS"
    USES = "USES"
    PROVIDES = "PROVIDES"
    HAS_CREDENTIAL = "HAS_CREDENTIAL"
    APPROVED_FOR = "APPROVED_FOR"
    GRANTS = "GRANTS"
    ACTS_AS = "ACTS_AS"
    CAN_ACCESS = "CAN_ACCESS"
    CONTAINS = "CONTAINS"
    STORES = "STORES"
    REVIEWS = "REVIEWS"


#: The labels each relationship type may join, (start labels, end labels).
ENDPOINTS: dict[RelType, tuple[frozenset[Label], frozenset[Label]]] = {
    RelType.OWNS: (frozenset({Label.TEAM}), frozenset({Label.INTEGRATION})),
    RelType.USES: (frozenset({Label.TEAM}), frozenset({Label.INTEGRATION})),
    RelType.PROVIDES: (frozenset({Label.VENDOR}), frozenset({Label.INTEGRATION})),
    RelType.HAS_CREDENTIAL: (frozenset({Label.INTEGRATION}), frozenset({Label.CREDENTIAL})),
    RelType.APPROVED_FOR: (frozenset({Label.INTEGRATION}), frozenset({Label.SCOPE})),
    RelType.GRANTS: (frozenset({Label.CREDENTIAL}), frozenset({Label.SCOPE})),
    RelType.ACTS_AS: (frozenset({Label.CREDENTIAL}), frozenset({Label.PRINCIPAL})),
    RelType.CAN_ACCESS: (
        frozenset({Label.SCOPE}),
        frozenset({Label.DATA_STORE, Label.TENANT}),
    ),
    RelType.CONTAINS: (frozenset({Label.TENANT}), frozenset({Label.DATA_STORE})),
    RelType.STORES: (frozenset({Label.DATA_STORE}), frozenset({Label.CREDENTIAL})),
    RelType.REVIEWS: (frozenset({Label.REVIEW}), frozenset({Label.INTEGRATION})),
}

#: Properties the store keeps on every node and relationship, besides the domain ones
#: (``sync_origin``, the page chains a record was read from, only when it has any).
BOOKKEEPING = ("source", "sync_tenant", "sync_run", "sync_origin", "first_seen", "last_seen")

#: Properties people declare about nodes a SaaS source owns (inventory enrichment). A
#: patch never rewrites the source's value: it is kept beside it as ``patch_<name>``
#: and wins on read (``effective``), so re-ingesting the source cannot erase it and
#: removing the patch brings the source's value back.
PATCH_FIELDS: dict[Label, tuple[str, ...]] = {
    Label.INTEGRATION: ("purpose", "lifecycle", "review_due"),
    Label.DATA_STORE: ("classification",),
}
#: Bookkeeping of a patch: who declared it, in which scope and run.
PATCH_BOOKKEEPING = ("patch_source", "patch_tenant", "patch_run")


def effective(props: dict[str, Any]) -> dict[str, Any]:
    """Domain properties as readers see them: patched values win, patch keys folded away."""
    if "patch_source" not in props:
        return props
    out = {k: v for k, v in props.items() if not k.startswith("patch_")}
    for key, value in props.items():
        if key.startswith("patch_") and key not in PATCH_BOOKKEEPING:
            out[key[len("patch_") :]] = value
    return out


# --------------------------------------------------------------------------- scalars

_ID_RE = r"^[a-z][a-z0-9_]*:\S+$"
_NAME_RE = r"^[a-z][a-z0-9_]*$"

NodeId = Annotated[
    str,
    StringConstraints(pattern=_ID_RE, max_length=512),
    Field(description="Stable, source-qualified id: '<source>:<rest>', no white space."),
]
SourceName = Annotated[str, StringConstraints(pattern=_NAME_RE, max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]
PublicHandle = Annotated[str, StringConstraints(min_length=1, max_length=256)]
ScopeName = Annotated[str, StringConstraints(min_length=1, max_length=512, pattern=r"^\S+$")]
Fingerprint = Annotated[
    str,
    StringConstraints(pattern=r"^hmac-sha256:[0-9a-f]{64}$"),
    Field(description="Keyed hash of a secret value that was seen; never the secret."),
]


def format_utc(value: datetime) -> str:
    """The canonical text form of a timestamp: UTC, whole seconds, 'Z'."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _to_utc(value: Any) -> Any:
    if isinstance(value, bool | int | float):
        raise ValueError("expected an ISO 8601 timestamp such as 2026-01-31T09:00:00Z")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("timestamp needs a time zone (for example 2026-01-31T09:00:00Z)")
        return value.astimezone(UTC).replace(microsecond=0)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValueError(
                "not an ISO 8601 timestamp (expected e.g. 2026-01-31T09:00:00Z)"
            ) from None
        return _to_utc(parsed)
    return value


def parse_utc_text(text: str) -> str:
    """``text`` (an ISO 8601 date, or time with a zone) in canonical form; ValueError if not."""
    moment = _to_utc(text)
    if not isinstance(moment, datetime):
        raise ValueError("expected an ISO 8601 timestamp")
    return format_utc(moment)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:  # reached only by a datetime built without a zone
        raise ValueError("timestamp needs a time zone")
    return value


UtcDatetime = Annotated[
    datetime,
    BeforeValidator(_to_utc),
    AfterValidator(_aware),
    PlainSerializer(format_utc, return_type=str, when_used="json"),
    Field(description="ISO 8601 timestamp with a zone, stored as UTC whole seconds."),
]

# --------------------------------------------------------------------------- nodes


class NodeModel(BaseModel):
    """Fields every node has; the store adds source, sync tags, first_seen and last_seen."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)

    label: ClassVar[Label]
    id: NodeId


class Team(NodeModel):
    label: ClassVar[Label] = Label.TEAM
    name: Text
    status: TeamStatus = TeamStatus.ACTIVE


class Vendor(NodeModel):
    label: ClassVar[Label] = Label.VENDOR
    name: Text
    status: VendorStatus = VendorStatus.ACTIVE
    offboarded_at: UtcDatetime | None = None
    aliases: list[Text] | None = Field(
        default=None,
        description="other names its apps are published under (e.g. 'Ledgerly Inc.')",
    )


class Integration(NodeModel):
    label: ClassVar[Label] = Label.INTEGRATION
    name: Text
    kind: IntegrationKind
    status: IntegrationStatus = IntegrationStatus.ENABLED
    lifecycle: Lifecycle = Lifecycle.IN_USE
    purpose: Text | None = None
    created_at: UtcDatetime | None = None
    last_used_at: UtcDatetime | None = None
    review_due: UtcDatetime | None = None
    risk_tier: RiskTier | None = None
    provider: SourceName | None = Field(
        default=None, description="the SaaS provider it is registered in (m365, github, ...)"
    )
    client_id: PublicHandle | None = Field(
        default=None, description="the provider's public id of the app (client id, app id)"
    )
    publisher: Text | None = Field(
        default=None, description="who publishes it, as the source says (a vendor hint)"
    )
    publisher_id: PublicHandle | None = Field(
        default=None, description="the source's id of the publisher (verified publisher id, ...)"
    )
    publisher_verified: bool | None = Field(
        default=None, description="whether the source verified the publisher's identity"
    )
    requested_scopes: list[ScopeName] | None = Field(
        default=None,
        description="the permissions the app's registration asks for, named as its scopes are "
        "(Entra ID requiredResourceAccess); what it GRANTS may differ",
    )
    requested_not_granted: list[ScopeName] | None = Field(
        default=None, description="requested scopes its credentials do not grant (not consented)"
    )
    granted_not_requested: list[ScopeName] | None = Field(
        default=None,
        description="scopes its credentials grant that its registration does not request "
        "(granted outside the app's manifest)",
    )
    admin_approved_users_only: bool | None = Field(
        default=None,
        description="who may use it: true, only users an admin pre-authorized; false, any user "
        "may self-authorize (Salesforce OptionsAllowAdminApprovedUsersOnly)",
    )
    console_password: bool | None = Field(
        default=None,
        description="the identity also has a password a person signs in with (AWS IAM user "
        "password_enabled): a machine identity usable by a human",
    )
    mfa_active: bool | None = Field(
        default=None, description="a multi-factor device guards its password sign-in (AWS)"
    )


class Credential(NodeModel):
    label: ClassVar[Label] = Label.CREDENTIAL
    kind: CredentialKind
    identifier: PublicHandle | None = Field(
        default=None,
        description="A public handle (key id, last eight characters, client id); never the secret.",
    )
    fingerprint: Fingerprint | None = None
    created_at: UtcDatetime | None = None
    expires_at: UtcDatetime | None = None
    last_used_at: UtcDatetime | None = None
    last_rotated_at: UtcDatetime | None = None
    status: CredentialStatus = CredentialStatus.ACTIVE
    revoked_at: UtcDatetime | None = None
    network_connection: PublicHandle | None = Field(
        default=None,
        description="where it may be used from, as the source says (Okta API token network "
        "condition: ANYWHERE, or ZONE with network_zones)",
    )
    network_zones: list[PublicHandle] | None = Field(
        default=None, description="the network zones it may be used from (Okta zone ids)"
    )
    network_excluded_zones: list[PublicHandle] | None = Field(
        default=None, description="network zones it may not be used from (Okta zone ids)"
    )


class Principal(NodeModel):
    label: ClassVar[Label] = Label.PRINCIPAL
    name: Text
    kind: PrincipalKind = PrincipalKind.USER
    enabled: bool = True
    is_admin: bool = False


class Scope(NodeModel):
    """A permission in one tenant; its id is ``<tenant id>/<scope name>``."""

    label: ClassVar[Label] = Label.SCOPE
    name: ScopeName
    provider: SourceName
    access: Access
    sensitive: bool = False
    unclassified: bool | None = Field(
        default=None,
        description="true when not in the scope catalogue: stored as write, reaching its tenant",
    )

    @model_validator(mode="after")
    def _id_is_tenant_qualified(self) -> Scope:
        if not self.id.endswith("/" + self.name) or len(self.id) <= len(self.name) + 1:
            raise ValueError(f"scope id must be '<tenant id>/{self.name}'")
        return self

    @property
    def tenant_id(self) -> str:
        return self.id[: -len(self.name) - 1]


class Tenant(NodeModel):
    label: ClassVar[Label] = Label.TENANT
    provider: SourceName
    name: Text


class DataStore(NodeModel):
    label: ClassVar[Label] = Label.DATA_STORE
    name: Text
    kind: SourceName
    classification: Classification


class Review(NodeModel):
    """An access review of an integration (``REVIEWS`` it): who decided what, and when.
    Reviews are history: each is written once and no cleanup removes it."""

    label: ClassVar[Label] = Label.REVIEW
    decision: ReviewDecision
    notes: Text | None = None
    reviewer: Text = Field(description="who recorded it (an API key's name, or a person)")
    reviewed_at: UtcDatetime


NODE_MODELS: dict[Label, type[NodeModel]] = {
    m.label: m
    for m in (Team, Vendor, Integration, Credential, Principal, Scope, Tenant, DataStore, Review)
}


def _mentions_datetime(annotation: Any) -> bool:
    if annotation is datetime:
        return True
    return any(_mentions_datetime(arg) for arg in get_args(annotation))


#: Per label, the properties that hold timestamps (Neo4j keeps them as native datetimes).
DATETIME_FIELDS: dict[str, frozenset[str]] = {
    str(label): frozenset(
        name for name, info in model.model_fields.items() if _mentions_datetime(info.annotation)
    )
    for label, model in NODE_MODELS.items()
}

# --------------------------------------------------------------------------- relationships


class Relationship(BaseModel):
    """A directed, typed relationship; identified by (type, start, end)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)

    type: RelType
    start: NodeId
    end: NodeId
    access: Access | None = Field(
        default=None, description="Only on CAN_ACCESS; defaults to the scope's access."
    )

    @model_validator(mode="after")
    def _access_only_on_can_access(self) -> Relationship:
        if self.access is not None and self.type != RelType.CAN_ACCESS:
            raise ValueError("access is only allowed on CAN_ACCESS relationships")
        return self


def graph_json_schema() -> dict[str, Any]:
    """JSON Schema of every node label and of relationships, generated from the models."""
    defs: dict[str, Any] = {}
    labels: dict[str, Any] = {}
    for label, model in NODE_MODELS.items():
        schema = model.model_json_schema(mode="serialization", ref_template="#/$defs/{model}")
        defs.update(schema.pop("$defs", {}))
        labels[str(label)] = {"$ref": f"#/$defs/{label}"}
        defs[str(label)] = schema
    rel = Relationship.model_json_schema(mode="serialization", ref_template="#/$defs/{model}")
    defs.update(rel.pop("$defs", {}))
    defs["Relationship"] = rel
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://nhigraph.dev/schema/graph.json",
        "title": "nhigraph canonical graph",
        "description": "Node labels and relationships as nhigraph validates them.",
        "type": "object",
        "properties": {
            "labels": {"type": "object", "properties": labels},
            "relationships": {
                "type": "object",
                "properties": {
                    str(t): {
                        "const": [sorted(map(str, s)), sorted(map(str, e))],
                        "description": "allowed (start labels, end labels)",
                    }
                    for t, (s, e) in ENDPOINTS.items()
                },
            },
        },
        "$defs": dict(sorted(defs.items())),
    }
