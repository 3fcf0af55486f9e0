"""Partial saves never lose data: incomplete page sets, one endpoint at a time, off-page
references, and folders with other files in them; on both stores.

Each test writes a complete save first, then a partial one, and checks that nothing
the partial save did not read to its end was removed; the property test does the same
for random page sets of a random Entra tenant.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.store import Store, StoredNode
from nhigraph.ingest.raw import RawPage
from nhigraph.ingest.source import RawInput, read_saved
from nhigraph.ingest.sources import get_source
from nhigraph.ingest.sync import SourceRead, read_source, write_batches
from tests.ingest_support import FINGERPRINTER

ROOT = Path(__file__).resolve().parent.parent
SAAS = ROOT / "examples" / "saas"


def keys(store: Store) -> set[tuple[str, ...]]:
    """Every node id and relationship key in the store."""
    found: set[tuple[str, ...]] = set()
    for item in store.export():
        if isinstance(item, StoredNode):
            found.add((item.id,))
        else:
            found.add((item.type, item.start, item.end))
    return found


def ingest(store: Store, source: str, raws: Sequence[RawInput]) -> tuple[SourceRead, int]:
    """Read and write like `nhigraph ingest --source`; returns the read and how many
    records the write removed."""
    read = read_source(get_source(source), raws, FINGERPRINTER)
    results = write_batches(store, read.batches)
    return read, sum(r.summary.nodes_removed + r.summary.rels_removed for r in results)


def example(source: str, tenant: str | None = None) -> RawInput:
    return read_saved(get_source(source), SAAS / source, tenant)


def with_pages(raw: RawInput, endpoint: str, pages: list[RawPage]) -> RawInput:
    return RawInput(raw.source, raw.tenant, {**raw.pages, endpoint: pages})


# --------------------------------------------------------------------------- defect 1

#: (source, --tenant, endpoint, an empty first page that says more pages follow, headers)
EMPTY_FIRST_PAGES: list[tuple[str, str | None, str, Any, dict[str, str]]] = [
    (
        "msgraph",
        None,
        "servicePrincipals",
        {
            "value": [],
            "@odata.nextLink": "https://graph.microsoft.com/v1.0/servicePrincipals?$skiptoken=X",
        },
        {},
    ),
    ("google", "tailspintoys.com", "users", {"users": [], "nextPageToken": "X"}, {}),
    ("github", "tailspin", "installations", {"total_count": 5, "installations": []}, {}),
    (
        "github",
        "tailspin",
        "personal_access_tokens",
        [],
        {"link": '<https://api.github.com/orgs/x/personal-access-tokens?page=2>; rel="next"'},
    ),
    (
        "slack",
        "E07TAILSPIN",
        "approved_apps",
        {"ok": True, "approved_apps": [], "response_metadata": {"next_cursor": "X"}},
        {},
    ),
    (
        "okta",
        None,
        "apps",
        [],
        {"link": '<https://tailspin.okta.com/api/v1/apps?after=X&limit=200>; rel="next"'},
    ),
    (
        "salesforce",
        None,
        "connected_apps",
        {
            "totalSize": 9,
            "done": False,
            "nextRecordsUrl": "/services/data/v62.0/query/01gX-2000",
            "records": [],
        },
        {},
    ),
]


def test_every_paged_endpoint_has_a_case_here() -> None:
    covered = {(s, e) for s, _, e, _, _ in EMPTY_FIRST_PAGES}
    for name in ("msgraph", "google", "github", "slack", "okta", "salesforce"):
        paged = [e.name for e in get_source(name).endpoints if e.paging.envelope != "single"]
        assert any((name, e) in covered for e in paged), name


def test_an_empty_first_page_that_says_more_follow_removes_nothing(store: Store) -> None:
    for source, tenant, endpoint, body, headers in EMPTY_FIRST_PAGES:
        full = example(source, tenant)
        ingest(store, source, [full])
        before = keys(store)
        page = RawPage(endpoint, f"{endpoint}.1.json", body, {}, headers)
        read, removed = ingest(store, source, [with_pages(full, endpoint, [page])])
        assert removed == 0, source
        assert keys(store) == before, source
        assert [g.file for g in read.gaps] == [f"{endpoint}.1.json"], source


def test_the_gap_names_the_file_and_what_is_missing(tmp_path: Path) -> None:
    folder = tmp_path / "msgraph"
    shutil.copytree(SAAS / "msgraph", folder)
    (folder / "servicePrincipals.2.json").unlink()
    read = read_source(
        get_source("msgraph"), [read_saved(get_source("msgraph"), folder, None)], FINGERPRINTER
    )
    assert [str(g) for g in read.gaps] == [
        f"{folder / 'servicePrincipals.1.json'}: the last page of servicePrincipals read says "
        "more pages follow (@odata.nextLink), but no later page was read; what "
        "servicePrincipals reported before is kept"
    ]


def test_a_total_larger_than_the_items_read_is_a_gap() -> None:
    full = example("github", "tailspin")
    installations = full.pages["installations"][0]
    body = {**installations.body, "total_count": installations.body["total_count"] + 3}
    page = RawPage("installations", "installations.json", body)
    read = read_source(
        get_source("github"), [with_pages(full, "installations", [page])], FINGERPRINTER
    )
    assert [g.why for g in read.gaps] == [
        f"installations holds {body['total_count'] - 3} of the {body['total_count']} items "
        "its total_count reports"
    ]


# --------------------------------------------------------------------------- defect 2


def _only(raw: RawInput, *endpoints: str) -> RawInput:
    return RawInput(raw.source, raw.tenant, {e: raw.pages[e] for e in endpoints if e in raw.pages})


def test_one_endpoint_saved_at_a_time_keeps_the_others(store: Store) -> None:
    # GitHub installations (and their apps) one day, fine-grained tokens the next, SSO
    # authorizations the day after; Salesforce tokens, then connected apps.
    for source, tenant, days in (
        (
            "github",
            "tailspin",
            [
                ("installations", "apps"),
                ("personal_access_tokens",),
                ("credential_authorizations",),
            ],
        ),
        (
            "salesforce",
            None,
            [("organization", "oauth_tokens", "users"), ("organization", "connected_apps")],
        ),
    ):
        raw = example(source, tenant)
        ingest(store, source, [raw])
        full = keys(store)
        for endpoints in days:
            _, removed = ingest(store, source, [_only(raw, *endpoints)])
            assert removed == 0, endpoints
            assert keys(store) >= full, endpoints
        # Saved whole again, what only a partial save made up (a token's app known by
        # name alone) goes, and the store is what one complete save gives.
        ingest(store, source, [raw])
        assert keys(store) == full, source


def test_a_complete_endpoint_still_removes_what_it_stopped_reporting(store: Store) -> None:
    github = example("github", "tailspin")
    ingest(store, "github", [github])
    tokens = github.pages["personal_access_tokens"][0]
    kept = RawPage(tokens.endpoint, tokens.file, tokens.body[1:])
    _, removed = ingest(
        store,
        "github",
        [_only(with_pages(github, "personal_access_tokens", [kept]), "personal_access_tokens")],
    )
    assert removed > 0
    gone = tokens.body[0]["id"]
    assert not [k for k in keys(store) if len(k) == 1 and k[0].endswith(f":pat:{gone}")]


def test_files_of_one_tenant_in_one_command_are_read_together(store: Store, tmp_path: Path) -> None:
    # One folder per endpoint, as people save them; a grant names a service principal
    # that is only in the other folder.
    principals, grants = tmp_path / "principals", tmp_path / "grants"
    principals.mkdir()
    grants.mkdir()
    for file in (SAAS / "msgraph").iterdir():
        target = grants if file.name.startswith("oauth2PermissionGrants") else principals
        shutil.copy(file, target / file.name)
    source = get_source("msgraph")
    read, _ = ingest(
        store, "msgraph", [read_saved(source, principals, None), read_saved(source, grants, None)]
    )
    assert read.gaps == [] and read.warnings == []
    together = keys(store)
    other = EmbeddedStore(":memory:")
    ingest(other, "msgraph", [example("msgraph")])
    assert together == keys(other)


# --------------------------------------------------------------------------- defect 3


def test_an_off_page_reference_keeps_the_tenant_and_removes_nothing(
    store: Store, tmp_path: Path
) -> None:
    ingest(store, "msgraph", [example("msgraph")])
    before = keys(store)
    folder = tmp_path / "msgraph"
    shutil.copytree(SAAS / "msgraph", folder)
    (folder / "servicePrincipals.2.json").unlink()  # page 1 says more follow
    read, removed = ingest(store, "msgraph", [read_saved(get_source("msgraph"), folder, None)])
    assert removed == 0
    assert keys(store) >= before
    assert read.warnings  # the records naming page 2's principals are said to be left out
    assert all("not on the servicePrincipals pages read" in w for w in read.warnings)


# --------------------------------------------------------------------------- defect 4


def test_a_folder_with_headers_a_readme_and_ds_store(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "okta"
    shutil.copytree(SAAS / "okta", folder)
    (folder / "README.md").write_text("saved by hand on Monday\n")
    (folder / ".DS_Store").write_bytes(b"\x00\x01Bud1")
    ingest(store, "okta", [read_saved(get_source("okta"), folder, None)])
    before = keys(store)
    # The apps' second page was not saved; its Link header says it exists.
    (folder / "apps.2.json").unlink()
    (folder / "apps.1.headers").write_text(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        'link: <https://tailspin.okta.com/api/v1/apps?limit=200>; rel="self"\r\n'
        'link: <https://tailspin.okta.com/api/v1/apps?after=0oaX&limit=200>; rel="next"\r\n'
    )
    raw = read_saved(get_source("okta"), folder, None)
    assert sorted(raw.notes) == [
        f"{folder / '.DS_Store'}: not a saved page of okta; skipped",
        f"{folder / 'README.md'}: not a saved page of okta; skipped",
    ]
    read, removed = ingest(store, "okta", [raw])
    assert removed == 0 and keys(store) >= before
    assert [g.origin for g in read.gaps] == ["apps"]


def test_a_link_header_file_alone_carries_the_next_page(tmp_path: Path) -> None:
    (tmp_path / "personal_access_tokens.json").write_text("[]")
    (tmp_path / "personal_access_tokens.link-header.txt").write_text(
        'Link: <https://api.github.com/orgs/x/personal-access-tokens?page=2>; rel="next", '
        '<https://api.github.com/orgs/x/personal-access-tokens?page=9>; rel="last"\n'
    )
    raw = read_saved(get_source("github"), tmp_path, "tailspin")
    assert raw.notes == ()
    read = read_source(get_source("github"), [raw], FINGERPRINTER)
    assert [g.origin for g in read.gaps] == ["personal_access_tokens"]


# --------------------------------------------------------------------------- property


TENANT = "7b3e9f12-4c8a-4d5e-b1a6-2f9c0e8d4a71"
GRAPH = "https://graph.microsoft.com/v1.0"


def _guid(kind: int, n: int) -> str:
    return f"{kind:08x}-0000-4000-8000-{n:012x}"


def _world(draw: st.DrawFn) -> dict[str, Any]:
    """A random Entra tenant: service principals (some with secrets and app roles),
    application-permission assignments and delegated grants between them."""
    count = draw(st.integers(2, 7))
    principals = []
    for n in range(count):
        roles = [
            {
                "allowedMemberTypes": ["Application"],
                "id": _guid(9, n * 10 + r),
                "value": f"Role{n}.{r}",
            }
            for r in range(draw(st.integers(0, 2)))
        ]
        secrets = [
            {
                "keyId": _guid(8, n * 10 + k),
                "startDateTime": "2025-01-01T00:00:00Z",
                "endDateTime": "2027-01-01T00:00:00Z",
            }
            for k in range(draw(st.integers(0, 2)))
        ]
        principals.append(
            {
                "id": _guid(1, n),
                "appId": _guid(2, n),
                "displayName": f"App {n}",
                "appOwnerOrganizationId": TENANT,
                "accountEnabled": True,
                "servicePrincipalType": "Application",
                "appRoles": roles,
                "passwordCredentials": secrets,
                "keyCredentials": [],
            }
        )
    assignments: dict[str, list[dict[str, Any]]] = {}
    for holder in principals:
        for resource in draw(
            st.lists(st.sampled_from(principals), max_size=3, unique_by=lambda p: p["id"])
        ):
            if not resource["appRoles"]:
                continue
            role = draw(st.sampled_from(resource["appRoles"]))
            assignments.setdefault(holder["id"], []).append(
                {
                    "id": f"as-{holder['id']}-{resource['id']}",
                    "appRoleId": role["id"],
                    "principalId": holder["id"],
                    "principalType": "ServicePrincipal",
                    "resourceId": resource["id"],
                }
            )
    grants = []
    for g in range(draw(st.integers(0, 5))):
        client, resource = draw(st.sampled_from(principals)), draw(st.sampled_from(principals))
        grants.append(
            {
                "id": f"grant-{g}",
                "clientId": client["id"],
                "consentType": "AllPrincipals",
                "principalId": None,
                "resourceId": resource["id"],
                "scope": " ".join(
                    draw(
                        st.lists(
                            st.sampled_from(["Mail.Read", "Files.Read.All", "User.Read"]),
                            min_size=1,
                            max_size=2,
                            unique=True,
                        )
                    )
                ),
            }
        )
    return {"principals": principals, "assignments": assignments, "grants": grants}


def _chunks(draw: st.DrawFn, items: list[Any]) -> list[list[Any]]:
    """``items`` split into 1 to 3 pages (the first may be empty, as Graph's can be)."""
    if not items:
        return [[]]
    cuts = sorted(draw(st.lists(st.integers(0, len(items)), max_size=2)))
    bounds = [0, *cuts, len(items)]
    return [items[a:b] for a, b in itertools.pairwise(bounds) if b > a or a == 0]


def _chain(endpoint: str, chunks: list[list[Any]], parent: str | None = None) -> list[RawPage]:
    pages = []
    for i, chunk in enumerate(chunks):
        body: dict[str, Any] = {"value": chunk}
        if i < len(chunks) - 1:
            body["@odata.nextLink"] = f"{GRAPH}/{endpoint}?$skiptoken={endpoint}-{parent}-{i + 1}"
        params = {} if parent is None else {"servicePrincipal": parent}
        pages.append(RawPage(endpoint, f"{endpoint}.{parent or ''}.{i + 1}.json", body, params))
    return pages


@st.composite
def saves(draw: st.DrawFn) -> tuple[RawInput, RawInput]:
    """A complete save of a random tenant, and a partial save of the same tenant: page
    chains cut short (their last page read still says more follow), endpoints or a
    parent's chain left out. Records on the pages read may name ones on pages not read."""
    world = _world(draw)
    org = [
        RawPage(
            "organization",
            "organization.json",
            {"value": [{"id": TENANT, "displayName": "Fabrikam"}]},
        )
    ]
    full: dict[str, list[RawPage]] = {
        "organization": org,
        "servicePrincipals": _chain("servicePrincipals", _chunks(draw, world["principals"])),
        "oauth2PermissionGrants": _chain("oauth2PermissionGrants", _chunks(draw, world["grants"])),
        "appRoleAssignments": [
            page
            for sp, items in world["assignments"].items()
            for page in _chain("appRoleAssignments", _chunks(draw, items), sp)
        ],
    }
    partial: dict[str, list[RawPage]] = {"organization": org}
    for endpoint in ("servicePrincipals", "oauth2PermissionGrants", "appRoleAssignments"):
        if draw(st.booleans()):
            continue  # this endpoint was not saved at all
        chains: dict[str, list[RawPage]] = {}
        for page in full[endpoint]:
            chains.setdefault(page.origin, []).append(page)
        kept = []
        for pages in chains.values():
            if draw(st.integers(0, 3)) == 0:
                continue  # a parent's chain left out
            kept += pages[: draw(st.integers(1, len(pages)))]  # cut short, or whole
        partial[endpoint] = kept
    return RawInput("msgraph", None, full), RawInput("msgraph", None, partial)


def _nothing_complete_is_lost(store: Store, full: RawInput, partial: RawInput) -> None:
    ingest(store, "msgraph", [full])
    before = keys(store)
    ingest(store, "msgraph", [partial])
    # The tenant did not change, so a partial save removes nothing at all.
    assert keys(store) >= before
    # Saving everything again converges on what a complete save alone gives.
    ingest(store, "msgraph", [full])
    fresh = EmbeddedStore(":memory:")
    ingest(fresh, "msgraph", [full])
    assert keys(store) == keys(fresh)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(saves())
def test_an_incomplete_save_never_removes_what_it_did_not_read_whole(
    case: tuple[RawInput, RawInput],
) -> None:
    _nothing_complete_is_lost(EmbeddedStore(":memory:"), *case)


@pytest.mark.neo4j
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=saves())
def test_an_incomplete_save_never_removes_on_neo4j(
    neo4j_store: Store, case: tuple[RawInput, RawInput]
) -> None:
    neo4j_store.clear()  # type: ignore[attr-defined]
    _nothing_complete_is_lost(neo4j_store, *case)


def test_a_changed_tenant_saved_whole_loses_what_went_away() -> None:
    store = EmbeddedStore(":memory:")
    full = example("msgraph")
    ingest(store, "msgraph", [full])
    page = full.pages["oauth2PermissionGrants"][0]
    fewer = RawPage(page.endpoint, page.file, {**page.body, "value": page.body["value"][1:]})
    _, removed = ingest(store, "msgraph", [with_pages(full, "oauth2PermissionGrants", [fewer])])
    assert removed > 0
    gone = page.body["value"][0]["id"]
    assert not [k for k in keys(store) if len(k) == 1 and k[0].endswith(f":grant:{gone}")]
