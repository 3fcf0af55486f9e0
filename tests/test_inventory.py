"""The inventory format: what it accepts, and the one-line errors for what it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nhigraph.errors import InputError
from nhigraph.graph.model import graph_json_schema
from nhigraph.ingest.inventory import read_file, secret_kind, transform, transform_csv

ROOT = Path(__file__).resolve().parent.parent

BASE = """\
format: nhigraph-inventory/v1
inventory: t
teams:
  - {id: "inventory:team:a", name: A}
tenants:
  - id: "github:acme"
    provider: github
    name: Acme
    data_stores:
      - {id: "github:acme:repo:infra", name: infra, kind: repository, classification: internal}
    scopes:
      - {name: "contents:write", access: write, can_access: ["github:acme:repo:infra"]}
integrations:
  - id: "github:acme:app:ci"
    name: CI
    kind: app_installation
    owner: "inventory:team:a"
    credentials:
      - {id: "github:acme:cred:1", kind: api_key, grants: ["github:acme/contents:write"]}
"""


def error_of(text: str, file: str = "inv.yaml") -> str:
    with pytest.raises(InputError) as excinfo:
        transform(text, file)
    message = str(excinfo.value)
    assert "\n" not in message
    return message


def test_a_valid_document_becomes_rows() -> None:
    batch = transform(BASE, "inv.yaml")
    assert (batch.source, batch.tenant) == ("inventory", "t")
    assert [(n.label, n.id) for n in batch.nodes] == [
        ("Team", "inventory:team:a"),
        ("Tenant", "github:acme"),
        ("DataStore", "github:acme:repo:infra"),
        ("Scope", "github:acme/contents:write"),
        ("Integration", "github:acme:app:ci"),
        ("Credential", "github:acme:cred:1"),
    ]
    assert sorted((r.type, r.start, r.end) for r in batch.rels) == [
        ("CAN_ACCESS", "github:acme/contents:write", "github:acme:repo:infra"),
        ("CONTAINS", "github:acme", "github:acme:repo:infra"),
        ("GRANTS", "github:acme:cred:1", "github:acme/contents:write"),
        ("HAS_CREDENTIAL", "github:acme:app:ci", "github:acme:cred:1"),
        ("OWNS", "inventory:team:a", "github:acme:app:ci"),
    ]
    scope = next(n for n in batch.nodes if n.label == "Scope")
    assert scope.props == {
        "name": "contents:write",
        "provider": "github",
        "access": "write",
        "sensitive": False,
    }


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "kind: app_installation",
            "kind: app_install",
            "inv.yaml: /integrations/0 (id github:acme:app:ci) field 'kind': Input should be "
            "'oauth_app', 'service_account', 'api_client', 'bot', 'webhook' or "
            "'app_installation'",
        ),
        (
            "name: CI",
            "name: CI\n    colour: blue",
            "inv.yaml: /integrations/0 (id github:acme:app:ci) field 'colour': unknown field",
        ),
        (
            "kind: api_key, grants",
            'kind: api_key, expires_at: "2026-01-01T10:00:00", grants',
            "inv.yaml: /integrations/0/credentials/0 (id github:acme:cred:1) field 'expires_at': "
            "timestamp needs a time zone (for example 2026-01-31T09:00:00Z)",
        ),
        (
            "kind: api_key, grants",
            'kind: api_key, expires_at: "next tuesday", grants',
            "inv.yaml: /integrations/0/credentials/0 (id github:acme:cred:1) field 'expires_at': "
            "not an ISO 8601 timestamp (expected e.g. 2026-01-31T09:00:00Z)",
        ),
        (
            'owner: "inventory:team:a"',
            'owner: "inventory:team:b"',
            "inv.yaml: /integrations/0 (id github:acme:app:ci) field 'owner': "
            "'inventory:team:b' is not a Team defined in this file or in the store",
        ),
        (
            'owner: "inventory:team:a"',
            'owner: "github:acme:repo:infra"',
            "inv.yaml: /integrations/0 (id github:acme:app:ci) field 'owner': "
            "'github:acme:repo:infra' is not a Team defined in this file or in the store "
            "(it is a DataStore)",
        ),
        (
            'can_access: ["github:acme:repo:infra"]',
            'can_access: ["github:acme:repo:nope"]',
            "inv.yaml: /tenants/0/scopes/0/can_access/0 field 'target': "
            "'github:acme:repo:nope' is not a DataStore or Tenant defined in this file or in "
            "the store",
        ),
        (
            '{id: "github:acme:cred:1"',
            '{id: "inventory:team:a"',
            "inv.yaml: /integrations/0/credentials/0 (id inventory:team:a) field 'id': "
            "duplicate id, first defined at /teams/0",
        ),
        (
            'id: "github:acme:app:ci"',
            'id: "CI app"',
            "inv.yaml: /integrations/0 (id CI app) field 'id': not a source-qualified id such "
            "as 'm365:contoso:sp:4f2c' (no spaces)",
        ),
        (
            "kind: api_key, grants",
            "kind: api_key, secret: hunter2, grants",
            "inv.yaml: /integrations/0/credentials/0 (id github:acme:cred:1) field 'secret': "
            "unknown field; nhigraph never stores secret values: give 'identifier' (a public "
            "handle) or 'fingerprint' instead",
        ),
        (
            "kind: api_key, grants",
            "kind: api_key, identifier: ghp_abcdefghijklmnopqrstuvwxyz0123456789, grants",
            "inv.yaml: /integrations/0/credentials/0 (id github:acme:cred:1) field 'identifier': "
            "looks like a GitHub token; nhigraph never stores secret values, give only a "
            "public handle such as its key id or last eight characters",
        ),
        (
            "inventory: t",
            "inventory: t\ninventory: u",
            "inv.yaml: line 3 column 1: not valid YAML: key 'inventory' appears twice in one "
            "mapping",
        ),
        (
            "format: nhigraph-inventory/v1",
            "format: nhigraph-inventory/v2",
            "inv.yaml: / field 'format': Input should be 'nhigraph-inventory/v1'",
        ),
    ],
)
def test_bad_input_is_one_line_naming_file_record_and_field(
    old: str, new: str, expected: str
) -> None:
    assert old in BASE
    assert error_of(BASE.replace(old, new, 1)) == expected


def test_a_rejected_secret_is_never_echoed() -> None:
    token = "xoxb-1234567890-abcdefghijklmnop"
    message = error_of(
        BASE.replace("kind: api_key, grants", f"kind: api_key, identifier: {token}, grants")
    )
    assert token not in message
    assert "looks like a Slack token" in message


def test_json_syntax_errors_give_line_and_column() -> None:
    with pytest.raises(InputError) as excinfo:
        transform('{"format": "nhigraph-inventory/v1",\n "inventory": }', "inv.json")
    assert str(excinfo.value) == ("inv.json: line 2 column 15: not valid JSON: Expecting value")


def test_an_html_error_page_saved_instead_of_json_is_refused() -> None:
    with pytest.raises(InputError, match=r"^inv.json: line 1 column 1: not valid JSON"):
        transform("<html><body>502 Bad Gateway</body></html>", "inv.json")


def test_timestamps_are_utc_whole_seconds() -> None:
    text = BASE.replace(
        "kind: api_key, grants",
        'kind: api_key, created_at: 2025-03-01, expires_at: "2026-01-01T10:00:00.75+02:00", grants',
    )
    credential = next(n for n in transform(text, "inv.yaml").nodes if n.label == "Credential")
    assert credential.props["created_at"] == "2025-03-01T00:00:00Z"
    assert credential.props["expires_at"] == "2026-01-01T08:00:00Z"


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("AKIAIOSFODNN7EXAMPLE", None),
        ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "an AWS secret access key"),
        ("0123456789abcdef0123456789abcdef01234567", None),  # a lower-case hex digest
        ("...a1b2c3d4", None),
        ("-----BEGIN RSA PRIVATE KEY-----", "a private key"),
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
            "a JSON Web Token",
        ),
    ],
)
def test_secret_shapes(value: str, kind: str | None) -> None:
    assert secret_kind(value) == kind


CSV = (
    "integration,name,kind,owner_team,vendor,purpose,users\n"
    "inventory:integration:zap,Zap sync,oauth_app,Sales Ops,Zapier,CRM to sheet,Finance; Support\n"
    "inventory:integration:hook,Deploy hook,webhook,,,,\n"
)


def test_the_csv_form_names_teams_and_vendors_by_name() -> None:
    batch = transform_csv(CSV, "owners.csv")
    assert batch.tenant == "owners"
    assert sorted((n.label, n.id) for n in batch.nodes) == [
        ("Integration", "inventory:integration:hook"),
        ("Integration", "inventory:integration:zap"),
        ("Team", "inventory:team:finance"),
        ("Team", "inventory:team:sales-ops"),
        ("Team", "inventory:team:support"),
        ("Vendor", "inventory:vendor:zapier"),
    ]
    assert sorted((r.type, r.start, r.end) for r in batch.rels) == [
        ("OWNS", "inventory:team:sales-ops", "inventory:integration:zap"),
        ("PROVIDES", "inventory:vendor:zapier", "inventory:integration:zap"),
        ("USES", "inventory:team:finance", "inventory:integration:zap"),
        ("USES", "inventory:team:support", "inventory:integration:zap"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("integration,owner_team,vendor\nx:y,a,b\n",
         "owners.csv: line 1 (header) field 'purpose': required column is missing"),
        ("integration,owner_team,vendor,purpose,colour\n",
         "owners.csv: line 1 (header) field 'colour': unknown column"),
        ("integration,kind,owner_team,vendor,purpose\nx:y,robot,a,b,c\n",
         "owners.csv: line 2 field 'kind': Input should be 'oauth_app', 'service_account', "
         "'api_client', 'bot', 'webhook' or 'app_installation'"),
        ("integration,kind,owner_team,vendor,purpose\nx:y,bot,a,b,c,d\n",
         "owners.csv: line 2: more cells than columns"),
        ("integration,kind,owner_team,vendor,purpose\nx:y,bot,a,b,c\nbad id,bot,a,b,c\n",
         "owners.csv: line 3 field 'id': not a source-qualified id such as "
         "'m365:contoso:sp:4f2c' (no spaces)"),
    ],
)  # fmt: skip
def test_csv_errors_name_the_line_and_column(text: str, expected: str) -> None:
    with pytest.raises(InputError) as excinfo:
        transform_csv(text, "owners.csv")
    assert str(excinfo.value) == expected


def test_unsupported_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"inv.txt: file: unsupported file type"):
        (tmp_path / "inv.txt").write_text("x")
        read_file(tmp_path / "inv.txt")
    with pytest.raises(InputError, match=r"nope.yaml: file: no such file"):
        read_file(tmp_path / "nope.yaml")


def test_the_demo_estate_and_csv_parse() -> None:
    demo = read_file(ROOT / "examples" / "demo-estate.yaml")
    assert len({n.id for n in demo.nodes}) == len(demo.nodes)
    integrations = [n for n in demo.nodes if n.label == "Integration"]
    assert 35 <= len(integrations) <= 50
    providers = {n.props["provider"] for n in demo.nodes if n.label == "Tenant"}
    assert len(providers) >= 6
    owners = read_file(ROOT / "examples" / "owners.csv")
    assert owners.tenant == "owners"


def test_the_committed_json_schema_is_current() -> None:
    committed = json.loads((ROOT / "nhigraph" / "graph" / "graph.schema.json").read_text())
    assert committed == graph_json_schema(), (
        "run: nhigraph schema > nhigraph/graph/graph.schema.json"
    )


def test_secret_shaped_values_are_refused_in_any_field() -> None:
    token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    message = error_of(BASE.replace("name: CI", f"name: CI\n    purpose: deploys with {token}"))
    assert message == (
        "inv.yaml: /integrations/0 field 'purpose': looks like a GitHub token; nhigraph never "
        "stores secret values"
    )


def test_numbers_are_not_timestamps() -> None:
    message = error_of(
        BASE.replace("kind: api_key, grants", "kind: api_key, expires_at: 1767225600, grants")
    )
    assert message.endswith(
        "field 'expires_at': expected an ISO 8601 timestamp such as 2026-01-31T09:00:00Z"
    )
