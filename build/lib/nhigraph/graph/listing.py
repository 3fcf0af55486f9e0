"""Listing nodes: filter, sort and cut into pages with opaque cursors. Pure functions.

The API's connections (``integrations(first, after, where, sort)``) are answered
here over the nodes of one label, in the style of Neo4j's GraphQL library: a
condition is a field test (``eq``, ``contains``, ``in``, ``startsWith``, ``lt``,
``gt``) or an
``AND``/``OR``/``NOT`` of conditions. Values compare as the stored JSON values do:
text by code point, timestamps as their canonical text (which sorts in time
order), booleans and numbers as themselves. Cost: O(n log n) for n nodes of the
label, per request; the API caps page sizes, not this.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nhigraph.errors import NhigraphError


class BadCursor(NhigraphError):
    code = "BAD_CURSOR"


@dataclass(frozen=True, slots=True)
class FieldTest:
    field: str
    op: str  # eq | contains | in | startsWith | lt | gt
    value: Any


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Condition


Condition = FieldTest | AllOf | AnyOf | Not


def matches(props: Mapping[str, Any], condition: Condition) -> bool:
    """Whether a node's properties satisfy ``condition``."""
    if isinstance(condition, AllOf):
        return all(matches(props, c) for c in condition.parts)
    if isinstance(condition, AnyOf):
        return any(matches(props, c) for c in condition.parts)
    if isinstance(condition, Not):
        return not matches(props, condition.part)
    value = props.get(condition.field)
    if condition.op == "eq":
        return bool(value == condition.value)
    if condition.op == "in":
        return value in condition.value
    if value is None:
        return False
    if condition.op == "contains":
        return str(condition.value).casefold() in str(value).casefold()
    if condition.op == "startsWith":
        return str(value).startswith(str(condition.value))
    if condition.op in ("lt", "gt"):
        if type(value) is not type(condition.value):
            return False
        return bool(value < condition.value if condition.op == "lt" else value > condition.value)
    raise ValueError(f"unknown operator {condition.op}")


@dataclass(frozen=True, slots=True)
class Page:
    items: tuple[Any, ...]
    cursors: tuple[str, ...]
    has_next: bool
    has_previous: bool
    total: int


def _sort_key(props: Mapping[str, Any], node_id: str, fields: Sequence[str]) -> tuple[Any, ...]:
    # None sorts first; mixed types compare by type name first so nothing raises.
    key: list[Any] = []
    for field in fields:
        value = node_id if field == "id" else props.get(field)
        key.append((value is not None, type(value).__name__, value))
    key.append((True, "str", node_id))
    return tuple(key)


def cursor_of(key: tuple[Any, ...]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def _key_from(cursor: str) -> tuple[Any, ...]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return tuple(tuple(part) for part in raw)
    except (ValueError, TypeError):
        raise BadCursor("'after' is not a cursor this API gave out") from None


def page(
    items: Sequence[Any],
    id_of: Callable[[Any], str],
    props_of: Callable[[Any], Mapping[str, Any]],
    where: Condition | None,
    sort: Sequence[tuple[str, bool]],
    first: int,
    after: str | None,
) -> Page:
    """``first`` items after the cursor ``after``, of ``items`` that match ``where``, ordered
    by ``sort`` ((field, descending) pairs; then by id). A cursor is the item's sort key;
    a cursor whose item has gone since is refused rather than silently skipping."""
    chosen = [i for i in items if where is None or matches(props_of(i), where)]
    fields = [f for f, _ in sort]
    keyed = [(_sort_key(props_of(i), id_of(i), fields), i) for i in chosen]
    # Sort by each field in its direction: stable sorts from the last field to the first.
    keyed.sort(key=lambda pair: pair[0][-1])
    for index in range(len(sort) - 1, -1, -1):
        keyed.sort(key=_by(index), reverse=sort[index][1])
    start = 0
    if after is not None:
        wanted = _key_from(after)
        positions = [n for n, (key, _) in enumerate(keyed) if _as_lists(key) == _as_lists(wanted)]
        if not positions:
            raise BadCursor("'after' points at nothing in this listing (has it changed?)")
        start = positions[0] + 1
    window = keyed[start : start + first]
    return Page(
        items=tuple(item for _, item in window),
        cursors=tuple(cursor_of(key) for key, _ in window),
        has_next=start + first < len(keyed),
        has_previous=start > 0,
        total=len(keyed),
    )


def _by(index: int) -> Callable[[tuple[tuple[Any, ...], Any]], Any]:
    return lambda pair: pair[0][index]


def _as_lists(key: tuple[Any, ...]) -> list[list[Any]]:
    return [list(part) for part in key]
