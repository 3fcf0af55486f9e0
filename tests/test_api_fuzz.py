"""Property-based fuzzing of the live API (hypothesis): random bodies, headers, methods,
paths, query documents and variables thrown at a running server.

Whatever arrives, the server answers below 500, without a traceback and without a
masked internal error (each would be a bug of ours), and no value from the request
reaches the log: every string the fuzzer sends carries a marker the logs must never
show. The marker holds a ``~``, which a client's X-Request-Id may not (so the request
id, the one client string that is logged on purpose, never carries it). Examples are
bounded (250, about 20 s) so the suite stays fast; NHIGRAPH_FUZZ_EXAMPLES=5000 soaks.
"""

from __future__ import annotations

import json
import logging
import os
import string
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nhigraph.api.keys import Role
from nhigraph.graph.embedded import EmbeddedStore
from tests.api_support import Live, load_demo

MARK = "Mk~q7"
EXAMPLES = int(os.environ.get("NHIGRAPH_FUZZ_EXAMPLES", "250"))  # more for a long soak

ROOT_FIELDS = ["viewer", "node", "integration", "integrations", "credentials", "tenants",
               "dataStores", "teams", "vendors", "blastRadius", "findings", "risk",
               "reviewQueue", "compromiseImpact", "credentialLookup", "whatIf",
               "sharedConnectors", "recordReview", "__typename", "__schema"]  # fmt: skip
SUB_FIELDS = ["id", "name", "nhigraphId", "edges", "node", "totalCount", "pageInfo",
              "endCursor", "credentials", "grants", "owner", "score", "stores", "items",
              "evidence", "details", "kind", "status", "blastRadius", "reviews",
              "notes"]  # fmt: skip
ARGUMENTS = ["first", "after", "where", "sort", "id", "start", "asOf", "maxChain", "minAccess",
             "identifier", "secret", "integrationId", "decision", "notes", "offset"]  # fmt: skip
TYPES = ["String", "String!", "Int", "[String!]!", "DateTime", "TeamWhere", "IntegrationWhere",
         "BlastStart!", "ReviewDecision!", "Access", "ID!", "Boolean"]  # fmt: skip


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("fuzz")
    store = EmbeddedStore(folder / "demo.db")
    load_demo(store)
    server = Live(store, folder / "keys.json", api_timeout=5)
    yield server
    server.stop()
    store.close()


# --------------------------------------------------------------------------- strategies

marked_text = st.text(max_size=12).map(lambda t: f"{t}{MARK}{t[::-1]}")
printable = st.text(alphabet=string.ascii_letters + string.digits + " -_./:;=,", max_size=10)
marked_header_value = printable.map(lambda t: f"{t.strip()}{MARK}")  # no edge spaces (h11)
names = st.from_regex(r"[_A-Za-z][_0-9A-Za-z]{0,10}", fullmatch=True)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False)
    | marked_text,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.one_of(names, marked_text), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip


@st.composite
def values(draw: st.DrawFn, depth: int = 0) -> str:
    """A GraphQL value literal (sometimes malformed)."""
    kind = draw(st.integers(0, 7 if depth < 3 else 4))
    if kind == 0:
        return json.dumps(draw(marked_text))
    if kind == 1:
        return str(draw(st.integers(-(2**40), 2**40)))
    if kind == 2:
        return draw(st.sampled_from(["true", "null", "KEEP", "READ", "ASC", "$v", "$w", "1.5e3"]))
    if kind == 3:
        return '"' + draw(marked_text).replace('"', "").replace("\\", "") + '"'
    if kind == 4:
        return draw(st.sampled_from(['"2026-11-20"', '"not-a-date"', '""', "-0", "{}", "[]"]))
    if kind == 5:
        return "[" + " ".join(draw(st.lists(values(depth + 1), max_size=3))) + "]"
    keys = [*ARGUMENTS, "NOT", "AND", "OR", "eq", "contains", "in", "name", "integrations"]
    fields = draw(st.lists(st.sampled_from(keys), max_size=3))
    return "{" + ", ".join(f"{f}: {draw(values(depth + 1))}" for f in fields) + "}"


@st.composite
def selections(draw: st.DrawFn, depth: int = 0) -> str:
    pool = ROOT_FIELDS if depth == 0 else SUB_FIELDS
    parts = []
    for name in draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3)):
        alias = f"{draw(names)}: " if draw(st.booleans()) and draw(st.booleans()) else ""
        arguments = draw(st.lists(st.sampled_from(ARGUMENTS), max_size=3, unique=True))
        args = (
            "(" + ", ".join(f"{a}: {draw(values())}" for a in arguments) + ")" if arguments else ""
        )
        below = f" {{ {draw(selections(depth + 1))} }}" if depth < 4 and draw(st.booleans()) else ""
        parts.append(f"{alias}{name}{args}{below}")
    if draw(st.integers(0, 5)) == 0:
        parts.append("...F")
    return " ".join(parts)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A query document: mostly well-formed, sometimes garbled, sometimes with fragments,
    variables, several operations."""
    kind = draw(st.sampled_from(["query", "mutation", "", "query Q", "subscription"]))
    declared = st.tuples(st.sampled_from(["v", "w", "x"]), st.sampled_from(TYPES))
    variables = draw(st.lists(declared, max_size=3, unique_by=lambda t: t[0]))
    header = kind + (
        "(" + ", ".join(f"${n}: {t}" for n, t in variables) + ")" if variables and kind else ""
    )
    text = f"{header} {{ {draw(selections())} }}"
    if draw(st.booleans()):
        text += f" fragment F on Query {{ {draw(selections())} }}"
    if draw(st.integers(0, 4)) == 0:
        text += f" query {draw(names)} {{ viewer {{ role }} }}"
    mangle = draw(st.integers(0, 5))
    if mangle == 0:  # cut it anywhere
        text = text[: draw(st.integers(0, len(text)))]
    elif mangle == 1:  # splice a marked string in anywhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(marked_text) + text[at:]
    return text


@st.composite
def graphql_bodies(draw: st.DrawFn) -> bytes:
    body: dict[str, Any] = {"query": draw(documents())}
    if draw(st.booleans()):
        body["variables"] = draw(
            st.dictionaries(st.sampled_from(["v", "w", "x", MARK]), json_values, max_size=3)
        )
    if draw(st.integers(0, 3)) == 0:
        body["operationName"] = draw(st.one_of(names, marked_text, st.just("Q")))
    if draw(st.integers(0, 9)) == 0:  # a wrong shape somewhere
        key = draw(st.sampled_from(["query", "variables", "operationName"]))
        body[key] = draw(json_values)
    text = json.dumps(body)
    if draw(st.integers(0, 9)) == 0:  # JSON escapes that decode to lone surrogates
        text = text.replace(MARK, MARK + "\\ud800", 1)
    return text.encode()


bodies = st.one_of(
    graphql_bodies(),
    graphql_bodies(),
    graphql_bodies(),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200).map(lambda b: b + MARK.encode()),
)


@st.composite
def requests(draw: st.DrawFn, keys: dict[Role, str]) -> tuple[str, str, dict[str, str], bytes]:
    method, path = draw(st.sampled_from([("POST", "/graphql")] * 8 + [
        ("GET", "/graphql"), ("GET", "/metrics"), ("GET", "/readyz"), ("GET", "/healthz"),
        ("GET", "/schema.graphql"), ("POST", "/ide/"), ("PUT", "/graphql"),
        ("OPTIONS", "/graphql"), ("POST", "/nowhere")]))  # fmt: skip
    if draw(st.integers(0, 9)) == 0:
        path = "/" + quote(draw(marked_text), safe="")
    auth = draw(st.one_of(
        st.sampled_from([f"Bearer {keys[role]}" for role in Role]),
        marked_header_value.map(lambda v: f"Bearer nhg_{v}"),
        marked_header_value,
        st.none(),
    ))  # fmt: skip
    headers = {"Content-Type": draw(st.one_of(
        st.sampled_from(["application/json", "application/json; charset=utf-8",
                         "APPLICATION/JSON", "text/plain", "multipart/form-data"]),
        marked_header_value))}  # fmt: skip
    if auth is not None:
        headers["Authorization"] = auth
    extra = draw(st.dictionaries(st.sampled_from(["X-Request-Id", "X-Forwarded-For", "Accept",
                                                  "Origin", "Cookie", "X-Anything"]),
                                 marked_header_value, max_size=3))  # fmt: skip
    headers.update(extra)
    return method, path, headers, draw(bodies)


# --------------------------------------------------------------------------- the property


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)  # fmt: skip
@given(data=st.data())
def test_no_request_gets_a_5xx_a_traceback_or_its_values_logged(
    live: Live, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    caplog.set_level(logging.DEBUG, logger="nhigraph")
    caplog.clear()
    method, path, headers, body = data.draw(requests(live.keys))
    response = live.http.request(method, path, headers=headers, content=body)
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert "Traceback" not in response.text and 'File "' not in response.text
    if path == "/graphql" and method == "POST":
        answer = response.json()
        assert "data" in answer or "errors" in answer
        codes = [e.get("extensions", {}).get("code") for e in answer.get("errors") or []]
        assert "INTERNAL_SERVER_ERROR" not in codes, answer
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert MARK not in logged
    assert all(r.exc_info is None for r in caplog.records if r.name.startswith("nhigraph"))


def test_the_fuzzer_reaches_the_server(live: Live, caplog: pytest.LogCaptureFixture) -> None:
    """The property above is not vacuous: a marked value does reach the resolvers (and
    comes back in the answer), and the log capture sees the server's lines."""
    caplog.set_level(logging.DEBUG, logger="nhigraph")
    value = f"x{MARK}"
    answer = live.post("query($v: String!) { integration(id: $v) { name } }", {"v": value})
    assert answer.json() == {"data": {"integration": None}}
    assert any(r.name == "nhigraph.api.access" for r in caplog.records)
    assert httpx.get(f"{live.url}/healthz").json() == {"status": "ok"}


def test_marked_paths_are_not_logged(live: Live, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="nhigraph")
    assert live.http.get("/" + quote(MARK)).status_code == 404
    assert MARK not in caplog.text and "other" in caplog.text
