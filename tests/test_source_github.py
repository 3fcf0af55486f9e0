"""The GitHub source: records from saved pages, the graph they make, live fetch, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from nhigraph.errors import ConfigError, InputError, NhigraphError
from nhigraph.graph.blast import blast_radius
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.policy import default_policy
from nhigraph.graph.store import StoredRel
from nhigraph.ingest.http import AccessDenied
from nhigraph.ingest.raw import RawPage
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

ROOT = Path(__file__).resolve().parent.parent
ORG = FIXTURES / "github" / "org"
BAD = FIXTURES / "github" / "malformed"
T = "github:fabrikam"
TOKEN = "test-token-not-a-real-one"
API = "https://api.github.com"


def node(*parts: str) -> str:
    return ":".join([T, *parts])


def scope(name: str) -> str:
    return f"{T}/{name}"


def store(key: str) -> str:
    return f"{T}:store:{key}"


def access_edges(result_rels: list[tuple[str, str, str, str]], start: str) -> list[tuple[str, str]]:
    return sorted((end, access) for kind, s, end, access in result_rels if s == start)


def can_access(tenant_prefix: str = T) -> list[tuple[str, str, str, str]]:
    result = transform(saved("github", "org"))
    return [
        (r.type, r.start, r.end, str(r.props.get("access")))
        for b in result.batches
        for r in b.rels
        if r.type == "CAN_ACCESS" and r.start.startswith(tenant_prefix)
    ]


# --------------------------------------------------------------------------- transform


def test_the_saved_org_becomes_one_batch_of_the_org_login() -> None:
    result = transform(saved("github", "org"))
    assert [(b.source, b.tenant) for b in result.batches] == [("github", T)]
    assert result.unclassified == ["merge_queues:read"]
    assert node_ids(result, "Tenant") == [T]
    assert props(result, T) == {"provider": "github", "name": "Fabrikam"}
    assert node_ids(result, "DataStore") == [
        store("actions_secrets"),
        store("environments"),
        store("issues"),
        store("org_members"),
        store("org_settings"),
        store("packages"),
        store("pages"),
        store("repositories"),
        store("security_alerts"),
        store("webhooks"),
    ]
    assert node_ids(result, "Integration") == [
        node("app", "codeguard-scanner"),
        node("app", "deploy-bot"),
        node("app", "meetsmart-standup"),
        node("app", "org-sentinel"),
        node("pat", "25381"),
        node("pat", "25382"),
        node("pat", "25390"),
        node("pat", "25391"),
        node("ssh-key", "161197"),
        node("token", "161195"),
        node("token", "161196"),
        node("token", "161198"),
        node("token", "161199"),
    ]
    assert node_ids(result, "Credential") == [
        node("cred", "installation", "41000001"),
        node("cred", "installation", "41000002"),
        node("cred", "installation", "41000003"),
        node("cred", "installation", "41000004"),
        node("cred", "pat", "25381"),
        node("cred", "pat", "25382"),
        node("cred", "pat", "25390"),
        node("cred", "pat", "25391"),
        node("cred", "ssh-key", "161197"),
        node("cred", "token", "161195"),
        node("cred", "token", "161196"),
        node("cred", "token", "161198"),
        node("cred", "token", "161199"),
    ]
    assert node_ids(result, "Principal") == [
        node("user", "dana-ops"),
        node("user", "lee-dev"),
        node("user", "morgan-admin"),
        node("user", "svc-build"),
    ]
    assert node_ids(result, "Scope") == sorted(
        scope(s)
        for s in (
            "actions:write",
            "admin:org",
            "administration:write",
            "checks:write",
            "contents:read",
            "contents:write",
            "delete_repo",
            "git:ssh",
            "issues:read",
            "members:read",
            "members:write",
            "merge_queues:read",
            "metadata:read",
            "organization_administration:write",
            "organization_hooks:write",
            "packages:write",
            "pull_requests:write",
            "read:org",
            "read:packages",
            "repo",
            "secrets:read",
            "workflow",
            "workflows:write",
            "write:packages",
        )
    )
    counts = {t: len(rels(result, t)) for t in ("HAS_CREDENTIAL", "GRANTS", "ACTS_AS")}
    assert counts == {"HAS_CREDENTIAL": 13, "GRANTS": 33, "ACTS_AS": 9}


def test_an_app_installation_is_mapped_field_by_field() -> None:
    result = transform(saved("github", "org"))
    app, cred = node("app", "codeguard-scanner"), node("cred", "installation", "41000001")
    assert props(result, app) == {
        "name": "CodeGuard Scanner",
        "kind": "app_installation",
        "status": "enabled",
        "lifecycle": "in_use",
        "created_at": "2024-07-01T10:00:00Z",
        "provider": "github",
        "client_id": "Iv1.5c1e0d2f3a4b5c6d",
        "publisher": "CodeGuard",
        "publisher_id": "CodeGuard",
        "publisher_verified": False,
    }
    assert props(result, cred) == {
        "kind": "oauth_grant",
        "identifier": "app 90001, installation 41000001",
        "created_at": "2024-07-01T10:00:00Z",
        "status": "active",
    }
    assert (app, cred) in rels(result, "HAS_CREDENTIAL")
    assert sorted(end for start, end in rels(result, "GRANTS") if start == cred) == [
        scope("checks:write"),
        scope("contents:read"),
        scope("merge_queues:read"),
        scope("metadata:read"),
        scope("pull_requests:write"),
    ]
    assert props(result, scope("pull_requests:write")) == {
        "name": "pull_requests:write",
        "provider": "github",
        "access": "write",
        "sensitive": False,
    }
    # Not in the catalogue: stored as write, marked, and reaching the organization.
    assert props(result, scope("merge_queues:read")) == {
        "name": "merge_queues:read",
        "provider": "github",
        "access": "write",
        "sensitive": False,
        "unclassified": True,
    }
    assert access_edges(can_access(), scope("merge_queues:read")) == [(T, "write")]


def test_the_organizations_own_app_has_no_publisher_and_offsets_become_utc() -> None:
    result = transform(saved("github", "org"))
    assert props(result, node("app", "deploy-bot")) == {
        "name": "Deploy Bot",
        "kind": "app_installation",
        "status": "enabled",
        "lifecycle": "in_use",
        "created_at": "2023-03-14T09:30:00Z",  # 10:30 at +01:00
        "provider": "github",
        "client_id": "Iv1.0a9b8c7d6e5f4a3b",
    }


def test_a_suspended_installation_without_an_app_record() -> None:
    result = transform(saved("github", "org"))
    assert props(result, node("app", "meetsmart-standup")) == {
        "name": "meetsmart-standup",
        "kind": "app_installation",
        "status": "disabled",
        "lifecycle": "in_use",
        "created_at": "2024-02-01T12:00:00Z",
        "provider": "github",
    }
    assert props(result, node("cred", "installation", "41000004")) == {
        "kind": "oauth_grant",
        "identifier": "app 90004, installation 41000004",
        "created_at": "2024-02-01T12:00:00Z",
        "status": "disabled",
        "revoked_at": "2025-11-03T08:15:00Z",
    }


def test_organization_administration_and_members_write_reach_the_tenant_as_admin() -> None:
    edges = can_access()
    assert access_edges(edges, scope("organization_administration:write")) == [(T, "admin")]
    assert access_edges(edges, scope("members:write")) == [
        (T, "admin"),
        (store("org_members"), "admin"),
    ]
    assert access_edges(edges, scope("admin:org")) == [(T, "admin")]
    assert access_edges(edges, scope("administration:write")) == [
        (store("environments"), "admin"),
        (store("repositories"), "admin"),
    ]
    assert access_edges(edges, scope("secrets:read")) == [(store("actions_secrets"), "read")]
    assert access_edges(edges, scope("workflows:write")) == [
        (store("actions_secrets"), "read"),
        (store("repositories"), "write"),
    ]
    assert access_edges(edges, scope("metadata:read")) == []
    assert len(edges) == 36


def test_fine_grained_tokens_act_as_their_owner() -> None:
    result = transform(saved("github", "org"))
    pat, cred = node("pat", "25381"), node("cred", "pat", "25381")
    assert props(result, pat) == {
        "name": "terraform-plan",
        "kind": "api_client",
        "status": "enabled",
        "lifecycle": "in_use",
        "created_at": "2025-03-01T09:00:00Z",
        "last_used_at": "2026-05-10T17:22:41Z",
        "provider": "github",
    }
    assert props(result, cred) == {
        "kind": "personal_access_token",
        "identifier": "token 1296269",
        "created_at": "2025-03-01T09:00:00Z",
        "expires_at": "2027-03-01T09:00:00Z",
        "last_used_at": "2026-05-10T17:22:41Z",
        "status": "active",
    }
    assert props(result, node("user", "dana-ops")) == {
        "name": "dana-ops",
        "kind": "user",
        "enabled": True,
        "is_admin": False,
    }
    acts = rels(result, "ACTS_AS")
    assert (cred, node("user", "dana-ops")) in acts
    grants = rels(result, "GRANTS")
    assert sorted(e for s, e in grants if s == cred) == [
        scope("contents:write"),
        scope("members:read"),
        scope("metadata:read"),
    ]
    # No name: named after the grant and its owner; expired with its date.
    assert props(result, node("pat", "25382"))["name"] == "PAT 25382 of lee-dev"
    expired = props(result, node("cred", "pat", "25382"))
    assert (expired["status"], expired["expires_at"]) == ("active", "2025-10-02T12:00:00Z")
    # Never expires; repository_selection 'none': its repository permission grants nothing.
    audit = props(result, node("cred", "pat", "25390"))
    assert "expires_at" not in audit
    assert audit["status"] == "active"
    assert [e for s, e in grants if s == node("cred", "pat", "25390")] == [
        scope("organization_administration:write")
    ]
    # Expired with no date: not live at any time, rather than live forever.
    assert props(result, node("cred", "pat", "25391")) == {
        "kind": "personal_access_token",
        "identifier": "token 1296302",
        "created_at": "2024-12-01T00:00:00Z",
        "last_used_at": "2025-01-15T10:00:00Z",
        "status": "disabled",
    }


def _token_with(permissions: dict[str, dict[str, str]]) -> RawInput:
    grant = {
        "id": 31001,
        "owner": {"login": "morgan-admin", "id": 8100009, "type": "User"},
        "repository_selection": "all",
        "repositories_url": "https://api.github.com/organizations/7100001/personal-access-tokens/31001/repositories",
        "permissions": {"organization": {}, "repository": {}, "other": {}, **permissions},
        "access_granted_at": "2026-01-05T09:00:00Z",
        "token_id": 1299001,
        "token_name": "org-admin",
        "token_expired": False,
        "token_expires_at": "2026-12-31T00:00:00Z",
        "token_last_used_at": None,
    }
    page = RawPage("personal_access_tokens", "personal_access_tokens.json", [grant])
    return RawInput("github", "fabrikam", {"personal_access_tokens": [page]})


@pytest.mark.parametrize(
    ("permissions", "granted", "reached"),
    [
        # Organization "Administration": the organization itself, with admin.
        (
            {"organization": {"administration": "write"}},
            ["organization_administration:write"],
            "everything",
        ),
        # Already in the App's name: unchanged.
        (
            {"organization": {"organization_administration": "write"}},
            ["organization_administration:write"],
            "everything",
        ),
        # Repository "Administration": repositories and environments, not the organization.
        (
            {"repository": {"administration": "write"}},
            ["administration:write"],
            [("environments", "admin"), ("repositories", "admin")],
        ),
        # Organization permissions the App names without a prefix keep their names.
        (
            {"organization": {"members": "read", "secrets": "read"}},
            ["members:read", "organization_secrets:read"],
            [("actions_secrets", "read"), ("org_members", "read")],
        ),
    ],
)
def test_fine_grained_permissions_keep_their_category(
    permissions: dict[str, dict[str, str]], granted: list[str], reached: object
) -> None:
    result = transform(_token_with(permissions))
    cred = node("cred", "pat", "31001")
    assert sorted(e for s, e in rels(result, "GRANTS") if s == cred) == [scope(g) for g in granted]
    store_ = EmbeddedStore(":memory:")
    write(store_, result)
    radius = blast_radius(store_, [cred], "2026-06-01T00:00:00Z", default_policy().blast)
    stores = [(s.id.rsplit(":", 1)[1], s.access) for s in radius.stores]
    if reached == "everything":
        assert [(t.id, t.access) for t in radius.tenants] == [(T, "admin")]
        assert {a for _, a in stores} == {"admin"} and len(stores) == 10
    else:
        assert stores == reached


def test_sso_authorizations_become_delegated_tokens_and_ssh_keys() -> None:
    result = transform(saved("github", "org"))
    grants, acts = rels(result, "GRANTS"), rels(result, "ACTS_AS")
    classic = node("cred", "token", "161195")
    assert props(result, node("token", "161195")) == {
        "name": "terraform-github-provider",
        "kind": "api_client",
        "status": "enabled",
        "lifecycle": "in_use",
        "created_at": "2024-01-26T19:06:43Z",
        "last_used_at": "2026-05-11T08:00:00Z",
        "provider": "github",
    }
    assert props(result, classic) == {
        "kind": "personal_access_token",
        "identifier": "…71c3fc11",
        "created_at": "2024-01-26T19:06:43Z",
        "last_used_at": "2026-05-11T08:00:00Z",
        "status": "active",
    }
    assert sorted(e for s, e in grants if s == classic) == [
        scope("admin:org"),
        scope("repo"),
        scope("workflow"),
    ]
    assert (classic, node("user", "dana-ops")) in acts

    oauth = node("cred", "token", "161196")
    assert props(result, node("token", "161196"))["name"] == "OAuth app token …9f8e7d6c of lee-dev"
    assert props(result, node("token", "161196"))["kind"] == "oauth_app"
    assert props(result, oauth)["kind"] == "oauth_grant"
    assert "last_used_at" not in props(result, oauth)

    ssh = node("cred", "ssh-key", "161197")
    assert props(result, node("ssh-key", "161197"))["name"] == (
        "lee work laptop (SSH key of lee-dev)"
    )
    assert props(result, ssh) == {
        "kind": "certificate",
        "identifier": "SHA256:pLm9sT0kQ4vH3xYw2Zr8nB6cD1eF5gJ7aK9uV0wX2yQ",
        "created_at": "2024-09-09T09:09:09Z",
        "last_used_at": "2026-05-12T07:45:00Z",
        "status": "active",
    }
    assert [e for s, e in grants if s == ssh] == [scope("git:ssh")]
    assert (ssh, node("user", "lee-dev")) in acts

    app_token = node("cred", "token", "161198")
    assert props(result, app_token)["expires_at"] == "2026-05-12T14:00:00Z"
    assert [e for s, e in grants if s == app_token] == []

    release = props(result, node("cred", "token", "161199"))
    assert (release["status"], release["expires_at"]) == ("active", "2025-07-10T10:00:00Z")


def test_written_graph_counts_reach_and_an_unchanged_reingest() -> None:
    result = transform(saved("github", "org"))
    store_ = EmbeddedStore(":memory:")
    first = write(store_, result)
    assert (first.nodes_added, first.rels_added) == (65, 101)
    stats = store_.stats()
    assert stats.nodes == {
        "Credential": 13,
        "DataStore": 10,
        "Integration": 13,
        "Principal": 4,
        "Scope": 24,
        "Tenant": 1,
    }
    assert stats.rels == {
        "ACTS_AS": 9,
        "CAN_ACCESS": 36,
        "CONTAINS": 10,
        "GRANTS": 33,
        "HAS_CREDENTIAL": 13,
    }
    stored = [
        (r.end, r.props["access"])
        for r in store_.export()
        if isinstance(r, StoredRel)
        and r.type == "CAN_ACCESS"
        and r.start == scope("organization_administration:write")
    ]
    assert stored == [(T, "admin")]

    again = write(store_, transform(saved("github", "org")))
    assert (again.nodes_added, again.nodes_updated, again.nodes_removed) == (0, 0, 0)
    assert (again.rels_added, again.rels_updated, again.rels_removed) == (0, 0, 0)
    assert (again.nodes_unchanged, again.rels_unchanged) == (65, 101)

    policy = default_policy().blast
    sentinel = node("cred", "installation", "41000003")
    radius = blast_radius(store_, [sentinel], "2026-06-01T00:00:00Z", policy)
    assert [(s.id, s.access) for s in radius.stores] == [
        (store("actions_secrets"), "admin"),
        (store("environments"), "admin"),
        (store("issues"), "admin"),
        (store("org_members"), "admin"),
        (store("org_settings"), "admin"),
        (store("packages"), "admin"),
        (store("pages"), "admin"),
        (store("repositories"), "admin"),
        (store("security_alerts"), "admin"),
        (store("webhooks"), "admin"),
    ]
    dead = [
        node("cred", "installation", "41000004"),  # suspended
        node("cred", "pat", "25382"),  # expired in 2025
        node("cred", "pat", "25391"),  # expired, undated
        node("cred", "token", "161199"),  # expired in 2025
    ]
    radius = blast_radius(store_, dead, "2026-06-01T00:00:00Z", policy)
    assert radius.live_start == ()


def test_the_tenant_comes_from_the_flag_when_no_installation_names_it() -> None:
    raw = read_saved(get_source("github"), ORG / "personal_access_tokens.1.json", "Fabrikam")
    result = transform(raw)
    assert [b.tenant for b in result.batches] == [T]
    assert props(result, T)["name"] == "Fabrikam"
    assert node_ids(result, "Integration") == [node("pat", "25381"), node("pat", "25382")]


def test_pages_that_do_not_name_the_org_need_the_flag() -> None:
    file = ORG / "personal_access_tokens.1.json"
    with pytest.raises(InputError) as excinfo:
        transform(read_saved(get_source("github"), file, None))
    assert str(excinfo.value) == (
        f"{file}: /: these pages do not name the GitHub organization (only app installations "
        "do); pass --tenant <organization login>"
    )


def test_a_flag_naming_another_org_is_refused() -> None:
    with pytest.raises(InputError) as excinfo:
        transform(read_saved(get_source("github"), ORG, "contoso"))
    assert str(excinfo.value) == (
        f"{ORG / 'installations.1.json'}: /installations/0/account field 'login': these pages "
        "are of organization 'Fabrikam', but --tenant names 'contoso'"
    )
    # Case does not matter: GitHub logins are case-insensitive.
    assert transform(read_saved(get_source("github"), ORG, "fabrikam")).batches[0].tenant == T


def test_installations_of_two_orgs_are_refused() -> None:
    other = page(ORG / "installations.2.json")
    other["installations"][1]["account"]["login"] = "Contoso"
    raw = RawInput(
        "github",
        None,
        {
            "installations": [
                RawPage("installations", "i1.json", page(ORG / "installations.1.json")),
                RawPage("installations", "i2.json", other),
            ]
        },
    )
    with pytest.raises(InputError) as excinfo:
        transform(raw)
    assert str(excinfo.value) == (
        "i2.json: /installations/1/account field 'login': an installation on organization "
        "'Contoso' among those of 'Fabrikam'; save each organization's pages in its own folder"
    )


def test_the_tailspin_example_reads_and_ties_to_the_tour() -> None:
    raw = read_saved(get_source("github"), ROOT / "examples" / "saas" / "github", None)
    assert sorted(raw.pages) == [
        "apps",
        "credential_authorizations",
        "installations",
        "personal_access_tokens",
    ]
    result = transform(raw)
    tenant = "github:tailspin"
    assert [b.tenant for b in result.batches] == [tenant]
    assert result.unclassified == []
    integrations = {props(result, i)["name"]: i for i in node_ids(result, "Integration")}
    assert sorted(integrations) == [
        "Ledgerly Spend Sync",
        "MeetSmart Standup",
        "OAuth app token …e5d1c0b9 of jmorales",
        "SignalWatch Alerts",
        "SyncBridge Repo Mirror",
        "Tailspin Release Bot",
        "build-agent-01 (SSH key of svc-build)",
        "ci-legacy-deploy",
        "docs-preview",
        "release-packager",
        "tailspin-org-terraform",
    ]
    ledgerly = props(result, f"{tenant}:app:ledgerly-spend-sync")
    assert (ledgerly["publisher"], ledgerly["publisher_id"]) == ("Ledgerly", "Ledgerly")
    publishers = sorted(
        props(result, i).get("publisher", "-") for i in node_ids(result, "Integration")
    )
    assert publishers == ["-"] * 7 + ["Ledgerly", "MeetSmart", "SignalWatch", "SyncBridge"]
    assert len(node_ids(result, "Credential")) == 11
    admin = [s for s in node_ids(result, "Scope") if props(result, s)["access"] == "admin"]
    assert admin == [
        f"{tenant}/administration:write",
        f"{tenant}/members:write",
        f"{tenant}/organization_administration:write",
    ]
    expired = props(result, f"{tenant}:cred:pat:70011")
    assert expired["expires_at"] == "2026-01-15T00:00:00Z"
    never = props(result, f"{tenant}:cred:token:880101")
    assert never == {
        "kind": "personal_access_token",
        "identifier": "…R8c2Lk4T",
        "created_at": "2022-10-03T11:00:00Z",
        "last_used_at": "2026-05-12T02:00:00Z",
        "status": "active",
    }
    suspended = props(result, f"{tenant}:app:meetsmart-standup")
    assert suspended["status"] == "disabled"


# --------------------------------------------------------------------------- fetch


def settings(**extra: object) -> Settings:
    values: dict[str, object] = {"github_token": SecretStr(TOKEN), "http_max_retries": 5}
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


def link(url: str) -> dict[str, str]:
    return {"Link": f'<{url}>; rel="next", <{url}>; rel="last"'}


INSTALLATIONS = f"{API}/orgs/Fabrikam/installations?per_page=100"
INSTALLATIONS_2 = f"{API}/organizations/7100001/installations?per_page=100&page=2"
PATS = f"{API}/orgs/Fabrikam/personal-access-tokens?per_page=100"
PATS_2 = f"{API}/organizations/7100001/personal-access-tokens?per_page=100&page=2"
AUTHS = f"{API}/orgs/Fabrikam/credential-authorizations?per_page=100"
AUTHS_2 = f"{API}/organizations/7100001/credential-authorizations?per_page=100&page=2"
NOT_FOUND = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}


def org_routes() -> dict[str, list[Reply]]:
    """The saved org served page by page, the way GitHub pages it."""
    return {
        f"GET {INSTALLATIONS}": [
            Reply(200, page(ORG / "installations.1.json"), link(INSTALLATIONS_2))
        ],
        f"GET {INSTALLATIONS_2}": [Reply(200, page(ORG / "installations.2.json"))],
        f"GET {API}/apps/codeguard-scanner": [
            Reply(200, page(ORG / "apps.codeguard-scanner.json"))
        ],
        f"GET {API}/apps/deploy-bot": [Reply(200, page(ORG / "apps.deploy-bot.json"))],
        f"GET {API}/apps/org-sentinel": [Reply(200, page(ORG / "apps.org-sentinel.json"))],
        # A private app of another owner has no public record.
        f"GET {API}/apps/meetsmart-standup": [Reply(404, NOT_FOUND)],
        f"GET {PATS}": [Reply(200, page(ORG / "personal_access_tokens.1.json"), link(PATS_2))],
        f"GET {PATS_2}": [Reply(200, page(ORG / "personal_access_tokens.2.json"))],
        f"GET {AUTHS}": [Reply(200, page(ORG / "credential_authorizations.1.json"), link(AUTHS_2))],
        f"GET {AUTHS_2}": [Reply(200, page(ORG / "credential_authorizations.2.json"))],
    }


def context(
    recorded: Recorded,
    sleep: Sleeps | None = None,
    tenant: str | None = "Fabrikam",
    **extra: object,
) -> FetchContext:
    return FetchContext(settings(**extra), tenant, recorded.transport(), sleep or no_sleep)


def test_fetch_follows_every_page_of_every_endpoint() -> None:
    recorded = Recorded(org_routes())
    raw = get_source("github").fetch(context(recorded))
    assert [str(r.url) for r in recorded.requests] == [
        INSTALLATIONS,
        INSTALLATIONS_2,
        f"{API}/apps/codeguard-scanner",
        f"{API}/apps/deploy-bot",
        f"{API}/apps/org-sentinel",
        f"{API}/apps/meetsmart-standup",
        PATS,
        PATS_2,
        AUTHS,
        AUTHS_2,
    ]
    assert {r.method for r in recorded.requests} == {"GET"}
    assert {r.headers["Authorization"] for r in recorded.requests} == {f"Bearer {TOKEN}"}
    assert {r.headers["X-GitHub-Api-Version"] for r in recorded.requests} == {"2022-11-28"}
    assert {r.headers["Accept"] for r in recorded.requests} == {"application/vnd.github+json"}
    assert raw.tenant == "Fabrikam"
    assert {k: len(v) for k, v in raw.pages.items()} == {
        "installations": 2,
        "apps": 3,
        "personal_access_tokens": 2,
        "credential_authorizations": 2,
    }
    assert [p.params for p in raw.pages["apps"]] == [
        {"app_slug": "codeguard-scanner"},
        {"app_slug": "deploy-bot"},
        {"app_slug": "org-sentinel"},
    ]
    # The fetched pages make exactly the records the saved pages make.
    fetched = transform(raw)
    from_files = transform(saved("github", "org"))
    assert fetched.batches[0].nodes == from_files.batches[0].nodes
    assert fetched.batches[0].rels == from_files.batches[0].rels
    assert not [
        s for s in strings_in([p.body for v in raw.pages.values() for p in v]) if TOKEN in s
    ]


def test_an_org_without_saml_sso_has_no_authorizations() -> None:
    routes = org_routes()
    routes[f"GET {AUTHS}"] = [Reply(404, NOT_FOUND)]
    raw = get_source("github").fetch(context(Recorded(routes)))
    assert raw.pages["credential_authorizations"] == []
    result = transform(raw)
    assert [i for i in node_ids(result, "Integration") if ":token:" in i or ":ssh-key:" in i] == []


def test_a_missing_org_is_an_error_not_an_empty_org() -> None:
    routes = {f"GET {API}/orgs/nope/installations?per_page=100": [Reply(404, NOT_FOUND)]}
    with pytest.raises(NhigraphError) as excinfo:
        get_source("github").fetch(context(Recorded(routes), tenant="nope"))
    assert str(excinfo.value) == "github: GET /orgs/nope/installations returned 404 Not Found"


def test_fetch_waits_as_told_by_retry_after() -> None:
    routes = org_routes()
    first = routes[f"GET {INSTALLATIONS}"][0]
    limited = {"message": "API rate limit exceeded"}
    routes[f"GET {INSTALLATIONS}"] = [
        Reply(429, limited, {"Retry-After": "7"}),
        Reply(429, limited, {"Retry-After": "3"}),
        first,
    ]
    recorded, sleeps = Recorded(routes), Sleeps()
    raw = get_source("github").fetch(context(recorded, sleeps))
    assert sleeps.waits == [7.0, 3.0]
    assert len(raw.pages["installations"]) == 2
    assert [str(r.url) for r in recorded.requests[:4]] == [INSTALLATIONS] * 3 + [INSTALLATIONS_2]


def test_a_github_that_stays_down_is_unavailable() -> None:
    routes = {f"GET {INSTALLATIONS}": [Reply(502, "<html>Bad Gateway</html>")]}
    sleeps = Sleeps()
    source = get_source("github")
    raw, reason = collect(source, context(Recorded(routes), sleeps, http_max_retries=2))
    assert raw is None
    assert reason == "github: GET /orgs/Fabrikam/installations failed after 3 attempts (HTTP 502)"
    assert sleeps.waits == [1.0, 2.0]


def test_a_denied_request_names_the_permission() -> None:
    routes = {f"GET {INSTALLATIONS}": [Reply(401, {"message": "Bad credentials"})]}
    with pytest.raises(AccessDenied) as excinfo:
        get_source("github").fetch(context(Recorded(routes)))
    assert str(excinfo.value) == (
        "github: GET /orgs/Fabrikam/installations returned 401: the credentials need an "
        "organization owner's token: classic scope admin:read (or admin:org), or the "
        "fine-grained organization permission 'Administration' (read)"
    )

    routes = org_routes()
    routes[f"GET {PATS}"] = [Reply(403, {"message": "Resource not accessible by integration"})]
    with pytest.raises(AccessDenied) as excinfo:
        get_source("github").fetch(context(Recorded(routes)))
    assert str(excinfo.value) == (
        "github: GET /orgs/Fabrikam/personal-access-tokens returned 403: the credentials need "
        "a GitHub App installation token with the organization permission 'Personal access "
        "tokens' (read); only GitHub Apps may list fine-grained tokens"
    )

    routes = org_routes()
    routes[f"GET {AUTHS}"] = [Reply(403, {"message": "Must be an organization owner"})]
    with pytest.raises(AccessDenied) as excinfo:
        get_source("github").fetch(context(Recorded(routes)))
    assert str(excinfo.value) == (
        "github: GET /orgs/Fabrikam/credential-authorizations returned 403: the credentials "
        "need an organization owner's token with classic scope read:org (GitHub Enterprise "
        "Cloud organizations with SAML single sign-on)"
    )


def test_fetch_needs_a_token_and_an_org() -> None:
    with pytest.raises(ConfigError) as excinfo:
        get_source("github").fetch(FetchContext(settings(github_token=None), "Fabrikam"))
    assert str(excinfo.value) == (
        "GitHub needs a token: set NHIGRAPH_GITHUB_TOKEN (an organization owner's token; "
        "listing fine-grained tokens needs a GitHub App installation token)"
    )
    with pytest.raises(ConfigError) as excinfo:
        get_source("github").fetch(FetchContext(settings(), None))
    assert str(excinfo.value) == (
        "GitHub needs the organization: pass --tenant <organization login>"
    )
    with pytest.raises(ConfigError) as excinfo:
        get_source("github").fetch(FetchContext(settings(), "not an org/login"))
    assert str(excinfo.value) == "--tenant is not a GitHub organization login"


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (
            "truncated/installations.json",
            "line 85 column 17: not valid JSON (Expecting ':' delimiter); is the file truncated?",
        ),
        (
            "wrong_type/installations.json",
            "/installations/1 field 'created_at': expected an ISO 8601 timestamp, got a number",
        ),
        (
            "bad_level/installations.json",
            "/installations/0/permissions field 'contents': expected a permission level such "
            "as read or write",
        ),
        (
            "html/personal_access_tokens.json",
            "/: an HTML page, not a saved API response (was an error or sign-in page saved?)",
        ),
        (
            "error_body/credential_authorizations.json",
            "/: a GitHub error response, not a page of credential authorizations (save the page "
            "again with a token that can read it)",
        ),
        (
            "missing_owner/personal_access_tokens.json",
            "/0 field 'owner': missing; expected the token owner",
        ),
        (
            "bad_scope/credential_authorizations.json",
            "/0/scopes/1: expected a string in 'scopes', got a number",
        ),
    ],
)
def test_bad_input_is_one_line_naming_file_record_and_field(file: str, message: str) -> None:
    path = BAD / file
    with pytest.raises(InputError) as excinfo:
        transform(read_saved(get_source("github"), path, "Fabrikam"))
    assert str(excinfo.value) == f"{path}: {message}"
    assert "\n" not in str(excinfo.value)


def test_an_installations_page_that_is_an_array_is_refused() -> None:
    body = page(ORG / "personal_access_tokens.1.json")
    raw = RawInput("github", None, {"installations": [RawPage("installations", "i.json", body)]})
    with pytest.raises(InputError) as excinfo:
        transform(raw)
    assert str(excinfo.value) == (
        "i.json: /: expected the object GitHub returns ({total_count, installations}), got an array"
    )


@pytest.mark.parametrize(
    ("endpoint", "body", "message"),
    [
        ("installations", None, "/: expected the object GitHub returns ({total_count, "
         "installations}), got null"),
        ("installations", {}, "/ field 'installations': missing; expected an array"),
        ("installations", {"installations": "x"}, "/ field 'installations': expected an "
         "array, got a string"),
        ("installations", {"installations": [[]]}, "/installations/0: expected an object in "
         "the array, got an array"),
        ("installations", {"installations": [{"app_slug": "a", "id": 1, "permissions": []}]},
         "/installations/0 field 'permissions': expected an object, got an array"),
        ("apps", [], "/: expected the app object GitHub returns, got an array"),
        ("apps", {"message": "Not Found"}, "/: a GitHub error response, not a page of an app "
         "(save the page again with a token that can read it)"),
        ("personal_access_tokens", {"id": 1}, "/: expected the array of fine-grained personal "
         "access tokens GitHub returns"),
        ("personal_access_tokens", [1], "/0: expected an object in the array, got a number"),
        ("personal_access_tokens", [{"id": 1, "owner": {"login": "a"}, "permissions": {
            "repository": {"contents": "write now"}}}], "/0/permissions/repository field "
         "'contents': expected a permission level such as read or write"),
        ("credential_authorizations", [{"login": "a"}], "/0 field 'credential_id': missing; "
         "expected a non-empty string"),
        ("credential_authorizations", [{"login": "a", "credential_id": 2, "scopes": ["re po"]}],
         "/0/scopes/0: not a scope name (expected e.g. repo or admin:org)"),
        ("installations", {"installations": [{"app_slug": "a", "id": 1, "permissions": {
            "con tents": "read"}}]}, "/installations/0/permissions field 'con tents': not a "
         "permission name (expected e.g. contents or members)"),
    ],
)  # fmt: skip
def test_unexpected_shapes_are_input_errors(endpoint: str, body: object, message: str) -> None:
    raw = RawInput("github", "Fabrikam", {endpoint: [RawPage(endpoint, "p.json", body)]})
    with pytest.raises(InputError) as excinfo:
        transform(raw)
    assert str(excinfo.value) == f"p.json: {message}"


def test_empty_pages_make_an_org_with_only_its_stores() -> None:
    raw = RawInput(
        "github",
        "Fabrikam",
        {
            "installations": [RawPage("installations", "i.json", {"total_count": 0,
                                                                  "installations": []})],
            "personal_access_tokens": [RawPage("personal_access_tokens", "p.json", [])],
            "credential_authorizations": [RawPage("credential_authorizations", "c.json", [])],
        },
    )  # fmt: skip
    result = transform(raw)
    assert [b.tenant for b in result.batches] == [T]
    assert {n.label for b in result.batches for n in b.nodes} == {"Tenant", "DataStore"}
