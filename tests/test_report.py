"""The report renderer: exact CSV, escaping (HTML and spreadsheet formulas), determinism,
the blast-radius picture's nodes and edges, and the page as a real headless Chromium
renders it (DOM and screenshot)."""

from __future__ import annotations

import copy
import csv
import io
import json
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from nhigraph.graph.blast import blast_radius, resolve_start
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.policy import default_policy
from nhigraph.report import (
    CLASSIFICATION_FILL,
    CSP,
    MAX_PICTURE_CREDENTIALS,
    MAX_PICTURE_STORES,
    render_csv,
    render_html,
    write_report,
)
from tests.test_blast import Graph

Store = EmbeddedStore | Neo4jStore
AS_OF = "2026-11-20T00:00:00Z"

# --------------------------------------------------------------------------- a sample report


def ref(ref_id: str, name: str) -> dict[str, str]:
    return {"id": ref_id, "name": name}


NHI1 = ref("NHI1", "Improper Offboarding")
NHI2 = ref("NHI2", "Secret Leakage")
NHI3 = ref("NHI3", "Vulnerable Third-Party NHI")
NHI5 = ref("NHI5", "Overprivileged NHI")
NHI7 = ref("NHI7", "Long-Lived Secrets")
NHI9 = ref("NHI9", "NHI Reuse")
GV_RR_02 = ref("GV.RR-02", "Roles, responsibilities, and authorities ... are established")
GV_SC_10 = ref("GV.SC-10", "Supply chain plans cover activities after a partnership ends")
DE_CM_06 = ref("DE.CM-06", "External service provider activities are monitored")
ID_AM_02 = ref("ID.AM-02", "Inventories of software, services, and systems are maintained")
ID_AM_08 = ref("ID.AM-08", "Systems and services are managed throughout their life cycles")
PR_AA_01 = ref("PR.AA-01", "Identities and credentials are managed by the organization")
PR_AA_05 = ref("PR.AA-05", "Access permissions follow least privilege")
PR_DS_01 = ref("PR.DS-01", "Data-at-rest is protected")

LEDGERLY_M365 = "m365:northwind:sp:ledgerly-expense-sync"
SYNCBRIDGE = "salesforce:northwind:connected-app:syncbridge"


def finding(
    severity: str,
    rule: str,
    title: str,
    subject: str,
    integration: str | None,
    evidence: Any,
    remediation: str,
    owasp: list[dict[str, str]],
    nist: list[dict[str, str]],
) -> dict[str, Any]:
    return {
        "rule": rule, "title": title, "severity": severity, "subject": subject,
        "integration": integration, "evidence": evidence, "remediation": remediation,
        "owasp": owasp, "nist": nist,
    }  # fmt: skip


FINDINGS = [
    finding("critical", "NHI-VEN-001", "Offboarded vendor still holds live credentials",
            "inventory:vendor:ledgerly", LEDGERLY_M365,
            {"vendor": "inventory:vendor:ledgerly", "offboarded_at": "2026-06-30T17:00:00Z",
             "credentials": ["m365:northwind:secret:ledgerly-2"]},
            "Revoke every live credential of the offboarded vendor's integrations.",
            [NHI1, NHI3], [GV_SC_10, DE_CM_06]),
    finding("high", "NHI-APPR-001",
            "Effective blast radius exceeds the approved one (scope creep)", SYNCBRIDGE,
            SYNCBRIDGE,
            {"excess": [{"store": "slack:northwind:channels:private", "effective_access": "read",
                         "approved_access": None}]},
            "Remove the unapproved scopes, or review and approve them explicitly.",
            [NHI5], [PR_AA_05]),
    finding("high", "NHI-DEL-002", "Live delegated credential acts as an admin principal",
            "slack:northwind:token:standup-bot", "slack:northwind:app:standup-bot",
            {"credential": "slack:northwind:token:standup-bot",
             "principal": "slack:northwind:user:U024ADMIN"},
            "Re-authorise the integration as a dedicated non-admin principal.", [NHI5],
            [PR_AA_05]),
    finding("high", "NHI-LIFE-001",
            "Integration declared retired is still enabled with valid credentials",
            "github:northwind:app:old-deployer", "github:northwind:app:old-deployer",
            {"lifecycle": "retired", "status": "enabled",
             "credentials": ["github:northwind:pat:old-deployer"]},
            "Disable the retired integration at its source and revoke its credentials.",
            [NHI1], [ID_AM_08, PR_AA_01]),
    finding("high", "NHI-OWN-001", "Integration has no accountable owner",
            "google:northwind:sa:report-export", "google:northwind:sa:report-export",
            {"owners": []}, "Assign one accountable owning team to the integration.", [NHI1],
            [GV_RR_02, ID_AM_02]),
    finding("high", "NHI-SEC-001", "Live credential is kept in a data store",
            "aws:northwind-prod:key:AKIAPIPEWISEETL", "aws:northwind-prod:user:pipewise-etl",
            {"credential": "aws:northwind-prod:key:AKIAPIPEWISEETL",
             "stores": ["salesforce:northwind:object:Case"]},
            "Rotate the credential and remove its copy from the data store.", [NHI2],
            [PR_DS_01, PR_AA_01]),
    finding("medium", "NHI-CRED-001", "Live credential never expires",
            "github:northwind:pat:ci-bot", "github:northwind:app:ci-bot",
            {"credential": "github:northwind:pat:ci-bot", "created_at": "2024-02-01T00:00:00Z"},
            "Replace the credential with one that expires.", [NHI7], [PR_AA_01]),
    finding("medium", "NHI-CRED-004", "Live credential is dormant",
            "okta:northwind:token:hr-sync", "okta:northwind:app:hr-sync",
            {"credential": "okta:northwind:token:hr-sync", "last_used_at": "2026-03-02T08:15:00Z"},
            "Revoke the dormant credential.", [NHI1], [PR_AA_05]),
    finding("medium", "NHI-DEL-001", "Delegated credential acts as a disabled principal",
            "google:northwind:token:calendar-sync", "google:northwind:app:calendar-sync",
            {"credential": "google:northwind:token:calendar-sync",
             "principal": "google:northwind:user:j.doe"},
            "Revoke the delegated credential and move the integration to a service principal.",
            [NHI1], [PR_AA_05, PR_AA_01]),
    finding("medium", "NHI-SHARE-001", "Shared connector reaches confidential or restricted data",
            SYNCBRIDGE, SYNCBRIDGE,
            {"integration": SYNCBRIDGE, "sensitive_stores": ["salesforce:northwind:object:Case"],
             "teams": ["inventory:team:customer-support", "inventory:team:marketing",
                       "inventory:team:revenue-ops"]},
            "Give each team its own integration with only the scopes that team needs.", [NHI9],
            [PR_AA_05]),
    finding("low", "NHI-CRED-005", "Live credential has never been used",
            "aws:northwind-prod:key:AKIABACKUPJOB", "aws:northwind-prod:user:backup-job",
            {"credential": "aws:northwind-prod:key:AKIABACKUPJOB",
             "created_at": "2026-01-10T00:00:00Z"},
            "Revoke the unused credential, or record why it must stay provisioned.", [NHI1],
            [PR_AA_05]),
    finding("low", "NHI-LIFE-002", "Integration disabled at the source still has valid credentials",
            "m365:northwind:sp:legacy-fax", "m365:northwind:sp:legacy-fax",
            {"status": "disabled", "credentials": ["m365:northwind:secret:legacy-fax"]},
            "Revoke or delete the disabled integration's credentials.", [NHI1], [ID_AM_08]),
]  # fmt: skip


def factor(name: str, points: float, detail: str) -> dict[str, Any]:
    return {"name": name, "points": points, "detail": detail}


RISKS = [
    {"integration": SYNCBRIDGE, "name": "SyncBridge CRM-Slack connector", "risk": 158.0,
     "tier": "critical", "blast_score": 130.0,
     "factors": [factor("blast radius", 130.0, "9 data stores, 2 tenants reachable"),
                 factor("Effective blast radius exceeds the approved one (scope creep)", 20.0,
                        f"NHI-APPR-001 (high) on {SYNCBRIDGE}"),
                 factor("Shared connector reaches confidential or restricted data", 8.0,
                        f"NHI-SHARE-001 (medium) on {SYNCBRIDGE}")]},
    {"integration": LEDGERLY_M365, "name": "Ledgerly expense sync", "risk": 87.5,
     "tier": "high", "blast_score": 47.5,
     "factors": [factor("blast radius", 47.5, "6 data stores, 2 tenants reachable"),
                 factor("Offboarded vendor still holds live credentials", 40.0,
                        "NHI-VEN-001 (critical) on inventory:vendor:ledgerly")]},
    {"integration": "salesforce:northwind:connected-app:ledgerly",
     "name": "Ledgerly for Salesforce", "risk": 80.0, "tier": "high", "blast_score": 40.0,
     "factors": [factor("blast radius", 40.0, "5 data stores, 2 tenants reachable"),
                 factor("Offboarded vendor still holds live credentials", 40.0,
                        "NHI-VEN-001 (critical) on inventory:vendor:ledgerly")]},
    {"integration": "aws:northwind-prod:user:pipewise-etl", "name": "Pipewise ETL", "risk": 40.0,
     "tier": "medium", "blast_score": 20.0,
     "factors": [factor("blast radius", 20.0, "2 data stores, 1 tenants reachable"),
                 factor("Live credential is kept in a data store", 20.0,
                        "NHI-SEC-001 (high) on aws:northwind-prod:key:AKIAPIPEWISEETL")]},
    {"integration": "github:northwind:app:old-deployer", "name": "old deployer", "risk": 32.0,
     "tier": "medium", "blast_score": 12.0,
     "factors": [factor("blast radius", 12.0, "3 data stores, 1 tenants reachable"),
                 factor("Integration declared retired is still enabled with valid credentials",
                        20.0, "NHI-LIFE-001 (high) on github:northwind:app:old-deployer")]},
]  # fmt: skip


def path(*steps: str) -> dict[str, list[str]]:
    """Alternating node, relationship, node, ...: a witness path as ``to_dict()`` gives it."""
    return {"nodes": list(steps[::2]), "rels": list(steps[1::2])}


M365_SECRET = "m365:northwind:secret:ledgerly-2"
SF_TOKEN = "salesforce:northwind:token:ledgerly"
BACKUP_KEY = "aws:northwind-prod:key:AKIABACKUPJOB"
ETL_KEY = "aws:northwind-prod:key:AKIAPIPEWISEETL"
SITES = "m365:northwind/Sites.ReadWrite.All"
SHAREPOINT = "m365:northwind:sharepoint:finance"
CASE = "salesforce:northwind:object:Case"
TO_SHAREPOINT = (M365_SECRET, "GRANTS", SITES, "CAN_ACCESS", SHAREPOINT)
TO_CASE = (SF_TOKEN, "GRANTS", "salesforce:northwind/full", "CAN_ACCESS", "salesforce:northwind",
           "CONTAINS", CASE)  # fmt: skip
ETL = ("STORES", ETL_KEY, "GRANTS", "aws:northwind-prod/PipewiseETL", "CAN_ACCESS")


def reached(
    store_id: str, name: str, classification: str, access: str, depth: int, witness: Any
) -> dict[str, Any]:
    return {
        "id": store_id, "name": name, "classification": classification, "access": access,
        "depth": depth, "tenants": [":".join(store_id.split(":")[:2])], "path": witness,
    }  # fmt: skip


#: What the engine answers for Ledgerly in ``northwind()`` (held to it on both stores below):
#: two depths, three tenants, eight data stores, two exposed credentials.
RADIUS = {
    "start": ["m365:northwind:secret:ledgerly-1", M365_SECRET, SF_TOKEN],
    "live_start": [M365_SECRET, SF_TOKEN],
    "as_of": AS_OF,
    "max_chain": 3,
    "min_access": None,
    "stores": [
        reached("aws:northwind-prod:s3:backups", "s3://northwind-backups", "confidential",
                "write", 1, path(*TO_SHAREPOINT, "STORES", BACKUP_KEY, "GRANTS",
                                 "aws:northwind-prod/BackupWriter", "CAN_ACCESS",
                                 "aws:northwind-prod:s3:backups")),
        reached("aws:northwind-prod:s3:datalake", "s3://northwind-datalake", "restricted", "read",
                1, path(*TO_CASE, *ETL, "aws:northwind-prod:s3:datalake")),
        reached("aws:northwind-prod:secretsmanager", "Secrets Manager", "restricted", "read", 1,
                path(*TO_CASE, *ETL, "aws:northwind-prod:secretsmanager")),
        reached("m365:northwind:mailbox:finance", "Finance shared mailbox", "confidential", "read",
                0, path(M365_SECRET, "GRANTS", "m365:northwind/Mail.Read", "CAN_ACCESS",
                        "m365:northwind:mailbox:finance")),
        reached("m365:northwind:onedrive:ap-team", "AP team OneDrive", "internal", "read", 0,
                path(M365_SECRET, "GRANTS", SITES, "CAN_ACCESS",
                     "m365:northwind:onedrive:ap-team")),
        reached(SHAREPOINT, "Finance SharePoint site", "restricted", "write", 0,
                path(*TO_SHAREPOINT)),
        reached("salesforce:northwind:object:Account", "Accounts", "internal", "admin", 0,
                path(*TO_CASE[:-1], "salesforce:northwind:object:Account")),
        reached(CASE, "Support cases", "confidential", "admin", 0, path(*TO_CASE)),
    ],
    "tenants": [
        {"id": "aws:northwind-prod", "access": "write"},
        {"id": "m365:northwind", "access": "write"},
        {"id": "salesforce:northwind", "access": "admin"},
    ],
    "exposed": [
        {"id": BACKUP_KEY, "depth": 1, "found_in": SHAREPOINT, "followed": True,
         "integrations": ["aws:northwind-prod:user:backup-job"],
         "path": path(*TO_SHAREPOINT, "STORES", BACKUP_KEY)},
        {"id": ETL_KEY, "depth": 1, "found_in": CASE, "followed": True,
         "integrations": ["aws:northwind-prod:user:pipewise-etl"],
         "path": path(*TO_CASE, "STORES", ETL_KEY)},
    ],
    "lateral_integrations": ["aws:northwind-prod:user:backup-job",
                             "aws:northwind-prod:user:pipewise-etl"],
    "score": 78.0,
}  # fmt: skip


def sample_report() -> dict[str, Any]:
    return copy.deepcopy(
        {
            "title": "nhigraph report",
            "generated_at": "2026-11-29T21:00:00Z",
            "as_of": AS_OF,
            "store": "embedded demo.db",
            "summary": {
                "integrations": 9,
                "findings": 12,
                "by_severity": {"critical": 1, "high": 5, "medium": 4, "low": 2, "info": 0},
                "tiers": {"critical": 1, "high": 2, "medium": 2, "low": 4},
            },
            "findings": FINDINGS,
            "risks": RISKS,
            "radius": {
                "title": "Blast radius of inventory:vendor:ledgerly",
                "ids": ["inventory:vendor:ledgerly"],
                **RADIUS,
            },
        }
    )


def northwind() -> Graph:
    """Ledgerly (offboarded) holds an M365 client secret (plus a revoked one) and a Salesforce
    token with 'full'; a support case keeps the Pipewise ETL AWS key and the finance
    SharePoint site keeps the backup job's AWS key."""
    g = Graph()
    g.node("Vendor", "inventory:vendor:ledgerly", name="Ledgerly", status="offboarded")
    tenants = [
        ("m365:northwind", "m365", [
            ("m365:northwind:mailbox:finance", "Finance shared mailbox", "confidential"),
            (SHAREPOINT, "Finance SharePoint site", "restricted"),
            ("m365:northwind:onedrive:ap-team", "AP team OneDrive", "internal")]),
        ("salesforce:northwind", "salesforce", [
            (CASE, "Support cases", "confidential"),
            ("salesforce:northwind:object:Account", "Accounts", "internal")]),
        ("aws:northwind-prod", "aws", [
            ("aws:northwind-prod:s3:datalake", "s3://northwind-datalake", "restricted"),
            ("aws:northwind-prod:secretsmanager", "Secrets Manager", "restricted"),
            ("aws:northwind-prod:s3:backups", "s3://northwind-backups", "confidential")]),
    ]  # fmt: skip
    for tenant, provider, stores in tenants:
        g.node("Tenant", tenant, provider=provider, name=tenant)
        for store_id, name, classification in stores:
            g.node("DataStore", store_id, name=name, kind="object", classification=classification)
            g.rel("CONTAINS", tenant, store_id)
    g.scope("m365:northwind", "Mail.Read", "read", "m365:northwind:mailbox:finance")
    g.scope("m365:northwind", "Sites.ReadWrite.All", "write", SHAREPOINT,
            ("m365:northwind:onedrive:ap-team", "read"))  # fmt: skip
    g.scope("salesforce:northwind", "full", "admin", "salesforce:northwind")
    g.scope("aws:northwind-prod", "PipewiseETL", "read", "aws:northwind-prod:s3:datalake",
            "aws:northwind-prod:secretsmanager")  # fmt: skip
    g.scope("aws:northwind-prod", "BackupWriter", "write", "aws:northwind-prod:s3:backups")
    for integration in (LEDGERLY_M365, "salesforce:northwind:connected-app:ledgerly"):
        g.integration(integration)
        g.rel("PROVIDES", "inventory:vendor:ledgerly", integration)
    g.credential(LEDGERLY_M365, M365_SECRET, "m365:northwind/Mail.Read", SITES)
    g.credential(LEDGERLY_M365, "m365:northwind:secret:ledgerly-1", "m365:northwind/Mail.Read",
                 status="revoked", revoked_at="2026-05-01T00:00:00Z")  # fmt: skip
    g.credential("salesforce:northwind:connected-app:ledgerly", SF_TOKEN,
                 "salesforce:northwind/full")  # fmt: skip
    g.integration("aws:northwind-prod:user:pipewise-etl")
    g.credential("aws:northwind-prod:user:pipewise-etl", ETL_KEY, "aws:northwind-prod/PipewiseETL")
    g.integration("aws:northwind-prod:user:backup-job")
    g.credential(
        "aws:northwind-prod:user:backup-job", BACKUP_KEY, "aws:northwind-prod/BackupWriter"
    )
    g.rel("STORES", CASE, ETL_KEY)
    g.rel("STORES", SHAREPOINT, BACKUP_KEY)
    return g


def test_the_sample_radius_is_what_the_engine_answers(store: Store) -> None:
    northwind().load(store)
    start = resolve_start(store, ["inventory:vendor:ledgerly"])
    radius = blast_radius(store, start, AS_OF, default_policy().blast)
    assert radius.to_dict() == RADIUS


# --------------------------------------------------------------------------- reading pages back


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    def iter(self) -> Any:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find(self, tag: str, **attrs: str) -> list[Element]:
        """Descendants with this tag whose attributes contain these values (class: a word)."""

        def matches(e: Element) -> bool:
            for k, v in attrs.items():
                have = e.attrs.get(k.rstrip("_"))
                if have is None or (v not in have.split() if k == "class_" else have != v):
                    return False
            return True

        return [e for e in self.iter() if e.tag == tag and matches(e) and e is not self]

    def one(self, tag: str, **attrs: str) -> Element:
        found = self.find(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Element:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    return builder.root


def finding_rules(doc: Element) -> list[str]:
    body = doc.one("table", id="findings").one("tbody")
    return [row.one("td", class_="rule").text() for row in body.find("tr")]


def picture_nodes(doc: Element) -> list[tuple[str, str]]:
    svg = doc.one("svg", id="blast-radius")
    return [(g.attrs["data-kind"], g.attrs["data-id"]) for g in svg.find("g", class_="node")]


def picture_edges(doc: Element) -> set[tuple[str, str, str]]:
    svg = doc.one("svg", id="blast-radius")
    return {
        (p.attrs["data-from"], p.attrs["data-kind"], p.attrs["data-to"])
        for p in svg.find("path", class_="edge")
    }


# --------------------------------------------------------------------------- CSV


def test_findings_csv_is_exact() -> None:
    report = {
        "findings": [
            FINDINGS[0],
            finding("medium", "NHI-CRED-004", 'Live credential is "dormant", says the rule',
                    "okta:northwind:token:hr-sync", None, {"note": "line one\nline two"},
                    "Revoke it.", ["NHI1 Improper Offboarding"], []),
        ]
    }  # fmt: skip
    assert render_csv(report) == (
        "severity,rule,title,subject,integration,owasp,nist,remediation,evidence\r\n"
        "critical,NHI-VEN-001,Offboarded vendor still holds live credentials,"
        "inventory:vendor:ledgerly,m365:northwind:sp:ledgerly-expense-sync,"
        "NHI1 Improper Offboarding; NHI3 Vulnerable Third-Party NHI,"
        "GV.SC-10 Supply chain plans cover activities after a partnership ends; "
        "DE.CM-06 External service provider activities are monitored,"
        "Revoke every live credential of the offboarded vendor's integrations.,"
        '"{""credentials"":[""m365:northwind:secret:ledgerly-2""],'
        '""offboarded_at"":""2026-06-30T17:00:00Z"",""vendor"":""inventory:vendor:ledgerly""}"'
        "\r\n"
        'medium,NHI-CRED-004,"Live credential is ""dormant"", says the rule",'
        "okta:northwind:token:hr-sync,,NHI1 Improper Offboarding,,Revoke it.,"
        '"{""note"":""line one\\nline two""}"\r\n'
    )


def test_csv_cells_a_spreadsheet_would_run_are_quoted_as_text() -> None:
    hostile = ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "=1"]
    report = {
        "findings": [
            finding("high", hostile[0], hostile[1], hostile[2], hostile[3], {"a": 1}, hostile[4],
                    [hostile[5]], ["safe"]),
            finding("low", "NHI-X", "a - b", "x=y", None, -5, "plain", [], []),
        ]
    }  # fmt: skip
    rows = list(csv.reader(io.StringIO(render_csv(report))))
    assert rows[1] == [
        "high", "'" + hostile[0], "'" + hostile[1], "'" + hostile[2], "'" + hostile[3],
        "'=1", "safe", "'\tcmd", '{"a":1}',
    ]  # fmt: skip
    # Only a leading trigger counts; a JSON number that starts with '-' is defused too.
    assert rows[2] == ["low", "NHI-X", "a - b", "x=y", "", "", "", "plain", "'-5"]


# --------------------------------------------------------------------------- HTML

HOSTILE = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(2)>'


def hostile_report() -> dict[str, Any]:
    """Every string the page shows comes from input that tries to inject markup."""
    report = sample_report()
    report["title"] = HOSTILE
    report["store"] = BREAKOUT
    report["summary"]["by_severity"][BREAKOUT] = 1
    bad = report["findings"][0]
    bad.update(rule=BREAKOUT, title=HOSTILE, subject=BREAKOUT, integration=HOSTILE,
               remediation=HOSTILE, owasp=[ref(BREAKOUT, HOSTILE)], nist=[BREAKOUT],
               evidence={HOSTILE: BREAKOUT})  # fmt: skip
    report["risks"][0].update(name=HOSTILE, integration=BREAKOUT, tier=BREAKOUT)
    report["risks"][0]["factors"][0].update(name=HOSTILE, detail=BREAKOUT)
    radius = report["radius"]
    radius["title"] = HOSTILE
    radius["ids"] = [BREAKOUT]
    radius["start"].append(BREAKOUT)
    radius["tenants"].append({"id": HOSTILE, "access": BREAKOUT})
    store = radius["stores"][0]
    store.update(name=HOSTILE, classification=BREAKOUT, access=BREAKOUT)
    store["path"]["nodes"][0] = BREAKOUT
    radius["exposed"][0]["integrations"] = [HOSTILE]
    return report


def assert_inert(doc: Element) -> None:
    """No element or attribute that could run code or fetch anything."""
    tags = {e.tag for e in doc.iter()}
    assert not tags & {
        "script",
        "img",
        "iframe",
        "object",
        "embed",
        "link",
        "image",
        "use",
        "foreignobject",
        "base",
        "form",
        "audio",
        "video",
        "source",
        "input",
    }
    for e in doc.iter():
        for name, value in e.attrs.items():
            assert not name.startswith("on"), (e.tag, name)
            assert name not in {"src", "srcset", "xlink:href", "action", "formaction"}, e.tag
            if name == "href":
                assert value.startswith("#"), value


def test_hostile_strings_come_out_as_text() -> None:
    page = render_html(hostile_report())
    doc = parse(page)
    assert_inert(doc)
    assert HOSTILE not in page and BREAKOUT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert doc.one("head").one("title").text() == HOSTILE
    first = doc.one("table", id="findings").one("tbody").find("tr")[0]
    assert [td.text() for td in first.find("td")][1:5] == [BREAKOUT, HOSTILE, BREAKOUT, HOSTILE]
    assert first.one("pre").text() == json.dumps({HOSTILE: BREAKOUT}, separators=(",", ":"))
    nodes = picture_nodes(doc)
    assert ("start", BREAKOUT) in nodes and ("tenant", HOSTILE) in nodes
    # Unknown words never become CSS classes.
    assert doc.one("table", id="risks").find("tr")[1].attrs["class"] == "tier-other"


def test_the_page_loads_nothing_and_runs_nothing() -> None:
    page = render_html(sample_report())
    doc = parse(page)
    assert_inert(doc)
    csp = [m for m in doc.find("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"]
    assert (
        [m.attrs["content"] for m in csp]
        == ["default-src 'none'; style-src 'unsafe-inline'; img-src data:"]
        == [CSP]
    )
    for needle in ("http:", "https:", "url(", "@import", "<script", "<link", "src="):
        assert needle not in page.lower(), needle
    assert [e.tag for e in doc.iter() if e.tag == "style"] == ["style"]


def test_the_same_report_gives_the_same_bytes(tmp_path: Path) -> None:
    first = render_html(sample_report())
    # The same content with every mapping's keys in another order.
    shuffled = json.loads(json.dumps(sample_report(), sort_keys=True))
    assert render_html(shuffled) == first
    assert render_csv(shuffled) == render_csv(sample_report())
    a = write_report(sample_report(), tmp_path / "a")
    b = write_report(shuffled, tmp_path / "b")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def test_write_report_writes_json_csv_and_html(tmp_path: Path) -> None:
    report = sample_report()
    paths = write_report(report, tmp_path / "out")
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "out/report.json", "out/findings.csv", "out/report.html",
    ]  # fmt: skip
    text = paths[0].read_text(encoding="utf-8")
    assert text == json.dumps(report, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    assert json.loads(text) == report
    raw_csv = paths[1].read_bytes()
    assert raw_csv.count(b"\r\n") == 13 and b"\n" not in raw_csv.replace(b"\r\n", b"")
    assert paths[2].read_text(encoding="utf-8") == render_html(report)


def test_the_page_has_every_finding_the_top_risks_and_the_summary() -> None:
    doc = parse(render_html(sample_report()))
    assert finding_rules(doc) == [f["rule"] for f in FINDINGS]
    risks = doc.one("table", id="risks").one("tbody").find("tr")
    assert [[td.text() for td in row.find("td")][:5] for row in risks[:2]] == [
        ["1", f"SyncBridge CRM-Slack connector{SYNCBRIDGE}", "critical", "158", "130"],
        ["2", f"Ledgerly expense sync{LEDGERLY_M365}", "high", "87.5", "47.5"],
    ]
    assert [li.text() for li in risks[1].find("li")] == [
        "blast radius +47.5: 6 data stores, 2 tenants reachable",
        "Offboarded vendor still holds live credentials +40: "
        "NHI-VEN-001 (critical) on inventory:vendor:ledgerly",
    ]
    cards = doc.one("div", id="by-severity").find("div", class_="card")
    assert [c.text() for c in cards] == ["1critical", "5high", "4medium", "2low", "0info"]
    stores = doc.one("table", id="radius-stores").one("tbody").find("tr")
    assert len(stores) == 8
    assert stores[0].find("td")[-1].text() == " -".join(
        [
            "m365:northwind:secret:ledgerly-2",
            "GRANTS-> m365:northwind/Sites.ReadWrite.All",
            "CAN_ACCESS-> m365:northwind:sharepoint:finance",
            "STORES-> aws:northwind-prod:key:AKIABACKUPJOB",
            "GRANTS-> aws:northwind-prod/BackupWriter",
            "CAN_ACCESS-> aws:northwind-prod:s3:backups",
        ]
    )


def test_more_than_twenty_risks_show_the_first_twenty() -> None:
    report = sample_report()
    report["risks"] = [dict(RISKS[-1], integration=f"x:{i:02}") for i in range(25)]
    doc = parse(render_html(report))
    rows = doc.one("table", id="risks").one("tbody").find("tr")
    assert [row.find("code")[0].text() for row in rows] == [f"x:{i:02}" for i in range(20)]
    assert doc.one("section", id="top-risks").one("h2").text() == "Top risks (the first 20 of 25)"


# --------------------------------------------------------------------------- the picture


def test_the_picture_draws_every_node_and_the_witness_paths() -> None:
    doc = parse(render_html(sample_report()))
    assert picture_nodes(doc) == [
        # start credentials, live first
        ("start", M365_SECRET),
        ("start", SF_TOKEN),
        ("start", "m365:northwind:secret:ledgerly-1"),
        # depth 0: tenants by their credential, stores by their tenant
        ("tenant", "m365:northwind"),
        ("tenant", "salesforce:northwind"),
        ("store", "m365:northwind:mailbox:finance"),
        ("store", "m365:northwind:onedrive:ap-team"),
        ("store", SHAREPOINT),
        ("store", "salesforce:northwind:object:Account"),
        ("store", CASE),
        # hop 1: the keys found in the SharePoint site and the support case
        ("exposed", BACKUP_KEY),
        ("exposed", ETL_KEY),
        # depth 1
        ("tenant", "aws:northwind-prod"),
        ("store", "aws:northwind-prod:s3:backups"),
        ("store", "aws:northwind-prod:s3:datalake"),
        ("store", "aws:northwind-prod:secretsmanager"),
    ]
    assert picture_edges(doc) == {
        (M365_SECRET, "write", "m365:northwind"),
        ("m365:northwind", "read", "m365:northwind:mailbox:finance"),
        ("m365:northwind", "read", "m365:northwind:onedrive:ap-team"),
        ("m365:northwind", "write", SHAREPOINT),
        (SF_TOKEN, "admin", "salesforce:northwind"),
        ("salesforce:northwind", "admin", "salesforce:northwind:object:Account"),
        ("salesforce:northwind", "admin", CASE),
        (SHAREPOINT, "stores", BACKUP_KEY),
        (CASE, "stores", ETL_KEY),
        (BACKUP_KEY, "write", "aws:northwind-prod"),
        (ETL_KEY, "read", "aws:northwind-prod"),
        ("aws:northwind-prod", "write", "aws:northwind-prod:s3:backups"),
        ("aws:northwind-prod", "read", "aws:northwind-prod:s3:datalake"),
        ("aws:northwind-prod", "read", "aws:northwind-prod:secretsmanager"),
    }
    svg = doc.one("svg", id="blast-radius")
    store = svg.find("g", **{"data-id": SHAREPOINT})[0]
    assert store.one("rect").attrs["fill"] == CLASSIFICATION_FILL["restricted"]
    assert [t.text() for t in store.find("text")] == [
        "Finance SharePoint site",
        "restricted · write",
    ]
    assert store.one("title").text().startswith(f"data store {SHAREPOINT}\n")
    headings = [t.text() for t in svg.find("text", class_="heading")][:6]
    assert headings == [
        "start credentials", "tenants · depth 0", "data stores · depth 0", "exposed · hop 1",
        "tenants · depth 1", "data stores · depth 1",
    ]  # fmt: skip
    assert_fits(svg)


def assert_fits(svg: Element) -> None:
    """Every drawn shape lies inside the viewBox, which matches the size."""
    _, _, width, height = map(float, svg.attrs["viewbox"].split())
    assert (float(svg.attrs["width"]), float(svg.attrs["height"])) == (width, height)
    for rect in svg.find("rect"):
        x, y = float(rect.attrs["x"]), float(rect.attrs["y"])
        assert x >= 0 and x + float(rect.attrs["width"]) <= width
        assert y >= 0 and y + float(rect.attrs["height"]) <= height


def big_radius(stores: int, exposed: int) -> dict[str, Any]:
    radius = copy.deepcopy(RADIUS)
    radius["stores"] = [
        reached(f"aws:t{i % 5}:s3:bucket-{i:03}", f"bucket {i:03}",
                ("public", "internal", "confidential", "restricted")[i % 4], "read", i % 2,
                path(M365_SECRET, "GRANTS", "s", "CAN_ACCESS", f"aws:t{i % 5}:s3:bucket-{i:03}"))
        for i in range(stores)
    ]  # fmt: skip
    radius["tenants"] = [{"id": f"aws:t{i}", "access": "read"} for i in range(5)]
    radius["exposed"] = [
        {"id": f"aws:t0:key:{i:03}", "depth": 1, "found_in": "aws:t0:s3:bucket-000",
         "integrations": [], "path": path(M365_SECRET)}
        for i in range(exposed)
    ]  # fmt: skip
    return radius


def test_a_large_radius_is_capped_in_the_picture_and_listed_in_full() -> None:
    report = sample_report()
    report["radius"] = big_radius(stores=150, exposed=70)
    doc = parse(render_html(report))
    kinds = [kind for kind, _ in picture_nodes(doc)]
    assert kinds.count("store") == MAX_PICTURE_STORES
    assert kinds.count("exposed") == MAX_PICTURE_CREDENTIALS
    svg = doc.one("svg", id="blast-radius")
    assert [t.text() for t in svg.find("text", class_="note")] == [
        "+30 more exposed credentials not drawn",
        "+90 more data stores not drawn",
    ]
    # Shallowest and most sensitive first: 60 of the 75 at depth 0, every confidential one.
    by_id = {s["id"]: s for s in report["radius"]["stores"]}
    drawn = [by_id[i] for k, i in picture_nodes(doc) if k == "store"]
    assert {s["depth"] for s in drawn} == {0}
    confidential = [
        s for s in by_id.values() if (s["depth"], s["classification"]) == (0, "confidential")
    ]
    assert len(confidential) == 37 and all(s in drawn for s in confidential)
    assert len(doc.one("table", id="radius-stores").one("tbody").find("tr")) == 150
    assert_fits(svg)


def test_an_empty_report_still_renders() -> None:
    doc = parse(render_html({"findings": [], "risks": [], "radius": None}))
    assert finding_rules(doc) == []
    assert doc.one("head").one("title").text() == "nhigraph report"
    assert doc.one("section", id="blast").one("p").text() == (
        "No blast radius was chosen for this report."
    )
    nothing = dict(RADIUS, live_start=[], stores=[], tenants=[], exposed=[])
    svg = parse(render_html({"radius": nothing})).one("svg", id="blast-radius")
    assert [t.text() for t in svg.find("text", class_="note")] == [
        "Nothing is reachable: no start credential reaches a tenant or store"
    ]
    assert render_csv({}) == CSV_HEADER_LINE


CSV_HEADER_LINE = "severity,rule,title,subject,integration,owasp,nist,remediation,evidence\r\n"


# --------------------------------------------------------------------------- a real browser

CHROMIUM_INSTALL = "sudo apt-get install -y chromium"


def headless_chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Open ``page`` in Debian's Chromium, headless, with every host name unresolvable.

    ``args`` are e.g. ``--dump-dom`` or ``--screenshot=<png>``; stdout holds the dumped DOM,
    stderr the browser's log (console messages, CSP violations included).
    """
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.fail(
            f"chromium is not installed; the report's browser test needs it: {CHROMIUM_INSTALL}"
            " (scripts/test installs it when it is missing)",
            pytrace=False,
        )
    command = [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--hide-scrollbars", f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost",
        "--virtual-time-budget=3000", "--enable-logging=stderr", "--v=0",
        *args, page.resolve().as_uri(),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def decode_png(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """(width, height, bytes per pixel, rows of pixels) of an 8-bit RGB(A) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
    width, height, bits, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (bits, interlace) == (8, 0) and colour in (2, 6), (bits, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * bpp
    rows: list[bytes] = []
    prior = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prior, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prior[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prior[i], prior[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prior = line
    return width, height, bpp, rows


def colour_counts(rows: list[bytes], bpp: int) -> dict[bytes, int]:
    counts: dict[bytes, int] = {}
    for row in rows:
        for i in range(0, len(row), bpp):
            pixel = row[i : i + 3]
            counts[pixel] = counts.get(pixel, 0) + 1
    return counts


def rgb(hex_colour: str) -> bytes:
    return bytes.fromhex(hex_colour.lstrip("#"))


def test_chromium_renders_the_findings_table_and_the_picture(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(sample_report()), encoding="utf-8")
    dumped = headless_chromium(page, tmp_path / "profile", "--dump-dom")
    doc = parse(dumped.stdout)
    assert finding_rules(doc) == [
        "NHI-VEN-001", "NHI-APPR-001", "NHI-DEL-002", "NHI-LIFE-001", "NHI-OWN-001",
        "NHI-SEC-001", "NHI-CRED-001", "NHI-CRED-004", "NHI-DEL-001", "NHI-SHARE-001",
        "NHI-CRED-005", "NHI-LIFE-002",
    ]  # fmt: skip
    nodes = picture_nodes(doc)
    assert len(nodes) == 16
    assert {k: [n for n, _ in nodes].count(k) for k in ("start", "tenant", "store", "exposed")} == {
        "start": 3, "tenant": 3, "store": 8, "exposed": 2,
    }  # fmt: skip
    assert len(picture_edges(doc)) == 14
    # The page asked for nothing the CSP had to block, and logged nothing.
    assert console_messages(dumped.stderr) == []

    shot = tmp_path / "shot.png"
    headless_chromium(page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1400,2000")
    width, height, bpp, rows = decode_png(shot.read_bytes())
    assert (width, height) == (1400, 2000)
    counts = colour_counts(rows, bpp)
    # The picture was painted: the store boxes' fills cover thousands of pixels (three
    # restricted stores of 178x34, less their text), and the critical badge is red.
    assert counts.get(rgb(CLASSIFICATION_FILL["restricted"]), 0) > 3 * 4000
    assert counts.get(rgb(CLASSIFICATION_FILL["confidential"]), 0) > 3 * 4000
    assert counts.get(rgb(CLASSIFICATION_FILL["internal"]), 0) > 2 * 4000
    assert counts.get(rgb("#b91c1c"), 0) > 500
    assert len(counts) > 200  # text, anti-aliasing, colours: not a blank page


def test_chromium_finds_no_markup_in_hostile_strings(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(hostile_report()), encoding="utf-8")
    dumped = headless_chromium(page, tmp_path / "profile", "--dump-dom")
    doc = parse(dumped.stdout)
    assert_inert(doc)
    assert doc.one("table", id="findings").one("tbody").find("tr")[0].find("td")[2].text() == (
        HOSTILE
    )
    assert console_messages(dumped.stderr) == []
