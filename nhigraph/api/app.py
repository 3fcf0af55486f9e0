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
which may quote a value) and counted: a raw 500 cannot happen. The pieces: what a
request must look like (``api/request.py``), what a client is told (``api/errors.py``),
what is logged and counted (``api/observe.py``), how uvicorn serves it
(``api/serving.py``); this module wires them into routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import json
import mimetypes
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from graphql import GraphQLError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest, start_http_server
from starlette.requests import ClientDisconnect
from strawberry.extensions import DisableIntrospection

from nhigraph.api import limits as query_limits
from nhigraph.api.errors import error, error_log, format_error, graphql_response
from nhigraph.api.ide import STATIC_DIR
from nhigraph.api.keys import ApiKey, ApiKeys, Role
from nhigraph.api.observe import Metrics, Observed, OperationLabels
from nhigraph.api.request import input_problem, operation_problem, parse_request
from nhigraph.api.schema import Context, build_schema
from nhigraph.errors import NhigraphError, StoreError
from nhigraph.graph.connect import open_store
from nhigraph.graph.policy import load_policy
from nhigraph.graph.runs import IncompleteRuns
from nhigraph.graph.runs import warnings as run_warnings
from nhigraph.graph.store import Store
from nhigraph.secrets import load_fingerprinter
from nhigraph.settings import Settings

_IDE_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)


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
    metrics = Metrics()
    graphql_schema = schema._schema
    root_fields = frozenset(
        name
        for root in (graphql_schema.query_type, graphql_schema.mutation_type)
        if root is not None
        for name in root.fields
    )
    operation_label = OperationLabels(root_fields)
    type_names = frozenset(graphql_schema.type_map)
    fingerprinter = load_fingerprinter(settings)
    state: dict[str, Any] = {}
    incomplete: dict[str, IncompleteRuns] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state["store"] = store if store is not None else open_store(settings)
        incomplete["runs"] = IncompleteRuns(state["store"])
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
    app.add_middleware(Observed, metrics=metrics)

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
        # Incomplete ingest runs make the answers partial, not the replica unable to
        # serve (every replica reads the same store): 200, "degraded", and which runs.
        try:
            runs = await asyncio.wait_for(
                asyncio.to_thread(incomplete["runs"].current), timeout=settings.api_readyz_timeout
            )
        except Exception:
            runs = []
        if runs:
            return JSONResponse(
                {"status": "degraded", "incomplete_runs": [r.to_dict() for r in runs]}
            )
        return JSONResponse({"status": "ready"})

    @app.get("/metrics")
    async def prometheus(request: Request) -> Response:
        if settings.api_metrics_listen:
            return JSONResponse(
                {"errors": [error("metrics are served on their own address", "NOT_FOUND")]},
                status_code=404,
            )
        if settings.api_metrics_key is not None:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            wanted = settings.api_metrics_key.get_secret_value().encode()
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                token.strip().encode("utf-8", "replace"), wanted
            ):
                return JSONResponse(
                    {"errors": [error("the metrics key is required", "UNAUTHENTICATED")]},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="nhigraph metrics"'},
                )
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.api_route("/graphql", methods=["GET", "PUT", "PATCH", "DELETE"])
    async def graphql_wrong_method() -> Response:
        return graphql_response(
            [error("send GraphQL as a JSON POST; the IDE is at /ide/", "METHOD_NOT_ALLOWED")],
            status=405,
        )

    def refuse(status: int, code: str, message: str, operation: str = "refused") -> Response:
        metrics.errors.labels(operation, code).inc()
        return graphql_response([error(message, code)], status=status)

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
                {"errors": [error("a valid API key is required", "UNAUTHENTICATED")]},
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
        parsed = parse_request(body)
        if isinstance(parsed, str):
            return refuse(400, "BAD_REQUEST", parsed)
        query, variables, operation_name = parsed
        problem = input_problem(query, variables, operation_name, limits.max_nesting)
        if problem is not None:
            return refuse(400, *problem)
        try:
            # Off the event loop: however a query is built, checking it never stalls others.
            document = await asyncio.to_thread(query_limits.check, query, variables, limits)
        except query_limits.QueryRefused as exc:
            return refuse(exc.status, exc.code, str(exc))
        except GraphQLError:
            document = None  # execution reports the syntax error the same way
        why = operation_problem(document, operation_name)
        if why is not None:
            return refuse(400, "BAD_REQUEST", why)
        operation = operation_label(document, operation_name)
        request.state.operation = operation
        # What another process committed since (an ingest, a review): the embedded store
        # reloads; one read of the generation when nothing moved. A store that fails here
        # is reported by the fields that read it, with the request id.
        with contextlib.suppress(StoreError):
            await asyncio.to_thread(state["store"].refresh)
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
            return graphql_response(
                [error(f"the query ran longer than {settings.api_timeout:g} s", "TIMEOUT")]
            )
        finally:
            metrics.latency.labels(operation).observe(time.perf_counter() - started)
        request_id = request.state.request_id
        errors = [format_error(e, request_id, suggestions, type_names) for e in result.errors or []]
        for answered in errors:
            metrics.errors.labels(operation, answered["extensions"]["code"]).inc()
        metrics.operations.labels(operation, "error" if errors else "ok").inc()
        payload: dict[str, Any] = {"data": result.data}
        if errors:
            payload["errors"] = errors
        try:
            runs = await asyncio.to_thread(incomplete["runs"].current)
        except StoreError:
            runs = []  # the store is down: the errors above already say so
        if runs:
            payload["extensions"] = {"warnings": run_warnings(runs)}
        return JSONResponse(payload, headers={"Cache-Control": "no-store"})

    if settings.api_ide:

        @app.get("/schema.graphql")
        async def schema_sdl(request: Request) -> Response:
            """The schema as SDL for the IDE's docs and completion: analysts and admins only,
            so turning introspection off still hides it from readers."""
            key = _authenticate(request, keyring)
            if key is None:
                return JSONResponse(
                    {"errors": [error("a valid API key is required", "UNAUTHENTICATED")]},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="nhigraph"'},
                )
            request.state.key_id = key.id
            if not key.role.allows(Role.ANALYST):
                return JSONResponse(
                    {"errors": [error("the schema needs the analyst role", "FORBIDDEN")]},
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
