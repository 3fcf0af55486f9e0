"""Issue #11 over real HTTP: each abusive or malformed request of the security review gets
a cheap, coded refusal, and nothing it carries leaks into responses, logs, metrics or the
store. Each test sends the review's request to a live server and checks the status, the
error code, the log lines, the metrics and the store."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from nhigraph.api import limits as query_limits
from nhigraph.api.keys import Role
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.store import Batch, NodeRow, RelRow, SyncRun
from tests.api_support import AS_OF, SYNCBRIDGE, Live, load_demo
from tests.conftest import neo4j_password, neo4j_uri

TOKEN = "ghp_" + "Zq7pasted0token0in0a0form0field0000000"  # a GitHub token's shape


# --------------------------------------------------------------------------- helpers


def send(
    api: Live, body: str | bytes, role: Role = Role.READER, headers: dict[str, str] | None = None
) -> httpx.Response:
    """POST a body exactly as given (the review's requests are not all valid JSON)."""
    return api.http.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"Bearer {api.keys[role]}",
                 "Content-Type": "application/json", **(headers or {})},
    )  # fmt: skip


def sample(api: Live, name: str, **labels: str) -> float:
    """One sample of /metrics (0 when the series does not exist yet)."""
    text = api.http.get("/metrics").text
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "nhigraph.api.access"]


def reviews(api: Live) -> int:
    return api.store.stats().nodes.get("Review", 0)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def fragment_bomb(levels: int, leaf: str = "viewer { role }") -> str:
    """F1 spreads F2 twice, F2 spreads F3 twice, ...: 2^levels leaves once expanded."""
    spreads = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(1, levels)
    )
    return f"query {{ ...F1 }} {spreads} fragment F{levels} on Query {{ {leaf} }}"


def nested(key: str, levels: int, inner: Any) -> Any:
    value = inner
    for _ in range(levels):
        value = {key: value} if key != "AND" else {key: [value]}
    return value


# --------------------------------------------------------------------------- row 1


def test_row1_a_fragment_bomb_is_refused_as_too_costly(api: Live, logs: Any) -> None:
    query = fragment_bomb(21)
    body = json.dumps({"query": query})
    assert 800 < len(body) < 1000  # the review's request: 21 levels, 882 bytes
    before = sample(api, "nhigraph_graphql_errors_total", operation="refused",
                    code="QUERY_TOO_COSTLY")  # fmt: skip
    response = send(api, body, Role.READER)
    assert response.status_code == 200
    assert response.json() == {"errors": [{
        "message": "the query selects more than 10000 fields once its fragments are expanded",
        "extensions": {"code": "QUERY_TOO_COSTLY"}}]}  # fmt: skip
    assert sample(api, "nhigraph_graphql_errors_total", operation="refused",
                  code="QUERY_TOO_COSTLY") == before + 1  # fmt: skip
    assert access_lines(logs)[-1]["status"] == 200
    # Only scalars at the bottom: no node estimate, but 2^20 fields once expanded.
    scalars = send(api, json.dumps({"query": fragment_bomb(21, "__typename")}))
    assert scalars.json()["errors"][0] == response.json()["errors"][0]
    # Connections at the bottom: the node estimate is over first.
    connections = send(api, json.dumps({"query": fragment_bomb(8, "teams(first: 100) { "
                                                               "totalCount }")}))  # fmt: skip
    assert connections.json()["errors"][0] == {
        "message": "the query could return about 12800 nodes; at most 10000 (ask for fewer "
                   "with first, or split it)",
        "extensions": {"code": "QUERY_TOO_COSTLY"}}  # fmt: skip
    # The cap is what 2,000 tokens allowed to go to ~190 levels: refused the same way.
    deepest = send(api, json.dumps({"query": fragment_bomb(190, "__typename")}))
    assert deepest.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


def test_row1_the_cost_walk_visits_each_fragment_once_per_depth(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = 0
    walk = query_limits._Walker.cost

    def counted(self: Any, *args: Any, **kwargs: Any) -> int:
        nonlocal calls
        calls += 1
        return walk(self, *args, **kwargs)

    monkeypatch.setattr(query_limits._Walker, "cost", counted)
    limits = query_limits.Limits(max_nodes=10**9)  # walk it all: no early refusal
    query_limits.check(fragment_bomb(21), None, limits)
    # 21 fragments, each walked once, plus the operation's selection set and the leaf's
    # two levels (viewer's, and role's none); re-expanding every spread: 2^21 walks.
    assert calls == 24


# --------------------------------------------------------------------------- row 2


@pytest.mark.parametrize(
    ("what", "body", "message"),
    [
        (
            "NOT 1,000 deep in a variable",
            '{"query": "query($w: TeamWhere) { teams(first: 1, where: $w) { totalCount } }", '
            '"variables": {"w": ' + '{"NOT": ' * 1000 + "{}" + "}" * 1000 + "}}",
            "the body nests too deeply to be read",
        ),
        (
            "NOT 100 deep in a variable",
            '{"query": "query($w: TeamWhere) { teams(first: 1, where: $w) { totalCount } }", '
            '"variables": {"w": ' + '{"NOT": ' * 100 + "{}" + "}" * 100 + "}}",
            "the variables nest deeper than 32 levels",
        ),
        (
            "AND 3,000 deep in a variable",
            '{"query": "query($w: TeamWhere) { teams(first: 1, where: $w) { totalCount } }", '
            '"variables": {"w": ' + '{"AND": [' * 3000 + "{}" + "]}" * 3000 + "}}",
            "the body nests too deeply to be read",
        ),
        (
            "a 5,000-deep JSON variable",
            '{"query": "{ viewer { role } }", "variables": {"v": ' + "[" * 5000 + "]" * 5000 + "}}",
            "the body nests too deeply to be read",
        ),
        (
            "NOT 40 deep in the query text",
            json.dumps(
                {
                    "query": "{ teams(first: 1, where: "
                    + "{NOT: " * 40
                    + "{}"
                    + "}" * 40
                    + ") { totalCount } }"
                }
            ),
            "an argument value nests deeper than 32 levels",
        ),
        (
            "NOT 250 deep in the query text (past the parser's own limit)",
            json.dumps(
                {
                    "query": "{ teams(first: 1, where: "
                    + "{NOT: " * 250
                    + "{}"
                    + "}" * 250
                    + ") { totalCount } }"
                }
            ),
            "the query nests deeper than the parser allows (argument values: at most 32 levels)",
        ),
    ],
)
def test_row2_deep_nesting_is_a_logged_and_counted_400(
    api: Live, logs: Any, what: str, body: str, message: str
) -> None:
    labels = {"path": "/graphql", "method": "POST", "status": "400"}
    before = sample(api, "nhigraph_http_requests_total", **labels)
    refused = sample(api, "nhigraph_graphql_errors_total", operation="refused",
                     code="BAD_REQUEST")  # fmt: skip
    response = send(api, body, headers={"X-Request-Id": "row2-probe"})
    assert response.status_code == 400, what
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"errors": [{"message": message,
                                           "extensions": {"code": "BAD_REQUEST"}}]}  # fmt: skip
    line = access_lines(logs)[-1]
    assert (line["request_id"], line["status"], line["path"]) == ("row2-probe", 400, "/graphql")
    assert sample(api, "nhigraph_http_requests_total", **labels) == before + 1
    assert sample(api, "nhigraph_graphql_errors_total", operation="refused",
                  code="BAD_REQUEST") == refused + 1  # fmt: skip
    assert "Traceback" not in logs.text and "RecursionError" not in logs.text
    # Within the limit (29 NOTs and the test: 31 levels), the filter is answered.
    shallow = {"query": "query($w: TeamWhere) { teams(first: 1, where: $w) { totalCount } }",
               "variables": {"w": nested("NOT", 29, {"name": {"eq": "nobody"}})}}  # fmt: skip
    teams = api.data("{ teams(first: 1) { totalCount } }")["teams"]["totalCount"]
    assert teams > 0
    assert send(api, json.dumps(shallow)).json() == {"data": {"teams": {"totalCount": teams}}}


# --------------------------------------------------------------------------- row 3


def test_row3_an_operation_name_that_names_no_operation_is_a_400(api: Live) -> None:
    cases = {
        json.dumps({"query": "query A { viewer { role } }", "operationName": "B"}):
            "'operationName' names no operation in the query",
        json.dumps({"query": "query A { viewer { role } } query B { viewer { name } }"}):
            "the query holds several operations: name the one to run in 'operationName'",
        json.dumps({"query": "fragment F on Query { viewer { role } }"}):
            "the query holds no operation, only fragments",
    }  # fmt: skip
    for body, message in cases.items():
        response = send(api, body)
        assert response.status_code == 400
        assert response.json() == {"errors": [{"message": message,
                                               "extensions": {"code": "BAD_REQUEST"}}]}  # fmt: skip
    chosen = json.dumps({"query": "query A { viewer { role } } query B { viewer { name } }",
                         "operationName": "B"})  # fmt: skip
    assert send(api, chosen).json() == {"data": {"viewer": {"name": "test reader"}}}


# --------------------------------------------------------------------------- row 4


def test_row4_a_lone_surrogate_is_bad_user_input(api: Live, logs: Any) -> None:
    for query in ("query($id: String!) { integration(id: $id) { name } }",
                  "query($id: ID!) { node(id: $id) { id } }"):  # fmt: skip
        body = json.dumps({"query": query, "variables": {"id": "x"}}).replace('"x"', '"\\ud800"')
        response = send(api, body)
        assert response.status_code == 400
        assert response.json() == {"errors": [{
            "message": "variable $id holds a lone surrogate: not valid Unicode",
            "extensions": {"code": "BAD_USER_INPUT"}}]}  # fmt: skip
    nested_value = json.dumps(
        {
            "query": "query($s: BlastStart!) { blastRadius(start: $s) { score } }",
            "variables": {"s": {"integrations": ["ok", "x"]}},
        }
    ).replace('"x"', '"a\\udfffb"')
    assert send(api, nested_value).json()["errors"][0]["message"] == (
        "variable $s.integrations[1] holds a lone surrogate: not valid Unicode"
    )
    # In the query text it is GraphQL's own syntax error.
    literal = send(api, '{"query": "{ integration(id: \\"\\\\ud800\\") { name } }"}')
    assert literal.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert "INTERNAL_SERVER_ERROR" not in logs.text and "UnicodeEncodeError" not in logs.text


# --------------------------------------------------------------------------- row 5


ROW5 = [
    (
        "a wrong variable type",
        "query($m: Int) { integration(id: \"x\") { blastRadius(maxChain: $m) { score } } }",
        {"m": TOKEN},
        "Variable '$m' at 'm' is not a valid Int",
    ),
    (
        "an unknown input field",
        "query($w: TeamWhere) { teams(first: 1, where: $w) { totalCount } }",
        {"w": {"NOT": {TOKEN: {"eq": "x"}}}},
        "Variable '$w' at 'w.NOT' has a field that TeamWhere does not define",
    ),
    (
        "a bad enum value",
        "mutation($d: ReviewDecision!) { recordReview(integrationId: \"x\", decision: $d) "
        "{ nhigraphId } }",
        {"d": TOKEN},
        "Variable '$d' at 'd' is not a ReviewDecision value",
    ),
    (
        "a bad enum value shaped like the error message",
        "mutation($d: ReviewDecision!) { recordReview(integrationId: \"x\", decision: $d) "
        "{ nhigraphId } }",
        {"d": f"x' does not exist in '{TOKEN}' enum. Value 'y"},
        "Variable '$d' at 'd' is not a ReviewDecision value",
    ),
    (
        "asOf that is not a date",
        "query($at: DateTime) { findings(first: 1, asOf: $at) { totalCount } }",
        {"at": "not-a-date " + TOKEN},
        "Variable '$at' at 'at' is not a valid DateTime",
    ),
    (
        "a nested wrong type",
        "query($w: IntegrationWhere) { integrations(first: 1, where: $w) { totalCount } }",
        {"w": {"OR": [{"name": {"eq": "a"}}, {"createdAt": {"gt": TOKEN}}]}},
        "Variable '$w' at 'w.OR[1].createdAt.gt' is not a valid DateTime",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("what", "query", "variables", "message"), ROW5)
def test_row5_bad_values_name_the_variable_and_field_never_the_value(
    api: Live, logs: Any, what: str, query: str, variables: dict[str, Any], message: str
) -> None:
    before = reviews(api)
    response = send(api, json.dumps({"query": query, "variables": variables}), Role.ADMIN)
    assert response.status_code == 200
    errors = response.json()["errors"]
    assert [(e["message"], e["extensions"]["code"]) for e in errors] == [
        (message, "BAD_USER_INPUT")
    ], what
    assert TOKEN not in response.text and TOKEN not in logs.text
    assert "not-a-date" not in response.text
    assert reviews(api) == before


def test_row5_literal_values_and_long_notes_are_bad_user_input(api: Live, logs: Any) -> None:
    literal = send(api, json.dumps({"query": '{ findings(first: 1, asOf: "not-a-date") '
                                             "{ totalCount } }"}), Role.ANALYST)  # fmt: skip
    assert literal.json()["errors"][0]["message"] == "An argument value is not a valid DateTime"
    assert literal.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    before = reviews(api)
    notes = "a long note " * 200  # 2,400 characters
    mutation = """mutation($id: String!, $n: String) { recordReview(integrationId: $id,
        decision: KEEP, notes: $n) { nhigraphId } }"""
    variables = {"id": SYNCBRIDGE, "n": notes}
    response = send(api, json.dumps({"query": mutation, "variables": variables}), Role.ADMIN)
    assert response.json()["errors"][0]["message"] == "notes have 2399 characters; at most 2000"
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "a long note" not in logs.text and "not-a-date" not in literal.text
    assert reviews(api) == before


# --------------------------------------------------------------------------- row 6


def test_row6_no_suggestions_anywhere_while_introspection_is_off(api: Live) -> None:
    probes = {
        'mutation { recordReview(integrationId: "x", decision: KEP) { id } }':
            "An argument value is not a ReviewDecision value",
        "query($w: Integratio) { integrations(first: 1, where: $w) { totalCount } }":
            "Unknown type 'Integratio'.",
        "{ integrations(first: 1) { edges { node { nam } } } }":
            "Cannot query field 'nam' on type 'Integration'.",
        "{ integrations(first: 1, frist: 1) { totalCount } }":
            "Unknown argument 'frist' on field 'Query.integrations'.",
    }  # fmt: skip
    for query, first_message in probes.items():
        response = send(api, json.dumps({"query": query}), Role.ADMIN)
        assert "Did you mean" not in response.text, query
        assert first_message in [e["message"] for e in response.json()["errors"]]
    variable = send(api, json.dumps({
        "query": "mutation($d: ReviewDecision!) { recordReview(integrationId: \"x\", "
                 "decision: $d) { id } }", "variables": {"d": "KEP"}}), Role.ADMIN)  # fmt: skip
    assert "Did you mean" not in variable.text and "KEEP" not in variable.text


# --------------------------------------------------------------------------- row 7


def test_row7_review_notes_holding_a_secret_are_refused(api: Live, logs: Any) -> None:
    before = api.store.stats()
    mutation = """mutation($id: String!, $n: String) { recordReview(integrationId: $id,
        decision: KEEP, notes: $n) { nhigraphId notes } }"""
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----"
    for notes in (f"rotated, new one is {TOKEN}", "xoxb-1234567890-abcdefghij", pem):
        variables = {"id": SYNCBRIDGE, "n": notes}
        response = send(api, json.dumps({"query": mutation, "variables": variables}), Role.ADMIN)
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert re.fullmatch(
            r"notes look like they hold (a GitHub token|a Slack token|a private key); reviews "
            r"are readable by every reader, so leave the secret out \(and revoke it if it is "
            r"real\)", error["message"]
        )  # fmt: skip
        assert notes not in response.text and notes not in logs.text
    assert api.store.stats() == before
    ordinary = send(api, json.dumps({"query": mutation, "variables": {
        "id": SYNCBRIDGE, "n": "keep: the sales team still uses it"}}), Role.ADMIN)  # fmt: skip
    assert ordinary.json()["data"]["recordReview"]["notes"] == "keep: the sales team still uses it"


# --------------------------------------------------------------------------- row 8


@contextmanager
def shared_secret_api(tmp_path: Path, **settings: Any) -> Iterator[Live]:
    """The demo estate plus two integrations whose credentials hold the same secret."""
    store = EmbeddedStore(tmp_path / "shared.db")
    load_demo(store)
    fingerprint = "hmac-sha256:" + "ab" * 32
    nodes = [NodeRow("Integration", f"test:app:{n}", {"name": f"App {n}", "kind": "api_key",
                                                           "status": "enabled"})
             for n in ("one", "two")]  # fmt: skip
    nodes += [NodeRow("Credential", f"test:cred:{n}", {"kind": "api_key", "status": "active",
                                                       "fingerprint": fingerprint})
              for n in ("one", "two")]  # fmt: skip
    rels = [RelRow("HAS_CREDENTIAL", f"test:app:{n}", f"test:cred:{n}") for n in ("one", "two")]
    store.upsert(Batch("inventory", "test", nodes, rels), SyncRun.start())
    live = Live(store, tmp_path / "keys.json", **settings)
    try:
        yield live
    finally:
        live.stop()
        store.close()


def test_row8_fingerprints_never_leave_the_store(tmp_path: Path) -> None:
    with shared_secret_api(tmp_path) as api:
        assert api.store.get_node("test:cred:one").props["fingerprint"].startswith("hmac-sha256")
        found = api.data(f"""{{ findings(first: 100, rules: ["NHI-SEC-002"], asOf: "{AS_OF}")
            {{ totalCount items {{ subject evidence }} }} }}""")["findings"]
        assert found["totalCount"] == 2
        assert found["items"][0]["evidence"] == {
            "credentials": ["test:cred:one", "test:cred:two"],
            "integrations": ["test:app:one", "test:app:two"],
        }
        every = [
            '{ credentials(first: 100) { edges { node { nhigraphId hasFingerprint identifier '
            'source } } } }',
            f'{{ compromiseImpact(start: {{credentials: ["test:cred:one"]}}, asOf: "{AS_OF}") '
            '{ details plan { identifier why note } } }',
            '{ whatIf(revokeCredentials: ["test:cred:one"]) { details } }',
            f'{{ risk(first: 100, asOf: "{AS_OF}") {{ items {{ factors {{ detail }} }} }} }}',
            '{ credentialLookup(secret: "anything") { credentialId how } }',
        ]  # fmt: skip
        for query in every:
            text = api.post(query, role=Role.ADMIN).text
            assert "hmac-sha256" not in text and "abababab" not in text, query


# --------------------------------------------------------------------------- row 9


def test_row9_metric_labels_come_from_the_schema_only(api: Live) -> None:
    size_before = len(api.http.get("/metrics").text)
    other = sample(api, "nhigraph_graphql_operations_total", operation="query:other",
                   outcome="error")  # fmt: skip
    for n in range(300):
        send(api, json.dumps({"query": f"{{ zz{n}probe {{ id }} }}"}))
        send(api, json.dumps({"query": f"query {{ ...Frag{n} }} fragment Frag{n} on Query "
                                       "{ viewer { role } }"}))  # fmt: skip
    api.http.request("PROPFIND", "/graphql")
    text = api.http.get("/metrics").text
    assert "zz" not in text and "Frag" not in text and "PROPFIND" not in text
    assert sample(api, "nhigraph_graphql_operations_total", operation="query:other",
                  outcome="error") == other + 300  # fmt: skip
    assert sample(api, "nhigraph_graphql_operations_total", operation="query:viewer",
                  outcome="ok") >= 300  # fmt: skip
    assert sample(api, "nhigraph_http_requests_total", path="/graphql", method="other",
                  status="405") >= 1  # fmt: skip
    assert len(text) - size_before < 4000  # a few series gained, not one per request


def test_row9_metrics_behind_a_key_or_on_their_own_address(tmp_path: Path) -> None:
    store = EmbeddedStore(":memory:")
    keyed = Live(store, tmp_path / "k1.json", api_metrics_key="m-" + "k" * 30)
    try:
        assert keyed.http.get("/metrics").status_code == 401
        assert keyed.http.get("/metrics").json()["errors"][0]["extensions"]["code"] == (
            "UNAUTHENTICATED"
        )
        wrong = keyed.http.get("/metrics", headers={"Authorization": "Bearer m-wrong"})
        assert wrong.status_code == 401
        right = keyed.http.get("/metrics", headers={"Authorization": "Bearer m-" + "k" * 30})
        assert right.status_code == 200 and "nhigraph_http_requests_total" in right.text
    finally:
        keyed.stop()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    apart = Live(store, tmp_path / "k2.json", api_metrics_listen=f"127.0.0.1:{port}")
    try:
        assert apart.http.get("/metrics").status_code == 404
        apart.data("{ viewer { role } }")
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        assert 'nhigraph_graphql_operations_total{operation="query:viewer",outcome="ok"} 1.0' in (
            metrics
        )
    finally:
        apart.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


# --------------------------------------------------------------------------- rows 11, 12


@contextmanager
def guarded(tmp_path: Path, **settings: Any) -> Iterator[Live]:
    store = EmbeddedStore(":memory:")
    live = Live(store, tmp_path / f"keys-{len(list(tmp_path.iterdir()))}.json", **settings)
    try:
        yield live
    finally:
        live.stop()
        store.close()


def _connect(live: Live) -> socket.socket:
    host, port = live.url.removeprefix("http://").split(":")
    conn = socket.create_connection((host, int(port)), timeout=15)
    return conn


def _read_all(conn: socket.socket) -> bytes:
    """Everything until the server closes the connection (a socket timeout fails the test)."""
    data = b""
    while chunk := conn.recv(65536):
        data += chunk
    return data


def test_row11_slow_and_half_open_clients_are_cut_off(tmp_path: Path, logs: Any) -> None:
    with guarded(tmp_path, api_header_timeout=0.5, api_body_timeout=0.5,
                 api_max_connections=60) as live:  # fmt: skip
        # Headers never finished: a JSON 408, then the connection is closed.
        slow_headers = _connect(live)
        slow_headers.sendall(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: appl")
        answer = _read_all(slow_headers)
        assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
        assert json.loads(answer.split(b"\r\n\r\n", 1)[1]) == {"errors": [{
            "message": "the request's headers did not arrive in time",
            "extensions": {"code": "HEADER_TIMEOUT"}}]}  # fmt: skip
        # A body at one byte per two seconds: closed; the app logs the 408.
        auth = f"Authorization: Bearer {live.keys[Role.READER]}\r\n".encode()
        slow_body = _connect(live)
        slow_body.sendall(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                          b"\r\nContent-Length: 40\r\n" + auth + b"\r\n{")  # fmt: skip
        time.sleep(0.3)
        slow_body.sendall(b'"')
        assert _read_all(slow_body) == b""
        deadline = time.monotonic() + 10
        while not any(line["status"] == 408 for line in access_lines(logs)):
            assert time.monotonic() < deadline, "the body timeout was not logged"
            time.sleep(0.05)
        # 50 half-sent bodies: every one closed.
        half = [_connect(live) for _ in range(50)]
        for conn in half:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab")
        for conn in half:
            assert b"HTTP/1.1 200" in _read_all(conn)  # answered, then cut off
            conn.close()
        assert live.http.get("/healthz").json() == {"status": "ok"}


def test_row11_connections_over_the_cap_get_a_coded_503(tmp_path: Path) -> None:
    with guarded(tmp_path, api_header_timeout=30, api_max_connections=5) as live:
        idle = [_connect(live) for _ in range(5)]
        for conn in idle:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # headers unfinished
        time.sleep(0.2)
        extra = _connect(live)
        answer = _read_all(extra)
        assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
        assert b"retry-after: 1" in answer
        assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["errors"][0]["extensions"] == {
            "code": "TOO_MANY_CONNECTIONS"
        }
        for conn in idle:
            conn.close()
        time.sleep(0.2)
        assert live.http.get("/healthz").json() == {"status": "ok"}


def test_row11_nhigraph_serve_uses_the_guarded_protocol() -> None:
    from nhigraph.api.serving import GuardedH11Protocol, server_config
    from nhigraph.settings import Settings

    settings = Settings(api_header_timeout=3, api_body_timeout=7, api_max_connections=9,
                        api_keep_alive_timeout=2)  # fmt: skip
    config = server_config(object(), settings, "127.0.0.1", 8000)
    assert isinstance(config.http, type) and issubclass(config.http, GuardedH11Protocol)
    assert (config.http.header_timeout, config.http.body_timeout, config.http.max_connections
            ) == (3, 7, 9)  # fmt: skip
    assert config.timeout_keep_alive == 2 and config.h11_max_incomplete_event_size == 16384


def test_row12_a_failed_store_call_shows_no_path(tmp_path: Path, logs: Any) -> None:
    with shared_secret_api(tmp_path) as api:
        api.store._db.close()  # type: ignore[attr-defined]  # the file is gone from under it
        mutation = f"""mutation {{ recordReview(integrationId: "{SYNCBRIDGE}", decision: KEEP)
            {{ nhigraphId }} }}"""
        response = api.post(mutation, role=Role.ADMIN)
        error = response.json()["errors"][0]
        request_id = response.headers["x-request-id"]
        assert error == {
            "message": "the store did not answer; the server log has the cause under this "
                       "request id",
            "path": ["recordReview"],
            "extensions": {"code": "STORE_ERROR", "request_id": request_id},
        }  # fmt: skip
        assert str(tmp_path) not in response.text and "shared.db" not in response.text
        logged = [json.loads(r.getMessage()) for r in logs.records if r.name == "nhigraph.api"]
        assert any(
            line["request_id"] == request_id and "shared.db" in line["detail"] for line in logged
        )


# --------------------------------------------------------------------------- rows 13, 14


def test_row13_unknown_start_ids_are_echoed_a_few_with_the_count(api: Live) -> None:
    ids = [f"nope:{n}" for n in range(4000)]
    response = api.post("query($i: [String!]!) { blastRadius(start: {integrations: $i}) "
                        "{ score } }", {"i": ids})  # fmt: skip
    assert response.json()["errors"][0]["message"] == (
        "unknown start ids: nope:0, nope:1, nope:2, nope:3, nope:4 and 3995 more (4000 in all)"
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNKNOWN_START"
    assert len(response.content) < 400


def test_row14_a_cursor_of_deeply_nested_json_is_bad_user_input(api: Live, logs: Any) -> None:
    for raw in ("[" * 3000 + "]" * 3000, '{"a": 1}', "[[{}]]", "[1]"):
        cursor = base64.urlsafe_b64encode(raw.encode()).decode()
        response = api.post("query($c: String) { teams(first: 1, after: $c) { totalCount } }",
                            {"c": cursor})  # fmt: skip
        assert response.json()["errors"][0]["message"] == (
            "'after' is not a cursor this API gave out"
        )
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "RecursionError" not in logs.text


# --------------------------------------------------------------------------- the catch-all


def test_an_unexpected_exception_is_one_json_500_logged_and_counted(
    tmp_path: Path, logs: Any
) -> None:
    with guarded(tmp_path) as live:
        live.keyring.path.write_text("{ not a keys file")  # the keyring raises on every check
        response = live.http.post("/graphql", json={"query": "{ viewer { role } }"},
                                  headers={"Authorization": "Bearer nhg_whatever"})  # fmt: skip
        request_id = response.headers["x-request-id"]
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"errors": [{"message": "internal error", "extensions": {
            "code": "INTERNAL_SERVER_ERROR", "request_id": request_id}}]}  # fmt: skip
        assert response.headers["x-content-type-options"] == "nosniff"
        line = access_lines(logs)[-1]
        assert (line["request_id"], line["status"]) == (request_id, 500)
        error = [json.loads(r.getMessage()) for r in logs.records if r.name == "nhigraph.api"][-1]
        assert (error["request_id"], error["error"]) == (request_id, "ConfigError")
        assert "not a keys file" not in logs.text
        assert sample(live, "nhigraph_unhandled_errors_total", path="/graphql") == 1


# --------------------------------------------------------------------------- row 10


class BoltProxy:
    """A TCP relay in front of the test Neo4j that can freeze (keep every connection open
    and forward nothing, as a SIGSTOPped server does) or stop (close everything and refuse
    new connections, as a stopped server does)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.frozen = threading.Event()
        self.stopped = threading.Event()
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                while self.frozen.is_set() and not self.stopped.is_set():
                    time.sleep(0.05)
                if self.stopped.is_set():
                    return
                target.sendall(data)
        except OSError:
            return

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


@pytest.mark.neo4j
def test_row10_neo4j_stopped_or_frozen_is_a_store_error_and_a_timely_503(
    neo4j_server: Neo4jStore, tmp_path: Path, logs: Any
) -> None:
    port = int(neo4j_uri().rsplit(":", 1)[1])
    proxy = BoltProxy(("127.0.0.1", port))
    uri = f"bolt://127.0.0.1:{proxy.port}"
    store = Neo4jStore(uri, "neo4j", neo4j_password(), connect_timeout=1.0)
    live = Live(store, tmp_path / "keys.json", api_readyz_timeout=1.0, api_timeout=3.0)
    query = "{ teams(first: 1) { totalCount } }"
    try:
        assert live.http.get("/readyz").json() == {"status": "ready"}
        assert "teams" in live.data(query)
        # Frozen: the probe waits 1 s and answers 503; a second probe does not pile up.
        proxy.frozen.set()
        for _ in range(2):
            frozen = live.http.get("/readyz")
            assert frozen.status_code == 503
            assert frozen.json() == {"status": "unavailable",
                                     "reason": "the store did not answer within 1 s"}  # fmt: skip
        # A query gets a coded answer within its run-time limit either way: TIMEOUT when it
        # waits on a pooled connection (the driver has no read timeout), STORE_ERROR when
        # it must open one (the handshake times out after the 1 s connect timeout).
        assert live.codes(query) in (["TIMEOUT"], ["STORE_ERROR"])
        # Stopped: the driver's ServiceUnavailable is our STORE_ERROR, its address logged only.
        proxy.stop()
        deadline = time.monotonic() + 20
        while (
            (ready := live.http.get("/readyz"))
            .json()
            .get("reason", "")
            .startswith("the store did not answer")
        ):
            assert time.monotonic() < deadline, "the frozen probe never ended"
            time.sleep(0.2)
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "reason": "the store is not reachable; "
                                "the server log has the cause under this request id"}  # fmt: skip
        response = live.post(query)
        error = response.json()["errors"][0]
        assert error["extensions"] == {"code": "STORE_ERROR",
                                       "request_id": response.headers["x-request-id"]}  # fmt: skip
        for text in (response.text, ready.text):
            assert "bolt://" not in text and str(proxy.port) not in text
        logged = [json.loads(r.getMessage()) for r in logs.records if r.name == "nhigraph.api"]
        assert any(
            line["request_id"] == response.headers["x-request-id"]
            and f"Neo4j at {uri} is not reachable" in line["detail"]
            for line in logged
        )
        assert not any(r.exc_info for r in logs.records if r.name.startswith("nhigraph"))
    finally:
        live.stop()
        with contextlib.suppress(Exception):
            store.close()
