"""The embedded store's journal mode: WAL against SQLite's default rollback journal.

    .venv/bin/python bench/bench_embedded_journal.py --integrations 5000

For each mode, on a fresh file: the time of one ingest of a generated estate (one
upsert, one cleanup, the run records) while another process reads the file the way
an API replica's store does (one indexed node read, then the Integration label
scan, over and over), the readers' worst and 99th-percentile latency during it and
how many reads failed; then 200 one-review writes (a commit each, as recordReview
does). Prints a markdown table for docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nhigraph.graph.embedded import _SCHEMA, SCHEMA_VERSION, EmbeddedStore  # noqa: E402
from nhigraph.ingest import synthetic  # noqa: E402
from nhigraph.ingest.inventory import transform  # noqa: E402
from nhigraph.ingest.sync import write_batches  # noqa: E402
from nhigraph.posture.reviews import record_review  # noqa: E402


def create(path: Path, mode: str) -> None:
    """A ready file in ``mode`` (the store keeps the mode of a file it finds ready)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"PRAGMA journal_mode = {mode}")
    db.executescript(_SCHEMA)
    db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
    db.close()


def read_loop(path: str, stop: Any, out: Any) -> None:
    db = sqlite3.connect(path, isolation_level=None, timeout=30)
    latencies: list[float] = []
    failed = 0
    while not stop.is_set():
        started = time.perf_counter()
        try:
            db.execute("SELECT props FROM node WHERE id = 'nope'").fetchall()
            db.execute("SELECT id, props FROM node WHERE label = 'Integration'").fetchall()
        except sqlite3.OperationalError:
            failed += 1
        latencies.append(time.perf_counter() - started)
    out.put((latencies, failed))


def measure(mode: str, batch: Any, folder: Path) -> dict[str, Any]:
    path = folder / f"{mode}.db"
    create(path, mode)
    context = multiprocessing.get_context("spawn")
    stop, out = context.Event(), context.Queue()
    reader = context.Process(target=read_loop, args=(str(path), stop, out))
    with EmbeddedStore(path) as store:
        reader.start()
        time.sleep(1.0)  # the reader is up and reading an empty file
        started = time.perf_counter()
        write_batches(store, [("estate", batch)])
        ingest = time.perf_counter() - started
        time.sleep(0.2)
        stop.set()
        latencies, failed = out.get(timeout=60)
        reader.join(60)
        integration = store.nodes_of("Integration")[0].id
        started = time.perf_counter()
        for i in range(200):
            record_review(store, integration, "keep", "bench", f"review {i}")
        reviews = time.perf_counter() - started
        journal = store._db.execute("PRAGMA journal_mode").fetchone()[0]
    latencies.sort()
    return {
        "mode": journal,
        "ingest_s": ingest,
        "reads": len(latencies),
        "read_max_ms": latencies[-1] * 1000,
        "read_p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "read_median_ms": statistics.median(latencies) * 1000,
        "reads_failed": failed,
        "reads_slow": sum(1 for x in latencies if x > 0.05),
        "review_ms": reviews / 200 * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--integrations", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    text = json.dumps(synthetic.generate(args.integrations, args.seed))
    batch = transform(text, "estate.json")
    print(f"estate: {len(batch.nodes)} nodes, {len(batch.rels)} relationships")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for mode in ("delete", "wal"):
            rows.append(measure(mode, batch, Path(folder)))
    print("| journal | ingest (s) | reads during it | read median / p99 / max (ms) "
          "| reads over 50 ms | failed reads | one review (ms) |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['mode']} | {r['ingest_s']:.1f} | {r['reads']} | "
            f"{r['read_median_ms']:.1f} / {r['read_p99_ms']:.1f} / {r['read_max_ms']:.0f} "
            f"| {r['reads_slow']} | {r['reads_failed']} | {r['review_ms']:.2f} |"
        )


if __name__ == "__main__":
    main()
