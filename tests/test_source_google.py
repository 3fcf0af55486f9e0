"""The Google source: records from saved pages, the graph they make, live fetch, and bad input."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from nhigraph.errors import ConfigError, InputError
from nhigraph.graph.blast import blast_radius
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.policy import default_policy
from nhigraph.graph.store import StoredRel
from nhigraph.ingest.http import AccessDenied
from nhigraph.ingest.raw import RawPage
from nhigraph.ingest.source import FetchContext, RawInput, SourceResult, read_saved
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
ESTATE = FIXTURES / "google" / "estate"
BAD = FIXTURES / "google" / "malformed"
EXAMPLE = ROOT / "examples" / "saas" / "google"

W = "google_workspace:fabrikam.com"
PROD, CI, SANDBOX = "gcp:fabrikam-prod", "gcp:fabrikam-ci", "gcp:fabrikam-sandbox"
AUTH = "https://www.googleapis.com/auth/"

ANA, BEN, CARLA, DEV, ERIN = (f"10471122334455667788{i}" for i in range(1, 6))
SYNC = "531998127744-7d9q2l5v0k3m8n1p4r6s2t9u0w3x5y7z.apps.googleusercontent.com"
IOS = "407408718192-x1c2v3b4n5m6q7w8e9r0t1y2u3i4o5p6.apps.googleusercontent.com"
LEDGERLY = "880245719183-l3dg3rlyq8w2e4r6t8y0u1i3o5p7a9s2.apps.googleusercontent.com"
MEET = "662014987355-m33tsm4rtc4l3nd4r5y6u7i8o9p0a1s2.apps.googleusercontent.com"
ANON = "1079334410223-q0w9e8r7t6y5u4i3o2p1a2s3d4f5g6h7.apps.googleusercontent.com"
SIGNAL = "294870561023-s1gn4lw4tchz8x7c6v5b4n3m2q1w0e9r.apps.googleusercontent.com"

LEDGER_SA = "ledger-export@fabrikam-prod.iam.gserviceaccount.com"
COMPUTE_SA = "415104041262-compute@developer.gserviceaccount.com"
BACKUP_SA = "old-backup@fabrikam-prod.iam.gserviceaccount.com"
DEPLOYER_SA = "deployer@fabrikam-ci.iam.gserviceaccount.com"
LINT_SA = "lint-bot@fabrikam-ci.iam.gserviceaccount.com"
KEY_LIVE = "3f1c9a6b2d8e4f7a0b5c1d2e3f4a5b6c7d8e9f01"
KEY_EXPIRED = "8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b"
KEY_SYSTEM = "0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d"
KEY_DISABLED = "5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b"
KEY_BACKUP = "9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c"
KEY_DEPLOY = "2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c"

TOKEN = "ya29.test-only-not-a-token"
DIRECTORY = "https://admin.googleapis.com/admin/directory/v1"
CRM = "https://cloudresourcemanager.googleapis.com/v1"
IAM = "https://iam.googleapis.com/v1"
AS_OF = "2026-07-01T00:00:00Z"


def app(client_id: str) -> str:
    return f"{W}:app:{client_id}"


def token(client_id: str, user_id: str) -> str:
    return f"{W}:token:{client_id}:{user_id}"


def user(user_id: str) -> str:
    return f"{W}:user:{user_id}"


def scope(name: str, tenant: str = W) -> str:
    return f"{tenant}/{name}"


def sa(tenant: str, email: str) -> str:
    return f"{tenant}:sa:{email}"


def key(tenant: str, key_id: str) -> str:
    return f"{tenant}:key:{key_id}"


@pytest.fixture(scope="module")
def estate() -> SourceResult:
    return transform(saved("google", "estate"))


# --------------------------------------------------------------------------- records


def test_one_batch_for_the_workspace_then_one_per_project_in_id_order(
    estate: SourceResult,
) -> None:
    assert [(b.source, b.tenant, len(b.nodes), len(b.rels)) for b in estate.batches] == [
        ("google", W, 38, 51),
        ("google", CI, 20, 25),
        ("google", PROD, 17, 20),
        ("google", SANDBOX, 7, 6),
    ]
    assert estate.unclassified == ["projects/fabrikam-ci/roles/artifactPusher"]
    assert node_ids(estate, "Tenant") == [CI, PROD, PROD, SANDBOX, W]  # PROD: CI's guest too
    assert props(estate, W) == {"provider": "google_workspace", "name": "fabrikam.com"}
    assert props(estate, PROD) == {"provider": "gcp", "name": "Fabrikam Production"}
    assert props(estate, SANDBOX) == {"provider": "gcp", "name": "Old sandbox"}
    assert props(estate, f"{PROD}:store:secret_manager") == {
        "name": "Secret Manager secrets",
        "kind": "secrets_vault",
        "classification": "restricted",
    }


def test_oauth_apps_are_one_integration_per_client_id(estate: SourceResult) -> None:
    assert node_ids(estate, "Integration")[5:] == sorted(
        app(c) for c in (SYNC, IOS, LEDGERLY, MEET, ANON, SIGNAL)
    )
    assert props(estate, app(LEDGERLY)) == {
        "name": "Ledgerly",
        "kind": "oauth_app",
        "status": "enabled",
        "lifecycle": "in_use",
        "provider": "google_workspace",
        "client_id": LEDGERLY,
        "publisher": "Ledgerly",
        "publisher_verified": False,
    }
    # No displayText: named by its client id, and no publisher hint at all.
    assert props(estate, app(ANON)) == {
        "name": ANON,
        "kind": "oauth_app",
        "status": "enabled",
        "lifecycle": "in_use",
        "provider": "google_workspace",
        "client_id": ANON,
    }


def test_unregistered_apps_sharing_the_anonymous_client_id_stay_apart() -> None:
    def token(display: str, user_key: str, *scopes: str) -> dict[str, object]:
        return {
            "kind": "admin#directory#token",
            "etag": f'"tok-anon-{user_key[-1]}"',
            "clientId": "anonymous",
            "anonymous": True,
            "nativeApp": True,
            "userKey": user_key,
            "scopes": [AUTH + s for s in scopes],
            "displayText": display,
        }

    pages = [
        RawPage(
            "tokens",
            f"tokens.{user_key}.json",
            {"kind": "admin#directory#tokenList", "etag": '"list"', "items": items},
            {"userKey": user_key},
        )
        for user_key, items in (
            (
                ANA,
                [token("Legacy Sync Tool", ANA, "drive"), token("Mail Merge", ANA, "gmail.send")],
            ),
            (BEN, [token("Mail Merge", BEN, "gmail.send")]),
        )
    ]
    result = transform(RawInput("google", "fabrikam.com", {"tokens": pages}))
    sync, merge = f"{W}:app:anonymous:Legacy-Sync-Tool", f"{W}:app:anonymous:Mail-Merge"
    assert node_ids(result, "Integration") == [sync, merge]
    assert props(result, sync)["name"] == "Legacy Sync Tool"
    assert props(result, merge)["client_id"] == "anonymous"
    assert rels(result, "GRANTS") == [
        (f"{sync.replace(':app:', ':token:')}:{ANA}", f"{W}/{AUTH}drive"),
        (f"{merge.replace(':app:', ':token:')}:{ANA}", f"{W}/{AUTH}gmail.send"),
        (f"{merge.replace(':app:', ':token:')}:{BEN}", f"{W}/{AUTH}gmail.send"),
    ]


def test_each_users_grant_is_a_refresh_token_acting_as_that_user(estate: SourceResult) -> None:
    assert props(estate, token(LEDGERLY, CARLA)) == {
        "kind": "oauth_refresh_token",
        "identifier": f"{LEDGERLY}:{CARLA}",
        "status": "active",
    }
    assert [r for r in rels(estate, "HAS_CREDENTIAL") if r[0] == app(LEDGERLY)] == [
        (app(LEDGERLY), token(LEDGERLY, BEN)),
        (app(LEDGERLY), token(LEDGERLY, CARLA)),
    ]
    assert rels(estate, "ACTS_AS") == sorted(
        [
            (token(SYNC, ANA), user(ANA)),
            (token(IOS, ANA), user(ANA)),
            (token(LEDGERLY, BEN), user(BEN)),
            (token(MEET, BEN), user(BEN)),
            (token(ANON, BEN), user(BEN)),
            (token(LEDGERLY, CARLA), user(CARLA)),
            (token(SIGNAL, ERIN), user(ERIN)),
        ]
    )
    assert [r[1] for r in rels(estate, "GRANTS") if r[0] == token(LEDGERLY, BEN)] == [
        scope(AUTH + "drive.readonly"),
        scope(AUTH + "gmail.readonly"),
        scope(AUTH + "userinfo.email"),
        scope("openid"),
    ]
    assert len([r for r in rels(estate, "GRANTS") if r[0].startswith(W)]) == 15


def test_principals_carry_suspension_and_admin_from_the_users_pages(
    estate: SourceResult,
) -> None:
    assert node_ids(estate, "Principal") == [user(ANA), user(BEN), user(CARLA), user(ERIN)]
    assert props(estate, user(ANA)) == {
        "name": "ana.lopez@fabrikam.com",
        "kind": "user",
        "enabled": True,
        "is_admin": True,
    }
    assert props(estate, user(CARLA))["enabled"] is False  # suspended
    # A delegated admin is an admin; the email is kept in lower case.
    assert props(estate, user(ERIN)) == {
        "name": "erin.walsh@fabrikam.com",
        "kind": "user",
        "enabled": True,
        "is_admin": True,
    }


def test_scopes_are_full_scope_strings_classified_by_the_catalogue(
    estate: SourceResult,
) -> None:
    admin = scope(AUTH + "admin.directory.user")
    assert props(estate, admin) == {
        "name": AUTH + "admin.directory.user",
        "provider": "google_workspace",
        "access": "admin",
        "sensitive": True,
    }
    assert [r for r in rels(estate, "CAN_ACCESS") if r[0] == admin] == [(admin, W)]
    assert len(node_ids(estate, "Scope")) == 18
    assert props(estate, scope("projects/fabrikam-ci/roles/artifactPusher", CI)) == {
        "name": "projects/fabrikam-ci/roles/artifactPusher",
        "provider": "gcp",
        "access": "write",
        "sensitive": False,
        "unclassified": True,
    }


def test_service_accounts_and_their_user_managed_keys(estate: SourceResult) -> None:
    assert node_ids(estate, "Integration")[:5] == [
        sa(CI, DEPLOYER_SA),
        sa(CI, LINT_SA),
        sa(PROD, COMPUTE_SA),
        sa(PROD, LEDGER_SA),
        sa(PROD, BACKUP_SA),
    ]
    assert props(estate, sa(PROD, BACKUP_SA)) == {
        "name": "Nightly backup (retired)",
        "kind": "service_account",
        "status": "disabled",
        "lifecycle": "in_use",
        "provider": "gcp",
        "client_id": "109876543210987654321",
    }
    assert props(estate, sa(CI, LINT_SA))["name"] == LINT_SA  # no displayName
    # System-managed keys (Google's, rotated by Google) are left out.
    assert node_ids(estate, "Credential")[:5] == [
        key(CI, KEY_DEPLOY),
        key(PROD, KEY_LIVE),
        key(PROD, KEY_DISABLED),
        key(PROD, KEY_EXPIRED),
        key(PROD, KEY_BACKUP),
    ]
    assert props(estate, key(PROD, KEY_LIVE)) == {
        "kind": "service_account_key",
        "identifier": KEY_LIVE,
        "created_at": "2024-06-01T09:30:00Z",
        "status": "active",
    }  # validBeforeTime 9999-12-31: never expires
    assert props(estate, key(PROD, KEY_EXPIRED))["expires_at"] == "2025-03-01T12:00:00Z"
    assert props(estate, key(PROD, KEY_EXPIRED))["status"] == "active"  # expired stays active
    assert props(estate, key(PROD, KEY_DISABLED))["status"] == "disabled"
    assert props(estate, key(CI, KEY_DEPLOY))["expires_at"] == "2027-01-05T10:00:00Z"
    assert [r for r in rels(estate, "HAS_CREDENTIAL") if r[0] == sa(PROD, LEDGER_SA)] == [
        (sa(PROD, LEDGER_SA), key(PROD, KEY_LIVE)),
        (sa(PROD, LEDGER_SA), key(PROD, KEY_DISABLED)),
        (sa(PROD, LEDGER_SA), key(PROD, KEY_EXPIRED)),
    ]


def test_private_key_data_in_a_saved_page_is_kept_only_as_a_fingerprint(
    estate: SourceResult,
) -> None:
    body = page(ESTATE / "serviceAccountKeys.old-backup.json")
    secret = body["keys"][0]["privateKeyData"]
    backup = props(estate, key(PROD, KEY_BACKUP))
    assert backup == {
        "kind": "service_account_key",
        "identifier": KEY_BACKUP,
        "fingerprint": FINGERPRINTER.fingerprint(secret),
        "created_at": "2022-01-10T08:00:00Z",
        "status": "active",
    }
    kept = strings_in([(n.id, n.props) for b in estate.batches for n in b.nodes])
    assert not [s for s in kept if secret[:24] in s or "test material" in s]
    assert "test material" in base64.b64decode(secret).decode()  # the fixture does carry one


def test_project_roles_become_grants_of_each_key_of_the_account(estate: SourceResult) -> None:
    gcp_grants = [r for r in rels(estate, "GRANTS") if r[0].startswith("gcp:")]
    ledger = [KEY_LIVE, KEY_DISABLED, KEY_EXPIRED]
    assert gcp_grants == sorted(
        [
            (key(CI, KEY_DEPLOY), scope("projects/fabrikam-ci/roles/artifactPusher", CI)),
            (key(CI, KEY_DEPLOY), scope("roles/owner", CI)),
            (key(CI, KEY_DEPLOY), scope("roles/editor", PROD)),  # across projects
            *[(key(PROD, k), scope("roles/bigquery.dataViewer", PROD)) for k in ledger],
            # roles/storage.objectViewer_withcond_<hash>: a conditional binding, kept
            *[(key(PROD, k), scope("roles/storage.objectViewer", PROD)) for k in ledger],
            (key(PROD, KEY_BACKUP), scope("roles/secretmanager.secretAccessor", PROD)),
        ]
    )
    # Users, groups, domains, deleted and unknown accounts grant nothing here; the
    # default compute account holds editor but has no user-managed key.
    ci = next(b for b in estate.batches if b.tenant == CI)
    guest = sorted(n.id for n in ci.nodes if n.id.startswith(PROD))
    assert guest == [
        PROD,
        scope("roles/editor", PROD),
        *[f"{PROD}:store:{s}" for s in ("bigquery", "cloud_sql", "cloud_storage")],
        *[f"{PROD}:store:{s}" for s in ("compute", "iam", "secret_manager")],
    ]


def test_a_project_pending_deletion_is_an_empty_tenant(estate: SourceResult) -> None:
    sandbox = next(b for b in estate.batches if b.tenant == SANDBOX)
    assert sorted(n.label for n in sandbox.nodes) == ["DataStore"] * 6 + ["Tenant"]


# --------------------------------------------------------------------------- the graph


def test_the_graph_in_the_embedded_store_and_a_second_ingest_changes_nothing(
    estate: SourceResult,
) -> None:
    store = EmbeddedStore(":memory:")
    first = write(store, estate)
    # CI's batch repeats the prod tenant, its 6 stores and their 6 CONTAINS edges.
    assert (first.nodes_added, first.nodes_unchanged) == (75, 7)
    assert (first.rels_added, first.rels_unchanged) == (96, 6)
    stats = store.stats()
    assert stats.nodes == {
        "Credential": 12,
        "DataStore": 26,
        "Integration": 11,
        "Principal": 4,
        "Scope": 18,
        "Tenant": 4,
    }
    assert stats.rels == {
        "ACTS_AS": 7,
        "CAN_ACCESS": 26,
        "CONTAINS": 26,
        "GRANTS": 25,
        "HAS_CREDENTIAL": 12,
    }
    can_access = {
        (item.start, item.end): item.props["access"]
        for item in store.export()
        if isinstance(item, StoredRel) and item.type == "CAN_ACCESS"
    }
    assert can_access[(scope(AUTH + "admin.directory.user"), W)] == "admin"
    assert can_access[(scope("roles/owner", CI), CI)] == "admin"
    assert can_access[(scope("roles/editor", PROD), f"{PROD}:store:secret_manager")] == "write"

    again = write(store, transform(saved("google", "estate")))
    assert (again.nodes_added, again.nodes_updated, again.nodes_removed) == (0, 0, 0)
    assert (again.rels_added, again.rels_updated, again.rels_removed) == (0, 0, 0)
    assert (again.nodes_unchanged, again.rels_unchanged) == (82, 102)


def test_blast_radius_of_an_admins_grant_and_of_a_cross_project_key(
    estate: SourceResult,
) -> None:
    store = EmbeddedStore(":memory:")
    write(store, estate)
    policy = default_policy().blast
    radius = blast_radius(store, [token(SYNC, ANA)], AS_OF, policy)
    stores = ("audit_logs", "calendar", "chat", "contacts", "directory", "drive", "gmail")
    assert [(s.id, s.access) for s in radius.stores] == [
        (f"{W}:store:{name}", "admin") for name in (*stores, "groups")
    ]
    radius = blast_radius(store, [key(CI, KEY_DEPLOY)], AS_OF, policy)
    assert [(t.id, t.access) for t in radius.tenants] == [(CI, "admin"), (PROD, "write")]
    # Suspended user; expired key; disabled key: none is live.
    dead = [token(LEDGERLY, CARLA), key(PROD, KEY_EXPIRED), key(PROD, KEY_DISABLED)]
    assert blast_radius(store, dead, AS_OF, policy).live_start == ()
    radius = blast_radius(store, [key(PROD, KEY_LIVE)], AS_OF, policy)
    assert [(s.id, s.access) for s in radius.stores] == [
        (f"{PROD}:store:bigquery", "read"),
        (f"{PROD}:store:cloud_storage", "read"),
    ]


# --------------------------------------------------------------------------- tenants


def test_tenant_flag_wins_over_the_users_domain() -> None:
    result = transform(saved("google", "estate", tenant="Fabrikam.COM "))
    assert result.batches[0].tenant == W
    result = transform(saved("google", "estate", tenant="fabrikam.io"))
    assert result.batches[0].tenant == "google_workspace:fabrikam.io"


def test_tokens_without_users_need_the_tenant_flag() -> None:
    file = ESTATE / f"tokens.{BEN}.json"
    raw = read_saved(get_source("google"), file, None)
    with pytest.raises(InputError) as caught:
        transform(raw)
    assert str(caught.value) == (
        f"{file}: /: no user in these pages names the Workspace domain; pass --tenant with "
        "the primary domain (e.g. --tenant example.com)"
    )
    result = transform(read_saved(get_source("google"), file, "fabrikam.com"))
    assert [b.tenant for b in result.batches] == [W]
    # Not in a users page: the principal is known by its id only.
    assert props(result, user(BEN)) == {
        "name": BEN,
        "kind": "user",
        "enabled": True,
        "is_admin": False,
    }


# --------------------------------------------------------------------------- the example


def test_the_tailspin_example_reads_and_ties_ledgerly() -> None:
    result = transform(read_saved(get_source("google"), EXAMPLE, None))
    assert [b.tenant for b in result.batches] == [
        "google_workspace:tailspintoys.com",
        "gcp:tailspin-data",
        "gcp:tailspin-prod",
    ]
    assert result.unclassified == []
    assert len(node_ids(result, "Integration")) == 8
    publishers = {
        props(result, i)["name"]: props(result, i).get("publisher")
        for i in node_ids(result, "Integration")
    }
    assert publishers == {
        "Nightly ETL": None,
        "Ledgerly export": None,
        "Backup agent (retired)": None,
        "CI deployer": None,
        "SignalWatch": "SignalWatch",
        "SyncBridge": "SyncBridge",
        "MeetSmart": "MeetSmart",
        "Ledgerly": "Ledgerly",
    }
    keys = [props(result, c) for c in node_ids(result, "Credential")]
    assert len(keys) == 10
    assert sum(1 for k in keys if k["kind"] == "service_account_key" and "expires_at" not in k) == 3
    assert sum(1 for k in keys if k.get("expires_at", "9999") < AS_OF) == 1


# --------------------------------------------------------------------------- fetch


def settings(**values: Any) -> Settings:
    return Settings(**{"google_token": SecretStr(TOKEN), "http_max_retries": 2, **values})


def _users_url(page_token: str | None = None) -> str:
    url = f"{DIRECTORY}/users?customer=my_customer&maxResults=500"
    return url if page_token is None else f"{url}&pageToken={page_token}"


def _keys_url(project: str, email: str) -> str:
    return f"{IAM}/projects/{project}/serviceAccounts/{email}/keys?keyTypes=USER_MANAGED"


def _ok(name: str) -> list[Reply]:
    return [Reply(body=page(ESTATE / name))]


def recorded_estate() -> dict[str, list[Reply]]:
    return {
        f"GET {_users_url()}": _ok("users.1.json"),
        f"GET {_users_url('Q0FFU0FCZ2dCRUFBYUFB')}": _ok("users.2.json"),
        **{
            f"GET {DIRECTORY}/users/{u}/tokens": _ok(f"tokens.{u}.json")
            for u in (ANA, BEN, CARLA, DEV, ERIN)
        },
        f"GET {CRM}/projects": _ok("projects.1.json"),
        f"GET {CRM}/projects?pageToken=CgxmYWJyaWthbS1wcm9k": _ok("projects.2.json"),
        f"GET {IAM}/projects/fabrikam-prod/serviceAccounts?pageSize=100": _ok(
            "serviceAccounts.fabrikam-prod.1.json"
        ),
        f"GET {IAM}/projects/fabrikam-prod/serviceAccounts?pageSize=100&pageToken=c2EtcGFnZS0y": (
            _ok("serviceAccounts.fabrikam-prod.2.json")
        ),
        f"GET {IAM}/projects/fabrikam-ci/serviceAccounts?pageSize=100": _ok(
            "serviceAccounts.fabrikam-ci.json"
        ),
        f"GET {_keys_url('fabrikam-prod', LEDGER_SA)}": _ok(
            "serviceAccountKeys.ledger-export.json"
        ),
        f"GET {_keys_url('fabrikam-prod', COMPUTE_SA)}": _ok(
            "serviceAccountKeys.compute-default.json"
        ),
        f"GET {_keys_url('fabrikam-prod', BACKUP_SA)}": _ok("serviceAccountKeys.old-backup.json"),
        f"GET {_keys_url('fabrikam-ci', DEPLOYER_SA)}": _ok("serviceAccountKeys.deployer.json"),
        f"GET {_keys_url('fabrikam-ci', LINT_SA)}": _ok("serviceAccountKeys.lint-bot.json"),
        f"POST {CRM}/projects/fabrikam-prod:getIamPolicy": _ok("iamPolicy.fabrikam-prod.json"),
        f"POST {CRM}/projects/fabrikam-ci:getIamPolicy": _ok("iamPolicy.fabrikam-ci.json"),
    }


def _canonical(result: SourceResult) -> dict[str, tuple[dict[str, Any], set[tuple[str, ...]]]]:
    return {
        b.tenant: (
            {n.id: (n.label, dict(n.props)) for n in b.nodes},
            {(r.type, r.start, r.end, json.dumps(dict(r.props))) for r in b.rels},
        )
        for b in result.batches
    }


def test_fetch_pages_through_every_endpoint_and_gives_the_saved_records() -> None:
    recorded = Recorded(recorded_estate())
    raw = get_source("google").fetch(FetchContext(settings(), None, recorded.transport(), no_sleep))
    assert [f"{r.method} {r.url}" for r in recorded.requests] == [
        f"GET {_users_url()}",
        f"GET {_users_url('Q0FFU0FCZ2dCRUFBYUFB')}",
        *[f"GET {DIRECTORY}/users/{u}/tokens" for u in (ANA, BEN, CARLA, DEV, ERIN)],
        f"GET {CRM}/projects",
        f"GET {CRM}/projects?pageToken=CgxmYWJyaWthbS1wcm9k",
        f"GET {IAM}/projects/fabrikam-prod/serviceAccounts?pageSize=100",
        f"GET {IAM}/projects/fabrikam-prod/serviceAccounts?pageSize=100&pageToken=c2EtcGFnZS0y",
        f"GET {_keys_url('fabrikam-prod', LEDGER_SA)}",
        f"GET {_keys_url('fabrikam-prod', COMPUTE_SA)}",
        f"GET {_keys_url('fabrikam-prod', BACKUP_SA)}",
        f"POST {CRM}/projects/fabrikam-prod:getIamPolicy",
        f"GET {IAM}/projects/fabrikam-ci/serviceAccounts?pageSize=100",
        f"GET {_keys_url('fabrikam-ci', DEPLOYER_SA)}",
        f"GET {_keys_url('fabrikam-ci', LINT_SA)}",
        f"POST {CRM}/projects/fabrikam-ci:getIamPolicy",
    ]  # nothing for fabrikam-sandbox: it is pending deletion
    assert {r.headers["Authorization"] for r in recorded.requests} == {f"Bearer {TOKEN}"}
    assert {name: len(pages) for name, pages in raw.pages.items()} == {
        "users": 2,
        "tokens": 5,
        "projects": 2,
        "serviceAccounts": 3,
        "serviceAccountKeys": 5,
        "iamPolicy": 2,
    }
    assert raw.pages["iamPolicy"][1].params == {"project": "fabrikam-ci"}
    assert raw.pages["tokens"][0].params == {"userKey": ANA}
    assert _canonical(transform(raw)) == _canonical(transform(saved("google", "estate")))


def _workspace_only(users: list[Reply], projects: list[Reply]) -> dict[str, list[Reply]]:
    return {f"GET {_users_url()}": users, f"GET {CRM}/projects": projects}


def test_a_429_waits_for_retry_after_then_goes_on() -> None:
    sleeps = Sleeps()
    recorded = Recorded(
        _workspace_only(
            [
                Reply(
                    429,
                    {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}},
                    {"Retry-After": "7"},
                ),
                Reply(body={"kind": "admin#directory#users", "users": []}),
            ],
            [Reply(body={})],
        )
    )
    raw, reason = collect(
        get_source("google"), FetchContext(settings(), None, recorded.transport(), sleeps)
    )
    assert reason is None and raw is not None
    assert sleeps.waits == [7.0]
    assert [f"{r.method} {r.url}" for r in recorded.requests] == [
        f"GET {_users_url()}",
        f"GET {_users_url()}",
        f"GET {CRM}/projects",
    ]


def test_a_source_that_stays_down_is_unavailable_and_nothing_is_returned() -> None:
    sleeps = Sleeps()
    recorded = Recorded(
        _workspace_only([Reply(body={"users": []})], [Reply(503, {"error": {"code": 503}})])
    )
    raw, reason = collect(
        get_source("google"), FetchContext(settings(), None, recorded.transport(), sleeps)
    )
    assert raw is None
    assert reason == f"google: GET {CRM}/projects failed after 3 attempts (HTTP 503)"
    assert sleeps.waits == [1.0, 2.0]


@pytest.mark.parametrize(
    ("route", "status", "permission"),
    [
        (
            f"GET {DIRECTORY}/users/{ANA}/tokens",
            403,
            "the OAuth scope https://www.googleapis.com/auth/admin.directory.user.security and "
            "a Workspace admin role with the User Security Management privilege",
        ),
        (
            f"GET {_keys_url('fabrikam-prod', LEDGER_SA)}",
            401,
            "iam.serviceAccountKeys.list on the project (roles/iam.securityReviewer)",
        ),
        (
            f"POST {CRM}/projects/fabrikam-prod:getIamPolicy",
            403,
            "resourcemanager.projects.getIamPolicy on the project (roles/iam.securityReviewer)",
        ),
    ],
)
def test_access_denied_names_the_permission(route: str, status: int, permission: str) -> None:
    routes = recorded_estate()
    routes[route] = [Reply(status, {"error": {"code": status, "status": "PERMISSION_DENIED"}})]
    context = FetchContext(settings(), None, Recorded(routes).transport(), no_sleep)
    with pytest.raises(AccessDenied) as caught:
        collect(get_source("google"), context)
    method, url = route.split(" ", 1)
    assert str(caught.value) == (
        f"google: {method} {url.split('?')[0]} returned {status}: the credentials need {permission}"
    )


def test_fetch_without_a_token_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NHIGRAPH_GOOGLE_TOKEN", raising=False)
    with pytest.raises(ConfigError) as caught:
        get_source("google").fetch(FetchContext(Settings(), None, Recorded({}).transport()))
    assert str(caught.value) == (
        "google: set NHIGRAPH_GOOGLE_TOKEN to an OAuth access token with the scopes "
        "admin.directory.user.readonly, admin.directory.user.security and "
        "cloud-platform.read-only (see docs/sources/google.md)"
    )


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("name", "tenant", "message"),
    [
        (
            "users.truncated.json",
            None,
            "line 14 column 18: not valid JSON (Expecting value); is the file truncated?",
        ),
        (
            "serviceAccountKeys.signin-page.json",
            None,
            "/: an HTML page, not a saved API response (was an error or sign-in page saved?)",
        ),
        (
            "tokens.scopes-not-array.json",
            "fabrikam.com",
            "/items/1 field 'scopes': expected an array, got a string",
        ),
        (
            "serviceAccounts.disabled-text.json",
            None,
            "/accounts/0 field 'disabled': expected true or false, got a string",
        ),
        (
            "serviceAccountKeys.bad-time.json",
            None,
            "/keys/0 field 'validAfterTime': not an ISO 8601 timestamp "
            "(expected e.g. 2026-01-31T09:00:00Z)",
        ),
        (
            "serviceAccountKeys.bad-name.json",
            None,
            "/keys/0 field 'name': expected projects/<project>/serviceAccounts/<email>/keys/"
            "<key id>",
        ),
        (
            "iamPolicy.1.json",
            None,
            "/: cannot tell which project this allow policy is of; save it as "
            "iamPolicy.<project id>.json",
        ),
    ],
)
def test_bad_input_is_one_line_naming_file_record_and_field(
    name: str, tenant: str | None, message: str
) -> None:
    file = BAD / name
    with pytest.raises(InputError) as caught:
        transform(read_saved(get_source("google"), file, tenant))
    assert str(caught.value) == f"{file}: {message}"


def test_a_stray_file_in_a_saved_folder_is_skipped_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "users.json").write_text(json.dumps({"users": []}))
    (tmp_path / "groups.json").write_text("{}")
    raw = read_saved(get_source("google"), tmp_path, "fabrikam.com")
    assert list(raw.pages) == ["users"]
    assert raw.notes == (f"{tmp_path / 'groups.json'}: not a saved page of google; skipped",)


def test_a_stray_file_named_alone_is_refused(tmp_path: Path) -> None:
    (tmp_path / "groups.json").write_text("{}")
    with pytest.raises(InputError, match=r"groups\.json: /: not a saved page of google"):
        read_saved(get_source("google"), tmp_path / "groups.json", "fabrikam.com")


def test_an_empty_input_gives_no_batches() -> None:
    assert transform(RawInput("google", None, {})).batches == []
