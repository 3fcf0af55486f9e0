"""Salesforce: connected apps, their OAuth tokens and the users those tokens act as, via SOQL.

``fetch`` runs documented SOQL queries over the REST API (ConnectedApplication,
AppMenuItem, OauthToken, User, Organization, and the Tooling API's Publisher) and
pages through ``nextRecordsUrl``; ``transform`` turns the saved or fetched query
results of one org into canonical records: each connected app an ``Integration``,
each OAuth token an ``oauth_refresh_token`` ``Credential`` that ``ACTS_AS`` the user
who authorised it. Salesforce does not expose a token's OAuth scopes through SOQL
(they live in the connected app's metadata), so every token grants one
unclassified scope that says so instead of guessing. It never requests, reads or
keeps a token value (``AccessToken``, ``DeleteToken``, ``RequestToken``) and never
writes to a store.
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nhigraph.errors import ConfigError, InputError
from nhigraph.graph.model import (
    Credential,
    CredentialKind,
    CredentialStatus,
    Integration,
    IntegrationKind,
    Principal,
    PrincipalKind,
    RelType,
    format_utc,
)
from nhigraph.ingest.http import ApiClient, SourceUnavailable, pages_soql
from nhigraph.ingest.paging import Envelope, Paging
from nhigraph.ingest.raw import Raw, RawPage, expiry
from nhigraph.ingest.records import TenantRecords, slug
from nhigraph.ingest.redaction import Fingerprinter
from nhigraph.ingest.source import Endpoint, FetchContext, RawInput, Source, SourceResult

PROVIDER = "salesforce"
API_VERSION = "v61.0"
QUERY_PATH = f"/services/data/{API_VERSION}/query"
TOOLING_QUERY_PATH = f"/services/data/{API_VERSION}/tooling/query"

#: The scope every token grants: SOQL does not say which OAuth scopes a token holds.
UNKNOWN_SCOPES = "connected_app_scopes_unknown"
#: OauthToken answers at most 2,500 rows per query (500 per page), whatever totalSize says.
TOKEN_QUERY_CAP = 2500
#: User ids per ``WHERE Id IN (...)`` query (keeps the URL well under the limits).
USERS_PER_QUERY = 100
#: Profiles that restrict a user to the API: integration (service) users.
API_ONLY_PROFILES = frozenset(
    {"Minimum Access - API Only Integrations", "Salesforce API Only System Integrations"}
)
ADMIN_PROFILE = "System Administrator"

SOQL = {
    "organization": "SELECT Id, Name FROM Organization",
    "connected_apps": (
        "SELECT Id, Name, CreatedDate, OptionsAllowAdminApprovedUsersOnly, "
        "OptionsRefreshTokenValidityMetric, RefreshTokenValidityPeriod FROM ConnectedApplication"
    ),
    "app_menu_items": "SELECT Id, ApplicationId, Label, NamespacePrefix FROM AppMenuItem",
    "publishers": "SELECT Name, NamespacePrefix FROM Publisher",
    "oauth_tokens": (
        "SELECT Id, AppName, AppMenuItemId, CreatedDate, LastUsedDate, UserId FROM OauthToken"
    ),
    "users": (
        "SELECT Id, Username, Name, IsActive, Profile.Name, Profile.PermissionsModifyAllData "
        "FROM User"
    ),
}
#: The sObject type each endpoint's records carry (a page saved under the wrong name is caught).
SOBJECT = {
    "organization": "Organization",
    "connected_apps": "ConnectedApplication",
    "app_menu_items": "AppMenuItem",
    "publishers": "Publisher",
    "oauth_tokens": "OauthToken",
    "users": "User",
}

_PERMISSION = {
    "organization": "the API Enabled permission",
    "connected_apps": "API Enabled and View Setup and Configuration (ConnectedApplication)",
    "app_menu_items": "API Enabled and View Setup and Configuration (AppMenuItem)",
    "publishers": "API Enabled and View Setup and Configuration (Tooling API: Publisher)",
    "oauth_tokens": (
        "API Enabled and Customize Application (OauthToken: without it only your own tokens)"
    ),
    "users": "API Enabled and View Setup and Configuration (User, Profile)",
}


def _endpoint(name: str, tooling: bool = False) -> Endpoint:
    path = TOOLING_QUERY_PATH if tooling else QUERY_PATH
    paging = Paging(Envelope.SOQL, items="records", total="totalSize")
    return Endpoint(name, f"GET {path}?q={SOQL[name]}", _PERMISSION[name], paging=paging)


# --------------------------------------------------------------------------- ids

_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
_ORG_ID = re.compile(r"00D[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?")
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def id18(value: str) -> str:
    """The 18-character form of a Salesforce id (15-character ids differ only in case).

    The three added characters encode which letters of each 5-character chunk are
    upper case, so both forms of one id give the same node id.
    """
    if len(value) != 15:
        return value
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, ch in enumerate(value[start : start + 5]) if "A" <= ch <= "Z")
        suffix += _SUFFIX[bits]
    return value + suffix


def _sf_id(row: Raw, key: str, required: bool = False) -> str | None:
    value = row.str(key) if required else row.opt_str(key)
    if value is None:
        return None
    if not _ID.fullmatch(value):
        raise row.error(key, "expected a Salesforce id (15 or 18 letters and digits)")
    return id18(value)


# --------------------------------------------------------------------------- pages


def _rows(raw: RawInput, endpoint: str) -> Iterator[Raw]:
    """The records of every page of ``endpoint``, checked to be query results of its sObject."""
    expected = SOBJECT[endpoint]
    for page in raw.of(endpoint):
        root = Raw.of(page)
        _refuse_error_response(root)
        root.expect_object("a SOQL query result (an object with 'records')")
        for row in root.objects("records", required=True):
            attributes = row.obj("attributes")
            kind = attributes.opt_str("type") if attributes is not None else None
            if kind is not None and kind != expected:
                raise row.error(
                    "attributes",
                    f"a record of another object in the {endpoint} pages; expected {expected}",
                )
            yield row


def _refuse_error_response(root: Raw) -> None:
    """Salesforce answers errors as ``[{"message", "errorCode"}]``: say so, not 'not an object'."""
    value = root.value
    if isinstance(value, list) and value and isinstance(value[0], dict):
        code = Raw(root.file, "/0", value[0]).opt_str("errorCode")
        if code is not None:
            raise root.error(
                None, f"a Salesforce error response ({code}), not query results; fetch again"
            )


# --------------------------------------------------------------------------- transform


@dataclass(slots=True)
class _App:
    """One connected app as the pages describe it, before it becomes an Integration."""

    node_id: str
    key: str  # its part of token ids
    where: Raw
    fields: dict[str, Any]
    validity_months: int | None = None  # RefreshTokenValidityPeriod (unit not in SOQL)
    by_inactivity: bool = False  # OptionsRefreshTokenValidityMetric
    last_used: str | None = None  # the latest LastUsedDate of its tokens


@dataclass(frozen=True, slots=True)
class _MenuItem:
    app_id: str | None
    namespace: str | None
    label: str | None


def transform(raw: RawInput, fingerprinter: Fingerprinter) -> SourceResult:
    """Canonical records of one org from its query results (pure)."""
    org_id, org_name, org_where = _org(raw)
    records = TenantRecords(SOURCE.name, PROVIDER, org_id, org_name, fingerprinter, org_where)

    publishers: dict[str, str] = {}
    for row in _rows(raw, "publishers"):
        namespace, name = row.opt_str("NamespacePrefix"), row.opt_str("Name")
        if namespace is not None and name is not None:
            publishers[namespace] = name

    menu: dict[str, _MenuItem] = {}
    namespace_of: dict[str, str] = {}
    for row in _rows(raw, "app_menu_items"):
        item = _MenuItem(
            _sf_id(row, "ApplicationId"), row.opt_str("NamespacePrefix"), row.opt_str("Label")
        )
        menu[str(_sf_id(row, "Id", required=True))] = item
        if item.app_id is not None and item.namespace is not None:
            namespace_of[item.app_id] = item.namespace

    def publisher_fields(namespace: str | None) -> dict[str, Any]:
        if namespace is None:
            return {}
        return {"publisher": publishers.get(namespace), "publisher_id": namespace}

    def new_app(node_id: str, key: str, where: Raw, name: str, app_id: str | None) -> _App:
        namespace = namespace_of.get(app_id) if app_id is not None else None
        fields = {
            "name": name,
            "kind": IntegrationKind.OAUTH_APP,
            "provider": PROVIDER,
            "client_id": app_id,
            **publisher_fields(namespace),
        }
        return _App(node_id, key, where, fields)

    apps: dict[str, _App] = {}  # by connected app id, or "name:<AppName>" for unlisted apps
    by_name: dict[str, _App] = {}
    for row in _rows(raw, "connected_apps"):
        app_id = str(_sf_id(row, "Id", required=True))
        app = new_app(records.id("connected-app", app_id), app_id, row, row.str("Name"), app_id)
        app.fields["created_at"] = row.time("CreatedDate")
        # Setup's "Permitted Users": "Admin approved users are pre-authorized" (true) or
        # "All users may self-authorize" (false).
        app.fields["admin_approved_users_only"] = row.opt_bool("OptionsAllowAdminApprovedUsersOnly")
        app.validity_months = row.opt_int("RefreshTokenValidityPeriod")
        app.by_inactivity = row.bool("OptionsRefreshTokenValidityMetric")
        apps[app_id] = app
        by_name.setdefault(str(app.fields["name"]), app)

    def app_of(row: Raw) -> _App:
        """The connected app a token belongs to: by its menu item, else by its AppName."""
        app_name = row.opt_str("AppName")
        item = menu.get(_sf_id(row, "AppMenuItemId") or "")
        if item is not None and item.app_id is not None:
            if item.app_id not in apps:
                name = app_name or item.label or item.app_id
                apps[item.app_id] = new_app(
                    records.id("connected-app", item.app_id), item.app_id, row, name, item.app_id
                )
            return apps[item.app_id]
        if app_name is None:
            raise row.error("AppName", "missing; the token names no connected app")
        if app_name in by_name:
            return by_name[app_name]
        key = f"name:{app_name}"
        if key not in apps:
            apps[key] = new_app(
                records.id("oauth-app", app_name), slug(app_name), row, app_name, None
            )
        return apps[key]

    users = {str(_sf_id(row, "Id", required=True)): row for row in _rows(raw, "users")}

    for row in _rows(raw, "oauth_tokens"):
        user_id = str(_sf_id(row, "UserId", required=True))
        app = app_of(row)
        token_id = _sf_id(row, "Id")  # documented as always null; used when present
        created = row.time("CreatedDate")
        last_used = row.time("LastUsedDate")
        if token_id is not None:
            credential_id = records.id("oauth-token", token_id)
        else:
            parts = [app.key, user_id] + ([_compact(created)] if created else [])
            credential_id = records.id("oauth-token", *parts)
        records.add(
            Credential,
            row,
            id=credential_id,
            kind=CredentialKind.OAUTH_REFRESH_TOKEN,
            identifier=token_id,
            created_at=created,
            last_used_at=last_used,
            expires_at=expiry(_expiry(app, created, last_used), created),
            status=CredentialStatus.ACTIVE,  # a revoked token is no longer listed
        )
        if last_used is not None and (app.last_used is None or last_used > app.last_used):
            app.last_used = last_used
        records.rel(RelType.HAS_CREDENTIAL, app.node_id, credential_id)
        records.rel(RelType.GRANTS, credential_id, records.scope(UNKNOWN_SCOPES, row))
        principal_id = _principal(records, user_id, users.get(user_id), row)
        records.rel(RelType.ACTS_AS, credential_id, principal_id)

    for app in apps.values():
        records.add(
            Integration, app.where, id=app.node_id, last_used_at=app.last_used, **app.fields
        )

    return SourceResult([records.batch()], sorted(records.unclassified))


def _org(raw: RawInput) -> tuple[str, str, Raw | None]:
    """(org id, org name, where) from the organization query, else from --tenant."""
    given = raw.tenant.strip() if raw.tenant else None
    if given is not None and not _ORG_ID.fullmatch(given):
        raise InputError(
            "--tenant",
            "/",
            None,
            "expected a Salesforce org id (00D…, 15 or 18 letters and digits)",
        )
    for row in _rows(raw, "organization"):
        org_id = str(_sf_id(row, "Id", required=True))
        if not org_id.startswith("00D"):
            raise row.error("Id", "expected an org id (starting 00D)")
        if given is not None and id18(given) != org_id:
            raise row.error("Id", f"this org is not the one --tenant names ({given})")
        return org_id, row.opt_str("Name") or org_id, row
    if given is not None:
        return id18(given), id18(given), None
    first = next((p.file for pages in raw.pages.values() for p in pages), "(no saved pages)")
    raise InputError(
        first,
        "/",
        None,
        "the pages do not name the Salesforce org: pass --tenant <org id> (00D…), "
        "or save the organization query with them",
    )


def _principal(records: TenantRecords, user_id: str, user: Raw | None, where: Raw) -> str:
    principal_id = records.id("user", user_id)
    if user is None:  # not in the users pages: only its id is known
        return records.add(Principal, where, id=principal_id, name=user_id)
    profile = user.obj("Profile")
    profile_name = profile.opt_str("Name") if profile is not None else None
    modify_all = profile.opt_bool("PermissionsModifyAllData") if profile is not None else None
    service = profile_name in API_ONLY_PROFILES
    return records.add(
        Principal,
        user,
        id=principal_id,
        name=user.opt_str("Username") or user.opt_str("Name") or user_id,
        kind=PrincipalKind.SERVICE_ACCOUNT if service else PrincipalKind.USER,
        enabled=user.bool("IsActive", default=True),
        is_admin=profile_name == ADMIN_PROFILE or modify_all is True,
    )


def _compact(moment: str) -> str:
    """'2024-01-15T10:20:30Z' as '20240115T102030Z' (an id part without ':')."""
    return moment.replace("-", "").replace(":", "")


def _expiry(app: _App, created: str | None, last_used: str | None) -> str | None:
    """The latest moment the app's refresh-token policy lets this token live, if it has one.

    SOQL gives the period but not its unit (hours, days or months, as set in Setup), so
    the period is counted in months, the largest unit: a token shown expired is expired
    whatever the unit, and none is shown expired early. With 'expire if not used for',
    the period runs from the last use.
    """
    months = app.validity_months
    if months is None or months <= 0:
        return None  # "refresh token is valid until revoked"
    start = (last_used or created) if app.by_inactivity else created
    if start is None:
        return None
    try:
        moment = datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:  # a year before 1000: no sensible expiry to compute
        return None
    month = moment.month - 1 + months
    year = moment.year + month // 12
    if year > 9999:
        return None
    month = month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return format_utc(moment.replace(year=year, month=month, day=day))


# --------------------------------------------------------------------------- fetch


def fetch(ctx: FetchContext) -> RawInput:
    """Every query the transform reads, with all their pages, from the org's REST API."""
    settings = ctx.settings
    if settings.salesforce_token is None:
        raise ConfigError(
            "salesforce: set NHIGRAPH_SALESFORCE_TOKEN to an OAuth access token of a user "
            "with API Enabled, View Setup and Configuration and Customize Application"
        )
    instance = (settings.salesforce_instance or "").strip().rstrip("/")
    if not instance.startswith("https://"):
        raise ConfigError(
            "salesforce: set NHIGRAPH_SALESFORCE_INSTANCE to the org's https URL "
            "(e.g. https://example.my.salesforce.com)"
        )
    headers = {
        "Authorization": f"Bearer {settings.salesforce_token.get_secret_value()}",
        "Accept": "application/json",
    }
    with ApiClient(
        SOURCE.name,
        instance,
        headers=headers,
        transport=ctx.transport,
        max_retries=settings.http_max_retries,
        sleep=ctx.sleep or time.sleep,
    ) as client:
        pages: dict[str, list[RawPage]] = {}
        for name in ("organization", "connected_apps", "app_menu_items"):
            pages[name] = _query(client, name, SOQL[name])
        pages["publishers"] = _query(client, "publishers", SOQL["publishers"], tooling=True)
        pages["oauth_tokens"] = _token_pages(client)
        pages["users"] = _user_pages(client, _user_ids(pages["oauth_tokens"]))
    return RawInput(SOURCE.name, ctx.tenant, pages)


def _query(client: ApiClient, endpoint: str, soql: str, tooling: bool = False) -> list[RawPage]:
    path = TOOLING_QUERY_PATH if tooling else QUERY_PATH
    return list(pages_soql(client, endpoint, path, _PERMISSION[endpoint], params={"q": soql}))


def _records(page: RawPage) -> list[Mapping[str, Any]]:
    body = page.body
    rows = body.get("records") if isinstance(body, dict) else None
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def _token_pages(client: ApiClient) -> list[RawPage]:
    """All OauthToken rows despite the 2,500-row cap: windows of users, in UserId order.

    A window that comes back short (fewer rows than totalSize, or the cap reached) keeps
    only the users it holds completely and the next window starts at the user it cut.
    A single user with more tokens than one query answers keeps what Salesforce gave.
    """
    out: list[RawPage] = []
    bound = ""
    for _ in range(100_000):
        soql = f"{SOQL['oauth_tokens']}{bound} ORDER BY UserId"
        window = _query(client, "oauth_tokens", soql)
        rows = [r for p in window for r in _records(p)]
        total = window[0].body.get("totalSize") if isinstance(window[0].body, dict) else None
        short = isinstance(total, int) and len(rows) < total
        if not rows or not (short or len(rows) >= TOKEN_QUERY_CAP):
            return out + window
        first, last = _user_of(rows[0]), _user_of(rows[-1])
        if first == last:  # one user fills the whole window
            out += window
            bound = f" WHERE UserId > '{last}'"
            continue
        out += [_without_user(p, last) for p in window]
        bound = f" WHERE UserId >= '{last}'"
    raise SourceUnavailable("salesforce: OauthToken kept returning more rows; stopped")


def _user_of(row: Mapping[str, Any]) -> str:
    value = row.get("UserId")
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise SourceUnavailable("salesforce: OauthToken answered a row without a valid UserId")
    return value


def _without_user(page: RawPage, user: str) -> RawPage:
    if not isinstance(page.body, dict):
        return page
    rows = [r for r in _records(page) if r.get("UserId") != user]
    return RawPage(page.endpoint, page.file, {**page.body, "records": rows}, page.params)


def _user_ids(pages: list[RawPage]) -> list[str]:
    ids = {r.get("UserId") for p in pages for r in _records(p)}
    return sorted(i for i in ids if isinstance(i, str) and _ID.fullmatch(i))


def _user_pages(client: ApiClient, user_ids: list[str]) -> list[RawPage]:
    pages: list[RawPage] = []
    for start in range(0, len(user_ids), USERS_PER_QUERY):
        chunk = ", ".join(f"'{i}'" for i in user_ids[start : start + USERS_PER_QUERY])
        pages += _query(client, "users", f"{SOQL['users']} WHERE Id IN ({chunk})")
    return pages


SOURCE = Source(
    name="salesforce",
    provider=PROVIDER,
    title="Salesforce connected apps and OAuth tokens",
    endpoints=(
        _endpoint("organization"),
        _endpoint("connected_apps"),
        _endpoint("app_menu_items"),
        _endpoint("publishers", tooling=True),
        _endpoint("oauth_tokens"),
        _endpoint("users"),
    ),
    transform=transform,
    fetch=fetch,
    tenant_help=(
        "the org id (00D…, 15 or 18 characters); needed only when the saved pages lack the "
        "organization query"
    ),
)
