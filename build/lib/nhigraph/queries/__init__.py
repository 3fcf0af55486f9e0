"""The Cypher text nhigraph runs against Neo4j: one query per ``.cypher`` file, loaded by name.

Only the Neo4j store reads these. Every query takes parameters; none is built from
strings. Each file starts with a ``//`` comment saying what it returns.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def load(name: str) -> str:
    """The text of ``queries/<name>.cypher``."""
    return (files(__package__) / f"{name}.cypher").read_text(encoding="utf-8")


def statements(name: str) -> list[str]:
    """The statements of a schema file (one per line, ``;``-terminated), comments dropped."""
    return [
        line.strip().rstrip(";")
        for line in load(name).splitlines()
        if line.strip() and not line.lstrip().startswith("//")
    ]
