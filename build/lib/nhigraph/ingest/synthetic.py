"""Synthetic estates: a seeded generator of realistic inventory documents, and a writer for them.

``generate`` builds an ``nhigraph-inventory/v1`` document (teams, vendors, tenants
with their data stores, principals and scope catalogues, integrations with their
credentials) that ``inventory.transform`` accepts, for benchmarks, demos and
tests at any size. It must stay deterministic for a seed (only ``random.Random``,
a fixed "now", no iteration over sets) and must never emit anything shaped like
a secret: identifiers are public handles only.
"""

from __future__ import annotations

import gc
import json
import random
from bisect import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml

from nhigraph.errors import InputError
from nhigraph.ingest.inventory import FORMAT

#: The fixed "now" every generated date is relative to (UTC; kept naive for fast formatting).
NOW = datetime(2026, 11, 1)
INVENTORY = "synthetic"

DAY = 86_400
_DORMANT_AFTER = 180 * DAY
_T = TypeVar("_T")

# --------------------------------------------------------------------------- catalogue shapes


@dataclass(frozen=True, slots=True)
class _StoreGroup:
    """Data stores of one kind in every tenant of a provider.

    Without ``numbered`` the first ``count[0]`` names are always present and the rest
    are drawn; with it, names are drawn with replacement and get a serial suffix.
    An empty classification is drawn from ``_CLASSIFICATIONS``.
    """

    kind: str
    tag: str
    names: tuple[tuple[str, str], ...]
    count: tuple[int, int] = (1, 1)
    numbered: bool = False
    holds_secrets: bool = False
    grow: int = 0  # numbered: one more store per this many integrations in the tenant


@dataclass(frozen=True, slots=True)
class _ScopeSpec:
    """A scope of a provider's catalogue and what it reaches in a tenant.

    ``reaches`` holds selectors: a store kind, ``kind#classification``, or ``@tenant``;
    ``=access`` after a selector sets the CAN_ACCESS access (default: the scope's).
    A ``{store}`` in the name makes one scope per store the first selector matches.
    """

    name: str
    access: str
    weight: float
    reaches: tuple[str, ...] = ()
    sensitive: bool = False


@dataclass(frozen=True, slots=True)
class _Provider:
    name: str
    share: float  # of all integrations
    integration_kinds: tuple[tuple[str, float], ...]
    # integration kind -> (credential kind, weight, delegated)
    credential_kinds: Mapping[str, tuple[tuple[str, float, bool], ...]]
    apps: tuple[tuple[str, str], ...]  # (name, purpose)
    stores: tuple[_StoreGroup, ...]
    scopes: tuple[_ScopeSpec, ...]
    # what a cross-provider connector (ELT, CI) holds here: (credential kind, delegated)
    connector_credential: tuple[str, bool]


_CLASSIFICATIONS = (
    ("public", 0.08),
    ("internal", 0.42),
    ("confidential", 0.35),
    ("restricted", 0.15),
)


def _g(scope: str) -> str:
    return "https://www.googleapis.com/auth/" + scope


# fmt: off
_PROVIDERS: tuple[_Provider, ...] = (
    _Provider(
        name="m365",
        share=0.20,
        integration_kinds=(("oauth_app", 0.55), ("service_account", 0.30), ("api_client", 0.15)),
        credential_kinds={
            "oauth_app": (
                ("oauth_refresh_token", 0.45, True),
                ("oauth_grant", 0.20, True),
                ("client_secret", 0.25, False),
                ("certificate", 0.10, False),
            ),
            "service_account": (("client_secret", 0.6, False), ("certificate", 0.4, False)),
            "api_client": (("client_secret", 0.7, False), ("certificate", 0.3, False)),
        },
        apps=(
            ("Mailbox archiver", "Archives mailboxes for legal hold"),
            ("Calendar scheduler", "Books meetings from the CRM"),
            ("SharePoint backup", "Nightly backup of SharePoint sites"),
            ("HR directory sync", "Keeps Entra ID users in step with the HR system"),
            ("Teams notifier", "Posts build and incident notices to Teams"),
            ("E-signature add-in", "Sends contracts for signature from Outlook"),
            ("Expense scanner", "Reads receipts from mail for expense reports"),
            ("Intranet search", "Indexes SharePoint for the intranet search"),
        ),
        stores=(
            _StoreGroup("mailbox", "mail", (("Exchange Online mailboxes", "confidential"),),
                        holds_secrets=True),
            _StoreGroup("site", "site", (
                ("All Company", "internal"), ("Finance", "restricted"), ("Engineering", ""),
                ("Sales", "confidential"), ("HR", "restricted"), ("Legal", "restricted"),
                ("IT Operations", ""), ("Marketing", "internal"), ("Board", "restricted"),
            ), count=(3, 9), holds_secrets=True),
            _StoreGroup("drive", "onedrive", (("OneDrive for Business", "confidential"),),
                        holds_secrets=True),
            _StoreGroup("directory", "directory", (("Entra ID directory", "restricted"),)),
            _StoreGroup("chat", "teams-chat", (("Teams chats and channels", "confidential"),),
                        holds_secrets=True),
            _StoreGroup("calendar", "calendar", (("Calendars", "internal"),)),
        ),
        scopes=(
            _ScopeSpec("User.Read", "read", 8),
            _ScopeSpec("offline_access", "read", 6),
            _ScopeSpec("Mail.Read", "read", 4, ("mailbox",), sensitive=True),
            _ScopeSpec("Mail.ReadWrite", "write", 2, ("mailbox",), sensitive=True),
            _ScopeSpec("Mail.Send", "write", 2, ("mailbox",)),
            _ScopeSpec("Files.Read.All", "read", 4, ("site", "drive")),
            _ScopeSpec("Files.ReadWrite.All", "write", 2.5, ("site", "drive")),
            _ScopeSpec("Sites.FullControl.All", "admin", 0.5, ("site",)),
            _ScopeSpec("Calendars.ReadWrite", "write", 2, ("calendar",)),
            _ScopeSpec("User.Read.All", "read", 3, ("directory",)),
            _ScopeSpec("Directory.Read.All", "read", 2, ("directory",)),
            _ScopeSpec("Group.ReadWrite.All", "write", 1, ("directory", "site")),
            _ScopeSpec("ChannelMessage.Read.All", "read", 1, ("chat",), sensitive=True),
            _ScopeSpec("Directory.ReadWrite.All", "admin", 0.4, ("@tenant", "directory")),
            _ScopeSpec("RoleManagement.ReadWrite.Directory", "admin", 0.2, ("@tenant",)),
            _ScopeSpec("Application.ReadWrite.All", "admin", 0.3, ("@tenant", "directory=write")),
        ),
        connector_credential=("client_secret", False),
    ),
    _Provider(
        name="google_workspace",
        share=0.12,
        integration_kinds=(("oauth_app", 0.55), ("service_account", 0.45)),
        credential_kinds={
            "oauth_app": (("oauth_refresh_token", 0.75, True), ("client_secret", 0.25, False)),
            "service_account": (("service_account_key", 1.0, False),),
        },
        apps=(
            ("Drive migrator", "Moves shared drives between organisational units"),
            ("Gmail DLP scanner", "Scans outgoing mail for customer data"),
            ("Calendar room booker", "Books rooms and resources"),
            ("Directory exporter", "Exports users and groups to the identity warehouse"),
            ("Slides generator", "Builds weekly business review decks"),
            ("Backup service", "Backs up Gmail and Drive"),
        ),
        stores=(
            _StoreGroup("mailbox", "gmail", (("Gmail", "confidential"),), holds_secrets=True),
            _StoreGroup("shared_drive", "shared-drive", (
                ("Company", "internal"), ("Finance", "restricted"), ("Engineering", ""),
                ("Sales", "confidential"), ("People", "restricted"), ("Design", "internal"),
                ("Customer Success", "confidential"),
            ), count=(3, 7), holds_secrets=True),
            _StoreGroup("drive", "my-drive", (("My Drive", "confidential"),), holds_secrets=True),
            _StoreGroup("directory", "directory", (("Workspace directory", "restricted"),)),
            _StoreGroup("calendar", "calendar", (("Calendars", "internal"),)),
        ),
        scopes=(
            _ScopeSpec("openid", "read", 6),
            _ScopeSpec(_g("userinfo.email"), "read", 5),
            _ScopeSpec(_g("gmail.readonly"), "read", 3, ("mailbox",), sensitive=True),
            _ScopeSpec(_g("gmail.modify"), "write", 1.5, ("mailbox",), sensitive=True),
            _ScopeSpec(_g("gmail.send"), "write", 1.5, ("mailbox",)),
            _ScopeSpec("https://mail.google.com/", "write", 0.5, ("mailbox=admin",),
                       sensitive=True),
            _ScopeSpec(_g("drive.readonly"), "read", 3, ("shared_drive", "drive")),
            _ScopeSpec(_g("drive"), "write", 2, ("shared_drive", "drive")),
            _ScopeSpec(_g("drive.file"), "write", 3),
            _ScopeSpec(_g("calendar.readonly"), "read", 2, ("calendar",)),
            _ScopeSpec(_g("calendar"), "write", 1.5, ("calendar",)),
            _ScopeSpec(_g("admin.directory.user.readonly"), "read", 2, ("directory",)),
            _ScopeSpec(_g("admin.directory.user"), "write", 0.8, ("directory",), sensitive=True),
            _ScopeSpec(_g("admin.directory.group"), "write", 0.6, ("directory",)),
            _ScopeSpec(_g("admin.directory.rolemanagement"), "admin", 0.2, ("@tenant",)),
        ),
        connector_credential=("service_account_key", False),
    ),
    _Provider(
        name="github",
        share=0.18,
        integration_kinds=(("oauth_app", 0.25), ("app_installation", 0.45), ("api_client", 0.30)),
        credential_kinds={
            "oauth_app": (("oauth_grant", 0.8, True), ("client_secret", 0.2, False)),
            "app_installation": (("certificate", 0.7, False), ("webhook_secret", 0.3, False)),
            "api_client": (("personal_access_token", 1.0, True),),
        },
        apps=(
            ("deploy-bot", "Deploys services from main to production"),
            ("dependency-updater", "Opens dependency update pull requests"),
            ("ci-runner", "Runs the build and test pipeline"),
            ("code-scanner", "Static analysis and secret scanning on pull requests"),
            ("release-notes", "Drafts release notes from merged pull requests"),
            ("repo-backup", "Mirrors repositories to cold storage"),
            ("issue-sync", "Syncs issues with the project tracker"),
            ("docs-publisher", "Publishes documentation sites"),
        ),
        stores=(
            _StoreGroup("repository", "repo", (
                ("api", ""), ("web", ""), ("billing", ""), ("auth", ""), ("infra", "restricted"),
                ("terraform", "restricted"), ("mobile", ""), ("data-pipeline", ""),
                ("ml-models", ""), ("docs", "public"), ("website", "public"), ("sdk", "public"),
                ("payments", "confidential"), ("search", ""), ("helm-charts", ""),
                ("ops-scripts", ""), ("frontend", ""), ("notifications", ""),
            ), count=(8, 30), numbered=True, holds_secrets=True, grow=40),
            _StoreGroup("secret_store", "actions-secrets", (("Actions secrets", "restricted"),),
                        holds_secrets=True),
            _StoreGroup("package_registry", "packages", (("Packages", "internal"),)),
        ),
        scopes=(
            _ScopeSpec("read:user", "read", 5),
            _ScopeSpec("user:email", "read", 4),
            _ScopeSpec("metadata:read", "read", 5),
            _ScopeSpec("read:org", "read", 3),
            _ScopeSpec("repo", "write", 3, ("repository",), sensitive=True),
            _ScopeSpec("public_repo", "write", 1.5, ("repository#public",)),
            _ScopeSpec("contents:read", "read", 4, ("repository",)),
            _ScopeSpec("contents:write", "write", 2.5, ("repository",)),
            _ScopeSpec("pull_requests:write", "write", 2, ("repository",)),
            # editing workflows lets a job print the secrets it is given
            _ScopeSpec("workflow", "write", 1, ("repository", "secret_store=read"), sensitive=True),
            _ScopeSpec("secrets:write", "write", 0.8, ("secret_store",), sensitive=True),
            _ScopeSpec("read:packages", "read", 2, ("package_registry",)),
            _ScopeSpec("write:packages", "write", 1, ("package_registry",)),
            _ScopeSpec("administration:write", "admin", 0.4, ("repository",)),
            _ScopeSpec("admin:repo_hook", "admin", 0.5, ("repository",)),
            _ScopeSpec("delete_repo", "admin", 0.3, ("repository",)),
            _ScopeSpec("admin:org", "admin", 0.4, ("@tenant",)),
        ),
        connector_credential=("personal_access_token", True),
    ),
    _Provider(
        name="slack",
        share=0.15,
        integration_kinds=(("bot", 0.45), ("webhook", 0.25), ("oauth_app", 0.30)),
        credential_kinds={
            "bot": (("oauth_grant", 0.85, False), ("webhook_secret", 0.15, False)),
            "webhook": (("webhook_secret", 1.0, False),),
            "oauth_app": (("oauth_refresh_token", 0.6, True), ("oauth_grant", 0.4, True)),
        },
        apps=(
            ("standup-bot", "Collects daily standup notes"),
            ("incident-bot", "Opens incident channels and pages on-call"),
            ("deploy-notifier", "Announces deploys"),
            ("crm-alerts", "Posts closed deals to the sales channel"),
            ("support-triage", "Routes customer tickets to channels"),
            ("meeting-notes", "Summarises huddles and meetings"),
            ("compliance-export", "Exports messages for retention"),
        ),
        stores=(
            _StoreGroup("channel", "channel", (
                ("general", "internal"), ("engineering", "internal"), ("random", "internal"),
                ("deploys", "internal"), ("sales", "confidential"), ("support", "confidential"),
                ("announcements", "public"), ("customer-escalations", "confidential"),
            ), count=(3, 8), holds_secrets=True),
            _StoreGroup("private_channel", "private-channel", (
                ("security-incidents", "restricted"), ("exec", "restricted"),
                ("hr-private", "restricted"), ("finance-close", "confidential"),
                ("oncall", "confidential"),
            ), count=(1, 5), holds_secrets=True),
            _StoreGroup("dm", "dms", (("Direct messages", "confidential"),), holds_secrets=True),
            _StoreGroup("files", "files", (("Shared files", "confidential"),)),
        ),
        scopes=(
            _ScopeSpec("channels:read", "read", 4),
            _ScopeSpec("users:read", "read", 4),
            _ScopeSpec("users:read.email", "read", 2),
            _ScopeSpec("chat:write", "write", 5, ("channel",)),
            _ScopeSpec("incoming-webhook", "write", 3, ("channel",)),
            _ScopeSpec("channels:history", "read", 3, ("channel",)),
            _ScopeSpec("groups:history", "read", 1, ("private_channel",), sensitive=True),
            _ScopeSpec("im:history", "read", 0.6, ("dm",), sensitive=True),
            _ScopeSpec("files:read", "read", 1.5, ("files",)),
            _ScopeSpec("channels:manage", "write", 0.8, ("channel",)),
            _ScopeSpec("admin", "admin", 0.2, ("@tenant",)),
        ),
        connector_credential=("oauth_grant", False),
    ),
    _Provider(
        name="okta",
        share=0.07,
        integration_kinds=(("api_client", 0.6), ("oauth_app", 0.4)),
        credential_kinds={
            # an Okta API token acts with the rights of the admin who created it
            "api_client": (
                ("api_key", 0.6, True),
                ("client_secret", 0.25, False),
                ("certificate", 0.15, False),
            ),
            "oauth_app": (("client_secret", 0.5, False), ("oauth_refresh_token", 0.5, True)),
        },
        apps=(
            ("SCIM provisioner", "Provisions users into downstream apps"),
            ("Access reviewer", "Runs quarterly access reviews"),
            ("SIEM log shipper", "Ships the system log to the SIEM"),
            ("Joiner-mover-leaver", "Applies HR changes to groups"),
            ("MFA reporter", "Reports on factor enrolment"),
        ),
        stores=(
            _StoreGroup("directory", "directory", (("Universal Directory", "restricted"),)),
            _StoreGroup("audit_log", "system-log", (("System Log", "confidential"),)),
            _StoreGroup("app_catalog", "apps", (("Applications", "confidential"),),
                        holds_secrets=True),
        ),
        scopes=(
            _ScopeSpec("okta.users.read", "read", 3, ("directory",)),
            _ScopeSpec("okta.users.manage", "write", 1.5, ("directory",), sensitive=True),
            _ScopeSpec("okta.groups.read", "read", 2, ("directory",)),
            _ScopeSpec("okta.groups.manage", "write", 1, ("directory",), sensitive=True),
            _ScopeSpec("okta.apps.read", "read", 1.5, ("app_catalog",)),
            _ScopeSpec("okta.apps.manage", "admin", 0.6, ("app_catalog",)),
            _ScopeSpec("okta.logs.read", "read", 2.5, ("audit_log",)),
            _ScopeSpec("okta.roles.manage", "admin", 0.2, ("@tenant",)),
        ),
        connector_credential=("api_key", True),
    ),
    _Provider(
        name="salesforce",
        share=0.11,
        integration_kinds=(("oauth_app", 0.7), ("api_client", 0.3)),
        credential_kinds={
            "oauth_app": (("oauth_refresh_token", 0.7, True), ("client_secret", 0.3, False)),
            "api_client": (("certificate", 0.6, False), ("client_secret", 0.4, False)),
        },
        apps=(
            ("Marketing automation", "Syncs leads and campaigns"),
            ("CPQ connector", "Quotes and contracts"),
            ("Support desk sync", "Mirrors cases to the support desk"),
            ("Revenue warehouse loader", "Loads opportunities into the warehouse"),
            ("E-signature", "Sends quotes for signature"),
            ("Data enrichment", "Enriches accounts and contacts"),
        ),
        stores=(
            _StoreGroup("object", "object", (
                ("Case", "confidential"), ("Account", "confidential"),
                ("Opportunity", "confidential"), ("Contact", "restricted"), ("Lead", "internal"),
                ("Contract", "restricted"), ("ContentDocument", "confidential"),
                ("Campaign", "internal"),
            ), count=(4, 8), holds_secrets=True),
        ),
        scopes=(
            _ScopeSpec("refresh_token", "read", 5),
            _ScopeSpec("openid", "read", 2),
            _ScopeSpec("web", "read", 1),
            _ScopeSpec("api", "write", 4, ("object",)),
            _ScopeSpec("ViewAllData", "read", 0.8, ("object",), sensitive=True),
            _ScopeSpec("{store}.Read", "read", 1.2, ("object",)),
            _ScopeSpec("{store}.Edit", "write", 0.6, ("object",)),
            _ScopeSpec("ModifyAllData", "admin", 0.3, ("@tenant",)),
            _ScopeSpec("full", "admin", 0.4, ("@tenant",)),
        ),
        connector_credential=("oauth_refresh_token", True),
    ),
    _Provider(
        name="aws",
        share=0.10,
        integration_kinds=(("service_account", 0.7), ("api_client", 0.3)),
        credential_kinds={
            "service_account": (("access_key", 1.0, False),),
            "api_client": (("access_key", 1.0, False),),
        },
        apps=(
            ("backup-exporter", "Exports SaaS backups to S3"),
            ("log-forwarder", "Forwards CloudWatch logs to the SIEM"),
            ("terraform-ci", "Applies infrastructure changes"),
            ("cost-reporter", "Reads billing data for FinOps"),
            ("etl-loader", "Loads the data lake"),
            ("media-uploader", "Uploads customer media"),
        ),
        stores=(
            _StoreGroup("bucket", "s3", (
                ("backups", "confidential"), ("logs", "internal"), ("data-lake-raw", "restricted"),
                ("data-lake-curated", "confidential"), ("terraform-state", "restricted"),
                ("static-assets", "public"), ("ml-artifacts", "internal"),
                ("exports", "confidential"), ("invoices", "restricted"),
                ("customer-uploads", "restricted"), ("athena-results", "internal"),
            ), count=(4, 16), numbered=True, holds_secrets=True, grow=100),
            _StoreGroup("secret_store", "secrets-manager", (("Secrets Manager", "restricted"),),
                        holds_secrets=True),
            _StoreGroup("table", "dynamodb", (
                ("sessions", "confidential"), ("orders", "confidential"),
                ("feature-flags", "internal"), ("audit", "restricted"),
            ), count=(1, 4)),
            _StoreGroup("log_group", "logs", (("CloudWatch Logs", "internal"),),
                        holds_secrets=True),
        ),
        scopes=(
            _ScopeSpec("policy/s3-read-{store}", "read", 0.8, ("bucket",)),
            _ScopeSpec("policy/s3-write-{store}", "write", 0.4, ("bucket",)),
            _ScopeSpec("AmazonS3ReadOnlyAccess", "read", 2, ("bucket",)),
            _ScopeSpec("AmazonS3FullAccess", "write", 1, ("bucket",), sensitive=True),
            _ScopeSpec("SecretsManagerReadWrite", "write", 0.6, ("secret_store",),
                       sensitive=True),
            _ScopeSpec("AmazonDynamoDBReadOnlyAccess", "read", 1, ("table",)),
            _ScopeSpec("AmazonDynamoDBFullAccess", "write", 0.5, ("table",)),
            _ScopeSpec("CloudWatchLogsReadOnlyAccess", "read", 1, ("log_group",)),
            _ScopeSpec("ReadOnlyAccess", "read", 1.5, ("bucket", "table", "log_group")),
            _ScopeSpec("IAMFullAccess", "admin", 0.2, ("@tenant",)),
            _ScopeSpec("AdministratorAccess", "admin", 0.4, ("@tenant",)),
        ),
        connector_credential=("access_key", False),
    ),
    _Provider(
        name="snowflake",
        share=0.07,
        integration_kinds=(("service_account", 0.7), ("api_client", 0.3)),
        credential_kinds={
            "service_account": (
                ("certificate", 0.6, False),
                ("personal_access_token", 0.4, True),
            ),
            "api_client": (("oauth_refresh_token", 0.7, True), ("client_secret", 0.3, False)),
        },
        apps=(
            ("ELT loader", "Replicates SaaS data into RAW"),
            ("dbt runner", "Builds the analytics models"),
            ("BI dashboards", "Serves dashboards from ANALYTICS"),
            ("Reverse ETL", "Pushes audiences back to SaaS tools"),
            ("Notebook service", "Data science notebooks"),
        ),
        stores=(
            _StoreGroup("database", "db", (
                ("ANALYTICS", "confidential"), ("RAW", "restricted"), ("FINANCE", "restricted"),
                ("MARKETING", "internal"), ("HR", "restricted"), ("PRODUCT", "internal"),
                ("SANDBOX", "internal"), ("ELT_STAGING", "confidential"),
            ), count=(3, 8), holds_secrets=True),
        ),
        scopes=(
            _ScopeSpec("PUBLIC", "read", 3),
            _ScopeSpec("{store}_READER", "read", 1.5, ("database",)),
            _ScopeSpec("{store}_WRITER", "write", 0.7, ("database",)),
            _ScopeSpec("SYSADMIN", "admin", 0.5, ("database",)),
            _ScopeSpec("SECURITYADMIN", "admin", 0.2, ("@tenant",)),
            _ScopeSpec("ACCOUNTADMIN", "admin", 0.3, ("@tenant",)),
        ),
        connector_credential=("certificate", False),
    ),
)

_ORGS = (
    "northwind", "contoso", "fabrikam", "globex", "initech", "umbrella", "hooli", "tailspin",
    "wingtip", "adatum", "litware", "proseware", "lamna", "woodgrove", "fourthcoffee", "alpine",
)
_AREAS = (
    "Payments", "Identity", "Data", "Growth", "Platform", "Security", "Finance", "Sales",
    "Support", "Marketing", "Mobile", "Search", "Infrastructure", "Analytics", "Legal", "People",
    "Billing", "Risk", "Onboarding", "Checkout",
)
_FUNCTIONS = (
    "Engineering", "Operations", "Analytics", "Platform", "Tooling", "Automation", "Integrations",
    "Reliability",
)
_VENDOR_STEMS = (
    "Acu", "Bright", "Cloud", "Data", "Flow", "Hyper", "Nimbus", "Octo", "Pipe", "Quanta", "Relay",
    "Sigma", "Stream", "Terra", "Vector", "Zen", "Lumen", "Kite",
)
_VENDOR_ENDS = (
    "ly", "sync", "works", "stack", "base", "hub", "labs", "ware", "bridge", "pilot",
)
_FIRST = (
    "alex", "sam", "jordan", "priya", "wei", "maria", "omar", "lena", "kofi", "yuki", "ines",
    "noah", "fatima", "ravi", "chloe", "mateo", "hana", "ivan", "zoe", "tariq",
)
_LAST = (
    "kim", "patel", "garcia", "nguyen", "smith", "okafor", "muller", "rossi", "tanaka", "silva",
    "cohen", "novak", "ali", "berg", "dubois", "ivanova", "khan", "lopez", "moreau", "sato",
)
# fmt: on

_KIND_TAG = {
    "oauth_app": "app",
    "service_account": "sa",
    "api_client": "client",
    "bot": "bot",
    "webhook": "webhook",
    "app_installation": "installation",
}
# "" is no tier recorded
_TIERS = (("critical", 0.05), ("high", 0.20), ("medium", 0.45), ("low", 0.25), ("", 0.05))
_REVIEW_CADENCE_DAYS = {"critical": 90, "high": 180, "medium": 365, "low": 730, "": 365}
_CREDENTIALS_PER_INTEGRATION = ((1, 0.24), (2, 0.24), (3, 0.22), (4, 0.16), (5, 0.14))
_SCOPES_PER_GRANT = ((1, 0.08), (2, 0.12), (3, 0.18), (4, 0.22), (5, 0.22), (6, 0.18))
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

# --------------------------------------------------------------------------- draws


class _Choice(Generic[_T]):
    """Weighted draws from a fixed list, O(log n) each (bisect over cumulative weights)."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, pairs: Sequence[tuple[_T, float]]) -> None:
        self.items = [p[0] for p in pairs]
        self.cum = list(accumulate(p[1] for p in pairs))
        self.total = self.cum[-1]

    def draw(self, rng: random.Random) -> _T:
        return self.items[bisect(self.cum, rng.random() * self.total)]

    def draw_distinct(self, rng: random.Random, k: int) -> list[_T]:
        k = min(k, len(self.items))
        chosen: dict[_T, None] = {}
        for _ in range(k * 20):
            chosen[self.draw(rng)] = None
            if len(chosen) == k:
                break
        return list(chosen)


def _zipf(n: int, s: float) -> _Choice[int]:
    return _Choice([(i, 1.0 / (i + 1) ** s) for i in range(n)])


_TIER_CHOICE = _Choice(_TIERS)
_CREDENTIAL_COUNT = _Choice(_CREDENTIALS_PER_INTEGRATION)
_SCOPE_COUNT = _Choice(_SCOPES_PER_GRANT)
_INTEGRATION_KINDS = [_Choice(p.integration_kinds) for p in _PROVIDERS]
_CREDENTIAL_KINDS = [
    {k: _Choice([((c, d), w) for c, w, d in v]) for k, v in p.credential_kinds.items()}
    for p in _PROVIDERS
]


def _stamp(age: int) -> str:
    """The timestamp ``age`` seconds before NOW (negative: after), in the canonical form."""
    return (NOW - timedelta(seconds=age)).isoformat() + "Z"


def _hex(rng: random.Random, n: int) -> str:
    return format(rng.getrandbits(4 * n), f"0{n}x")


def _guid(rng: random.Random) -> str:
    h = _hex(rng, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _identifier(rng: random.Random, provider: str, kind: str) -> str:
    """A public handle in the shape the provider shows; never secret-shaped."""
    if kind == "access_key":
        return "AKIA" + "".join(rng.choices(_B32, k=16))
    if kind == "certificate":
        return _hex(rng, 40).upper()  # SHA-1 thumbprint, as consoles show it
    if kind == "service_account_key":
        return _hex(rng, 40)  # private_key_id
    if kind in ("oauth_refresh_token", "oauth_grant"):  # the client the grant was made to
        if provider == "m365":
            return _guid(rng)
        if provider == "google_workspace":
            tail = "".join(rng.choices(_LOWER_ALNUM, k=32))
            return f"{rng.randrange(10**11, 10**12)}-{tail}.apps.googleusercontent.com"
        if provider == "github":
            return "Iv1." + _hex(rng, 16)
        if provider == "slack":
            if kind == "oauth_grant":
                return "B0" + "".join(rng.choices(_UPPER_ALNUM, k=9))  # bot user id
            return f"{rng.randrange(10**9, 10**10)}.{rng.randrange(10**12, 10**13)}"
    if kind == "client_secret" and provider == "m365":
        return f"{_guid(rng)} …{_hex(rng, 8)}"  # app client id and secret hint
    return "…" + _hex(rng, 8)


# --------------------------------------------------------------------------- tenants


@dataclass(slots=True)
class _Tenant:
    id: str
    provider: _Provider
    document: dict[str, Any]
    scope_choice: _Choice[str] = field(init=False)
    principals: list[str] = field(default_factory=list)
    principal_choice: _Choice[int] | None = None
    reach: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # scope -> targets
    stores: dict[str, dict[str, Any]] = field(default_factory=dict)
    holders: list[dict[str, Any]] = field(default_factory=list)  # stores that can keep secrets
    disabled_principals: set[str] = field(default_factory=set)


def _slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(part for part in out.split("-") if part)


def _store_names(rng: random.Random, group: _StoreGroup, load: int) -> list[tuple[str, str]]:
    lo, hi = group.count
    if group.numbered:
        k = rng.randint(lo, hi) + (load // group.grow if group.grow else 0)
        serials = rng.sample(range(1, 4 * k), k)
        picked = [rng.choice(group.names) for _ in range(k)]
        return [
            (f"{name}-{n}", cls) for (name, cls), n in zip(picked, sorted(serials), strict=True)
        ]
    extra = rng.randint(0, hi - lo)
    rest = sorted(rng.sample(range(lo, len(group.names)), min(extra, len(group.names) - lo)))
    return list(group.names[:lo]) + [group.names[i] for i in rest]


def _build_tenant(
    rng: random.Random, tenant_id: str, name: str, provider: _Provider, load: int
) -> _Tenant:
    classes = _Choice(_CLASSIFICATIONS)
    stores: list[dict[str, Any]] = []
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for group in provider.stores:
        for store_name, fixed in _store_names(rng, group, load):
            singleton = group.count == (1, 1) and not group.numbered
            sid = (
                f"{tenant_id}:{group.tag}" if singleton else f"{tenant_id}:{group.tag}:{store_name}"
            )
            if " " in sid:
                sid = f"{tenant_id}:{group.tag}:{_slug(store_name)}"
            store: dict[str, Any] = {
                "id": sid,
                "name": store_name,
                "kind": group.kind,
                "classification": fixed or classes.draw(rng),
            }
            stores.append(store)
            by_kind.setdefault(group.kind, []).append(store)
            if group.holds_secrets:
                by_kind.setdefault("#holds_secrets", []).append(store)

    def matching(selector: str) -> list[dict[str, Any]]:
        kind, _, cls = selector.partition("#")
        return [s for s in by_kind.get(kind, []) if not cls or s["classification"] == cls]

    scopes: list[dict[str, Any]] = []
    weights: list[tuple[str, float]] = []
    reach: dict[str, list[tuple[str, str]]] = {}
    for spec in provider.scopes:
        instances: list[tuple[str, list[tuple[str, str | None]]]] = []
        parsed = [(sel.partition("=")[0], sel.partition("=")[2] or None) for sel in spec.reaches]
        if "{store}" in spec.name:
            sel, acc = parsed[0]
            for store in matching(sel):
                instances.append((spec.name.format(store=store["name"]), [(store["id"], acc)]))
        else:
            targets: list[tuple[str, str | None]] = []
            for sel, acc in parsed:
                if sel == "@tenant":
                    targets.append((tenant_id, acc))
                else:
                    targets.extend((s["id"], acc) for s in matching(sel))
            instances.append((spec.name, targets))
        for scope_name, scope_targets in instances:
            scope_id = f"{tenant_id}/{scope_name}"
            record: dict[str, Any] = {
                "name": scope_name,
                "access": spec.access,
                "sensitive": spec.sensitive or spec.access == "admin",
            }
            if scope_targets:
                record["can_access"] = [
                    t if a is None else {"target": t, "access": a} for t, a in scope_targets
                ]
            scopes.append(record)
            weights.append((scope_id, spec.weight))
            reach[scope_id] = [(t, a or spec.access) for t, a in scope_targets]

    document = {
        "id": tenant_id,
        "provider": provider.name,
        "name": name,
        "data_stores": stores,
        "principals": [],
        "scopes": scopes,
    }
    tenant = _Tenant(tenant_id, provider, document, reach=reach)
    tenant.stores = {s["id"]: s for s in stores}
    tenant.holders = by_kind.get("#holds_secrets", [])
    tenant.scope_choice = _Choice(weights)
    return tenant


def _add_principals(rng: random.Random, tenant: _Tenant, count: int) -> None:
    seen: dict[str, int] = {}
    records: list[dict[str, Any]] = []
    apps = tenant.provider.apps
    for _ in range(count):
        service = rng.random() < 0.2
        if service:
            base = "svc-" + _slug(rng.choice(apps)[0])
        else:
            base = f"{rng.choice(_FIRST)}.{rng.choice(_LAST)}"
        seen[base] = seen.get(base, 0) + 1
        name = base if seen[base] == 1 else f"{base}{seen[base]}"
        kind = "service_account" if service else "user"
        records.append(
            {
                "id": f"{tenant.id}:{'sa' if service else 'user'}:{name}",
                "name": name,
                "kind": kind,
                "enabled": rng.random() >= 0.04,  # people leave; their grants stay
                "is_admin": rng.random() < 0.06,
            }
        )
    tenant.document["principals"] = records
    tenant.principals = [r["id"] for r in records]
    tenant.disabled_principals = {r["id"] for r in records if not r["enabled"]}
    tenant.principal_choice = _zipf(len(records), 0.7)


# --------------------------------------------------------------------------- estate


@dataclass(slots=True)
class _CredentialFacts:
    """What chaining needs to know about a credential after it is written."""

    id: str
    integration: int
    tenant: _Tenant
    grants: list[str]
    live: bool


def _credential(
    rng: random.Random,
    cid: str,
    tenant: _Tenant,
    kind: str,
    delegated: bool,
    integration_age: int,
    grants: list[str],
) -> tuple[dict[str, Any], int | None, bool]:
    """One credential record, its last-used age (None: never used) and whether it is live."""
    created = rng.randint(DAY, max(DAY, integration_age))
    usage = rng.random()
    if 0.05 <= usage < 0.20 and created <= _DORMANT_AFTER + DAY:
        usage = 0.5  # too young to be dormant
    expiry = rng.random()
    expires: int | None
    if expiry < 0.30:
        expires = None  # never expires
    elif expiry < 0.50:
        lifetime = rng.choice((30, 90, 180, 365, 730)) * DAY
        expires = created - lifetime if created - lifetime >= DAY else rng.randint(0, created)
        expires = max(expires, 1)
    else:
        expires = -rng.randint(DAY, 730 * DAY)
    floor = max(0, expires or 0)  # nothing is used after it expired
    last_used: int | None
    if usage < 0.05:
        last_used = None
    elif usage < 0.20:
        last_used = rng.randint(max(_DORMANT_AFTER + 1, floor), created)
    else:
        upper = min(_DORMANT_AFTER, created)
        last_used = rng.randint(floor, upper) if floor <= upper else floor
    record: dict[str, Any] = {
        "id": cid,
        "kind": kind,
        "identifier": _identifier(rng, tenant.provider.name, kind),
        "created_at": _stamp(created),
    }
    if expires is not None:
        record["expires_at"] = _stamp(expires)
    status = rng.random()
    revoked: int | None = None
    if status < 0.07:
        revoked = rng.randint(0, min(created, 400 * DAY))
        if last_used is not None:
            last_used = max(last_used, revoked)
    if last_used is not None:
        record["last_used_at"] = _stamp(last_used)
    if created > 45 * DAY and rng.random() < 0.25:
        earliest = max(floor, revoked or 0)  # not rotated after it expired or was revoked
        if earliest < created - DAY:
            record["last_rotated_at"] = _stamp(rng.randint(earliest, created - DAY))
    if revoked is not None:
        record["status"] = "revoked"
        record["revoked_at"] = _stamp(revoked)
    elif status < 0.09:
        record["status"] = "disabled"
    else:
        record["status"] = "active"
    record["grants"] = grants
    live = record["status"] == "active" and (expires is None or expires < 0)
    if delegated and tenant.principals and rng.random() < 0.9:
        assert tenant.principal_choice is not None
        principal = tenant.principals[tenant.principal_choice.draw(rng)]
        record["acts_as"] = principal
        live = live and principal not in tenant.disabled_principals
    return record, last_used, live


def _grant_set(rng: random.Random, base: list[str], tenant: _Tenant) -> list[str]:
    """What one credential grants: usually the app's set, sometimes more (creep) or less."""
    roll = rng.random()
    if roll < 0.65 or len(base) >= 6:
        grants = list(base)
    elif roll < 0.80:
        grants = list(
            dict.fromkeys(base + tenant.scope_choice.draw_distinct(rng, rng.randint(1, 2)))
        )
    else:
        grants = [s for s in base if rng.random() < 0.6] or [rng.choice(base)]
    return grants[:6]


def generate(integrations: int, seed: int, chaining: float = 0.015) -> dict[str, Any]:
    """A synthetic inventory document of ``integrations`` integrations, the same for a seed.

    ``chaining`` is the fraction of data stores that hold other integrations'
    credentials (1.5% by default; raise it to study dense credential chaining).

    Sizes: teams ≈ N/50 (min 5), vendors ≈ N/100 (min 3), per provider one tenant
    per ~2,000 of its integrations (min 1), repositories and buckets growing with
    their tenant's load; about 20 relationships per integration once transformed.
    Cost O(N); N=50,000 takes a few seconds.
    """
    if integrations < 0:
        raise ValueError("integrations must be zero or more")
    if not 0 <= chaining <= 1:
        raise ValueError("chaining must be a fraction between 0 and 1")
    # Millions of small dicts and lists and no cycles among them: the cyclic collector
    # would only rescan them over and over (about a quarter of the run time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Estate(random.Random(seed), integrations, chaining).document()
    finally:
        if collecting:
            gc.enable()


class _Estate:
    """One generation run: the draws, in a fixed order, and what later steps look up."""

    def __init__(self, rng: random.Random, n: int, chaining: float) -> None:
        self.rng = rng
        self.n = n
        self.chaining = chaining
        self.teams = self._teams()
        self.vendors = self._vendors()
        self.provider_choice = _Choice([(i, p.share) for i, p in enumerate(_PROVIDERS)])
        self.by_provider: list[list[_Tenant]] = []
        self.tenant_choice: list[_Choice[int]] = []
        self.homes: list[tuple[int, _Tenant]] = []
        self.facts: list[_CredentialFacts] = []
        self._tenants()

    @property
    def tenants(self) -> list[_Tenant]:
        return [t for own in self.by_provider for t in own]

    def document(self) -> dict[str, Any]:
        records = [self._integration(i, p, home) for i, (p, home) in enumerate(self.homes)]
        _chain(self.rng, self.tenants, self.facts, self.chaining)
        return {
            "format": FORMAT,
            "inventory": INVENTORY,
            "teams": self.teams,
            "vendors": self.vendors,
            "tenants": [t.document for t in self.tenants],
            "data_stores": [],
            "integrations": records,
        }

    def _teams(self) -> list[dict[str, Any]]:
        # popularity is Zipf by position (see team_choice); names are shuffled
        combos = [f"{a} {f}" for a in _AREAS for f in _FUNCTIONS]
        self.rng.shuffle(combos)
        teams = []
        for i in range(max(5, round(self.n / 50))):
            name = combos[i % len(combos)]
            if i >= len(combos):
                name += f" {i // len(combos) + 1}"
            status = "disbanded" if self.rng.random() < 0.04 else "active"
            teams.append({"id": f"inventory:team:team-{i + 1}", "name": name, "status": status})
        self.team_choice = _zipf(len(teams), 0.5)
        return teams

    def _vendors(self) -> list[dict[str, Any]]:
        stems = [s + e for s in _VENDOR_STEMS for e in _VENDOR_ENDS]
        self.rng.shuffle(stems)
        vendors = []
        for i in range(max(3, round(self.n / 100))):
            name = stems[i % len(stems)]
            if i >= len(stems):
                name += f" {i // len(stems) + 1}"
            vendor: dict[str, Any] = {"id": f"inventory:vendor:{_slug(name)}", "name": name}
            if self.rng.random() < 0.10:
                vendor["status"] = "offboarded"
                vendor["offboarded_at"] = _stamp(self.rng.randint(10 * DAY, 700 * DAY))
            else:
                vendor["status"] = "active"
            vendors.append(vendor)
        self.vendor_choice = _zipf(len(vendors), 0.8)
        return vendors

    def _tenants(self) -> None:
        """Tenants per provider, sized by how many integrations each turns out to hold."""
        rng = self.rng
        names = []
        for provider in _PROVIDERS:
            count = max(1, round(self.n * provider.share / 2000))
            names.append([f"{rng.choice(_ORGS)}-{k + 1}" for k in range(count)])
            self.tenant_choice.append(_zipf(count, 0.5))
        homes = []
        load = [[0] * len(own) for own in names]
        for _ in range(self.n):
            p = self.provider_choice.draw(rng)
            k = self.tenant_choice[p].draw(rng)
            homes.append((p, k))
            load[p][k] += 1
        for p, provider in enumerate(_PROVIDERS):
            own = []
            for k, name in enumerate(names[p]):
                tenant = _build_tenant(rng, f"{provider.name}:{name}", name, provider, load[p][k])
                _add_principals(rng, tenant, max(6, round(load[p][k] * 0.35)))
                own.append(tenant)
            self.by_provider.append(own)
        self.homes = [(p, self.by_provider[p][k]) for p, k in homes]

    def _integration(self, i: int, p: int, home: _Tenant) -> dict[str, Any]:
        rng = self.rng
        provider = _PROVIDERS[p]
        kind = _INTEGRATION_KINDS[p].draw(rng)
        app_name, purpose = rng.choice(provider.apps)
        local = f"{_slug(app_name)}-{i + 1}"
        age = 30 * DAY + min(int(rng.expovariate(1 / (700 * DAY))), 2900 * DAY)
        status = "disabled" if rng.random() < 0.05 else "enabled"
        record: dict[str, Any] = {
            "id": f"{home.id}:{_KIND_TAG[kind]}:{local}",
            "name": app_name,
            "kind": kind,
            "status": status,
            "lifecycle": "retired" if rng.random() < 0.06 else "in_use",
            "purpose": purpose,
            "created_at": _stamp(age),
        }
        tier = _TIER_CHOICE.draw(rng)
        if rng.random() < 0.92:
            cadence = _REVIEW_CADENCE_DAYS[tier] * DAY
            due = -rng.randint(0, cadence) if rng.random() < 0.75 else rng.randint(DAY, 400 * DAY)
            record["review_due"] = _stamp(due)
        if tier:
            record["risk_tier"] = tier
        owner = -1
        if rng.random() >= 0.05:
            owner = self.team_choice.draw(rng)
            record["owner"] = self.teams[owner]["id"]
        # power law: most integrations have no other users, a few are shared by many teams
        n_teams = len(self.teams)
        extra = min(int(rng.paretovariate(2.0)) - 1, n_teams - 1, 150)
        users = [t for t in rng.sample(range(n_teams), extra + 1) if t != owner][:extra]
        record["users"] = [self.teams[t]["id"] for t in users]
        if rng.random() < 0.55:
            record["vendor"] = self.vendors[self.vendor_choice.draw(rng)]["id"]

        # credentials; a connector (~12%) keeps its last one in another provider's tenant
        n_creds = _CREDENTIAL_COUNT.draw(rng)
        where = [home] * n_creds
        if n_creds >= 2 and rng.random() < 0.12:
            other = self.provider_choice.draw(rng)
            if other != p:
                where[-1] = self.by_provider[other][self.tenant_choice[other].draw(rng)]
        bases: dict[str, list[str]] = {}  # per tenant, the scopes the app asks for
        granted: dict[str, None] = {}
        credentials = []
        last_used: int | None = None
        for j, tenant in enumerate(where):
            base = bases.get(tenant.id)
            if base is None:
                base = tenant.scope_choice.draw_distinct(rng, _SCOPE_COUNT.draw(rng))
                bases[tenant.id] = base
            grants = _grant_set(rng, base, tenant)
            granted.update(dict.fromkeys(grants))
            if tenant is home:
                ckind, delegated = _CREDENTIAL_KINDS[p][kind].draw(rng)
            else:
                ckind, delegated = tenant.provider.connector_credential
            cid = f"{tenant.id}:cred:{local}-{j + 1}"
            cred, used, live = _credential(rng, cid, tenant, ckind, delegated, age, grants)
            credentials.append(cred)
            self.facts.append(
                _CredentialFacts(cid, i, tenant, grants, live and status == "enabled")
            )
            if used is not None:
                last_used = used if last_used is None else min(last_used, used)
        if last_used is not None:
            record["last_used_at"] = _stamp(last_used)

        # the approval record: usually a subset of what is granted, sometimes all of it
        roll = rng.random()
        approved = list(granted)
        if roll < 0.05:
            approved = []  # never reviewed
        elif roll >= 0.55:
            approved = [s for s in approved if rng.random() < 0.65] or approved[:1]
            if roll > 0.97:  # approved but never granted
                approved += [s for s in home.scope_choice.draw_distinct(rng, 1) if s not in granted]
        record["approved_scopes"] = approved
        record["credentials"] = credentials
        return record


def _reached(fact: _CredentialFacts) -> list[dict[str, Any]]:
    """Data stores that can hold secrets, reached directly by a credential's grants."""
    tenant = fact.tenant
    reached: dict[str, None] = {}
    for scope in fact.grants:
        for target, access in tenant.reach.get(scope, ()):
            if target != tenant.id:
                reached[target] = None
            elif access == "admin":
                reached.update(dict.fromkeys(tenant.stores))
    return [s for s in tenant.holders if s["id"] in reached]


def _chain(
    rng: random.Random, tenants: list[_Tenant], facts: list[_CredentialFacts], fraction: float
) -> None:
    """Put credentials into ``fraction`` of data stores, cycles included.

    A cycle: store A holds x, x reaches store B, B holds y, y reaches A.
    """
    holders = [s for t in tenants for s in t.holders]
    if not facts or len(holders) < 2:
        return
    total = sum(len(t.stores) for t in tenants)
    wanted = min(len(holders), max(3, round(total * fraction)))
    stored: dict[str, list[str]] = {}

    def put(store: dict[str, Any], credential: str) -> None:
        stored.setdefault(store["id"], [])
        if credential not in stored[store["id"]]:
            stored[store["id"]].append(credential)
        store["stores_credentials"] = stored[store["id"]]

    live = [f for f in facts if f.live]
    cycles = max(1, wanted // 3)
    for _ in range(200 * cycles):
        if cycles == 0 or len(live) < 2 or len(stored) + 2 > wanted:
            break
        x, y = rng.choice(live), rng.choice(live)
        if x.integration == y.integration:
            continue
        reach_x = [s for s in _reached(x) if s["id"] not in stored]
        reach_y = [s for s in _reached(y) if s["id"] not in stored]
        if not reach_x or not reach_y:
            continue
        b = rng.choice(reach_x)
        a_choices = [s for s in reach_y if s["id"] != b["id"]]
        if not a_choices:
            continue
        a = rng.choice(a_choices)
        put(a, x.id)  # a holds x, x reaches b, b holds y, y reaches a
        put(b, y.id)
        cycles -= 1
    free = [s for s in holders if s["id"] not in stored]
    for store in rng.sample(free, min(len(free), wanted - len(stored))):
        put(store, rng.choice(facts).id)
    more = _Choice(((0, 0.5), (1, 0.3), (2, 0.2)))
    for store in [s for s in holders if s["id"] in stored]:
        for _ in range(more.draw(rng)):
            if len(stored[store["id"]]) < 3:
                put(store, rng.choice(facts).id)


# --------------------------------------------------------------------------- writing


def _yaml_dumper() -> Any:
    return getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def write(document: Mapping[str, Any], path: Path) -> None:
    """Write a document as compact JSON (``.json``) or block YAML (``.yaml``, ``.yml``)."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"
    elif suffix in (".yaml", ".yml"):
        text = yaml.dump(
            dict(document), Dumper=_yaml_dumper(), sort_keys=False, allow_unicode=True, width=120
        )
    else:
        raise InputError(
            str(path), "file", None, "unsupported file type (use .json, .yaml or .yml)"
        )
    path.write_text(text, encoding="utf-8")


__all__ = ["INVENTORY", "NOW", "generate", "write"]
