"""The live API server the API tests share: the README's demo estate in one store per
engine, a uvicorn server on a free port, and keys of every role (fixture ``api``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from nhigraph.api.app import create_app
from nhigraph.api.keys import ApiKeys, Role
from nhigraph.api.serving import server_config
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.store import Store
from nhigraph.ingest.source import read_saved
from nhigraph.ingest.sources import get_source
from nhigraph.ingest.sync import read_inventories, read_source, write_batches
from nhigraph.ingest.vendors import link_vendors
from nhigraph.secrets import Fingerprinter
from nhigraph.settings import Settings
from tests.conftest import neo4j_password, neo4j_uri

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
SAAS = [("msgraph", None), ("google", None), ("github", "tailspin"), ("slack", "E07TAILSPIN"),
        ("okta", None), ("salesforce", None), ("aws", None)]  # fmt: skip
SYNCBRIDGE = "salesforce:northwind:connected-app:syncbridge"
LEDGERLY = "inventory:vendor:ledgerly"
AS_OF = "2026-11-20T00:00:00Z"


def load_demo(store: Store) -> None:
    fingerprinter = Fingerprinter(b"api-test-fingerprint-key-000001")
    paths = [EXAMPLES / "demo-estate.yaml", EXAMPLES / "owners.csv"]
    write_batches(store, read_inventories(store, paths))
    for name, tenant in SAAS:
        source = get_source(name)
        raw = read_saved(source, EXAMPLES / "saas" / name, tenant)
        write_batches(store, read_source(source, [raw], fingerprinter).batches)
    write_batches(store, read_inventories(store, [EXAMPLES / "tailspin-people.yaml"]))
    link_vendors(store)


class Live:
    """A uvicorn server on a free port in a thread, and keys of every role."""

    def __init__(self, store: Store, keys_file: Path, **settings: Any) -> None:
        self.store = store
        self.keyring = ApiKeys(keys_file)
        self.keys = {role: self.keyring.create(f"test {role}", role)[1] for role in Role}
        self.settings = Settings(api_keys_file=keys_file, **settings)
        config = server_config(
            create_app(self.settings, store=store), self.settings, "127.0.0.1", 0, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the API did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.http = httpx.Client(base_url=self.url, timeout=30)

    def post(
        self, query: str, variables: dict[str, Any] | None = None, role: Role = Role.ANALYST
    ) -> httpx.Response:
        return self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.keys[role]}"},
        )

    def data(self, query: str, variables: dict[str, Any] | None = None,
             role: Role = Role.ANALYST) -> Any:  # fmt: skip
        response = self.post(query, variables, role)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def codes(self, query: str, variables: dict[str, Any] | None = None,
              role: Role = Role.ANALYST) -> list[str]:  # fmt: skip
        return [e["extensions"]["code"] for e in self.post(query, variables, role).json()["errors"]]

    def stop(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module", params=["embedded", "neo4j"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp(f"api-{request.param}")
    store: Store
    if request.param == "embedded":
        store = EmbeddedStore(folder / "demo.db")
    else:
        request.getfixturevalue("neo4j_server")
        store = Neo4jStore(neo4j_uri(), "neo4j", neo4j_password())
        store.clear()
    load_demo(store)
    live = Live(store, folder / "keys.json")
    yield live
    live.stop()
    store.close()
