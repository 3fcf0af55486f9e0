"""Okta: OAuth apps, the Okta API scopes granted to them, and SSWS API tokens of one org.

``fetch`` reads the Okta Management API (``GET /api/v1/apps``, ``GET
/api/v1/apps/{appId}/grants`` for each OAuth app, ``GET /api/v1/api-tokens``) with an
SSWS token, following ``Link: rel="next"`` pages. ``transform`` is pure: each OAuth app
becomes an Integration with one client credential that GRANTS the app's ACTIVE Okta
API scopes; a scope a user consented to becomes a delegated credential ACTS_AS that
user; each API token becomes an Integration whose key acts as the admin who created
it, with every permission of that admin (catalogued as ``okta.api_token``, tenant
admin). It never writes to a store, never keeps a client secret (only its keyed
hash), and never sends the SSWS token anywhere but the ``Authorization`` header.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from nhigraph.errors import ConfigError, InputError
from nhigraph.graph.model import (
    Credential,
    CredentialKind,
    CredentialStatus,
    Integration,
    IntegrationKind,
    IntegrationStatus,
    Principal,
    PrincipalKind,
    RelType,
)
from nhigraph.ingest.http import ApiClient, pages_link
from nhigraph.ingest.paging import Envelope, Paging
from nhigraph.ingest.raw import Raw, RawPage
from nhigraph.ingest.records import TenantRecords
from nhigraph.ingest.redaction import Fingerprinter
from nhigraph.ingest.source import Endpoint, FetchContext, RawInput, Source, SourceResult

NAME = "okta"
PROVIDER = "okta"
#: The catalogued scope standing for "everything the token's admin may do".
API_TOKEN_SCOPE = "okta.api_token"
PAGE_SIZE = 200  # the largest page /api/v1/apps and /api/v1/api-tokens serve

_LINK = Paging(Envelope.LINK)
ENDPOINTS = (
    Endpoint("apps", "GET /api/v1/apps", "okta.apps.read", paging=_LINK),
    Endpoint(
        "grants", "GET /api/v1/apps/{appId}/grants", "okta.apps.read", paging=_LINK, per="app"
    ),
    Endpoint("api_tokens", "GET /api/v1/api-tokens", "okta.apiTokens.read", paging=_LINK),
)

_APP_STATUS = {"ACTIVE": IntegrationStatus.ENABLED, "INACTIVE": IntegrationStatus.DISABLED}
_GRANT_STATUS = ("ACTIVE", "REVOKED")
#: token_endpoint_auth_method -> the credential a client authenticates with.
_AUTH_METHOD = {
    "client_secret_basic": CredentialKind.CLIENT_SECRET,
    "client_secret_post": CredentialKind.CLIENT_SECRET,
    "client_secret_jwt": CredentialKind.CLIENT_SECRET,
    "private_key_jwt": CredentialKind.CERTIFICATE,
    # A public client (SPA, native app with PKCE) has no secret: its tokens come from
    # users signing in. Kept as a grant so its Okta API scopes still count.
    "none": CredentialKind.OAUTH_GRANT,
}
_DEFAULT_AUTH_METHOD = "client_secret_basic"  # what Okta assumes when the field is absent


# --------------------------------------------------------------------------- transform


@dataclass(slots=True)
class _App:
    id: str
    client_id: str
    credential: str  # the id of the client credential node


@dataclass(slots=True)
class _Consent:
    """The grants one user consented to for one app: a delegated credential."""

    app: _App
    user: str
    where: Raw
    active: list[tuple[str, Raw]] = field(default_factory=list)  # (scope, grant)
    created: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)  # lastUpdated of revoked grants


@dataclass(slots=True)
class _User:
    where: Raw
    is_admin: bool = False


def transform(raw: RawInput, fingerprinter: Fingerprinter) -> SourceResult:
    """The org's OAuth apps, their granted scopes and API tokens, as one batch."""
    tenant, where = _tenant(raw)
    records = TenantRecords(NAME, PROVIDER, tenant, tenant, fingerprinter, where)
    users: dict[str, _User] = {}
    apps, not_clients = _apps(raw, records)
    _grants(raw, records, apps, not_clients, users)
    _api_tokens(raw, records, users)
    for user_id, user in users.items():
        records.add(
            Principal,
            user.where,
            id=records.id("user", user_id),
            name=user_id,
            kind=PrincipalKind.USER,
            is_admin=user.is_admin,
        )
    return SourceResult([records.batch()], sorted(records.unclassified), records.warnings)


def _elements(page: RawPage, what: str) -> Iterator[Raw]:
    """The items of a page whose body is a JSON array (every Okta list response)."""
    body = Raw.of(page)
    if isinstance(body.value, list):
        yield from body.elements(f"an object (one {what})")
        return
    if isinstance(body.value, dict) and body.has("errorCode"):
        code = body.opt_str("errorCode") or ""
        shown = f" ({code})" if re.fullmatch(r"E\d{7}", code) else ""  # never echo input
        raise body.error(
            None, f"an Okta error response{shown}, not a list of {what}s; was access denied?"
        )
    raise body.error(None, f"expected an array of {what}s (the documented response)")


def _tenant(raw: RawInput) -> tuple[str, Raw | None]:
    """The org domain: the host of the API links in the pages, else what the user named."""
    found: tuple[str, Raw] | None = None
    for endpoint in ENDPOINTS:
        for page in raw.of(endpoint.name):
            for item in _elements(page, _WHAT[endpoint.name]):
                for host in _api_hosts(item):
                    if found is None:
                        found = (host, item)
                    elif host != found[0]:
                        raise item.error(
                            "_links",
                            f"links to Okta org {host}, but {found[1].file} links to "
                            f"{found[0]}; save one org per folder",
                        )
    if found is not None:
        return found
    file = next((p.file for pages in raw.pages.values() for p in pages), "okta")
    if raw.tenant:
        domain = org_domain(raw.tenant)
        if not domain:
            raise InputError(
                file, "/", None, "--tenant is not an Okta org domain (e.g. example.okta.com)"
            )
        return domain, None
    raise InputError(
        file,
        "/",
        None,
        "the pages do not name their Okta org; pass --tenant with the org domain "
        "(e.g. --tenant example.okta.com)",
    )


_WHAT = {"apps": "app", "grants": "grant", "api_tokens": "API token"}


def _api_hosts(item: Raw) -> Iterator[str]:
    """Hosts of the ``_links`` hrefs that point at the org's API (not logos on a CDN)."""
    links = item.obj("_links")
    if links is None:
        return
    for _name, link in links.items():
        if isinstance(link.value, list):
            entries = [link.at(f"{link.pointer}/{i}", v) for i, v in enumerate(link.value)]
        else:
            entries = [link]
        for entry in entries:
            if not isinstance(entry.value, dict):
                continue
            href = entry.opt_str("href")
            if href is None:
                continue
            try:
                parts = urlsplit(href)
                host = parts.hostname
            except ValueError:
                raise entry.error("href", "not a URL") from None
            if host and parts.path.startswith("/api/v1/"):
                if not _DOMAIN.fullmatch(host):
                    raise entry.error("href", "the link's host is not an Okta org domain")
                yield host


#: An org domain (lower case): example.okta.com, example.oktapreview.com, a custom domain.
_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?")


def org_domain(text: str) -> str:
    """'https://Example.okta.com/' -> 'example.okta.com'; '' when it is not a domain."""
    value = text.strip().lower()
    if "://" in value:
        try:
            value = urlsplit(value).hostname or ""
        except ValueError:
            return ""
    value = value.split("/", 1)[0].strip()
    return value if _DOMAIN.fullmatch(value) else ""


def _apps(raw: RawInput, records: TenantRecords) -> tuple[dict[str, _App], set[str]]:
    """Each OAuth client app: an Integration with its client credential, by app id; and
    the ids of the apps that are not OAuth clients of the org (skipped)."""
    apps: dict[str, _App] = {}
    not_clients: set[str] = set()
    for page in raw.of("apps"):
        for item in _elements(page, "app"):
            app = _app(item, records)
            if app is not None:
                apps[app.id] = app
            else:
                not_clients.add(item.str("id"))
    return apps, not_clients


def _app(item: Raw, records: TenantRecords) -> _App | None:
    app_id = item.str("id")
    credentials = item.obj("credentials")
    oauth = credentials.obj("oauthClient") if credentials is not None else None
    if oauth is None:
        # No client of the org's: SAML, SWA and bookmark apps sign users in to other SaaS,
        # and Okta's own first-party apps (Admin Console, Dashboard: OPENID_CONNECT without
        # credentials.oauthClient) are Okta's clients. Nothing here holds a secret, so no
        # integration and no credential are made up for them.
        return None
    status_text = item.str("status")
    status = _APP_STATUS.get(status_text)
    if status is None:
        raise item.error("status", "expected ACTIVE or INACTIVE")
    settings = item.obj("settings")
    client_settings = settings.obj("oauthClient") if settings is not None else None
    app_type = client_settings.opt_str("application_type") if client_settings else None
    # Okta gives an OIDC app's client the app's own id.
    client_id = oauth.opt_str("client_id") or app_id
    integration = records.add(
        Integration,
        item,
        id=records.id("app", app_id),
        name=item.opt_str("label") or item.str("name"),
        kind=IntegrationKind.API_CLIENT if app_type == "service" else IntegrationKind.OAUTH_APP,
        status=status,
        created_at=item.time("created"),
        provider=PROVIDER,
        client_id=client_id,
    )
    method = oauth.opt_str("token_endpoint_auth_method") or _DEFAULT_AUTH_METHOD
    kind = _AUTH_METHOD.get(method)
    if kind is None:
        raise oauth.error(
            "token_endpoint_auth_method", f"expected one of {', '.join(_AUTH_METHOD)}"
        )
    secret = oauth.opt_str("client_secret")
    credential = records.add(
        Credential,
        item,
        id=records.id("app", app_id, "client"),
        kind=kind,
        identifier=client_id,
        fingerprint=(
            records.fingerprint(secret) if secret and kind == CredentialKind.CLIENT_SECRET else None
        ),
    )
    records.rel(RelType.HAS_CREDENTIAL, integration, credential)
    return _App(app_id, client_id, credential)


def _grants(
    raw: RawInput,
    records: TenantRecords,
    apps: dict[str, _App],
    not_clients: set[str],
    users: dict[str, _User],
) -> None:
    """Okta API scope grants: ACTIVE admin grants go to the app's client credential;
    a user's consent becomes a delegated credential of that user. Grants of an app that
    is not an OAuth client of the org (``not_clients``) are left out with the app."""
    by_client = {app.client_id: app for app in apps.values()}
    consents: dict[tuple[str, str], _Consent] = {}
    for page in raw.of("grants"):
        for item in _elements(page, "grant"):
            item.str("id")  # a record without an id is not a grant
            status = item.str("status")
            if status not in _GRANT_STATUS:
                raise item.error("status", "expected ACTIVE or REVOKED")
            scope = item.str("scopeId")
            created = item.time("created")
            updated = item.time("lastUpdated")
            app = _grant_app(item, page, apps, by_client, not_clients)
            if isinstance(app, str):
                records.warn(item, f"{app}; the grant is left out until that app's page is read")
            if not isinstance(app, _App):
                continue
            user_id = item.opt_str("userId")
            if user_id is not None and item.opt_str("source") == "END_USER":
                consent = consents.get((app.id, user_id))
                if consent is None:
                    consent = consents[(app.id, user_id)] = _Consent(app, user_id, item)
                users.setdefault(user_id, _User(item))
                if created:
                    consent.created.append(created)
                if status == "ACTIVE":
                    consent.active.append((scope, item))
                elif updated:
                    consent.revoked.append(updated)
                continue
            if status == "ACTIVE":
                records.rel(RelType.GRANTS, app.credential, records.scope(scope, item))
    for consent in consents.values():
        _consent(records, consent)


def _grant_app(
    item: Raw,
    page: RawPage,
    apps: dict[str, _App],
    by_client: dict[str, _App],
    not_clients: set[str],
) -> _App | str | None:
    """The app a grant belongs to: the page's app (fetch), its clientId, or its app link;
    None for an app that is not an OAuth client of the org (a first-party app's client id
    is Okta's, e.g. okta.2b1959c8-…, so its link names it); else why it is not on the
    apps pages read."""
    app_id = page.params.get("app")
    if app_id is not None:
        if app_id in not_clients:
            return None
        return apps.get(app_id) or "its app is not on the apps pages read"
    client_id = item.opt_str("clientId")
    if client_id is not None:
        found = by_client.get(client_id) or apps.get(client_id)
        if found is not None:
            return found
    links = item.obj("_links")
    link = links.obj("app") if links is not None else None
    href = link.opt_str("href") if link is not None else None
    if link is not None and href is not None:
        linked = href.rstrip("/").rsplit("/", 1)[-1]
        if linked in not_clients:
            return None
        return (
            apps.get(linked) or "no OAuth app on the apps pages read has the id its app link names"
        )
    if client_id is not None:
        return "no OAuth app on the apps pages read has its clientId"
    raise item.error("clientId", "missing; expected the client id of the app the grant is for")


def _consent(records: TenantRecords, consent: _Consent) -> None:
    revoked = not consent.active
    credential = records.add(
        Credential,
        consent.where,
        id=records.id("app", consent.app.id, "consent", consent.user),
        kind=CredentialKind.OAUTH_GRANT,
        identifier=consent.app.client_id,
        created_at=min(consent.created, default=None),
        status=CredentialStatus.REVOKED if revoked else CredentialStatus.ACTIVE,
        # Okta keeps no revocation time: a revoked grant's lastUpdated is when it changed.
        revoked_at=max(consent.revoked, default=None) if revoked else None,
    )
    records.rel(RelType.HAS_CREDENTIAL, records.id("app", consent.app.id), credential)
    records.rel(RelType.ACTS_AS, credential, records.id("user", consent.user))
    for scope, where in consent.active:
        records.rel(RelType.GRANTS, credential, records.scope(scope, where))


def _api_tokens(raw: RawInput, records: TenantRecords, users: dict[str, _User]) -> None:
    """Each SSWS token: an api_client Integration whose key acts as the admin who made it."""
    for page in raw.of("api_tokens"):
        for item in _elements(page, "API token"):
            token_id = item.str("id")
            user_id = item.str("userId")
            created = item.time("created")
            network = item.obj("network")
            integration = records.add(
                Integration,
                item,
                id=records.id("api_token", token_id),
                name=item.str("name"),
                kind=IntegrationKind.API_CLIENT,
                created_at=created,
                provider=PROVIDER,
            )
            credential = records.add(
                Credential,
                item,
                id=records.id("api_token", token_id, "key"),
                kind=CredentialKind.API_KEY,
                identifier=token_id,
                created_at=created,
                # Rolling: Okta moves expiresAt forward each time the token is used.
                expires_at=item.expiry("expiresAt", created),
                # Where the token works from: ANYWHERE, or ZONE (network zones included,
                # excluded); absent on tokens made before Okta offered the condition.
                network_connection=network.opt_str("connection") if network else None,
                network_zones=(network.strings("include") or None) if network else None,
                network_excluded_zones=(network.strings("exclude") or None) if network else None,
            )
            records.rel(RelType.HAS_CREDENTIAL, integration, credential)
            records.rel(RelType.GRANTS, credential, records.scope(API_TOKEN_SCOPE, item))
            records.rel(RelType.ACTS_AS, credential, records.id("user", user_id))
            # Only admins can create API tokens.
            users.setdefault(user_id, _User(item)).is_admin = True


# --------------------------------------------------------------------------- fetch


def fetch(ctx: FetchContext) -> RawInput:
    """Every page of the org's apps, the grants of its OAuth apps, and its API tokens."""
    settings = ctx.settings
    if settings.okta_token is None:
        raise ConfigError("okta: set NHIGRAPH_OKTA_TOKEN to an Okta API token (SSWS)")
    domain = org_domain(ctx.tenant or settings.okta_domain or "")
    if not domain:
        raise ConfigError(
            "okta: set NHIGRAPH_OKTA_DOMAIN (or pass --tenant) to the org domain, "
            "e.g. example.okta.com"
        )
    headers = {
        "Authorization": f"SSWS {settings.okta_token.get_secret_value()}",
        "Accept": "application/json",
    }
    with ApiClient(
        NAME,
        f"https://{domain}",
        headers=headers,
        transport=ctx.transport,
        max_retries=settings.http_max_retries,
        sleep=ctx.sleep or time.sleep,
    ) as client:
        apps = list(
            pages_link(client, "apps", "/api/v1/apps", _permission("apps"), {"limit": PAGE_SIZE})
        )
        grants: list[RawPage] = []
        for app_id in _oauth_app_ids(apps):
            grants.extend(
                pages_link(
                    client,
                    "grants",
                    f"/api/v1/apps/{quote(app_id, safe='')}/grants",
                    _permission("grants"),
                    page_params={"app": app_id},
                )
            )
        tokens = list(
            pages_link(
                client,
                "api_tokens",
                "/api/v1/api-tokens",
                _permission("api_tokens"),
                {"limit": PAGE_SIZE},
            )
        )
    return RawInput(NAME, domain, {"apps": apps, "grants": grants, "api_tokens": tokens})


def _permission(endpoint: str) -> str:
    return next(e.permission for e in ENDPOINTS if e.name == endpoint)


def _oauth_app_ids(pages: Iterable[RawPage]) -> list[str]:
    """Ids of the apps that are OAuth clients (the only ones with Okta API scope grants)."""
    ids = []
    for page in pages:
        for item in _elements(page, "app"):
            credentials = item.obj("credentials")
            oauth = credentials.obj("oauthClient") if credentials is not None else None
            if oauth is not None or item.opt_str("signOnMode") == "OPENID_CONNECT":
                ids.append(item.str("id"))
    return ids


SOURCE = Source(
    name=NAME,
    provider=PROVIDER,
    title="Okta (OAuth apps, Okta API scope grants, API tokens)",
    endpoints=ENDPOINTS,
    transform=transform,
    fetch=fetch,
    tenant_help=(
        "the Okta org domain, e.g. example.okta.com; needed only when the saved pages "
        "carry no API links (the org is read from them otherwise)"
    ),
)
