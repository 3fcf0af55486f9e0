"""The synthetic estate: deterministic per seed, accepted by the parser, shaped like a real one."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from nhigraph.errors import InputError
from nhigraph.graph.store import Batch
from nhigraph.ingest.inventory import InventoryDocument, secret_kind, transform
from nhigraph.ingest.synthetic import generate, write

NOW = "2026-11-01T00:00:00Z"
DORMANT_BEFORE = "2026-05-05T00:00:00Z"  # NOW - 180 days


@cache
def estate(n: int, seed: int = 7) -> dict[str, Any]:
    return generate(n, seed)


@cache
def batch(n: int, seed: int = 7) -> Batch:
    return transform(json.dumps(estate(n, seed)), f"estate-{n}.json")


def credentials(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for i in document["integrations"] for c in i["credentials"]]


def share(items: list[dict[str, Any]], test: Any) -> float:
    return sum(1 for item in items if test(item)) / len(items)


# --------------------------------------------------------------------------- determinism


def test_the_same_seed_gives_the_same_document() -> None:
    assert json.dumps(generate(300, 11)) == json.dumps(generate(300, 11))


def test_the_same_seed_gives_the_same_document_whatever_the_hash_seed() -> None:
    code = (
        "import hashlib, json; from nhigraph.ingest.synthetic import generate; "
        "print(hashlib.sha256(json.dumps(generate(500, 3)).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for hash_seed in ("0", "1", "2")
    }
    assert digests == {hashlib.sha256(json.dumps(generate(500, 3)).encode()).hexdigest()}


def test_a_different_seed_gives_a_different_document() -> None:
    assert json.dumps(generate(300, 11)) != json.dumps(generate(300, 12))


# --------------------------------------------------------------------------- the format


def test_the_document_validates_against_the_inventory_model() -> None:
    document = estate(200)
    parsed = InventoryDocument.model_validate(document)
    assert parsed.format == "nhigraph-inventory/v1"
    assert parsed.inventory == "synthetic"
    assert len(parsed.integrations) == 200
    assert len(parsed.teams) == 5
    assert len(parsed.vendors) == 3
    assert sorted(t.provider for t in parsed.tenants) == [
        "aws",
        "github",
        "google_workspace",
        "m365",
        "okta",
        "salesforce",
        "slack",
        "snowflake",
    ]


def test_n200_transforms_into_one_batch_without_reference_errors() -> None:
    result = batch(200)
    assert (result.source, result.tenant) == ("inventory", "synthetic")
    labels = Counter(node.label for node in result.nodes)
    assert labels["Integration"] == 200
    assert labels["Team"] == 5
    assert labels["Vendor"] == 3
    assert labels["Tenant"] == 8
    assert set(labels) == {
        "Team",
        "Vendor",
        "Tenant",
        "DataStore",
        "Principal",
        "Scope",
        "Integration",
        "Credential",
    }
    types = Counter(rel.type for rel in result.rels)
    assert set(types) == {
        "OWNS",
        "USES",
        "PROVIDES",
        "HAS_CREDENTIAL",
        "APPROVED_FOR",
        "GRANTS",
        "ACTS_AS",
        "CAN_ACCESS",
        "CONTAINS",
        "STORES",
    }
    assert types["HAS_CREDENTIAL"] == labels["Credential"]


def test_every_integration_has_one_to_five_credentials_and_each_grants_one_to_six_scopes() -> None:
    result = batch(200)
    per_integration = Counter(r.start for r in result.rels if r.type == "HAS_CREDENTIAL")
    integrations = [n.id for n in result.nodes if n.label == "Integration"]
    assert sorted({per_integration[i] for i in integrations}) == [1, 2, 3, 4, 5]
    per_credential = Counter(r.start for r in result.rels if r.type == "GRANTS")
    credential_ids = [n.id for n in result.nodes if n.label == "Credential"]
    assert min(per_credential[c] for c in credential_ids) == 1
    assert max(per_credential[c] for c in credential_ids) == 6


def test_credentials_grant_scopes_of_their_own_tenant() -> None:
    for credential in credentials(estate(200)):
        tenant = credential["id"].split(":cred:")[0]
        assert all(scope.startswith(tenant + "/") for scope in credential["grants"])
        if "acts_as" in credential:
            assert credential["acts_as"].startswith(tenant + ":")


def test_some_connectors_are_shared_by_three_or_more_teams() -> None:
    uses = Counter(r.end for r in batch(200).rels if r.type == "USES")
    assert sum(1 for count in uses.values() if count >= 3) >= 3


def test_sharing_follows_a_power_law() -> None:
    users = Counter(min(len(i["users"]), 10) for i in estate(5000)["integrations"])
    assert users[0] + users[1] >= 0.8 * 5000  # most: no other team, or one
    assert users[10] >= 10  # a few: ten teams or more
    assert users[0] > users[1] > users[2] > users[3]


def test_some_data_stores_hold_credentials_of_other_providers() -> None:
    stores = [r for r in batch(200).rels if r.type == "STORES"]
    assert len(stores) >= 3
    assert all(1 <= n <= 3 for n in Counter(r.start for r in stores).values())


def test_credential_chaining_has_a_cycle() -> None:
    """A store holds a credential that reaches a store holding one that reaches the first."""
    result = batch(2000)
    labels = {node.id: node.label for node in result.nodes}
    scope_access = {n.id: n.props["access"] for n in result.nodes if n.label == "Scope"}
    reach: nx.DiGraph[str] = nx.DiGraph()  # who reaches what, as blast radius walks it
    for r in result.rels:
        if r.type in ("STORES", "GRANTS", "CONTAINS"):
            reach.add_edge(r.start, r.end)
        elif r.type == "CAN_ACCESS":
            access = r.props.get("access", scope_access[r.start])
            if labels[r.end] == "DataStore" or access == "admin":
                reach.add_edge(r.start, r.end)
    cycle = [start for start, _ in nx.find_cycle(reach)]
    assert {labels[node] for node in cycle} >= {"DataStore", "Credential", "Scope"}
    assert sum(labels[node] == "DataStore" for node in cycle) >= 2


def test_relationships_per_integration_are_about_twenty() -> None:
    assert 15 <= len(batch(2000).rels) / 2000 <= 25


def test_sizes_follow_the_number_of_integrations() -> None:
    document = estate(5000)
    assert len(document["teams"]) == 100
    assert len(document["vendors"]) == 50
    tenants = Counter(t["provider"] for t in document["tenants"])
    assert tenants == {
        "m365": 1,
        "google_workspace": 1,
        "github": 1,
        "slack": 1,
        "okta": 1,
        "salesforce": 1,
        "aws": 1,
        "snowflake": 1,
    }
    assert len(document["integrations"]) == 5000
    assert sum(1 for i in document["integrations"] if "owner" not in i) == pytest.approx(
        250, rel=0.2
    )


# --------------------------------------------------------------------------- realism


def test_the_credential_mix_is_realistic() -> None:
    creds = credentials(estate(5000))
    assert 0.17 <= share(creds, lambda c: c.get("expires_at", "9") < NOW) <= 0.23
    assert 0.27 <= share(creds, lambda c: "expires_at" not in c) <= 0.33
    dormant = share(creds, lambda c: c.get("last_used_at", "9") < DORMANT_BEFORE)
    assert 0.12 <= dormant <= 0.18
    assert 0.04 <= share(creds, lambda c: "last_used_at" not in c) <= 0.06
    assert 0.05 <= share(creds, lambda c: c["status"] == "revoked") <= 0.09
    revoked = [c for c in creds if c["status"] == "revoked"]
    assert all("revoked_at" in c for c in revoked)
    assert not any("revoked_at" in c for c in creds if c["status"] != "revoked")


def test_timestamps_are_consistent_and_relative_to_the_fixed_now() -> None:
    document = estate(2000)
    for integration in document["integrations"]:
        for c in integration["credentials"]:
            assert integration["created_at"] <= c["created_at"] < NOW
            if "last_used_at" in c:
                assert c["created_at"] <= c["last_used_at"] <= NOW
                assert c["last_used_at"] <= c.get("expires_at", "9")
                assert c["last_used_at"] <= c.get("revoked_at", "9")
            if "expires_at" in c:
                assert c["created_at"] < c["expires_at"]
    offboarded = [v for v in document["vendors"] if v["status"] == "offboarded"]
    assert offboarded
    assert all(v["offboarded_at"] < NOW for v in offboarded)


def test_credential_kinds_match_their_provider() -> None:
    kinds: dict[str, set[str]] = {}
    for c in credentials(estate(2000)):
        kinds.setdefault(c["id"].split(":")[0], set()).add(c["kind"])
    assert kinds["aws"] == {"access_key"}
    assert kinds["github"] == {
        "oauth_grant",
        "client_secret",
        "certificate",
        "webhook_secret",
        "personal_access_token",
    }
    assert "service_account_key" in kinds["google_workspace"]
    assert all(
        c["identifier"].startswith("AKIA") and len(c["identifier"]) == 20
        for c in credentials(estate(2000))
        if c["kind"] == "access_key"
    )


def test_identifiers_are_public_handles_never_secret_shaped() -> None:
    for c in credentials(estate(2000)):
        assert secret_kind(c["identifier"]) is None, c["identifier"]


def test_approved_scopes_are_usually_a_subset_of_the_grants() -> None:
    subset = equal = 0
    for integration in estate(2000)["integrations"]:
        granted = {s for c in integration["credentials"] for s in c["grants"]}
        approved = set(integration["approved_scopes"])
        subset += approved <= granted
        equal += approved == granted
    assert subset >= 0.95 * 2000
    assert 0.3 * 2000 <= equal <= 0.7 * 2000


def test_some_scopes_reach_their_tenant_with_admin() -> None:
    reaching = [
        (t["id"], s["name"])
        for t in estate(200)["tenants"]
        for s in t["scopes"]
        if t["id"] in s.get("can_access", []) and s["access"] == "admin"
    ]
    assert {tenant.split(":")[0] for tenant, _ in reaching} == {
        "m365",
        "google_workspace",
        "github",
        "slack",
        "okta",
        "salesforce",
        "aws",
        "snowflake",
    }


# --------------------------------------------------------------------------- writing


def test_write_json_and_yaml_give_the_same_batch(tmp_path: Path) -> None:
    document = generate(40, 1)
    write(document, tmp_path / "estate.json")
    write(document, tmp_path / "estate.yml")
    text = (tmp_path / "estate.json").read_text(encoding="utf-8")
    assert text.count("\n") == 1  # compact: one line
    assert json.loads(text) == document
    from_json = transform(text, "estate.json")
    from_yaml = transform((tmp_path / "estate.yml").read_text(encoding="utf-8"), "estate.yml")
    assert from_yaml.nodes == from_json.nodes
    assert from_yaml.rels == from_json.rels


def test_write_refuses_other_file_types(tmp_path: Path) -> None:
    with pytest.raises(InputError) as excinfo:
        write(generate(5, 1), tmp_path / "estate.csv")
    assert str(excinfo.value) == (
        f"{tmp_path / 'estate.csv'}: file: unsupported file type (use .json, .yaml or .yml)"
    )


def test_an_empty_estate_is_still_a_valid_inventory() -> None:
    result = transform(json.dumps(generate(0, 1)), "empty.json")
    assert Counter(n.label for n in result.nodes)["Integration"] == 0
    assert Counter(n.label for n in result.nodes)["Tenant"] == 8
    with pytest.raises(ValueError, match="zero or more"):
        generate(-1, 1)
