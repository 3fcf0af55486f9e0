"""The Salesforce source: SOQL query results in, connected apps, tokens and users out."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from nhigraph.errors import ConfigError, InputError
from nhigraph.graph.blast import blast_radius
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.policy import default_policy
from nhigraph.graph.store import StoredRel
from nhigraph.ingest import salesforce
from nhigraph.ingest.http import AccessDenied
from nhigraph.ingest.records import TenantRecords
from nhigraph.ingest.source import FetchContext, RawInput, read_saved
from nhigraph.ingest.sources import collect
from nhigraph.settings import Settings
from tests.conftest import EXAMPLES
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

ORG = "salesforce:00D5g000008FaBrEAK"
LEDGERLY = f"{ORG}:connected-app:0H45g000000LdGrCAK"
LOADER = f"{ORG}:connected-app:0H45g000000DtLdCAK"
FIELD = f"{ORG}:connected-app:0H45g000000FsMbCAK"
PORTAL = f"{ORG}:connected-app:0H45g000000PpSsCAK"
CLI = f"{ORG}:oauth-app:Salesforce-CLI"
INTEGRATION_USER = f"{ORG}:user:0055g00000IntLgAAJ"
ADMIN = f"{ORG}:user:0055g00000AdmKtAAJ"
FIELD_USER = f"{ORG}:user:0055g00000StdMrAAJ"
FORMER = f"{ORG}:user:0055g00000OldPqAAJ"
T_LEDGERLY = f"{ORG}:oauth-token:0H45g000000LdGrCAK:0055g00000IntLgAAJ:20240201T090000Z"
T_LOADER = f"{ORG}:oauth-token:0H45g000000DtLdCAK:0055g00000AdmKtAAJ:20240110T080000Z"
T_FIELD = f"{ORG}:oauth-token:0H45g000000FsMbCAK:0055g00000StdMrAAJ:20250105T100000Z"
T_FORMER = f"{ORG}:oauth-token:0H45g000000FsMbCAK:0055g00000OldPqAAJ:20241130T231500Z"
T_CLI = f"{ORG}:oauth-token:Salesforce-CLI:0055g00000AdmKtAAJ:20250901T070000Z"
UNKNOWN = f"{ORG}/connected_app_scopes_unknown"
TOKENS = [T_LEDGERLY, T_LOADER, T_FIELD, T_FORMER, T_CLI]

ORG_DIR = FIXTURES / "salesforce" / "org"
MALFORMED = FIXTURES / "salesforce" / "malformed"
EXAMPLE = EXAMPLES / "saas" / "salesforce"
INSTANCE = "https://fabrikam.my.salesforce.com"
QUERY = f"{INSTANCE}/services/data/v61.0/query"
TOOLING = f"{INSTANCE}/services/data/v61.0/tooling/query"


# --------------------------------------------------------------------------- transform


def test_records_from_the_saved_org() -> None:
    result = transform(saved("salesforce", "org"))
    [batch] = result.batches
    assert batch.source == "salesforce"
    assert batch.tenant == ORG
    assert result.unclassified == ["connected_app_scopes_unknown"]
    assert Counter(n.label for n in batch.nodes) == {
        "Tenant": 1,
        "DataStore": 10,
        "Integration": 5,
        "Credential": 5,
        "Principal": 4,
        "Scope": 1,
    }
    assert Counter(r.type for r in batch.rels) == {
        "CONTAINS": 10,
        "HAS_CREDENTIAL": 5,
        "GRANTS": 5,
        "ACTS_AS": 5,
        "CAN_ACCESS": 1,
    }
    assert node_ids(result, "Integration") == sorted([LEDGERLY, LOADER, FIELD, PORTAL, CLI])
    assert node_ids(result, "Credential") == sorted(TOKENS)
    assert props(result, ORG) == {"provider": "salesforce", "name": "Fabrikam, Inc."}
    assert rels(result, "HAS_CREDENTIAL") == sorted(
        [
            (LEDGERLY, T_LEDGERLY),
            (LOADER, T_LOADER),
            (FIELD, T_FIELD),
            (FIELD, T_FORMER),
            (CLI, T_CLI),
        ]
    )
    assert rels(result, "ACTS_AS") == sorted(
        [
            (T_LEDGERLY, INTEGRATION_USER),
            (T_LOADER, ADMIN),
            (T_FIELD, FIELD_USER),
            (T_FORMER, FORMER),
            (T_CLI, ADMIN),
        ]
    )
    assert rels(result, "GRANTS") == sorted((t, UNKNOWN) for t in TOKENS)


def test_a_packaged_connected_app_carries_its_publisher() -> None:
    result = transform(saved("salesforce", "org"))
    assert props(result, LEDGERLY) == {
        "name": "Ledgerly Sync",
        "kind": "oauth_app",
        "status": "enabled",
        "lifecycle": "in_use",
        "created_at": "2023-03-01T09:00:00Z",
        "last_used_at": "2025-12-01T06:30:00Z",
        "provider": "salesforce",
        "client_id": "0H45g000000LdGrCAK",
        "publisher": "Ledgerly Inc.",
        "publisher_id": "ldgr",
        "admin_approved_users_only": False,
    }
    # Built in the org, no tokens: no publisher, never used.
    assert props(result, PORTAL) == {
        "name": "Partner Portal SSO",
        "kind": "oauth_app",
        "status": "enabled",
        "lifecycle": "in_use",
        "created_at": "2025-04-11T11:00:00Z",
        "provider": "salesforce",
        "client_id": "0H45g000000PpSsCAK",
        "admin_approved_users_only": False,
    }


def test_permitted_users_of_a_connected_app_are_kept_on_both_stores(
    store: EmbeddedStore | Neo4jStore,
) -> None:
    """OptionsAllowAdminApprovedUsersOnly: the Data Loader is limited to users an admin
    pre-authorized; Ledgerly lets any user self-authorize; an app the org does not list
    (Salesforce CLI) says nothing."""
    write(store, transform(saved("salesforce", "org")))
    said = {
        node_id: node.props.get("admin_approved_users_only")
        for node_id, node in store.get_nodes([LOADER, LEDGERLY, CLI]).items()
    }
    assert said == {LOADER: True, LEDGERLY: False, CLI: None}


def test_a_token_of_an_app_the_org_does_not_list_gets_its_own_integration() -> None:
    result = transform(saved("salesforce", "org"))
    assert props(result, CLI) == {
        "name": "Salesforce CLI",
        "kind": "oauth_app",
        "status": "enabled",
        "lifecycle": "in_use",
        "last_used_at": "2025-10-01T07:00:00Z",
        "provider": "salesforce",
    }


def test_token_expiry_follows_the_apps_refresh_token_policy() -> None:
    result = transform(saved("salesforce", "org"))
    # "Valid until revoked": no expiry.
    assert props(result, T_LEDGERLY) == {
        "kind": "oauth_refresh_token",
        "created_at": "2024-02-01T09:00:00Z",
        "last_used_at": "2025-12-01T06:30:00Z",
        "status": "active",
    }
    # Expire 6 (months at most) after creation: expired, still 'active' as Salesforce lists it.
    assert props(result, T_LOADER) == {
        "kind": "oauth_refresh_token",
        "created_at": "2024-01-10T08:00:00Z",
        "last_used_at": "2024-03-02T12:00:00Z",
        "expires_at": "2024-07-10T08:00:00Z",
        "status": "active",
    }
    # Expire if not used for 3: counted from the last use ...
    assert props(result, T_FIELD)["expires_at"] == "2026-02-20T16:45:00Z"
    # ... or from creation when never used; 30 November + 3 months is 28 February.
    assert props(result, T_FORMER) == {
        "kind": "oauth_refresh_token",
        "created_at": "2024-11-30T23:15:00Z",
        "expires_at": "2025-02-28T23:15:00Z",
        "status": "active",
    }
    assert "expires_at" not in props(result, T_CLI)  # no policy known for an unlisted app


def test_users_become_principals_with_admin_and_enabled_from_the_org() -> None:
    result = transform(saved("salesforce", "org"))
    assert props(result, ADMIN) == {
        "name": "dana.admin@fabrikam.com",
        "kind": "user",
        "enabled": True,
        "is_admin": True,
    }
    assert props(result, INTEGRATION_USER) == {
        "name": "ledgerly.integration@fabrikam.com",
        "kind": "service_account",
        "enabled": True,
        "is_admin": False,
    }
    assert props(result, FORMER) == {
        "name": "lee.former@fabrikam.com",
        "kind": "user",
        "enabled": False,
        "is_admin": False,
    }


def test_tokens_grant_one_unclassified_scope_because_soql_has_no_scopes() -> None:
    result = transform(saved("salesforce", "org"))
    assert node_ids(result, "Scope") == [UNKNOWN]
    assert props(result, UNKNOWN) == {
        "name": "connected_app_scopes_unknown",
        "provider": "salesforce",
        "access": "write",
        "sensitive": False,
        "unclassified": True,
    }
    assert rels(result, "CAN_ACCESS") == [(UNKNOWN, ORG)]
    [edge] = [r for r in result.batches[0].rels if r.type == "CAN_ACCESS"]
    assert edge.props == {"access": "write"}


def test_the_catalogue_makes_full_an_admin_scope_reaching_the_whole_org() -> None:
    records = TenantRecords(
        "salesforce", "salesforce", "00D5g000008FaBrEAK", "Fabrikam", FINGERPRINTER
    )
    full = records.scope("full")
    api = records.scope("api")
    can_access = {
        (r.start, r.end): r.props for r in records.rels.values() if r.type == "CAN_ACCESS"
    }
    assert can_access[(full, ORG)] == {"access": "admin"}
    assert can_access[(api, f"{ORG}:store:case")] == {"access": "write"}
    assert (api, f"{ORG}:store:setup") not in can_access
    assert records.scope("cdp_segment_api") == f"{ORG}/cdp_segment_api"
    assert can_access_of(records, f"{ORG}/cdp_segment_api") == {
        f"{ORG}:store:data_cloud": {"access": "write"}
    }
    assert records.unclassified == set()


def can_access_of(records: TenantRecords, scope: str) -> dict[str, dict[str, Any]]:
    return {
        r.end: dict(r.props)
        for r in records.rels.values()
        if r.type == "CAN_ACCESS" and r.start == scope
    }


def test_written_graph_and_reingest_unchanged() -> None:
    store = EmbeddedStore(":memory:")
    result = transform(saved("salesforce", "org"))
    first = write(store, result)
    assert (first.nodes_added, first.rels_added, first.nodes_removed) == (26, 26, 0)
    stats = store.stats()
    assert stats.nodes == {
        "Tenant": 1,
        "DataStore": 10,
        "Integration": 5,
        "Credential": 5,
        "Principal": 4,
        "Scope": 1,
    }
    assert stats.rels == {
        "CONTAINS": 10,
        "HAS_CREDENTIAL": 5,
        "GRANTS": 5,
        "ACTS_AS": 5,
        "CAN_ACCESS": 1,
    }
    edges = [
        item for item in store.export() if isinstance(item, StoredRel) and item.type == "CAN_ACCESS"
    ]
    assert [(e.start, e.end, e.props["access"]) for e in edges] == [(UNKNOWN, ORG, "write")]
    again = write(store, transform(saved("salesforce", "org"))).as_dict()
    assert {k: again[k] for k in again if k.startswith(("nodes_", "rels_"))} == {
        "nodes_added": 0,
        "nodes_updated": 0,
        "nodes_unchanged": 26,
        "nodes_removed": 0,
        "rels_added": 0,
        "rels_updated": 0,
        "rels_unchanged": 26,
        "rels_removed": 0,
    }


def test_expired_tokens_and_tokens_of_deactivated_users_reach_nothing() -> None:
    store = EmbeddedStore(":memory:")
    write(store, transform(saved("salesforce", "org")))
    radius = blast_radius(store, TOKENS, "2026-01-01T00:00:00Z", default_policy().blast)
    assert sorted(radius.live_start) == sorted([T_LEDGERLY, T_FIELD, T_CLI])
    # The unknown scopes reach the org with write, which opens no store by itself.
    assert radius.stores == ()
    assert [(t.id, t.access) for t in radius.tenants] == [(ORG, "write")]
    # Three months without use after 2025-11-20 the field token is gone too.
    later = blast_radius(store, TOKENS, "2026-03-01T00:00:00Z", default_policy().blast)
    assert sorted(later.live_start) == sorted([T_LEDGERLY, T_CLI])


def test_token_values_in_saved_pages_never_reach_the_records() -> None:
    result = transform(saved("salesforce", "malformed/with_secrets", tenant="00D5g000008FaBrEAK"))
    values = strings_in(
        [n.props for b in result.batches for n in b.nodes]
        + [n.id for b in result.batches for n in b.nodes]
    )
    assert not [v for v in values if "5Aep861TSESvWeug" in v or "aPrxsmIE" in v]
    # Without the other pages the token is matched to its app by name only.
    assert node_ids(result, "Credential") == [
        f"{ORG}:oauth-token:Ledgerly-Sync:0055g00000IntLgAAJ:20240201T090000Z"
    ]


# --------------------------------------------------------------------------- tenant


def test_the_tenant_comes_from_tenant_when_the_org_query_was_not_saved() -> None:
    pages = saved("salesforce", "org", tenant="00D5g000008FaBr")  # 15-character form
    without_org = RawInput(
        "salesforce", pages.tenant, {k: v for k, v in pages.pages.items() if k != "organization"}
    )
    result = transform(without_org)
    assert result.batches[0].tenant == ORG
    assert props(result, ORG) == {"provider": "salesforce", "name": "00D5g000008FaBrEAK"}
    assert node_ids(result, "Credential") == sorted(TOKENS)


def test_no_org_query_and_no_tenant_asks_for_tenant() -> None:
    pages = saved("salesforce", "org")
    without_org = RawInput(
        "salesforce", None, {k: v for k, v in pages.pages.items() if k != "organization"}
    )
    with pytest.raises(InputError) as caught:
        transform(without_org)
    assert str(caught.value) == (
        f"{ORG_DIR / 'app_menu_items.json'}: /: the pages do not name the Salesforce org: "
        "pass --tenant <org id> (00D…), or save the organization query with them"
    )


def test_a_tenant_that_is_not_the_saved_org_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        transform(saved("salesforce", "org", tenant="00D5g000009ZzZzEAK"))
    assert str(caught.value) == (
        f"{ORG_DIR / 'organization.json'}: /records/0 field 'Id': "
        "this org is not the one --tenant names (00D5g000009ZzZzEAK)"
    )


def test_a_tenant_that_is_not_an_org_id_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        transform(saved("salesforce", "org", tenant="tailspintoys.com"))
    assert str(caught.value) == (
        "--tenant: /: expected a Salesforce org id (00D…, 15 or 18 letters and digits)"
    )


def test_id18_adds_the_case_checksum() -> None:
    assert salesforce.id18("001A0000006Vm9r") == "001A0000006Vm9rIAC"
    assert salesforce.id18("001A0000006Vm9rIAC") == "001A0000006Vm9rIAC"


# --------------------------------------------------------------------------- example


def test_the_example_org_reads_and_ties_to_ledgerly() -> None:
    result = salesforce.SOURCE.transform(
        read_saved(salesforce.SOURCE, EXAMPLE, None), FINGERPRINTER
    )
    tsp = "salesforce:00D8d000002TsPyEAK"
    assert result.batches[0].tenant == tsp
    assert props(result, tsp)["name"] == "Tailspin Toys"
    assert len(node_ids(result, "Integration")) == 7
    assert len(node_ids(result, "Credential")) == 7
    publishers = {
        props(result, i)["name"]: props(result, i).get("publisher")
        for i in node_ids(result, "Integration")
    }
    assert publishers["Ledgerly for Salesforce"] == "Ledgerly Inc."
    credentials = [props(result, c) for c in node_ids(result, "Credential")]
    assert sum("expires_at" not in c for c in credentials) == 3
    assert sorted(c["expires_at"] for c in credentials if c.get("expires_at", "9") < "2026") == [
        "2025-04-15T07:45:00Z",
        "2025-08-01T17:20:00Z",
    ]
    admins = [p for p in node_ids(result, "Principal") if props(result, p)["is_admin"]]
    assert len(admins) == 2


# --------------------------------------------------------------------------- fetch


def settings(**extra: Any) -> Settings:
    values: dict[str, Any] = {
        "salesforce_token": "00D5g000008FaBr!AQ4AQFakeSessionForTests",
        "salesforce_instance": INSTANCE,
        "http_max_retries": 2,
    }
    return Settings(**{**values, **extra})


def query_url(soql: str, base: str = QUERY) -> str:
    return str(httpx.URL(base, params={"q": soql}))


USERS_IN = "'0055g00000AdmKtAAJ', '0055g00000IntLgAAJ', '0055g00000OldPqAAJ', '0055g00000StdMrAAJ'"
URLS = {
    "organization": query_url(salesforce.SOQL["organization"]),
    "connected_apps": query_url(salesforce.SOQL["connected_apps"]),
    "app_menu_items": query_url(salesforce.SOQL["app_menu_items"]),
    "publishers": query_url(salesforce.SOQL["publishers"], TOOLING),
    "oauth_tokens": query_url(salesforce.SOQL["oauth_tokens"] + " ORDER BY UserId"),
    "users": query_url(f"{salesforce.SOQL['users']} WHERE Id IN ({USERS_IN})"),
}
NEXT = {
    "connected_apps": f"{QUERY}/01gFAB00000CApQAAS-2",
    "oauth_tokens": f"{QUERY}/01gFAB00000TOKNAAA-3",
    "users": f"{QUERY}/01gFAB00000USRSAAA-2",
}


def org_routes() -> dict[str, list[Reply]]:
    routes = {
        f"GET {URLS['organization']}": [Reply(body=page(ORG_DIR / "organization.json"))],
        f"GET {URLS['app_menu_items']}": [Reply(body=page(ORG_DIR / "app_menu_items.json"))],
        f"GET {URLS['publishers']}": [Reply(body=page(ORG_DIR / "publishers.json"))],
    }
    for name in ("connected_apps", "oauth_tokens", "users"):
        routes[f"GET {URLS[name]}"] = [Reply(body=page(ORG_DIR / f"{name}.1.json"))]
        routes[f"GET {NEXT[name]}"] = [Reply(body=page(ORG_DIR / f"{name}.2.json"))]
    return routes


def test_fetch_pages_through_every_query() -> None:
    recorded = Recorded(org_routes())
    raw = salesforce.fetch(FetchContext(settings(), None, recorded.transport(), no_sleep))
    assert [str(r.url) for r in recorded.requests] == [
        URLS["organization"],
        URLS["connected_apps"],
        NEXT["connected_apps"],
        URLS["app_menu_items"],
        URLS["publishers"],
        URLS["oauth_tokens"],
        NEXT["oauth_tokens"],
        URLS["users"],
        NEXT["users"],
    ]
    assert {r.headers["Authorization"] for r in recorded.requests} == {
        "Bearer 00D5g000008FaBr!AQ4AQFakeSessionForTests"
    }
    assert {name: len(pages) for name, pages in raw.pages.items()} == {
        "organization": 1,
        "connected_apps": 2,
        "app_menu_items": 1,
        "publishers": 1,
        "oauth_tokens": 2,
        "users": 2,
    }
    fetched = transform(raw).batches[0]
    from_files = transform(saved("salesforce", "org")).batches[0]
    assert sorted(fetched.nodes, key=lambda n: n.id) == sorted(from_files.nodes, key=lambda n: n.id)
    assert sorted((r.type, r.start, r.end, r.props.get("access")) for r in fetched.rels) == sorted(
        (r.type, r.start, r.end, r.props.get("access")) for r in from_files.rels
    )
    assert "FakeSession" not in " ".join(
        strings_in([p.file for ps in raw.pages.values() for p in ps])
    )


def empty() -> dict[str, Any]:
    return {"totalSize": 0, "done": True, "records": []}


def token_row(user: str, created: str) -> dict[str, Any]:
    return {
        "attributes": {"type": "OauthToken"},
        "Id": None,
        "AppName": "Salesforce CLI",
        "AppMenuItemId": None,
        "CreatedDate": created,
        "LastUsedDate": None,
        "UserId": user,
    }


def test_fetch_reads_past_the_oauth_token_row_cap_in_windows_of_users(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(salesforce, "TOKEN_QUERY_CAP", 3)
    monkeypatch.setattr(salesforce, "USERS_PER_QUERY", 2)
    u1, u2, u3 = "005000000000001AAA", "005000000000002AAA", "005000000000003AAA"
    base = salesforce.SOQL["oauth_tokens"]
    window = {
        "first": query_url(f"{base} ORDER BY UserId"),
        "after_u1": query_url(f"{base} WHERE UserId > '{u1}' ORDER BY UserId"),
        "from_u3": query_url(f"{base} WHERE UserId >= '{u3}' ORDER BY UserId"),
    }

    def rows(*users: str) -> list[dict[str, Any]]:
        return [token_row(u, f"2025-01-0{n + 1}T00:00:00.000+0000") for n, u in enumerate(users)]

    users = salesforce.SOQL["users"]
    first_users = query_url(f"{users} WHERE Id IN ('{u1}', '{u2}')")  # 2 ids a query here
    last_users = query_url(f"{users} WHERE Id IN ('{u3}')")
    routes = {
        f"GET {URLS['organization']}": [Reply(body=page(ORG_DIR / "organization.json"))],
        f"GET {URLS['connected_apps']}": [Reply(body=empty())],
        f"GET {URLS['app_menu_items']}": [Reply(body=empty())],
        f"GET {URLS['publishers']}": [Reply(body=empty())],
        # u1 alone fills the window: kept as it is, next window after u1.
        f"GET {window['first']}": [
            Reply(body={"totalSize": 6, "done": True, "records": rows(u1, u1, u1)})
        ],
        # cut inside u3: keep u2, start again at u3.
        f"GET {window['after_u1']}": [
            Reply(body={"totalSize": 3, "done": True, "records": rows(u2, u3, u3)})
        ],
        f"GET {window['from_u3']}": [
            Reply(body={"totalSize": 2, "done": True, "records": rows(u3, u3)})
        ],
        f"GET {first_users}": [Reply(body=empty())],
        f"GET {last_users}": [Reply(body=empty())],
    }
    recorded = Recorded(routes)
    raw = salesforce.fetch(FetchContext(settings(), None, recorded.transport(), no_sleep))
    assert [str(r.url) for r in recorded.requests][4:7] == [
        window["first"],
        window["after_u1"],
        window["from_u3"],
    ]
    assert [str(r.url) for r in recorded.requests][7:] == [first_users, last_users]
    kept = [
        (row["UserId"], row["CreatedDate"][:10])
        for p in raw.pages["oauth_tokens"]
        for row in p.body["records"]
    ]
    assert kept == [
        (u1, "2025-01-01"),
        (u1, "2025-01-02"),
        (u1, "2025-01-03"),
        (u2, "2025-01-01"),
        (u3, "2025-01-01"),
        (u3, "2025-01-02"),
    ]
    assert len(node_ids(transform(raw), "Credential")) == 6


def test_fetch_waits_as_told_by_retry_after() -> None:
    routes = org_routes()
    routes[f"GET {URLS['organization']}"] = [
        Reply(429, {"message": "too many"}, {"Retry-After": "7"}),
        Reply(body=page(ORG_DIR / "organization.json")),
    ]
    recorded, sleeps = Recorded(routes), Sleeps()
    raw = salesforce.fetch(FetchContext(settings(), None, recorded.transport(), sleeps))
    assert sleeps.waits == [7.0]
    assert [str(r.url) for r in recorded.requests][:2] == [URLS["organization"]] * 2
    assert len(raw.of("oauth_tokens")) == 2


def test_a_source_that_stays_down_is_unavailable_and_nothing_is_returned() -> None:
    routes = org_routes()
    routes[f"GET {URLS['connected_apps']}"] = [Reply(503, "<html>Service Unavailable</html>")]
    sleeps = Sleeps()
    context = FetchContext(settings(), None, Recorded(routes).transport(), sleeps)
    assert collect(salesforce.SOURCE, context) == (
        None,
        "salesforce: GET /services/data/v61.0/query failed after 3 attempts (HTTP 503)",
    )
    assert sleeps.waits == [1.0, 2.0]


def test_401_names_the_permission() -> None:
    routes = org_routes()
    routes[f"GET {URLS['organization']}"] = [
        Reply(401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
    ]
    context = FetchContext(settings(), None, Recorded(routes).transport(), no_sleep)
    with pytest.raises(AccessDenied) as caught:
        salesforce.fetch(context)
    assert str(caught.value) == (
        "salesforce: GET /services/data/v61.0/query returned 401: the credentials need "
        "the API Enabled permission"
    )


def test_403_on_tokens_names_customize_application() -> None:
    routes = org_routes()
    routes[f"GET {URLS['oauth_tokens']}"] = [
        Reply(403, [{"message": "Insufficient access", "errorCode": "INSUFFICIENT_ACCESS"}])
    ]
    context = FetchContext(settings(), None, Recorded(routes).transport(), no_sleep)
    with pytest.raises(AccessDenied) as caught:
        salesforce.fetch(context)
    assert str(caught.value) == (
        "salesforce: GET /services/data/v61.0/query returned 403: the credentials need "
        "API Enabled and Customize Application (OauthToken: without it only your own tokens)"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"salesforce_token": None},
            "salesforce: set NHIGRAPH_SALESFORCE_TOKEN to an OAuth access token of a user with "
            "API Enabled, View Setup and Configuration and Customize Application",
        ),
        (
            {"salesforce_instance": "fabrikam.my.salesforce.com"},
            "salesforce: set NHIGRAPH_SALESFORCE_INSTANCE to the org's https URL "
            "(e.g. https://example.my.salesforce.com)",
        ),
    ],
)
def test_missing_credentials_name_the_variable(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        salesforce.fetch(FetchContext(settings(**extra), None, Recorded({}).transport()))
    assert str(caught.value) == message


# --------------------------------------------------------------------------- bad input


def malformed(case: str) -> Path:
    return MALFORMED / case


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            "truncated",
            "{file}/oauth_tokens.json: line 12 column 22: not valid JSON "
            "(Unterminated string starting at); is the file truncated?",
        ),
        (
            "html",
            "{file}/users.json: /: an HTML page, not a saved API response "
            "(was an error or sign-in page saved?)",
        ),
        (
            "wrong_type",
            "{file}/oauth_tokens.json: /records/1 field 'LastUsedDate': "
            "expected an ISO 8601 timestamp, got a number",
        ),
        (
            "bad_id",
            "{file}/users.json: /records/0 field 'Id': "
            "expected a Salesforce id (15 or 18 letters and digits)",
        ),
        (
            "error_response",
            "{file}/connected_apps.json: /: a Salesforce error response (INVALID_SESSION_ID), "
            "not query results; fetch again",
        ),
        (
            "wrong_object",
            "{file}/oauth_tokens.json: /records/0 field 'attributes': "
            "a record of another object in the oauth_tokens pages; expected OauthToken",
        ),
    ],
)
def test_malformed_pages_name_file_record_and_field(case: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        transform(saved("salesforce", f"malformed/{case}", tenant="00D5g000008FaBrEAK"))
    assert str(caught.value) == message.format(file=malformed(case))
