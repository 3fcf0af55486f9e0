"""Joining SaaS sources with the inventory: enrichments that survive re-ingestion, and one
vendor for one connector across tenants and providers. Every test runs on both stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from nhigraph.errors import InputError
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.model import effective
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.store import Batch, NodeRow, RelRow, WriteSummary
from nhigraph.ingest.sync import read_inventories, write_batches
from nhigraph.ingest.vendors import link_vendors, plan_links, vendor_key

Store = EmbeddedStore | Neo4jStore


def saas(org: str, with_second_app: bool = True) -> Batch:
    """What a Salesforce-like source reports for one org: the Ledgerly connector, and
    (optionally) an app of a publisher nobody declared."""
    tenant = f"salesforce:{org}"
    nodes = [
        NodeRow("Tenant", tenant, {"provider": "salesforce", "name": org}),
        NodeRow("DataStore", f"{tenant}:store:case",
                {"name": "Cases", "kind": "crm_object", "classification": "confidential"}),
        NodeRow("Scope", f"{tenant}/api",
                {"name": "api", "provider": "salesforce", "access": "write"}),
        NodeRow("Integration", f"{tenant}:connected-app:ledgerly",
                {"name": "Ledgerly Sync", "kind": "oauth_app", "provider": "salesforce",
                 "client_id": "3MVG9-ledgerly", "publisher": "Ledgerly, Inc."}),
    ]  # fmt: skip
    rels = [
        RelRow("CONTAINS", tenant, f"{tenant}:store:case"),
        RelRow("CAN_ACCESS", f"{tenant}/api", f"{tenant}:store:case"),
    ]
    if with_second_app:
        nodes.append(
            NodeRow("Integration", f"{tenant}:connected-app:acme",
                    {"name": "Acme Forms", "kind": "oauth_app", "provider": "salesforce",
                     "client_id": "3MVG9-acme", "publisher": "ACME GmbH"}),
        )  # fmt: skip
    return Batch("salesforce", tenant, nodes, rels)


M365_APP = "m365:tailspin:sp:5f1c"
M365 = Batch(
    "msgraph",
    "m365:tailspin",
    [
        NodeRow("Tenant", "m365:tailspin", {"provider": "m365", "name": "Tailspin"}),
        NodeRow(
            "Integration",
            M365_APP,
            {
                "name": "Ledgerly Expenses",
                "kind": "oauth_app",
                "provider": "m365",
                "client_id": "5f1c",
                "publisher": "Ledgerly",
                "publisher_id": "1234567",
                "publisher_verified": True,
            },
        ),
    ],
)

INVENTORY = """
format: nhigraph-inventory/v1
inventory: people
teams:
  - {id: "inventory:team:finance", name: Finance}
  - {id: "inventory:team:sales", name: Sales}
vendors:
  - {id: "inventory:vendor:ledgerly", name: Ledgerly, status: offboarded,
     offboarded_at: 2026-06-30T17:00:00Z}
  - {id: "inventory:vendor:other", name: Other}
enrich:
  - match: {provider: salesforce, client_id: 3MVG9-ledgerly}
    owner: "inventory:team:finance"
    users: ["inventory:team:sales"]
    purpose: Invoice sync for finance
    review_due: 2027-01-31
    approved_scopes: [api, full]
  - match: {id: "m365:tailspin:sp:5f1c"}
    lifecycle: retired
  - match: {provider: github, name: Deploy Bot}
    owner: "inventory:team:finance"
classify:
  - {data_store: "salesforce:org1:store:case", classification: restricted}
"""

LATER = """
format: nhigraph-inventory/v1
inventory: people
teams:
  - {id: "inventory:team:finance", name: Finance}
vendors:
  - {id: "inventory:vendor:ledgerly", name: Ledgerly}
  - {id: "inventory:vendor:other", name: Other}
enrich:
  - match: {id: "salesforce:org2:connected-app:ledgerly"}
    vendor: "inventory:vendor:other"
"""


def write(store: Store, *batches: Batch) -> WriteSummary:
    total = WriteSummary()
    for item in write_batches(store, [(b.tenant, b) for b in batches]):
        total = total + item.summary
    return total


def inventory(store: Store, tmp_path: Path, text: str) -> tuple[WriteSummary, list[str]]:
    path = tmp_path / "people.yaml"
    path.write_text(text)
    warnings: list[str] = []
    summary = write(store, *(b for _, b in read_inventories(store, [path], warnings)))
    return summary, [w.replace(str(tmp_path) + "/", "") for w in warnings]


def provides(store: Store) -> list[tuple[str, str, str]]:
    return sorted(
        (r.start, r.end, str(r.props["source"]))
        for r in store.export()
        if not hasattr(r, "label") and getattr(r, "type", "") == "PROVIDES"
    )


def rels_of(store: Store, rel_type: str) -> list[tuple[str, str]]:
    return sorted((r.start, r.end) for r in store.export() if getattr(r, "type", None) == rel_type)


def test_enrichments_match_by_client_id_and_id_and_survive_re_ingestion(
    store: Store, tmp_path: Path
) -> None:
    write(store, saas("org1"), saas("org2"), M365)
    summary, warnings = inventory(store, tmp_path, INVENTORY)
    assert warnings == [
        "people.yaml: /enrich/2: matched no integration (provider github name 'Deploy Bot')",
        "people.yaml: /enrich/0/approved_scopes/1: salesforce:org1:connected-app:ledgerly "
        "holds no scope 'full' in its tenant; the approval is not recorded",
        "people.yaml: /enrich/0/approved_scopes/1: salesforce:org2:connected-app:ledgerly "
        "holds no scope 'full' in its tenant; the approval is not recorded",
    ]
    # Two integrations by client id (two orgs), one by id, and one data store.
    assert summary.patches_set == 4
    assert rels_of(store, "OWNS") == [
        ("inventory:team:finance", "salesforce:org1:connected-app:ledgerly"),
        ("inventory:team:finance", "salesforce:org2:connected-app:ledgerly"),
    ]
    assert rels_of(store, "APPROVED_FOR") == [
        ("salesforce:org1:connected-app:ledgerly", "salesforce:org1/api"),
        ("salesforce:org2:connected-app:ledgerly", "salesforce:org2/api"),
    ]
    # The sources run again (a new sync run each, with cleanup): nothing people added goes.
    again = write(store, saas("org1"), saas("org2"), M365)
    assert again.nodes_updated == again.nodes_removed == again.rels_removed == 0
    node = store.get_node("salesforce:org2:connected-app:ledgerly")
    assert node is not None
    assert {k: effective(node.props).get(k) for k in ("purpose", "review_due", "lifecycle")} == {
        "purpose": "Invoice sync for finance",
        "review_due": "2027-01-31T00:00:00Z",
        "lifecycle": None,
    }
    m365 = store.get_node(M365_APP)
    assert m365 is not None and effective(m365.props)["lifecycle"] == "retired"
    case = "salesforce:org1:store:case"
    assert store.store_facts([case])[case].classification == "restricted"
    assert len(rels_of(store, "OWNS")) == 2 and len(rels_of(store, "USES")) == 2
    # A source stops reporting an integration: it goes, and what people hung on it with it.
    write(store, saas("org1"), saas("org2", with_second_app=False))
    assert store.get_node("salesforce:org2:connected-app:acme") is None


def test_one_vendor_for_one_connector_across_tenants_and_providers(
    store: Store, tmp_path: Path
) -> None:
    write(store, saas("org1"), saas("org2"), M365)
    inventory(store, tmp_path, INVENTORY)
    plan, _ = link_vendors(store)
    assert (plan.linked, plan.created) == (5, 1)
    assert provides(store) == [
        ("inventory:vendor:ledgerly", M365_APP, "link"),
        ("inventory:vendor:ledgerly", "salesforce:org1:connected-app:ledgerly", "link"),
        ("inventory:vendor:ledgerly", "salesforce:org2:connected-app:ledgerly", "link"),
        ("vendor:acme", "salesforce:org1:connected-app:acme", "link"),
        ("vendor:acme", "salesforce:org2:connected-app:acme", "link"),
    ]
    acme = store.get_node("vendor:acme")
    assert acme is not None and acme.props["name"] == "ACME GmbH"
    # Linking again changes nothing.
    assert link_vendors(store)[1].rels_added == link_vendors(store)[1].rels_removed == 0
    # People declare another vendor for one of them: theirs wins and the hint's link goes.
    inventory(store, tmp_path, LATER)
    link_vendors(store)
    assert provides(store) == [
        ("inventory:vendor:ledgerly", M365_APP, "link"),
        ("inventory:vendor:ledgerly", "salesforce:org1:connected-app:ledgerly", "link"),
        ("inventory:vendor:other", "salesforce:org2:connected-app:ledgerly", "inventory"),
        ("vendor:acme", "salesforce:org1:connected-app:acme", "link"),
        ("vendor:acme", "salesforce:org2:connected-app:acme", "link"),
    ]
    # The earlier enrichments are gone with the inventory that no longer declares them.
    assert rels_of(store, "OWNS") == [] and rels_of(store, "APPROVED_FOR") == []
    node = store.get_node("salesforce:org1:connected-app:ledgerly")
    assert node is not None and "patch_purpose" not in node.props
    case = "salesforce:org1:store:case"
    assert store.store_facts([case])[case].classification == "confidential"


def test_vendor_keys_and_publisher_ids_join_differently_spelt_names() -> None:
    assert vendor_key("Ledgerly, Inc.") == vendor_key("LEDGERLY") == "ledgerly"
    assert vendor_key("Signal Watch Ltd") == "signalwatch"
    assert vendor_key("Co") == "co"  # a name that is only a legal form stays a name
    from nhigraph.graph.store import IntegrationRef

    refs = [
        IntegrationRef("m365:a:sp:1", "x", "m365", "1", "Contoso Apps", "99", True, ()),
        IntegrationRef("m365:b:sp:2", "y", "m365", "2", "Contoso Corporation", "99", True, ()),
        IntegrationRef("github:c:app:z", "z", "github", None, "contoso-apps", None, False, ()),
    ]
    plan = plan_links(refs, [])
    assert [(n.id, dict(n.props)) for n in plan.batch.nodes] == [
        (
            "vendor:contoso",
            {"name": "Contoso Apps", "aliases": ["Contoso Corporation", "contoso-apps"]},
        )
    ]
    assert plan.linked == 3


def test_enrichment_mistakes_are_one_line(store: Store, tmp_path: Path) -> None:
    write(store, saas("org1"))
    path = tmp_path / "bad.yaml"
    owner = "match: {id: 'salesforce:org1:connected-app:ledgerly'}\n    owner: 'inventory:team:x'"
    cases = {
        "match: {provider: salesforce}": "/enrich/0 field 'match': give either id, or "
        "provider with client_id or name",
        owner: "/enrich/0 field 'owner': 'inventory:team:x' is not a Team defined in this file "
        "or in the store",
    }
    for entry, message in cases.items():
        path.write_text(f"format: nhigraph-inventory/v1\ninventory: x\nenrich:\n  - {entry}\n")
        with pytest.raises(InputError) as caught:
            read_inventories(store, [path])
        assert str(caught.value) == f"{path}: {message}"
