"""Microsoft Graph / Entra ID: enterprise apps, their secrets, certificates and grants, as records.

Holds the ``msgraph`` source: ``fetch`` reads the v1.0 REST API (organization, service
principals, app registrations, delegated permission grants, and each service
principal's application-permission assignments, following ``@odata.nextLink``), and
``transform`` turns those pages into one ``m365`` tenant batch: an Integration per
service principal, a Credential per client secret, certificate and delegated grant,
and the Scopes each credential grants. The mapping and its rules are described in
docs/sources/msgraph.md. ``transform`` is pure; nothing here writes to a store, and no
secret value is kept: a ``secretText`` (Graph never lists one, but a saved page might
hold one) becomes a keyed fingerprint only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

from nhigraph.errors import ConfigError, InputError
from nhigraph.graph.model import (
    Credential,
    CredentialKind,
    Integration,
    IntegrationKind,
    IntegrationStatus,
    Principal,
    PrincipalKind,
    RelType,
)
from nhigraph.ingest.http import ApiClient, pages_odata
from nhigraph.ingest.paging import Envelope, Paging
from nhigraph.ingest.raw import Raw, RawPage
from nhigraph.ingest.records import TenantRecords
from nhigraph.ingest.redaction import Fingerprinter
from nhigraph.ingest.source import Endpoint, FetchContext, RawInput, Source, SourceResult

NAME = "msgraph"
PROVIDER = "m365"
BASE_URL = "https://graph.microsoft.com/v1.0"

#: Microsoft Graph's appId: its permissions keep their plain names (Mail.Read).
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
#: Other Microsoft APIs whose permissions are qualified by a readable name, not the appId.
RESOURCE_QUALIFIERS = {
    "00000002-0000-0ff1-ce00-000000000000": "Exchange",  # Office 365 Exchange Online
    "00000003-0000-0ff1-ce00-000000000000": "SharePoint",  # Office 365 SharePoint Online
    "00000002-0000-0000-c000-000000000000": "AzureADGraph",  # Windows Azure Active Directory
}
#: Tenants Microsoft publishes its own apps from (appOwnerOrganizationId).
MICROSOFT_TENANTS = frozenset(
    {
        "f8cdef31-a31e-4b4a-93e4-5f571e91255a",  # Microsoft Services
        "72f988bf-86f1-41af-91ab-2d7cd011db47",  # Microsoft
        "cdc5aeea-15c5-4db6-b079-fcadd2505dc2",  # Graph Command Line Tools, Graph Explorer
    }
)
#: The appRoleId of "default access": an assignment that grants no permission.
DEFAULT_ACCESS = "00000000-0000-0000-0000-000000000000"
CONSENT_TYPES = ("AllPrincipals", "Principal")

_ODATA = Paging(Envelope.ODATA)
ENDPOINTS = (
    Endpoint("organization", "GET /v1.0/organization", "Organization.Read.All", paging=_ODATA),
    Endpoint(
        "servicePrincipals", "GET /v1.0/servicePrincipals", "Application.Read.All", paging=_ODATA
    ),
    Endpoint("applications", "GET /v1.0/applications", "Application.Read.All", paging=_ODATA),
    Endpoint(
        "oauth2PermissionGrants",
        "GET /v1.0/oauth2PermissionGrants",
        "Directory.Read.All",
        paging=_ODATA,
    ),
    Endpoint(
        "appRoleAssignments",
        "GET /v1.0/servicePrincipals/{id}/appRoleAssignments",
        "Application.Read.All",
        paging=_ODATA,
        per="service principal",
    ),
)

# --------------------------------------------------------------------------- parsed input


@dataclass(slots=True)
class _ServicePrincipal:
    raw: Raw
    object_id: str
    app_id: str
    name: str
    enabled: bool
    managed_identity: bool
    owner: str | None  # appOwnerOrganizationId, lower case
    publisher: str | None
    publisher_id: str | None
    publisher_verified: bool
    created_at: str | None
    roles: dict[str, str | None]  # appRole id (lower case) -> value
    has_credentials: bool
    #: oauth2PermissionScope id (lower case) -> value; empty for a resource known only by id.
    delegated: dict[str, str | None] = field(default_factory=dict)


@dataclass(slots=True)
class _Application:
    raw: Raw
    app_id: str
    name: str
    created_at: str | None
    disabled: bool
    #: requiredResourceAccess: (resource appId, permission id, "Role" or "Scope"); None
    #: when the page does not carry the property.
    requested: list[tuple[str, str, str]] | None = None


@dataclass(slots=True)
class _Grant:
    raw: Raw
    grant_id: str
    resource: _ServicePrincipal
    principal_id: str | None  # the user, when consentType is Principal
    scopes: list[str]


@dataclass(slots=True)
class _Assignment:
    raw: Raw
    resource: _ServicePrincipal
    app_role_id: str


@dataclass(slots=True)
class _Input:
    principals: dict[str, _ServicePrincipal] = field(default_factory=dict)  # by object id
    applications: dict[str, _Application] = field(default_factory=dict)  # by appId
    grants: dict[str, list[_Grant]] = field(default_factory=dict)  # by client object id
    assignments: dict[str, list[_Assignment]] = field(default_factory=dict)  # by principal id
    warnings: list[tuple[Raw, str]] = field(default_factory=list)  # records kept incomplete


def _values(raw: RawInput, endpoint: str) -> Iterator[Raw]:
    """The objects of every page's OData ``value`` array, in order."""
    for page in raw.of(endpoint):
        yield from Raw.of(page).expect_object("an OData page").objects("value", required=True)


def _disabled_by_microsoft(item: Raw) -> bool:
    status = item.opt_str("disabledByMicrosoftStatus")
    return status is not None and status != "NotDisabled"


def _service_principal(item: Raw) -> _ServicePrincipal:
    app_id = item.str("appId")
    verified = item.obj("verifiedPublisher")
    verified_id = None if verified is None else verified.opt_str("verifiedPublisherId")
    owner = item.opt_str("appOwnerOrganizationId")
    if verified is not None and verified_id is not None:
        # Verified: the publisher's Microsoft Partner Network identity.
        publisher = verified.opt_str("displayName") or item.opt_str("publisherName")
        publisher_id: str | None = verified_id
    else:
        # Unverified: what the app's owner typed, and the tenant it is registered in.
        publisher, publisher_id = item.opt_str("publisherName"), owner
    roles: dict[str, str | None] = {}
    for role in item.objects("appRoles"):
        role.strings("allowedMemberTypes")  # checked for shape; every role is resolved
        roles[role.str("id").lower()] = role.opt_str("value")
    delegated: dict[str, str | None] = {}
    for permission in item.objects("oauth2PermissionScopes"):
        delegated[permission.str("id").lower()] = permission.opt_str("value")
    enabled = item.opt_bool("accountEnabled") is not False and not _disabled_by_microsoft(item)
    return _ServicePrincipal(
        raw=item,
        object_id=item.str("id"),
        app_id=app_id,
        name=item.opt_str("displayName") or app_id,
        enabled=enabled,
        managed_identity=item.opt_str("servicePrincipalType") == "ManagedIdentity",
        owner=None if owner is None else owner.lower(),
        publisher=publisher,
        publisher_id=publisher_id,
        publisher_verified=verified_id is not None,
        created_at=item.time("createdDateTime"),
        roles=roles,
        delegated=delegated,
        has_credentials=bool(item.list("passwordCredentials") or item.list("keyCredentials")),
    )


def _application(item: Raw) -> _Application:
    app_id = item.str("appId")
    requested = None
    if item.has("requiredResourceAccess"):
        requested = []
        for resource in item.objects("requiredResourceAccess"):
            resource_app = resource.str("resourceAppId").lower()
            for access in resource.objects("resourceAccess"):
                kind = access.str("type")
                if kind not in ("Role", "Scope"):
                    raise access.error("type", "expected Role or Scope")
                requested.append((resource_app, access.str("id").lower(), kind))
    return _Application(
        raw=item,
        app_id=app_id,
        name=item.opt_str("displayName") or app_id,
        created_at=item.time("createdDateTime"),
        disabled=_disabled_by_microsoft(item),
        requested=requested,
    )


def _named_principal(
    item: Raw, key: str, principals: dict[str, _ServicePrincipal]
) -> _ServicePrincipal | None:
    """The service principal whose object id is ``item[key]``, if it is on the pages."""
    return principals.get(item.str(key).lower())


#: Said of a record naming a service principal that is not on the pages read.
_OFF_PAGE = "names a service principal that is not on the servicePrincipals pages read"


def _parse(raw: RawInput) -> _Input:
    parsed = _Input()
    for item in _values(raw, "servicePrincipals"):
        sp = _service_principal(item)
        parsed.principals.setdefault(sp.object_id.lower(), sp)
    for item in _values(raw, "applications"):
        app = _application(item)
        parsed.applications.setdefault(app.app_id.lower(), app)
    for item in _values(raw, "oauth2PermissionGrants"):
        consent = item.str("consentType")
        if consent not in CONSENT_TYPES:
            raise item.error("consentType", "expected AllPrincipals or Principal")
        principal_id = item.str("principalId") if consent == "Principal" else None
        scope = item.opt_str("scope") or ""
        grant_id = item.str("id")
        client = _named_principal(item, "clientId", parsed.principals)
        if client is None:
            parsed.warnings.append((item, f"clientId {_OFF_PAGE}; the grant is left out"))
            continue
        parsed.grants.setdefault(client.object_id.lower(), []).append(
            _Grant(
                raw=item,
                grant_id=grant_id,
                resource=_resource(item, "resourceId", parsed),
                principal_id=principal_id,
                scopes=scope.split(),  # Graph pads the list with spaces
            )
        )
    for item in _values(raw, "appRoleAssignments"):
        principal_type = item.opt_str("principalType")
        role_id = item.str("appRoleId").lower()
        if principal_type not in (None, "ServicePrincipal") or role_id == DEFAULT_ACCESS:
            continue  # users and groups assigned to an app; "default access" grants nothing
        holder = _named_principal(item, "principalId", parsed.principals)
        if holder is None:
            why = f"principalId {_OFF_PAGE}; the assignment is left out"
            parsed.warnings.append((item, why))
            continue
        parsed.assignments.setdefault(holder.object_id.lower(), []).append(
            _Assignment(
                raw=item,
                resource=_resource(item, "resourceId", parsed),
                app_role_id=role_id,
            )
        )
    return parsed


def _resource(item: Raw, key: str, parsed: _Input) -> _ServicePrincipal:
    """The API a grant or an assignment is for. One that is not on the pages read stands
    as a stub named by its object id: its permissions cannot be resolved, so they are
    kept as unclassified scopes (write, reaching the tenant) and a warning says so."""
    found = _named_principal(item, key, parsed.principals)
    if found is not None:
        return found
    object_id = item.str(key).lower()
    parsed.warnings.append(
        (item, f"{key} {_OFF_PAGE}; its permissions are kept unresolved, under {object_id}")
    )
    return _ServicePrincipal(
        raw=item,
        object_id=object_id,
        app_id=object_id,
        name=object_id,
        enabled=True,
        managed_identity=False,
        owner=None,
        publisher=None,
        publisher_id=None,
        publisher_verified=False,
        created_at=None,
        roles={},
        has_credentials=False,
    )


# --------------------------------------------------------------------------- transform


def _tenant(raw: RawInput) -> tuple[str, str, Raw | None]:
    """(tenant key, display name, record) from the organization pages, else --tenant."""
    found: tuple[str, str, Raw] | None = None
    for item in _values(raw, "organization"):
        org_id = item.str("id")
        if found is not None and found[0].lower() != org_id.lower():
            raise item.error("id", "a second organization; save one tenant per folder")
        if found is None:
            found = (org_id, item.opt_str("displayName") or org_id, item)
    if found is not None:
        return found
    if raw.tenant:
        return raw.tenant, raw.tenant, None
    files = [page.file for pages in raw.pages.values() for page in pages]
    raise InputError(
        files[0] if files else f"{NAME} input",
        "/",
        None,
        "no organization page says which tenant this is: save GET /v1.0/organization as "
        "organization.json, or pass --tenant",
    )


def _scope_name(resource: _ServicePrincipal, value: str) -> str:
    """Microsoft Graph permissions keep their names; other APIs' are qualified."""
    return _qualified(resource.app_id, value)


def _qualified(resource_app_id: str, value: str) -> str:
    if resource_app_id.lower() == GRAPH_APP_ID:
        return value
    return f"{RESOURCE_QUALIFIERS.get(resource_app_id.lower(), resource_app_id)}/{value}"


def _requested_scopes(app: _Application, parsed: _Input) -> list[str] | None:
    """The scope names of the permissions ``app`` asks for (requiredResourceAccess): each
    id looked up in its resource's appRoles (Role) or oauth2PermissionScopes (Scope); a
    resource or id not on the pages keeps the id, as an unresolved assignment does."""
    if app.requested is None:
        return None
    by_app_id = {sp.app_id.lower(): sp for sp in parsed.principals.values()}
    names = set()
    for resource_app, permission, kind in app.requested:
        resource = by_app_id.get(resource_app)
        table = (
            {} if resource is None else (resource.roles if kind == "Role" else resource.delegated)
        )
        names.add(_qualified(resource_app, table.get(permission) or permission))
    return sorted(names)


def _key_material(records: TenantRecords, owner: Raw, integration: str) -> list[str]:
    """Credentials of the secrets and certificates on ``owner``; returns those that sign in
    as the app (client secrets, and certificates not used only to sign SAML tokens)."""
    usable = []
    for item in owner.objects("passwordCredentials"):
        key_id = item.str("keyId")
        secret = item.opt_str("secretText")  # only in an addPassword answer; never kept
        created_at = item.time("startDateTime")
        credential = records.add(
            Credential,
            item,
            id=records.id("secret", key_id),
            kind=CredentialKind.CLIENT_SECRET,
            identifier=key_id,
            fingerprint=None if secret is None else records.fingerprint(secret),
            created_at=created_at,
            # "Never" is a far-future endDateTime (2299-12-31, 9999-12-31, or the portal's
            # 99 years): no expiry, as the findings expect it.
            expires_at=item.expiry("endDateTime", created_at),
        )
        records.rel(RelType.HAS_CREDENTIAL, integration, credential)
        usable.append(credential)
    for item in owner.objects("keyCredentials"):
        key_id = item.str("keyId")
        created_at = item.time("startDateTime")
        credential = records.add(
            Credential,
            item,
            id=records.id("cert", key_id),
            kind=CredentialKind.CERTIFICATE,
            identifier=key_id,
            created_at=created_at,
            expires_at=item.expiry("endDateTime", created_at),
        )
        records.rel(RelType.HAS_CREDENTIAL, integration, credential)
        if item.opt_str("usage") != "Sign":
            usable.append(credential)
    return usable


def _granted_scopes(sp: _ServicePrincipal, parsed: _Input) -> set[str]:
    """The scope names the service principal's assignments and delegated grants grant."""
    granted = set()
    for assignment in parsed.assignments.get(sp.object_id.lower(), []):
        resource = assignment.resource
        value = resource.roles.get(assignment.app_role_id) or assignment.app_role_id
        granted.add(_scope_name(resource, value))
    for grant in parsed.grants.get(sp.object_id.lower(), []):
        granted.update(_scope_name(grant.resource, value) for value in grant.scopes)
    return granted


def _holds_anything(sp: _ServicePrincipal, parsed: _Input) -> bool:
    key = sp.object_id.lower()
    return sp.has_credentials or key in parsed.grants or key in parsed.assignments


def _service_principal_records(
    records: TenantRecords, sp: _ServicePrincipal, parsed: _Input, tenant_key: str
) -> None:
    app = parsed.applications.get(sp.app_id.lower())
    # In-house: registered in this tenant, or a managed identity of its Azure resources.
    # The organisation is not its own vendor, so these carry no publisher hints.
    in_house = sp.managed_identity or app is not None or sp.owner == tenant_key.lower()
    requested = None if app is None else _requested_scopes(app, parsed)
    granted = _granted_scopes(sp, parsed)
    integration = records.add(
        Integration,
        sp.raw,
        id=records.id("sp", sp.app_id),
        name=sp.name,
        kind=IntegrationKind.SERVICE_ACCOUNT if sp.managed_identity else IntegrationKind.OAUTH_APP,
        status=IntegrationStatus.ENABLED if sp.enabled else IntegrationStatus.DISABLED,
        created_at=sp.created_at or (None if app is None else app.created_at),
        provider=PROVIDER,
        client_id=sp.app_id,
        publisher=None if in_house else sp.publisher,
        publisher_id=None if in_house else sp.publisher_id,
        publisher_verified=None if in_house else sp.publisher_verified,
        # What the registration asks for against what was granted (None when the app's
        # registration is not in this tenant: a multi-tenant app's manifest is its
        # publisher's).
        requested_scopes=requested or None,
        requested_not_granted=None
        if requested is None
        else sorted(set(requested) - granted) or None,
        granted_not_requested=None
        if requested is None
        else sorted(granted - set(requested)) or None,
    )
    usable = _key_material(records, sp.raw, integration)
    if app is not None:
        usable += _key_material(records, app.raw, integration)

    # Application permissions: exercised with the app's own secrets and certificates.
    scopes = []
    for assignment in parsed.assignments.get(sp.object_id.lower(), []):
        resource = assignment.resource
        value = resource.roles.get(assignment.app_role_id) or assignment.app_role_id
        scopes.append(records.scope(_scope_name(resource, value), assignment.raw))
    if scopes and not usable and (sp.managed_identity or not in_house):
        # A multi-tenant app keeps its secrets in its publisher's tenant (a managed
        # identity's certificate is Azure's): one credential stands for them, so the
        # app's application permissions stay in its blast radius.
        kind = CredentialKind.CERTIFICATE if sp.managed_identity else CredentialKind.CLIENT_SECRET
        held = records.add(
            Credential,
            sp.raw,
            id=records.id("held", sp.app_id),
            kind=kind,
            identifier=sp.app_id,
        )
        records.rel(RelType.HAS_CREDENTIAL, integration, held)
        usable.append(held)
    for credential in usable:
        for scope in scopes:
            records.rel(RelType.GRANTS, credential, scope)

    # Delegated permissions: one credential per grant, acting as its user when it has one.
    for grant in parsed.grants.get(sp.object_id.lower(), []):
        credential = records.add(
            Credential,
            grant.raw,
            id=records.id("grant", grant.grant_id),
            kind=CredentialKind.OAUTH_GRANT,
            identifier=grant.grant_id,
        )
        records.rel(RelType.HAS_CREDENTIAL, integration, credential)
        for value in grant.scopes:
            scope = records.scope(_scope_name(grant.resource, value), grant.raw)
            records.rel(RelType.GRANTS, credential, scope)
        if grant.principal_id is not None:
            principal = records.add(
                Principal,
                grant.raw,
                id=records.id("user", grant.principal_id),
                name=grant.principal_id,
                kind=PrincipalKind.USER,
            )
            records.rel(RelType.ACTS_AS, credential, principal)


def _application_records(records: TenantRecords, app: _Application, parsed: _Input) -> None:
    """An app registered here without a service principal here: its secrets still exist
    (and work in every other tenant that consented to it). In-house: no publisher hints."""
    requested = _requested_scopes(app, parsed)
    integration = records.add(
        Integration,
        app.raw,
        id=records.id("sp", app.app_id),
        name=app.name,
        kind=IntegrationKind.OAUTH_APP,
        status=IntegrationStatus.DISABLED if app.disabled else IntegrationStatus.ENABLED,
        created_at=app.created_at,
        provider=PROVIDER,
        client_id=app.app_id,
        requested_scopes=requested or None,
        # Nothing is granted here without a service principal here.
        requested_not_granted=requested or None,
    )
    _key_material(records, app.raw, integration)


def transform(raw: RawInput, fingerprinter: Fingerprinter) -> SourceResult:
    """One ``m365`` tenant batch from the pages of ``raw`` (pure)."""
    tenant_key, tenant_name, where = _tenant(raw)
    parsed = _parse(raw)
    records = TenantRecords(NAME, PROVIDER, tenant_key, tenant_name, fingerprinter, where)
    with_principal = set()
    for sp in parsed.principals.values():
        with_principal.add(sp.app_id.lower())
        microsoft = sp.owner in MICROSOFT_TENANTS and not sp.managed_identity
        if microsoft and not _holds_anything(sp, parsed):
            continue  # Microsoft's own API or app, holding nothing in this tenant
        with records.within(sp.raw):
            _service_principal_records(records, sp, parsed, tenant_key)
    for key, app in parsed.applications.items():
        if key not in with_principal:
            _application_records(records, app, parsed)
    for where, message in parsed.warnings:
        records.warn(where, message)
    return SourceResult([records.batch()], sorted(records.unclassified), records.warnings)


# --------------------------------------------------------------------------- fetch


def _object_ids(pages: list[RawPage]) -> list[str]:
    ids = []
    for page in pages:
        for item in Raw.of(page).expect_object("an OData page").objects("value", required=True):
            ids.append(item.str("id"))
    return ids


def fetch(ctx: FetchContext) -> RawInput:
    """Every endpoint's pages, live. Needs NHIGRAPH_MSGRAPH_TOKEN: an app-only token with
    Organization.Read.All, Application.Read.All and Directory.Read.All."""
    token = ctx.settings.msgraph_token
    if token is None or not token.get_secret_value():
        raise ConfigError(
            "NHIGRAPH_MSGRAPH_TOKEN is not set: live collection needs a Microsoft Graph token "
            "with Organization.Read.All, Application.Read.All and Directory.Read.All"
        )
    headers = {"Authorization": f"Bearer {token.get_secret_value()}", "Accept": "application/json"}
    pages: dict[str, list[RawPage]] = {}
    with ApiClient(
        NAME,
        BASE_URL,
        headers=headers,
        transport=ctx.transport,
        max_retries=ctx.settings.http_max_retries,
        sleep=ctx.sleep or time.sleep,
    ) as client:
        collections = (
            ("organization", f"{BASE_URL}/organization"),
            ("servicePrincipals", f"{BASE_URL}/servicePrincipals?$top=999"),
            ("applications", f"{BASE_URL}/applications?$top=999"),
            ("oauth2PermissionGrants", f"{BASE_URL}/oauth2PermissionGrants"),
        )
        for endpoint, url in collections:
            permission = SOURCE.endpoint(endpoint).permission
            pages[endpoint] = list(pages_odata(client, endpoint, url, permission))
        permission = SOURCE.endpoint("appRoleAssignments").permission
        assignments: list[RawPage] = []
        for sp_id in _object_ids(pages["servicePrincipals"]):
            url = f"{BASE_URL}/servicePrincipals/{quote(sp_id, safe='')}/appRoleAssignments"
            assignments += pages_odata(
                client,
                "appRoleAssignments",
                url,
                permission,
                page_params={"servicePrincipal": sp_id},
            )
        pages["appRoleAssignments"] = assignments
    return RawInput(NAME, ctx.tenant, pages)


SOURCE = Source(
    name=NAME,
    provider=PROVIDER,
    title="Microsoft Graph / Entra ID",
    endpoints=ENDPOINTS,
    transform=transform,
    fetch=fetch,
    tenant_help=(
        "optional: the tenant is read from GET /organization (organization.json); "
        "--tenant names it only when the saved pages lack that file"
    ),
)
