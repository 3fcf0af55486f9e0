"""The HTTP service: GraphQL at ``POST /graphql``, health, metrics, the IDE and its SDL.

Secure by default: every GraphQL request carries a bearer API key (``api/keys.py``);
only JSON POSTs are served (no queries over GET, no multipart), bodies and run
times are capped, queries over a size, depth, nesting, alias or cost limit are
refused before they run (``api/limits.py``, off the event loop), introspection and
suggestions are off unless ``NHIGRAPH_API_INTROSPECTION=true``, errors other than our
own user-facing ones are masked, CORS is closed unless origins are configured.

Nothing a client sends is echoed into logs or metric labels: access logs are JSON
lines without the query text, variables or their values; error messages about a bad
value name the variable and the field, never the value; metric labels come from the
schema's own field names. An outermost middleware turns any unexpected exception
into one JSON error with the request id, logged (type and stack, not the message,
which may quote a value) and counted: a raw 500 cannot happen.
"""

from __future__ import annotations

import asyncio
import gc
import hmac
import ipaddress
import json
import logging
import mimetypes
import re
import secrets
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)
from starlette.requests import ClientDisconnect
from strawberry.extensions import DisableIntrospection

from nhigraph.api import limits as query_limits
from nhigraph.api.ide import STATIC_DIR
from nhigraph.api.keys import ApiKey, ApiKeys, Role
from nhigraph.api.schema import Context, build_schema
from nhigraph.errors import NhigraphError, StoreError
from nhigraph.graph.connect import open_store
from nhigraph.graph.policy import load_policy
from nhigraph.graph.store import Store
from nhigraph.secrets import load_fingerprinter
from nhigraph.settings import Settings

access_log = logging.getLogger("nhigraph.api.access")
error_log = logging.getLogger("nhigraph.api")

ASGIApp = Callable[
    [dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_IDE_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)
#: A client's X-Request-Id is kept (to follow a request across proxies) only in this shape.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_KNOWN_PATHS = frozenset({"/graphql", "/healthz", "/readyz", "/metrics", "/schema.graphql"})
#: Distinct ``operation`` label values at most; further combinations count as ``<kind>:other``.
MAX_OPERATION_LABELS = 200
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Metrics:
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


def _error(message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code, **extra}}


def _graphql_response(
    errors: list[dict[str, Any]], status: int = 200, data: Any = None
) -> JSONResponse:
    body: dict[str, Any] = {"errors": errors} if data is None else {"data": data, "errors": errors}
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _log_exception(request_id: str, exc: BaseException, where: str) -> None:
    """The exception's type and stack, never its message (it may quote a request value)."""
    frames = [
        f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno} {f.name}"
        for f in traceback.extract_tb(exc.__traceback__)
    ]
    error_log.error(
        json.dumps(
            {
                "request_id": request_id,
                "where": where,
                "error": type(exc).__name__,
                "stack": frames[-12:],
            }
        )
    )


# --------------------------------------------------------------------------- error messages

# graphql-core's messages about a bad input value end by quoting it ("found: ..."), and a
# scalar's own complaint may quote it too; these keep the type, the variable and the path.
_VARIABLE = re.compile(r"^Variable '\$(?P<name>[_A-Za-z][_0-9A-Za-z]*)' (?P<rest>.*)$", re.DOTALL)
_VARIABLE_AT = re.compile(
    r"^has invalid (?:default )?value(?: at )?"
    r"(?P<path>(?:\.[_A-Za-z][_0-9A-Za-z]*|\[\d+\])*): (?P<detail>.*)$",
    re.DOTALL,
)
_CANNOT_REPRESENT = re.compile(r"^(?P<type>[_A-Za-z][_0-9A-Za-z]*) cannot represent")
_EXPECTED = re.compile(
    r"Expected (?:a )?value of (?P<nonnull>non-null )?type '(?P<type>[^']+)'(?P<rest>.*)$",
    re.DOTALL,
)
_REQUIRED_FIELD = re.compile(r"^ to include required field '(?P<field>[_0-9A-Za-z]+)'")
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


_ENUM = re.compile(r"does not exist in '(?P<type>[_0-9A-Za-z]+)' enum")


def _reason(detail: str, types: frozenset[str]) -> str | None:
    """What is wrong with a value, from graphql-core's message, without the value. A type
    name is used only when the schema has it: a value may itself contain text shaped like
    these messages, and must not be echoed through them."""

    def known(type_expr: str) -> bool:
        return type_expr.strip("[]!") in types

    enums = [m["type"] for m in _ENUM.finditer(detail) if known(m["type"])]
    if enums:
        return f"is not a {enums[-1]} value"
    scalar = _CANNOT_REPRESENT.match(detail)
    if scalar is not None:
        return f"is not a valid {scalar['type']}" if known(scalar["type"]) else None
    expected = _EXPECTED.search(detail)
    if expected is None or not known(expected["type"]):
        return None
    type_, rest = expected["type"], expected["rest"]
    if rest.startswith(" to be provided"):
        return f"is required ({type_})"
    if rest.startswith(" not to be None"):
        return f"must not be null ({type_})"
    if rest.startswith(" to be an object"):
        return f"must be an object ({type_})"
    required = _REQUIRED_FIELD.match(rest)
    if required:
        return f"needs its field '{required['field']}' ({type_})"
    if rest.startswith(" not to include unknown field"):
        return f"has a field that {type_} does not define"
    return f"is not a valid {type_}"


def _safe_message(message: str, types: frozenset[str]) -> tuple[str, bool]:
    """(message without any quoted input value, whether it is about an input value)."""
    variable = _VARIABLE.match(message)
    if variable:
        name, rest = variable["name"], variable["rest"]
        at = _VARIABLE_AT.match(rest)
        if at is None:  # "of required type 'X!' was not provided", "... must not be null"
            return message, rest.startswith(("of required type", "of non-null type"))
        reason = _reason(at["detail"], types) or "has an invalid value"
        return f"Variable '${name}' at '{name}{at['path']}' {reason}", True
    if not message.startswith(("Expected ", "Value ", "Argument ", "Int ", "Float ", "String ")):
        return message, False  # not graphql-core's about a value (ours, or about the query)
    literal = _reason(message, types)
    if literal is None:
        if any(quote in message for quote in ("found", " cannot represent ", "does not exist in")):
            return "An argument value is not valid here", True
        return message, False
    # A literal in the query text: the error's location points at it.
    return f"An argument value {literal}", True


def format_error(
    error: GraphQLError,
    request_id: str,
    suggestions: bool = False,
    types: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Our user-facing errors and GraphQL's own keep their message, with a code; a bad input
    value is ``BAD_USER_INPUT`` naming where, never what; a store failure and anything else
    are masked (and logged with the request id, without query or variables)."""
    original = error.original_error
    message, about_a_value = _safe_message(error.message, types)
    if not suggestions:
        message = _SUGGESTION.sub("", message)
    out: dict[str, Any] = {"message": message}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        out["path"] = list(error.path)
    extensions = dict(error.extensions or {})
    if "code" in extensions:
        pass
    elif about_a_value:
        extensions["code"] = "BAD_USER_INPUT"
    elif isinstance(original, StoreError):
        # The store's message names its address or file: for the log, not the client.
        error_log.error(
            json.dumps({"request_id": request_id, "error": "StoreError", "detail": str(original)})
        )
        return {
            "message": "the store did not answer; the server log has the cause under this "
            "request id",
            **({"path": out["path"]} if "path" in out else {}),
            "extensions": {"code": original.code, "request_id": request_id},
        }
    elif isinstance(original, NhigraphError):
        extensions["code"] = original.code
    elif original is None:
        extensions["code"] = (
            "GRAPHQL_PARSE_FAILED"
            if message.startswith("Syntax Error")
            else "GRAPHQL_VALIDATION_FAILED"
        )
    else:
        _log_exception(request_id, original, "resolver")
        return {
            "message": "internal error",
            **({"path": out["path"]} if "path" in out else {}),
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "request_id": request_id},
        }
    out["extensions"] = extensions
    return out


# --------------------------------------------------------------------------- operation labels


class _OperationLabels:
    """A bounded label for metrics and logs: the operation's kind and its root fields, each
    one of the schema's own root field names (anything else is ``other``), and at most
    ``MAX_OPERATION_LABELS`` distinct values."""

    def __init__(self, root_fields: frozenset[str]) -> None:
        self.root_fields = root_fields | {"__typename", "__schema", "__type"}
        self.seen: set[str] = set()

    def __call__(self, document: DocumentNode | None, operation_name: str | None) -> str:
        operation = _chosen_operation(document, operation_name)
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


def _operations(document: DocumentNode | None) -> list[OperationDefinitionNode]:
    return [
        d
        for d in (document.definitions if document else ())
        if isinstance(d, OperationDefinitionNode)
    ]


def _chosen_operation(
    document: DocumentNode | None, operation_name: str | None
) -> OperationDefinitionNode | None:
    operations = _operations(document)
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next(
        (o for o in operations if o.name is not None and o.name.value == operation_name), None
    )


def _operation_problem(document: DocumentNode | None, operation_name: str | None) -> str | None:
    """Why the request names no single operation to run (strawberry cannot say it)."""
    if document is None:
        return None  # a syntax error: execution reports it
    operations = _operations(document)
    if not operations:
        return "the query holds no operation, only fragments"
    if operation_name is None and len(operations) > 1:
        return "the query holds several operations: name the one to run in 'operationName'"
    if operation_name is not None and _chosen_operation(document, operation_name) is None:
        return "'operationName' names no operation in the query"
    return None


# --------------------------------------------------------------------------- request values


def _input_problem(
    query: str,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    max_nesting: int,
) -> tuple[str, str] | None:
    """(code, message) when the request's text or variables cannot be taken as they are:
    variables nested deeper than ``max_nesting``, or a string that is not valid Unicode
    (a lone surrogate, which JSON's \\u escapes can carry). Messages say where, never what."""
    if _SURROGATE.search(query):
        return "BAD_USER_INPUT", "'query' holds a lone surrogate: not valid Unicode"
    if operation_name is not None and _SURROGATE.search(operation_name):
        return "BAD_USER_INPUT", "'operationName' holds a lone surrogate: not valid Unicode"
    if variables is None:
        return None
    if query_limits.value_nesting(variables) > max_nesting + 1:  # +1: the variables object
        return "BAD_REQUEST", f"the variables nest deeper than {max_nesting} levels"
    stack: list[tuple[Any, str]] = [(v, f"${k}") for k, v in variables.items()]
    if any(_SURROGATE.search(k) for k in variables):
        return "BAD_USER_INPUT", "a variable's name holds a lone surrogate: not valid Unicode"
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return (
                    "BAD_USER_INPUT",
                    f"variable {where} holds a lone surrogate: not valid Unicode",
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                if _SURROGATE.search(key):
                    return (
                        "BAD_USER_INPUT",
                        f"variable {where} has a field name with a lone surrogate",
                    )
                safe = key if re.fullmatch(r"[_A-Za-z][_0-9A-Za-z]{0,63}", key) else "?"
                stack.append((item, f"{where}.{safe}"))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{n}]") for n, item in enumerate(value))
    return None


# --------------------------------------------------------------------------- the outermost layer


def _address(host: Any) -> str:
    """The client's address for the log, when it is one: behind a trusted proxy uvicorn
    takes it from X-Forwarded-For, which a client can fill with anything."""
    try:
        return str(ipaddress.ip_address(str(host)))
    except ValueError:
        return "invalid"


class _Observed:
    """Request id, security headers, the access log line and the request metrics for every
    request; and the catch-all: an exception that escapes the app becomes one JSON 500 with
    the request id, logged and counted."""

    def __init__(self, app: ASGIApp, metrics: _Metrics) -> None:
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
                    for name, value in _SECURITY_HEADERS.items()
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
            _log_exception(request_id, exc, path)
            self.metrics.unhandled.labels(path).inc()
            if not response_started:
                status = 500
                record()
                body = json.dumps(
                    {
                        "errors": [
                            _error("internal error", "INTERNAL_SERVER_ERROR", request_id=request_id)
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
                                for n, v in _SECURITY_HEADERS.items()
                            ],
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
        finally:
            record()


# --------------------------------------------------------------------------- the app


def create_app(
    settings: Settings, store: Store | None = None, keys: ApiKeys | None = None
) -> FastAPI:
    """The service. ``store`` defaults to the one settings name, opened at startup."""
    full_policy = load_policy(settings.policy)
    policy = full_policy.blast
    extensions: list[Any] = [] if settings.api_introspection else [DisableIntrospection]
    suggestions = settings.api_introspection
    schema = build_schema(extensions, suggestions=suggestions)
    sdl = str(build_schema()) + "\n"  # the committed schema.graphql (a test keeps them equal)
    keyring = keys or ApiKeys(settings.api_keys_file)
    limits = query_limits.Limits(
        max_tokens=settings.api_max_tokens,
        max_depth=settings.api_max_depth,
        max_aliases=settings.api_max_aliases,
        max_nodes=settings.api_max_nodes,
        max_nesting=settings.api_max_nesting,
    )
    metrics = _Metrics()
    graphql_schema = schema._schema
    root_fields = frozenset(
        name
        for root in (graphql_schema.query_type, graphql_schema.mutation_type)
        if root is not None
        for name in root.fields
    )
    operation_label = _OperationLabels(root_fields)
    type_names = frozenset(graphql_schema.type_map)
    fingerprinter = load_fingerprinter(settings)
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state["store"] = store if store is not None else open_store(settings)
        if settings.api_metrics_listen:
            host, _, port = settings.api_metrics_listen.rpartition(":")
            server, thread = start_http_server(
                int(port), addr=host.strip("[]"), registry=metrics.registry
            )
            state["metrics_server"] = (server, thread)
        # The embedded graph is ~1.5 million long-lived objects: leave them out of the
        # garbage collector's full passes, which otherwise stalled every request for ~1 s.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if "metrics_server" in state:
                server, thread = state.pop("metrics_server")
                server.shutdown()
                server.server_close()
                thread.join(timeout=5)
            if store is None:
                state["store"].close()

    app = FastAPI(
        title="nhigraph",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.add_middleware(GZipMiddleware, minimum_size=1024)  # the IDE's bundle: 3.5 MB, 0.7 gzipped
    if settings.api_cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api_cors_origins,
            allow_methods=["POST"],
            allow_headers=["Authorization", "Content-Type"],
            allow_credentials=False,
        )
    app.add_middleware(_Observed, metrics=metrics)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        # One probe at a time: a frozen store leaves its worker thread waiting, and a
        # probe every few seconds must not pile up more of them.
        probe: asyncio.Future[Any] | None = state.get("probe")
        if probe is None or probe.done():
            probe = state["probe"] = asyncio.ensure_future(
                asyncio.to_thread(state["store"].labels_of, ["readyz:probe"])
            )
        try:
            await asyncio.wait_for(asyncio.shield(probe), timeout=settings.api_readyz_timeout)
        except TimeoutError:
            return JSONResponse(
                {
                    "status": "unavailable",
                    "reason": f"the store did not answer within {settings.api_readyz_timeout:g} s",
                },
                status_code=503,
            )
        except Exception as exc:
            detail = str(exc) if isinstance(exc, NhigraphError) else type(exc).__name__
            error_log.error(
                json.dumps(
                    {
                        "request_id": request.state.request_id,
                        "where": "/readyz",
                        "error": type(exc).__name__,
                        "detail": detail,
                    }
                )
            )
            return JSONResponse(
                {
                    "status": "unavailable",
                    "reason": "the store is not reachable; the server log "
                    "has the cause under this request id",
                },
                status_code=503,
            )
        return JSONResponse({"status": "ready"})

    @app.get("/metrics")
    async def prometheus(request: Request) -> Response:
        if settings.api_metrics_listen:
            return JSONResponse(
                {"errors": [_error("metrics are served on their own address", "NOT_FOUND")]},
                status_code=404,
            )
        if settings.api_metrics_key is not None:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            wanted = settings.api_metrics_key.get_secret_value().encode()
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                token.strip().encode("utf-8", "replace"), wanted
            ):
                return JSONResponse(
                    {"errors": [_error("the metrics key is required", "UNAUTHENTICATED")]},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="nhigraph metrics"'},
                )
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.api_route("/graphql", methods=["GET", "PUT", "PATCH", "DELETE"])
    async def graphql_wrong_method() -> Response:
        return _graphql_response(
            [_error("send GraphQL as a JSON POST; the IDE is at /ide/", "METHOD_NOT_ALLOWED")],
            status=405,
        )

    def refuse(status: int, code: str, message: str, operation: str = "refused") -> Response:
        metrics.errors.labels(operation, code).inc()
        return _graphql_response([_error(message, code)], status=status)

    @app.post("/graphql")
    async def graphql(request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return refuse(
                415, "BAD_REQUEST", "the body must be JSON (Content-Type: application/json)"
            )
        key = _authenticate(request, keyring)
        if key is None:
            metrics.errors.labels("refused", "UNAUTHENTICATED").inc()
            return JSONResponse(
                {"errors": [_error("a valid API key is required", "UNAUTHENTICATED")]},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="nhigraph"'},
            )
        request.state.key_id = key.id
        try:
            body = await _read_body(request, settings.api_max_body_bytes)
        except ClientDisconnect:  # the body did not arrive in time (or the client left)
            return refuse(408, "BODY_TIMEOUT", "the body did not arrive in time")
        if body is None:
            return refuse(
                413, "BODY_TOO_LARGE", f"the body is over {settings.api_max_body_bytes} bytes"
            )
        parsed = _parse_request(body)
        if isinstance(parsed, str):
            return refuse(400, "BAD_REQUEST", parsed)
        query, variables, operation_name = parsed
        problem = _input_problem(query, variables, operation_name, limits.max_nesting)
        if problem is not None:
            return refuse(400, *problem)
        try:
            # Off the event loop: however a query is built, checking it never stalls others.
            document = await asyncio.to_thread(query_limits.check, query, variables, limits)
        except query_limits.QueryRefused as exc:
            return refuse(exc.status, exc.code, str(exc))
        except GraphQLError:
            document = None  # execution reports the syntax error the same way
        why = _operation_problem(document, operation_name)
        if why is not None:
            return refuse(400, "BAD_REQUEST", why)
        operation = operation_label(document, operation_name)
        request.state.operation = operation
        context = Context(state["store"], policy, key, full_policy, fingerprinter)
        started = time.perf_counter()
        try:
            result = await asyncio.wait_for(
                schema.execute(
                    query,
                    variable_values=None if variables is None else dict(variables),
                    context_value=context,
                    operation_name=operation_name,
                ),
                timeout=settings.api_timeout,
            )
        except TimeoutError:
            metrics.errors.labels(operation, "TIMEOUT").inc()
            return _graphql_response(
                [_error(f"the query ran longer than {settings.api_timeout:g} s", "TIMEOUT")]
            )
        finally:
            metrics.latency.labels(operation).observe(time.perf_counter() - started)
        request_id = request.state.request_id
        errors = [format_error(e, request_id, suggestions, type_names) for e in result.errors or []]
        for error in errors:
            metrics.errors.labels(operation, error["extensions"]["code"]).inc()
        metrics.operations.labels(operation, "error" if errors else "ok").inc()
        payload: dict[str, Any] = {"data": result.data}
        if errors:
            payload["errors"] = errors
        return JSONResponse(payload, headers={"Cache-Control": "no-store"})

    if settings.api_ide:

        @app.get("/schema.graphql")
        async def schema_sdl(request: Request) -> Response:
            """The schema as SDL for the IDE's docs and completion: analysts and admins only,
            so turning introspection off still hides it from readers."""
            key = _authenticate(request, keyring)
            if key is None:
                return JSONResponse(
                    {"errors": [_error("a valid API key is required", "UNAUTHENTICATED")]},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="nhigraph"'},
                )
            request.state.key_id = key.id
            if not key.role.allows(Role.ANALYST):
                return JSONResponse(
                    {"errors": [_error("the schema needs the analyst role", "FORBIDDEN")]},
                    status_code=403,
                )
            return PlainTextResponse(sdl, headers={"Cache-Control": "no-store"})

        if STATIC_DIR.is_dir():
            app.mount("/ide", _IdeFiles(directory=str(STATIC_DIR), html=True), name="ide")

    return app


mimetypes.add_type("text/plain", ".LICENSE")


class _IdeFiles(StaticFiles):
    """The IDE's files, under a content security policy that keeps it on this origin."""

    async def get_response(self, path: str, scope: Any) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = _IDE_CSP
        return response


def _authenticate(request: Request, keyring: ApiKeys) -> ApiKey | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return keyring.check(token.strip())


async def _read_body(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_request(body: bytes) -> tuple[str, Mapping[str, Any] | None, str | None] | str:
    try:
        data = json.loads(body)
    except RecursionError:
        return "the body nests too deeply to be read"
    except (ValueError, UnicodeDecodeError):
        return "the body is not valid JSON"
    if not isinstance(data, dict):
        return "the body must be a JSON object with a 'query'"
    query = data.get("query")
    variables = data.get("variables")
    operation_name = data.get("operationName")
    if not isinstance(query, str) or not query.strip():
        return "'query' must be a non-empty string"
    if variables is not None and not isinstance(variables, dict):
        return "'variables' must be an object"
    if operation_name is not None and not isinstance(operation_name, str):
        return "'operationName' must be a string"
    return query, variables, operation_name
