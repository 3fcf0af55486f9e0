"""The msgraph source: records from saved Graph pages, their graph, live fetch, bad input."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from nhigraph.errors import ConfigError, InputError
from nhigraph.graph.blast import blast_radius
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.policy import default_policy
from nhigraph.graph.store import Batch, NodeRow, RelRow, StoredRel
from nhigraph.ingest.http import AccessDenied
from nhigraph.ingest.source import FetchContext, RawInput, SourceResult, read_saved, save_pages
from nhigraph.ingest.sources import collect, get_source
from nhigraph.settings import Settings
from tests.ingest_support import (
    FINGERPRINTER,
    FIXTURES,
    Recorded,
    Reply,
    Sleeps,
    no_sleep,
    node_ids,
    page,
    props,
    rels,
    saved,
    strings_in,
    transform,
    write,
)

ROOT = Path(__file__).resolve().parent.parent
SAVED = FIXTURES / "msgraph" / "tenant"
BAD = FIXTURES / "msgraph" / "malformed"
GRAPH = "https://graph.microsoft.com/v1.0"
TOKEN = "eyJ0eXAiOiJKV1Qi.test-token-not-a-real-one"

TENANT_ID = "0d4a7c2e-8f31-4b6a-a5d9-2c7e1f4b8a63"
T = f"m365:{TENANT_ID}"

# appIds (client ids) of the integrations in the fixture tenant
GRAPH_CLI = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
LEDGERLY = "6b1f0a2e-4c3d-4e8b-9a71-2d5c8e3f9b10"
SIGNALWATCH = "9d4c2a18-7e53-4b6f-a091-3c8e5f7d2b64"
HR_SYNC = "b7e3c9a1-5d28-4f64-8a0e-6c1b9d3f7e52"
BACKUP = "c8f4da12-6e39-4075-9b1f-7d2cae408f63"
MEETSMART = "3e8d1b64-9a27-4c5f-b803-5d6e2a9c1f47"
SYNCBRIDGE = "7a2f9c05-1e64-4b3d-8c79-4e0d6b2a8f13"
LOGIC_APP = "0f6e3a9d-2b71-4c85-9e14-8a3d5b7c1e29"
ORDERS_API = "5d9b7e21-3f8a-4c06-b2d4-9e1a6c3f8b70"
ROBOT = "e2c6a8f4-1b9d-4e37-a5c0-7f3b2d9e6a18"
TRIPWISE = "a9d3f5b7-2c4e-4a68-9b1d-3e5f7a9c2b46"
LEGACY = "1c5e9a3f-7b2d-4f68-8e04-6a1c3e5b9d27"  # an app registration without a service principal

# key ids of secrets and certificates, ids of delegated grants
HR_OLD, HR_NEW, HR_CERT = (
    "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
    "1a2b3c4d-5e6f-4a7b-8c9d-aebfc0d1e2f3",
    "2b3c4d5e-6f7a-4b8c-9d0e-f1a2b3c4d5e6",
)
BACKUP_SECRET = "3c4d5e6f-7a8b-4c9d-8e0f-a1b2c3d4e5f7"
ROBOT_SECRET = "4d5e6f7a-8b9c-4d0e-9f1a-b2c3d4e5f6a8"
LEGACY_SECRET = "5e6f7a8b-9c0d-4e1f-8a2b-c3d4e5f6a7b9"
LOGIC_APP_CERT = "c0a1e2f3-4b5c-4d6e-8f70-a1b2c3d4e5f6"
TRIPWISE_CERT = "e1d2c3b4-a5f6-4789-8a9b-0c1d2e3f4a5b"
MEETSMART_GRANT = "9bXK9cr5b0-V0b3cKtFsqdQ0A2c2eLUthDKw1Rk5cJk"
CLI_GRANT = "oRu0pOXmek2MnQ4fKjs8Xa6gAjWvGn5Ot3CNdWQ2bz4"
SYNC_MAIL_GRANT = "BcTbBvlenkqYpC-bfly9Si6gAjWvGn5Ot3CNdWQ2bz4"
SYNC_EWS_GRANT = "BcTbBvlenkqYpC-bfly9SmFqzIxXdf9Nm4P1L2a4u7w"
ADMIN_USER = "7d9f1b3c-5e7a-4c9e-b1d3-f5a7c9e1b3d5"
SALES_USER = "8e0a2c4d-6f8b-4dae-a2c4-e6b8d0f2a4c6"
# The secretText one saved applications page carries (an addPassword answer pasted in).
LEGACY_SECRET_TEXT = "Lr98Q~fAkEvAlUe.nOt-A-rEaL-sEcReT_2019xyz"

# Service principal object ids, in the order the saved pages list them.
SP_IDS = {
    "graph": "6f1d2c3b-9a84-4e57-b0c6-3d2e1f0a9b87",
    "exo": "8c7b6a59-4d3e-4f21-a0b9-c8d7e6f5a4b3",
    "teams": "2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b",
    "graphcli": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
    "ledgerly": "4b9e2d71-3c6a-4f08-9e15-7a2c8d4b6f30",
    "signalwatch": "5c0f3e82-4d7b-4019-8f26-8b3d9e5c7041",
    "hrsync": "d3a8f1c6-2b94-47e0-a5d1-9c6e4b2f8a17",
    "backup": "e4b9a2d7-3ca5-48f1-b6e2-0d7f5c3a9b28",
    "meetsmart": "f5cab3e8-4db6-4902-87f3-1e8a6d4bac39",
    "syncbridge": "06dbc4f9-5ec7-4a13-98a4-2f9b7e5cbd4a",
    "logicapp": "17ecd50a-6fd8-4b24-a9b5-3a0c8f6dce5b",
    "ordersapi": "28fde61b-7ae9-4c35-bac6-4b1d9a7edf6c",
    "robot": "39aef72c-8bfa-4d46-8bd7-5c2eab8fe07d",
    "travel": "4abf083d-9c0b-4e57-9ce8-6d3fbc9af18e",
}


def sp(app_id: str) -> str:
    return f"{T}:sp:{app_id}"


def cred(kind: str, key: str) -> str:
    return f"{T}:{kind}:{key}"


def scope(name: str) -> str:
    return f"{T}/{name}"


def store(key: str) -> str:
    return f"{T}:store:{key}"


def short(node_id: str) -> str:
    """An id without its tenant prefix, for compact assertions."""
    return node_id.replace(f"{T}:", "").replace(f"{T}/", "")


@pytest.fixture(scope="module")
def result() -> SourceResult:
    return transform(saved("msgraph", "tenant"))


# --------------------------------------------------------------------------- transform


def test_the_saved_tenant_becomes_one_batch_named_by_the_organization(
    result: SourceResult,
) -> None:
    assert [(b.source, b.tenant) for b in result.batches] == [("msgraph", T)]
    assert props(result, T) == {"provider": "m365", "name": "Fabrikam, Inc."}
    batch = result.batches[0]
    counts: dict[str, int] = {}
    for node in batch.nodes:
        counts[node.label] = counts.get(node.label, 0) + 1
    assert counts == {
        "Tenant": 1,
        "DataStore": 9,
        "Integration": 12,
        "Credential": 14,
        "Scope": 18,
        "Principal": 2,
    }
    types: dict[str, int] = {}
    for rel in batch.rels:
        types[rel.type] = types.get(rel.type, 0) + 1
    assert types == {
        "CONTAINS": 9,
        "HAS_CREDENTIAL": 14,
        "GRANTS": 28,
        "CAN_ACCESS": 15,
        "ACTS_AS": 3,
    }
    # A custom API's roles are not in the catalogue; nor is a role its app no longer has.
    assert result.unclassified == [
        f"{ORDERS_API}/Orders.ReadWrite.All",
        f"{ORDERS_API}/f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f",
    ]


def test_microsoft_apis_that_hold_nothing_here_are_not_integrations(result: SourceResult) -> None:
    # Microsoft Graph, Exchange Online and Teams Services are only resources here; the
    # Graph command-line tools hold a delegated grant, so they are an integration.
    assert node_ids(result, "Integration") == sorted(
        sp(a)
        for a in (
            GRAPH_CLI,
            LEDGERLY,
            SIGNALWATCH,
            HR_SYNC,
            BACKUP,
            MEETSMART,
            SYNCBRIDGE,
            LOGIC_APP,
            ORDERS_API,
            ROBOT,
            TRIPWISE,
            LEGACY,
        )
    )


def test_integrations_carry_status_and_publisher_hints(result: SourceResult) -> None:
    assert props(result, sp(LEDGERLY)) == {
        "name": "Ledgerly Expense Sync",
        "kind": "oauth_app",
        "status": "enabled",
        "lifecycle": "in_use",
        "provider": "m365",
        "client_id": LEDGERLY,
        "publisher": "Ledgerly Inc.",
        "publisher_id": "5109437",
        "publisher_verified": True,
    }
    # Unverified: the name the app chose and the tenant it is registered in; disabled at
    # the source; createdDateTime with seven fractional digits.
    assert props(result, sp(SIGNALWATCH)) == {
        "name": "SignalWatch Connector",
        "kind": "oauth_app",
        "status": "disabled",
        "lifecycle": "in_use",
        "created_at": "2023-09-04T14:20:51Z",
        "provider": "m365",
        "client_id": SIGNALWATCH,
        "publisher": "SignalWatch Ltd",
        "publisher_id": "3b5d7f91-a2c4-4e6f-8b0d-2f4a6c8e0b13",
        "publisher_verified": False,
    }
    # In-house: registered in this tenant; created_at from the app registration.
    assert props(result, sp(HR_SYNC)) == {
        "name": "HR Directory Sync",
        "kind": "oauth_app",
        "status": "enabled",
        "lifecycle": "in_use",
        "created_at": "2022-01-17T10:21:33Z",
        "provider": "m365",
        "client_id": HR_SYNC,
        # Its registration asks for User.ReadWrite.All and User.Read; an admin granted
        # Directory.ReadWrite.All beyond it, and User.Read was never consented.
        "requested_scopes": ["User.Read", "User.ReadWrite.All"],
        "requested_not_granted": ["User.Read"],
        "granted_not_requested": ["Directory.ReadWrite.All"],
    }
    assert props(result, sp(LOGIC_APP))["kind"] == "service_account"
    assert "publisher" not in props(result, sp(LOGIC_APP))
    assert props(result, sp(LEGACY)) == {
        "name": "Legacy Reporting Script",
        "kind": "oauth_app",
        "status": "enabled",
        "lifecycle": "in_use",
        "created_at": "2019-06-12T09:00:00Z",
        "provider": "m365",
        "client_id": LEGACY,
    }


def test_requested_permissions_are_kept_beside_what_is_granted(
    store: EmbeddedStore | Neo4jStore,
) -> None:
    """requiredResourceAccess, resolved by the resource's appRoles (Role) and
    oauth2PermissionScopes (Scope), against the assignments and delegated grants; an id
    a resource does not define keeps the id. Stored and read back on both stores."""
    pages = read_saved(get_source("msgraph"), SAVED, None)
    apps = [copy.deepcopy(saved_page) for saved_page in pages.of("applications")]
    for saved_page in apps:
        for item in saved_page.body["value"]:
            if item["appId"] == HR_SYNC:
                item["requiredResourceAccess"].append(
                    {
                        "resourceAppId": "00000003-0000-0ff1-ce00-000000000000",
                        "resourceAccess": [
                            {"id": "d13f72ca-a275-4b96-b789-48ebcc4da984", "type": "Role"}
                        ],
                    }
                )
    raw = RawInput("msgraph", None, {**pages.pages, "applications": apps})
    write(store, transform(raw))
    node = store.get_node(sp(HR_SYNC))
    assert node is not None
    assert node.props["requested_scopes"] == [
        "SharePoint/d13f72ca-a275-4b96-b789-48ebcc4da984",
        "User.Read",
        "User.ReadWrite.All",
    ]
    assert node.props["requested_not_granted"] == [
        "SharePoint/d13f72ca-a275-4b96-b789-48ebcc4da984",
        "User.Read",
    ]
    assert node.props["granted_not_requested"] == ["Directory.ReadWrite.All"]


def test_credentials_keep_key_ids_dates_and_only_a_fingerprint(result: SourceResult) -> None:
    assert props(result, cred("secret", HR_OLD)) == {
        "kind": "client_secret",
        "identifier": HR_OLD,
        "created_at": "2023-03-18T09:12:44Z",
        "expires_at": "2025-03-18T09:12:44Z",  # expired: still active, expiry in the past
        "status": "active",
    }
    assert props(result, cred("cert", HR_CERT)) == {
        "kind": "certificate",
        "identifier": HR_CERT,
        "created_at": "2024-07-01T00:00:00Z",
        "expires_at": "2026-06-30T23:59:59Z",
        "status": "active",
    }
    assert props(result, cred("secret", BACKUP_SECRET)) == {  # no endDateTime: never expires
        "kind": "client_secret",
        "identifier": BACKUP_SECRET,
        "created_at": "2021-08-02T13:50:00Z",
        "status": "active",
    }
    assert props(result, cred("held", LEDGERLY)) == {
        "kind": "client_secret",
        "identifier": LEDGERLY,
        "status": "active",
    }
    assert props(result, cred("grant", CLI_GRANT)) == {
        "kind": "oauth_grant",
        "identifier": CLI_GRANT,
        "status": "active",
    }
    legacy = props(result, cred("secret", LEGACY_SECRET))
    assert legacy["fingerprint"] == FINGERPRINTER.fingerprint(LEGACY_SECRET_TEXT)
    everything = strings_in([(n.id, n.props) for b in result.batches for n in b.nodes])
    assert not [s for s in everything if LEGACY_SECRET_TEXT in s]


def test_each_integration_holds_its_secrets_certificates_and_grants(result: SourceResult) -> None:
    assert sorted((short(a), short(b)) for a, b in rels(result, "HAS_CREDENTIAL")) == sorted(
        [
            (f"sp:{GRAPH_CLI}", f"grant:{CLI_GRANT}"),
            (f"sp:{LEDGERLY}", f"held:{LEDGERLY}"),
            (f"sp:{SIGNALWATCH}", f"held:{SIGNALWATCH}"),
            (f"sp:{HR_SYNC}", f"secret:{HR_OLD}"),
            (f"sp:{HR_SYNC}", f"secret:{HR_NEW}"),
            (f"sp:{HR_SYNC}", f"cert:{HR_CERT}"),
            (f"sp:{BACKUP}", f"secret:{BACKUP_SECRET}"),
            (f"sp:{MEETSMART}", f"grant:{MEETSMART_GRANT}"),
            (f"sp:{SYNCBRIDGE}", f"grant:{SYNC_MAIL_GRANT}"),
            (f"sp:{SYNCBRIDGE}", f"grant:{SYNC_EWS_GRANT}"),
            (f"sp:{LOGIC_APP}", f"cert:{LOGIC_APP_CERT}"),
            (f"sp:{ROBOT}", f"secret:{ROBOT_SECRET}"),
            (f"sp:{TRIPWISE}", f"cert:{TRIPWISE_CERT}"),
            (f"sp:{LEGACY}", f"secret:{LEGACY_SECRET}"),
        ]
    )


def test_application_and_delegated_permissions_become_grants(result: SourceResult) -> None:
    grants = sorted((short(a), short(b)) for a, b in rels(result, "GRANTS"))
    hr_scopes = ["Directory.ReadWrite.All", "User.ReadWrite.All"]
    assert grants == sorted(
        # Application permissions, from every secret and app-authentication certificate.
        [(f"secret:{HR_OLD}", s) for s in hr_scopes]
        + [(f"secret:{HR_NEW}", s) for s in hr_scopes]
        + [(f"cert:{HR_CERT}", s) for s in hr_scopes]
        + [
            (f"secret:{BACKUP_SECRET}", "Sites.FullControl.All"),
            (f"secret:{BACKUP_SECRET}", "Exchange/full_access_as_app"),
            (f"cert:{LOGIC_APP_CERT}", "Mail.Send"),
            (f"secret:{ROBOT_SECRET}", f"{ORDERS_API}/Orders.ReadWrite.All"),
            (f"secret:{ROBOT_SECRET}", f"{ORDERS_API}/f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f"),
            # Multi-tenant apps: the secret their publisher holds.
            (f"held:{LEDGERLY}", "Mail.Read"),
            (f"held:{LEDGERLY}", "Files.ReadWrite.All"),
            (f"held:{SIGNALWATCH}", "AuditLog.Read.All"),
            (f"held:{SIGNALWATCH}", "Directory.Read.All"),
        ]
        # Delegated permissions, one credential per grant; Exchange's are qualified.
        + [
            (f"grant:{MEETSMART_GRANT}", s)
            for s in ("Calendars.ReadWrite", "User.Read", "offline_access", "openid")
        ]
        + [
            (f"grant:{CLI_GRANT}", s)
            for s in ("Directory.AccessAsUser.All", "User.Read", "openid", "profile")
        ]
        + [(f"grant:{CLI_GRANT}", "offline_access")]
        + [(f"grant:{SYNC_MAIL_GRANT}", s) for s in ("Mail.Read", "Mail.Send", "offline_access")]
        + [(f"grant:{SYNC_EWS_GRANT}", "Exchange/EWS.AccessAsUser.All")]
    )
    # The SAML token-signing certificate signs; it does not sign the app in.
    assert not [g for g in grants if g[0] == f"cert:{TRIPWISE_CERT}"]


def test_grants_for_one_user_act_as_that_user(result: SourceResult) -> None:
    assert sorted((short(a), short(b)) for a, b in rels(result, "ACTS_AS")) == [
        (f"grant:{SYNC_MAIL_GRANT}", f"user:{SALES_USER}"),
        (f"grant:{SYNC_EWS_GRANT}", f"user:{SALES_USER}"),
        (f"grant:{CLI_GRANT}", f"user:{ADMIN_USER}"),
    ]
    assert props(result, f"{T}:user:{ADMIN_USER}") == {
        "name": ADMIN_USER,
        "kind": "user",
        "enabled": True,
        "is_admin": False,
    }


def test_scopes_reach_what_the_catalogue_says(result: SourceResult) -> None:
    assert props(result, scope("Directory.ReadWrite.All")) == {
        "name": "Directory.ReadWrite.All",
        "provider": "m365",
        "access": "admin",
        "sensitive": True,
    }
    reach = {
        (short(rel.start), short(rel.end)): rel.props
        for rel in result.batches[0].rels
        if rel.type == "CAN_ACCESS"
    }
    assert reach == {
        ("AuditLog.Read.All", "store:audit_logs"): {"access": "read"},
        ("AuditLog.Read.All", "store:directory"): {"access": "read"},
        ("Calendars.ReadWrite", "store:calendar"): {"access": "write"},
        ("Directory.AccessAsUser.All", T): {"access": "admin"},
        ("Directory.Read.All", "store:directory"): {"access": "read"},
        ("Directory.ReadWrite.All", T): {"access": "admin"},
        ("Exchange/EWS.AccessAsUser.All", "store:mail"): {"access": "write"},  # a pattern
        ("Exchange/full_access_as_app", "store:mail"): {"access": "admin"},
        ("Files.ReadWrite.All", "store:files"): {"access": "write"},
        ("Mail.Read", "store:mail"): {"access": "read"},
        ("Mail.Send", "store:mail"): {"access": "write"},
        ("Sites.FullControl.All", "store:files"): {"access": "admin"},
        ("User.ReadWrite.All", "store:directory"): {"access": "write"},
        (f"{ORDERS_API}/Orders.ReadWrite.All", T): {"access": "write"},
        (f"{ORDERS_API}/f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f", T): {"access": "write"},
    }
    assert props(result, scope(f"{ORDERS_API}/Orders.ReadWrite.All")) == {
        "name": f"{ORDERS_API}/Orders.ReadWrite.All",
        "provider": "m365",
        "access": "write",
        "sensitive": False,
        "unclassified": True,
    }


# --------------------------------------------------------------------------- the graph


def test_the_batch_writes_once_and_reingests_unchanged(result: SourceResult) -> None:
    store_ = EmbeddedStore(":memory:")
    first = write(store_, result)
    assert (first.nodes_added, first.rels_added, first.nodes_removed) == (56, 69, 0)
    stats = store_.stats()
    assert stats.nodes == {
        "Credential": 14,
        "DataStore": 9,
        "Integration": 12,
        "Principal": 2,
        "Scope": 18,
        "Tenant": 1,
    }
    assert stats.rels == {
        "ACTS_AS": 3,
        "CAN_ACCESS": 15,
        "CONTAINS": 9,
        "GRANTS": 28,
        "HAS_CREDENTIAL": 14,
    }
    edges = [
        (item.start, item.end, item.props["access"])
        for item in store_.export()
        if isinstance(item, StoredRel)
        and item.type == "CAN_ACCESS"
        and item.start == scope("Directory.ReadWrite.All")
    ]
    assert edges == [(scope("Directory.ReadWrite.All"), T, "admin")]
    again = write(store_, transform(saved("msgraph", "tenant")))
    assert again.as_dict() == {
        **{k: 0 for k in again.as_dict()},
        "nodes_unchanged": 56,
        "rels_unchanged": 69,
    }


def test_blast_radius_of_the_directory_writer_is_the_whole_tenant(result: SourceResult) -> None:
    store_ = EmbeddedStore(":memory:")
    write(store_, result)
    policy = default_policy().blast
    radius = blast_radius(store_, [cred("secret", HR_NEW)], "2026-07-01T00:00:00Z", policy)
    assert [(short(s.id), s.access) for s in radius.stores] == [
        (f"store:{key}", "admin")
        for key in (
            "audit_logs",
            "calendar",
            "contacts",
            "devices",
            "directory",
            "files",
            "mail",
            "notes",
            "teams_chat",
        )
    ]
    # The 2023 secret expired in March 2025; SignalWatch is disabled at the source.
    stale = [cred("secret", HR_OLD), cred("held", SIGNALWATCH)]
    assert blast_radius(store_, stale, "2026-07-01T00:00:00Z", policy).live_start == ()
    ledgerly = blast_radius(store_, [cred("held", LEDGERLY)], "2026-07-01T00:00:00Z", policy)
    assert [(short(s.id), s.access) for s in ledgerly.stores] == [
        ("store:files", "write"),
        ("store:mail", "read"),
    ]


def test_the_example_export_reads_as_tailspin_toys() -> None:
    raw = read_saved(get_source("msgraph"), ROOT / "examples" / "saas" / "msgraph", None)
    assert sorted(raw.pages) == [
        "appRoleAssignments",
        "applications",
        "oauth2PermissionGrants",
        "organization",
        "servicePrincipals",
    ]
    example = transform(raw)
    tailspin = "m365:7b3e9f12-4c8a-4d5e-b1a6-2f9c0e8d4a71"
    assert [b.tenant for b in example.batches] == [tailspin]
    assert props(example, tailspin)["name"] == "Tailspin Toys"
    assert len(node_ids(example, "Integration")) == 10
    assert example.unclassified == []
    ledgerly = props(example, f"{tailspin}:sp:{LEDGERLY}")
    assert (ledgerly["publisher"], ledgerly["publisher_verified"]) == ("Ledgerly Inc.", True)


# --------------------------------------------------------------------------- fetch

# The pages the saved fixtures hold, in the order fetch asks for them.
ASSIGNMENT_FILES = {
    "ledgerly": ["appRoleAssignments.ledgerly.json"],
    "signalwatch": ["appRoleAssignments.signalwatch.json"],
    "hrsync": ["appRoleAssignments.hrsync.1.json", "appRoleAssignments.hrsync.2.json"],
    "backup": ["appRoleAssignments.backup.json"],
    "meetsmart": ["appRoleAssignments.meetsmart.json"],
    "logicapp": ["appRoleAssignments.logicapp.json"],
    "robot": ["appRoleAssignments.robot.json"],
}
ORG_NEXT = f"{GRAPH}/organization?$skiptoken=b3JnYW5pemF0aW9uXzI"


def _next(name: str) -> str:
    link: str = page(SAVED / name)["@odata.nextLink"]
    return link


def _routes() -> dict[str, list[Reply]]:
    """Every request a fetch of the fixture tenant makes, answered from the saved pages.
    The organization answers on two pages, to page it like the rest."""
    organization = page(SAVED / "organization.json")
    organization["@odata.nextLink"] = ORG_NEXT
    routes = {
        f"GET {GRAPH}/organization": [Reply(body=organization)],
        f"GET {ORG_NEXT}": [Reply(body={"value": []})],
        f"GET {GRAPH}/servicePrincipals?$top=999": [
            Reply(body=page(SAVED / "servicePrincipals.1.json"))
        ],
        f"GET {_next('servicePrincipals.1.json')}": [
            Reply(body=page(SAVED / "servicePrincipals.2.json"))
        ],
        f"GET {GRAPH}/applications?$top=999": [Reply(body=page(SAVED / "applications.1.json"))],
        f"GET {_next('applications.1.json')}": [Reply(body=page(SAVED / "applications.2.json"))],
        f"GET {GRAPH}/oauth2PermissionGrants": [
            Reply(body=page(SAVED / "oauth2PermissionGrants.1.json"))
        ],
        f"GET {_next('oauth2PermissionGrants.1.json')}": [
            Reply(body=page(SAVED / "oauth2PermissionGrants.2.json"))
        ],
    }
    for key, sp_id in SP_IDS.items():
        url = f"{GRAPH}/servicePrincipals/{sp_id}/appRoleAssignments"
        files = ASSIGNMENT_FILES.get(key)
        if files is None:  # nothing granted: an empty page
            routes[f"GET {url}"] = [Reply(body={"value": []})]
            continue
        routes[f"GET {url}"] = [Reply(body=page(SAVED / files[0]))]
        if len(files) > 1:
            routes[f"GET {_next(files[0])}"] = [Reply(body=page(SAVED / files[1]))]
    return routes


def _context(recorded: Recorded, sleep: Any = no_sleep, token: str | None = TOKEN) -> FetchContext:
    settings = Settings(
        msgraph_token=None if token is None else SecretStr(token), http_max_retries=5
    )
    return FetchContext(settings, None, transport=recorded.transport(), sleep=sleep)


def test_fetch_pages_through_every_endpoint_and_matches_the_saved_pages(tmp_path: Path) -> None:
    recorded = Recorded(_routes())
    raw = get_source("msgraph").fetch(_context(recorded))
    expected = [
        f"{GRAPH}/organization",
        ORG_NEXT,
        f"{GRAPH}/servicePrincipals?$top=999",
        _next("servicePrincipals.1.json"),
        f"{GRAPH}/applications?$top=999",
        _next("applications.1.json"),
        f"{GRAPH}/oauth2PermissionGrants",
        _next("oauth2PermissionGrants.1.json"),
    ]
    for key, sp_id in SP_IDS.items():
        expected.append(f"{GRAPH}/servicePrincipals/{sp_id}/appRoleAssignments")
        if key == "hrsync":
            expected.append(_next("appRoleAssignments.hrsync.1.json"))
    assert [str(r.url) for r in recorded.requests] == expected
    assert {r.method for r in recorded.requests} == {"GET"}
    assert {r.headers["Authorization"] for r in recorded.requests} == {f"Bearer {TOKEN}"}
    assert {name: len(pages) for name, pages in raw.pages.items()} == {
        "organization": 2,
        "servicePrincipals": 2,
        "applications": 2,
        "oauth2PermissionGrants": 2,
        "appRoleAssignments": 15,
    }
    of_hr_sync = {"servicePrincipal": SP_IDS["hrsync"]}
    assert len([p for p in raw.pages["appRoleAssignments"] if p.params == of_hr_sync]) == 2
    # What was fetched is what was saved: the same records (the page chains they were
    # read from are named after the parents' ids here, and after short names on disk).
    fetched, from_disk = transform(raw), transform(saved("msgraph", "tenant"))

    def records(batch: Batch) -> tuple[list[NodeRow], list[RelRow]]:
        nodes = sorted((replace(n, origin=()) for n in batch.nodes), key=lambda n: n.id)
        rels = sorted(
            (replace(r, origin=()) for r in batch.rels), key=lambda r: (r.type, r.start, r.end)
        )
        return nodes, rels

    assert records(fetched.batches[0]) == records(from_disk.batches[0])
    # The token is sent, never kept: not in a page, not in a saved file.
    save_pages(raw, tmp_path)
    assert not [f for f in tmp_path.iterdir() if TOKEN in f.read_text()]
    again = transform(read_saved(get_source("msgraph"), tmp_path, None))
    assert node_ids(again, "Credential") == node_ids(from_disk, "Credential")


def test_fetch_waits_as_long_as_graph_asks_when_throttled() -> None:
    routes = _routes()
    body = {"error": {"code": "TooManyRequests", "message": "Too many requests."}}
    routes[f"GET {GRAPH}/servicePrincipals?$top=999"] = [
        Reply(429, body, {"Retry-After": "7"}),
        Reply(429, body, {"Retry-After": "3"}),
        *routes[f"GET {GRAPH}/servicePrincipals?$top=999"],
    ]
    sleeps = Sleeps()
    raw = get_source("msgraph").fetch(_context(Recorded(routes), sleep=sleeps))
    assert sleeps.waits == [7.0, 3.0]
    assert len(node_ids(transform(raw), "Integration")) == 12


def test_graph_staying_down_makes_the_source_unavailable() -> None:
    routes = _routes()
    down = {"error": {"code": "ServiceNotAvailable", "message": "Service unavailable."}}
    routes[f"GET {GRAPH}/oauth2PermissionGrants"] = [Reply(503, down)]
    sleeps = Sleeps()
    raw, why = collect(get_source("msgraph"), _context(Recorded(routes), sleep=sleeps))
    assert raw is None
    assert why == (
        f"msgraph: GET {GRAPH}/oauth2PermissionGrants failed after 6 attempts (HTTP 503)"
    )
    assert sleeps.waits == [1.0, 2.0, 4.0, 8.0, 16.0]


@pytest.mark.parametrize(
    ("route", "status", "message"),
    [
        (
            f"GET {GRAPH}/organization",
            401,
            f"msgraph: GET {GRAPH}/organization returned 401: the credentials need "
            "Organization.Read.All",
        ),
        (
            f"GET {GRAPH}/oauth2PermissionGrants",
            403,
            f"msgraph: GET {GRAPH}/oauth2PermissionGrants returned 403: the credentials need "
            "Directory.Read.All",
        ),
        (
            f"GET {GRAPH}/servicePrincipals/{SP_IDS['graph']}/appRoleAssignments",
            403,
            f"msgraph: GET {GRAPH}/servicePrincipals/{SP_IDS['graph']}/appRoleAssignments "
            "returned 403: the credentials need Application.Read.All",
        ),
    ],
)
def test_missing_permissions_are_named(route: str, status: int, message: str) -> None:
    routes = _routes()
    denied = {
        "error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges."}
    }
    routes[route] = [Reply(status, denied)]
    with pytest.raises(AccessDenied) as caught:
        get_source("msgraph").fetch(_context(Recorded(routes)))
    assert str(caught.value) == message


def test_fetch_without_a_token_names_the_variable() -> None:
    recorded = Recorded({})
    with pytest.raises(ConfigError) as caught:
        get_source("msgraph").fetch(_context(recorded, token=None))
    assert str(caught.value) == (
        "NHIGRAPH_MSGRAPH_TOKEN is not set: live collection needs a Microsoft Graph token "
        "with Organization.Read.All, Application.Read.All and Directory.Read.All"
    )
    assert recorded.requests == []


# --------------------------------------------------------------------------- bad input


def _error(folder: str, tenant: str | None = None) -> str:
    with pytest.raises(InputError) as caught:
        transform(saved("msgraph", f"malformed/{folder}", tenant))
    return str(caught.value)


def test_a_truncated_page_names_the_line() -> None:
    assert _error("truncated") == (
        f"{BAD}/truncated/servicePrincipals.json: line 215 column 7: not valid JSON "
        "(Unterminated string starting at); is the file truncated?"
    )


def test_an_html_page_saved_instead_of_json_is_refused() -> None:
    assert _error("html") == (
        f"{BAD}/html/organization.json: /: an HTML page, not a saved API response "
        "(was an error or sign-in page saved?)"
    )


def test_a_wrong_type_names_file_record_and_field() -> None:
    assert _error("wrong_type", "fabrikam") == (
        f"{BAD}/wrong_type/servicePrincipals.json: /value/5 field 'accountEnabled': "
        "expected true or false, got a string"
    )
    assert _error("not_array", "fabrikam") == (
        f"{BAD}/not_array/servicePrincipals.json: / field 'value': expected an array, got an object"
    )


def test_a_bad_timestamp_names_the_credential() -> None:
    assert _error("bad_date") == (
        f"{BAD}/bad_date/applications.json: /value/0/passwordCredentials/1 field "
        "'endDateTime': not an ISO 8601 timestamp (expected e.g. 2026-01-31T09:00:00Z)"
    )


def test_a_grant_of_an_unsaved_service_principal_is_left_out_with_a_warning() -> None:
    # The servicePrincipals page says more follow; the grant names a client on the page
    # that was not saved. Everything else is kept, and the grant is said to be left out.
    result = transform(saved("msgraph", "malformed/missing_page"))
    grants = f"{BAD}/missing_page/oauth2PermissionGrants.2.json"
    off_page = "names a service principal that is not on the servicePrincipals pages read"
    assert result.warnings == [
        f"{grants}: /value/0: clientId {off_page}; the grant is left out",
        f"{grants}: /value/1: clientId {off_page}; the grant is left out",
    ]
    integrations = [n.id for n in result.batches[0].nodes if n.label == "Integration"]
    tenant = "m365:0d4a7c2e-8f31-4b6a-a5d9-2c7e1f4b8a63"
    assert sorted(integrations) == [
        f"{tenant}:sp:6b1f0a2e-4c3d-4e8b-9a71-2d5c8e3f9b10",
        f"{tenant}:sp:9d4c2a18-7e53-4b6f-a091-3c8e5f7d2b64",
    ]
    assert not [n for n in result.batches[0].nodes if ":grant:" in n.id]


def test_an_unknown_consent_type_is_refused() -> None:
    assert _error("consent_type", "fabrikam") == (
        f"{BAD}/consent_type/oauth2PermissionGrants.json: /value/1 field 'consentType': "
        "expected AllPrincipals or Principal"
    )


def test_without_an_organization_page_the_tenant_comes_from_the_flag() -> None:
    assert _error("no_organization") == (
        f"{BAD}/no_organization/applications.json: /: no organization page says which "
        "tenant this is: save GET /v1.0/organization as organization.json, or pass --tenant"
    )
    result = transform(saved("msgraph", "malformed/no_organization", "fabrikam.com"))
    assert [b.tenant for b in result.batches] == ["m365:fabrikam.com"]
    assert props(result, "m365:fabrikam.com") == {"provider": "m365", "name": "fabrikam.com"}
    # Registered here, per the app registrations; no publisher hints, as for any in-house app.
    assert props(result, "m365:fabrikam.com:sp:" + ROBOT)["name"] == "Warehouse Robot"


def test_two_organizations_in_one_folder_are_refused(tmp_path: Path) -> None:
    body = page(SAVED / "organization.json")
    other = json.loads(json.dumps(body["value"][0]))
    other["id"] = "11111111-2222-4333-8444-555555555555"
    body["value"].append(other)
    (tmp_path / "organization.json").write_text(json.dumps(body))
    raw = read_saved(get_source("msgraph"), tmp_path, None)
    with pytest.raises(InputError) as caught:
        transform(RawInput(raw.source, None, raw.pages))
    assert str(caught.value) == (
        f"{tmp_path}/organization.json: /value/1 field 'id': a second organization; "
        "save one tenant per folder"
    )
