"""A real GraphQL client library (gql, not our code) speaking to a live ``nhigraph serve``,
and the IDE the server ships: local files only, under a content security policy."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXTransport

from tests.test_cli import nhigraph

EXAMPLES = Path(__file__).parent.parent / "examples"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Served:
    def __init__(self, url: str, keys: dict[str, str], process: subprocess.Popen[str]) -> None:
        self.url = url
        self.keys = keys
        self.process = process

    def client(self, role: str) -> Client:
        transport = HTTPXTransport(
            url=f"{self.url}/graphql", headers={"Authorization": f"Bearer {self.keys[role]}"}
        )
        return Client(transport=transport, fetch_schema_from_transport=False)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("serve")
    env = {
        "NHIGRAPH_DB": str(folder / "demo.db"),
        "NHIGRAPH_API_KEYS_FILE": str(folder / "keys.json"),
    }
    ingest = nhigraph("ingest", str(EXAMPLES / "demo-estate.yaml"), str(EXAMPLES / "owners.csv"),
                      env=env)  # fmt: skip
    assert ingest.returncode == 0, ingest.stderr
    keys = {}
    for role in ("reader", "analyst"):
        made = nhigraph("api-key", "create", "--name", f"gql {role}", "--role", role, "--json",
                        env=env)  # fmt: skip
        assert made.returncode == 0, made.stderr
        keys[role] = json.loads(made.stdout)["key"]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "nhigraph", "serve", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "nhigraph serve did not become ready"
        time.sleep(0.1)
    yield Served(url, keys, process)
    process.terminate()
    _, stderr = process.communicate(timeout=10)
    # The server's log lines are JSON access records (after its one-line banner).
    lines = [line for line in stderr.splitlines() if line.startswith("{")]
    assert lines and all(json.loads(line)["path"] for line in lines)
    assert "Traceback" not in stderr, stderr[-3000:]


def test_a_graphql_client_library_queries_the_live_server(served: Served) -> None:
    with served.client("analyst") as session:
        request = gql("""query Radius($vendor: String!) {
              viewer { role }
              blastRadius(start: {vendors: [$vendor]}, asOf: "2026-11-20") {
                score tenants { tenantId access } } }""")
        request.variable_values = {"vendor": "inventory:vendor:ledgerly"}
        result = session.execute(request)
    assert result["viewer"] == {"role": "analyst"}
    assert result["blastRadius"]["tenants"] == [
        {"tenantId": "google_workspace:northwind", "access": "READ"},
        {"tenantId": "m365:northwind", "access": "WRITE"},
    ]
    assert result["blastRadius"]["score"] == 61.0
    with served.client("reader") as session:
        page = session.execute(gql("{ teams(first: 3) { totalCount edges { node { name } } } }"))
        assert page["teams"]["totalCount"] == 9
        assert [e["node"]["name"] for e in page["teams"]["edges"]] == [
            "Customer Support",
            "Data Engineering",
            "Finance",
        ]
        with pytest.raises(TransportQueryError) as denied:
            session.execute(gql('{ blastRadius(start: {teams: ["x:y"]}) { score } }'))
    assert denied.value.errors is not None
    assert denied.value.errors[0]["extensions"] == {"code": "FORBIDDEN"}


def test_the_ide_is_served_from_the_package_under_a_csp(served: Served) -> None:
    page = httpx.get(f"{served.url}/ide/")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    assert "graphiql-container" in page.text or "graphiql" in page.text.lower()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("./") or a.startswith("data:") for a in assets), assets
    for asset in assets:
        if asset.startswith("./"):
            served_asset = httpx.get(f"{served.url}/ide/{asset[2:]}")
            assert served_asset.status_code == 200, asset
    script = httpx.get(f"{served.url}/ide/ide.js").text
    assert "shouldPersistHeaders: false" in script
    assert not re.search(r"https?://", script)
    gzipped = httpx.get(f"{served.url}/ide/graphiql.min.js", headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["content-encoding"] == "gzip"
