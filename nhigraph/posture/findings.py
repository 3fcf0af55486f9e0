"""Findings: hygiene and exposure rules over the whole estate, and their catalogue.

Each rule is one small function that reads an ``Estate`` snapshot (and, for the
blast-radius rules, the store as a ``ReachView``) and yields what it found; the
catalogue (``findings.yaml`` beside this module) gives every rule its stable id,
title, severity, OWASP NHI Top 10 (2025) and NIST CSF 2.0 mappings and remediation.
``find`` is pure: it opens no file or connection and reads no setting (the
catalogue is package data, loaded once). The exact condition of each rule is in its
docstring and in docs/findings.md.

Credentials are judged with the engine's liveness (``blast.is_live``) unless a rule
says it judges the credential's *own* state (created, not revoked, not expired),
ignoring its integration's status and its principal: that is how a disabled
integration's or a disabled user's still-valid credentials are found.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, cached_property
from importlib.resources import files
from typing import Any, Literal, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nhigraph.errors import ConfigError
from nhigraph.graph.blast import (
    CredentialFacts,
    Excess,
    ReachView,
    blast_radius,
    facts_from_props,
    is_live,
)
from nhigraph.graph.estate import Estate, Props
from nhigraph.graph.model import ACCESS_RANK, Label, RelType, format_utc
from nhigraph.graph.policy import Policy
from nhigraph.posture.reach import Reach, Summary

SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
SENSITIVE_CLASSIFICATIONS = ("confidential", "restricted")

# --------------------------------------------------------------------------- results


class Reference(NamedTuple):
    """A framework item a rule maps to: its id and its name (or outcome)."""

    id: str
    name: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    severity: str
    owasp: tuple[Reference, ...]
    nist: tuple[Reference, ...]
    remediation: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity,
            "owasp": [r.to_dict() for r in self.owasp],
            "nist": [r.to_dict() for r in self.nist],
            "remediation": self.remediation,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's finding about one subject (an integration, credential or vendor).

    ``integration`` is the integration the finding is charged to (None when the
    subject belongs to none); ``evidence`` is JSON-able: ids, fields and paths.
    """

    rule: str
    title: str
    severity: str
    subject: str
    integration: str | None
    evidence: dict[str, Any] = field(hash=False)
    remediation: str
    owasp: tuple[Reference, ...]
    nist: tuple[Reference, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "title": self.title,
            "severity": self.severity,
            "subject": self.subject,
            "integration": self.integration,
            "evidence": self.evidence,
            "remediation": self.remediation,
            "owasp": [r.to_dict() for r in self.owasp],
            "nist": [r.to_dict() for r in self.nist],
        }

    def sort_key(self) -> tuple[int, str, str, str, str]:
        return (
            SEVERITY_RANK[self.severity],
            self.rule,
            self.subject,
            self.integration or "",
            json.dumps(self.evidence, sort_keys=True),
        )


class Hit(NamedTuple):
    """What a rule function yields: the catalogue turns it into a ``Finding``."""

    subject: str
    integration: str | None
    evidence: dict[str, Any]


# --------------------------------------------------------------------------- what rules read


class Scan:
    """The estate at ``as_of`` with the facts several rules share, computed once."""

    def __init__(
        self,
        estate: Estate,
        view: ReachView,
        policy: Policy,
        as_of: str,
        max_chain: int,
        reach: Reach | None = None,
    ) -> None:
        self.estate = estate
        self.view = view
        self.policy = policy
        self.as_of = as_of
        self.max_chain = max_chain
        self.reach = reach or Reach(view, as_of, policy.blast, max_chain)

    @cached_property
    def integrations(self) -> dict[str, Props]:
        return self.estate.of(Label.INTEGRATION)

    @cached_property
    def credentials(self) -> dict[str, Props]:
        return self.estate.of(Label.CREDENTIAL)

    def holders(self, credential: str) -> list[str]:
        """The integrations that HAS_CREDENTIAL it."""
        return self.estate.sources(credential, RelType.HAS_CREDENTIAL)

    def charged_to(self, credential: str) -> list[str | None]:
        """Whom a credential finding is charged to: each holder, or None when it has none."""
        holders: list[str | None] = list(self.holders(credential))
        return holders or [None]

    def facts(self, credential: str) -> CredentialFacts:
        integrations = [
            (i, str(self.integrations.get(i, {}).get("status", "enabled")))
            for i in self.holders(credential)
        ]
        principals = self.estate.of(Label.PRINCIPAL)
        enabled = [
            bool(principals.get(p, {}).get("enabled", True))
            for p in self.estate.targets(credential, RelType.ACTS_AS)
        ]
        return facts_from_props(credential, self.credentials[credential], integrations, enabled)

    @cached_property
    def live(self) -> frozenset[str]:
        """Credentials live at ``as_of`` (docs/design.md; ``blast.is_live``)."""
        return frozenset(c for c in self.credentials if is_live(self.facts(c), self.as_of))

    def valid_on_its_own(self, credential: str) -> bool:
        """Created, not revoked and not expired at ``as_of``, whatever its integration's
        status and its principals: the credential material still works."""
        props = self.credentials[credential]
        return is_live(facts_from_props(credential, props, (), ()), self.as_of)

    def live_of(self, integration: str) -> list[str]:
        return [
            c for c in self.estate.targets(integration, RelType.HAS_CREDENTIAL) if c in self.live
        ]

    def granted(self, credential: str) -> list[tuple[str, Props]]:
        scopes = self.estate.of(Label.SCOPE)
        return [
            (s, scopes[s]) for s in self.estate.targets(credential, RelType.GRANTS) if s in scopes
        ]

    def days_before(self, days: int) -> str:
        return shift(self.as_of, -days)

    def effective(self, integration: str) -> Summary:
        """What all the integration's credentials reach at ``as_of`` (no paths)."""
        return self.reach.summary(self.estate.targets(integration, RelType.HAS_CREDENTIAL))


def shift(timestamp: str, days: int) -> str:
    """A canonical UTC timestamp moved by ``days`` (negative: earlier)."""
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return format_utc(moment + timedelta(days=days))


# --------------------------------------------------------------------------- the rules

RuleCheck = Callable[[Scan], Iterator[Hit]]
RULES: dict[str, RuleCheck] = {}


def rule(rule_id: str) -> Callable[[RuleCheck], RuleCheck]:
    def register(check: RuleCheck) -> RuleCheck:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} is defined twice")
        RULES[rule_id] = check
        return check

    return register


# ----------------------------------------------------------------- ownership


@rule("NHI-OWN-001")
def no_owner(scan: Scan) -> Iterator[Hit]:
    """Every integration no team OWNS (whatever its state: someone must answer for it)."""
    for integration in scan.integrations:
        if not scan.estate.sources(integration, RelType.OWNS):
            users = scan.estate.sources(integration, RelType.USES)
            yield Hit(integration, integration, {"integration": integration, "users": users})


@rule("NHI-OWN-002")
def owner_disbanded(scan: Scan) -> Iterator[Hit]:
    """Every (integration, owning team) where the team's status is disbanded."""
    teams = scan.estate.of(Label.TEAM)
    for integration in scan.integrations:
        for team in scan.estate.sources(integration, RelType.OWNS):
            if teams.get(team, {}).get("status") == "disbanded":
                yield Hit(integration, integration, {"integration": integration, "team": team})


@rule("NHI-OWN-003")
def no_purpose(scan: Scan) -> Iterator[Hit]:
    """Every integration without a ``purpose`` (missing or blank)."""
    for integration, props in scan.integrations.items():
        if not str(props.get("purpose") or "").strip():
            yield Hit(integration, integration, {"integration": integration})


# ----------------------------------------------------------------- credential hygiene


@rule("NHI-CRED-001")
def no_expiry(scan: Scan) -> Iterator[Hit]:
    """Every live credential without ``expires_at``."""
    for credential in sorted(scan.live):
        props = scan.credentials[credential]
        if props.get("expires_at") is None:
            evidence = {"credential": credential, "created_at": props.get("created_at")}
            for integration in scan.charged_to(credential):
                yield Hit(credential, integration, evidence)


@rule("NHI-CRED-002")
def expiry_too_far(scan: Scan) -> Iterator[Hit]:
    """Every live credential whose ``expires_at`` is later than ``max_expiry_days`` after
    its ``created_at``; when ``created_at`` is unknown, later than ``max_expiry_days``
    after ``as_of`` (``evidence.measured_from`` says which)."""
    days = scan.policy.findings.max_expiry_days
    for credential in sorted(scan.live):
        props = scan.credentials[credential]
        expires_at = props.get("expires_at")
        if expires_at is None:
            continue
        created_at = props.get("created_at")
        basis, start = ("created_at", created_at) if created_at else ("as_of", scan.as_of)
        latest = shift(start, days)
        if expires_at > latest:
            evidence = {
                "credential": credential,
                "created_at": created_at,
                "expires_at": expires_at,
                "measured_from": basis,
                "latest_allowed_expiry": latest,
            }
            for integration in scan.charged_to(credential):
                yield Hit(credential, integration, evidence)


@rule("NHI-CRED-003")
def not_rotated(scan: Scan) -> Iterator[Hit]:
    """Every live credential whose ``last_rotated_at`` (else ``created_at``) is earlier than
    ``rotation_days`` before ``as_of``; with neither known it is not judged."""
    cutoff = scan.days_before(scan.policy.findings.rotation_days)
    for credential in sorted(scan.live):
        props = scan.credentials[credential]
        basis = "last_rotated_at" if props.get("last_rotated_at") else "created_at"
        since = props.get(basis)
        if since is not None and since < cutoff:
            evidence = {
                "credential": credential,
                basis: since,
                "rotate_by": shift(since, scan.policy.findings.rotation_days),
            }
            for integration in scan.charged_to(credential):
                yield Hit(credential, integration, evidence)


@rule("NHI-CRED-004")
def dormant(scan: Scan) -> Iterator[Hit]:
    """Every live credential whose ``last_used_at`` is earlier than ``dormant_days`` before
    ``as_of``."""
    cutoff = scan.days_before(scan.policy.findings.dormant_days)
    for credential in sorted(scan.live):
        last_used_at = scan.credentials[credential].get("last_used_at")
        if last_used_at is not None and last_used_at < cutoff:
            evidence = {"credential": credential, "last_used_at": last_used_at}
            for integration in scan.charged_to(credential):
                yield Hit(credential, integration, evidence)


@rule("NHI-CRED-005")
def never_used(scan: Scan) -> Iterator[Hit]:
    """Every live credential without ``last_used_at`` whose ``created_at`` is earlier than
    ``never_used_grace_days`` before ``as_of``; with no ``created_at`` it is not judged."""
    cutoff = scan.days_before(scan.policy.findings.never_used_grace_days)
    for credential in sorted(scan.live):
        props = scan.credentials[credential]
        created_at = props.get("created_at")
        if props.get("last_used_at") is None and created_at is not None and created_at < cutoff:
            evidence = {"credential": credential, "created_at": created_at}
            for integration in scan.charged_to(credential):
                yield Hit(credential, integration, evidence)


# ----------------------------------------------------------------- vendors and life cycle


@rule("NHI-VEN-001")
def offboarded_vendor(scan: Scan) -> Iterator[Hit]:
    """Every (offboarded vendor, integration it PROVIDES) where the integration holds live
    credentials; a vendor whose ``offboarded_at`` is later than ``as_of`` was not yet
    offboarded then."""
    for vendor, props in scan.estate.of(Label.VENDOR).items():
        offboarded_at = props.get("offboarded_at")
        if props.get("status") != "offboarded" or (offboarded_at or "") > scan.as_of:
            continue
        for integration in scan.estate.targets(vendor, RelType.PROVIDES):
            live = scan.live_of(integration)
            if not live:
                continue
            used_after = [
                c
                for c in live
                if offboarded_at is not None
                and (scan.credentials[c].get("last_used_at") or "") > offboarded_at
            ]
            evidence = {
                "vendor": vendor,
                "offboarded_at": offboarded_at,
                "live_credentials": live,
                "used_after_offboarding": used_after,
            }
            yield Hit(vendor, integration, evidence)


def _still_valid(scan: Scan, integration: str) -> list[str]:
    return [
        c
        for c in scan.estate.targets(integration, RelType.HAS_CREDENTIAL)
        if scan.valid_on_its_own(c)
    ]


@rule("NHI-LIFE-001")
def retired_but_enabled(scan: Scan) -> Iterator[Hit]:
    """Every integration with ``lifecycle`` retired, not disabled at the source, holding
    credentials valid on their own."""
    for integration, props in scan.integrations.items():
        if props.get("lifecycle") != "retired" or props.get("status") == "disabled":
            continue
        valid = _still_valid(scan, integration)
        if valid:
            yield Hit(integration, integration, {"integration": integration, "credentials": valid})


@rule("NHI-LIFE-002")
def disabled_with_valid_credentials(scan: Scan) -> Iterator[Hit]:
    """Every integration disabled at the source holding credentials valid on their own
    (the engine already counts them dead; re-enabling the integration revives them)."""
    for integration, props in scan.integrations.items():
        if props.get("status") != "disabled":
            continue
        valid = _still_valid(scan, integration)
        if valid:
            yield Hit(integration, integration, {"integration": integration, "credentials": valid})


# ----------------------------------------------------------------- privilege


def _scopes_by_access(scan: Scan, credential: str) -> dict[str, list[str]]:
    by_access: dict[str, list[str]] = {}
    for scope, props in scan.granted(credential):
        by_access.setdefault(str(props.get("access")), []).append(scope)
    return by_access


@rule("NHI-PRIV-001")
def admin_scope(scan: Scan) -> Iterator[Hit]:
    """Every live credential that GRANTS a scope whose access is admin."""
    for credential in sorted(scan.live):
        admin = _scopes_by_access(scan, credential).get("admin")
        if admin:
            evidence = {"credential": credential, "admin_scopes": admin}
            for integration in scan.charged_to(credential):
                yield Hit(credential, integration, evidence)


@rule("NHI-PRIV-002")
def mixed_access(scan: Scan) -> Iterator[Hit]:
    """Every live credential that GRANTS an admin scope and also at least one read or
    write scope: administrative and routine work share one credential."""
    for credential in sorted(scan.live):
        by_access = _scopes_by_access(scan, credential)
        if "admin" in by_access and ("read" in by_access or "write" in by_access):
            evidence = {
                "credential": credential,
                "scopes": {a: by_access[a] for a in ("admin", "write", "read") if a in by_access},
            }
            for integration in scan.charged_to(credential):
                yield Hit(credential, integration, evidence)


@rule("NHI-PRIV-003")
def unclassified_scope(scan: Scan) -> Iterator[Hit]:
    """Every live credential that GRANTS a scope marked ``unclassified`` (not in the scope
    catalogue; stored as write, reaching its whole tenant)."""
    for credential in sorted(scan.live):
        unknown = [s for s, props in scan.granted(credential) if props.get("unclassified")]
        if unknown:
            evidence = {"credential": credential, "unclassified_scopes": unknown}
            for integration in scan.charged_to(credential):
                yield Hit(credential, integration, evidence)


# ----------------------------------------------------------------- approvals and sharing


@rule("NHI-APPR-001")
def scope_creep(scan: Scan) -> Iterator[Hit]:
    """Every integration with at least one APPROVED_FOR whose effective blast radius
    reaches a store its approved radius does not, or with more access
    (``blast.effective_vs_approved``: the approved radius is the direct reach through the
    approved scopes, so every store reached only by chaining is excess)."""
    for integration in scan.integrations:
        approved = scan.estate.targets(integration, RelType.APPROVED_FOR)
        if not approved:
            continue
        credentials = scan.estate.targets(integration, RelType.HAS_CREDENTIAL)
        effective = scan.reach.summary(credentials)
        allowed = scan.reach.approved(credentials, approved)
        excess = [
            (store, access, allowed.get(store))
            for store, (access, _) in effective.stores.items()
            if store not in allowed or ACCESS_RANK[access] > ACCESS_RANK[allowed[store]]
        ]
        if not excess:
            continue
        # The witness paths, for the few integrations that creep: one engine run each.
        radius = blast_radius(scan.view, credentials, scan.as_of, scan.policy.blast, scan.max_chain)
        paths = {s.id: s.path for s in radius.stores}
        granted = {s for c in radius.live_start for s, _ in scan.granted(c)}
        evidence = {
            "integration": integration,
            "unapproved_scopes": sorted(granted - set(approved)),
            "excess": [
                Excess(store, access, was).to_dict() | {"path": paths[store].to_dict()}
                for store, access, was in excess
            ],
        }
        yield Hit(integration, integration, evidence)


@rule("NHI-APPR-002")
def no_approval(scan: Scan) -> Iterator[Hit]:
    """Every integration holding live credentials without any APPROVED_FOR."""
    for integration in scan.integrations:
        live = scan.live_of(integration)
        if live and not scan.estate.targets(integration, RelType.APPROVED_FOR):
            yield Hit(
                integration, integration, {"integration": integration, "live_credentials": live}
            )


@rule("NHI-SHARE-001")
def shared_sensitive(scan: Scan) -> Iterator[Hit]:
    """Every integration two or more distinct teams own or use (``view.team_usage()``)
    whose effective blast radius reaches a confidential or restricted store."""
    for integration, teams in sorted(scan.view.team_usage().items()):
        if len(teams) < 2 or integration not in scan.integrations:
            continue
        effective = scan.effective(integration)
        reached = [
            {"id": store, "classification": effective.classes[store], "access": access}
            for store, (access, _) in effective.stores.items()
            if effective.classes[store] in SENSITIVE_CLASSIFICATIONS
        ]
        if reached:
            evidence = {"integration": integration, "teams": teams, "sensitive_stores": reached}
            yield Hit(integration, integration, evidence)


# ----------------------------------------------------------------- secrets


@rule("NHI-SEC-001")
def kept_in_store(scan: Scan) -> Iterator[Hit]:
    """Every (data store, live credential) joined by STORES."""
    stores = scan.estate.of(Label.DATA_STORE)
    for store in sorted(stores):
        for credential in scan.estate.targets(store, RelType.STORES):
            if credential not in scan.live:
                continue
            evidence = {
                "store": store,
                "classification": stores[store].get("classification"),
                "credential": credential,
            }
            for integration in scan.charged_to(credential):
                yield Hit(credential, integration, evidence)


@rule("NHI-SEC-002")
def reused_secret(scan: Scan) -> Iterator[Hit]:
    """Every live credential whose ``fingerprint`` live credentials of two or more distinct
    integrations share (the same secret value seen in several places)."""
    by_fingerprint: dict[str, list[str]] = {}
    for credential in sorted(scan.live):
        fingerprint = scan.credentials[credential].get("fingerprint")
        if fingerprint:
            by_fingerprint.setdefault(str(fingerprint), []).append(credential)
    for _fingerprint, credentials in sorted(by_fingerprint.items()):
        integrations = sorted({i for c in credentials for i in scan.holders(c)})
        if len(integrations) < 2:
            continue
        # The fingerprint itself stays in the store: evidence is shown to every analyst
        # and exported, and a keyed hash of a secret is still material about it.
        evidence = {"credentials": credentials, "integrations": integrations}
        for credential in credentials:
            for integration in scan.charged_to(credential):
                yield Hit(credential, integration, evidence)


# ----------------------------------------------------------------- delegation


@rule("NHI-DEL-001")
def disabled_principal(scan: Scan) -> Iterator[Hit]:
    """Every credential valid on its own that ACTS_AS a principal whose ``enabled`` is
    false."""
    principals = scan.estate.of(Label.PRINCIPAL)
    for credential in sorted(scan.credentials):
        disabled = [
            p
            for p in scan.estate.targets(credential, RelType.ACTS_AS)
            if principals.get(p, {}).get("enabled") is False
        ]
        if disabled and scan.valid_on_its_own(credential):
            evidence = {"credential": credential, "disabled_principals": disabled}
            for integration in scan.charged_to(credential):
                yield Hit(credential, integration, evidence)


@rule("NHI-DEL-002")
def admin_principal(scan: Scan) -> Iterator[Hit]:
    """Every live credential that ACTS_AS an enabled principal whose ``is_admin`` is true."""
    principals = scan.estate.of(Label.PRINCIPAL)
    for credential in sorted(scan.live):
        admins = [
            p
            for p in scan.estate.targets(credential, RelType.ACTS_AS)
            if principals.get(p, {}).get("is_admin") is True
            and principals[p].get("enabled", True) is not False
        ]
        if admins:
            evidence = {"credential": credential, "admin_principals": admins}
            for integration in scan.charged_to(credential):
                yield Hit(credential, integration, evidence)


# ----------------------------------------------------------------- human use


@rule("NHI-HUM-001")
def human_password(scan: Scan) -> Iterator[Hit]:
    """Every integration whose ``console_password`` is true (the source says a person can
    sign in as it with a password: an AWS IAM user holding keys with password_enabled),
    whatever its credentials, since the password is a way in of its own. Evidence:
    ``mfa_active`` as the source reports it and the integration's live credentials."""
    for integration, props in scan.integrations.items():
        if props.get("console_password") is True:
            evidence = {
                "integration": integration,
                "mfa_active": props.get("mfa_active"),
                "live_credentials": scan.live_of(integration),
            }
            yield Hit(integration, integration, evidence)


# ----------------------------------------------------------------- reviews


@rule("NHI-REV-001")
def review_overdue(scan: Scan) -> Iterator[Hit]:
    """Every integration whose ``review_due`` is earlier than ``as_of``."""
    now = datetime.fromisoformat(scan.as_of.replace("Z", "+00:00"))
    for integration, props in scan.integrations.items():
        due = props.get("review_due")
        if due is not None and due < scan.as_of:
            overdue = (now - datetime.fromisoformat(str(due).replace("Z", "+00:00"))).days
            evidence = {"integration": integration, "review_due": due, "days_overdue": overdue}
            yield Hit(integration, integration, evidence)


# --------------------------------------------------------------------------- find


def find(
    estate: Estate,
    view: ReachView,
    policy: Policy,
    as_of: str,
    max_chain: int = 3,
    reach: Reach | None = None,
) -> list[Finding]:
    """Every finding of every catalogued rule at ``as_of``, sorted by severity (critical
    first), rule id, subject, integration and evidence.

    ``view`` is the store the estate was read from; the blast-radius rules (NHI-APPR-001,
    NHI-SHARE-001) ask it through ``reach`` (memoised per credential, shared with the
    caller when given), with ``max_chain`` chaining hops.

    Cost: the estate rules are linear in the snapshot, O(V + E) with the credentials'
    liveness computed once; the blast-radius rules add one merge of memoised credential
    reaches per integration (``posture.reach``) and one engine run per integration whose
    effective radius exceeds its approval (for the witness paths of its evidence).
    """
    scan = Scan(estate, view, policy, as_of, max_chain, reach)
    rules = catalogue()
    findings = [
        _finding(rules[rule_id], hit) for rule_id, check in RULES.items() for hit in check(scan)
    ]
    return sorted(findings, key=Finding.sort_key)


def _finding(entry: Rule, hit: Hit) -> Finding:
    return Finding(
        rule=entry.id,
        title=entry.title,
        severity=entry.severity,
        subject=hit.subject,
        integration=hit.integration,
        evidence=hit.evidence,
        remediation=entry.remediation,
        owasp=entry.owasp,
        nist=entry.nist,
    )


# --------------------------------------------------------------------------- the catalogue


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Entry(_Strict):
    id: str = Field(pattern=r"^NHI-[A-Z]+-[0-9]{3}$")
    title: str = Field(min_length=1, max_length=120)
    severity: Literal["critical", "high", "medium", "low", "info"]
    owasp: list[str] = Field(min_length=1)
    nist: list[str] = Field(min_length=1)
    remediation: str = Field(min_length=1, pattern=r"\.$")


class _Catalogue(_Strict):
    owasp_nhi_2025: dict[str, str]
    nist_csf_2: dict[str, str]
    rules: list[_Entry]


CATALOGUE_FILE = "findings.yaml"


def parse_catalogue(
    text: str, where: str = CATALOGUE_FILE, code_rules: Mapping[str, object] | None = None
) -> dict[str, Rule]:
    """The catalogue in ``text``, checked: no unknown keys, valid ids and severities,
    unique ids, mappings only to the listed OWASP and NIST items, and exactly one entry
    for every rule in ``code_rules`` (default: the rules this module defines)."""
    try:
        data = yaml.safe_load(text)
        parsed = _Catalogue.model_validate(data)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML ({' '.join(str(exc).split())})") from None
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        at = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{where}: {at}: {first['msg']}") from None
    rules: dict[str, Rule] = {}
    for i, entry in enumerate(parsed.rules):
        at = f"{where}: rules.{i} ({entry.id})"
        if entry.id in rules:
            raise ConfigError(f"{at}: the id is used twice")
        unknown = [o for o in entry.owasp if o not in parsed.owasp_nhi_2025] + [
            n for n in entry.nist if n not in parsed.nist_csf_2
        ]
        if unknown:
            raise ConfigError(f"{at}: not in the OWASP or NIST table: {', '.join(unknown)}")
        rules[entry.id] = Rule(
            id=entry.id,
            title=entry.title,
            severity=entry.severity,
            owasp=tuple(Reference(o, parsed.owasp_nhi_2025[o]) for o in entry.owasp),
            nist=tuple(Reference(n, " ".join(parsed.nist_csf_2[n].split())) for n in entry.nist),
            remediation=" ".join(entry.remediation.split()),
        )
    expected = RULES if code_rules is None else code_rules
    missing = sorted(set(expected) - set(rules))
    if missing:
        raise ConfigError(f"{where}: no entry for rules in code: {', '.join(missing)}")
    extra = sorted(set(rules) - set(expected))
    if extra:
        raise ConfigError(f"{where}: entries without a rule in code: {', '.join(extra)}")
    return rules


@cache
def catalogue() -> dict[str, Rule]:
    """The shipped catalogue (package data), checked against the rules in code."""
    text = (files("nhigraph.posture") / CATALOGUE_FILE).read_text(encoding="utf-8")
    return parse_catalogue(text)
