"""The command line for a newcomer: names instead of ids, search, an empty or missing store,
data that is never markup, --json everywhere and --version. Real processes, exact output."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import EXAMPLES
from tests.test_cli import DEMO, NARROW, lines, nhigraph


def demo(tmp_path: Path) -> str:
    db = str(tmp_path / "demo.db")
    assert nhigraph("--db", db, "ingest", *DEMO).returncode == 0
    return db


def test_search_finds_nodes_by_name_id_client_id_and_key_tail(tmp_path: Path) -> None:
    db = demo(tmp_path)
    found = json.loads(nhigraph("--db", db, "search", "Qk7v2mXp", "--json").stdout)
    assert found == [
        {
            "id": "m365:northwind:cred:ledgerly-expense-secret",
            "kind": "credential",
            "name": "Ledgerly Expense Sync client secret",
            "summary": "client secret, active, client 6b1f0a2e-4c3d-4e8b-9a71-2d5c8e3f9b10, "
            "secret …Qk7v2mXp",
            "matched": "identifier (part)",
        }
    ]
    keys = json.loads(nhigraph("--db", db, "search", "akia", "--json").stdout)
    assert [h["kind"] for h in keys] == ["credential"] * len(keys) and len(keys) == 5
    vendor = nhigraph("--db", db, "search", "Ledgerly", env=NARROW)
    assert lines(vendor.stdout)[:9] == [
        "5 matches for 'Ledgerly'",
        "kind          name, summary and id",
        "─" * 80,
        "vendor        Ledgerly",
        "              vendor, offboarded",
        "              inventory:vendor:ledgerly",
        "integration   Ledgerly Expense Sync",
        "              oauth app, enabled",
        "              m365:northwind:sp:ledgerly-expense-sync",
    ]


def test_names_are_accepted_ambiguous_ones_list_candidates(tmp_path: Path) -> None:
    db = demo(tmp_path)
    at = ("--as-of", "2026-11-20")
    by_id = nhigraph("--db", db, "impact", "--vendor", "inventory:vendor:ledgerly", *at, "--json")
    by_name = nhigraph("--db", db, "impact", "--vendor", "Ledgerly", *at, "--json")
    assert by_name.returncode == 0, by_name.stderr
    assert json.loads(by_name.stdout) == json.loads(by_id.stdout)
    team = nhigraph("--db", db, "blast-radius", "--team", "finance", *at, "--json")
    assert json.loads(team.stdout)["ids"] == ["inventory:team:finance"]
    ambiguous = nhigraph("--db", db, "blast-radius", "--integration", "Ledgerly", *at)
    assert ambiguous.returncode == 1
    assert ambiguous.stderr.strip() == (
        "nhigraph: error: integration 'Ledgerly' is ambiguous: Ledgerly Expense Sync "
        "(m365:northwind:sp:ledgerly-expense-sync); Ledgerly Receipt Importer (Google) "
        "(google_workspace:northwind:app:ledgerly-receipts)"
    )
    what_if = nhigraph("--db", db, "what-if", "--revoke", "Ledgerly", *at, "--json")
    assert json.loads(what_if.stdout)["revoke_credentials"] == [
        "google_workspace:northwind:cred:ledgerly-refresh",
        "m365:northwind:cred:ledgerly-expense-secret",
    ]


def test_a_read_of_a_missing_or_empty_store_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.db"
    result = nhigraph("--db", str(missing), "findings")
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr.strip() == (
        f"nhigraph: error: there is no store at {missing}: ingest something first "
        "(nhigraph ingest FILE), or name the store with --db or NHIGRAPH_DB"
    )
    assert not missing.exists()
    empty = tmp_path / "empty.db"
    bad = tmp_path / "bad.csv"
    bad.write_text("integration,owner_team,vendor\n")
    assert nhigraph("--db", str(empty), "ingest", str(bad)).returncode == 1
    for command in (["findings"], ["blast-radius", "--vendor", "x"], ["search", "x"]):
        result = nhigraph("--db", str(empty), *command)
        assert result.returncode == 3, command
        assert result.stderr.strip() == (
            f"nhigraph: error: the embedded store {empty} is empty: ingest something first "
            "(nhigraph ingest FILE)"
        )


def test_data_is_never_markup_or_emoji(tmp_path: Path) -> None:
    text = (EXAMPLES / "demo-estate.yaml").read_text()
    text = text.replace("snowflake:northwind:db:ANALYTICS", "store:snowflake:analytics")
    text = text.replace("name: Finance\n", "name: '[bold]Finance[/bold] :fire:'\n")
    inventory = tmp_path / "estate.yaml"
    inventory.write_text(text)
    db = str(tmp_path / "x.db")
    assert nhigraph("--db", db, "ingest", str(inventory)).returncode == 0
    at = ("--as-of", "2026-11-29", "--all")
    radius = nhigraph("--db", db, "blast-radius", "--integration", "SyncBridge CRM-Slack", *at)
    assert radius.returncode == 0, radius.stderr
    search = nhigraph("--db", db, "search", "store:snowflake")
    assert "store:snowflake:analytics" in search.stdout and "❄" not in search.stdout
    impact = nhigraph("--db", db, "impact", "--team", "[bold]Finance[/bold] :fire:", *at)
    assert impact.returncode == 0, impact.stderr
    assert lines(impact.stdout)[0] == "compromise of [bold]Finance[/bold] :fire: (team)"
    assert "🔥" not in impact.stdout


def test_every_command_has_json_and_there_is_a_version(tmp_path: Path) -> None:
    version = nhigraph("--version")
    assert (version.returncode, version.stdout) == (0, "nhigraph 0.1.0\n")
    db = demo(tmp_path)
    review = nhigraph("--db", db, "review", "MeetSmart Executive Assistant", "--decision",
                      "keep", "--reviewer", "alice", "--json")  # fmt: skip
    assert review.returncode == 0, review.stderr
    recorded = json.loads(review.stdout)
    assert (recorded["integration"], recorded["decision"], recorded["reviewer"]) == (
        "m365:northwind:sp:meetsmart-exec-assistant", "keep", "alice")  # fmt: skip
    report = nhigraph("--db", db, "report", "-o", str(tmp_path / "r"), "--json")
    assert json.loads(report.stdout)["files"] == [
        str(tmp_path / "r" / name) for name in ("report.json", "findings.csv", "report.html")
    ]
    generated = nhigraph("generate", "--integrations", "5", "-o", str(tmp_path / "e.json"),
                         "--json")  # fmt: skip
    assert json.loads(generated.stdout) == {
        "output": str(tmp_path / "e.json"),
        "integrations": 5,
        "seed": 1,
        "chaining": 0.015,
    }
    keys = {"NHIGRAPH_API_KEYS_FILE": str(tmp_path / "keys.json")}
    created = json.loads(nhigraph("api-key", "create", "--name", "ci", "--json", env=keys).stdout)
    revoked = nhigraph("api-key", "revoke", created["id"], "--json", env=keys)
    assert json.loads(revoked.stdout)["id"] == created["id"]
    assert json.loads(revoked.stdout)["revoked_at"]


def test_long_commands_show_progress_on_a_terminal_only(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    db = demo(tmp_path)
    piped = nhigraph("--db", db, "findings", "--as-of", "2026-11-20")
    assert piped.returncode == 0 and piped.stderr == ""
    primary, secondary = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "nhigraph", "--db", db, "findings", "--as-of", "2026-11-20"],
        stdout=subprocess.DEVNULL,
        stderr=secondary,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "80"},
        check=False,
    )
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(primary)
    assert done.returncode == 0
    assert b"assessing every integration (findings, risk, reviews)" in shown
