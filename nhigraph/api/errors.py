"""What a client is told when something is wrong: one JSON error with a code, and no
value from the request in it or in the log.

graphql-core's messages about a bad input value quote it ("found: ..."), and a scalar's
own complaint may quote it too; ``format_error`` keeps the variable, the path inside it
and the expected type, and drops the value. Store failures and unexpected exceptions
are masked with the request id; the log gets the cause (a store's own message, or an
exception's type and stack of file:line frames, never its message). Suggestions ("did
you mean") are dropped unless introspection is on. Holds no routes.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from typing import Any

from fastapi.responses import JSONResponse
from graphql import GraphQLError

from nhigraph.errors import NhigraphError, StoreError

error_log = logging.getLogger("nhigraph.api")


def error(message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code, **extra}}


def graphql_response(
    errors: list[dict[str, Any]], status: int = 200, data: Any = None
) -> JSONResponse:
    body: dict[str, Any] = {"errors": errors} if data is None else {"data": data, "errors": errors}
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def log_exception(request_id: str, exc: BaseException, where: str) -> None:
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
        log_exception(request_id, original, "resolver")
        return {
            "message": "internal error",
            **({"path": out["path"]} if "path" in out else {}),
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "request_id": request_id},
        }
    out["extensions"] = extensions
    return out
