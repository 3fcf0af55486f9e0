"""Findings: every rule on a graph that triggers it and on a near miss that does not,
the Northwind demo's exact findings, and the catalogue agreeing with the code.

Each rule's graphs start from one clean integration (owned, justified, approved for
exactly what its one credential grants, the credential young, expiring within the
policy, recently used) on which ``find`` reports nothing, and change one thing. The
assertions are on the whole result, so a rule firing where it should not fails too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nhigraph.errors import ConfigError
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.estate import read_estate
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.policy import default_policy
from nhigraph.graph.store import Batch, NodeRow, RelRow, SyncRun
from nhigraph.ingest.sync import read_inventories, write_batches
from nhigraph.posture.findings import (
    RULES,
    SEVERITY_RANK,
    Finding,
    catalogue,
    find,
    parse_catalogue,
)

Store = EmbeddedStore | Neo4jStore
ROOT = Path(__file__).resolve().parent.parent
RUN = SyncRun("run-1", "2026-11-01T00:00:00Z")
AS_OF = "2026-11-20T00:00:00Z"

TEAM = "inv:team:ops"
APP = "t:acme:app:a"
CRED = "t:acme:cred:a"
APP_B = "t:acme:app:b"
CRED_B = "t:acme:cred:b"
WIKI = "t:acme:wiki"
READ = "t:acme/wiki.read"
ADMIN = "t:acme/admin"
FINGERPRINT = "hmac-sha256:" + "ab" * 32


class Graph:
    """A hand-made graph whose nodes and relationships can still be changed before it
    is loaded: ``set`` overrides properties (None removes one), ``unrel`` drops one."""

    def __init__(self) -> None:
        self.nodes: dict[str, tuple[str, dict[str, Any]]] = {}
        self.rels: dict[tuple[str, str, str], dict[str, Any]] = {}

    def node(self, label: str, node_id: str, **props: Any) -> Graph:
        self.nodes[node_id] = (label, props)
        return self

    def set(self, node_id: str, **props: Any) -> Graph:
        current = self.nodes[node_id][1]
        for key, value in props.items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
        return self

    def rel(self, rel_type: str, start: str, end: str, **props: Any) -> Graph:
        self.rels[(rel_type, start, end)] = props
        return self

    def unrel(self, rel_type: str, start: str, end: str) -> Graph:
        del self.rels[(rel_type, start, end)]
        return self

    def integration(self, app: str, credential: str, *grants: str) -> Graph:
        """A clean integration: owned by TEAM, justified, approved for what its one
        credential grants; the credential 50 days old, expiring in 132 days, used
        yesterday."""
        self.node("Integration", app, name=app, kind="oauth_app", status="enabled",
                  lifecycle="in_use", purpose="Sync the wiki",
                  review_due="2027-01-01T00:00:00Z")  # fmt: skip
        self.rel("OWNS", TEAM, app)
        self.node("Credential", credential, kind="api_key", status="active",
                  created_at="2026-10-01T00:00:00Z", expires_at="2027-04-01T00:00:00Z",
                  last_used_at="2026-11-19T00:00:00Z")  # fmt: skip
        self.rel("HAS_CREDENTIAL", app, credential)
        for scope in grants:
            self.rel("GRANTS", credential, scope)
            self.rel("APPROVED_FOR", app, scope)
        return self

    def scope(self, name: str, access: str, *targets: Any, **props: Any) -> Graph:
        scope_id = f"t:acme/{name}"
        self.node("Scope", scope_id, name=name, provider="x", access=access, sensitive=False,
                  **props)  # fmt: skip
        for target in targets:
            if isinstance(target, tuple):
                self.rel("CAN_ACCESS", scope_id, target[0], access=target[1])
            else:
                self.rel("CAN_ACCESS", scope_id, target)
        return self

    def store(self, store_id: str, classification: str) -> Graph:
        self.node("DataStore", store_id, name=store_id, kind="wiki",
                  classification=classification)  # fmt: skip
        return self.rel("CONTAINS", "t:acme", store_id)

    def load(self, store: Store) -> Store:
        batch = Batch("test", "t")
        batch.nodes = [NodeRow(label, i, props) for i, (label, props) in self.nodes.items()]
        batch.rels = [RelRow(t, s, e, props) for (t, s, e), props in self.rels.items()]
        store.upsert(batch, RUN)
        return store


def clean() -> Graph:
    g = Graph()
    g.node("Team", TEAM, name="Ops", status="active")
    g.node("Tenant", "t:acme", provider="x", name="Acme")
    g.store(WIKI, "internal")
    g.scope("wiki.read", "read", WIKI)
    return g.integration(APP, CRED, READ)


def with_admin_scope(g: Graph) -> Graph:
    return g.scope("admin", "admin", ("t:acme", "admin"))


Expected = list[tuple[str, str, str | None, dict[str, Any]]]


def found(store: Store, graph: Graph) -> Expected:
    graph.load(store)
    findings = find(read_estate(store), store, default_policy(), AS_OF)
    return [(f.rule, f.subject, f.integration, f.evidence) for f in findings]


def test_a_clean_integration_has_no_findings(store: Store) -> None:
    assert found(store, clean()) == []


# --------------------------------------------------------------------------- one rule at a time
# (rule id, graph that triggers it, its exact findings, near miss that finds nothing)

Case = tuple[str, Callable[[], Graph], Expected, Callable[[], Graph]]


def _ownership() -> list[Case]:
    def unowned() -> Graph:
        g = clean().unrel("OWNS", TEAM, APP)
        return g.node("Team", "inv:team:web", name="Web", status="active").rel(
            "USES", "inv:team:web", APP
        )

    def disbanded_user() -> Graph:
        g = clean().node("Team", "inv:team:old", name="Old", status="disbanded")
        return g.rel("USES", "inv:team:old", APP)

    return [
        (
            "NHI-OWN-001",
            unowned,
            [("NHI-OWN-001", APP, APP, {"integration": APP, "users": ["inv:team:web"]})],
            clean,
        ),
        (
            "NHI-OWN-002",
            lambda: clean().set(TEAM, status="disbanded"),
            [("NHI-OWN-002", APP, APP, {"integration": APP, "team": TEAM})],
            disbanded_user,  # a disbanded team that only uses it is not its owner
        ),
        (
            "NHI-OWN-003",
            lambda: clean().set(APP, purpose=None),
            [("NHI-OWN-003", APP, APP, {"integration": APP})],
            clean,
        ),
    ]


def _credential_hygiene() -> list[Case]:
    created = "2026-10-01T00:00:00Z"
    return [
        (
            "NHI-CRED-001",
            lambda: clean().set(CRED, expires_at=None),
            [("NHI-CRED-001", CRED, APP, {"credential": CRED, "created_at": created})],
            # a revoked credential without expiry is not live, so not judged
            lambda: clean().set(
                CRED, expires_at=None, status="revoked", revoked_at="2026-11-01T00:00:00Z"
            ),
        ),
        (
            "NHI-CRED-002",
            lambda: clean().set(CRED, expires_at="2027-10-02T00:00:00Z"),
            [
                (
                    "NHI-CRED-002",
                    CRED,
                    APP,
                    {
                        "credential": CRED,
                        "created_at": created,
                        "expires_at": "2027-10-02T00:00:00Z",
                        "measured_from": "created_at",
                        "latest_allowed_expiry": "2027-10-01T00:00:00Z",
                    },
                )
            ],
            lambda: clean().set(CRED, expires_at="2027-10-01T00:00:00Z"),  # exactly 365 days
        ),
        (
            "NHI-CRED-002",  # no created_at: measured from as_of
            lambda: clean().set(CRED, created_at=None, expires_at="2027-11-21T00:00:00Z"),
            [
                (
                    "NHI-CRED-002",
                    CRED,
                    APP,
                    {
                        "credential": CRED,
                        "created_at": None,
                        "expires_at": "2027-11-21T00:00:00Z",
                        "measured_from": "as_of",
                        "latest_allowed_expiry": "2027-11-20T00:00:00Z",
                    },
                )
            ],
            lambda: clean().set(CRED, created_at=None, expires_at="2027-11-20T00:00:00Z"),
        ),
        (
            "NHI-CRED-003",
            lambda: clean().set(CRED, created_at="2026-05-23T00:00:00Z"),
            [
                (
                    "NHI-CRED-003",
                    CRED,
                    APP,
                    {
                        "credential": CRED,
                        "created_at": "2026-05-23T00:00:00Z",
                        "rotate_by": "2026-11-19T00:00:00Z",
                    },
                )
            ],
            # rotated exactly 180 days ago: the rotation date wins over the creation date
            lambda: clean().set(
                CRED, created_at="2026-05-23T00:00:00Z", last_rotated_at="2026-05-24T00:00:00Z"
            ),
        ),
        (
            "NHI-CRED-003",  # only the rotation date known; with neither, not judged
            lambda: clean().set(CRED, created_at=None, last_rotated_at="2026-01-01T00:00:00Z"),
            [
                (
                    "NHI-CRED-003",
                    CRED,
                    APP,
                    {
                        "credential": CRED,
                        "last_rotated_at": "2026-01-01T00:00:00Z",
                        "rotate_by": "2026-06-30T00:00:00Z",
                    },
                )
            ],
            lambda: clean().set(CRED, created_at=None),
        ),
        (
            "NHI-CRED-004",
            lambda: clean().set(CRED, last_used_at="2026-08-21T23:59:59Z"),
            [
                (
                    "NHI-CRED-004",
                    CRED,
                    APP,
                    {"credential": CRED, "last_used_at": "2026-08-21T23:59:59Z"},
                )
            ],
            lambda: clean().set(CRED, last_used_at="2026-08-22T00:00:00Z"),  # exactly 90 days
        ),
        (
            "NHI-CRED-005",
            lambda: clean().set(CRED, last_used_at=None),
            [("NHI-CRED-005", CRED, APP, {"credential": CRED, "created_at": created})],
            # created exactly 30 days ago: still in its grace period
            lambda: clean().set(CRED, last_used_at=None, created_at="2026-10-21T00:00:00Z"),
        ),
    ]


def _vendors_and_life_cycle() -> list[Case]:
    vendor = "inv:vendor:acme"

    def offboarded() -> Graph:
        g = clean().node("Vendor", vendor, name="Acme Sync", status="offboarded",
                         offboarded_at="2026-06-30T00:00:00Z")  # fmt: skip
        return g.rel("PROVIDES", vendor, APP)

    def expired() -> Graph:
        return clean().set(CRED, expires_at="2026-11-01T00:00:00Z")

    return [
        (
            "NHI-VEN-001",
            offboarded,
            [
                (
                    "NHI-VEN-001",
                    vendor,
                    APP,
                    {
                        "vendor": vendor,
                        "offboarded_at": "2026-06-30T00:00:00Z",
                        "live_credentials": [CRED],
                        "used_after_offboarding": [CRED],
                    },
                )
            ],
            lambda: offboarded().set(CRED, status="revoked", revoked_at="2026-07-01T00:00:00Z"),
        ),
        (
            "NHI-VEN-001",  # offboarding dated after as_of has not happened yet
            lambda: offboarded().set(CRED, last_used_at="2026-06-01T00:00:00Z"),
            [
                (
                    "NHI-VEN-001",
                    vendor,
                    APP,
                    {
                        "vendor": vendor,
                        "offboarded_at": "2026-06-30T00:00:00Z",
                        "live_credentials": [CRED],
                        "used_after_offboarding": [],
                    },
                ),
                (
                    "NHI-CRED-004",
                    CRED,
                    APP,
                    {"credential": CRED, "last_used_at": "2026-06-01T00:00:00Z"},
                ),
            ],
            lambda: offboarded().set(vendor, offboarded_at="2026-12-01T00:00:00Z"),
        ),
        (
            "NHI-LIFE-001",
            lambda: clean().set(APP, lifecycle="retired"),
            [("NHI-LIFE-001", APP, APP, {"integration": APP, "credentials": [CRED]})],
            lambda: expired().set(APP, lifecycle="retired"),
        ),
        (
            "NHI-LIFE-002",
            lambda: clean().set(APP, status="disabled"),
            [("NHI-LIFE-002", APP, APP, {"integration": APP, "credentials": [CRED]})],
            lambda: expired().set(APP, status="disabled"),
        ),
    ]


def _privilege() -> list[Case]:
    def admin_only() -> Graph:
        g = with_admin_scope(clean()).unrel("GRANTS", CRED, READ)
        return g.rel("GRANTS", CRED, ADMIN).rel("APPROVED_FOR", APP, ADMIN)

    def admin_and_read() -> Graph:
        return with_admin_scope(clean()).rel("GRANTS", CRED, ADMIN).rel("APPROVED_FOR", APP, ADMIN)

    def read_and_write() -> Graph:
        g = clean().scope("wiki.write", "write", WIKI)
        return g.rel("GRANTS", CRED, "t:acme/wiki.write").rel(
            "APPROVED_FOR", APP, "t:acme/wiki.write"
        )

    def unclassified(g: Graph, credential: str) -> Graph:
        g.scope("custom", "write", ("t:acme", "write"), unclassified=True)
        g.rel("GRANTS", credential, "t:acme/custom")
        return g.rel("APPROVED_FOR", APP, "t:acme/custom")

    def unclassified_on_an_expired_credential() -> Graph:
        g = clean().node("Credential", CRED_B, kind="api_key", status="active",
                         created_at="2026-01-01T00:00:00Z",
                         expires_at="2026-06-01T00:00:00Z")  # fmt: skip
        return unclassified(g.rel("HAS_CREDENTIAL", APP, CRED_B), CRED_B)

    admin_evidence = {"credential": CRED, "admin_scopes": [ADMIN]}
    return [
        (
            "NHI-PRIV-001",
            admin_only,
            [("NHI-PRIV-001", CRED, APP, admin_evidence)],
            lambda: with_admin_scope(clean()).rel("APPROVED_FOR", APP, ADMIN),  # approved only
        ),
        (
            "NHI-PRIV-002",
            admin_and_read,
            [
                ("NHI-PRIV-001", CRED, APP, admin_evidence),
                (
                    "NHI-PRIV-002",
                    CRED,
                    APP,
                    {"credential": CRED, "scopes": {"admin": [ADMIN], "read": [READ]}},
                ),
            ],
            read_and_write,  # two levels, but no admin
        ),
        (
            "NHI-PRIV-003",
            lambda: unclassified(clean(), CRED),
            [
                (
                    "NHI-PRIV-003",
                    CRED,
                    APP,
                    {"credential": CRED, "unclassified_scopes": ["t:acme/custom"]},
                )
            ],
            unclassified_on_an_expired_credential,
        ),
    ]


def _approvals_and_sharing() -> list[Case]:
    hr = "t:acme:hr"

    def creeping(approved: bool) -> Graph:
        g = clean().store(hr, "restricted").scope("hr.read", "read", hr)
        g.rel("GRANTS", CRED, "t:acme/hr.read")
        return g.rel("APPROVED_FOR", APP, "t:acme/hr.read") if approved else g

    def shared(classification: str) -> Graph:
        g = clean().set(WIKI, classification=classification)
        g.node("Team", "inv:team:web", name="Web", status="active")
        return g.rel("USES", "inv:team:web", APP)

    return [
        (
            "NHI-APPR-001",
            lambda: creeping(approved=False),
            [
                (
                    "NHI-APPR-001",
                    APP,
                    APP,
                    {
                        "integration": APP,
                        "unapproved_scopes": ["t:acme/hr.read"],
                        "excess": [
                            {
                                "store": hr,
                                "effective_access": "read",
                                "approved_access": None,
                                "path": {
                                    "nodes": [CRED, "t:acme/hr.read", hr],
                                    "rels": ["GRANTS", "CAN_ACCESS"],
                                },
                            }
                        ],
                    },
                )
            ],
            lambda: creeping(approved=True),
        ),
        (
            "NHI-APPR-002",
            lambda: clean().unrel("APPROVED_FOR", APP, READ),
            [("NHI-APPR-002", APP, APP, {"integration": APP, "live_credentials": [CRED]})],
            # nothing approved, but nothing live to act with either
            lambda: (
                clean()
                .unrel("APPROVED_FOR", APP, READ)
                .set(CRED, status="revoked", revoked_at="2026-11-01T00:00:00Z")
            ),
        ),
        (
            "NHI-SHARE-001",
            lambda: shared("confidential"),
            [
                (
                    "NHI-SHARE-001",
                    APP,
                    APP,
                    {
                        "integration": APP,
                        "teams": [TEAM, "inv:team:web"],
                        "sensitive_stores": [
                            {"id": WIKI, "classification": "confidential", "access": "read"}
                        ],
                    },
                )
            ],
            lambda: shared("internal"),
        ),
    ]


def _secrets_and_delegation() -> list[Case]:
    def two_integrations() -> Graph:
        return clean().integration(APP_B, CRED_B, READ)

    def same_secret_on_two_integrations() -> Graph:
        return (
            two_integrations()
            .set(CRED, fingerprint=FINGERPRINT)
            .set(CRED_B, fingerprint=FINGERPRINT)
        )

    def same_secret_twice_in_one_integration() -> Graph:
        g = clean().node("Credential", CRED_B, kind="api_key", status="active",
                         created_at="2026-10-01T00:00:00Z", expires_at="2027-04-01T00:00:00Z",
                         last_used_at="2026-11-19T00:00:00Z", fingerprint=FINGERPRINT)  # fmt: skip
        g.rel("HAS_CREDENTIAL", APP, CRED_B).rel("GRANTS", CRED_B, READ)
        return g.set(CRED, fingerprint=FINGERPRINT)

    def kept_revoked() -> Graph:
        g = clean().node("Credential", CRED_B, kind="api_key", status="revoked",
                         created_at="2026-10-01T00:00:00Z",
                         revoked_at="2026-10-02T00:00:00Z")  # fmt: skip
        return g.rel("HAS_CREDENTIAL", APP, CRED_B).rel("STORES", WIKI, CRED_B)

    def acting_as(enabled: bool, is_admin: bool) -> Graph:
        g = clean().node("Principal", "t:acme:user:kim", name="kim", kind="user",
                         enabled=enabled, is_admin=is_admin)  # fmt: skip
        return g.rel("ACTS_AS", CRED, "t:acme:user:kim")

    reuse = {  # never the fingerprint itself
        "credentials": [CRED, CRED_B],
        "integrations": [APP, APP_B],
    }
    return [
        (
            "NHI-SEC-001",
            lambda: clean().rel("STORES", WIKI, CRED),
            [
                (
                    "NHI-SEC-001",
                    CRED,
                    APP,
                    {"store": WIKI, "classification": "internal", "credential": CRED},
                )
            ],
            kept_revoked,
        ),
        (
            "NHI-SEC-002",
            same_secret_on_two_integrations,
            [("NHI-SEC-002", CRED, APP, reuse), ("NHI-SEC-002", CRED_B, APP_B, reuse)],
            same_secret_twice_in_one_integration,  # an overlap during rotation is not reuse
        ),
        (
            "NHI-DEL-001",
            lambda: acting_as(enabled=False, is_admin=False),
            [
                (
                    "NHI-DEL-001",
                    CRED,
                    APP,
                    {"credential": CRED, "disabled_principals": ["t:acme:user:kim"]},
                )
            ],
            lambda: acting_as(enabled=False, is_admin=False).set(
                CRED, status="revoked", revoked_at="2026-11-01T00:00:00Z"
            ),
        ),
        (
            "NHI-DEL-002",
            lambda: acting_as(enabled=True, is_admin=True),
            [
                (
                    "NHI-DEL-002",
                    CRED,
                    APP,
                    {"credential": CRED, "admin_principals": ["t:acme:user:kim"]},
                )
            ],
            lambda: acting_as(enabled=True, is_admin=False),
        ),
        (
            "NHI-REV-001",
            lambda: clean().set(APP, review_due="2026-11-01T00:00:00Z"),
            [
                (
                    "NHI-REV-001",
                    APP,
                    APP,
                    {"integration": APP, "review_due": "2026-11-01T00:00:00Z", "days_overdue": 19},
                )
            ],
            lambda: clean().set(APP, review_due=AS_OF),  # due today is not overdue
        ),
    ]


def _human_use() -> list[Case]:
    return [
        (
            "NHI-HUM-001",
            lambda: clean().set(APP, console_password=True, mfa_active=False),
            [
                (
                    "NHI-HUM-001",
                    APP,
                    APP,
                    {"integration": APP, "mfa_active": False, "live_credentials": [CRED]},
                )
            ],
            # the same identity without a password: only its keys sign in
            lambda: clean().set(APP, console_password=False, mfa_active=False),
        ),
        (
            "NHI-HUM-001",  # with MFA, and no live key left: the password still signs in
            lambda: (
                clean()
                .set(APP, console_password=True, mfa_active=True)
                .set(CRED, status="revoked", revoked_at="2026-11-01T00:00:00Z")
            ),
            [
                (
                    "NHI-HUM-001",
                    APP,
                    APP,
                    {"integration": APP, "mfa_active": True, "live_credentials": []},
                )
            ],
            lambda: clean().set(APP, mfa_active=True),  # MFA said, no password: nothing
        ),
    ]


CASES = (
    _ownership()
    + _credential_hygiene()
    + _vendors_and_life_cycle()
    + _privilege()
    + _approvals_and_sharing()
    + _secrets_and_delegation()
    + _human_use()
)


def _case_id(case: Case) -> str:
    return case[0]


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_a_rule_fires_on_its_graph(store: Store, case: Case) -> None:
    _rule, triggers, expected, _near_miss = case
    assert found(store, triggers()) == expected


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_a_rule_stays_quiet_on_its_near_miss(store: Store, case: Case) -> None:
    _rule, _triggers, _expected, near_miss = case
    assert found(store, near_miss()) == []


def test_every_rule_has_a_case() -> None:
    assert sorted({c[0] for c in CASES}) == sorted(RULES)
    assert all(any(e[0] == c[0] for e in c[2]) for c in CASES)


def test_a_finding_as_json(store: Store) -> None:
    clean().set(APP, review_due="2026-11-01T00:00:00Z").load(store)
    (finding,) = find(read_estate(store), store, default_policy(), AS_OF)
    assert finding.to_dict() == {
        "rule": "NHI-REV-001",
        "title": "Access review is overdue",
        "severity": "medium",
        "subject": APP,
        "integration": APP,
        "evidence": {"integration": APP, "review_due": "2026-11-01T00:00:00Z", "days_overdue": 19},
        "remediation": "Review the integration's owner, purpose, scopes and credentials now and "
        "set its next review date by its risk tier's cadence.",
        "owasp": [
            {"id": "NHI1", "name": "Improper Offboarding"},
            {"id": "NHI5", "name": "Overprivileged NHI"},
        ],
        "nist": [
            {
                "id": "PR.AA-05",
                "name": "Access permissions, entitlements, and authorizations are defined in a "
                "policy, managed, enforced, and reviewed, and incorporate the principles of "
                "least privilege and separation of duties",
            }
        ],
    }


# --------------------------------------------------------------------------- the demo estate

#: What Northwind (examples/demo-estate.yaml + examples/owners.csv) yields at AS_OF, by rule:
#: the subjects, repeated when a rule finds the same subject more than once.
DEMO: dict[str, list[str]] = {
    # OFFBOARDED VENDOR, LIVE TOKENS: both Ledgerly integrations.
    "NHI-VEN-001": ["inventory:vendor:ledgerly", "inventory:vendor:ledgerly"],
    # SCOPE CREEP: SyncBridge, the intranet publisher's Files.ReadWrite.All, and every
    # other integration whose tokens hold more than was approved (Deploy Bot's
    # secrets:read leads on to the Terraform CI admin key).
    "NHI-APPR-001": [
        # Chained reach is never approved: a key or token lying in a store these reach
        # gives them stores nobody approved (Supportly and DocuFlow reach AWS admin
        # through the key in the support case).
        "aws:northwind-prod:iam-user:pipewise-etl",
        "aws:northwind-prod:iam-user:terraform-ci",
        "github:northwind:app:codeguard",
        "github:northwind:app:deploy-bot",
        "github:northwind:pat:release-packager",
        "github:northwind:pat:terraform-github",
        "google_workspace:northwind:app:ledgerly-receipts",
        "google_workspace:northwind:sa:drive-backup",
        "m365:northwind:sp:intranet-news",
        "m365:northwind:sp:meetsmart-exec-assistant",
        "salesforce:northwind:connected-app:data-loader-legacy",
        "salesforce:northwind:connected-app:docuflow",
        "salesforce:northwind:connected-app:supportly-case-sync",
        "salesforce:northwind:connected-app:syncbridge",
        "slack:northwind:app:standup-bot",
    ],
    # DELEGATED AS AN ADMIN: the exec assistant, the Drive backup, the legacy Data Loader.
    "NHI-DEL-002": [
        "google_workspace:northwind:cred:drive-backup-key",
        "m365:northwind:cred:meetsmart-refresh",
        "salesforce:northwind:cred:data-loader-refresh",
    ],
    # RETIRED BUT STILL ENABLED: the legacy Data Loader.
    "NHI-LIFE-001": ["salesforce:northwind:connected-app:data-loader-legacy"],
    # NO OWNER: backup-verifier, and the lunch bot nobody remembers installing.
    "NHI-OWN-001": [
        "aws:northwind-prod:iam-user:backup-verifier",
        "slack:northwind:app:lunch-order-bot",
    ],
    "NHI-PRIV-001": [
        "aws:northwind-prod:cred:terraform-ci-key",
        "github:northwind:cred:org-admin-pat",
        "m365:northwind:cred:okta-provisioning-secret",
        "okta:northwind:cred:okta-terraform-token",
        "salesforce:northwind:cred:data-loader-refresh",
        "salesforce:northwind:cred:syncbridge-refresh",
        "snowflake:northwind:cred:break-glass-keypair",
    ],
    # CREDENTIAL CHAINING: the AWS key in a Case, the dbt key in the repository and in
    # Secrets Manager, the GitHub org-admin token in Secrets Manager, the Terraform CI
    # key in Actions secrets.
    "NHI-SEC-001": [
        "aws:northwind-prod:cred:pipewise-etl-key",
        "aws:northwind-prod:cred:terraform-ci-key",
        "github:northwind:cred:org-admin-pat",
        "snowflake:northwind:cred:dbt-keypair",
        "snowflake:northwind:cred:dbt-keypair",
    ],
    # NEVER-EXPIRING: every live credential without expires_at.
    "NHI-CRED-001": [
        "aws:northwind-prod:cred:backup-verifier-key",
        "aws:northwind-prod:cred:finance-export-key",
        "aws:northwind-prod:cred:pipewise-etl-key",
        "aws:northwind-prod:cred:signalwatch-role-trust",
        "aws:northwind-prod:cred:terraform-ci-key",
        "aws:northwind-prod:cred:web-assets-key",
        "github:northwind:cred:codeguard-installation",
        "github:northwind:cred:deploy-bot-app-key",
        "github:northwind:cred:org-admin-pat",
        "github:northwind:cred:release-packager-pat",
        "google_workspace:northwind:cred:brand-asset-sync-refresh",
        "google_workspace:northwind:cred:drive-backup-key",
        "google_workspace:northwind:cred:growth-survey-refresh",
        "google_workspace:northwind:cred:ledgerly-refresh",
        "google_workspace:northwind:cred:meetsmart-refresh",
        "google_workspace:northwind:cred:sales-email-tracker-refresh",
        "m365:northwind:cred:meetsmart-refresh",
        "okta:northwind:cred:okta-terraform-token",
        "okta:northwind:cred:signalwatch-token-2026",
        "salesforce:northwind:cred:data-loader-refresh",
        "salesforce:northwind:cred:docuflow-refresh",
        "salesforce:northwind:cred:supportly-refresh",
        "salesforce:northwind:cred:syncbridge-refresh",
        "slack:northwind:cred:incident-bot",
        "slack:northwind:cred:standup-bot",
        "slack:northwind:cred:supportly-bot",
        "slack:northwind:cred:syncbridge-bot",
        "snowflake:northwind:cred:break-glass-keypair",
        "snowflake:northwind:cred:dbt-keypair",
    ],
    # Not rotated in 180 days: 35 of the 37 live credentials, all but the new SignalWatch
    # Okta token and the standup bot's. (The six others are expired, revoked, on a
    # disabled integration or acting as a disabled user: no hygiene findings.)
    "NHI-CRED-003": [
        "aws:northwind-prod:cred:backup-verifier-key",
        "aws:northwind-prod:cred:finance-export-key",
        "aws:northwind-prod:cred:pipewise-etl-key",
        "aws:northwind-prod:cred:signalwatch-role-trust",
        "aws:northwind-prod:cred:terraform-ci-key",
        "aws:northwind-prod:cred:web-assets-key",
        "github:northwind:cred:codeguard-installation",
        "github:northwind:cred:deploy-bot-app-key",
        "github:northwind:cred:org-admin-pat",
        "github:northwind:cred:release-packager-pat",
        "google_workspace:northwind:cred:brand-asset-sync-refresh",
        "google_workspace:northwind:cred:directory-sync-key",
        "google_workspace:northwind:cred:drive-backup-key",
        "google_workspace:northwind:cred:growth-survey-refresh",
        "google_workspace:northwind:cred:ledgerly-refresh",
        "google_workspace:northwind:cred:meetsmart-refresh",
        "google_workspace:northwind:cred:sales-email-tracker-refresh",
        "m365:northwind:cred:intranet-news-cert",
        "m365:northwind:cred:ledgerly-expense-secret",
        "m365:northwind:cred:meetsmart-refresh",
        "m365:northwind:cred:okta-provisioning-secret",
        "m365:northwind:cred:signalwatch-cert",
        "okta:northwind:cred:okta-terraform-token",
        "okta:northwind:cred:okta-workflows-client",
        "salesforce:northwind:cred:data-loader-refresh",
        "salesforce:northwind:cred:docuflow-refresh",
        "salesforce:northwind:cred:supportly-refresh",
        "salesforce:northwind:cred:syncbridge-refresh",
        "slack:northwind:cred:incident-bot",
        "slack:northwind:cred:supportly-bot",
        "slack:northwind:cred:syncbridge-bot",
        "snowflake:northwind:cred:bi-dashboards-key",
        "snowflake:northwind:cred:break-glass-keypair",
        "snowflake:northwind:cred:dbt-keypair",
        "snowflake:northwind:cred:pipewise-loader-keypair",
    ],
    # DORMANT: the finance export key, Brand Asset Sync, and the disbanded team's mailer.
    "NHI-CRED-004": [
        "aws:northwind-prod:cred:finance-export-key",
        "google_workspace:northwind:cred:brand-asset-sync-refresh",
        "google_workspace:northwind:cred:growth-survey-refresh",
    ],
    # DELEGATED, DISABLED PRINCIPAL: the board pack runs on k.osei's token.
    "NHI-DEL-001": ["m365:northwind:cred:board-pack-refresh"],
    # OWNED BY A DISBANDED TEAM: the growth survey mailer.
    "NHI-OWN-002": ["google_workspace:northwind:app:growth-survey"],
    "NHI-PRIV-002": [
        "github:northwind:cred:org-admin-pat",
        "m365:northwind:cred:okta-provisioning-secret",
        "salesforce:northwind:cred:data-loader-refresh",
        "salesforce:northwind:cred:syncbridge-refresh",
    ],
    "NHI-REV-001": [
        "aws:northwind-prod:iam-user:pipewise-etl",
        "github:northwind:pat:terraform-github",
        "google_workspace:northwind:app:ledgerly-receipts",
        "google_workspace:northwind:sa:drive-backup",
        "m365:northwind:sp:ledgerly-expense-sync",
        "m365:northwind:sp:meetsmart-exec-assistant",
        "okta:northwind:app:okta-terraform",
        "salesforce:northwind:connected-app:syncbridge",
        "snowflake:northwind:svc:break-glass",
    ],
    # SHARED CONNECTOR: SyncBridge (three teams), and BI Dashboards (two teams, the
    # restricted ANALYTICS database).
    "NHI-SHARE-001": [
        "salesforce:northwind:connected-app:syncbridge",
        "snowflake:northwind:svc:bi-dashboards",
    ],
    # backup-verifier: no approval record, no purpose.
    "NHI-APPR-002": ["aws:northwind-prod:iam-user:backup-verifier"],
    "NHI-CRED-002": [
        "google_workspace:northwind:cred:directory-sync-key",
        "m365:northwind:cred:intranet-news-cert",
        "m365:northwind:cred:ledgerly-expense-secret",
        "m365:northwind:cred:signalwatch-cert",
        "snowflake:northwind:cred:pipewise-loader-keypair",
    ],
    # NEVER USED: the standup bot pilot and the break-glass key pair.
    "NHI-CRED-005": [
        "slack:northwind:cred:standup-bot",
        "snowflake:northwind:cred:break-glass-keypair",
    ],
    # DISABLED AT THE SOURCE: the Jira notifier's webhook secret still works.
    "NHI-LIFE-002": ["slack:northwind:app:jira-notifier"],
    "NHI-OWN-003": ["aws:northwind-prod:iam-user:backup-verifier"],
}


def test_the_demo_estate_findings(store: Store) -> None:
    paths = [ROOT / "examples" / "demo-estate.yaml", ROOT / "examples" / "owners.csv"]
    write_batches(store, read_inventories(store, paths))
    findings = find(read_estate(store), store, default_policy(), AS_OF)
    by_rule: dict[str, list[str]] = {}
    for f in findings:
        by_rule.setdefault(f.rule, []).append(f.subject)
    assert by_rule == DEMO
    assert Counter(f.rule for f in findings) == Counter({r: len(s) for r, s in DEMO.items()})
    assert len(findings) == 129
    # Sorted by severity first; credential findings name the integration holding it.
    assert [f.severity for f in findings] == sorted(
        (f.severity for f in findings), key=SEVERITY_RANK.__getitem__
    )
    assert findings[0].rule == "NHI-VEN-001"
    assert all(f.integration is not None for f in findings)
    assert findings == sorted(findings, key=Finding.sort_key)


# --------------------------------------------------------------------------- the catalogue


def test_the_catalogue_and_the_code_agree() -> None:
    rules = catalogue()
    assert list(rules) == sorted(rules, key=list(RULES).index)
    assert set(rules) == set(RULES)
    assert len(rules) == 23
    assert {r.severity for r in rules.values()} <= set(SEVERITY_RANK)
    assert rules["NHI-VEN-001"].to_dict() == {
        "id": "NHI-VEN-001",
        "title": "Offboarded vendor still holds live credentials",
        "severity": "critical",
        "owasp": [
            {"id": "NHI1", "name": "Improper Offboarding"},
            {"id": "NHI3", "name": "Vulnerable Third-Party NHI"},
        ],
        "nist": [
            {
                "id": "GV.SC-10",
                "name": "Cybersecurity supply chain risk management plans include provisions "
                "for activities that occur after the conclusion of a partnership or service "
                "agreement",
            },
            {
                "id": "DE.CM-06",
                "name": "External service provider activities and services are monitored to "
                "find potentially adverse events",
            },
        ],
        "remediation": "Revoke every live credential of the offboarded vendor's integrations, "
        "remove the integrations, and check the credentials' use since the offboarding date.",
    }
    docs = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    for rule_id, rule in rules.items():
        assert f"| {rule_id} | {rule.title} | {rule.severity} |" in docs, rule_id


CATALOGUE_HEAD = """
owasp_nhi_2025: {NHI1: Improper Offboarding}
nist_csf_2: {PR.AA-01: Identities and credentials are managed}
rules:
"""
ENTRY = """
  - id: {id}
    title: A title
    severity: low
    owasp: [NHI1]
    nist: [PR.AA-01]
    remediation: Fix it.
"""


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            ENTRY.format(id="NHI-A-001") + "    colour: blue\n",
            "findings.yaml: rules.0.colour: Extra inputs are not permitted",
        ),
        (
            ENTRY.format(id="NHI-A-001") + ENTRY.format(id="NHI-A-001"),
            "findings.yaml: rules.1 (NHI-A-001): the id is used twice",
        ),
        (
            ENTRY.format(id="NHI-A-001").replace("[NHI1]", "[NHI1, NHI11]"),
            "findings.yaml: rules.0 (NHI-A-001): not in the OWASP or NIST table: NHI11",
        ),
        (
            ENTRY.format(id="nhi-a-1"),
            "findings.yaml: rules.0.id: String should match pattern '^NHI-[A-Z]+-[0-9]{3}$'",
        ),
        (
            ENTRY.format(id="NHI-A-001").replace("low", "urgent"),
            "findings.yaml: rules.0.severity: Input should be 'critical', 'high', 'medium', "
            "'low' or 'info'",
        ),
        (
            ENTRY.format(id="NHI-A-001"),
            "findings.yaml: no entry for rules in code: NHI-B-001",
        ),
        (
            ENTRY.format(id="NHI-A-001")
            + ENTRY.format(id="NHI-B-001")
            + ENTRY.format(id="NHI-C-001"),
            "findings.yaml: entries without a rule in code: NHI-C-001",
        ),
    ],
)
def test_a_bad_catalogue_is_refused(entries: str, message: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        parse_catalogue(CATALOGUE_HEAD + entries, code_rules={"NHI-A-001": 1, "NHI-B-001": 1})
    assert str(excinfo.value) == message


def test_a_good_catalogue_parses() -> None:
    text = CATALOGUE_HEAD + ENTRY.format(id="NHI-A-001")
    (rule,) = parse_catalogue(text, code_rules={"NHI-A-001": 1}).values()
    assert (rule.id, rule.severity, rule.remediation) == ("NHI-A-001", "low", "Fix it.")
    assert [tuple(r) for r in rule.owasp + rule.nist] == [
        ("NHI1", "Improper Offboarding"),
        ("PR.AA-01", "Identities and credentials are managed"),
    ]
