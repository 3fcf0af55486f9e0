"""The Slack source: approved apps of an Enterprise Grid org into integrations, grants, scopes.

Fixtures are ``admin.apps.approved.list`` pages in Slack's documented shape
(tests/fixtures/slack); ``fetch`` is exercised through recorded responses only.
"""

from __future__ import annotations

import json
from dataclasses import asdict
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
from nhigraph.ingest.slack import SOURCE
from nhigraph.ingest.source import FetchContext, RawInput, read_saved
from nhigraph.ingest.sources import collect, get_source
from nhigraph.settings import Settings
from tests.ingest_support import (
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

ORG = "E0123ABCD"
T = "slack:E0123ABCD"
ORG_PAGES = FIXTURES / "slack" / "org"
MALFORMED = FIXTURES / "slack" / "malformed"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "saas" / "slack"
URL = "https://slack.com/api/admin.apps.approved.list"
TOKEN = "xoxp-1111111111-2222222222-3333333333-abcdef0123456789abcdef0123456789"
PERMISSION = (
    "admin.apps:read (a user token of an Enterprise Grid org admin or owner, installed on the org)"
)
PASS_TENANT = (
    "pass --tenant with the Enterprise Grid org id (E…) or the workspace id (T…) "
    "the list was taken for"
)


def org() -> Any:
    return transform(saved("slack", "org", ORG))


def edges(result: Any, rel_type: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (r.start, r.end): dict(r.props)
        for b in result.batches
        for r in b.rels
        if r.type == rel_type
    }


# --------------------------------------------------------------------------- transform


def test_the_source_is_registered() -> None:
    assert get_source("slack") is SOURCE
    assert [(e.name, e.path, e.permission) for e in SOURCE.endpoints] == [
        ("approved_apps", "GET https://slack.com/api/admin.apps.approved.list", PERMISSION)
    ]


def test_org_pages_give_one_tenant_with_every_approved_app() -> None:
    result = org()
    assert [b.tenant for b in result.batches] == [T]
    assert result.batches[0].source == "slack"
    assert node_ids(result, "Tenant") == [T]
    assert props(result, T) == {"provider": "slack", "name": ORG}
    assert node_ids(result, "DataStore") == [
        f"{T}:store:admin_settings",
        f"{T}:store:directory",
        f"{T}:store:files",
        f"{T}:store:messages",
        f"{T}:store:private_messages",
    ]
    assert node_ids(result, "Integration") == [
        f"{T}:app:A01PAGERLY",
        f"{T}:app:A02IDSYNC1",
        f"{T}:app:A03DOCSFND",
        f"{T}:app:A04BUILDNT",
        f"{T}:app:A05STANDUP",
        f"{T}:app:A06LEGACY1",
        f"{T}:app:A07CALSYNC",
    ]
    assert node_ids(result, "Credential") == [
        f"{T}:grant:A01PAGERLY:bot",
        f"{T}:grant:A02IDSYNC1:user",
        f"{T}:grant:A03DOCSFND:bot",
        f"{T}:grant:A03DOCSFND:user",
        f"{T}:grant:A04BUILDNT:bot",
        f"{T}:grant:A05STANDUP:app",
        f"{T}:grant:A05STANDUP:bot",
        f"{T}:grant:A06LEGACY1:bot",
        f"{T}:grant:A06LEGACY1:user",
        f"{T}:grant:A07CALSYNC:bot",
        f"{T}:grant:A07CALSYNC:user",
    ]
    assert node_ids(result, "Scope") == [
        f"{T}/{name}"
        for name in sorted(
            [
                "admin.apps:read",
                "admin.users:read",
                "admin.users:write",
                "bot",
                "channels:history",
                "chat:write",
                "commands",
                "connections:write",
                "files:read",
                "files:write:user",
                "groups:history",
                "im:history",
                "incoming-webhook",
                "mpim:history",
                "search:read",
                "users.profile:write",
                "users:read",
                "users:read.email",
            ]
        )
    ]
    assert node_ids(result, "Principal") == []
    counts = {
        t: len(rels(result, t))
        for t in ("CONTAINS", "HAS_CREDENTIAL", "GRANTS", "APPROVED_FOR", "CAN_ACCESS", "ACTS_AS")
    }
    assert counts == {
        "CONTAINS": 5,
        "HAS_CREDENTIAL": 11,
        "GRANTS": 22,
        "APPROVED_FOR": 22,
        "CAN_ACCESS": 23,
        "ACTS_AS": 0,
    }
    # Every scope of the fixtures is in the catalogue.
    assert result.unclassified == []


def test_a_third_party_bot_app_fully() -> None:
    result = org()
    app = f"{T}:app:A01PAGERLY"
    grant = f"{T}:grant:A01PAGERLY:bot"
    assert props(result, app) == {
        "name": "Pager Relay",
        "kind": "bot",
        "status": "enabled",
        "lifecycle": "in_use",
        "created_at": "2023-11-14T22:13:20Z",  # date_updated 1700000000
        "provider": "slack",
        "client_id": "A01PAGERLY",
        "publisher": "Pager Relay",
        "publisher_id": "https://fixture-org.enterprise.slack.com/apps/A01PAGERLY-pager-relay",
        "publisher_verified": True,
    }
    assert props(result, grant) == {
        "kind": "oauth_grant",
        "identifier": "A01PAGERLY:bot",
        "status": "active",
    }
    assert (app, grant) in rels(result, "HAS_CREDENTIAL")
    granted = [end for start, end in rels(result, "GRANTS") if start == grant]
    assert granted == [f"{T}/channels:history", f"{T}/chat:write", f"{T}/users:read"]
    approved = [end for start, end in rels(result, "APPROVED_FOR") if start == app]
    assert approved == granted
    assert props(result, f"{T}/chat:write") == {
        "name": "chat:write",
        "provider": "slack",
        "access": "write",
        "sensitive": False,
    }
    can_access = edges(result, "CAN_ACCESS")
    assert can_access[(f"{T}/chat:write", f"{T}:store:messages")] == {"access": "write"}
    assert can_access[(f"{T}/chat:write", f"{T}:store:private_messages")] == {"access": "write"}
    assert can_access[(f"{T}/channels:history", f"{T}:store:messages")] == {"access": "read"}
    assert can_access[(f"{T}/users:read", f"{T}:store:directory")] == {"access": "read"}


def test_an_internal_admin_app_has_a_delegated_admin_grant_and_no_publisher() -> None:
    result = org()
    app = f"{T}:app:A02IDSYNC1"
    assert props(result, app) == {
        "name": "Identity Sync",
        "kind": "oauth_app",  # user-token scopes only
        "status": "enabled",
        "lifecycle": "in_use",
        "created_at": "2023-07-22T04:26:40Z",
        "provider": "slack",
        "client_id": "A02IDSYNC1",
    }
    grant = f"{T}:grant:A02IDSYNC1:user"
    assert props(result, grant)["identifier"] == "A02IDSYNC1:user"
    assert props(result, f"{T}/admin.users:write") == {
        "name": "admin.users:write",
        "provider": "slack",
        "access": "admin",
        "sensitive": True,
    }
    can_access = edges(result, "CAN_ACCESS")
    assert can_access[(f"{T}/admin.users:write", T)] == {"access": "admin"}
    assert [k for k in can_access if k[0] == f"{T}/admin.users:read"] == [
        (f"{T}/admin.users:read", f"{T}:store:directory"),
        (f"{T}/admin.users:read", f"{T}:store:admin_settings"),
    ]
    assert props(result, f"{T}/admin.apps:read")["access"] == "read"
    # The approver (last_resolved_by) is not whom user tokens act for: no ACTS_AS.
    assert [s for s, _ in rels(result, "ACTS_AS")] == []


def test_missing_optional_fields_and_every_token_type() -> None:
    result = org()
    # Docs Finder: no date_updated, no last_resolved_by, empty description: still an app.
    assert props(result, f"{T}:app:A03DOCSFND") == {
        "name": "Docs Finder",
        "kind": "bot",
        "status": "enabled",
        "lifecycle": "in_use",
        "provider": "slack",
        "client_id": "A03DOCSFND",
        "publisher": "Docs Finder",
        "publisher_id": "https://fixture-org.enterprise.slack.com/apps/A03DOCSFND-docs-finder",
        "publisher_verified": False,
    }
    grants = rels(result, "GRANTS")
    assert [e for s, e in grants if s == f"{T}:grant:A03DOCSFND:user"] == [
        f"{T}/groups:history",
        f"{T}/im:history",
        f"{T}/search:read",
    ]
    # An app-level token (Socket Mode) is its own grant.
    assert [e for s, e in grants if s == f"{T}:grant:A05STANDUP:app"] == [f"{T}/connections:write"]
    assert "publisher" not in props(result, f"{T}:app:A05STANDUP")  # internal
    # A classic app's umbrella 'bot' scope and legacy user scope.
    assert [e for s, e in grants if s.startswith(f"{T}:grant:A06LEGACY1")] == [
        f"{T}/bot",
        f"{T}/files:write:user",
    ]
    assert props(result, f"{T}/bot")["access"] == "write"
    # The certified listing's app is there too.
    assert props(result, f"{T}:app:A07CALSYNC")["publisher_verified"] is True


def test_slacks_is_sensitive_adds_to_the_catalogues_sensitivity() -> None:
    def approved(app_id: str, *scopes: tuple[str, bool]) -> dict[str, Any]:
        return {
            "app": {"id": app_id, "name": app_id, "is_internal": True},
            "scopes": [
                {"name": name, "description": name, "is_sensitive": flag, "token_type": "bot"}
                for name, flag in scopes
            ],
            "date_updated": 1717000000,
        }

    body = {
        "ok": True,
        "approved_apps": [
            # users:read is not sensitive in the catalogue, but Slack flags it here.
            approved("A01FIRST", ("users:read", False), ("files:read", False)),
            approved("A02SECOND", ("users:read", True), ("chat:write", False)),
        ],
        "response_metadata": {"next_cursor": ""},
    }
    page = RawPage("approved_apps", "approved_apps.json", body)
    result = transform(RawInput("slack", ORG, {"approved_apps": [page]}))
    sensitive = {
        n.id.rsplit("/", 1)[1]: n.props["sensitive"]
        for b in result.batches
        for n in b.nodes
        if n.label == "Scope"
    }
    # OR of Slack's flag over every app and the catalogue: files:read stays sensitive.
    assert sensitive == {"users:read": True, "files:read": True, "chat:write": False}


def test_entries_naming_their_workspace_or_org_need_no_tenant() -> None:
    result = transform(saved("slack", "workspaces"))
    assert [b.tenant for b in result.batches] == ["slack:T0DESIGN01", T]
    assert props(result, "slack:T0DESIGN01") == {"provider": "slack", "name": "Design"}
    assert props(result, T) == {"provider": "slack", "name": "Fixture Org"}
    # 'team' is more specific than 'enterprise': Review Queue names both.
    assert node_ids(result, "Integration") == [
        f"{T}:app:A13ORGWIDE",
        "slack:T0DESIGN01:app:A11MOODBRD",
        "slack:T0DESIGN01:app:A12REVIEWS",
    ]
    # A scope the catalogue does not know: write, reaching its tenant, and reported.
    assert result.unclassified == ["future.feature:write"]
    assert props(result, "slack:T0DESIGN01/future.feature:write") == {
        "name": "future.feature:write",
        "provider": "slack",
        "access": "write",
        "sensitive": False,
        "unclassified": True,
    }
    assert edges(result, "CAN_ACCESS")[
        ("slack:T0DESIGN01/future.feature:write", "slack:T0DESIGN01")
    ] == {"access": "write"}
    # --tenant does not override what the entries say.
    again = transform(saved("slack", "workspaces", "E0OTHER99"))
    assert [b.tenant for b in again.batches] == ["slack:T0DESIGN01", T]


def test_an_empty_list_still_gives_its_tenant_so_cleanup_runs() -> None:
    result = transform(saved("slack", "empty", ORG))
    assert [b.tenant for b in result.batches] == [T]
    assert len(result.batches[0].nodes) == 6  # the tenant and its five stores
    assert len(rels(result, "CONTAINS")) == 5
    file = FIXTURES / "slack" / "empty" / "approved_apps.json"
    with pytest.raises(InputError) as error:
        transform(saved("slack", "empty"))
    assert str(error.value) == (
        f"{file}: / field 'approved_apps': the list is empty and names no tenant; {PASS_TENANT}"
    )


def test_pages_that_do_not_name_the_tenant_need_tenant() -> None:
    with pytest.raises(InputError) as error:
        transform(saved("slack", "org"))
    assert str(error.value) == (
        f"{ORG_PAGES / 'approved_apps.1.json'}: /approved_apps/0: "
        f"the entry names no Slack org or workspace; {PASS_TENANT}"
    )


def test_no_pages_at_all() -> None:
    with pytest.raises(InputError) as error:
        transform(RawInput("slack", ORG, {}))
    assert str(error.value) == "slack: /: no approved_apps pages to read"


# --------------------------------------------------------------------------- the graph


def test_write_to_the_embedded_store_and_reingest_unchanged() -> None:
    store = EmbeddedStore(":memory:")
    first = write(store, org())
    assert (first.nodes_added, first.rels_added) == (42, 83)
    stats = store.stats()
    assert stats.nodes == {
        "Tenant": 1,
        "DataStore": 5,
        "Integration": 7,
        "Credential": 11,
        "Scope": 18,
    }
    assert stats.rels == {
        "CONTAINS": 5,
        "HAS_CREDENTIAL": 11,
        "GRANTS": 22,
        "APPROVED_FOR": 22,
        "CAN_ACCESS": 23,
    }
    admin_edges = [
        (r.start, r.end, r.props["access"])
        for r in store.export()
        if isinstance(r, StoredRel) and r.type == "CAN_ACCESS" and r.start.endswith(":write")
    ]
    assert (f"{T}/admin.users:write", T, "admin") in admin_edges
    node = store.get_node(f"{T}:app:A01PAGERLY")
    assert node is not None and node.props["source"] == "slack"
    assert node.props["sync_tenant"] == T

    again = write(store, org()).as_dict()
    assert {k: again[k] for k in again if k.startswith(("nodes_", "rels_"))} == {
        "nodes_added": 0,
        "nodes_updated": 0,
        "nodes_unchanged": 42,
        "nodes_removed": 0,
        "rels_added": 0,
        "rels_updated": 0,
        "rels_unchanged": 83,
        "rels_removed": 0,
    }
    # No token value anywhere in the graph.
    assert not [s for s in strings_in(asdict(x) for x in store.export()) if "xox" in s]


def test_an_app_no_longer_approved_is_cleaned_up() -> None:
    store = EmbeddedStore(":memory:")
    write(store, org())
    full = saved("slack", "org", ORG)
    pages = [p for p in full.of("approved_apps") if not p.file.endswith("approved_apps.3.json")]
    later = write(store, transform(RawInput("slack", ORG, {"approved_apps": pages})))
    # Standup Helper and Legacy Poster are gone with their four grants, and the five
    # scopes only they held (connections:write, mpim:history, commands, bot,
    # files:write:user).
    assert later.nodes_removed == 11
    assert store.get_node(f"{T}:app:A05STANDUP") is None
    assert store.get_node(f"{T}/im:history") is not None  # Docs Finder still holds it


def test_blast_radius_of_the_admin_grant_is_every_store_with_admin() -> None:
    store = EmbeddedStore(":memory:")
    write(store, org())
    policy = default_policy().blast
    radius = blast_radius(store, [f"{T}:grant:A02IDSYNC1:user"], "2026-01-01T00:00:00Z", policy)
    assert [(s.id, s.access, s.depth) for s in radius.stores] == [
        (f"{T}:store:admin_settings", "admin", 0),
        (f"{T}:store:directory", "admin", 0),
        (f"{T}:store:files", "admin", 0),
        (f"{T}:store:messages", "admin", 0),
        (f"{T}:store:private_messages", "admin", 0),
    ]
    pager = blast_radius(store, [f"{T}:grant:A01PAGERLY:bot"], "2026-01-01T00:00:00Z", policy)
    assert [(s.id, s.access) for s in pager.stores] == [
        (f"{T}:store:directory", "read"),
        (f"{T}:store:messages", "write"),
        (f"{T}:store:private_messages", "write"),
    ]


# --------------------------------------------------------------------------- the example


def test_the_tailspin_example_reads_and_ties_ledgerly() -> None:
    raw = read_saved(SOURCE, EXAMPLE, "E05TAILSPN")
    assert [Path(p.file).name for p in raw.of("approved_apps")] == [
        "approved_apps.1.json",
        "approved_apps.2.json",
        "approved_apps.3.json",
    ]
    result = transform(raw)
    t = "slack:E05TAILSPN"
    assert [b.tenant for b in result.batches] == [t]
    assert result.unclassified == []
    assert len(node_ids(result, "Integration")) == 8
    assert len(node_ids(result, "Credential")) == 11
    assert len(node_ids(result, "Scope")) == 30
    ledgerly = props(result, f"{t}:app:A05LEDGRLY")
    assert (ledgerly["publisher"], ledgerly["publisher_verified"]) == ("Ledgerly", True)
    publishers = sorted(
        str(props(result, i).get("publisher")) for i in node_ids(result, "Integration")
    )
    assert publishers == [
        "Highfive",
        "Ledgerly",
        "MeetSmart",
        "None",
        "None",
        "SignalWatch",
        "SyncBridge",
        "TicketTrail Classic",
    ]
    # SyncBridge's org-level user grant is tenant admin.
    assert edges(result, "CAN_ACCESS")[(f"{t}/admin.users:write", t)] == {"access": "admin"}
    # Slack reports no expiry: every grant is active and never expires.
    assert {
        (props(result, c)["status"], props(result, c).get("expires_at"))
        for c in node_ids(result, "Credential")
    } == {("active", None)}


# --------------------------------------------------------------------------- fetch


def settings(**extra: Any) -> Settings:
    values: dict[str, Any] = {"slack_token": SecretStr(TOKEN), "http_max_retries": 2}
    values.update(extra)
    return Settings(**values)


def listing(tenant_param: str, certified: str, cursor: str | None = None) -> str:
    query = f"limit=1000&{tenant_param}&certified={certified}"
    return f"GET {URL}?{query}" + ("" if cursor is None else f"&cursor={cursor}")


def org_routes() -> dict[str, list[Reply]]:
    org_param = f"enterprise_id={ORG}"
    return {
        listing(org_param, "false"): [Reply(body=page(ORG_PAGES / "approved_apps.1.json"))],
        listing(org_param, "false", "YXBwOkEwM0RPQ1NGTkQ%3D"): [
            Reply(body=page(ORG_PAGES / "approved_apps.2.json"))
        ],
        listing(org_param, "false", "YXBwOkEwNVNUQU5EVVA%3D"): [
            Reply(body=page(ORG_PAGES / "approved_apps.3.json"))
        ],
        listing(org_param, "true"): [Reply(body=page(ORG_PAGES / "approved_apps.4.json"))],
    }


def test_fetch_pages_through_both_listings_with_the_cursor() -> None:
    recorded = Recorded(org_routes())
    raw = SOURCE.fetch(FetchContext(settings(), ORG, recorded.transport(), no_sleep))
    assert [f"{r.method} {r.url}" for r in recorded.requests] == [
        listing(f"enterprise_id={ORG}", "false"),
        listing(f"enterprise_id={ORG}", "false", "YXBwOkEwM0RPQ1NGTkQ%3D"),
        listing(f"enterprise_id={ORG}", "false", "YXBwOkEwNVNUQU5EVVA%3D"),
        listing(f"enterprise_id={ORG}", "true"),
    ]
    assert {r.headers["Authorization"] for r in recorded.requests} == {f"Bearer {TOKEN}"}
    assert (raw.source, raw.tenant, list(raw.pages)) == ("slack", ORG, ["approved_apps"])
    assert [p.body for p in raw.of("approved_apps")] == [
        page(ORG_PAGES / f"approved_apps.{n}.json") for n in (1, 2, 3, 4)
    ]
    # The token is sent in a header only: never in a page or its address.
    assert not [
        s for s in strings_in([(p.file, p.body) for p in raw.of("approved_apps")]) if TOKEN in s
    ]
    # Live and saved pages give the same records.
    assert transform(raw).batches == org().batches


def test_fetch_for_one_workspace_passes_team_id() -> None:
    empty = {"ok": True, "approved_apps": [], "response_metadata": {"next_cursor": ""}}
    recorded = Recorded(
        {
            listing("team_id=T0DESIGN01", "false"): [Reply(body=empty)],
            listing("team_id=T0DESIGN01", "true"): [Reply(body=empty)],
        }
    )
    raw = SOURCE.fetch(FetchContext(settings(), "T0DESIGN01", recorded.transport(), no_sleep))
    assert len(recorded.requests) == 2
    assert [b.tenant for b in transform(raw).batches] == ["slack:T0DESIGN01"]


def test_fetch_waits_as_told_by_retry_after_then_succeeds() -> None:
    routes = org_routes()
    first = listing(f"enterprise_id={ORG}", "false")
    routes[first] = [
        Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"}),
        Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3"}),
        *routes[first],
    ]
    recorded = Recorded(routes)
    sleeps = Sleeps()
    raw = SOURCE.fetch(FetchContext(settings(), ORG, recorded.transport(), sleeps))
    assert sleeps.waits == [7.0, 3.0]
    assert len(raw.of("approved_apps")) == 4
    assert len(recorded.requests) == 6


def test_a_source_that_stays_down_is_unavailable_and_nothing_is_returned() -> None:
    recorded = Recorded({f"GET {URL}": [Reply(503, "<html>Service Unavailable</html>")]})
    sleeps = Sleeps()
    raw, reason = collect(SOURCE, FetchContext(settings(), ORG, recorded.transport(), sleeps))
    assert raw is None
    assert reason == f"slack: GET {URL} failed after 3 attempts (HTTP 503)"
    assert sleeps.waits == [1.0, 2.0]


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_name_the_permission(status: int) -> None:
    recorded = Recorded({f"GET {URL}": [Reply(status, {"ok": False, "error": "not_authed"})]})
    with pytest.raises(AccessDenied) as error:
        SOURCE.fetch(FetchContext(settings(), ORG, recorded.transport(), no_sleep))
    assert str(error.value) == (
        f"slack: GET {URL} returned {status}: the credentials need {PERMISSION}"
    )
    assert TOKEN not in str(error.value)


def test_a_token_without_the_scope_is_access_denied() -> None:
    body = {
        "ok": False,
        "error": "missing_scope",
        "needed": "admin.apps:read",
        "provided": "identify",
    }
    recorded = Recorded({f"GET {URL}": [Reply(200, body)]})
    with pytest.raises(AccessDenied) as error:
        SOURCE.fetch(FetchContext(settings(), ORG, recorded.transport(), no_sleep))
    assert str(error.value) == (
        f"slack: GET {URL} answered 'missing_scope': the token needs {PERMISSION}"
    )


def test_fetch_needs_a_token_and_a_tenant() -> None:
    with pytest.raises(ConfigError) as error:
        SOURCE.fetch(FetchContext(settings(slack_token=None), ORG))
    assert str(error.value) == f"slack: set NHIGRAPH_SLACK_TOKEN to a user token with {PERMISSION}"
    with pytest.raises(ConfigError) as error:
        SOURCE.fetch(FetchContext(settings(), None))
    assert str(error.value) == f"slack: {PASS_TENANT}"
    with pytest.raises(ConfigError) as error:
        SOURCE.fetch(FetchContext(settings(), "tailspin"))
    assert str(error.value) == (
        "slack: --tenant must be an Enterprise Grid org id (E…) or a workspace id (T…)"
    )


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("name", "where"),
    [
        (
            "approved_apps.truncated.json",
            "line 44 column 19: not valid JSON (Unterminated string starting at); "
            "is the file truncated?",
        ),
        (
            "approved_apps.html.json",
            "/: an HTML page, not a saved API response (was an error or sign-in page saved?)",
        ),
        (
            "approved_apps.scopes-not-array.json",
            "/approved_apps/1 field 'scopes': expected an array, got a string",
        ),
        (
            "approved_apps.date-text.json",
            "/approved_apps/0 field 'date_updated': "
            "not an ISO 8601 timestamp (expected e.g. 2026-01-31T09:00:00Z)",
        ),
        (
            "approved_apps.internal-text.json",
            "/approved_apps/1/app field 'is_internal': expected true or false, got a string",
        ),
        (
            "approved_apps.no-app-id.json",
            "/approved_apps/0/app field 'id': missing; expected a non-empty string",
        ),
        (
            "approved_apps.error.json",
            "/ field 'ok': the saved response is Slack's error 'invalid_auth', "
            "not a page of approved apps",
        ),
        (
            "approved_apps.not-a-list.json",
            "/ field 'approved_apps': expected an array, got an object",
        ),
    ],
)
def test_malformed_pages_are_one_line_errors(name: str, where: str) -> None:
    path = MALFORMED / name
    with pytest.raises(InputError) as error:
        transform(read_saved(SOURCE, path, ORG))
    assert str(error.value) == f"{path}: {where}"


def _mutations(value: Any, pointer: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [pointer]
    if isinstance(value, dict):
        for key, child in value.items():
            out += _mutations(child, (*pointer, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _mutations(child, (*pointer, index))
    return out


def _replace(body: Any, pointer: tuple[Any, ...], new: Any) -> Any:
    if not pointer:
        return new
    copy = json.loads(json.dumps(body))
    holder = copy
    for part in pointer[:-1]:
        holder = holder[part]
    holder[pointer[-1]] = new
    return copy


def test_any_wrong_value_anywhere_is_an_input_error_or_accepted() -> None:
    body = page(ORG_PAGES / "approved_apps.1.json")
    odd: list[Any] = [None, 0, -1, 10**20, 1e300, True, "", "two words", "x" * 600, [], {}]
    outcomes = {"accepted": 0, "refused": 0}
    for pointer in _mutations(body):
        for new in odd:
            mutated = _replace(body, pointer, new)
            raw = RawInput(
                "slack", ORG, {"approved_apps": [RawPage("approved_apps", "p", mutated)]}
            )
            try:
                transform(raw)
            except InputError:
                outcomes["refused"] += 1
            else:
                outcomes["accepted"] += 1
    # Only InputError escapes; optional fields take odd values, required ones refuse them.
    assert outcomes["refused"] > 300 and outcomes["accepted"] > 300
