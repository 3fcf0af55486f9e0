"""The command line as a person uses it: real processes, real files, real Neo4j."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.ingest.sync import read_inventories
from tests.conftest import EXAMPLES, neo4j_password, neo4j_uri

DEMO = [str(EXAMPLES / "demo-estate.yaml"), str(EXAMPLES / "owners.csv")]


def nhigraph(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nhigraph", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        check=False,
    )


NARROW = {"COLUMNS": "80"}


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def expected_counts() -> tuple[dict[str, int], dict[str, int]]:
    with EmbeddedStore(":memory:") as empty:
        batches = [b for _, b in read_inventories(empty, [Path(p) for p in DEMO])]
    nodes = Counter(n.label for b in batches for n in b.nodes)
    rels = Counter(r.type for b in batches for r in b.rels)
    return dict(sorted(nodes.items())), dict(sorted(rels.items()))


def test_ingesting_the_demo_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    first = nhigraph("--db", db, "ingest", "--json", *DEMO)
    assert first.returncode == 0, first.stderr
    nodes, rels = expected_counts()
    files = json.loads(first.stdout)["files"]
    assert files[DEMO[0]]["nodes_added"] == sum(nodes.values()) - files[DEMO[1]]["nodes_added"]
    second = nhigraph("--db", db, "ingest", "--json", *DEMO)
    assert second.returncode == 0, second.stderr
    for summary in json.loads(second.stdout)["files"].values():
        assert summary["nodes_added"] == summary["nodes_updated"] == summary["nodes_removed"] == 0
        assert summary["rels_added"] == summary["rels_updated"] == summary["rels_removed"] == 0
    stats = json.loads(nhigraph("--db", db, "stats", "--json").stdout)
    assert stats == {"nodes": nodes, "relationships": rels, "incomplete_runs": []}


def test_a_malformed_inventory_is_one_line_and_leaves_the_store_byte_identical(
    tmp_path: Path,
) -> None:
    db = tmp_path / "demo.db"
    assert nhigraph("--db", str(db), "ingest", *DEMO).returncode == 0
    before = db.read_bytes()
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (EXAMPLES / "demo-estate.yaml").read_text().replace("inventory: demo", "inventory: bad")
        + "\n# and one broken record\n",
        encoding="utf-8",
    )
    text = bad.read_text().replace("kind: oauth_app", "kind: oauth-app", 1)
    bad.write_text(text)
    result = nhigraph("--db", str(db), "ingest", str(bad))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"nhigraph: error: {bad}: /integrations/")
    assert lines[0].endswith(
        "field 'kind': Input should be 'oauth_app', 'service_account', 'api_client', 'bot', "
        "'webhook' or 'app_installation'"
    )
    assert "Traceback" not in result.stderr
    assert db.read_bytes() == before


def test_one_bad_file_among_several_writes_none_of_them(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    bad = tmp_path / "bad.csv"
    bad.write_text("integration,owner_team,vendor\n")
    result = nhigraph("--db", str(db), "ingest", *DEMO, str(bad))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"nhigraph: error: {bad}: line 1 (header) field 'purpose': required column is missing"
    )
    stats = json.loads(nhigraph("--db", str(db), "stats", "--json").stdout)
    assert stats == {"nodes": {}, "relationships": {}, "incomplete_runs": []}


def test_export_writes_every_node_and_relationship(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    nhigraph("--db", db, "ingest", *DEMO)
    result = nhigraph("--db", db, "export", "--format", "json")
    assert result.returncode == 0, result.stderr
    exported = json.loads(result.stdout)
    nodes, rels = expected_counts()
    assert Counter(n["label"] for n in exported["nodes"]) == nodes
    assert Counter(r["type"] for r in exported["relationships"]) == rels
    ids = [n["id"] for n in exported["nodes"]]
    assert ids == sorted(ids)
    assert nhigraph("--db", db, "export", "--format", "csv").stderr.strip() == (
        "nhigraph: error: export format 'csv' is not supported (use json)"
    )


def test_generate_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    a, b, c = (tmp_path / f"{n}.json" for n in "abc")
    for path, seed in ((a, "7"), (b, "7"), (c, "8")):
        result = nhigraph("generate", "--integrations", "300", "--seed", seed, "-o", str(path))
        assert result.returncode == 0, result.stderr
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    ingest = nhigraph("--db", str(tmp_path / "g.db"), "ingest", "--json", str(a))
    assert ingest.returncode == 0, ingest.stderr


def test_a_store_that_is_not_a_store_is_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("not sqlite at all " * 100)
    result = nhigraph("--db", str(junk), "stats")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"nhigraph: error: {junk}: not an nhigraph store (file is not a database)"
    )


def test_an_unreachable_neo4j_is_one_line() -> None:
    result = nhigraph(
        "--store", "neo4j", "--neo4j-uri", "bolt://127.0.0.1:9", "stats",
        env={"NHIGRAPH_NEO4J_PASSWORD": "x"},
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("nhigraph: error: Neo4j at bolt://127.0.0.1:9 is not reachable")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.neo4j
def test_the_demo_through_the_cli_on_neo4j_matches_the_embedded_store(
    tmp_path: Path, neo4j_store: object
) -> None:
    env = {
        "NHIGRAPH_STORE": "neo4j",
        "NHIGRAPH_NEO4J_URI": neo4j_uri(),
        "NHIGRAPH_NEO4J_PASSWORD": neo4j_password(),
    }
    first = nhigraph("ingest", "--json", *DEMO, env=env)
    assert first.returncode == 0, first.stderr
    second = nhigraph("ingest", "--json", *DEMO, env=env)
    for summary in json.loads(second.stdout)["files"].values():
        assert summary["nodes_added"] + summary["nodes_updated"] + summary["nodes_removed"] == 0
        assert summary["rels_added"] + summary["rels_updated"] + summary["rels_removed"] == 0
    nodes, rels = expected_counts()
    stats = json.loads(nhigraph("stats", "--json", env=env).stdout)
    assert stats == {"nodes": nodes, "relationships": rels, "incomplete_runs": []}
    db = str(tmp_path / "demo.db")
    nhigraph("--db", db, "ingest", *DEMO)
    drop = {"first_seen", "last_seen", "sync_run"}

    def domain(text: str) -> dict[str, list[dict[str, object]]]:
        data = json.loads(text)
        return {k: [{p: v for p, v in r.items() if p not in drop} for r in rows]
                for k, rows in data.items()}  # fmt: skip

    assert domain(nhigraph("export", env=env).stdout) == domain(
        nhigraph("--db", db, "export").stdout
    )


def test_a_sheet_ingested_alone_keeps_its_teams_run_after_run(tmp_path: Path) -> None:
    db = str(tmp_path / "sheet.db")
    sheet = str(EXAMPLES / "owners.csv")
    runs = [
        json.loads(nhigraph("--db", db, "ingest", "--json", sheet).stdout)["files"]
        for _ in range(3)
    ]
    for later in runs[1:]:
        summary = later[sheet]
        assert summary["nodes_added"] == summary["nodes_removed"] == 0
        assert summary["rels_added"] == summary["rels_removed"] == 0
    assert runs[0][sheet]["nodes_added"] > 0


def test_blast_radius_of_the_offboarded_vendor_and_the_shared_connector(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    nhigraph("--db", db, "ingest", *DEMO)
    as_of = ("--as-of", "2026-11-29")
    result = nhigraph(
        "--db", db, "blast-radius", "--vendor", "inventory:vendor:ledgerly", *as_of, "--json"
    )
    assert result.returncode == 0, result.stderr
    radius = json.loads(result.stdout)
    assert radius["live_start"] == [
        "google_workspace:northwind:cred:ledgerly-refresh",
        "m365:northwind:cred:ledgerly-expense-secret",
    ]
    assert [(s["id"], s["access"]) for s in radius["stores"]] == [
        ("google_workspace:northwind:drive", "read"),
        ("google_workspace:northwind:drive:shared:brand-assets", "read"),
        ("google_workspace:northwind:drive:shared:contracts", "read"),
        ("google_workspace:northwind:gmail", "read"),
        ("m365:northwind:exchange:mailboxes", "read"),
        ("m365:northwind:onedrive", "write"),
        ("m365:northwind:sharepoint:finance", "write"),
        ("m365:northwind:sharepoint:intranet", "write"),
    ]
    assert radius["score"] == 61
    by_name = nhigraph("--db", db, "blast-radius", "--vendor", "Ledgerly", *as_of, "--json")
    assert json.loads(by_name.stdout) == radius
    tree = nhigraph("--db", db, "blast-radius", "--vendor", "ledgerly", *as_of, env=NARROW)
    assert tree.returncode == 0, tree.stderr
    assert lines(tree.stdout)[:6] == [
        "blast radius of Ledgerly (vendor): score 61",
        "2 start credentials, 2 live as of 2026-11-29T00:00:00Z; max chain 3",
        "reaches 8 data stores in 2 tenants (2 restricted, 4 confidential, 2 internal)",
        "access   class          depth   data store               tenant",
        "─" * 80,
        "write    restricted         0   SharePoint site          Northwind m365",
    ]
    # Each witness path once, not once per store it reaches.
    shown = lines(tree.stdout)
    assert shown[shown.index("how (each path once):") :] == [
        "how (each path once):",
        "  Ledgerly Expense Sync client secret via Files.ReadWrite.All",
        "    reaches SharePoint site Finance, OneDrive for Business, SharePoint site",
        "    Intranet",
        "  Ledgerly Receipt Importer (Google) oauth refresh token via drive.readonly",
        "    reaches Shared drive Contracts, Google Drive (My Drives), Shared drive Brand",
        "    Assets",
        "  Ledgerly Expense Sync client secret via Mail.Read",
        "    reaches Exchange Online mailboxes",
        "  Ledgerly Receipt Importer (Google) oauth refresh token via gmail.readonly",
        "    reaches Gmail",
    ]
    assert max(len(line) for line in lines(tree.stdout)) <= 80
    shared = nhigraph("--db", db, "shared-connectors", *as_of, "--json")
    connectors = {c["integration"]: c for c in json.loads(shared.stdout)}
    syncbridge = connectors["salesforce:northwind:connected-app:syncbridge"]
    assert syncbridge["teams"] == [
        "inventory:team:customer-support",
        "inventory:team:marketing",
        "inventory:team:revenue-ops",
    ]
    assert [
        (e["store"], e["effective_access"], e["approved_access"]) for e in syncbridge["excess"]
    ] == [
        # Reached only through credentials lying in stores: never approved.
        ("aws:northwind-prod:s3:nw-cloudtrail", "admin", None),
        ("aws:northwind-prod:s3:nw-data-lake", "admin", None),
        ("aws:northwind-prod:s3:nw-finance-exports", "admin", None),
        ("aws:northwind-prod:s3:nw-web-assets", "admin", None),
        ("aws:northwind-prod:secretsmanager", "admin", None),
        ("github:northwind:actions-secrets", "admin", None),
        ("github:northwind:packages", "admin", None),
        ("github:northwind:repo:data-pipelines", "admin", None),
        ("github:northwind:repo:docs-site", "admin", None),
        ("github:northwind:repo:platform-infra", "admin", None),
        ("github:northwind:repo:web-app", "admin", None),
        # Reached directly, with more than was approved, or never approved.
        ("salesforce:northwind:object:Account", "admin", "write"),
        ("salesforce:northwind:object:Case", "admin", "write"),
        ("salesforce:northwind:object:Contact", "admin", "write"),
        ("salesforce:northwind:object:Opportunity", "admin", "write"),
        ("slack:northwind:files", "read", None),
        ("slack:northwind:messages:private", "read", None),
        ("snowflake:northwind:db:ANALYTICS", "write", None),
        ("snowflake:northwind:db:FINANCE", "write", None),
        ("snowflake:northwind:db:RAW", "read", None),
    ]
    depth = {s["id"]: s["depth"] for s in syncbridge["effective"]["stores"]}
    assert depth["salesforce:northwind:object:Case"] == 0
    assert depth["snowflake:northwind:db:ANALYTICS"] == 2
    assert depth["aws:northwind-prod:secretsmanager"] == 3


def test_blast_radius_errors_are_one_line(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    nhigraph("--db", db, "ingest", *DEMO)
    unknown = nhigraph("--db", db, "blast-radius", "--integration", "nope:1")
    assert unknown.stderr.strip() == (
        "nhigraph: error: no integration is called 'nope:1' (nhigraph search lists names)"
    )
    typo = nhigraph("--db", db, "blast-radius", "--integration", "SyncBrige")
    assert typo.stderr.strip() == (
        "nhigraph: error: no integration is called 'SyncBrige'; did you mean 'SyncBridge "
        "CRM-Slack Connector' (salesforce:northwind:connected-app:syncbridge)? (nhigraph "
        "search lists names)"
    )
    bad_time = nhigraph(
        "--db", db, "blast-radius", "--team", "inventory:team:platform", "--as-of", "soon"
    )
    assert bad_time.stderr.strip() == (
        "nhigraph: error: --as-of 'soon': expected an ISO 8601 date or time with a zone, "
        "e.g. 2026-08-12 or 2026-08-12T09:00:00Z"
    )
    assert nhigraph("--db", db, "blast-radius").stderr.strip() == (
        "nhigraph: error: name a start: --integration, --vendor, --credential or --team"
    )
