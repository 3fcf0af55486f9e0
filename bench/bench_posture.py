"""Posture build benchmark: the stored posture against the all-integration radius loop.

    .venv/bin/python bench/bench_posture.py [--integrations 1000 4000 50000] [--seed 1]
        [--neo4j bolt://127.0.0.1:7687 --password nhigraph-test] [--json]

For each size, a generated estate (``nhigraph generate --seed``) is ingested into an
embedded store file (kept under ``bench/.estates`` and reused while it exists). Each
measure runs in a fresh Python process, so its peak RSS is its own:

- ``radius loop`` (the baseline, same run): one ``blast_radius`` per integration,
  the way findings were computed before posture was stored, answers discarded;
- ``in-memory posture``: ``graph.posture.assess_posture``, everything in memory, nothing stored;
- ``build`` and ``save``: ``posture.build.build_posture`` then ``Store.save_posture``
  (what ``nhigraph posture build`` does);
- ``read page``: one page of 50 findings and 50 risks from the stored posture.

With ``--neo4j`` the same estate is also written to that server (cleared first) and
built there. Results print as a table (or JSON); copy them to docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ESTATES = ROOT / "bench" / ".estates"
AS_OF = "2026-12-06T00:00:00Z"

MEASURE = textwrap.dedent(
    """
    import json, resource, sys, time
    from nhigraph.graph.embedded import EmbeddedStore
    from nhigraph.graph.neo4j_store import Neo4jStore
    from nhigraph.graph.policy import default_policy
    what, where, as_of = sys.argv[1], sys.argv[2], sys.argv[3]
    policy = default_policy()
    t0 = time.perf_counter()
    if where.startswith("bolt://") or where.startswith("neo4j://"):
        store = Neo4jStore(where, "neo4j", sys.argv[4], batch_rows=5000)
    else:
        store = EmbeddedStore(where)
    opened = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = {}
    if what == "loop":
        from nhigraph.graph.blast import blast_radius
        for node in store.nodes_of("Integration"):
            credentials = [c for c, _ in store.neighbours("HAS_CREDENTIAL", "out", [node.id]).get(node.id, [])]
            blast_radius(store, credentials, as_of, policy.blast, 3)
    elif what == "old":
        from nhigraph.posture.assess import assess_posture
        out["findings"] = len(assess_posture(store, policy, as_of).findings)
    elif what == "build":
        from nhigraph.posture.build import build_posture
        rows = build_posture(store, policy, as_of)
        built = time.perf_counter() - t0
        t0 = time.perf_counter()
        store.save_posture(rows, as_of)
        out.update(build_s=built, findings=len(rows.findings), reach_rows=len(rows.reach))
    elif what == "page":
        from nhigraph.graph.store import FindingQuery
        t0 = time.perf_counter()
        for _ in range(20):
            store.posture_findings(FindingQuery(first=50))
            store.posture_integrations("risk", 50)
        out["per_request_ms"] = (time.perf_counter() - t0) / 20 * 1000
    out.update(seconds=time.perf_counter() - t0, open_s=opened,
               peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out))
    """
)


def run(what: str, where: str, password: str = "") -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, what, where, AS_OF, password],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def estate(integrations: int, seed: int) -> Path:
    ESTATES.mkdir(parents=True, exist_ok=True)
    db = ESTATES / f"e{integrations}-s{seed}.db"
    if not db.exists():
        source = ESTATES / f"e{integrations}-s{seed}.json"
        nhigraph = [sys.executable, "-m", "nhigraph"]
        subprocess.run([*nhigraph, "generate", "--integrations", str(integrations),
                        "--seed", str(seed), "-o", str(source)], check=True, cwd=ROOT)  # fmt: skip
        subprocess.run([*nhigraph, "--db", str(db), "ingest", "--json", str(source)],
                       check=True, cwd=ROOT, capture_output=True)  # fmt: skip
    return db


def to_neo4j(db: Path, uri: str, password: str) -> None:
    """Copy the embedded estate into the Neo4j server (cleared first)."""
    code = textwrap.dedent(
        """
        import sys
        from nhigraph.graph.embedded import EmbeddedStore
        from nhigraph.graph.neo4j_store import Neo4jStore
        from nhigraph.graph.store import Batch, NodeRow, RelRow, StoredNode, SyncRun
        from nhigraph.ingest.sync import write_batches
        source = EmbeddedStore(sys.argv[1])
        target = Neo4jStore(sys.argv[2], "neo4j", sys.argv[3])
        target.clear()
        book = {"source", "sync_tenant", "sync_run", "sync_origin", "first_seen", "last_seen"}
        nodes, rels = [], []
        for item in source.export():
            props = {k: v for k, v in item.props.items() if k not in book and not k.startswith("patch_")}
            if isinstance(item, StoredNode):
                nodes.append(NodeRow(item.label, item.id, props))
            else:
                rels.append(RelRow(item.type, item.start, item.end, props))
        write_batches(target, [("estate", Batch("bench", "estate", nodes, rels))], max_records=20000)
        """
    )
    subprocess.run([sys.executable, "-c", code, str(db), uri, password], check=True, cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, nargs="+", default=[1000, 4000, 50000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--neo4j", help="also measure on this Neo4j server (it is cleared)")
    parser.add_argument("--password", default="nhigraph-test")
    parser.add_argument("--skip-old", action="store_true", help="skip the in-memory posture")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    for n in args.integrations:
        db = estate(n, args.seed)
        row: dict[str, Any] = {"integrations": n, "store": "embedded"}
        row["loop"] = run("loop", str(db))
        if not args.skip_old:
            row["old"] = run("old", str(db))
        row["build"] = run("build", str(db))
        row["page"] = run("page", str(db))
        results.append(row)
        if args.neo4j:
            to_neo4j(db, args.neo4j, args.password)
            neo = {"integrations": n, "store": "neo4j"}
            neo["loop"] = run("loop", args.neo4j, args.password)
            neo["build"] = run("build", args.neo4j, args.password)
            neo["page"] = run("page", args.neo4j, args.password)
            results.append(neo)
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print(
        "| integrations | store | radius loop (baseline) | in-memory posture (no store) | build | save | peak RSS build | page of 50 |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        old = r.get("old")
        old_text = f"{old['seconds']:.1f} s, {old['peak_mb']:.0f} MB" if old else "-"
        b = r["build"]
        print(f"| {r['integrations']:,} | {r['store']} | {r['loop']['seconds']:.1f} s | {old_text} | "
              f"{b['build_s']:.1f} s | {b['seconds']:.1f} s | {b['peak_mb']:.0f} MB | "
              f"{r['page']['per_request_ms']:.1f} ms |")  # fmt: skip


if __name__ == "__main__":
    main()
