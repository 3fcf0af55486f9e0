"""Blast-radius benchmark on a generated estate, with its baselines measured in the same run.

    .venv/bin/python bench/bench_blast.py --integrations 50000 [--neo4j] [--samples 100]

Reports, for integrations drawn at random (fixed seed):
- single blast radius (resolve + engine) p50/p95 on the embedded store, and on Neo4j;
- the question as a Cartography or BloodHound user writes it on the same server,
  ``MATCH (i:Integration {id:$id})-[*..8]->(d:DataStore) RETURN DISTINCT d``, and how
  often its answer differs from ours (it ignores liveness, access and time);
- a plain breadth-first search with scipy.sparse.csgraph over the same adjacency,
  the floor for any traversal in Python: our ratio to it;
- the blast radius of every integration (the input to risk ranking), embedded.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import breadth_first_order

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nhigraph.graph.blast import blast_radius, resolve_start  # noqa: E402
from nhigraph.graph.embedded import EmbeddedStore  # noqa: E402
from nhigraph.graph.policy import default_policy  # noqa: E402
from nhigraph.graph.store import Batch, SyncRun, split_batch  # noqa: E402
from nhigraph.ingest import synthetic  # noqa: E402
from nhigraph.ingest.inventory import transform  # noqa: E402

AS_OF = "2026-11-01T00:00:00Z"
POLICY = default_policy().blast
# The one-liner a Cartography or BloodHound user would write; bench code, not product Cypher.
NAIVE_SAMPLES = 20
NAIVE_TIMEOUT = 10.0
NAIVE = "MATCH (i:Integration {id: $id})-[*..8]->(d:DataStore) RETURN DISTINCT d.id AS id"


def percentiles(seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"p50 {statistics.median(ms):.2f} ms, p95 {p95:.2f} ms"


def ours(store: Any, integration: str) -> tuple[float, set[str]]:
    start = time.perf_counter()
    result = blast_radius(store, resolve_start(store, [integration]), AS_OF, POLICY)
    return time.perf_counter() - start, {s.id for s in result.stores}


def csr_floor(batch: Batch, samples: list[str]) -> list[float]:
    """BFS from each sample over every relationship (no liveness, no access): the floor."""
    index = {n.id: i for i, n in enumerate(batch.nodes)}
    rows = np.fromiter((index[r.start] for r in batch.rels), dtype=np.int32)
    cols = np.fromiter((index[r.end] for r in batch.rels), dtype=np.int32)
    size = len(index)
    graph = csr_array((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(size, size))
    times = []
    for integration in samples:
        start = time.perf_counter()
        breadth_first_order(graph, index[integration], directed=True, return_predecessors=False)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, default=50_000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chaining", type=float, default=0.015, help="stores holding credentials")
    parser.add_argument("--neo4j", action="store_true")
    parser.add_argument("--skip-all", action="store_true", help="skip the every-integration run")
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    estate = synthetic.generate(args.integrations, args.seed, args.chaining)
    batch = transform(json.dumps(estate), "e.json")
    integrations = sorted(n.id for n in batch.nodes if n.label == "Integration")
    samples = random.Random(args.seed).sample(integrations, args.samples)
    stores = sum(1 for r in batch.rels if r.type == "STORES")
    rows.append((
        "estate",
        f"{len(batch.nodes):,} nodes, {len(batch.rels):,} relationships, chaining {args.chaining:g} "
        f"({stores:,} STORES relationships)",
    ))  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        store = EmbeddedStore(Path(tmp) / "b.db")
        store.upsert(batch, SyncRun.start())
        embedded_times, embedded_answers = [], {}
        for integration in samples:
            seconds, answer = ours(store, integration)
            embedded_times.append(seconds)
            embedded_answers[integration] = answer
        rows.append(("single blast radius, embedded", percentiles(embedded_times)))
        floor = csr_floor(batch, samples)
        rows.append(("plain BFS, scipy.sparse.csgraph (floor)", percentiles(floor)))
        rows.append((
            "ratio embedded / BFS floor (p50)",
            f"{statistics.median(embedded_times) / statistics.median(floor):.1f}",
        ))  # fmt: skip
        if not args.skip_all:
            start = time.perf_counter()
            for integration in integrations:
                ours(store, integration)
            total = time.perf_counter() - start
            rows.append((
                "blast radius of every integration, embedded",
                f"{total:.1f} s for {len(integrations):,} ({total / len(integrations) * 1000:.2f} ms each)",
            ))  # fmt: skip
        store.close()
    if args.neo4j:
        rows += bench_neo4j(batch, samples, embedded_answers, embedded_times)
    print("\n| measure | result |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


def bench_neo4j(
    batch: Batch,
    samples: list[str],
    embedded_answers: dict[str, set[str]],
    embedded_times: list[float],
) -> list[tuple[str, str]]:
    from neo4j.exceptions import ClientError

    from nhigraph.graph.neo4j_store import Neo4jStore

    port = os.environ.get("NHIGRAPH_NEO4J_PORT", "7687")
    password = os.environ.get("NHIGRAPH_NEO4J_PASSWORD", "nhigraph-test")
    store = Neo4jStore(f"bolt://127.0.0.1:{port}", "neo4j", password)
    store.clear()
    run = SyncRun.start()
    for part in split_batch(batch, 100_000):  # as `nhigraph ingest` writes to Neo4j
        store.upsert(part, run)
    times, differ = [], 0
    for integration in samples:
        seconds, answer = ours(store, integration)
        times.append(seconds)
        differ += answer != embedded_answers[integration]
    naive_times: list[float] = []
    naive_differ = timeouts = 0
    naive_samples = samples[:NAIVE_SAMPLES]
    with store._driver.session(database=store.database) as session:
        for integration in naive_samples:
            start = time.perf_counter()
            try:
                tx = session.begin_transaction(timeout=NAIVE_TIMEOUT)
                answer = {r["id"] for r in tx.run(NAIVE, id=integration)}
                tx.close()
            except ClientError:
                timeouts += 1
                naive_times.append(NAIVE_TIMEOUT)
                continue
            naive_times.append(time.perf_counter() - start)
            naive_differ += answer != embedded_answers[integration]
    store.clear()
    store.close()
    naive_p50 = statistics.median(naive_times)
    ours_p50 = statistics.median(times[: len(naive_samples)])
    return [
        ("single blast radius, Neo4j", percentiles(times)),
        ("Neo4j answers differing from embedded", f"{differ} of {len(samples)}"),
        (f"naive `-[*..8]->` query, same server, first {len(naive_samples)} samples",
         f"{percentiles(naive_times)}, {timeouts} timed out at {NAIVE_TIMEOUT:.0f} s (counted as {NAIVE_TIMEOUT:.0f} s)"),
        ("ratio naive / ours on Neo4j (p50, same samples)", f"{naive_p50 / ours_p50:.1f}"),
        ("naive answers differing from ours", f"{naive_differ} of {len(naive_samples) - timeouts} that finished"),
    ]  # fmt: skip


if __name__ == "__main__":
    main()
