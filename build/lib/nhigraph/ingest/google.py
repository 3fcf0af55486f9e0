"""Google Workspace OAuth grants and Google Cloud service-account keys, as one source.

``SOURCE`` ("google") collects, with one OAuth access token, the Workspace users
and the OAuth tokens each of them granted to apps (Admin SDK Directory), and the
Cloud projects, their service accounts, the user-managed keys of those accounts
and each project's allow policy (Resource Manager, IAM). ``transform`` makes one
batch for the Workspace tenant (``google_workspace:<primary domain>``) and one per
project (``gcp:<project id>``). It keeps client ids, user ids and key ids, never
key material (a private key in a saved page becomes a keyed fingerprint); it does
not judge liveness (the engine does) and creates no Vendor nodes, only publisher
hints on integrations.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePath

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
from nhigraph.ingest.http import ApiClient, pages_token
from nhigraph.ingest.paging import Envelope, Paging
from nhigraph.ingest.raw import Raw, RawPage
from nhigraph.ingest.records import TenantRecords
from nhigraph.ingest.redaction import Fingerprinter
from nhigraph.ingest.source import Endpoint, FetchContext, RawInput, Source, SourceResult

NAME = "google"
WORKSPACE = "google_workspace"
GCP = "gcp"

DIRECTORY = "https://admin.googleapis.com/admin/directory/v1"
RESOURCE_MANAGER = "https://cloudresourcemanager.googleapis.com/v1"
IAM = "https://iam.googleapis.com/v1"

_TOKEN = Paging(Envelope.TOKEN)
ENDPOINTS = (
    Endpoint(
        "users",
        "GET /admin/directory/v1/users?customer=my_customer",
        "the OAuth scope https://www.googleapis.com/auth/admin.directory.user.readonly "
        "and a Workspace admin role that can read users",
        paging=_TOKEN,
    ),
    Endpoint(
        "tokens",
        "GET /admin/directory/v1/users/{userKey}/tokens",
        "the OAuth scope https://www.googleapis.com/auth/admin.directory.user.security "
        "and a Workspace admin role with the User Security Management privilege",
        per="user",
    ),
    Endpoint(
        "projects",
        "GET /v1/projects (Cloud Resource Manager)",
        "resourcemanager.projects.get (roles/browser) and the OAuth scope "
        "https://www.googleapis.com/auth/cloud-platform.read-only",
        paging=_TOKEN,
    ),
    Endpoint(
        "serviceAccounts",
        "GET /v1/projects/{project}/serviceAccounts (IAM)",
        "iam.serviceAccounts.list on the project (roles/iam.securityReviewer)",
        paging=_TOKEN,
        per="project",
    ),
    Endpoint(
        "serviceAccountKeys",
        "GET /v1/projects/{project}/serviceAccounts/{email}/keys (IAM)",
        "iam.serviceAccountKeys.list on the project (roles/iam.securityReviewer)",
        per="service account",
    ),
    Endpoint(
        "iamPolicy",
        "POST /v1/projects/{project}:getIamPolicy (Cloud Resource Manager)",
        "resourcemanager.projects.getIamPolicy on the project (roles/iam.securityReviewer)",
        per="project",
    ),
)

# A key name: projects/<project>/serviceAccounts/<email or unique id>/keys/<key id>.
_KEY_NAME = re.compile(r"projects/([^/]+)/serviceAccounts/([^/]+)/keys/([^/]+)")
_ACCOUNT_NAME = re.compile(r"projects/([^/]+)/serviceAccounts/[^/]+")
# Version 1 policies show a conditional binding's role as '<role>_withcond_<hash>'.
_WITHCOND = re.compile(r"_withcond_[0-9a-f]+$")
_POLICY_URL = re.compile(r"/projects/([^/?]+):getIamPolicy")
_POLICY_FILE = re.compile(r"iamPolicy\.(.+)\.json")
# Project ids are tenant keys: checked, so nothing else can become a tenant id. Older
# projects may carry a domain prefix ('example.com:my-project').
_PROJECT_ID = re.compile(r"(?:[a-z0-9][a-z0-9.-]*:)?[a-z][a-z0-9-]{4,28}[a-z0-9]")
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]")
_NOT_A_PROJECT = "expected a Google Cloud project id (6 to 30 lowercase letters, digits, hyphens)"


# --------------------------------------------------------------------------- transform


def transform(raw: RawInput, fingerprinter: Fingerprinter) -> SourceResult:
    """One batch for the Workspace tenant (when its pages are present), one per project."""
    tenants = _cloud(raw, fingerprinter)
    workspace = _workspace(raw, fingerprinter)
    if workspace is not None:
        tenants.insert(0, workspace)
    unclassified = sorted({name for t in tenants for name in t.unclassified})
    return SourceResult([t.batch() for t in tenants], unclassified)


@dataclass(frozen=True, slots=True)
class _User:
    id: str
    email: str
    enabled: bool
    is_admin: bool
    where: Raw


def _users(raw: RawInput) -> list[_User]:
    users = []
    for page in raw.of("users"):
        for item in Raw.of(page).objects("users"):
            email = item.str("primaryEmail").lower()
            local, _, domain = email.rpartition("@")
            if not local or not _DOMAIN.fullmatch(domain):
                raise item.error("primaryEmail", "expected an email address")
            users.append(
                _User(
                    id=item.str("id"),
                    email=email,
                    # An archived user cannot sign in any more than a suspended one.
                    enabled=not (item.bool("suspended") or item.bool("archived")),
                    is_admin=item.bool("isAdmin") or item.bool("isDelegatedAdmin"),
                    where=item,
                )
            )
    return users


def _primary_domain(raw: RawInput, users: list[_User]) -> str:
    """--tenant when given; else the commonest primaryEmail domain (first seen on a tie)."""
    if raw.tenant and raw.tenant.strip():
        return raw.tenant.strip().lower()
    domains = Counter(user.email.rpartition("@")[2] for user in users)
    if domains:
        return domains.most_common(1)[0][0]
    first = [*raw.of("users"), *raw.of("tokens")][0]
    raise InputError(
        first.file,
        "/",
        None,
        "no user in these pages names the Workspace domain; pass --tenant with the "
        "primary domain (e.g. --tenant example.com)",
    )


def _workspace(raw: RawInput, fingerprinter: Fingerprinter) -> TenantRecords | None:
    pages = [*raw.of("users"), *raw.of("tokens")]
    if not pages:
        return None
    users = _users(raw)
    domain = _primary_domain(raw, users)
    records = TenantRecords(NAME, WORKSPACE, domain, domain, fingerprinter, Raw.of(pages[0]))
    known: dict[str, _User] = {}
    for user in users:
        known.setdefault(user.id, user)
        known.setdefault(user.email, user)
    for page in raw.of("tokens"):
        for item in Raw.of(page).objects("items"):
            _token(records, item, page, known)
    return records


def _token(records: TenantRecords, item: Raw, page: RawPage, users: dict[str, _User]) -> None:
    """One user's grant to one app: the app, the refresh token, the user it acts as."""
    client_id = item.str("clientId")
    user_key = item.opt_str("userKey") or page.params.get("userKey")
    if not user_key:
        raise item.error("userKey", "missing; expected the id of the user who granted the token")
    user = users.get(user_key) or users.get(user_key.lower())
    user_id = user.id if user is not None else user_key
    display = item.opt_str("displayText")
    # Unregistered apps ("anonymous": true) share one anonymous client id: each is told
    # apart by the name it gives, so two of them are two integrations, not one.
    app_key = (
        [client_id, display] if display is not None and item.bool("anonymous") else [client_id]
    )
    app_id = records.id("app", *app_key)
    if not records.has(app_id):  # the first token of an app names it
        records.add(
            Integration,
            item,
            id=app_id,
            name=display or client_id,
            kind=IntegrationKind.OAUTH_APP,
            provider=WORKSPACE,
            client_id=client_id,
            publisher=display,
            publisher_verified=None if display is None else False,
        )
    principal_id = records.id("user", user_id)
    if not records.has(principal_id):
        if user is not None:
            records.add(
                Principal,
                user.where,
                id=principal_id,
                name=user.email,
                kind=PrincipalKind.USER,
                enabled=user.enabled,
                is_admin=user.is_admin,
            )
        else:  # not in the users pages: nothing known but its id
            records.add(Principal, item, id=principal_id, name=user_id, kind=PrincipalKind.USER)
    credential_id = records.id("token", *app_key, user_id)
    records.add(
        Credential,
        item,
        id=credential_id,
        kind=CredentialKind.OAUTH_REFRESH_TOKEN,
        identifier=f"{client_id}:{user_id}",
        status=CredentialStatus.ACTIVE,
    )
    records.rel(RelType.HAS_CREDENTIAL, app_id, credential_id)
    records.rel(RelType.ACTS_AS, credential_id, principal_id)
    for scope in item.strings("scopes"):
        records.rel(RelType.GRANTS, credential_id, records.scope(scope, item))


class _Projects:
    """The project tenants, created on first mention; guest records for cross-project grants.

    A service account of project A holding a role on project B gets GRANTS to B's
    scope. The edge belongs to A's batch (the credential's), so A's batch also
    carries B's scope (and, through it, B's tenant and stores, identical to B's own).
    """

    def __init__(self, fingerprinter: Fingerprinter) -> None:
        self.fingerprinter = fingerprinter
        self.names: dict[str, str] = {}
        self.wheres: dict[str, Raw] = {}
        self.tenants: dict[str, TenantRecords] = {}
        self.guests: dict[tuple[str, str], TenantRecords] = {}

    def listed(self, project: str, name: str, where: Raw) -> None:
        self.names.setdefault(project, name)
        self.wheres.setdefault(project, where)
        self.tenant(project, where)

    def _records(self, project: str, where: Raw) -> TenantRecords:
        name = self.names.get(project, project)
        where = self.wheres.get(project, where)
        return TenantRecords(NAME, GCP, project, name, self.fingerprinter, where)

    def tenant(self, project: str, where: Raw) -> TenantRecords:
        if project not in self.tenants:
            self.tenants[project] = self._records(project, where)
        return self.tenants[project]

    def scope(self, holder: str, project: str, role: str, where: Raw) -> str:
        """The id of scope ``role`` in ``project``, recorded in ``holder``'s batch."""
        if holder == project:
            return self.tenant(project, where).scope(role, where)
        key = (holder, project)
        if key not in self.guests:
            self.guests[key] = self._records(project, where)
        return self.guests[key].scope(role, where)

    def done(self) -> list[TenantRecords]:
        for (holder, _), guest in self.guests.items():
            owner = self.tenants[holder]
            for node_id, node in guest.nodes.items():
                owner.nodes.setdefault(node_id, node)
            for key, rel in guest.rels.items():
                owner.rels.setdefault(key, rel)
            owner.unclassified |= guest.unclassified
        # A fixed order between runs: a guest node is tagged by whichever batch wrote it
        # last, so a stable order keeps one batch's cleanup off another's nodes.
        return [self.tenants[project] for project in sorted(self.tenants)]


def _project_name(item: Raw, project: str) -> str:
    """v1 'name' is the display name; v3 has 'displayName' and 'name' = 'projects/<number>'."""
    display = item.opt_str("displayName")
    if display:
        return display
    name = item.opt_str("name")
    return name if name and not name.startswith("projects/") else project


def _project_id(project: str, where: Raw, field: str | None) -> str:
    if not _PROJECT_ID.fullmatch(project):
        raise where.error(field, _NOT_A_PROJECT)
    return project


def _account_project(item: Raw, page: RawPage) -> str:
    project = item.opt_str("projectId") or page.params.get("project")
    if not project:
        found = _ACCOUNT_NAME.fullmatch(item.opt_str("name") or "")
        if found is None:
            raise item.error("projectId", "missing; expected the project the account belongs to")
        project = found.group(1)
    return _project_id(project, item, "projectId")


def _policy_project(page: RawPage) -> str:
    """A policy body does not name its project: the fetch records it, or the file name does."""
    project = page.params.get("project", "")
    if not project:
        found = _POLICY_URL.search(page.file) or _POLICY_FILE.fullmatch(PurePath(page.file).name)
        project = "" if found is None else found.group(1)
    if not _PROJECT_ID.fullmatch(project):
        raise InputError(
            page.file,
            "/",
            None,
            "cannot tell which project this allow policy is of; save it as "
            "iamPolicy.<project id>.json",
        )
    return project


def _cloud(raw: RawInput, fingerprinter: Fingerprinter) -> list[TenantRecords]:
    projects = _Projects(fingerprinter)
    for page in raw.of("projects"):
        for item in Raw.of(page).objects("projects"):
            project = _project_id(item.str("projectId"), item, "projectId")
            projects.listed(project, _project_name(item, project), item)

    accounts: dict[str, str] = {}  # email -> project
    for page in raw.of("serviceAccounts"):
        for item in Raw.of(page).objects("accounts"):
            email = item.str("email").lower()
            project = _account_project(item, page)
            records = projects.tenant(project, item)
            records.add(
                Integration,
                item,
                id=records.id("sa", email),
                name=item.opt_str("displayName") or email,
                kind=IntegrationKind.SERVICE_ACCOUNT,
                status=IntegrationStatus.DISABLED
                if item.bool("disabled")
                else IntegrationStatus.ENABLED,
                provider=GCP,
                client_id=item.opt_str("oauth2ClientId") or item.opt_str("uniqueId"),
            )
            accounts.setdefault(email, project)

    holders: dict[str, list[tuple[str, str]]] = {}  # email -> [(project, credential id)]
    for page in raw.of("serviceAccountKeys"):
        for item in Raw.of(page).objects("keys"):
            found = _KEY_NAME.fullmatch(item.str("name"))
            if found is None:
                raise item.error(
                    "name", "expected projects/<project>/serviceAccounts/<email>/keys/<key id>"
                )
            project, email, key_id = found.group(1), found.group(2).lower(), found.group(3)
            if item.opt_str("keyType") == "SYSTEM_MANAGED":
                continue  # Google holds and rotates these; nobody outside Google has them
            if project == "-":  # listed through projects/-: the account's own project
                project = accounts.get(email) or page.params.get("project") or ""
                if not project:
                    raise item.error("name", "names no project ('-') and its account is unlisted")
            project = _project_id(project, item, "name")
            records = projects.tenant(project, item)
            account_id = records.id("sa", email)
            if not records.has(account_id):  # keys of an account the pages do not list
                records.add(
                    Integration,
                    item,
                    id=account_id,
                    name=email,
                    kind=IntegrationKind.SERVICE_ACCOUNT,
                    provider=GCP,
                )
            credential_id = records.id("key", key_id)
            secret = item.opt_str("privateKeyData")  # only in a create response
            created_at = item.time("validAfterTime")
            records.add(
                Credential,
                item,
                id=credential_id,
                kind=CredentialKind.SERVICE_ACCOUNT_KEY,
                identifier=key_id,
                fingerprint=None if secret is None else records.fingerprint(secret),
                created_at=created_at,
                # IAM writes validBeforeTime 9999-12-31T23:59:59Z for a key without expiry.
                expires_at=item.expiry("validBeforeTime", created_at),
                status=CredentialStatus.DISABLED
                if item.bool("disabled")
                else CredentialStatus.ACTIVE,
            )
            records.rel(RelType.HAS_CREDENTIAL, account_id, credential_id)
            holders.setdefault(email, []).append((project, credential_id))

    for page in raw.of("iamPolicy"):
        policy = Raw.of(page)
        project = _policy_project(page)
        projects.tenant(project, policy)
        for binding in policy.objects("bindings"):
            # A conditional binding counts as granted: the condition may hold.
            role = _WITHCOND.sub("", binding.str("role"))
            for member in binding.strings("members"):
                kind, _, email = member.partition(":")
                if kind != "serviceAccount":
                    continue  # people, groups, deleted accounts, workload identities
                for holder, credential_id in holders.get(email.lower(), []):
                    scope_id = projects.scope(holder, project, role, binding)
                    projects.tenant(holder, binding).rel(RelType.GRANTS, credential_id, scope_id)
    return projects.done()


# --------------------------------------------------------------------------- fetch


def fetch(ctx: FetchContext) -> RawInput:
    """Every page the transform reads, live. Needs NHIGRAPH_GOOGLE_TOKEN."""
    token = ctx.settings.google_token
    if token is None or not token.get_secret_value().strip():
        raise ConfigError(
            "google: set NHIGRAPH_GOOGLE_TOKEN to an OAuth access token with the scopes "
            "admin.directory.user.readonly, admin.directory.user.security and "
            "cloud-platform.read-only (see docs/sources/google.md)"
        )
    pages: dict[str, list[RawPage]] = {endpoint.name: [] for endpoint in ENDPOINTS}
    with ApiClient(
        NAME,
        "",
        headers={"Authorization": f"Bearer {token.get_secret_value()}"},
        transport=ctx.transport,
        max_retries=ctx.settings.http_max_retries,
        sleep=ctx.sleep or time.sleep,
    ) as client:
        _fetch_workspace(client, pages)
        _fetch_cloud(client, pages)
    return RawInput(NAME, ctx.tenant, pages)


def _permission(endpoint: str) -> str:
    return next(e.permission for e in ENDPOINTS if e.name == endpoint)


def _fetch_workspace(client: ApiClient, pages: dict[str, list[RawPage]]) -> None:
    pages["users"] = list(
        pages_token(
            client,
            "users",
            f"{DIRECTORY}/users",
            _permission("users"),
            params={"customer": "my_customer", "maxResults": 500},
        )
    )
    for page in pages["users"]:
        for user in Raw.of(page).objects("users"):
            user_id = user.str("id")
            body, response = client.json(
                f"{DIRECTORY}/users/{user_id}/tokens", _permission("tokens")
            )
            pages["tokens"].append(
                RawPage("tokens", str(response.request.url), body, {"userKey": user_id})
            )


def _fetch_cloud(client: ApiClient, pages: dict[str, list[RawPage]]) -> None:
    pages["projects"] = list(
        pages_token(client, "projects", f"{RESOURCE_MANAGER}/projects", _permission("projects"))
    )
    for page in pages["projects"]:
        for item in Raw.of(page).objects("projects"):
            if (item.opt_str("lifecycleState") or item.opt_str("state")) != "ACTIVE":
                continue  # a project pending deletion is shut down; its tenant stays empty
            project = item.str("projectId")
            accounts = list(
                pages_token(
                    client,
                    "serviceAccounts",
                    f"{IAM}/projects/{project}/serviceAccounts",
                    _permission("serviceAccounts"),
                    params={"pageSize": 100},
                    page_params={"project": project},
                )
            )
            pages["serviceAccounts"] += accounts
            for account_page in accounts:
                for account in Raw.of(account_page).objects("accounts"):
                    email = account.str("email")
                    body, response = client.json(
                        f"{IAM}/projects/{project}/serviceAccounts/{email}/keys",
                        _permission("serviceAccountKeys"),
                        params={"keyTypes": "USER_MANAGED"},
                    )
                    pages["serviceAccountKeys"].append(
                        RawPage(
                            "serviceAccountKeys",
                            str(response.request.url),
                            body,
                            {"project": project, "serviceAccount": email},
                        )
                    )
            # An empty POST returns a version 1 policy; see _WITHCOND for its one quirk.
            body, response = client.json(
                f"{RESOURCE_MANAGER}/projects/{project}:getIamPolicy",
                _permission("iamPolicy"),
                method="POST",
            )
            pages["iamPolicy"].append(
                RawPage("iamPolicy", str(response.request.url), body, {"project": project})
            )


SOURCE = Source(
    name=NAME,
    provider=WORKSPACE,
    title="Google Workspace and Google Cloud",
    endpoints=ENDPOINTS,
    transform=transform,
    fetch=fetch,
    tenant_help=(
        "the Workspace primary domain (e.g. example.com); optional when users pages are "
        "present (their commonest primaryEmail domain is used). Cloud projects are tenants "
        "of their own (gcp:<project id>) and need no --tenant."
    ),
)
