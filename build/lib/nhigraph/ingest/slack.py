"""Slack: the apps an Enterprise Grid org (or one workspace) approved, their grants and scopes.

Reads ``admin.apps.approved.list`` (saved pages or live) and turns each approved
app into an ``Integration`` with one ``oauth_grant`` credential per token type it
holds scopes for (bot, user, app-level), each granting those scopes; the approval
itself becomes ``APPROVED_FOR``. ``transform`` is pure and reads the JSON only
through ``Raw``; ``fetch`` pages with Slack's cursor (both the certified and the
uncertified listing) and never writes. Slack never returns token values here, so
nothing is fingerprinted; no token, of the caller or of an app, is stored or logged.
"""

from __future__ import annotations

import re
import time

from nhigraph.errors import ConfigError, InputError
from nhigraph.graph.model import (
    Credential,
    CredentialKind,
    CredentialStatus,
    Integration,
    IntegrationKind,
    IntegrationStatus,
    RelType,
)
from nhigraph.ingest.http import ApiClient, pages_cursor
from nhigraph.ingest.paging import Envelope, Paging
from nhigraph.ingest.raw import Raw, RawPage
from nhigraph.ingest.records import TenantRecords
from nhigraph.ingest.redaction import Fingerprinter
from nhigraph.ingest.source import Endpoint, FetchContext, RawInput, Source, SourceResult

NAME = "slack"
PROVIDER = "slack"
APPROVED_APPS = "approved_apps"
API = "https://slack.com/api/"
APPROVED_APPS_URL = API + "admin.apps.approved.list"
PERMISSION = (
    "admin.apps:read (a user token of an Enterprise Grid org admin or owner, installed on the org)"
)
PAGE_SIZE = 1000  # the method's maximum; it is rate-limited at Tier 2, so fewer calls is better

_PASS_TENANT = (
    "pass --tenant with the Enterprise Grid org id (E…) or the workspace id (T…) "
    "the list was taken for"
)
_NO_TENANT = f"the entry names no Slack org or workspace; {_PASS_TENANT}"
_EMPTY_NO_TENANT = f"the list is empty and names no tenant; {_PASS_TENANT}"
_ERROR_CODE = re.compile(r"[a-z_]{1,64}")
_MAX_TENANT = 128


# --------------------------------------------------------------------------- transform


def transform(raw: RawInput, fingerprinter: Fingerprinter) -> SourceResult:
    """Canonical records of the approved apps in ``raw``: one batch per Slack tenant.

    The tenant is the entry's ``team`` (a workspace) or ``enterprise`` (the org) when
    the entry names one, else the tenant the user named (``raw.tenant``).
    """
    pages = raw.of(APPROVED_APPS)
    if not pages:
        raise InputError(NAME, "/", None, f"no {APPROVED_APPS} pages to read")
    tenants: dict[str, TenantRecords] = {}

    def records_for(key: str, name: str, where: Raw) -> TenantRecords:
        if len(key) > _MAX_TENANT:
            raise where.error(None, "the tenant id is too long for a Slack org or workspace id")
        records = tenants.get(key)
        if records is None:
            records = TenantRecords(NAME, PROVIDER, key, name, fingerprinter, where)
            tenants[key] = records
        return records

    for page in pages:
        body = Raw.of(page).expect_object("the response object of admin.apps.approved.list")
        _check_ok(body)
        for entry in body.objects(APPROVED_APPS, required=True):
            named = _named_tenant(entry)
            if named is not None:
                key, name, where = named
            elif raw.tenant is not None:
                key, name, where = raw.tenant, raw.tenant, entry
            else:
                raise entry.error(None, _NO_TENANT)
            _approved_app(records_for(key, name, where), entry)

    if not tenants:  # nothing approved: still one (empty) batch, so cleanup runs
        first = Raw.of(pages[0])
        if raw.tenant is None:
            raise first.error(APPROVED_APPS, _EMPTY_NO_TENANT)
        records_for(raw.tenant, raw.tenant, first)

    unclassified = sorted({name for r in tenants.values() for name in r.unclassified})
    return SourceResult([r.batch() for r in tenants.values()], unclassified)


def _check_ok(body: Raw) -> None:
    """A saved ``ok: false`` body is Slack's error answer, not an empty list."""
    if body.opt_bool("ok") is not False:
        return
    text = body.opt_str("error") or ""
    what = f"Slack's error '{text}'" if _ERROR_CODE.fullmatch(text) else "an error from Slack"
    raise body.error("ok", f"the saved response is {what}, not a page of approved apps")


def _named_tenant(entry: Raw) -> tuple[str, str, Raw] | None:
    """(id, name, where) of the workspace or org the entry names, if it names one."""
    for field in ("team", "enterprise"):
        holder = entry.obj(field)
        if holder is not None:
            tenant = holder.str("id")
            return tenant, holder.opt_str("name") or tenant, holder
    return None


def _approved_app(records: TenantRecords, entry: Raw) -> None:
    app = entry.obj("app", required=True)
    assert app is not None  # required=True raised otherwise
    app_id = app.str("id")
    name = app.opt_str("name") or app_id

    # Scopes by the token type that holds them: bot, user, app (app-level tokens).
    by_type: dict[str, list[tuple[str, Raw]]] = {}
    for scope in entry.objects("scopes"):
        token_type = scope.str("token_type").lower()
        by_type.setdefault(token_type, []).append((scope.str("name"), scope))

    # Internal apps are built by the org itself: no publisher to tie to a vendor.
    internal = app.bool("is_internal")
    integration = records.add(
        Integration,
        app,
        id=records.id("app", app_id),
        name=name,
        kind=IntegrationKind.BOT if "bot" in by_type else IntegrationKind.OAUTH_APP,
        # Approved means allowed to run; Slack reports no disabled state here.
        status=IntegrationStatus.ENABLED,
        # When an admin last resolved (approved) it: the nearest Slack gives to an install
        # date. Kept off the credentials so a re-approval never hides an older grant.
        created_at=entry.time("date_updated", epoch=True),
        provider=PROVIDER,
        client_id=app_id,
        publisher=None if internal else name,
        publisher_id=None if internal else app.opt_str("app_directory_url"),
        publisher_verified=None if internal else app.opt_bool("is_app_directory_approved"),
    )

    for token_type, scopes in by_type.items():
        where = scopes[0][1]
        credential = records.add(
            Credential,
            where,
            id=records.id("grant", app_id, token_type),
            kind=CredentialKind.OAUTH_GRANT,
            identifier=f"{app_id}:{token_type}",
            status=CredentialStatus.ACTIVE,
        )
        records.rel(RelType.HAS_CREDENTIAL, integration, credential)
        for scope_name, scope in scopes:
            # Slack flags the scopes it deems sensitive; that only ever adds to the catalogue.
            scope_id = records.scope(scope_name, scope, sensitive=scope.bool("is_sensitive"))
            records.rel(RelType.GRANTS, credential, scope_id)
            records.rel(RelType.APPROVED_FOR, integration, scope_id)


# --------------------------------------------------------------------------- fetch


def _listing(tenant: str | None) -> dict[str, str]:
    """The query naming what to list: the org (enterprise_id) or one workspace (team_id)."""
    if tenant is None:
        raise ConfigError(f"slack: {_PASS_TENANT}")
    if re.fullmatch(r"E[A-Z0-9]{2,}", tenant):
        return {"enterprise_id": tenant}
    if re.fullmatch(r"T[A-Z0-9]{2,}", tenant):
        return {"team_id": tenant}
    raise ConfigError(
        "slack: --tenant must be an Enterprise Grid org id (E…) or a workspace id (T…)"
    )


def fetch(ctx: FetchContext) -> RawInput:
    """Every approved app of the org or workspace named by ``ctx.tenant``, page by page.

    Slack leaves certified apps out of the listing unless ``certified=true`` is asked
    for, so both listings are read.
    """
    token = ctx.settings.slack_token
    if token is None:
        raise ConfigError(f"slack: set NHIGRAPH_SLACK_TOKEN to a user token with {PERMISSION}")
    listing = _listing(ctx.tenant)
    pages: list[RawPage] = []
    with ApiClient(
        NAME,
        API,
        headers={"Authorization": f"Bearer {token.get_secret_value()}"},
        transport=ctx.transport,
        max_retries=ctx.settings.http_max_retries,
        sleep=ctx.sleep or time.sleep,
    ) as client:
        for certified in ("false", "true"):
            params = {"limit": str(PAGE_SIZE), **listing, "certified": certified}
            pages.extend(
                pages_cursor(client, APPROVED_APPS, APPROVED_APPS_URL, PERMISSION, params=params)
            )
    return RawInput(NAME, ctx.tenant, {APPROVED_APPS: pages})


SOURCE = Source(
    name=NAME,
    provider=PROVIDER,
    title="Slack approved apps (Enterprise Grid admin API)",
    endpoints=(
        Endpoint(
            APPROVED_APPS,
            "GET https://slack.com/api/admin.apps.approved.list",
            PERMISSION,
            paging=Paging(Envelope.CURSOR),
        ),
    ),
    transform=transform,
    fetch=fetch,
    tenant_help=(
        "the Enterprise Grid org id (E…) or workspace id (T…) whose approved apps are read; "
        "required for live collection, and for saved pages that do not name it "
        "(Slack's documented response does not)"
    ),
)
