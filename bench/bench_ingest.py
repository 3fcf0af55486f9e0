"""Ingest benchmark: each store against a raw baseline of the same rows, in the same run.

    .venv/bin/python bench/bench_ingest.py --integrations 50000 [--neo4j]

Prints a markdown table for docs/PERFORMANCE.md. The estate is generated, parsed
once, and the same batch is written by: the embedded store vs plain sqlite3
``executemany`` of the same rows into the same tables; the Neo4j store vs a raw
``UNWIND $rows CREATE`` of the same nodes and relationships on the same server.
Peak memory of the embedded store is measured in a child process that opens the
written file (resident set high-water mark), so it is the cost of the graph alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nhigraph.graph.embedded import _SCHEMA, EmbeddedStore  # noqa: E402
from nhigraph.graph.model import ENDPOINTS, RelType  # noqa: E402
from nhigraph.graph.store import Batch, SyncRun, WriteSummary, split_batch  # noqa: E402
from nhigraph.ingest import synthetic  # noqa: E402
from nhigraph.ingest.inventory import transform  # noqa: E402


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def raw_sqlite(batch: Batch, path: Path, run: SyncRun) -> None:
    """The floor: the same rows, serialised the same way, one executemany per table."""
    import sqlite3

    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(_SCHEMA)
    book = (batch.source, batch.tenant, run.id, run.at, run.at)
    dumps = json.dumps
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO node VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (n.id, n.label, dumps(n.props, sort_keys=True, separators=(",", ":")), *book)
            for n in batch.nodes
        ),
    )
    db.executemany(
        "INSERT INTO rel VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (r.start, r.type, r.end, dumps(r.props, sort_keys=True, separators=(",", ":")), *book)
            for r in batch.rels
        ),
    )
    db.execute("COMMIT")
    db.close()


def child_peak_rss(path: Path) -> int:
    """Peak RSS growth (bytes) of a fresh process while it opens the store at ``path``.

    Read from /proc (VmHWM belongs to the new address space); getrusage's maxrss would
    carry this parent's size over the fork.
    """
    code = (
        "import re, sys; sys.path.insert(0, sys.argv[2]);"
        "from nhigraph.graph.embedded import EmbeddedStore;"
        "kb = lambda k: int(re.search(k + r':\\s+(\\d+)', open('/proc/self/status').read())[1]);"
        "base = kb('VmRSS'); s = EmbeddedStore(sys.argv[1]); print(base, kb('VmHWM'))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code, str(path), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return (int(output[1]) - int(output[0])) * 1024


def bench_embedded(batch: Batch, workdir: Path) -> list[tuple[str, str]]:
    run = SyncRun.start()
    rels = len(batch.rels)
    records = len(batch.nodes) + rels
    raw_seconds, _ = timed(lambda: raw_sqlite(batch, workdir / "raw.db", run))
    store = EmbeddedStore(workdir / "store.db")
    ours_seconds, summary = timed(lambda: store.upsert(batch, run))
    assert summary.rels_added == rels, summary
    again_seconds, summary = timed(lambda: store.upsert(batch, SyncRun.start()))
    assert summary.rels_unchanged == rels, summary
    store.close()
    reopen_seconds, reopened = timed(lambda: EmbeddedStore(workdir / "store.db"))
    reopened.close()
    peak = child_peak_rss(workdir / "store.db")
    return [
        ("raw sqlite3 executemany (baseline)", f"{raw_seconds:.2f} s, {rels / raw_seconds:,.0f} rels/s"),
        ("embedded store upsert (new file)", f"{ours_seconds:.2f} s, {rels / ours_seconds:,.0f} rels/s, {records / ours_seconds:,.0f} records/s"),
        ("ratio embedded / raw rate", f"{raw_seconds / ours_seconds:.2f}"),
        ("embedded re-upsert, nothing changed", f"{again_seconds:.2f} s"),
        ("embedded reopen (load file into memory)", f"{reopen_seconds:.2f} s"),
        ("embedded peak RSS opening the store", f"{peak / 2**20:,.0f} MiB, {peak / rels:,.0f} bytes per relationship"),
    ]  # fmt: skip


TX_RECORDS = 100_000  # the default NHIGRAPH_NEO4J_TX_RECORDS: records per transaction


def upsert_in_parts(store: Any, batch: Batch) -> WriteSummary:
    """What `nhigraph ingest` does on Neo4j: the file in transactions of TX_RECORDS."""
    run, summary = SyncRun.start(), WriteSummary()
    for part in split_batch(batch, TX_RECORDS):
        summary = summary + store.upsert(part, run)
    return summary


def raw_neo4j(store: Any, whole: Batch, chunk: int) -> None:
    """The floor on Neo4j: CREATE the same nodes and relationships, no merge, no diff."""
    labels = {n.id: n.label for n in whole.nodes}
    for part in split_batch(whole, TX_RECORDS):
        raw_neo4j_part(store, part, chunk, labels)


def raw_neo4j_part(store: Any, batch: Batch, chunk: int, labels: dict[str, str]) -> None:
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for n in batch.nodes:
        by_label[n.label].append({"id": n.id, "props": dict(n.props)})
    by_type: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in batch.rels:
        by_type[(r.type, labels[r.start], labels[r.end])].append(
            {"start": r.start, "end": r.end, "props": dict(r.props)}
        )
    # The same records: domain properties plus the bookkeeping every stored record carries.
    run = SyncRun.start()
    book = {"source": batch.source, "sync_tenant": batch.tenant, "sync_run": run.id,
            "last_seen": run.at, "first_seen": run.at}  # fmt: skip
    with store._session() as session, session.begin_transaction() as tx:
        for label, rows in by_label.items():
            # Labels are from our own enum; the raw baseline is bench code, not product Cypher.
            query = (
                f"UNWIND $rows AS row CREATE (n:{label}) SET n = row.props, n.id = row.id, "
                "n += $book"
            )
            for i in range(0, len(rows), chunk):
                tx.run(query, rows=rows[i : i + chunk], book=book).consume()
        for (rel_type, a, b), rows in by_type.items():
            assert RelType(rel_type) in ENDPOINTS
            query = (
                f"UNWIND $rows AS row MATCH (a:{a} {{id: row.start}}) MATCH (b:{b} {{id: row.end}})"
                f" CREATE (a)-[r:{rel_type}]->(b) SET r = row.props, r += $book"
            )
            for i in range(0, len(rows), chunk):
                tx.run(query, rows=rows[i : i + chunk], book=book).consume()
        tx.commit()


def bench_neo4j(batch: Batch) -> list[tuple[str, str]]:
    from nhigraph.graph.neo4j_store import Neo4jStore

    port = os.environ.get("NHIGRAPH_NEO4J_PORT", "7687")
    password = os.environ.get("NHIGRAPH_NEO4J_PASSWORD", "nhigraph-test")
    store = Neo4jStore(f"bolt://127.0.0.1:{port}", "neo4j", password)
    rels = len(batch.rels)
    store.clear()
    raw_seconds, _ = timed(lambda: raw_neo4j(store, batch, store.batch_rows))
    store.clear()
    ours_seconds, summary = timed(lambda: upsert_in_parts(store, batch))
    assert summary.rels_added == rels, summary
    again_seconds, summary = timed(lambda: upsert_in_parts(store, batch))
    assert summary.rels_unchanged == rels, summary
    store.clear()
    store.close()
    return [
        ("Neo4j transactions", f"{TX_RECORDS:,} records each, {store.batch_rows:,} rows per UNWIND"),
        ("raw Neo4j UNWIND CREATE (baseline)", f"{raw_seconds:.2f} s, {rels / raw_seconds:,.0f} rels/s"),
        ("Neo4j store upsert (empty database)", f"{ours_seconds:.2f} s, {rels / ours_seconds:,.0f} rels/s"),
        ("ratio Neo4j store / raw rate", f"{raw_seconds / ours_seconds:.2f}"),
        ("Neo4j re-upsert, nothing changed", f"{again_seconds:.2f} s"),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--neo4j", action="store_true", help="also bench the Neo4j store")
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        gen_seconds, document = timed(lambda: synthetic.generate(args.integrations, args.seed))
        text = json.dumps(document)
        parse_seconds, batch = timed(lambda: transform(text, "estate.json"))
        rows += [
            ("estate", f"{args.integrations:,} integrations, {len(batch.nodes):,} nodes, {len(batch.rels):,} relationships"),
            ("generate", f"{gen_seconds:.2f} s"),
            ("parse + validate inventory JSON", f"{parse_seconds:.2f} s, {len(batch.rels) / parse_seconds:,.0f} rels/s"),
        ]  # fmt: skip
        rows += bench_embedded(batch, workdir)
        if args.neo4j:
            rows += bench_neo4j(batch)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, peak RSS of this run "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:,.1f} GiB")  # fmt: skip
    print("\n| measure | result |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
