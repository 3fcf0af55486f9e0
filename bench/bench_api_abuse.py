"""Abusive-request benchmark (issue #11, row 1): how long a fragment bomb takes to be
refused, and what it does to a /healthz probe sent meanwhile.

    .venv/bin/python bench/bench_api_abuse.py [--bombs 40] [--json]

- the limit check alone, in this process, on the review's bomb (fragments F1..F21,
  each spreading the next twice: 2^20 leaves expanded) and on the deepest one 2,000
  tokens allow (190 levels): median and max ms over repeated runs (no cache: the query
  text changes each run);
- over HTTP against ``nhigraph serve`` (a separate process, empty embedded store, a
  reader key): ``--bombs`` bombs sent back to back by one client while another client
  probes /healthz every 20 ms; the bombs' refusal time and the probes' latency, against
  the probes' latency with no bombs (the same run's baseline).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_api import NHIGRAPH, free_port, run, start_server, stop_server  # noqa: E402
from nhigraph.api import limits as query_limits  # noqa: E402


def bomb(levels: int, salt: int = 0) -> str:
    spreads = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(1, levels)
    )
    return (
        f"query Q{salt} {{ ...F1 }} {spreads} fragment F{levels} on Query {{ viewer {{ role }} }}"
    )


def ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered) * 1000, 2),
        "p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
        "max": round(ordered[-1] * 1000, 2),
    }


def check_times(levels: int, runs: int) -> dict[str, float]:
    limits = query_limits.Limits()
    took = []
    for n in range(runs):
        query = bomb(levels, n)
        started = time.perf_counter()
        try:
            query_limits.check(query, None, limits)
        except query_limits.QueryRefused as exc:
            assert exc.code == "QUERY_TOO_COSTLY", exc.code
        else:
            raise AssertionError("the bomb was not refused")
        took.append(time.perf_counter() - started)
    return ms(took)


def probe_healthz(url: str, stop: threading.Event, out: list[float]) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        while not stop.is_set():
            started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            out.append(time.perf_counter() - started)
            time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bombs", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    results: dict[str, Any] = {
        "check_21_levels_ms": check_times(21, 50),
        "check_190_levels_ms": check_times(190, 20),
        "bomb_bytes": len(json.dumps({"query": bomb(21)})),
    }
    work = Path(tempfile.mkdtemp(prefix="bench-abuse-"))
    env = {**os.environ, "NHIGRAPH_STORE": "embedded", "NHIGRAPH_DB": str(work / "empty.db"),
           "NHIGRAPH_API_KEYS_FILE": str(work / "keys.json")}  # fmt: skip
    key = json.loads(run([str(NHIGRAPH), "api-key", "create", "--name", "bench",
                          "--role", "reader", "--json"], env))["key"]  # fmt: skip
    port = free_port()
    server = start_server(port, env, work / "serve.log")
    url = f"http://127.0.0.1:{port}"
    try:
        quiet: list[float] = []
        stop = threading.Event()
        prober = threading.Thread(target=probe_healthz, args=(url, stop, quiet))
        prober.start()
        time.sleep(3)
        stop.set()
        prober.join()

        busy: list[float] = []
        refusals: list[float] = []
        stop = threading.Event()
        prober = threading.Thread(target=probe_healthz, args=(url, stop, busy))
        prober.start()
        with httpx.Client(base_url=url, timeout=60) as client:
            for n in range(args.bombs):
                started = time.perf_counter()
                answer = client.post("/graphql", json={"query": bomb(21, n)},
                                     headers={"Authorization": f"Bearer {key}"})  # fmt: skip
                refusals.append(time.perf_counter() - started)
                code = answer.json()["errors"][0]["extensions"]["code"]
                assert code == "QUERY_TOO_COSTLY", answer.text
        stop.set()
        prober.join()
    finally:
        stop_server(server)
    results.update(
        bombs=args.bombs,
        bomb_refusal_http_ms=ms(refusals),
        healthz_alone_ms=ms(quiet),
        healthz_during_bombs_ms=ms(busy),
        healthz_samples=(len(quiet), len(busy)),
    )
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print(f"the review's bomb: 21 levels, {results['bomb_bytes']} bytes of JSON")
    print(f"limit check alone, 21 levels:  {results['check_21_levels_ms']}")
    print(f"limit check alone, 190 levels: {results['check_190_levels_ms']}")
    print(f"{args.bombs} bombs over HTTP, refused in: {results['bomb_refusal_http_ms']}")
    print(f"/healthz alone (baseline):     {results['healthz_alone_ms']}")
    print(f"/healthz during the bombs:     {results['healthz_during_bombs_ms']}")


if __name__ == "__main__":
    main()
