"""What a query may ask before it runs: size, depth, aliases and cost, each with its code.

Checked on the parsed document with the request's variables, before validation or
execution, so an abusive query costs a parse and nothing more:

- ``QUERY_TOO_LARGE``: more tokens than allowed (the parser stops counting there);
- ``QUERY_TOO_DEEP``: selection sets nested deeper than allowed (fragments followed);
- ``TOO_MANY_ALIASES``: aliases are how one request multiplies expensive fields;
- ``FIRST_REQUIRED`` / ``FIRST_TOO_LARGE``: every connection says ``first``, at most 100;
- ``QUERY_TOO_COSTLY``: the estimated number of nodes, GitHub-style — each
  connection multiplies what is under it by its ``first``, each list field by an
  assumed fan-out, and each blast radius counts as a batch of nodes — over the cap.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    parse,
)

from nhigraph.errors import NhigraphError

#: Root fields that are connections (paginated with first/after).
CONNECTIONS = frozenset(
    {"integrations", "credentials", "tenants", "dataStores", "teams", "vendors", "findings",
     "risk", "reviewQueue"}
)  # fmt: skip
#: Fields that compute a blast radius: each counts as this many nodes.
RADIUS_FIELDS = frozenset(
    {"blastRadius", "sharedConnectors", "compromiseImpact", "whatIf", "credentialLookup"}
)
#: Root fields that assess the whole estate once per request (findings, risk, queue).
RADIUS_COST = 100
LIST_FANOUT = 10  # assumed items of a plain list field (credentials, users, ...)
MAX_FIRST = 100


class QueryRefused(NhigraphError):
    """A query over a limit; ``code`` names which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Limits:
    max_tokens: int = 2000
    max_depth: int = 12
    max_aliases: int = 15
    max_nodes: int = 10_000


def check(query: str, variables: Mapping[str, Any] | None, limits: Limits) -> DocumentNode:
    """Parse ``query`` and refuse it if it is over a limit; the parsed document otherwise.

    A syntax error is left for execution to report (with the same message).
    """
    try:
        document = _parse(query, limits.max_tokens)
    except GraphQLError as exc:
        if "more than" in exc.message and "tokens" in exc.message:
            raise QueryRefused(
                "QUERY_TOO_LARGE", f"the query has more than {limits.max_tokens} tokens"
            ) from None
        raise
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    aliases = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            aliases += _aliases(definition.selection_set)
    if aliases > limits.max_aliases:
        raise QueryRefused(
            "TOO_MANY_ALIASES", f"the query uses {aliases} aliases; at most {limits.max_aliases}"
        )
    walker = _Walker(fragments, dict(variables or {}), limits)
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            cost = walker.cost(definition.selection_set, depth=1, seen=())
            if cost > limits.max_nodes:
                raise QueryRefused(
                    "QUERY_TOO_COSTLY",
                    f"the query could return about {cost} nodes; at most {limits.max_nodes} "
                    "(ask for fewer with first, or split it)",
                )
    return document


@functools.lru_cache(maxsize=256)
def _parse(query: str, max_tokens: int) -> DocumentNode:
    """Parsed once per query text: clients send the same few queries again and again."""
    return parse(query, max_tokens=max_tokens)


def _aliases(selection_set: SelectionSetNode | None) -> int:
    if selection_set is None:
        return 0
    count = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode) and selection.alias is not None:
            count += 1
        if isinstance(selection, FieldNode | InlineFragmentNode):
            count += _aliases(selection.selection_set)
    return count


class _Walker:
    def __init__(
        self,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        limits: Limits,
    ) -> None:
        self.fragments = fragments
        self.variables = variables
        self.limits = limits

    def cost(
        self, selection_set: SelectionSetNode | None, depth: int, seen: tuple[str, ...]
    ) -> int:
        if selection_set is None:
            return 0
        if depth > self.limits.max_depth:
            raise QueryRefused(
                "QUERY_TOO_DEEP", f"the query nests deeper than {self.limits.max_depth} levels"
            )
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:  # cycles are a validation error
                    total += self.cost(fragment.selection_set, depth, (*seen, name))
            elif isinstance(selection, InlineFragmentNode):
                total += self.cost(selection.selection_set, depth, seen)
            elif isinstance(selection, FieldNode):
                total += self._field(selection, depth, seen)
        return total

    def _field(self, field: FieldNode, depth: int, seen: tuple[str, ...]) -> int:
        name = field.name.value
        below = self.cost(field.selection_set, depth + 1, seen)
        if name in CONNECTIONS and depth == 1:  # the root's connections (nested lists share names)
            first = self._first(field)
            return first * max(below, 1)
        if name in RADIUS_FIELDS:
            return RADIUS_COST + below
        if field.selection_set is not None and name not in ("pageInfo", "node"):
            return LIST_FANOUT * max(below, 1) if name not in _SINGLE else max(below, 1)
        return 0 if field.selection_set is None else below

    def _first(self, field: FieldNode) -> int:
        where = f"{field.name.value}"
        for argument in field.arguments or ():
            if argument.name.value != "first":
                continue
            value: Any = None
            if isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
            elif isinstance(argument.value, VariableNode):
                value = self.variables.get(argument.value.name.value)
            if not isinstance(value, int) or isinstance(value, bool):
                break
            if value > MAX_FIRST:
                raise QueryRefused(
                    "FIRST_TOO_LARGE", f"{where}: first is {value}; at most {MAX_FIRST}"
                )
            return max(value, 0)
        raise QueryRefused("FIRST_REQUIRED", f"{where}: give first (at most {MAX_FIRST})")


#: Object fields that hold one object, not a list (no fan-out).
_SINGLE = frozenset(
    {
        "owner",
        "vendor",
        "tenant",
        "actsAs",
        "target",
        "dataStore",
        "integration",
        "witnessPath",
        "viewer",
        "effective",
        "approved",
        "edges",
        "items",
        "action",
        "radius",
    }
)
