"""GraphQL API benchmark: ``nhigraph serve`` under wrk, against the engine called directly.

    .venv/bin/python bench/bench_api.py [--integrations 50000] [--seed 7] [--json]

On a generated estate (``nhigraph generate``, ingested with ``nhigraph ingest`` into
an embedded store file, reused while its counts match), for integrations drawn at
random from it:

- the engine called directly, in this process (``resolve_start`` + ``blast_radius``
  on an ``EmbeddedStore`` opened on the same file, the default policy): p50/p99/mean;
- the same query through GraphQL in this process (the server's limit check, then
  ``schema.execute``, then JSON), no HTTP: the GraphQL share of the overhead;
- one client over HTTP (httpx, keep-alive), serially, for the same ids: the
  GraphQL+HTTP overhead ratio is its p50 (and mean) over the engine's;
- wrk (``bench/api_blast.lua``) with 32 connections for 60 s after a warm-up:
  requests/s, latency percentiles, errors (non-200, GraphQL ``errors``, socket).

The three serial measures alternate per id in one pass (after an unmeasured warm
pass), so they see the same machine; their answers are compared. The server is a
separate ``nhigraph serve`` process; wrk runs on the same machine and shares its cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nhigraph.api import limits as query_limits  # noqa: E402
from nhigraph.api.keys import ApiKey, Role  # noqa: E402
from nhigraph.api.schema import Context, build_schema  # noqa: E402
from nhigraph.graph.blast import BlastRadius, blast_radius, resolve_start  # noqa: E402
from nhigraph.graph.embedded import EmbeddedStore  # noqa: E402
from nhigraph.graph.model import format_utc  # noqa: E402
from nhigraph.graph.policy import default_policy  # noqa: E402
from nhigraph.settings import Settings  # noqa: E402

NHIGRAPH = ROOT / ".venv" / "bin" / "nhigraph"
LUA = ROOT / "bench" / "api_blast.lua"
QUERY = (
    "query($id: String!) { blastRadius(start: {integrations: [$id]}) "
    "{ score stores { dataStoreId access depth } tenants { tenantId access } } }"
)
POLICY = default_policy().blast
# wrk's summary lines worth quoting (the rest is repeated by the Lua done() line).
WRK_LINES = re.compile(
    r"^\s*(Running|\d+ threads|Thread Stats|Latency|Req/Sec|\s*\d+%|\d+ requests|Socket errors|Non-2xx|Requests/sec|Transfer/sec)"
)


# --------------------------------------------------------------------------- the estate


def run(cmd: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def db_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        nodes = conn.execute("SELECT count(*) FROM node").fetchone()[0]
        rels = conn.execute("SELECT count(*) FROM rel").fetchone()[0]
        integrations = conn.execute(
            "SELECT count(*) FROM node WHERE label = 'Integration'"
        ).fetchone()[0]
    return {"nodes": nodes, "relationships": rels, "integrations": integrations}


def ensure_estate(args: argparse.Namespace, env: dict[str, str]) -> tuple[dict[str, int], str]:
    """The db named by --db holding the estate of --integrations/--seed, ingested if needed.

    A stamp next to the db records what was ingested and the counts it produced; the
    db is reused while the stamp names the same estate and the db still has those counts.
    """
    stamp_path = args.db.with_name(args.db.name + ".bench.json")
    wanted = {"estate": str(args.estate), "integrations": args.integrations, "seed": args.seed}
    stamp = json.loads(stamp_path.read_text()) if stamp_path.exists() else {}
    same_estate = {k: stamp.get(k) for k in wanted} == wanted and args.estate.exists()
    if same_estate and args.db.exists() and stamp["counts"] == db_counts(args.db):
        return stamp["counts"], "reused"
    for stale in (stamp_path, args.db, args.db.with_name(args.db.name + "-journal")):
        stale.unlink(missing_ok=True)
    if not same_estate:
        run([str(NHIGRAPH), "generate", "--integrations", str(args.integrations),
             "--seed", str(args.seed), "-o", str(args.estate)], env)  # fmt: skip
    started = time.perf_counter()
    run([str(NHIGRAPH), "ingest", str(args.estate)], {**env, "NHIGRAPH_DB": str(args.db)})
    elapsed = time.perf_counter() - started
    counts = db_counts(args.db)
    if counts["integrations"] != args.integrations:
        sys.exit(f"{args.db}: {counts['integrations']} integrations, expected {args.integrations}")
    stamp_path.write_text(json.dumps({**wanted, "counts": counts}) + "\n")
    return counts, f"ingested in {elapsed:.1f} s"


def sample_ids(db: Path, count: int, seed: int) -> list[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        ids = [
            r[0]
            for r in conn.execute("SELECT id FROM node WHERE label = 'Integration' ORDER BY id")
        ]
    return random.Random(seed).sample(ids, min(count, len(ids)))


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:  # the child keeps its own handle
        server = subprocess.Popen(
            [str(NHIGRAPH), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"nhigraph serve exited with {server.returncode}:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.terminate()
    sys.exit("nhigraph serve was not ready within 300 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def machine_busy_seconds() -> float:
    """CPU seconds every process on the machine has used since boot (all cores)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def server_side_ms(log: Path, offset: int) -> list[float]:
    """The server's own time per /graphql request (its JSON access log) after ``offset``."""
    with log.open("rb") as handle:
        handle.seek(offset)
        lines = handle.read().decode(errors="replace").splitlines()
    found = []
    for line in lines:
        if line.startswith("{") and '"path": "/graphql"' in line:
            found.append(float(json.loads(line)["ms"]))
    return sorted(found)


def commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --------------------------------------------------------------------------- one request, three ways


def now() -> str:
    return format_utc(datetime.now(UTC))


def engine_call(store: EmbeddedStore, integration: str) -> BlastRadius:
    return blast_radius(store, resolve_start(store, [integration]), now(), POLICY)


def answer_of_engine(radius: BlastRadius) -> Any:
    return (
        round(radius.score, 6),
        sorted((s.id, s.access, s.depth) for s in radius.stores),
        sorted((t.id, t.access) for t in radius.tenants),
    )


def answer_of_graphql(data: Any) -> Any:
    radius = data["blastRadius"]
    return (
        round(radius["score"], 6),
        sorted((s["dataStoreId"], s["access"].lower(), s["depth"]) for s in radius["stores"]),
        sorted((t["tenantId"], t["access"].lower()) for t in radius["tenants"]),
    )


class InProcessGraphQL:
    """The server's GraphQL path without HTTP: limit check, execute, JSON."""

    def __init__(self, store: EmbeddedStore) -> None:
        settings = Settings()
        self.schema = build_schema()
        self.limits = query_limits.Limits(
            max_tokens=settings.api_max_tokens,
            max_depth=settings.api_max_depth,
            max_aliases=settings.api_max_aliases,
            max_nodes=settings.api_max_nodes,
        )
        self.store = store
        self.key = ApiKey("key_bench", "bench", Role.ANALYST, now(), "")

    async def __call__(self, integration: str) -> dict[str, Any]:
        variables = {"id": integration}
        query_limits.check(QUERY, variables, self.limits)
        result = await self.schema.execute(
            QUERY, variable_values=variables, context_value=Context(self.store, POLICY, self.key)
        )
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [e.formatted for e in result.errors]
        body: dict[str, Any] = json.loads(json.dumps(payload, separators=(",", ":")))
        return body


def http_call(client: httpx.Client, integration: str) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": QUERY, "variables": {"id": integration}})
    if response.status_code != 200:
        return {"errors": [f"HTTP {response.status_code}: {response.text[:200]}"]}
    body: dict[str, Any] = response.json()
    return body


async def serial(ids: list[str], store: EmbeddedStore, client: httpx.Client) -> dict[str, Any]:
    """One unmeasured pass, then one measured pass; per id: engine, GraphQL, HTTP.

    Runs in one event loop task, as a server request does: anyio keeps its worker
    threads for the life of the loop's root task (a loop per call would start a thread
    per call). The engine and HTTP calls block the loop; nothing else runs on it.
    """
    graphql = InProcessGraphQL(store)
    times: dict[str, list[float]] = {"engine": [], "graphql": [], "http": []}
    errors = {"graphql": 0, "http": 0}
    differ = {"graphql": 0, "http": 0}
    sizes: list[int] = []
    for measured in (False, True):
        for integration in ids:
            started = time.perf_counter()
            radius = engine_call(store, integration)
            engine_s = time.perf_counter() - started
            started = time.perf_counter()
            answers = {"graphql": await graphql(integration)}
            graphql_s = time.perf_counter() - started
            started = time.perf_counter()
            answers["http"] = http_call(client, integration)
            http_s = time.perf_counter() - started
            if not measured:
                continue
            for name, seconds in (("engine", engine_s), ("graphql", graphql_s), ("http", http_s)):
                times[name].append(seconds)
            expected = answer_of_engine(radius)
            sizes.append(len(radius.stores))
            for name, body in answers.items():
                if body.get("errors") or not body.get("data"):
                    errors[name] += 1
                elif answer_of_graphql(body["data"]) != expected:
                    differ[name] += 1
    return {"times": times, "errors": errors, "differ": differ, "stores": sizes}


# --------------------------------------------------------------------------- wrk


def wrk(
    url: str, ids_file: Path, key_file: Path, args: argparse.Namespace, duration: str
) -> dict[str, Any]:
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}", "--latency",
           "--timeout", "10s", "-s", str(LUA), url, "--", str(ids_file), str(key_file)]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = run(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(ln for ln in out.splitlines() if ln.startswith("wrk-json "))
    result: dict[str, Any] = json.loads(line.removeprefix("wrk-json "))
    result["cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    result["command"] = " ".join([*cmd[:-2], "IDS", "KEY"])
    result["summary"] = [ln.rstrip() for ln in out.splitlines() if WRK_LINES.match(ln)]
    return result


# --------------------------------------------------------------------------- report


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def nearest_rank(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def stats(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "p50": statistics.median(ordered),
        "p90": nearest_rank(ordered, 0.90),
        "p99": nearest_rank(ordered, 0.99),
        "mean": statistics.fmean(ordered),
        "max": ordered[-1],
    }


def describe(s: dict[str, float]) -> str:
    return f"p50 {ms(s['p50'])}, p90 {ms(s['p90'])}, p99 {ms(s['p99'])}, mean {ms(s['mean'])}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--estate", type=Path, default=Path("/tmp/estate.json"))
    parser.add_argument("--db", type=Path, default=Path("/tmp/bench-api.db"))
    parser.add_argument("--ids", type=int, default=5000, help="integration ids wrk draws from")
    parser.add_argument("--samples", type=int, default=1000, help="ids timed serially")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", default="60s")
    parser.add_argument("--warmup", default="10s")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install -y wrk)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHIGRAPH_")}
    env.update({"NHIGRAPH_STORE": "embedded", "NHIGRAPH_DB": str(args.db)})

    counts, how = ensure_estate(args, env)
    ids = sample_ids(args.db, args.ids, args.seed)
    samples = ids[: args.samples]
    work = Path(tempfile.mkdtemp(prefix="bench-api-"))
    try:
        env["NHIGRAPH_API_KEYS_FILE"] = str(work / "keys.json")
        key = json.loads(run([str(NHIGRAPH), "api-key", "create", "--name", "bench",
                              "--role", "analyst", "--json"], env))["key"]  # fmt: skip
        key_file = work / "key"
        key_file.touch(mode=0o600)
        key_file.write_text(key + "\n")
        ids_file = work / "ids.txt"
        ids_file.write_text("\n".join(ids) + "\n")

        started = time.perf_counter()
        store = EmbeddedStore(args.db)
        open_s = time.perf_counter() - started
        port = free_port()
        started = time.perf_counter()
        server = start_server(port, env, work / "server.log")
        ready_s = time.perf_counter() - started
        try:
            url = f"http://127.0.0.1:{port}"
            headers = {"Authorization": f"Bearer {key}", "Accept-Encoding": "identity"}
            with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
                one = asyncio.run(serial(samples, store, client))
            warm = wrk(f"{url}/graphql", ids_file, key_file, args, args.warmup)
            log_offset = (work / "server.log").stat().st_size
            load_before = os.getloadavg()[0]
            cpu_before, busy_before = cpu_seconds(server.pid), machine_busy_seconds()
            load = wrk(f"{url}/graphql", ids_file, key_file, args, args.duration)
            machine = {
                "server_cpu_s": cpu_seconds(server.pid) - cpu_before,
                "machine_busy_s": machine_busy_seconds() - busy_before,
                "loadavg_1m_before": load_before,
                "loadavg_1m_after": os.getloadavg()[0],
                "server_peak_rss_mib": peak_rss_mib(server.pid),
                "commit": commit(),
            }
        finally:
            stop_server(server)
        machine["server_ms"] = server_side_ms(work / "server.log", log_offset)
        store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    report(args, counts, how, open_s, ready_s, one, warm, load, machine)


def report(
    args: argparse.Namespace,
    counts: dict[str, int],
    how: str,
    open_s: float,
    ready_s: float,
    one: dict[str, Any],
    warm: dict[str, Any],
    load: dict[str, Any],
    machine: dict[str, Any],
) -> None:
    engine, graphql, http = (stats(one["times"][k]) for k in ("engine", "graphql", "http"))
    seconds = load["duration_us"] / 1e6
    lat = {k: v / 1e6 for k, v in load["latency_us"].items()}
    socket_errors = sum(load["socket_errors"].values())
    errors = load["non_200"] + load["graphql_errors"] + socket_errors
    unchecked = load["requests"] - load["responses_checked"]
    sizes = sorted(one["stores"])
    server_side = stats([m / 1000 for m in machine["server_ms"]]) if machine["server_ms"] else {}
    cpu = {
        "server": machine["server_cpu_s"],
        "wrk": load["cpu_s"],
        "other": machine["machine_busy_s"] - machine["server_cpu_s"] - load["cpu_s"],
    }
    results: dict[str, Any] = {
        "estate": {**counts, "integrations_arg": args.integrations, "seed": args.seed, "db": how},
        "engine_open_s": open_s,
        "server_ready_s": ready_s,
        "serial": {
            "samples": len(one["stores"]),
            "engine": engine,
            "graphql_in_process": graphql,
            "http": http,
            "errors": one["errors"],
            "answers_differing": one["differ"],
            "stores_per_radius": {
                "p50": statistics.median(sizes),
                "p99": sizes[round(0.99 * (len(sizes) - 1))],
                "max": sizes[-1],
            },
        },
        "ratios": {
            "http_over_engine_p50": http["p50"] / engine["p50"],
            "http_over_engine_mean": http["mean"] / engine["mean"],
            "graphql_over_engine_p50": graphql["p50"] / engine["p50"],
            "graphql_over_engine_mean": graphql["mean"] / engine["mean"],
        },
        "wrk_warmup": {
            k: warm[k] for k in ("requests", "non_200", "graphql_errors", "socket_errors")
        },
        "wrk": {
            **{
                k: load[k]
                for k in (
                    "command",
                    "requests",
                    "responses_checked",
                    "non_200",
                    "graphql_errors",
                    "socket_errors",
                    "first_error",
                    "summary",
                )
            },
            "seconds": seconds,
            "requests_per_s": load["requests"] / seconds,
            "latency_s": lat,
            "errors": errors,
            "wrk_cpu_s": load["cpu_s"],
            "server_side_ms": server_side,
        },
        "machine": {k: v for k, v in machine.items() if k != "server_ms"} | {"cpu_s": cpu},
        "targets": {
            "zero_errors": errors == 0 and unchecked == 0,
            "p99_le_250ms": lat["p99"] <= 0.25,
        },
    }
    if args.json:
        print(json.dumps(results, indent=1))
        return
    rows = [
        ("estate", f"{args.integrations:,} integrations (seed {args.seed}), {counts['nodes']:,} nodes, {counts['relationships']:,} relationships; db {how}"),
        ("engine store open (this process) / server ready", f"{open_s:.1f} s / {ready_s:.1f} s"),
        ("serial samples (after a warm pass over the same ids)", f"{len(sizes):,} integrations; stores per radius p50 {results['serial']['stores_per_radius']['p50']:g}, p99 {results['serial']['stores_per_radius']['p99']}, max {sizes[-1]}"),
        ("engine direct (resolve_start + blast_radius)", describe(engine)),
        ("GraphQL in process (limit check + execute + JSON)", describe(graphql)),
        ("HTTP, one client, keep-alive (httpx)", describe(http)),
        ("answers differing from the engine (GraphQL / HTTP)", f"{one['differ']['graphql']} / {one['differ']['http']}; errors {one['errors']['graphql']} / {one['errors']['http']}"),
        ("ratio HTTP / engine", f"p50 {http['p50'] / engine['p50']:.1f}, mean {http['mean'] / engine['mean']:.1f}"),
        ("ratio GraphQL in process / engine", f"p50 {graphql['p50'] / engine['p50']:.1f}, mean {graphql['mean'] / engine['mean']:.1f}"),
        ("overhead per request, HTTP - engine", f"p50 {ms(http['p50'] - engine['p50'])}, mean {ms(http['mean'] - engine['mean'])}"),
        (f"wrk warm-up {args.warmup}", f"{warm['requests']:,} requests, {warm['non_200'] + warm['graphql_errors'] + sum(warm['socket_errors'].values())} errors"),
        (f"wrk {args.connections} connections, {args.threads} threads, {args.duration}", f"{load['requests']:,} requests in {seconds:.1f} s, {load['requests'] / seconds:.1f} requests/s"),
        ("wrk latency", f"p50 {ms(lat['p50'])}, p75 {ms(lat['p75'])}, p90 {ms(lat['p90'])}, p99 {ms(lat['p99'])}, p99.9 {ms(lat['p999'])}, max {ms(lat['max'])}, mean {ms(lat['mean'])}"),
        ("wrk errors", f"{errors} (non-200 {load['non_200']}, GraphQL errors {load['graphql_errors']}, socket {socket_errors}); {load['responses_checked']:,} responses checked"),
        ("server's own time per request (its access log)", describe(server_side) if server_side else "no access log lines"),
        ("CPU during the run, cores of 2 (CPU s / run s)", ", ".join(f"{k} {v / seconds:.2f}" for k, v in cpu.items()) + f"; load average {machine['loadavg_1m_before']:.1f} before, {machine['loadavg_1m_after']:.1f} after"),
        ("server peak RSS", f"{machine['server_peak_rss_mib']:,.0f} MiB"),
        ("commit", machine["commit"]),
        ("target: zero errors", "met" if results["targets"]["zero_errors"] else f"MISSED: {errors} errors, e.g. {load['first_error'][:200]}"),
        ("target: p99 <= 250 ms (embedded)", ("met" if results["targets"]["p99_le_250ms"] else "MISSED") + f": {ms(lat['p99'])}"),
    ]  # fmt: skip
    print(f"\n{load['command']}")
    print("\n".join(load["summary"]))
    print("\n| measure | result |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
