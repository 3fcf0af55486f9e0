"""Compromise response with exact answers: the demo's offboarded vendor, a chained plan,
credential lookup, what-if revocations, and the reduced view against a really reduced
graph. Each store test runs on the embedded store and on Neo4j."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nhigraph.errors import ConfigError, NhigraphError
from nhigraph.graph.blast import blast_radius, effective_vs_approved, resolve_start
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.estate import read_estate
from nhigraph.graph.model import CredentialKind
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.policy import default_policy
from nhigraph.graph.store import Batch, NodeRow, RelRow, SyncRun
from nhigraph.ingest.redaction import Fingerprinter
from nhigraph.ingest.sync import read_inventories, write_batches
from nhigraph.posture.impact import (
    IncidentInputError,
    ReducedView,
    compromise_impact,
    credential_lookup,
    default_revocations,
    load_revocations,
    what_if,
)
from tests.test_blast import Graph
from tests.test_parity import estates

Store = EmbeddedStore | Neo4jStore
POLICY = default_policy()
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
AS_OF = "2026-11-20T00:00:00Z"
NOW = "2026-11-29T00:00:00Z"
LEDGERLY = "inventory:vendor:ledgerly"
SYNCBRIDGE = "salesforce:northwind:connected-app:syncbridge"
SYNCBRIDGE_TOKEN = "salesforce:northwind:cred:syncbridge-refresh"
FINGERPRINT = Fingerprinter(b"x" * 32).fingerprint
SECRET = "okta-00Tq8sLeakedTokenValue0000000000000000Zz91"


def load_demo(store: Store) -> Store:
    write_batches(store, read_inventories(store, [EXAMPLES / "demo-estate.yaml"]))
    return store


# --------------------------------------------------------------------------- the demo's vendor


def test_the_offboarded_vendors_plan_on_the_demo(store: Store) -> None:
    """Ledgerly, offboarded 2026-06-30, still holds a live Microsoft 365 client secret and
    a live Google refresh token (the demo's comments): both are revoked, the Microsoft
    one first (it reaches more), each in its own tenant with its provider's action."""
    load_demo(store)
    impact = compromise_impact(store, read_estate(store), [LEDGERLY], AS_OF, POLICY)
    assert impact.radius.live_start == (
        "google_workspace:northwind:cred:ledgerly-refresh",
        "m365:northwind:cred:ledgerly-expense-secret",
    )
    assert [
        (s.order, s.credential, s.kind, s.tenant, s.tenant_from, s.provider, s.why, s.live,
         s.own_score, s.action.entry)
        for s in impact.plan
    ] == [
        (1, "m365:northwind:cred:ledgerly-expense-secret", "client_secret", "m365:northwind",
         "scopes", "m365", "start", True, 39.0, "m365"),
        (2, "google_workspace:northwind:cred:ledgerly-refresh", "oauth_refresh_token",
         "google_workspace:northwind", "scopes", "google_workspace", "start", True, 22.0,
         "google_workspace"),
    ]  # fmt: skip
    first, second = impact.plan
    assert first.identifier == "client 6b1f0a2e-4c3d-4e8b-9a71-2d5c8e3f9b10, secret …Qk7v2mXp"
    assert first.integrations == ("m365:northwind:sp:ledgerly-expense-sync",)
    assert first.action.api == (
        "POST https://graph.microsoft.com/v1.0/applications/{id}/removePassword "
        '{"keyId": "<keyId>"}',
        'POST https://graph.microsoft.com/v1.0/servicePrincipals/{id}/removePassword {"keyId": '
        '"<keyId>"} (a secret added to the service principal)',
    )
    assert first.action.where == (
        "Microsoft Entra admin center > Identity > Applications > App registrations > "
        "(the app) > Certificates & secrets > Client secrets > Delete"
    )
    assert second.integrations == ("google_workspace:northwind:app:ledgerly-receipts",)
    assert second.action.api == (
        "DELETE https://admin.googleapis.com/admin/directory/v1/users/{userKey}/tokens/{clientId}",
    )
    assert [(t.tenant, t.provider, t.steps) for t in impact.by_tenant] == [
        ("m365:northwind", "m365", (1,)),
        ("google_workspace:northwind", "google_workspace", (2,)),
    ]
    assert impact.not_in_plan == ()
    assert [t.to_dict() for t in impact.teams] == [
        {
            "team": "inventory:team:finance",
            "name": "Finance",
            "status": "active",
            "owns": [
                "google_workspace:northwind:app:ledgerly-receipts",
                "m365:northwind:sp:ledgerly-expense-sync",
            ],
            "uses": [],
        }
    ]
    assert [(v.vendor, v.status, v.provides) for v in impact.vendors] == [
        (LEDGERLY, "offboarded", ("google_workspace:northwind:app:ledgerly-receipts",
                                  "m365:northwind:sp:ledgerly-expense-sync")),
    ]  # fmt: skip
    assert impact.unowned == ()
    # Most sensitive first, then admin before write before read, then id.
    assert [(s.store, s.classification, s.access) for s in impact.stores_to_check] == [
        ("m365:northwind:sharepoint:finance", "restricted", "write"),
        ("google_workspace:northwind:drive:shared:contracts", "restricted", "read"),
        ("m365:northwind:onedrive", "confidential", "write"),
        ("google_workspace:northwind:drive", "confidential", "read"),
        ("google_workspace:northwind:gmail", "confidential", "read"),
        ("m365:northwind:exchange:mailboxes", "confidential", "read"),
        ("m365:northwind:sharepoint:intranet", "internal", "write"),
        ("google_workspace:northwind:drive:shared:brand-assets", "internal", "read"),
    ]
    assert impact.radius.score == 39 + 22
    assert impact.radius.exposed == ()
    dumped = impact.to_dict()
    assert json.loads(json.dumps(dumped)) == dumped
    assert dumped["plan"][0]["why"] == "start"


def test_after_the_secret_expires_only_the_google_token_is_left(store: Store) -> None:
    load_demo(store)
    impact = compromise_impact(store, read_estate(store), [LEDGERLY], "2027-04-01T00:00:00Z",
                               POLICY)  # fmt: skip
    assert [s.credential for s in impact.plan] == [
        "google_workspace:northwind:cred:ledgerly-refresh"
    ]
    assert [n.to_dict() for n in impact.not_in_plan] == [
        {
            "credential": "m365:northwind:cred:ledgerly-expense-secret",
            "reason": "expired at 2027-03-31T08:00:00Z",
        }
    ]


# --------------------------------------------------------------------------- a chained plan


class Estate(Graph):
    """test_blast's builder, with credentials of any kind and without an integration."""

    def credential(  # type: ignore[override]
        self,
        integration_id: str | None,
        credential_id: str,
        *grants: str,
        kind: str = "api_key",
        **props: Any,
    ) -> Estate:
        props.setdefault("status", "active")
        self.node("Credential", credential_id, kind=kind, **props)
        if integration_id is not None:
            self.rel("HAS_CREDENTIAL", integration_id, credential_id)
        for scope_id in grants:
            self.rel("GRANTS", credential_id, scope_id)
        return self


def chained_estate() -> Estate:
    """An ETL access key reads a secrets store holding five live credentials; the dbt key
    pair among them writes a database holding a reader token (depth 2)."""
    g = Estate()
    for team in ("data", "bi", "platform"):
        g.node("Team", f"team:{team}", name=team.title(), status="active")
    g.tenant("aws:prod", "aws", ("aws:prod:secrets", "restricted"), ("aws:prod:logs", "internal"))
    g.tenant("snow:acme", "snowflake", ("snow:acme:db:ANALYTICS", "restricted"),
             ("snow:acme:db:RAW", "confidential"))  # fmt: skip
    g.tenant("gh:acme", "github", ("gh:acme:repo:infra", "restricted"))
    g.scope("aws:prod", "SecretsRead", "read", "aws:prod:secrets")
    g.scope("snow:acme", "TRANSFORMER", "write", "snow:acme:db:ANALYTICS",
            ("snow:acme:db:RAW", "read"))  # fmt: skip
    g.scope("snow:acme", "REPORTER", "read", "snow:acme:db:ANALYTICS")
    g.scope("gh:acme", "contents:read", "read", "gh:acme:repo:infra")
    g.integration("aws:prod:user:etl")
    g.rel("OWNS", "team:data", "aws:prod:user:etl")
    g.credential("aws:prod:user:etl", "aws:prod:key:etl", "aws:prod/SecretsRead",
                 kind="access_key", identifier="AKIAQ3ETL0KEY1D00001")  # fmt: skip
    g.credential("aws:prod:user:etl", "aws:prod:key:old", "aws:prod/SecretsRead",
                 kind="access_key", status="revoked",
                 revoked_at="2026-01-01T00:00:00Z")  # fmt: skip
    g.credential("aws:prod:user:etl", "aws:prod:key:deleg", "aws:prod/SecretsRead",
                 kind="access_key")  # fmt: skip
    g.node("Principal", "aws:prod:user:gone", name="gone", kind="user", enabled=False,
           is_admin=False)  # fmt: skip
    g.rel("ACTS_AS", "aws:prod:key:deleg", "aws:prod:user:gone")
    g.integration("snow:acme:svc:dbt")
    g.rel("OWNS", "team:data", "snow:acme:svc:dbt")
    g.rel("USES", "team:bi", "snow:acme:svc:dbt")
    g.credential("snow:acme:svc:dbt", "snow:acme:cred:dbt", "snow:acme/TRANSFORMER",
                 "snow:acme/REPORTER", kind="certificate",
                 identifier="SVC_DBT RSA_PUBLIC_KEY_FP …c0f1e2d3")  # fmt: skip
    g.integration("snow:acme:svc:reader")  # nobody owns it
    g.credential("snow:acme:svc:reader", "snow:acme:cred:reader", "snow:acme/REPORTER",
                 identifier="programmatic access token …Q9w8E7r6")  # fmt: skip
    g.integration("gh:acme:app:ci")
    g.rel("OWNS", "team:platform", "gh:acme:app:ci")
    g.credential("gh:acme:app:ci", "gh:acme:cred:alpha", "gh:acme/contents:read",
                 kind="personal_access_token",
                 identifier="ghp_…a1b2c3d4 (classic, svc-ci)")  # fmt: skip
    # github lists no service_account_key: the default entry applies.
    g.credential("gh:acme:app:ci", "gh:acme:cred:bot", "gh:acme/contents:read",
                 kind="service_account_key")  # fmt: skip
    g.integration("gh:acme:app:hooks")
    g.rel("OWNS", "team:platform", "gh:acme:app:hooks")
    g.rel("USES", "team:data", "gh:acme:app:hooks")
    g.rel("APPROVED_FOR", "gh:acme:app:hooks", "gh:acme/contents:read")
    g.credential("gh:acme:app:hooks", "legacy:cred:x", kind="webhook_secret")  # grants nothing
    g.credential(None, "okta:acme:cred:lost", kind="api_key", fingerprint=FINGERPRINT(SECRET))
    for stored in ("snow:acme:cred:dbt", "gh:acme:cred:alpha", "gh:acme:cred:bot",
                   "legacy:cred:x", "okta:acme:cred:lost"):  # fmt: skip
        g.rel("STORES", "aws:prod:secrets", stored)
    g.rel("STORES", "snow:acme:db:ANALYTICS", "snow:acme:cred:reader")
    return g


def test_the_plan_orders_exposed_credentials_by_their_own_blast_score(store: Store) -> None:
    chained_estate().load(store)
    impact = compromise_impact(store, read_estate(store), ["aws:prod:user:etl"], NOW, POLICY)
    assert [
        (s.order, s.credential, s.why, s.live, s.own_score, s.tenant, s.tenant_from, s.provider,
         s.action.entry)
        for s in impact.plan
    ] == [
        # secrets 10 + ANALYTICS (write) 20 + RAW (read) 5 + infra 10
        (1, "aws:prod:key:etl", "start", True, 45.0, "aws:prod", "scopes", "aws", "aws"),
        (2, "aws:prod:key:deleg", "start", False, 0.0, "aws:prod", "scopes", "aws", "aws"),
        (3, "snow:acme:cred:dbt", "exposed in aws:prod:secrets at depth 1", True, 25.0,
         "snow:acme", "scopes", "snowflake", "snowflake"),
        (4, "gh:acme:cred:alpha", "exposed in aws:prod:secrets at depth 1", True, 10.0,
         "gh:acme", "scopes", "github", "github"),
        (5, "gh:acme:cred:bot", "exposed in aws:prod:secrets at depth 1", True, 10.0,
         "gh:acme", "scopes", "github", "default"),
        (6, "snow:acme:cred:reader", "exposed in snow:acme:db:ANALYTICS at depth 2", True, 10.0,
         "snow:acme", "scopes", "snowflake", "snowflake"),
        (7, "legacy:cred:x", "exposed in aws:prod:secrets at depth 1", True, 0.0,
         "gh:acme", "integration", "github", "github"),
        (8, "okta:acme:cred:lost", "exposed in aws:prod:secrets at depth 1", True, 0.0,
         "okta:acme", "id", "okta", "okta"),
    ]  # fmt: skip
    deleg = impact.plan[1]
    assert deleg.note == (
        "not live at 2026-11-29T00:00:00Z: it acts as a disabled principal; revoke it anyway"
    )
    assert impact.plan[4].action.where == (
        "The provider's console > the service account > keys > disable, then delete the key"
    )
    assert impact.plan[7].action.api == (
        "DELETE https://{yourOktaDomain}/api/v1/api-tokens/{apiTokenId}",
    )
    assert [n.to_dict() for n in impact.not_in_plan] == [
        {"credential": "aws:prod:key:old", "reason": "revoked at 2026-01-01T00:00:00Z"}
    ]
    assert [(t.tenant, t.provider, t.steps) for t in impact.by_tenant] == [
        ("aws:prod", "aws", (1, 2)),
        ("snow:acme", "snowflake", (3, 6)),
        ("gh:acme", "github", (4, 5, 7)),
        ("okta:acme", "okta", (8,)),
    ]
    assert [(t.team, t.owns, t.uses) for t in impact.teams] == [
        ("team:bi", (), ("snow:acme:svc:dbt",)),
        ("team:data", ("aws:prod:user:etl", "snow:acme:svc:dbt"), ("gh:acme:app:hooks",)),
        ("team:platform", ("gh:acme:app:ci", "gh:acme:app:hooks"), ()),
    ]
    assert impact.unowned == ("snow:acme:svc:reader",)
    assert [(s.store, s.access, s.depth) for s in impact.stores_to_check] == [
        ("snow:acme:db:ANALYTICS", "write", 1),
        ("aws:prod:secrets", "read", 0),
        ("gh:acme:repo:infra", "read", 1),
        ("snow:acme:db:RAW", "read", 1),
    ]


def test_an_unknown_start_is_named(store: Store) -> None:
    chained_estate().load(store)
    with pytest.raises(NhigraphError, match=r"^unknown start ids: nope:1$"):
        compromise_impact(store, read_estate(store), ["nope:1"], NOW, POLICY)


# --------------------------------------------------------------------------- credential lookup


def lookup(store: Store, **query: Any) -> list[tuple[str, str]]:
    return [(m.credential, m.how) for m in credential_lookup(read_estate(store), **query)]


def test_lookup_by_identifier_and_by_its_last_characters(store: Store) -> None:
    chained_estate().load(store)
    assert lookup(store, identifier="AKIAQ3ETL0KEY1D00001") == [("aws:prod:key:etl", "identifier")]
    assert lookup(store, identifier=" SVC_DBT ") == [("snow:acme:cred:dbt", "identifier")]
    for query in ("…a1b2c3d4", "...a1b2c3d4", "a1b2c3d4", "b2c3d4"):
        assert lookup(store, identifier=query) == [("gh:acme:cred:alpha", "suffix")], query
    assert lookup(store, identifier="1D00001") == [("aws:prod:key:etl", "suffix")]
    with pytest.raises(IncidentInputError) as short:
        lookup(store, identifier="c3d")  # three characters match only a whole part
    assert str(short.value) == (
        "'c3d' is no whole identifier or part of one; give at least 4 characters to match "
        "the start or the end of an identifier"
    )
    assert lookup(store, identifier="ZZZZ9999") == []
    matches = credential_lookup(read_estate(store), identifier="…Q9w8E7r6")
    assert [m.to_dict() for m in matches] == [
        {
            "credential": "snow:acme:cred:reader",
            "kind": "api_key",
            "identifier": "programmatic access token …Q9w8E7r6",
            "how": "suffix",
            "integrations": ["snow:acme:svc:reader"],
        }
    ]
    with pytest.raises(IncidentInputError) as excinfo:
        credential_lookup(read_estate(store), identifier="…d4")
    assert str(excinfo.value) == (
        "give at least 4 characters after the ellipsis to match the end of an identifier"
    )
    with pytest.raises(IncidentInputError, match=r"^give an identifier or a secret to look for$"):
        credential_lookup(read_estate(store))


def test_lookup_by_the_first_characters_of_a_key_id(store: Store) -> None:
    chained_estate().load(store)
    for query in ("AKIA", "AKIAQ3ETL", "AKIAQ3…", "AKIAQ3..."):
        assert lookup(store, identifier=query) == [("aws:prod:key:etl", "prefix")], query
    assert lookup(store, identifier="ghp_") == [("gh:acme:cred:alpha", "prefix")]
    # A trailing ellipsis asks for the start only: the end of an identifier does not match.
    assert lookup(store, identifier="a1b2c3d4…") == []
    with pytest.raises(IncidentInputError) as excinfo:
        lookup(store, identifier="AK…")
    assert str(excinfo.value) == (
        "give at least 4 characters before the ellipsis to match the start of an identifier"
    )


def test_lookup_by_a_pasted_secret_never_returns_it(store: Store) -> None:
    chained_estate().load(store)
    estate = read_estate(store)
    matches = credential_lookup(estate, secret=SECRET, fingerprint=FINGERPRINT)
    assert [(m.credential, m.how, m.integrations) for m in matches] == [
        ("okta:acme:cred:lost", "fingerprint", ())
    ]
    # A leaked value whose last characters a stored identifier shows, and an unknown one.
    leaked = "ghp_" + "Q" * 32 + "a1b2c3d4"
    assert lookup(store, secret=leaked, fingerprint=FINGERPRINT) == [
        ("gh:acme:cred:alpha", "suffix")
    ]
    assert lookup(store, secret="never-seen-anywhere", fingerprint=FINGERPRINT) == []
    # Both ways at once, strongest first.
    both = credential_lookup(estate, identifier="a1b2c3d4", secret=SECRET, fingerprint=FINGERPRINT)
    assert [(m.credential, m.how) for m in both] == [
        ("okta:acme:cred:lost", "fingerprint"),
        ("gh:acme:cred:alpha", "suffix"),
    ]
    for value in (SECRET, leaked):
        found = credential_lookup(estate, secret=value, fingerprint=FINGERPRINT)
        shown = repr(found) + json.dumps([m.to_dict() for m in found], ensure_ascii=False)
        assert value not in shown
        assert value[-12:] not in shown
    with pytest.raises(IncidentInputError) as excinfo:
        credential_lookup(estate, secret=SECRET)
    assert str(excinfo.value) == (
        "a pasted secret needs the installation's fingerprint function to be matched"
    )
    assert SECRET not in repr(excinfo.value)


# --------------------------------------------------------------------------- what if


def test_what_if_the_syncbridge_salesforce_token_is_revoked(store: Store) -> None:
    load_demo(store)
    result = what_if(
        store, read_estate(store), POLICY, AS_OF, revoke_credentials=[SYNCBRIDGE_TOKEN]
    )
    assert [(c.integration, c.before.score, c.after.score) for c in result.integrations] == [
        (SYNCBRIDGE, 341.0, 14.0)
    ]
    assert (result.exposure_before, result.exposure_after) == (341.0, 14.0)
    change = result.integrations[0]
    # What stays: the Slack bot's channels and files.
    assert [(s.id, s.access) for s in change.after.stores] == [
        ("slack:northwind:files", "read"),
        ("slack:northwind:messages:private", "read"),
        ("slack:northwind:messages:public", "write"),
    ]
    assert change.to_dict()["lost_stores"] == [
        {"store": store_id, "access": access}
        for store_id, access in [
            ("aws:northwind-prod:s3:nw-cloudtrail", "admin"),
            ("aws:northwind-prod:s3:nw-data-lake", "admin"),
            ("aws:northwind-prod:s3:nw-finance-exports", "admin"),
            ("aws:northwind-prod:s3:nw-web-assets", "admin"),
            ("aws:northwind-prod:secretsmanager", "admin"),
            ("github:northwind:actions-secrets", "admin"),
            ("github:northwind:packages", "admin"),
            ("github:northwind:repo:data-pipelines", "admin"),
            ("github:northwind:repo:docs-site", "admin"),
            ("github:northwind:repo:platform-infra", "admin"),
            ("github:northwind:repo:web-app", "admin"),
            ("salesforce:northwind:object:Account", "admin"),
            ("salesforce:northwind:object:Case", "admin"),
            ("salesforce:northwind:object:Contact", "admin"),
            ("salesforce:northwind:object:Opportunity", "admin"),
            ("snowflake:northwind:db:ANALYTICS", "write"),
            ("snowflake:northwind:db:FINANCE", "write"),
            ("snowflake:northwind:db:RAW", "read"),
        ]
    ]
    assert [b.to_dict() for b in result.breaks] == [
        {
            "integration": SYNCBRIDGE,
            "name": "SyncBridge CRM-Slack Connector",
            "lost_credentials": [SYNCBRIDGE_TOKEN],
            "lost_scopes": [],
            "teams": [
                {"team": "inventory:team:customer-support", "name": "Customer Support",
                 "roles": ["uses"]},
                {"team": "inventory:team:marketing", "name": "Marketing", "roles": ["uses"]},
                {"team": "inventory:team:revenue-ops", "name": "Revenue Ops",
                 "roles": ["owns", "uses"]},
            ],
        }
    ]  # fmt: skip


def test_what_if_revoking_a_key_lists_what_it_exposed_which_stays_live(store: Store) -> None:
    chained_estate().load(store)
    result = what_if(
        store, read_estate(store), POLICY, NOW, revoke_credentials=["aws:prod:key:etl"]
    )
    assert result.exposure_after < result.exposure_before
    assert [(e.id, e.depth, e.found_in, e.followed) for e in result.still_exposed] == [
        ("gh:acme:cred:alpha", 1, "aws:prod:secrets", True),
        ("gh:acme:cred:bot", 1, "aws:prod:secrets", True),
        ("legacy:cred:x", 1, "aws:prod:secrets", True),
        ("okta:acme:cred:lost", 1, "aws:prod:secrets", True),
        ("snow:acme:cred:dbt", 1, "aws:prod:secrets", True),
        ("snow:acme:cred:reader", 2, "snow:acme:db:ANALYTICS", True),
    ]
    assert result.to_dict()["still_exposed"][0]["id"] == "gh:acme:cred:alpha"
    # Revoking the stored ones too leaves only what they do not cover.
    both = what_if(store, read_estate(store), POLICY, NOW,
                   revoke_credentials=["aws:prod:key:etl", "snow:acme:cred:dbt"])  # fmt: skip
    assert "snow:acme:cred:dbt" not in [e.id for e in both.still_exposed]
    assert what_if(store, read_estate(store), POLICY, NOW,
                   remove_scopes=["snow:acme/TRANSFORMER"]).still_exposed == ()  # fmt: skip


def test_what_if_a_scope_and_a_store_are_removed(store: Store) -> None:
    chained_estate().load(store)
    estate = read_estate(store)
    result = what_if(store, estate, POLICY, NOW, remove_scopes=["snow:acme/TRANSFORMER"],
                     remove_stores=["gh:acme:repo:infra"])  # fmt: skip
    assert [(c.integration, c.before.score, c.after.score) for c in result.integrations] == [
        ("aws:prod:user:etl", 45.0, 20.0),  # secrets 10 + ANALYTICS read through the reader 10
        ("gh:acme:app:ci", 10.0, 0.0),
        ("snow:acme:svc:dbt", 25.0, 10.0),  # ANALYTICS read through REPORTER
    ]
    assert result.integrations[0].to_dict()["reduced_access"] == [
        {"store": "snow:acme:db:ANALYTICS", "before": "write", "after": "read"}
    ]
    assert (result.exposure_before, result.exposure_after) == (80.0, 30.0)
    assert [(b.integration, b.lost_credentials, b.lost_scopes) for b in result.breaks] == [
        ("snow:acme:svc:dbt", (), ("snow:acme/TRANSFORMER",))
    ]
    with pytest.raises(IncidentInputError, match=r"^unknown credentials: nope:1, nope:2$"):
        what_if(store, estate, POLICY, NOW, revoke_credentials=["nope:2", "nope:1"])
    with pytest.raises(IncidentInputError, match=r"^unknown data stores: aws:prod/SecretsRead$"):
        what_if(store, estate, POLICY, NOW, remove_stores=["aws:prod/SecretsRead"])


def test_what_if_finds_those_who_reach_the_removed_through_stores_and_tenants(
    store: Store,
) -> None:
    """The reader token is kept in ANALYTICS, which the ETL key reaches through the dbt key:
    revoking it changes what both expose; a tenant admin reaches a removed store through
    its tenant."""
    g = chained_estate()
    g.scope("aws:prod", "Admin", "admin", "aws:prod")
    g.integration("aws:prod:user:admin")
    g.credential("aws:prod:user:admin", "aws:prod:key:admin", "aws:prod/Admin")
    g.load(store)
    estate = read_estate(store)
    revoked = what_if(store, estate, POLICY, NOW, revoke_credentials=["snow:acme:cred:reader"])
    assert [(c.integration, c.before.score, c.after.score) for c in revoked.integrations] == [
        ("aws:prod:user:admin", 71.0, 71.0),  # secrets 30 + logs 6 + chained 35
        ("aws:prod:user:etl", 45.0, 45.0),
        ("snow:acme:svc:dbt", 25.0, 25.0),
        ("snow:acme:svc:reader", 10.0, 0.0),
    ]
    assert [e.id for e in revoked.integrations[1].after.exposed] == [
        "gh:acme:cred:alpha", "gh:acme:cred:bot", "legacy:cred:x", "okta:acme:cred:lost",
        "snow:acme:cred:dbt",
    ]  # fmt: skip
    assert [(b.integration, b.lost_credentials) for b in revoked.breaks] == [
        ("snow:acme:svc:reader", ("snow:acme:cred:reader",))
    ]
    logs = what_if(store, estate, POLICY, NOW, remove_stores=["aws:prod:logs"])
    assert [c.to_dict() for c in logs.integrations] == [
        {
            "integration": "aws:prod:user:admin",
            "name": "aws:prod:user:admin",
            "before_score": 71.0,
            "after_score": 65.0,
            "lost_stores": [{"store": "aws:prod:logs", "access": "admin"}],
            "reduced_access": [],
        }
    ]
    assert logs.breaks == ()


def test_the_reduced_view_answers_as_the_reduced_graph_does(store: Store) -> None:
    """On both stores: hide nodes through the wrapper, then delete them for real (a second
    run that no longer reports them, and its cleanup) and ask again."""
    graph = chained_estate()
    graph.scope("aws:prod", "Admin", "admin", "aws:prod")  # reaches both stores it contains
    graph.integration("aws:prod:user:admin")
    graph.credential("aws:prod:user:admin", "aws:prod:key:admin", "aws:prod/Admin")
    hidden = {"snow:acme:cred:dbt", "gh:acme/contents:read", "aws:prod:logs"}
    graph.load(store)
    starts = [["aws:prod:user:etl"], ["gh:acme:app:ci"], ["team:data"], ["gh:acme:cred:bot"],
              ["aws:prod:user:admin"]]  # fmt: skip
    view = ReducedView(store, {"snow:acme:cred:dbt"}, {"gh:acme/contents:read"}, {"aws:prod:logs"})
    wrapped = [blast_radius(view, resolve_start(view, s), NOW, POLICY.blast).to_dict()
               for s in starts]  # fmt: skip
    reduced = Batch("test", "t", [n for n in graph.batch.nodes if n.id not in hidden],
                    [r for r in graph.batch.rels if not {r.start, r.end} & hidden])  # fmt: skip
    later = SyncRun("run-2", "2026-11-02T00:00:00Z")
    store.upsert(reduced, later)
    store.cleanup("test", "t", later)
    real = [blast_radius(store, resolve_start(store, s), NOW, POLICY.blast).to_dict()
            for s in starts]  # fmt: skip
    assert wrapped == real
    assert real[0]["score"] == 10  # the secrets store only: dbt is gone with its writes
    assert [(s["id"], s["access"]) for s in real[4]["stores"]] == [("aws:prod:secrets", "admin")]


def answers(view: Any, case: dict[str, Any], integrations: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    try:
        start = resolve_start(view, case["start"])
        out["start"] = blast_radius(view, start, case["as_of"], POLICY.blast,
                                    case["max_chain"], case["min_access"]).to_dict()  # fmt: skip
    except NhigraphError as exc:
        out["start"] = str(exc)
    for integration in integrations:
        out[integration] = effective_vs_approved(
            view, integration, case["as_of"], POLICY.blast, case["max_chain"]
        ).to_dict()
    return out


def denser(batch: Batch, data: Any) -> Batch:
    nodes = [
        NodeRow(n.label, n.id, {"kind": n.props["kind"], "status": "active"})
        if n.label == "Credential"
        else n
        for n in batch.nodes
    ]
    stores = [n.id for n in nodes if n.label == "DataStore"]
    credentials = [n.id for n in nodes if n.label == "Credential"]
    rels = list(batch.rels)
    if stores and credentials:
        pair = st.tuples(st.sampled_from(stores), st.sampled_from(credentials))
        pairs = data.draw(st.lists(pair, max_size=8))
        known = {(r.type, r.start, r.end) for r in rels}
        rels += [RelRow("STORES", s, c) for s, c in dict.fromkeys(pairs)
                 if ("STORES", s, c) not in known]  # fmt: skip
    return Batch(batch.source, batch.tenant, nodes, rels)


@settings(max_examples=100, deadline=None)
@given(case=estates(), data=st.data())
def test_the_reduced_view_equals_a_reduced_graph(case: dict[str, Any], data: Any) -> None:
    """Embedded only (two stores per example): random graphs, random nodes hidden. Half
    the graphs are made denser in chaining (every credential active, more STORES), which
    the parity graphs seldom are."""
    batch: Batch = denser(case["batch"], data) if data.draw(st.booleans()) else case["batch"]
    by_label: dict[str, list[str]] = {}
    for node in batch.nodes:
        by_label.setdefault(node.label, []).append(node.id)

    def some(label: str) -> set[str]:
        ids = by_label.get(label, [])
        hide = data.draw(st.lists(st.booleans(), min_size=len(ids), max_size=len(ids)))
        return {i for i, hidden in zip(ids, hide, strict=True) if hidden}

    kinds = ("Credential", "Scope", "DataStore")
    candidates = [i for k in kinds for i in by_label.get(k, [])]
    if candidates and data.draw(st.booleans()):
        # One node: what only it changes is not hidden behind the others.
        one = data.draw(st.sampled_from(candidates))
        credentials, scopes, stores = ({one} & set(by_label.get(k, [])) for k in kinds)
    else:
        credentials, scopes, stores = some("Credential"), some("Scope"), some("DataStore")
    hidden = credentials | scopes | stores
    full = EmbeddedStore(":memory:")
    full.upsert(batch, SyncRun("run-1", "2026-01-01T00:00:00Z"))
    real = EmbeddedStore(":memory:")
    real.upsert(
        Batch("test", "t", [n for n in batch.nodes if n.id not in hidden],
              [r for r in batch.rels if not {r.start, r.end} & hidden]),
        SyncRun("run-1", "2026-01-01T00:00:00Z"),
    )  # fmt: skip
    integrations = by_label["Integration"]
    view = ReducedView(full, credentials, scopes, stores)
    assert answers(view, case, integrations) == answers(real, case, integrations)
    # what_if recomputes only the integrations that can reach something removed: none
    # whose radius changes is missed.
    result = what_if(full, read_estate(full), POLICY, case["as_of"], credentials, scopes, stores,
                     case["max_chain"])  # fmt: skip
    changed = []
    for integration in sorted(integrations):
        before, after = (
            blast_radius(v, resolve_start(v, [integration]), case["as_of"], POLICY.blast,
                         case["max_chain"])
            for v in (full, real)
        )  # fmt: skip
        if (before.stores, before.tenants, before.exposed) != (
            after.stores, after.tenants, after.exposed
        ):  # fmt: skip
            changed.append(integration)
    broken = {b.integration for b in result.breaks}
    assert {c.integration for c in result.integrations} == set(changed) | broken
    full.close()
    real.close()


# --------------------------------------------------------------------------- the table


def test_the_shipped_table_covers_every_provider_and_the_default_every_kind() -> None:
    table = default_revocations()
    assert sorted(table.providers) == sorted(
        ["m365", "google_workspace", "gcp", "github", "slack", "okta", "salesforce", "aws",
         "snowflake", "default"]
    )  # fmt: skip
    assert set(table.providers["default"].kinds) == set(CredentialKind)
    assert table.action("aws", "access_key")[1].api[0] == (
        "aws iam update-access-key --user-name <user> --access-key-id <key id> --status Inactive "
        "(iam:UpdateAccessKey)"
    )
    assert table.action("unheard_of", "api_key")[0] == "default"
    assert table.action("slack", "access_key")[0] == "default"


def test_a_bad_revocation_table_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "revocation.yaml"
    bad.write_text(
        "providers:\n  default:\n    name: Any\n    kinds:\n      api_key:\n        where: x\n"
    )
    with pytest.raises(ConfigError) as excinfo:
        load_revocations(bad)
    assert str(excinfo.value) == (
        f"{bad}: (top level): Value error, the default provider must list every kind; missing: "
        "oauth_refresh_token, oauth_grant, personal_access_token, client_secret, certificate, "
        "service_account_key, webhook_secret, access_key"
    )
    bad.write_text(
        "providers:\n  aws:\n    name: AWS\n    kinds:\n      password:\n        where: x\n"
    )
    with pytest.raises(ConfigError, match=r"providers\.aws\.kinds\.password"):
        load_revocations(bad)
    with pytest.raises(ConfigError, match="cannot read the revocation table"):
        load_revocations(tmp_path / "missing.yaml")


def test_the_docs_show_the_shipped_table() -> None:
    """docs/incident-response.md lists every entry as shipped (regenerate it when the
    table changes)."""
    docs = (EXAMPLES.parent / "docs" / "incident-response.md").read_text(encoding="utf-8")
    for provider, entry in default_revocations().providers.items():
        assert f"### `{provider}` — {entry.name}" in docs
        for kind, action in entry.kinds.items():
            api = "<br>".join(f"`{c}`" for c in action.api) or "none: console only"
            row = f"| `{kind.value}` | {action.where} | {api} | {action.note or ''} |"
            assert row in docs, (provider, kind.value)
