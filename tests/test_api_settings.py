"""Settings that change what the API allows: IDE off, CORS origins, run-time limit,
introspection on; each on a live server of its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nhigraph.api.keys import Role
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.ingest.sync import read_inventories, write_batches
from tests.api_support import Live

EXAMPLES = Path(__file__).parent.parent / "examples"


@contextmanager
def served(tmp_path: Path, **settings: Any) -> Iterator[tuple[Any, dict[str, str]]]:
    store = EmbeddedStore(":memory:")
    write_batches(store, read_inventories(store, [EXAMPLES / "demo-estate.yaml"]))
    live = Live(store, tmp_path / f"keys-{len(list(tmp_path.iterdir()))}.json", **settings)
    try:
        yield live.http, {"Authorization": f"Bearer {live.keys[Role.ANALYST]}"}
    finally:
        live.stop()


def test_the_ide_can_be_turned_off(tmp_path: Path) -> None:
    with served(tmp_path) as (on, _):
        assert on.get("/ide/").status_code == 200
    with served(tmp_path, api_ide=False) as (off, _):
        assert off.get("/ide/").status_code == 404


def test_cors_is_closed_unless_origins_are_configured(tmp_path: Path) -> None:
    preflight = {"Origin": "https://dash.example.com", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"}  # fmt: skip
    with served(tmp_path) as (closed, _):
        answer = closed.options("/graphql", headers=preflight)
        assert "access-control-allow-origin" not in answer.headers
    with served(tmp_path, api_cors_origins=["https://dash.example.com"]) as (opened, _):
        answer = opened.options("/graphql", headers=preflight)
        assert answer.headers["access-control-allow-origin"] == "https://dash.example.com"
        other = opened.options("/graphql", headers={**preflight, "Origin": "https://evil.test"})
        assert "access-control-allow-origin" not in other.headers


def test_a_query_over_the_time_limit_is_cut_off(tmp_path: Path) -> None:
    with served(tmp_path, api_timeout=0.000001) as (slow, auth):
        body = slow.post(
            "/graphql",
            json={
                "query": '{ blastRadius(start: {vendors: ["inventory:vendor:ledgerly"]}) '
                "{ score } }"
            },
            headers=auth,
        ).json()
    assert body == {"errors": [{"message": "the query ran longer than 1e-06 s",
                                "extensions": {"code": "TIMEOUT"}}]}  # fmt: skip


def test_introspection_when_enabled(tmp_path: Path) -> None:
    with served(tmp_path, api_introspection=True) as (open_schema, auth):
        body = open_schema.post(
            "/graphql", json={"query": '{ __type(name: "Integration") { name } }'}, headers=auth
        ).json()
        assert body == {"data": {"__type": {"name": "Integration"}}}
        typo = open_schema.post(
            "/graphql", json={"query": '{ integration(id: "x") { nam } }'}, headers=auth
        ).json()
        assert "Did you mean 'name'" in typo["errors"][0]["message"]
