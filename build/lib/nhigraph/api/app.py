"""The HTTP service: GraphQL at ``POST /graphql``, health, metrics and the IDE.

Secure by default: every GraphQL request carries a bearer API key (``api/keys.py``);
only JSON POSTs are served (no queries over GET, no multipart), bodies and run
times are capped, queries over a size, depth, alias or cost limit are refused
before they run (``api/limits.py``), introspection and field suggestions are off
unless ``NHIGRAPH_API_INTROSPECTION=true``, errors other than our own user-facing
ones are masked, CORS is closed unless origins are configured. Access logs are
JSON lines without the query text or variables (either may hold a secret).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import mimetypes
import secrets
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from graphql import GraphQLError, OperationDefinitionNode
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from strawberry.extensions import DisableIntrospection

from nhigraph.api import limits as query_limits
from nhigraph.api.ide import STATIC_DIR
from nhigraph.api.keys import ApiKey, ApiKeys
from nhigraph.api.schema import Context, build_schema
from nhigraph.errors import NhigraphError, StoreError
from nhigraph.graph.connect import open_store
from nhigraph.graph.policy import load_policy
from nhigraph.graph.store import Store
from nhigraph.ingest.redaction import load_fingerprinter
from nhigraph.settings import Settings

access_log = logging.getLogger("nhigraph.api.access")
error_log = logging.getLogger("nhigraph.api")

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_IDE_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)


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


def _error(message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code, **extra}}


def _graphql_response(
    errors: list[dict[str, Any]], status: int = 200, data: Any = None
) -> JSONResponse:
    body: dict[str, Any] = {"errors": errors} if data is None else {"data": data, "errors": errors}
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """Our user-facing errors and GraphQL's own keep their message, with a code; anything
    else is masked (and logged with the request id, without query or variables)."""
    original = error.original_error
    out: dict[str, Any] = {"message": error.message}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        out["path"] = list(error.path)
    extensions = dict(error.extensions or {})
    if "code" in extensions:
        pass
    elif isinstance(original, NhigraphError):
        extensions["code"] = original.code
    elif original is None:
        extensions["code"] = (
            "GRAPHQL_PARSE_FAILED" if error.message.startswith("Syntax Error") else
            "GRAPHQL_VALIDATION_FAILED"
        )  # fmt: skip
    else:
        error_log.error(
            json.dumps({"request_id": request_id, "error": type(original).__name__}),
            exc_info=original,
        )
        return {
            "message": "internal error",
            **({"path": out["path"]} if "path" in out else {}),
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "request_id": request_id},
        }
    out["extensions"] = extensions
    return out


def _operation(document: Any, operation_name: str | None) -> str:
    """A bounded label for metrics and logs: the kind and root fields of the operation."""
    for definition in getattr(document, "definitions", ()):
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if operation_name and (definition.name is None or definition.name.value != operation_name):
            continue
        fields = sorted(
            {s.name.value for s in definition.selection_set.selections if hasattr(s, "name")}
        )
        return f"{definition.operation.value}:{','.join(fields)[:200]}"
    return "unknown"


def create_app(
    settings: Settings, store: Store | None = None, keys: ApiKeys | None = None
) -> FastAPI:
    """The service. ``store`` defaults to the one settings name, opened at startup."""
    full_policy = load_policy(settings.policy)
    policy = full_policy.blast
    extensions: list[Any] = [] if settings.api_introspection else [DisableIntrospection]
    schema = build_schema(extensions, suggestions=settings.api_introspection)
    keyring = keys or ApiKeys(settings.api_keys_file)
    limits = query_limits.Limits(
        max_tokens=settings.api_max_tokens,
        max_depth=settings.api_max_depth,
        max_aliases=settings.api_max_aliases,
        max_nodes=settings.api_max_nodes,
    )
    metrics = _Metrics()
    fingerprinter = load_fingerprinter(settings)
    state: dict[str, Store] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state["store"] = store if store is not None else open_store(settings)
        # The embedded graph is ~1.5 million long-lived objects: leave them out of the
        # garbage collector's full passes, which otherwise stalled every request for ~1 s.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
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

    @app.middleware("http")
    async def observe(request: Request, call_next: Any) -> Response:
        request_id = request.headers.get("X-Request-Id", "")[:64] or secrets.token_hex(8)
        request.state.request_id = request_id
        request.state.key_id = None
        request.state.operation = None
        started = time.perf_counter()
        response: Response = await call_next(request)
        elapsed = time.perf_counter() - started
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers["X-Request-Id"] = request_id
        path = request.url.path if request.url.path in _KNOWN_PATHS else "other"
        path = "/ide/" if request.url.path.startswith("/ide") else path
        metrics.requests.labels(path, request.method, str(response.status_code)).inc()
        access_log.info(
            json.dumps(
                {
                    "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "request_id": request_id,
                    "method": request.method,
                    "path": path,
                    "status": response.status_code,
                    "ms": round(elapsed * 1000, 2),
                    "key_id": request.state.key_id,
                    "operation": request.state.operation,
                    "client": request.client.host if request.client else None,
                }
            )
        )
        return response

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        try:
            await asyncio.to_thread(state["store"].labels_of, ["readyz:probe"])
        except (StoreError, OSError) as exc:
            return JSONResponse({"status": "unavailable", "store": str(exc)}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/metrics")
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.api_route("/graphql", methods=["GET", "PUT", "PATCH", "DELETE"])
    async def graphql_wrong_method() -> Response:
        return _graphql_response(
            [_error("send GraphQL as a JSON POST; the IDE is at /ide/", "METHOD_NOT_ALLOWED")],
            status=405,
        )

    @app.post("/graphql")
    async def graphql(request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return _graphql_response(
                [_error("the body must be JSON (Content-Type: application/json)", "BAD_REQUEST")],
                status=415,
            )
        key = _authenticate(request, keyring)
        if key is None:
            return JSONResponse(
                {"errors": [_error("a valid API key is required", "UNAUTHENTICATED")]},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="nhigraph"'},
            )
        request.state.key_id = key.id
        body = await _read_body(request, settings.api_max_body_bytes)
        if body is None:
            return _graphql_response(
                [_error(f"the body is over {settings.api_max_body_bytes} bytes", "BODY_TOO_LARGE")],
                status=413,
            )
        parsed = _parse_request(body)
        if isinstance(parsed, str):
            return _graphql_response([_error(parsed, "BAD_REQUEST")], status=400)
        query, variables, operation_name = parsed
        try:
            document = query_limits.check(query, variables, limits)
        except query_limits.QueryRefused as exc:
            metrics.errors.labels("refused", exc.code).inc()
            return _graphql_response([_error(str(exc), exc.code)])
        except GraphQLError:
            document = None  # execution reports the syntax error the same way
        operation = _operation(document, operation_name)
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
        errors = [format_error(e, request.state.request_id) for e in result.errors or []]
        for error in errors:
            metrics.errors.labels(operation, error["extensions"]["code"]).inc()
        metrics.operations.labels(operation, "error" if errors else "ok").inc()
        payload: dict[str, Any] = {"data": result.data}
        if errors:
            payload["errors"] = errors
        return JSONResponse(payload, headers={"Cache-Control": "no-store"})

    if settings.api_ide and STATIC_DIR.is_dir():
        app.mount("/ide", _IdeFiles(directory=str(STATIC_DIR), html=True), name="ide")

    return app


mimetypes.add_type("text/plain", ".LICENSE")
_KNOWN_PATHS = frozenset({"/graphql", "/healthz", "/readyz", "/metrics"})


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
