"""The Okta source: records from saved pages, the graph they make, live fetch, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from nhigraph.errors import ConfigError, InputError
from nhigraph.graph.blast import blast_radius
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.estate import read_estate
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.policy import default_policy
from nhigraph.ingest.http import AccessDenied
from nhigraph.ingest.raw import RawPage
from nhigraph.ingest.source import FetchContext, RawInput, merge_inputs, read_saved, save_pages
from nhigraph.ingest.sources import collect, get_source
from nhigraph.posture.findings import find
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
ORG = FIXTURES / "okta" / "org"
BAD = FIXTURES / "okta" / "bad"
T = "okta:fabrikam.okta.com"
SIEM, PROV, PORTAL = "0oa1fabSiemLgQ5x1d7", "0oa2fabHrPrvQ5x1d7", "0oa3fabPortlQ5x1d7"
LEGACY, FIELD = "0oa4fabLegcyQ5x1d7", "0oa6fabFieldQ5x1d7"
ALICE, BOB, ADMIN = "00u1fabAl1ceQ5x1d7", "00u2fabB0bQ5xx1d7", "00u3fabAdm1nQ5x1d7"
TF, LEGACY_SYNC, AUDIT = "00T1fabTerrafQ5x1d7", "00T2fabLegSynQ5x1d7", "00T3fabAudRptQ5x1d7"
SIEM_SECRET = "Zq8vR2mX_k4Tn7pWc1yH-fLs9dGb3JeA6uVo0iKt5NwQ2rYx8MzPh4Sa1EjUgC7D"
TOKEN = "00okta-test-token-not-a-real-one"
HOST = "https://fabrikam.okta.com"


def app(app_id: str, *rest: str) -> str:
    return ":".join([T, "app", app_id, *rest])


def api_token(token_id: str, *rest: str) -> str:
    return ":".join([T, "api_token", token_id, *rest])


def user(user_id: str) -> str:
    return f"{T}:user:{user_id}"


def scope(name: str) -> str:
    return f"{T}/{name}"


def store(key: str) -> str:
    return f"{T}:store:{key}"


# --------------------------------------------------------------------------- transform


def test_the_saved_org_becomes_one_batch_of_the_org_domain() -> None:
    result = transform(saved("okta", "org"))
    assert [(b.source, b.tenant) for b in result.batches] == [("okta", T)]
    assert result.unclassified == ["okta.workflows.invoke.manage"]
    assert node_ids(result, "Tenant") == [T]
    assert props(result, T) == {"provider": "okta", "name": "fabrikam.okta.com"}
    assert node_ids(result, "DataStore") == [
        store("apps"),
        store("directory"),
        store("policies"),
        store("system_log"),
    ]
    # The SAML app (Zendesk) is not an OAuth client and is left out.
    assert node_ids(result, "Integration") == [
        api_token(TF),
        api_token(LEGACY_SYNC),
        api_token(AUDIT),
        app(SIEM),
        app(PROV),
        app(PORTAL),
        app(LEGACY),
        app(FIELD),
    ]
    assert node_ids(result, "Credential") == [
        api_token(TF, "key"),
        api_token(LEGACY_SYNC, "key"),
        api_token(AUDIT, "key"),
        app(SIEM, "client"),
        app(PROV, "client"),
        app(PORTAL, "client"),
        app(PORTAL, "consent", ALICE),
        app(PORTAL, "consent", BOB),
        app(LEGACY, "client"),
        app(FIELD, "client"),
    ]
    assert node_ids(result, "Principal") == [user(ALICE), user(BOB), user(ADMIN)]
    assert node_ids(result, "Scope") == [
        scope(name)
        for name in (
            "okta.api_token",
            "okta.apps.read",
            "okta.groups.manage",
            "okta.groups.read",
            "okta.logs.read",
            "okta.roles.manage",
            "okta.users.manage",
            "okta.users.read",
            "okta.users.read.self",
            "okta.workflows.invoke.manage",
        )
    ]


def test_a_service_app_and_its_client_secret_are_mapped_field_by_field() -> None:
    result = transform(saved("okta", "org"))
    assert props(result, app(SIEM)) == {
        "name": "SIEM Log Shipper",
        "kind": "api_client",
        "status": "enabled",
        "lifecycle": "in_use",
        "created_at": "2024-01-15T10:20:30Z",
        "provider": "okta",
        "client_id": SIEM,
    }
    assert props(result, app(SIEM, "client")) == {
        "kind": "client_secret",
        "identifier": SIEM,
        "fingerprint": FINGERPRINTER.fingerprint(SIEM_SECRET),
        "status": "active",
    }
    # private_key_jwt: a key pair, no secret to fingerprint.
    assert props(result, app(PROV, "client")) == {
        "kind": "certificate",
        "identifier": PROV,
        "status": "active",
    }


def test_the_client_secret_value_is_never_kept() -> None:
    result = transform(saved("okta", "org"))
    everything = [(n.id, n.props) for b in result.batches for n in b.nodes] + [
        (r.start, r.end, r.props) for b in result.batches for r in b.rels
    ]
    assert not [s for s in strings_in(everything) if SIEM_SECRET in s]


def test_an_inactive_public_client_and_an_app_without_created() -> None:
    result = transform(saved("okta", "org"))
    assert props(result, app(LEGACY)) == {
        "name": "Legacy Dashboard",
        "kind": "oauth_app",
        "status": "disabled",
        "lifecycle": "in_use",
        "created_at": "2021-05-20T07:00:00Z",
        "provider": "okta",
        "client_id": LEGACY,
    }
    # token_endpoint_auth_method none: no secret, tokens come from users signing in.
    assert props(result, app(LEGACY, "client")) == {
        "kind": "oauth_grant",
        "identifier": LEGACY,
        "status": "active",
    }
    assert "created_at" not in props(result, app(FIELD))


def test_only_active_grants_are_granted_and_admin_scopes_reach_the_tenant() -> None:
    result = transform(saved("okta", "org"))
    assert rels(result, "GRANTS") == sorted(
        [
            (api_token(TF, "key"), scope("okta.api_token")),
            (api_token(LEGACY_SYNC, "key"), scope("okta.api_token")),
            (api_token(AUDIT, "key"), scope("okta.api_token")),
            (app(SIEM, "client"), scope("okta.logs.read")),
            (app(SIEM, "client"), scope("okta.users.read")),
            (app(PROV, "client"), scope("okta.groups.manage")),
            (app(PROV, "client"), scope("okta.roles.manage")),
            (app(PROV, "client"), scope("okta.users.manage")),
            # okta.apps.read of HR Provisioning is REVOKED: not granted.
            (app(PORTAL, "client"), scope("okta.groups.read")),
            (app(PORTAL, "consent", ALICE), scope("okta.users.read.self")),
            (app(LEGACY, "client"), scope("okta.apps.read")),
            (app(LEGACY, "client"), scope("okta.workflows.invoke.manage")),
        ]
    )
    assert props(result, scope("okta.roles.manage")) == {
        "name": "okta.roles.manage",
        "provider": "okta",
        "access": "admin",
        "sensitive": True,
    }
    assert props(result, scope("okta.workflows.invoke.manage")) == {
        "name": "okta.workflows.invoke.manage",
        "provider": "okta",
        "access": "write",
        "sensitive": False,
        "unclassified": True,
    }
    can_access = {
        (r.start, r.end): r.props for b in result.batches for r in b.rels if r.type == "CAN_ACCESS"
    }
    assert can_access == {
        (scope("okta.api_token"), T): {"access": "admin"},
        (scope("okta.roles.manage"), T): {"access": "admin"},
        (scope("okta.workflows.invoke.manage"), T): {"access": "write"},
        (scope("okta.apps.read"), store("apps")): {"access": "read"},
        (scope("okta.groups.manage"), store("directory")): {"access": "write"},
        (scope("okta.groups.read"), store("directory")): {"access": "read"},
        (scope("okta.logs.read"), store("system_log")): {"access": "read"},
        (scope("okta.users.manage"), store("directory")): {"access": "write"},
        (scope("okta.users.read"), store("directory")): {"access": "read"},
    }


def test_user_consent_is_a_delegated_grant_and_a_revoked_one_keeps_its_time() -> None:
    result = transform(saved("okta", "org"))
    assert props(result, app(PORTAL, "consent", ALICE)) == {
        "kind": "oauth_grant",
        "identifier": PORTAL,
        "created_at": "2024-05-06T08:15:00Z",
        "status": "active",
    }
    assert props(result, app(PORTAL, "consent", BOB)) == {
        "kind": "oauth_grant",
        "identifier": PORTAL,
        "created_at": "2023-02-01T09:00:00Z",
        "status": "revoked",
        "revoked_at": "2024-10-11T13:14:15Z",
    }
    assert rels(result, "ACTS_AS") == sorted(
        [
            (api_token(TF, "key"), user(ADMIN)),
            (api_token(LEGACY_SYNC, "key"), user(ADMIN)),
            (api_token(AUDIT, "key"), user(ALICE)),
            (app(PORTAL, "consent", ALICE), user(ALICE)),
            (app(PORTAL, "consent", BOB), user(BOB)),
        ]
    )
    assert (app(PORTAL), app(PORTAL, "consent", BOB)) in rels(result, "HAS_CREDENTIAL")
    assert len(rels(result, "HAS_CREDENTIAL")) == 10


def test_api_tokens_are_admin_keys_with_rolling_expiry() -> None:
    result = transform(saved("okta", "org"))
    assert props(result, api_token(TF)) == {
        "name": "Terraform CI",
        "kind": "api_client",
        "status": "enabled",
        "lifecycle": "in_use",
        "created_at": "2025-09-01T12:00:00Z",
        "provider": "okta",
    }
    assert props(result, api_token(TF, "key")) == {
        "kind": "api_key",
        "identifier": TF,
        "created_at": "2025-09-01T12:00:00Z",
        "expires_at": "2026-12-20T08:30:00Z",
        "status": "active",
        # Usable only from the corporate network zone.
        "network_connection": "ZONE",
        "network_zones": ["nzo1fabCorpNetQ5x1d7"],
    }
    # Usable from any IP address.
    assert props(result, api_token(LEGACY_SYNC, "key"))["network_connection"] == "ANYWHERE"
    # Expired (unused for 30 days) stays active, with its expiry in the past.
    assert props(result, api_token(LEGACY_SYNC, "key"))["expires_at"] == "2025-03-01T00:00:00Z"
    assert props(result, api_token(LEGACY_SYNC, "key"))["status"] == "active"
    assert "expires_at" not in props(result, api_token(AUDIT, "key"))
    assert props(result, scope("okta.api_token")) == {
        "name": "okta.api_token",
        "provider": "okta",
        "access": "admin",
        "sensitive": True,
    }
    # Only admins create API tokens; a consenting user is not known to be one.
    assert props(result, user(ADMIN)) == {
        "name": ADMIN,
        "kind": "user",
        "enabled": True,
        "is_admin": True,
    }
    assert props(result, user(ALICE))["is_admin"] is True
    assert props(result, user(BOB))["is_admin"] is False


def _apps_only(folder: Path) -> RawInput:
    """The org's apps pages alone: the OAuth clients and the apps that are not."""
    raw = read_saved(get_source("okta"), folder, None)
    return RawInput(raw.source, raw.tenant, {"apps": raw.of("apps")})


def test_apps_without_an_oauth_client_get_no_made_up_credential(
    store: EmbeddedStore | Neo4jStore,
) -> None:
    """Okta's first-party Admin Console (OPENID_CONNECT, no credentials.oauthClient), a
    bookmark app and a SAML app hold no client secret: no integration, no credential, and
    so no ownerless or never-expires finding about a secret that does not exist."""
    first_party, bookmark, saml = "0oa9fabAdmCnQ5x1d7", "0oaAfabWikiBkQ5x1d7", "0oa5fabZndskQ5x1d7"
    result = transform(_apps_only(ORG))
    assert node_ids(result, "Integration") == [
        app(SIEM),
        app(PROV),
        app(PORTAL),
        app(LEGACY),
        app(FIELD),
    ]
    assert node_ids(result, "Credential") == [
        app(SIEM, "client"),
        app(PROV, "client"),
        app(PORTAL, "client"),
        app(LEGACY, "client"),
        app(FIELD, "client"),
    ]
    write(store, result)
    findings = find(read_estate(store), store, default_policy(), "2026-07-01T00:00:00Z")
    subjects = {f.subject for f in findings} | {f.integration for f in findings}
    assert not {s for s in subjects if s and any(a in s for a in (first_party, bookmark, saml))}
    # The real clients are still judged: e.g. the SIEM shipper's secret never expires.
    assert ("NHI-CRED-001", app(SIEM, "client")) in {(f.rule, f.subject) for f in findings}


def test_api_token_network_conditions_are_kept_on_both_stores(
    store: EmbeddedStore | Neo4jStore,
) -> None:
    write(store, transform(saved("okta", "org")))
    keys = store.get_nodes([api_token(t, "key") for t in (TF, LEGACY_SYNC, AUDIT)])
    said = {
        node_id.split(":")[-2]: (
            node.props.get("network_connection"),
            node.props.get("network_zones"),
            node.props.get("network_excluded_zones"),
        )
        for node_id, node in keys.items()
    }
    assert said == {
        TF: ("ZONE", ["nzo1fabCorpNetQ5x1d7"], None),
        LEGACY_SYNC: ("ANYWHERE", None, None),
        AUDIT: ("ANYWHERE", None, None),
    }


def test_grants_of_an_app_that_is_no_client_are_left_out_with_it() -> None:
    result = transform(saved("okta", "org"))
    assert not [r for r in rels(result, "GRANTS") if "0oa9fabAdmCnQ5x1d7" in r[0]]
    assert scope("okta.users.manage") in node_ids(result, "Scope")  # HR Provisioning's


# --------------------------------------------------------------------------- the graph


def test_written_graph_counts_reach_and_an_unchanged_reingest() -> None:
    result = transform(saved("okta", "org"))
    store_ = EmbeddedStore(":memory:")
    first = write(store_, result)
    assert (first.nodes_added, first.rels_added) == (36, 40)
    stats = store_.stats()
    assert stats.nodes == {
        "Credential": 10,
        "DataStore": 4,
        "Integration": 8,
        "Principal": 3,
        "Scope": 10,
        "Tenant": 1,
    }
    assert stats.rels == {
        "ACTS_AS": 5,
        "CAN_ACCESS": 9,
        "CONTAINS": 4,
        "GRANTS": 12,
        "HAS_CREDENTIAL": 10,
    }
    again = write(store_, transform(saved("okta", "org")))
    assert (again.nodes_added, again.nodes_updated, again.nodes_removed) == (0, 0, 0)
    assert (again.rels_added, again.rels_updated, again.rels_removed) == (0, 0, 0)
    assert (again.nodes_unchanged, again.rels_unchanged) == (36, 40)

    policy = default_policy().blast
    radius = blast_radius(store_, [app(PROV, "client")], "2026-07-01T00:00:00Z", policy)
    assert [(s.id, s.access) for s in radius.stores] == [
        (store("apps"), "admin"),
        (store("directory"), "admin"),
        (store("policies"), "admin"),
        (store("system_log"), "admin"),
    ]
    tokens = [api_token(TF, "key"), api_token(LEGACY_SYNC, "key")]
    radius = blast_radius(store_, tokens, "2026-07-01T00:00:00Z", policy)
    assert radius.live_start == (api_token(TF, "key"),)  # the other expired in 2025


def test_the_tenant_comes_from_the_flag_when_the_pages_carry_no_links() -> None:
    raw = read_saved(get_source("okta"), BAD / "apps.no_links.json", "https://Fabrikam.okta.com/")
    result = transform(raw)
    assert [b.tenant for b in result.batches] == [T]


def test_pages_of_two_orgs_are_refused() -> None:
    other = [json.loads((ORG / "api_tokens.2.json").read_text())[0]]
    other[0]["_links"]["self"]["href"] = "https://contoso.okta.com/api/v1/api-tokens/x"
    raw = RawInput(
        "okta",
        None,
        {
            "apps": [RawPage("apps", "apps.json", page(ORG / "apps.1.json"))],
            "api_tokens": [RawPage("api_tokens", "tokens.json", other)],
        },
    )
    with pytest.raises(InputError) as excinfo:
        transform(raw)
    assert str(excinfo.value) == (
        "tokens.json: /0 field '_links': links to Okta org contoso.okta.com, but apps.json "
        "links to fabrikam.okta.com; save one org per folder"
    )


def test_the_tailspin_example_reads_and_ties_to_the_tour() -> None:
    raw = read_saved(get_source("okta"), ROOT / "examples" / "saas" / "okta", None)
    assert sorted(raw.pages) == ["api_tokens", "apps", "grants"]
    result = transform(raw)
    tenant = "okta:tailspin.okta.com"
    assert [b.tenant for b in result.batches] == [tenant]
    assert result.unclassified == []
    integrations = {props(result, i)["name"]: i for i in node_ids(result, "Integration")}
    assert sorted(integrations) == [
        "Ledgerly Spend Sync",
        "MeetSmart Calendar",
        "Old SCIM bridge",
        "SignalWatch Log Collector",
        "SyncBridge HR Connector",
        "Tailspin Identity Automation",
        "Terraform okta provider",
        "Toy Catalog Admin (old SPA)",
    ]
    assert len(node_ids(result, "Credential")) == 10
    admin = [s for s in node_ids(result, "Scope") if props(result, s)["access"] == "admin"]
    assert admin == [
        f"{tenant}/okta.api_token",
        f"{tenant}/okta.apps.manage",
        f"{tenant}/okta.roles.manage",
    ]
    old = props(result, f"{tenant}:api_token:00T7tspOldScimS8n2p7:key")
    assert old["expires_at"] == "2025-08-14T04:00:00Z"
    ledgerly = props(result, f"{tenant}:app:0oa7tspLdgrlyS8n2p7:client")
    assert ledgerly == {
        "kind": "certificate",
        "identifier": "0oa7tspLdgrlyS8n2p7",
        "status": "active",
    }
    assert "expires_at" not in ledgerly


# --------------------------------------------------------------------------- fetch


def settings(**extra: object) -> Settings:
    values: dict[str, object] = {
        "okta_token": SecretStr(TOKEN),
        "okta_domain": "fabrikam.okta.com",
        "http_max_retries": 5,
    }
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


def link(url: str) -> dict[str, str]:
    return {"Link": f'<{HOST}/api/v1/self>; rel="self", <{url}>; rel="next"'}


def org_routes() -> dict[str, list[Reply]]:
    """The saved org served page by page, the way Okta pages it."""

    def grants_of(app_id: str) -> str:
        return f"GET {HOST}/api/v1/apps/{app_id}/grants"

    apps_next = f"{HOST}/api/v1/apps?after={PORTAL}&limit=200"
    prov_next = f"{HOST}/api/v1/apps/{PROV}/grants?after=oag4fabGrpMgQ5x1d7"
    tokens_next = f"{HOST}/api/v1/api-tokens?after={LEGACY_SYNC}&limit=200"
    return {
        f"GET {HOST}/api/v1/apps?limit=200": [
            Reply(200, page(ORG / "apps.1.json"), link(apps_next))
        ],
        f"GET {apps_next}": [Reply(200, page(ORG / "apps.2.json"))],
        grants_of(SIEM): [Reply(200, page(ORG / f"grants.{SIEM}.json"))],
        grants_of(PROV): [Reply(200, page(ORG / f"grants.{PROV}.1.json"), link(prov_next))],
        f"GET {prov_next}": [Reply(200, page(ORG / f"grants.{PROV}.2.json"))],
        grants_of(PORTAL): [Reply(200, page(ORG / f"grants.{PORTAL}.json"))],
        grants_of(LEGACY): [Reply(200, page(ORG / f"grants.{LEGACY}.json"))],
        grants_of(FIELD): [Reply(200, [])],
        f"GET {HOST}/api/v1/api-tokens?limit=200": [
            Reply(200, page(ORG / "api_tokens.1.json"), link(tokens_next))
        ],
        f"GET {tokens_next}": [Reply(200, page(ORG / "api_tokens.2.json"))],
    }


def context(recorded: Recorded, sleep: Sleeps | None = None, **extra: object) -> FetchContext:
    return FetchContext(settings(**extra), None, recorded.transport(), sleep or no_sleep)


def test_fetch_follows_every_page_of_every_endpoint() -> None:
    recorded = Recorded(org_routes())
    raw = get_source("okta").fetch(context(recorded))
    assert [str(r.url) for r in recorded.requests] == [
        f"{HOST}/api/v1/apps?limit=200",
        f"{HOST}/api/v1/apps?after={PORTAL}&limit=200",
        f"{HOST}/api/v1/apps/{SIEM}/grants",
        f"{HOST}/api/v1/apps/{PROV}/grants",
        f"{HOST}/api/v1/apps/{PROV}/grants?after=oag4fabGrpMgQ5x1d7",
        f"{HOST}/api/v1/apps/{PORTAL}/grants",
        f"{HOST}/api/v1/apps/{LEGACY}/grants",
        f"{HOST}/api/v1/apps/{FIELD}/grants",
        f"{HOST}/api/v1/api-tokens?limit=200",
        f"{HOST}/api/v1/api-tokens?after={LEGACY_SYNC}&limit=200",
    ]
    assert {r.method for r in recorded.requests} == {"GET"}
    assert {r.headers["Authorization"] for r in recorded.requests} == {f"SSWS {TOKEN}"}
    assert raw.tenant == "fabrikam.okta.com"
    assert {k: len(v) for k, v in raw.pages.items()} == {"apps": 2, "grants": 6, "api_tokens": 2}
    assert [p.params for p in raw.pages["grants"]] == [
        {"app": SIEM},
        {"app": PROV},
        {"app": PROV},
        {"app": PORTAL},
        {"app": LEGACY},
        {"app": FIELD},
    ]
    # The fetched pages make exactly the records the saved pages make.
    fetched = transform(raw)
    from_files = transform(saved("okta", "org"))
    assert fetched.batches[0].nodes == from_files.batches[0].nodes
    assert fetched.batches[0].rels == from_files.batches[0].rels
    assert not [s for s in strings_in([p.body for p in raw.pages["apps"]]) if TOKEN in s]


def test_pages_saved_by_collect_read_back_to_the_same_records(tmp_path: Path) -> None:
    raw = get_source("okta").fetch(context(Recorded(org_routes())))
    written = save_pages(raw, tmp_path)
    names = sorted(p.name for p in written)
    assert names[:4] == ["api_tokens.1.json", "api_tokens.2.json", "apps.1.json", "apps.2.json"]
    # A grants page is named after the app it was fetched for (two pages of one app: .n).
    assert len(names) == 10 and all(n.startswith("grants.0oa") for n in names[4:])
    again = transform(read_saved(get_source("okta"), tmp_path, None))
    fetched = transform(raw)
    assert sorted(again.batches[0].nodes, key=repr) == sorted(fetched.batches[0].nodes, key=repr)
    assert sorted(again.batches[0].rels, key=repr) == sorted(fetched.batches[0].rels, key=repr)


def test_fetch_waits_as_told_by_retry_after() -> None:
    routes = org_routes()
    first = routes[f"GET {HOST}/api/v1/apps?limit=200"][0]
    routes[f"GET {HOST}/api/v1/apps?limit=200"] = [
        Reply(429, {"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit"},
              {"Retry-After": "7"}),
        Reply(429, {"errorCode": "E0000047"}, {"Retry-After": "3"}),
        first,
    ]  # fmt: skip
    recorded, sleeps = Recorded(routes), Sleeps()
    raw = get_source("okta").fetch(context(recorded, sleeps))
    assert sleeps.waits == [7.0, 3.0]
    assert len(raw.pages["apps"]) == 2
    assert [str(r.url) for r in recorded.requests[:3]] == [f"{HOST}/api/v1/apps?limit=200"] * 3


def test_an_okta_that_stays_down_is_unavailable_and_nothing_is_written() -> None:
    routes = {f"GET {HOST}/api/v1/apps?limit=200": [Reply(503, "<html>Service Unavailable</html>")]}
    sleeps = Sleeps()
    raw, reason = collect(get_source("okta"), context(Recorded(routes), sleeps, http_max_retries=2))
    assert raw is None
    assert reason == "okta: GET /api/v1/apps failed after 3 attempts (HTTP 503)"
    assert sleeps.waits == [1.0, 2.0]


def test_a_denied_request_names_the_permission() -> None:
    routes = {
        f"GET {HOST}/api/v1/apps?limit=200": [
            Reply(401, {"errorCode": "E0000011", "errorSummary": "Invalid token provided"})
        ]
    }
    with pytest.raises(AccessDenied) as excinfo:
        get_source("okta").fetch(context(Recorded(routes)))
    assert str(excinfo.value) == (
        "okta: GET /api/v1/apps returned 401: the credentials need okta.apps.read"
    )

    routes = org_routes()
    routes[f"GET {HOST}/api/v1/api-tokens?limit=200"] = [
        Reply(403, {"errorCode": "E0000006", "errorSummary": "You do not have permission"})
    ]
    with pytest.raises(AccessDenied) as excinfo:
        get_source("okta").fetch(context(Recorded(routes)))
    assert str(excinfo.value) == (
        "okta: GET /api/v1/api-tokens returned 403: the credentials need okta.apiTokens.read"
    )


def test_fetch_needs_a_token_and_an_org() -> None:
    with pytest.raises(ConfigError) as excinfo:
        get_source("okta").fetch(FetchContext(settings(okta_token=None), None))
    assert str(excinfo.value) == "okta: set NHIGRAPH_OKTA_TOKEN to an Okta API token (SSWS)"
    with pytest.raises(ConfigError) as excinfo:
        get_source("okta").fetch(FetchContext(settings(okta_domain=None), None))
    assert str(excinfo.value) == (
        "okta: set NHIGRAPH_OKTA_DOMAIN (or pass --tenant) to the org domain, e.g. example.okta.com"
    )


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (
            "apps.truncated.json",
            "line 54 column 9: not valid JSON (Unterminated string starting at); "
            "is the file truncated?",
        ),
        (
            "apps.html.json",
            "/: an HTML page, not a saved API response (was an error or sign-in page saved?)",
        ),
        (
            "apps.created_number.json",
            "/0 field 'created': expected an ISO 8601 timestamp, got a number",
        ),
        (
            "apps.auth_method.json",
            "/0/credentials/oauthClient field 'token_endpoint_auth_method': expected one of "
            "client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt, none",
        ),
        (
            "apps.error.json",
            "/: an Okta error response (E0000006), not a list of apps; was access denied?",
        ),
        (
            "apps.no_links.json",
            "/: the pages do not name their Okta org; pass --tenant with the org domain "
            "(e.g. --tenant example.okta.com)",
        ),
        ("api_tokens.user_object.json", "/0 field 'userId': expected a string, got an object"),
    ],
)
def test_bad_input_is_one_line_naming_file_record_and_field(file: str, message: str) -> None:
    with pytest.raises(InputError) as excinfo:
        transform(read_saved(get_source("okta"), BAD / file, None))
    assert str(excinfo.value) == f"{BAD / file}: {message}"


def test_a_grant_of_an_app_not_on_the_pages_is_left_out_with_a_warning() -> None:
    raw = merge_inputs(
        [saved("okta", "org"), read_saved(get_source("okta"), BAD / "grants.orphan.json", None)]
    )
    result = transform(raw)
    alone = transform(saved("okta", "org"))
    assert result.warnings == [
        f"{BAD / 'grants.orphan.json'}: /0: no OAuth app on the apps pages read has the id "
        "its app link names; the grant is left out until that app's page is read"
    ]
    # Everything else is what the org's pages give alone.
    assert {n.id for n in result.batches[0].nodes} == {n.id for n in alone.batches[0].nodes}
