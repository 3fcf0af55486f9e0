"""The decision commands through real processes, on both stores, with the demo's documented
results: findings, risk, the review queue, recording a review, the offboarded vendor's
compromise plan, lookup (a secret only through stdin) and what-if, and the report."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import neo4j_password, neo4j_uri
from tests.test_cli import DEMO, nhigraph

AT = ["--as-of", "2026-11-20"]


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if request.param == "embedded":
        chosen = {"NHIGRAPH_DB": str(tmp_path / "demo.db")}
    else:
        request.getfixturevalue("neo4j_store")  # a clean server
        chosen = {"NHIGRAPH_STORE": "neo4j", "NHIGRAPH_NEO4J_URI": neo4j_uri(),
                  "NHIGRAPH_NEO4J_PASSWORD": neo4j_password()}  # fmt: skip
    chosen["NHIGRAPH_FINGERPRINT_KEY"] = "cli-posture-fingerprint-key-0123456789"
    ingest = nhigraph("ingest", *DEMO, env=chosen)
    assert ingest.returncode == 0, ingest.stderr
    return chosen


def run_json(env: dict[str, str], *args: str) -> dict[str, object] | list[object]:
    result = nhigraph(*args, "--json", env=env)
    assert result.returncode == 0, result.stderr
    data: dict[str, object] | list[object] = json.loads(result.stdout)
    return data


def test_findings_risk_and_the_review_queue(env: dict[str, str]) -> None:
    found = run_json(env, "findings", *AT)
    assert isinstance(found, dict)
    rules = Counter(f["rule"] for f in found["findings"])  # type: ignore[attr-defined, index]
    assert sum(rules.values()) == 129
    assert rules["NHI-VEN-001"] == 2 and rules["NHI-OWN-001"] == 2 and rules["NHI-APPR-001"] == 15
    risk = run_json(env, "risk", *AT, "--top", "3")
    assert isinstance(risk, dict)
    assert [(r["integration"], r["risk"], r["tier"]) for r in risk["risks"]] == [  # type: ignore[attr-defined, index]
        ("salesforce:northwind:connected-app:syncbridge", 437.0, "critical"),
        ("salesforce:northwind:connected-app:data-loader-legacy", 431.0, "critical"),
        ("github:northwind:pat:terraform-github", 344.0, "critical"),
    ]
    queue = run_json(env, "reviews", *AT, "--top", "3")
    assert isinstance(queue, dict)
    assert [(e["integration"], e["overdue_days"]) for e in queue["queue"]] == [  # type: ignore[attr-defined, index]
        ("m365:northwind:sp:meetsmart-exec-assistant", 123),
        ("google_workspace:northwind:app:ledgerly-receipts", 111),
        ("m365:northwind:sp:ledgerly-expense-sync", 111),
    ]
    recorded = nhigraph("review", "m365:northwind:sp:meetsmart-exec-assistant", "--decision",
                        "revoke", "--reviewer", "Dana (security)", env=env)  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr
    after = run_json(env, "reviews", "--as-of", "2030-01-01", "--top", "200")
    assert isinstance(after, dict)
    mine = next(e for e in after["queue"]  # type: ignore[attr-defined]
                if e["integration"] == "m365:northwind:sp:meetsmart-exec-assistant")  # fmt: skip
    assert mine["last_review"]["decision"] == "revoke"
    assert mine["last_review"]["reviewer"] == "Dana (security)"


def test_the_offboarded_vendors_plan_lookup_and_what_if(env: dict[str, str]) -> None:
    plan = run_json(env, "impact", "--vendor", "inventory:vendor:ledgerly", *AT)
    assert isinstance(plan, dict)
    assert [(s["order"], s["credential"], s["tenant"], s["why"]) for s in plan["plan"]] == [  # type: ignore[attr-defined, index]
        (1, "m365:northwind:cred:ledgerly-expense-secret", "m365:northwind", "start"),
        (2, "google_workspace:northwind:cred:ledgerly-refresh", "google_workspace:northwind",
         "start"),
    ]  # fmt: skip
    assert plan["radius"]["score"] == 61.0  # type: ignore[index, call-overload]
    assert [t["team"] for t in plan["teams"]] == ["inventory:team:finance"]  # type: ignore[attr-defined, index]
    assert plan["stores_to_check"][0]["store"] == "m365:northwind:sharepoint:finance"  # type: ignore[index]
    suffix = run_json(env, "lookup", "--identifier", "…Qk7v2mXp")
    assert [(m["credential"], m["how"]) for m in suffix] == [  # type: ignore[index]
        ("m365:northwind:cred:ledgerly-expense-secret", "suffix")
    ]
    secret = "ghp_" + "L3akedT0kenL3akedT0kenL3akedT0kenAbcd"
    pasted = subprocess.run(
        [sys.executable, "-m", "nhigraph", "lookup", "--secret-stdin", "--json"],
        input=secret, capture_output=True, text=True, check=False,
        env={**__import__("os").environ, **env},
    )  # fmt: skip
    assert pasted.returncode == 0, pasted.stderr
    assert json.loads(pasted.stdout) == [] and secret not in pasted.stdout + pasted.stderr
    change = run_json(env, "what-if", "--revoke", "salesforce:northwind:cred:syncbridge-refresh",
                      *AT)  # fmt: skip
    assert isinstance(change, dict)
    assert (change["exposure_before"], change["exposure_after"]) == (341.0, 14.0)
    assert [b["integration"] for b in change["breaks"]] == [  # type: ignore[attr-defined, index]
        "salesforce:northwind:connected-app:syncbridge"
    ]


def test_the_report_is_written_in_three_forms(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = nhigraph("report", "-o", str(out), "--vendor", "inventory:vendor:ledgerly", *AT,
                      env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["findings.csv", "report.html", "report.json"]
    data = json.loads((out / "report.json").read_text())
    assert data["summary"]["findings"] == 129 and len(data["findings"]) == 129
    assert data["radius"]["score"] == 61.0
    assert (out / "findings.csv").read_text().count("\n") == 130  # header and one line each
    html = (out / "report.html").read_text()
    assert '<table id="findings">' in html and '<svg id="blast-radius"' in html
