"""The stored posture, on both stores: it equals the posture computed on demand, pages
in the store's order, keeps findings' history, says when it is stale, and is never
part of the graph (stats, export)."""

from __future__ import annotations

import json
from pathlib import Path

from nhigraph.graph.policy import default_policy
from nhigraph.graph.store import FindingQuery, Store
from nhigraph.ingest.sync import read_inventories, write_batches
from nhigraph.posture import stored
from nhigraph.posture.assess import assess_posture
from nhigraph.posture.build import build_posture

ROOT = Path(__file__).resolve().parent.parent
DEMO = [ROOT / "examples" / "demo-estate.yaml", ROOT / "examples" / "owners.csv"]
AS_OF = "2026-11-20T00:00:00Z"
POLICY = default_policy()


def demo(store: Store, paths: list[Path] = DEMO) -> None:
    write_batches(store, read_inventories(store, paths))


def save(store: Store, as_of: str = AS_OF) -> None:
    store.save_posture(build_posture(store, POLICY, as_of), as_of)


def test_the_stored_posture_equals_the_one_computed_on_demand(store: Store) -> None:
    demo(store)
    save(store)
    loaded = stored.load(store, AS_OF)
    computed = assess_posture(store, POLICY, AS_OF)
    assert [f.to_dict() for f in loaded.findings] == [f.to_dict() for f in computed.findings]
    assert [r.to_dict() for r in loaded.risks] == [r.to_dict() for r in computed.risks]
    assert [e.to_dict() for e in loaded.queue] == [e.to_dict() for e in computed.queue]
    assert len(loaded.findings) == 129


def test_pages_follow_the_stores_order_and_filters(store: Store) -> None:
    demo(store)
    save(store)
    everything = store.posture_findings(FindingQuery(first=1000))
    paged = []
    after = None
    while True:
        page = store.posture_findings(FindingQuery(first=7, after=after))
        paged += page
        if len(page) < 7:
            break
        body = json.loads(page[-1].body)
        after = (
            _rank(body["severity"]),
            body["rule"],
            body["subject"],
            body["integration"] or "",
            page[-1].id,
        )
    assert [f.id for f in paged] == [f.id for f in everything]
    assert len(everything) == 129
    high = store.posture_findings(FindingQuery(severity_ranks=(1,), rules=("NHI-APPR-001",)))
    assert {json.loads(f.body)["severity"] for f in high} == {"high"}
    assert len(high) == 15
    assert store.posture_finding_counts() == {0: 2, 1: 33, 2: 84, 3: 10}
    by_risk = [r.id for r, _ in store.posture_integrations("risk", 1000)]
    paged_risk, cursor = [], None
    while True:
        rows = store.posture_integrations("risk", 10, cursor)
        paged_risk += [r.id for r, _ in rows]
        if len(rows) < 10:
            break
        cursor = rows[-1][1]
    assert paged_risk == by_risk
    assert by_risk[:2] == [
        "salesforce:northwind:connected-app:syncbridge",
        "salesforce:northwind:connected-app:data-loader-legacy",
    ]
    reach = store.posture_reach("salesforce:northwind:connected-app:syncbridge")
    assert ("aws:northwind-prod:secretsmanager", "admin", 3) in reach
    assert ("salesforce:northwind:object:Case", "admin", 0) in reach


def _rank(severity: str) -> int:
    return ["critical", "high", "medium", "low", "info"].index(severity)


def test_findings_keep_their_history(store: Store, tmp_path: Path) -> None:
    demo(store)
    save(store, "2026-11-20T00:00:00Z")
    first = {f.id: f for f in store.posture_findings(FindingQuery(first=1000))}
    # Some time later the same graph is assessed again: nothing new, nothing resolved.
    save(store, "2026-11-21T00:00:00Z")
    again = {f.id: f for f in store.posture_findings(FindingQuery(first=1000))}
    assert again.keys() == first.keys()
    assert {f.first_seen for f in again.values()} == {"2026-11-20T00:00:00Z"}
    assert {f.last_seen for f in again.values()} == {"2026-11-21T00:00:00Z"}
    # The legacy Data Loader is retired and disabled at the source: what it caused goes.
    text = (
        DEMO[0]
        .read_text()
        .replace(
            "id: salesforce:northwind:connected-app:data-loader-legacy", "id: gone:data-loader"
        )
    )
    changed = tmp_path / "demo-estate.yaml"
    changed.write_text(text)
    write_batches(store, read_inventories(store, [changed, DEMO[1]]))
    save(store, "2026-11-22T00:00:00Z")
    resolved = store.posture_findings(FindingQuery(first=1000, resolved=True))
    assert resolved
    assert {f.resolved_at for f in resolved} == {"2026-11-22T00:00:00Z"}
    assert all(f.id in first for f in resolved)
    assert any("data-loader-legacy" in f.body for f in resolved)
    open_now = {f.id for f in store.posture_findings(FindingQuery(first=1000))}
    assert not open_now & {f.id for f in resolved}


def test_status_says_when_the_posture_is_stale(store: Store) -> None:
    assert stored.status(store, POLICY).why_stale == "no posture has been built"
    demo(store)
    status = stored.rebuild(store, POLICY)
    assert not status.stale and status.integrations == 49
    assert status.generation == store.generation()
    demo(store, [ROOT / "examples" / "owners.csv"])  # another write moves the generation
    again = stored.status(store, POLICY)
    assert again.stale
    assert again.why_stale == (
        f"the graph changed since (generation {status.generation} -> {store.generation()})"
    )
    current, rebuilt = stored.ensure(store, POLICY)
    assert rebuilt and not current.stale


def test_the_stored_posture_is_not_part_of_the_graph(store: Store) -> None:
    demo(store)
    before_stats, before_export = store.stats(), list(store.export())
    generation = store.generation()
    save(store)
    assert store.stats() == before_stats
    assert list(store.export()) == before_export
    assert store.generation() == generation


def test_the_cli_keeps_the_posture_current(tmp_path: Path) -> None:
    import json as json_module

    from tests.test_cli import nhigraph

    env = {"NHIGRAPH_DB": str(tmp_path / "p.db")}

    def status() -> dict[str, object]:
        result = nhigraph("posture", "status", "--json", env=env)
        assert result.returncode == 0, result.stderr
        parsed: dict[str, object] = json_module.loads(result.stdout)
        return parsed

    report = nhigraph("ingest", "--json", "--no-posture", *map(str, DEMO), env=env)
    assert report.returncode == 0, report.stderr
    assert json_module.loads(report.stdout)["posture"] is None
    assert status()["why_stale"] == "no posture has been built"
    built = nhigraph("posture", "build", env=env)
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("posture: 1")  # "posture: 1xx findings over 49 ..."
    assert "over 49 integrations" in built.stdout and built.stdout.rstrip().endswith("current")
    assert status()["stale"] is False
    # Another process records a review: the graph moved, the posture says so...
    review = nhigraph("review", "SyncBridge CRM-Slack Connector", "--decision", "keep",
                      "--reviewer", "ana", env=env)  # fmt: skip
    assert review.returncode == 0, review.stderr
    assert str(status()["why_stale"]).startswith("the graph changed since (generation ")
    # ...and the next read rebuilds it first: the queue knows the review.
    queue = nhigraph("reviews", "--json", "--top", "1000", env=env)
    assert queue.returncode == 0, queue.stderr
    entries = {e["integration"]: e for e in json_module.loads(queue.stdout)["queue"]}
    assert entries["salesforce:northwind:connected-app:syncbridge"]["last_review"] is not None
    assert status()["stale"] is False
    # An ingest updates it at the end by default.
    again = nhigraph("ingest", "--json", *map(str, DEMO), env=env)
    assert json_module.loads(again.stdout)["posture"]["stale"] is False
