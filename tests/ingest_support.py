"""What the SaaS ingestor tests share: a fixed fingerprint key, saved fixtures, a replay transport.

``Recorded`` is an httpx transport serving recorded responses by method and URL, in
order; it is how ``fetch`` is tested without the internet.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.store import WriteSummary
from nhigraph.ingest.redaction import Fingerprinter
from nhigraph.ingest.source import RawInput, SourceResult, read_saved
from nhigraph.ingest.sources import get_source
from nhigraph.ingest.sync import write_batches

FIXTURES = Path(__file__).parent / "fixtures"
KEY = b"nhigraph-test-fingerprint-key-0001"
FINGERPRINTER = Fingerprinter(KEY)


def saved(source: str, folder: str = "", tenant: str | None = None) -> RawInput:
    """The saved pages under tests/fixtures/<source>/<folder>."""
    return read_saved(get_source(source), FIXTURES / source / folder, tenant)


def transform(raw: RawInput) -> SourceResult:
    return get_source(raw.source).transform(raw, FINGERPRINTER)


def write(store: EmbeddedStore, result: SourceResult) -> WriteSummary:
    """Write every batch of ``result`` as one sync run each, with cleanup; the summed counts."""
    total = WriteSummary()
    for item in write_batches(store, [(b.tenant, b) for b in result.batches]):
        total = total + item.summary
    return total


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-able, or str for a raw body
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Recorded:
    """Replays ``routes``: 'GET https://host/path?query' -> replies served in order (the last
    repeats). The query part is matched exactly as sent (params in the order the client
    sends them); a route without '?' matches any query. Unknown requests fail the test."""

    routes: Mapping[str, list[Reply]]
    requests: list[httpx.Request] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        served: dict[str, int] = {}

        def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            url = str(request.url)
            key = f"{request.method} {url}"
            if key not in self.routes:
                key = f"{request.method} {url.split('?', 1)[0]}"
            if key not in self.routes:
                raise AssertionError(f"unexpected request {request.method} {url}")
            n = served.get(key, 0)
            served[key] = n + 1
            replies = self.routes[key]
            reply = replies[min(n, len(replies) - 1)]
            body = reply.body
            content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            headers = dict(reply.headers)
            if not isinstance(body, str):
                headers.setdefault("Content-Type", "application/json")
            return httpx.Response(reply.status, headers=headers, content=content)

        return httpx.MockTransport(handle)


def page(path: Path) -> Any:
    """A saved fixture page's JSON body (to serve it through ``Recorded``)."""
    return json.loads(path.read_text())


def no_sleep(seconds: float) -> None:
    """Back-off without waiting; tests check the waits through ``Sleeps``."""


@dataclass
class Sleeps:
    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def node_ids(result: SourceResult, label: str) -> list[str]:
    return sorted(n.id for b in result.batches for n in b.nodes if n.label == label)


def rels(result: SourceResult, rel_type: str) -> list[tuple[str, str]]:
    return sorted((r.start, r.end) for b in result.batches for r in b.rels if r.type == rel_type)


def props(result: SourceResult, node_id: str) -> dict[str, Any]:
    for batch in result.batches:
        for node in batch.nodes:
            if node.id == node_id:
                return dict(node.props)
    raise KeyError(node_id)


def strings_in(values: Iterable[Any]) -> list[str]:
    """Every string in nested data (for scanning stores and logs for secrets)."""
    out: list[str] = []
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, Mapping):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list | tuple | set):
            stack.extend(value)
    return out
