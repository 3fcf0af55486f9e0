"""Shared fixtures: the two stores behind one ``store`` fixture, and the real Neo4j.

The Neo4j tests talk to the server that scripts/neo4j-server starts (scripts/test
starts it before pytest). When it cannot be reached they fail; they never skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from nhigraph.errors import StoreError
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.neo4j_store import Neo4jStore

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def neo4j_uri() -> str:
    return f"bolt://127.0.0.1:{os.environ.get('NHIGRAPH_NEO4J_PORT', '7687')}"


def neo4j_password() -> str:
    return os.environ.get("NHIGRAPH_NEO4J_PASSWORD", "nhigraph-test")


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[Neo4jStore]:
    try:
        store = Neo4jStore(neo4j_uri(), "neo4j", neo4j_password())
    except StoreError as exc:
        pytest.fail(
            f"the Neo4j test server is not answering ({exc}); start it with "
            "`scripts/neo4j-server start` or run everything with `scripts/test`",
            pytrace=False,
        )
    yield store
    store.close()


@pytest.fixture
def neo4j_store(neo4j_server: Neo4jStore) -> Neo4jStore:
    neo4j_server.clear()
    return neo4j_server


@pytest.fixture
def embedded_store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "nhigraph.db")
    yield store
    store.close()


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest) -> EmbeddedStore | Neo4jStore:
    name = "embedded_store" if request.param == "embedded" else "neo4j_store"
    result: EmbeddedStore | Neo4jStore = request.getfixturevalue(name)
    return result


# The live API server (module-scoped, both engines) the API tests share.
from tests.api_support import api  # noqa: E402, F401
