"""The SaaS sources through the real command line: saved exports, live collection over a
real socket (a local server speaking GitHub's REST API), and both stores agreeing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import neo4j_password, neo4j_uri
from tests.test_cli import nhigraph

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
DEMO = [str(EXAMPLES / "demo-estate.yaml"), str(EXAMPLES / "owners.csv")]
SAAS = [
    ("msgraph", None),
    ("google", None),
    ("github", "tailspin"),
    ("slack", "E07TAILSPIN"),
    ("okta", None),
    ("salesforce", None),
    ("aws", None),
]
PEOPLE = str(EXAMPLES / "tailspin-people.yaml")
KEY = {"NHIGRAPH_FINGERPRINT_KEY": "cli-test-fingerprint-key-0123456789"}


def ingest_all(*args: str, env: dict[str, str]) -> list[dict[str, Any]]:
    """The README's flow: the demo inventory, every SaaS export, then what people know."""
    reports = [json.loads(run(*args, "ingest", "--json", *DEMO, env=env))]
    for source, tenant in SAAS:
        option = ["--tenant", tenant] if tenant else []
        folder = str(EXAMPLES / "saas" / source)
        reports.append(
            json.loads(run(*args, "ingest", "--json", "--source", source, *option, folder, env=env))
        )
    reports.append(json.loads(run(*args, "ingest", "--json", PEOPLE, env=env)))
    return reports


def run(*args: str, env: dict[str, str]) -> str:
    result = nhigraph(*args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def changes(report: dict[str, Any]) -> int:
    return sum(
        s[k]
        for s in report["files"].values()
        for k in ("nodes_added", "nodes_updated", "nodes_removed", "rels_added", "rels_updated",
                  "rels_removed", "patches_set", "patches_removed")
    )  # fmt: skip


def provided_by(export: dict[str, Any], vendor: str) -> list[str]:
    return sorted(
        r["end"]
        for r in export["relationships"]
        if r["type"] == "PROVIDES" and r["start"] == vendor
    )


def test_the_exports_and_what_people_know_go_in_and_a_second_run_changes_nothing(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "demo.db")
    first = ingest_all("--db", db, env=KEY)
    unclassified = {
        s: r["unclassified_scopes"] for (s, _), r in zip(SAAS, first[1:-1], strict=True)
    }
    assert unclassified == {s: [] for s, _ in SAAS} | {
        "salesforce": ["connected_app_scopes_unknown"]
    }
    people = first[-1]
    assert people["warnings"] == []
    assert people["files"][PEOPLE]["patches_set"] == 9  # 7 integrations, 2 data stores
    second = ingest_all("--db", db, env=KEY)
    assert [changes(r) for r in second] == [0] * len(second)
    assert all(r["vendor_links"]["rels_added"] == 0 for r in second)
    export = json.loads(run("--db", db, "export", env=KEY))
    # One vendor for Ledgerly's apps in five providers (from publisher hints) and two
    # more (Okta, AWS) that people tied to it, beside the demo's own.
    tailspin = [i for i in provided_by(export, "inventory:vendor:ledgerly") if "northwind" not in i]
    assert tailspin == [
        "aws:210987654321:user:ledgerly-export",
        "github:tailspin:app:ledgerly-spend-sync",
        "google_workspace:tailspintoys.com:app:880245719183-l3dg3rlyq8w2e4r6t8y0u1i3o5p7a9s2"
        ".apps.googleusercontent.com",
        "m365:7b3e9f12-4c8a-4d5e-b1a6-2f9c0e8d4a71:sp:6b1f0a2e-4c3d-4e8b-9a71-2d5c8e3f9b10",
        "okta:tailspin.okta.com:app:0oa7tspLdgrlyS8n2p7",
        "salesforce:00D8d000002TsPyEAK:connected-app:0H48d000000LgRlCAK",
        "slack:E07TAILSPIN:app:A05LEDGRLY",
    ]


@pytest.mark.neo4j
def test_both_stores_hold_the_same_graph_after_the_exports(
    tmp_path: Path, neo4j_server: None
) -> None:
    env = {
        **KEY,
        "NHIGRAPH_STORE": "neo4j",
        "NHIGRAPH_NEO4J_URI": neo4j_uri(),
        "NHIGRAPH_NEO4J_PASSWORD": neo4j_password(),
    }
    from nhigraph.graph.neo4j_store import Neo4jStore

    Neo4jStore(neo4j_uri(), "neo4j", neo4j_password()).clear()
    ingest_all(env=env)
    db = str(tmp_path / "demo.db")
    ingest_all("--db", db, env=KEY)
    drop = {"first_seen", "last_seen", "sync_run", "patch_run"}

    def domain(text: str) -> dict[str, list[dict[str, object]]]:
        data = json.loads(text)
        return {k: [{p: v for p, v in r.items() if p not in drop} for r in rows]
                for k, rows in data.items()}  # fmt: skip

    assert domain(run("export", env=env)) == domain(run("--db", db, "export", env=KEY))


# --------------------------------------------------------------------------- live collection


class _GitHub(BaseHTTPRequestHandler):
    """GitHub's REST API for the org 'tailspin', answering from the saved example pages;
    ``status`` forces every answer (503: down, 403: not allowed)."""

    status: int | None = None
    seen: list[tuple[str, str | None]] = []  # per test: reset by the fixture

    def do_GET(self) -> None:
        saved = EXAMPLES / "saas" / "github"
        path = self.path.split("?", 1)[0]
        type(self).seen.append((self.path, self.headers.get("Authorization")))
        files = {
            "/orgs/tailspin/installations": "installations.json",
            "/orgs/tailspin/personal-access-tokens": "personal_access_tokens.json",
            "/orgs/tailspin/credential-authorizations": "credential_authorizations.json",
        }
        name = files.get(path)
        if path.startswith("/apps/"):
            name = f"apps.{path.removeprefix('/apps/')}.json"
        status = type(self).status
        if status is not None:
            self._answer(status, {"message": "forced"})
        elif name is None or not (saved / name).exists():
            self._answer(404, {"message": "Not Found"})
        else:
            self._answer(200, json.loads((saved / name).read_text()))

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def github_api() -> Iterator[str]:
    _GitHub.status = None
    _GitHub.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GitHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def github_env(url: str) -> dict[str, str]:
    return {
        **KEY,
        "NHIGRAPH_GITHUB_TOKEN": "cli-test-token",
        "NHIGRAPH_GITHUB_API_URL": url,
        "NHIGRAPH_HTTP_MAX_RETRIES": "1",
    }


def test_collect_gives_what_the_saved_export_gives_and_saves_pages_that_replay(
    tmp_path: Path, github_api: str
) -> None:
    env = github_env(github_api)
    live, saved = str(tmp_path / "live.db"), str(tmp_path / "saved.db")
    pages = tmp_path / "pages"
    report = json.loads(
        run("--db", live, "collect", "github", "--tenant", "tailspin", "--save", str(pages),
            "--json", env=env)
    )  # fmt: skip
    assert report["files"]["github github:tailspin"]["nodes_added"] == 61
    assert {auth for _, auth in _GitHub.seen} == {"Bearer cli-test-token"}
    assert sorted(path for path, _ in _GitHub.seen)[:3] == [
        "/apps/ledgerly-spend-sync",
        "/apps/meetsmart-standup",
        "/apps/signalwatch-alerts",
    ]
    run("--db", saved, "ingest", "--source", "github", "--tenant", "tailspin",
        str(EXAMPLES / "saas" / "github"), env=env)  # fmt: skip
    drop = {"first_seen", "last_seen", "sync_run"}

    def domain(db: str) -> list[dict[str, object]]:
        data = json.loads(run("--db", db, "export", env=env))
        return [{k: v for k, v in r.items() if k not in drop} for r in data["nodes"]]

    assert domain(live) == domain(saved)
    replay = json.loads(
        run("--db", live, "ingest", "--json", "--source", "github", str(pages), env=env)
    )
    assert changes(replay) == 0


def test_an_unavailable_api_writes_nothing_and_removes_nothing(
    tmp_path: Path, github_api: str
) -> None:
    env = github_env(github_api)
    db = tmp_path / "g.db"
    run("--db", str(db), "ingest", "--source", "github", "--tenant", "tailspin",
        str(EXAMPLES / "saas" / "github"), env=env)  # fmt: skip
    before = db.read_bytes()
    _GitHub.status = 503
    result = nhigraph("--db", str(db), "collect", "github", "--tenant", "tailspin", env=env)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "nhigraph: error: github: GET /orgs/tailspin/installations failed after 2 attempts "
        "(HTTP 503); github is unavailable: nothing was written or removed"
    )
    assert db.read_bytes() == before


def test_access_denied_names_the_permission_and_a_missing_token_the_variable(
    tmp_path: Path, github_api: str
) -> None:
    env = github_env(github_api)
    _GitHub.status = 403
    db = str(tmp_path / "g.db")
    denied = nhigraph("--db", db, "collect", "github", "--tenant", "tailspin", env=env)
    assert denied.returncode == 1
    assert denied.stderr.startswith(
        "nhigraph: error: github: GET /orgs/tailspin/installations returned 403: the "
        "credentials need "
    )
    assert "cli-test-token" not in denied.stderr + denied.stdout
    missing = nhigraph("--db", db, "collect", "github", "--tenant", "tailspin", env=KEY)
    assert missing.returncode == 1
    assert missing.stderr.strip().startswith(
        "nhigraph: error: GitHub needs a token: set NHIGRAPH_GITHUB_TOKEN"
    )


def test_a_broken_saved_page_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "g.db"
    folder = tmp_path / "github"
    folder.mkdir()
    for page in (EXAMPLES / "saas" / "github").iterdir():
        (folder / page.name).write_text(page.read_text())
    run("--db", str(db), "ingest", "--source", "github", "--tenant", "tailspin", str(folder),
        env=KEY)  # fmt: skip
    before = db.read_bytes()
    text = (folder / "personal_access_tokens.json").read_text()
    (folder / "personal_access_tokens.json").write_text(text[: len(text) // 2])
    (folder / "installations.json").write_text("<html><body>Sign in</body></html>")
    result = nhigraph("--db", str(db), "ingest", "--source", "github", "--tenant", "tailspin",
                      str(folder), env=KEY)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"nhigraph: error: {folder / 'installations.json'}: /: an HTML page, not a saved API "
        "response (was an error or sign-in page saved?)"
    )
    (folder / "installations.json").write_text(
        (EXAMPLES / "saas/github/installations.json").read_text()
    )
    result = nhigraph("--db", str(db), "ingest", "--source", "github", "--tenant", "tailspin",
                      str(folder), env=KEY)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"nhigraph: error: {folder / 'personal_access_tokens.json'}: line "
    )
    assert "not valid JSON" in result.stderr and result.stderr.count("\n") == 1
    assert db.read_bytes() == before


def test_the_sources_command_says_what_each_source_reads_and_needs() -> None:
    listed = json.loads(run("sources", "--json", env=KEY))
    assert [s["name"] for s in listed] == [n for n, _ in SAAS]
    github = next(s for s in listed if s["name"] == "github")
    assert [e["saved_as"] for e in github["endpoints"]] == [
        "installations[.*].json",
        "apps[.*].json",
        "personal_access_tokens[.*].json",
        "credential_authorizations[.*].json",
    ]
    assert all(e["permission"] for s in listed for e in s["endpoints"])
    assert "organization" in github["tenant"].lower()


def test_an_incomplete_save_warns_exits_0_and_strict_refuses(tmp_path: Path) -> None:
    import shutil

    env = {**KEY, "NHIGRAPH_DB": str(tmp_path / "partial.db")}
    folder = tmp_path / "msgraph"
    shutil.copytree(EXAMPLES / "saas" / "msgraph", folder)
    run("ingest", "--source", "msgraph", str(folder), env=env)
    before = run("export", env=env)
    (folder / "servicePrincipals.2.json").unlink()
    page = folder / "servicePrincipals.1.json"
    gap = (
        f"{page}: the last page of servicePrincipals read says more pages follow "
        "(@odata.nextLink), but no later page was read"
    )
    strict = nhigraph("ingest", "--strict", "--source", "msgraph", str(folder), env=env)
    assert strict.returncode == 1
    refusal = gap.replace(": the last", ": /: the last", 1)
    assert strict.stderr == f"nhigraph: error: {refusal}; nothing was written (--strict)\n"
    assert run("export", env=env) == before
    report = json.loads(run("ingest", "--json", "--source", "msgraph", str(folder), env=env))
    assert report["incomplete"] == [f"{gap}; what servicePrincipals reported before is kept"]
    assert sum(s["nodes_removed"] + s["rels_removed"] for s in report["files"].values()) == 0
    human = nhigraph("ingest", "--source", "msgraph", str(folder), env=env)
    assert human.returncode == 0
    assert f"warning: incomplete: {gap}; what servicePrincipals reported before is kept" in (
        " ".join(human.stderr.split())
    )
