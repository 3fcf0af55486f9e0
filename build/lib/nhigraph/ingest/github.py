"""GitHub: the integrations of one organization, from its REST API or saved responses.

Holds the GitHub ``Source``. ``fetch`` pages through the organization's app
installations (and the public record of each installed app, for its owner),
the fine-grained personal access tokens granted access to the organization and
the credentials its members authorized for SAML single sign-on. ``transform``
turns those pages into one tenant (``github:<org login, lower case>``):
integrations, their credentials, the users delegated credentials act as, and
the permissions they grant. GitHub only ever returns public handles (ids, the
last eight characters of a token, SSH key fingerprints); this module keeps
those and never asks for, stores or logs a token value. ``transform`` is pure:
no clock, no network, no settings.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from urllib.parse import quote

from nhigraph.errors import ConfigError, InputError, NhigraphError
from nhigraph.graph.model import (
    Credential,
    CredentialKind,
    CredentialStatus,
    Integration,
    IntegrationKind,
    IntegrationStatus,
    Principal,
    RelType,
)
from nhigraph.ingest.http import ApiClient, HttpError, pages_link
from nhigraph.ingest.paging import Envelope, Paging
from nhigraph.ingest.raw import Raw, RawPage
from nhigraph.ingest.records import TenantRecords
from nhigraph.ingest.redaction import Fingerprinter
from nhigraph.ingest.source import Endpoint, FetchContext, RawInput, Source, SourceResult

NAME = "github"
PROVIDER = "github"
API_VERSION = "2022-11-28"
PER_PAGE = 100

INSTALLATIONS = Endpoint(
    "installations",
    "GET /orgs/{org}/installations",
    "an organization owner's token: classic scope admin:read (or admin:org), or the "
    "fine-grained organization permission 'Administration' (read)",
    paging=Paging(Envelope.LINK, items="installations", total="total_count"),
)
APPS = Endpoint(
    "apps",
    "GET /apps/{app_slug}",
    "no permission for public apps; a token that can see the app for private ones",
    per="app",
)
PERSONAL_ACCESS_TOKENS = Endpoint(
    "personal_access_tokens",
    "GET /orgs/{org}/personal-access-tokens",
    "a GitHub App installation token with the organization permission 'Personal access "
    "tokens' (read); only GitHub Apps may list fine-grained tokens",
    paging=Paging(Envelope.LINK),
)
CREDENTIAL_AUTHORIZATIONS = Endpoint(
    "credential_authorizations",
    "GET /orgs/{org}/credential-authorizations",
    "an organization owner's token with classic scope read:org (GitHub Enterprise Cloud "
    "organizations with SAML single sign-on)",
    paging=Paging(Envelope.LINK),
)

# An organization login as GitHub allows it (letters, digits, hyphens; Enterprise
# Managed Users add an underscore suffix). Checked so a bad --tenant or login is an
# input error rather than a malformed id.
_LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_LEVEL = re.compile(r"[a-z][a-z_]*")
_NAME = re.compile(r"[A-Za-z0-9_:.-]+")  # a permission or scope name: no white space
#: GitHub App organization permissions whose names carry no ``organization_`` prefix. A
#: fine-grained token lists organization permissions by category, often unprefixed
#: (``organization: {administration: write}``); they are named as the App permission of
#: the organization, so they never fall onto the repository permission of the same name.
_ORGANIZATION_UNPREFIXED = frozenset({"members", "team_discussions"})


# --------------------------------------------------------------------------- transform


def transform(raw: RawInput, fingerprinter: Fingerprinter) -> SourceResult:
    """The organization's integrations as one batch (cleanup scope: source github, the org)."""
    installations = [item for page in raw.of("installations") for item in _installations(page)]
    apps = _apps(raw.of("apps"))
    tokens = [
        item
        for page in raw.of("personal_access_tokens")
        for item in _array(page, "fine-grained personal access tokens")
    ]
    authorizations = [
        item
        for page in raw.of("credential_authorizations")
        for item in _array(page, "credential authorizations")
    ]
    login, where = _organization(raw, installations)
    records = TenantRecords(NAME, PROVIDER, login.lower(), login, fingerprinter, where)
    for item in installations:
        _installation(records, item, apps, login)
    for item in tokens:
        _fine_grained_token(records, item)
    for item in authorizations:
        _authorization(records, item)
    return SourceResult([records.batch()], sorted(records.unclassified))


def _installations(page: RawPage) -> list[Raw]:
    body = Raw.of(page).expect_object("the object GitHub returns ({total_count, installations})")
    if not body.has("installations") and body.has("message"):
        raise body.error(None, _error_body("app installations"))
    return body.objects("installations", required=True)


def _array(page: RawPage, what: str) -> list[Raw]:
    """The records of a page whose body is a JSON array (Raw reads arrays only as members)."""
    body = Raw.of(page)
    if isinstance(body.value, dict) and body.has("message"):
        raise body.error(None, _error_body(what))
    if not isinstance(body.value, list):
        raise body.error(None, f"expected the array of {what} GitHub returns")
    return body.elements()


def _error_body(what: str) -> str:
    return (
        f"a GitHub error response, not a page of {what} (save the page again with a token "
        "that can read it)"
    )


def _apps(pages: Sequence[RawPage]) -> dict[str, Raw]:
    """The saved ``GET /apps/{app_slug}`` answers, by slug (one app per page)."""
    found: dict[str, Raw] = {}
    for page in pages:
        app = Raw.of(page).expect_object("the app object GitHub returns")
        if app.has("message") and not app.has("slug"):
            raise app.error(None, _error_body("an app"))
        found.setdefault(app.str("slug"), app)
    return found


def _organization(raw: RawInput, installations: list[Raw]) -> tuple[str, Raw | None]:
    """The organization's login: from the installations' account, else --tenant."""
    login: str | None = None
    where: Raw | None = None
    for item in installations:
        account = item.obj("account")
        if account is None:
            continue
        this = account.str("login")
        if not _LOGIN.fullmatch(this):
            raise account.error("login", "not a GitHub organization login")
        if login is None:
            login, where = this, account
        elif this.lower() != login.lower():
            raise account.error(
                "login",
                f"an installation on organization '{this}' among those of '{login}'; "
                "save each organization's pages in its own folder",
            )
    if login is not None and where is not None:
        if raw.tenant is not None and raw.tenant.lower() != login.lower():
            raise where.error(
                "login",
                f"these pages are of organization '{login}', but --tenant names '{raw.tenant}'",
            )
        return login, where
    if raw.tenant is None:
        first = next((p for pages in raw.pages.values() for p in pages), None)
        message = (
            "these pages do not name the GitHub organization (only app installations do); "
            "pass --tenant <organization login>"
        )
        if first is None:
            raise InputError(NAME, "/", None, message)
        raise Raw.of(first).error(None, message)
    if not _LOGIN.fullmatch(raw.tenant):
        raise InputError("--tenant", "/", None, "not a GitHub organization login")
    return raw.tenant, None


def _installation(records: TenantRecords, item: Raw, apps: dict[str, Raw], org: str) -> None:
    """An app installation: the integration, its installation grant, the permissions."""
    slug = item.str("app_slug")
    installation_id = item.str("id")
    app_id = item.opt_str("app_id")
    app = apps.get(slug)
    owner = app.obj("owner") if app is not None else None
    publisher = publisher_id = None
    if owner is not None:
        # A user or organization owner has a login; an enterprise owner a slug and name.
        publisher_id = owner.opt_str("login") or owner.opt_str("slug")
        publisher = owner.opt_str("name") or publisher_id
        if publisher_id is not None and publisher_id.lower() == org.lower():
            publisher = publisher_id = None  # the organization's own app: no vendor
    suspended_at = item.time("suspended_at")
    suspended = suspended_at is not None or item.has("suspended_by")
    created_at = item.time("created_at")
    integration = records.add(
        Integration,
        item,
        id=records.id("app", slug),
        name=(app.opt_str("name") if app is not None else None) or slug,
        kind=IntegrationKind.APP_INSTALLATION,
        status=IntegrationStatus.DISABLED if suspended else IntegrationStatus.ENABLED,
        created_at=created_at,
        provider=PROVIDER,
        client_id=item.opt_str("client_id")
        or (app.opt_str("client_id") if app is not None else None),
        publisher=publisher,
        publisher_id=publisher_id,
        # GitHub's API does not say whether an app's owner is a verified creator.
        publisher_verified=False if publisher is not None else None,
    )
    # The installation is the organization's grant to the app; the app mints one-hour
    # installation tokens from it with its private key, which the publisher holds.
    identifier = f"installation {installation_id}"
    credential = records.add(
        Credential,
        item,
        id=records.id("cred", "installation", installation_id),
        kind=CredentialKind.OAUTH_GRANT,
        identifier=f"app {app_id}, {identifier}" if app_id else identifier,
        created_at=created_at,
        status=CredentialStatus.DISABLED if suspended else CredentialStatus.ACTIVE,
        revoked_at=suspended_at,
    )
    records.rel(RelType.HAS_CREDENTIAL, integration, credential)
    permissions = item.obj("permissions")
    if permissions is not None:
        for name in _permissions(permissions):
            records.rel(RelType.GRANTS, credential, records.scope(name, permissions))


def _permissions(group: Raw, category: str | None = None) -> Iterator[str]:
    """'<permission>:<level>' for each member of a permissions object; with ``category``
    'organization' (a fine-grained token's), named as GitHub App organization permissions
    are (``administration`` -> ``organization_administration``)."""
    for key, level in group.items():
        if not _NAME.fullmatch(key):
            raise group.error(key, "not a permission name (expected e.g. contents or members)")
        if not isinstance(level.value, str) or not _LEVEL.fullmatch(level.value.strip()):
            raise group.error(key, "expected a permission level such as read or write")
        name = key
        if category == "organization" and not (
            key.startswith("organization_") or key in _ORGANIZATION_UNPREFIXED
        ):
            name = f"organization_{key}"
        yield f"{name}:{level.value.strip()}"


def _fine_grained_token(records: TenantRecords, item: Raw) -> None:
    """A fine-grained personal access token granted access to the organization."""
    grant_id = item.str("id")
    owner = item.obj("owner")
    if owner is None:
        raise item.error("owner", "missing; expected the token owner")
    login = owner.str("login")
    token_id = item.opt_str("token_id")
    granted_at = item.time("access_granted_at")
    # A token without expiry has token_expires_at null.
    expires_at = item.expiry("token_expires_at", granted_at)
    last_used_at = item.time("token_last_used_at")
    # Expired with no date given: dead since an unknown moment, not live forever.
    expired_undated = item.bool("token_expired") and expires_at is None
    integration = records.add(
        Integration,
        item,
        id=records.id("pat", grant_id),
        name=item.opt_str("token_name") or f"PAT {grant_id} of {login}",
        kind=IntegrationKind.API_CLIENT,
        created_at=granted_at,
        last_used_at=last_used_at,
        provider=PROVIDER,
    )
    credential = records.add(
        Credential,
        item,
        id=records.id("cred", "pat", grant_id),
        kind=CredentialKind.PERSONAL_ACCESS_TOKEN,
        identifier=f"token {token_id}" if token_id else f"grant {grant_id}",
        created_at=granted_at,
        expires_at=expires_at,
        last_used_at=last_used_at,
        status=CredentialStatus.DISABLED if expired_undated else CredentialStatus.ACTIVE,
    )
    records.rel(RelType.HAS_CREDENTIAL, integration, credential)
    records.rel(RelType.ACTS_AS, credential, _principal(records, owner, login))
    permissions = item.obj("permissions")
    if permissions is None:
        return
    # 'none' selects no repository of the organization: repository permissions then
    # reach only public repositories, so they grant nothing here.
    no_repositories = item.opt_str("repository_selection") == "none"
    for category, _ in permissions.items():
        if category == "repository" and no_repositories:
            continue
        group = permissions.obj(category)
        if group is None:
            continue
        for name in _permissions(group, category):
            records.rel(RelType.GRANTS, credential, records.scope(name, group))


def _principal(records: TenantRecords, where: Raw, login: str) -> str:
    return records.add(Principal, where, id=records.id("user", login), name=login)


def _authorization(records: TenantRecords, item: Raw) -> None:
    """A credential a member authorized for SAML SSO: a token or an SSH key, as the member."""
    credential_id = item.str("credential_id")
    login = item.str("login")
    kind_text = item.opt_str("credential_type") or "credential"
    authorized_at = item.time("credential_authorized_at")
    accessed_at = item.time("credential_accessed_at")
    expires_at = item.expiry("authorized_credential_expires_at", authorized_at)
    lowered = kind_text.lower()
    if "ssh" in lowered:
        title = item.opt_str("authorized_credential_title")
        integration_kind = IntegrationKind.API_CLIENT
        credential_kind = CredentialKind.CERTIFICATE
        part = "ssh-key"
        # The key's fingerprint is a hash of its public half: a public handle.
        identifier = item.opt_str("fingerprint") or f"SSH key {credential_id}"
        name = f"{title} (SSH key of {login})" if title else f"SSH key {credential_id} of {login}"
        scopes = ["git:ssh"]
    else:
        last_eight = item.opt_str("token_last_eight")
        handle = f"…{last_eight}" if last_eight else credential_id
        if "oauth" in lowered or "app" in lowered:
            integration_kind = IntegrationKind.OAUTH_APP
            credential_kind = CredentialKind.OAUTH_GRANT
        else:  # "personal access token" (classic), or a type GitHub adds later
            integration_kind = IntegrationKind.API_CLIENT
            credential_kind = CredentialKind.PERSONAL_ACCESS_TOKEN
        part = "token"
        identifier = f"…{last_eight}" if last_eight else f"credential {credential_id}"
        name = item.opt_str("authorized_credential_note") or f"{kind_text} {handle} of {login}"
        scopes = item.strings("scopes")
        for element in item.list("scopes"):
            if isinstance(element.value, str) and not _NAME.fullmatch(element.value.strip()):
                raise element.error(None, "not a scope name (expected e.g. repo or admin:org)")
    integration = records.add(
        Integration,
        item,
        id=records.id(part, credential_id),
        name=name,
        kind=integration_kind,
        created_at=authorized_at,
        last_used_at=accessed_at,
        provider=PROVIDER,
    )
    credential = records.add(
        Credential,
        item,
        id=records.id("cred", part, credential_id),
        kind=credential_kind,
        identifier=identifier,
        created_at=authorized_at,
        expires_at=expires_at,
        last_used_at=accessed_at,
    )
    records.rel(RelType.HAS_CREDENTIAL, integration, credential)
    records.rel(RelType.ACTS_AS, credential, _principal(records, item, login))
    for scope in scopes:
        records.rel(RelType.GRANTS, credential, records.scope(scope, item))


# --------------------------------------------------------------------------- fetch


def fetch(ctx: FetchContext) -> RawInput:
    """Every page ``transform`` reads, live from api.github.com (or GitHub Enterprise
    Server's API, ``NHIGRAPH_GITHUB_API_URL``)."""
    token = ctx.settings.github_token
    if token is None:
        raise ConfigError(
            "GitHub needs a token: set NHIGRAPH_GITHUB_TOKEN (an organization owner's token; "
            "listing fine-grained tokens needs a GitHub App installation token)"
        )
    org = ctx.tenant
    if not org:
        raise ConfigError("GitHub needs the organization: pass --tenant <organization login>")
    if not _LOGIN.fullmatch(org):
        raise ConfigError("--tenant is not a GitHub organization login")
    headers = {
        "Authorization": f"Bearer {token.get_secret_value()}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
    }
    org_path = f"/orgs/{quote(org, safe='')}"
    query = {"per_page": PER_PAGE}
    pages: dict[str, list[RawPage]] = {}
    with ApiClient(
        NAME,
        ctx.settings.github_api_url.rstrip("/"),
        headers=headers,
        transport=ctx.transport,
        max_retries=ctx.settings.http_max_retries,
        sleep=ctx.sleep or time.sleep,
    ) as client:
        pages["installations"] = list(
            pages_link(
                client,
                "installations",
                f"{org_path}/installations",
                INSTALLATIONS.permission,
                params=query,
            )
        )
        pages["apps"] = _fetch_apps(client, _slugs(pages["installations"]))
        pages["personal_access_tokens"] = list(
            pages_link(
                client,
                "personal_access_tokens",
                f"{org_path}/personal-access-tokens",
                PERSONAL_ACCESS_TOKENS.permission,
                params=query,
            )
        )
        try:
            pages["credential_authorizations"] = list(
                pages_link(
                    client,
                    "credential_authorizations",
                    f"{org_path}/credential-authorizations",
                    CREDENTIAL_AUTHORIZATIONS.permission,
                    params=query,
                )
            )
        except NhigraphError as exc:
            # 404: the organization has no SAML SSO (or no Enterprise Cloud), so there are
            # no SSO authorizations to list.
            if not _not_found(exc):
                raise
            pages["credential_authorizations"] = []
    return RawInput(NAME, org, pages)


def _slugs(pages: list[RawPage]) -> list[str]:
    """The installed apps' slugs, in first-seen order."""
    seen: dict[str, None] = {}
    for page in pages:
        for item in _installations(page):
            slug = item.opt_str("app_slug")
            if slug is not None:
                seen.setdefault(slug, None)
    return list(seen)


def _fetch_apps(client: ApiClient, slugs: list[str]) -> list[RawPage]:
    """``GET /apps/{slug}`` for each installed app; an app GitHub does not show is skipped."""
    found = []
    for slug in slugs:
        url = f"/apps/{quote(slug, safe='')}"
        try:
            body, response = client.json(url, APPS.permission)
        except NhigraphError as exc:
            # A private app of another owner answers 404: it simply has no public record,
            # and its installation is ingested without a publisher.
            if not _not_found(exc):
                raise
            continue
        found.append(RawPage("apps", str(response.request.url), body, {"app_slug": slug}))
    return found


def _not_found(exc: NhigraphError) -> bool:
    """Whether ``ApiClient`` refused with 404 (it reports 4xx as plain NhigraphError)."""
    return isinstance(exc, HttpError) and exc.status == 404


SOURCE = Source(
    name=NAME,
    provider=PROVIDER,
    title="GitHub organization: app installations, fine-grained tokens, SAML SSO authorizations",
    endpoints=(INSTALLATIONS, APPS, PERSONAL_ACCESS_TOKENS, CREDENTIAL_AUTHORIZATIONS),
    transform=transform,
    fetch=fetch,
    tenant_help=(
        "the organization login (e.g. tailspin); required live, and for saved pages without "
        "app installations (fine-grained token and SSO authorization pages do not name it)"
    ),
)
