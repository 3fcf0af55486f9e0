"""What the service records about each request: the access log line, the request
metrics with bounded labels, the request id and security headers, and the catch-all that
turns an exception escaping the app into one JSON 500 (logged and counted).

Label values come only from fixed sets and the schema's own field names, and the log
carries no value a client chose (the request id only in a strict shape, the client
only as an IP address).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)
from prometheus_client import CollectorRegistry, Counter, Histogram

from nhigraph.api.errors import error, log_exception
from nhigraph.api.request import chosen_operation

access_log = logging.getLogger("nhigraph.api.access")

ASGIApp = Callable[
    [dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
#: A client's X-Request-Id is kept (to follow a request across proxies) only in this shape.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_KNOWN_PATHS = frozenset({"/graphql", "/healthz", "/readyz", "/metrics", "/schema.graphql"})
#: Distinct ``operation`` label values at most; further combinations count as ``<kind>:other``.
MAX_OPERATION_LABELS = 200


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "nhigraph_http_requests_total",
            "HTTP requests by path and status",
            ["path", "method", "status"],
            registry=self.registry,
        )
        self.operations = Counter(
            "nhigraph_graphql_operations_total",
            "GraphQL operations by their root fields and outcome",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "nhigraph_graphql_operation_seconds",
            "GraphQL operation latency",
            ["operation"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.errors = Counter(
            "nhigraph_graphql_errors_total",
            "GraphQL errors by operation and code",
            ["operation", "code"],
            registry=self.registry,
        )
        self.unhandled = Counter(
            "nhigraph_unhandled_errors_total",
            "Requests that ended in an unexpected exception (answered with a JSON 500)",
            ["path"],
            registry=self.registry,
        )


class OperationLabels:
    """A bounded label for metrics and logs: the operation's kind and its root fields, each
    one of the schema's own root field names (anything else is ``other``), and at most
    ``MAX_OPERATION_LABELS`` distinct values."""

    def __init__(self, root_fields: frozenset[str]) -> None:
        self.root_fields = root_fields | {"__typename", "__schema", "__type"}
        self.seen: set[str] = set()

    def __call__(self, document: DocumentNode | None, operation_name: str | None) -> str:
        operation = chosen_operation(document, operation_name)
        if operation is None:
            return "unknown"
        fragments = {
            d.name.value: d
            for d in (document.definitions if document else ())
            if isinstance(d, FragmentDefinitionNode)
        }
        names = {
            name if name in self.root_fields else "other"
            for name in _root_field_names(operation.selection_set, fragments)
        }
        kind = operation.operation.value
        label = f"{kind}:{','.join(sorted(names))}"
        if label not in self.seen:
            if len(self.seen) >= MAX_OPERATION_LABELS:
                return f"{kind}:other"
            self.seen.add(label)
        return label


def _root_field_names(
    selection_set: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> Iterator[str]:
    stack = [selection_set]
    visited: set[str] = set()
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FieldNode):
                yield selection.name.value
            elif isinstance(selection, InlineFragmentNode):
                stack.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in visited and name in fragments:
                    visited.add(name)
                    stack.append(fragments[name].selection_set)


def _address(host: Any) -> str:
    """The client's address for the log, when it is one: behind a trusted proxy uvicorn
    takes it from X-Forwarded-For, which a client can fill with anything."""
    try:
        return str(ipaddress.ip_address(str(host)))
    except ValueError:
        return "invalid"


class Observed:
    """Request id, security headers, the access log line and the request metrics for every
    request; and the catch-all: an exception that escapes the app becomes one JSON 500 with
    the request id, logged and counted."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.fullmatch(given) else secrets.token_hex(8)
        state = scope.setdefault("state", {})
        state.update(request_id=request_id, key_id=None, operation=None)
        started = time.perf_counter()
        status = 500
        response_started = False
        logged = False
        raw_path = scope.get("path", "")
        path = raw_path if raw_path in _KNOWN_PATHS else "other"
        path = "/ide/" if raw_path.startswith("/ide") else path

        def record() -> None:
            # Before the response's last byte leaves: a client that has its answer finds
            # the line already written.
            nonlocal logged
            if logged:
                return
            logged = True
            method = scope.get("method", "")
            method = method if method in _METHODS else "other"
            self.metrics.requests.labels(path, method, str(status)).inc()
            client = scope.get("client")
            access_log.info(
                json.dumps(
                    {
                        "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "request_id": request_id,
                        "method": method,
                        "path": path,
                        "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                        "key_id": state.get("key_id"),
                        "operation": state.get("operation"),
                        "client": _address(client[0]) if client else None,
                    }
                )
            )

        async def observed_send(message: Any) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (name.lower().encode(), value.encode())
                    for name, value in SECURITY_HEADERS.items()
                    if name.lower().encode() not in present
                ]
                message = {
                    **message,
                    "headers": [
                        *[(n, v) for n, v in message.get("headers", []) if n != b"x-request-id"],
                        *extra,
                        (b"x-request-id", request_id.encode()),
                    ],
                }
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                record()
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        except Exception as exc:  # the catch-all: never a raw 500, never a traceback out
            log_exception(request_id, exc, path)
            self.metrics.unhandled.labels(path).inc()
            if not response_started:
                status = 500
                record()
                body = json.dumps(
                    {
                        "errors": [
                            error("internal error", "INTERNAL_SERVER_ERROR", request_id=request_id)
                        ]
                    }
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"),
                            (b"x-request-id", request_id.encode()),
                            *[
                                (n.lower().encode(), v.encode())
                                for n, v in SECURITY_HEADERS.items()
                            ],
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
        finally:
            record()
