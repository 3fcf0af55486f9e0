"""A GraphQL request as it arrives, before it runs: the JSON body's shape, how deep its
variables nest, whether its strings are Unicode at all, and which single operation it
names. Each problem is a message that says where, never what. Pure functions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from graphql import DocumentNode, OperationDefinitionNode

from nhigraph.api import limits as query_limits

_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_request(body: bytes) -> tuple[str, Mapping[str, Any] | None, str | None] | str:
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


def input_problem(
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


def _operations(document: DocumentNode | None) -> list[OperationDefinitionNode]:
    return [
        d
        for d in (document.definitions if document else ())
        if isinstance(d, OperationDefinitionNode)
    ]


def chosen_operation(
    document: DocumentNode | None, operation_name: str | None
) -> OperationDefinitionNode | None:
    operations = _operations(document)
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next(
        (o for o in operations if o.name is not None and o.name.value == operation_name), None
    )


def operation_problem(document: DocumentNode | None, operation_name: str | None) -> str | None:
    """Why the request names no single operation to run (strawberry cannot say it)."""
    if document is None:
        return None  # a syntax error: execution reports it
    operations = _operations(document)
    if not operations:
        return "the query holds no operation, only fragments"
    if operation_name is None and len(operations) > 1:
        return "the query holds several operations: name the one to run in 'operationName'"
    if operation_name is not None and chosen_operation(document, operation_name) is None:
        return "'operationName' names no operation in the query"
    return None
