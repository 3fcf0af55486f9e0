"""The AWS IAM credential report source: the CSV into the graph, and the live IAM calls.

Fixtures are credential reports in the documented column layout (tests/fixtures/aws)
and IAM query API responses in their documented XML shape (tests/fixtures/aws/api),
served through ``Recorded``; no test talks to AWS.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nhigraph.errors import ConfigError, InputError, NhigraphError
from nhigraph.graph.blast import blast_radius
from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.estate import read_estate
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.policy import default_policy
from nhigraph.graph.store import StoredRel
from nhigraph.ingest.http import AccessDenied, SourceUnavailable
from nhigraph.ingest.raw import RawPage
from nhigraph.ingest.source import FetchContext, RawInput, read_saved
from nhigraph.ingest.sources import collect, get_source
from nhigraph.posture.findings import find
from nhigraph.settings import Settings
from tests.conftest import EXAMPLES
from tests.ingest_support import (
    FIXTURES,
    Recorded,
    Reply,
    Sleeps,
    node_ids,
    props,
    rels,
    saved,
    strings_in,
    transform,
    write,
)

SOURCE = get_source("aws")
API = FIXTURES / "aws" / "api"
REPORT = FIXTURES / "aws" / "report" / "credential_report.csv"
MALFORMED = FIXTURES / "aws" / "malformed"
ACCOUNT = "aws:111122223333"
STORES = (
    "cloudtrail",
    "cloudwatch_logs",
    "dynamodb",
    "ec2",
    "iam",
    "kms",
    "lambda",
    "rds",
    "s3",
    "secrets_manager",
    "ssm_parameters",
)

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION = "FwoGZXIvYXdzEXAMPLEsessionTOKEN"
URL = "https://iam.amazonaws.com/?Action={}&Version=2010-05-08"
GENERATE = "GET " + URL.format("GenerateCredentialReport")
DOWNLOAD = "GET " + URL.format("GetCredentialReport")


def xml(name: str) -> str:
    return (API / f"{name}.xml").read_text()


def settings(**extra: object) -> Settings:
    values: dict[str, object] = {
        "aws_access_key_id": KEY_ID,
        "aws_secret_access_key": SECRET,
        "http_max_retries": 2,
    }
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


def fetch(recorded: Recorded, sleeps: Sleeps, **extra: object) -> RawInput:
    context = FetchContext(settings(**extra), None, recorded.transport(), sleeps)
    return SOURCE.fetch(context)


def bad(path: Path, tenant: str | None = None) -> str:
    with pytest.raises(InputError) as caught:
        transform(read_saved(SOURCE, path, tenant))
    return str(caught.value)


# --------------------------------------------------------------------------- transform


def test_the_report_becomes_one_integration_per_user_with_keys_or_certificates() -> None:
    result = transform(saved("aws", "report"))

    assert [b.tenant for b in result.batches] == [ACCOUNT]
    assert result.unclassified == []
    assert node_ids(result, "Tenant") == [ACCOUNT]
    assert props(result, ACCOUNT) == {"provider": "aws", "name": "AWS account 111122223333"}
    assert node_ids(result, "DataStore") == [f"{ACCOUNT}:store:{key}" for key in STORES]
    # alice.hart (console only) and old.contractor (nothing issued) are people, not NHIs.
    assert node_ids(result, "Integration") == [
        f"{ACCOUNT}:root",
        f"{ACCOUNT}:user:backup-agent",
        f"{ACCOUNT}:user:ci-deployer",
        f"{ACCOUNT}:user:legacy-signer",
        f"{ACCOUNT}:user:reporting-export",
    ]
    assert node_ids(result, "Credential") == [
        f"{ACCOUNT}:root:access_key_1",
        f"{ACCOUNT}:user:backup-agent:access_key_1",
        f"{ACCOUNT}:user:ci-deployer:access_key_1",
        f"{ACCOUNT}:user:ci-deployer:access_key_2",
        f"{ACCOUNT}:user:legacy-signer:cert_1",
        f"{ACCOUNT}:user:reporting-export:access_key_1",
    ]
    assert node_ids(result, "Scope") == [f"{ACCOUNT}/root"]
    assert node_ids(result, "Principal") == []
    assert node_ids(result, "Vendor") == []


def test_an_iam_user_with_two_keys() -> None:
    result = transform(saved("aws", "report"))
    user = f"{ACCOUNT}:user:ci-deployer"

    assert props(result, user) == {
        "name": "ci-deployer",
        "kind": "service_account",
        "status": "enabled",
        "lifecycle": "in_use",
        "created_at": "2021-02-01T12:00:00Z",
        "last_used_at": "2026-02-21T07:00:00Z",  # the later of the two keys' last use
        "provider": "aws",
        "client_id": "arn:aws:iam::111122223333:user/ci/ci-deployer",
        "console_password": False,
        "mfa_active": False,
    }
    assert props(result, f"{user}:access_key_1") == {
        "kind": "access_key",
        "identifier": "ci-deployer/access_key_1",
        "status": "active",
        "last_rotated_at": "2024-05-10T08:30:00Z",
        "last_used_at": "2026-02-20T06:45:00Z",
    }
    assert props(result, f"{user}:access_key_2")["last_rotated_at"] == "2026-01-15T09:00:00Z"
    # The report carries no permissions: an IAM user's keys grant nothing here.
    assert [end for start, end in rels(result, "GRANTS") if start.startswith(user)] == []


def test_inactive_never_used_and_certificate_slots() -> None:
    result = transform(saved("aws", "report"))

    disabled = props(result, f"{ACCOUNT}:user:reporting-export:access_key_1")
    assert disabled == {
        "kind": "access_key",
        "identifier": "reporting-export/access_key_1",
        "status": "disabled",
        "last_rotated_at": "2022-08-01T10:00:05Z",
        "last_used_at": "2023-01-12T03:00:00Z",
    }
    never_used = props(result, f"{ACCOUNT}:user:backup-agent:access_key_1")
    assert never_used == {
        "kind": "access_key",
        "identifier": "backup-agent/access_key_1",
        "status": "active",
        "last_rotated_at": "2025-09-01T00:00:09Z",
    }
    assert "last_used_at" not in props(result, f"{ACCOUNT}:user:backup-agent")
    assert props(result, f"{ACCOUNT}:user:legacy-signer:cert_1") == {
        "kind": "certificate",
        "identifier": "legacy-signer/cert_1",
        "status": "active",
        "last_rotated_at": "2019-11-03T14:20:00Z",
    }


def test_a_key_holder_with_a_console_password_says_so() -> None:
    """legacy-signer holds a signing certificate and has a console password without MFA:
    a machine identity a person can sign in as."""
    result = transform(saved("aws", "report"))
    signer = props(result, f"{ACCOUNT}:user:legacy-signer")
    assert (signer["console_password"], signer["mfa_active"]) == (True, False)
    # People who only sign in to the console are still not integrations.
    assert f"{ACCOUNT}:user:alice.hart" not in node_ids(result, "Integration")


def test_the_console_password_finding_names_the_signer_on_both_stores(
    store: EmbeddedStore | Neo4jStore,
) -> None:
    write(store, transform(saved("aws", "report")))
    findings = find(read_estate(store), store, default_policy(), "2026-03-01T00:00:00Z")
    human = [(f.subject, f.evidence["mfa_active"]) for f in findings if f.rule == "NHI-HUM-001"]
    assert human == [(f"{ACCOUNT}:user:legacy-signer", False)]


def test_root_keys_grant_the_root_scope_which_reaches_the_account_as_admin() -> None:
    result = transform(saved("aws", "report"))

    assert props(result, f"{ACCOUNT}:root") == {
        "name": "root account",
        "kind": "service_account",
        "status": "enabled",
        "lifecycle": "in_use",
        "created_at": "2016-03-14T09:12:44Z",
        "last_used_at": "2025-12-30T22:15:00Z",
        "provider": "aws",
        "client_id": "arn:aws:iam::111122223333:root",
        # password_enabled is not_supported for the root user: nothing said.
        "mfa_active": True,
    }
    assert props(result, f"{ACCOUNT}:root:access_key_1") == {
        "kind": "access_key",
        "identifier": "<root_account>/access_key_1",
        "status": "active",
        "last_rotated_at": "2017-06-01T10:00:00Z",
        "last_used_at": "2025-12-30T22:15:00Z",
    }
    assert props(result, f"{ACCOUNT}/root") == {
        "name": "root",
        "provider": "aws",
        "access": "admin",
        "sensitive": True,
    }
    assert rels(result, "GRANTS") == [(f"{ACCOUNT}:root:access_key_1", f"{ACCOUNT}/root")]
    assert rels(result, "CAN_ACCESS") == [(f"{ACCOUNT}/root", ACCOUNT)]
    can_access = [r for b in result.batches for r in b.rels if r.type == "CAN_ACCESS"]
    assert [dict(r.props) for r in can_access] == [{"access": "admin"}]
    assert rels(result, "HAS_CREDENTIAL") == [
        (f"{ACCOUNT}:root", f"{ACCOUNT}:root:access_key_1"),
        (f"{ACCOUNT}:user:backup-agent", f"{ACCOUNT}:user:backup-agent:access_key_1"),
        (f"{ACCOUNT}:user:ci-deployer", f"{ACCOUNT}:user:ci-deployer:access_key_1"),
        (f"{ACCOUNT}:user:ci-deployer", f"{ACCOUNT}:user:ci-deployer:access_key_2"),
        (f"{ACCOUNT}:user:legacy-signer", f"{ACCOUNT}:user:legacy-signer:cert_1"),
        (f"{ACCOUNT}:user:reporting-export", f"{ACCOUNT}:user:reporting-export:access_key_1"),
    ]
    assert len(rels(result, "CONTAINS")) == 11


def test_each_account_is_its_own_batch() -> None:
    result = transform(saved("aws", "accounts"))

    assert [b.tenant for b in result.batches] == ["aws:111122223333", "aws:444455556666"]
    assert node_ids(result, "Integration") == [
        "aws:111122223333:user:ci-deployer",
        "aws:444455556666:user:ci-deployer",
    ]
    # Root users without keys are not integrations, and grant no scope.
    assert node_ids(result, "Scope") == []


def test_the_graph_in_the_embedded_store_and_reingest_unchanged() -> None:
    result = transform(saved("aws", "report"))
    store = EmbeddedStore(":memory:")

    first = write(store, result)
    assert (first.nodes_added, first.rels_added) == (24, 19)
    stats = store.stats()
    assert stats.nodes == {
        "Credential": 6,
        "DataStore": 11,
        "Integration": 5,
        "Scope": 1,
        "Tenant": 1,
    }
    assert stats.rels == {"CAN_ACCESS": 1, "CONTAINS": 11, "GRANTS": 1, "HAS_CREDENTIAL": 6}
    edges = [
        (r.start, r.end, r.props.get("access"))
        for r in store.export()
        if isinstance(r, StoredRel) and r.type == "CAN_ACCESS"
    ]
    assert edges == [(f"{ACCOUNT}/root", ACCOUNT, "admin")]

    again = write(store, transform(saved("aws", "report")))
    assert (again.nodes_added, again.nodes_updated, again.nodes_unchanged) == (0, 0, 24)
    assert (again.rels_added, again.rels_updated, again.rels_unchanged) == (0, 0, 19)
    assert (again.nodes_removed, again.rels_removed) == (0, 0)


def test_a_root_access_key_reaches_every_store_of_the_account_as_admin() -> None:
    store = EmbeddedStore(":memory:")
    write(store, transform(saved("aws", "report")))

    radius = blast_radius(
        store, [f"{ACCOUNT}:root:access_key_1"], "2026-03-01T00:00:00Z", default_policy().blast
    )

    assert [(s.id, s.access) for s in radius.stores] == [
        (f"{ACCOUNT}:store:{key}", "admin") for key in STORES
    ]


def test_the_tailspin_toys_example_reads() -> None:
    raw = read_saved(SOURCE, EXAMPLES / "saas" / "aws", None)
    result = transform(raw)

    assert [b.tenant for b in result.batches] == ["aws:210987654321"]
    assert node_ids(result, "Integration") == [
        "aws:210987654321:root",
        "aws:210987654321:user:cloudfront-legacy-signer",
        "aws:210987654321:user:github-actions-deploy",
        "aws:210987654321:user:jordan.lee",
        "aws:210987654321:user:ledgerly-export",
        "aws:210987654321:user:meetsmart-recordings",
        "aws:210987654321:user:signalwatch-audit",
        "aws:210987654321:user:syncbridge-backup",
    ]
    assert len(node_ids(result, "Credential")) == 10
    not_active = sorted(
        (node.props["identifier"], node.props["status"])
        for batch in result.batches
        for node in batch.nodes
        if node.label == "Credential" and node.props["status"] != "active"
    )
    assert not_active == [
        ("meetsmart-recordings/access_key_1", "disabled"),
        ("signalwatch-audit/access_key_2", "disabled"),
    ]
    root_key = "aws:210987654321:root:access_key_1"
    assert rels(result, "GRANTS") == [(root_key, "aws:210987654321/root")]
    assert props(result, "aws:210987654321:user:ledgerly-export")["client_id"] == (
        "arn:aws:iam::210987654321:user/vendors/ledgerly-export"
    )


def test_ids_and_names_pass_redaction_untouched() -> None:
    result = transform(saved("aws", "report"))
    values = strings_in([dict(n.props) for b in result.batches for n in b.nodes])
    values += [n.id for b in result.batches for n in b.nodes]
    assert not [v for v in values if "redacted" in v]


# --------------------------------------------------------------------------- bad input


def test_a_missing_column_names_line_1_and_the_column() -> None:
    path = MALFORMED / "credential_report.missing_column.csv"
    assert bad(path) == (
        f"{path}: line 1 field 'access_key_1_last_rotated': column missing; "
        "is this an IAM credential report?"
    )


def test_a_bad_flag_names_its_line_and_column() -> None:
    path = MALFORMED / "credential_report.bad_flag.csv"
    assert bad(path) == f"{path}: line 3 field 'access_key_1_active': expected true or false"


def test_a_bad_timestamp_names_its_line_and_column() -> None:
    path = MALFORMED / "credential_report.bad_time.csv"
    assert bad(path) == (
        f"{path}: line 5 field 'access_key_1_last_rotated': "
        "not an ISO 8601 timestamp (expected e.g. 2026-01-31T09:00:00Z)"
    )


def test_a_truncated_report() -> None:
    path = MALFORMED / "credential_report.truncated.csv"
    assert bad(path) == f"{path}: line 6: expected 22 cells, got 3; is the file truncated?"


def test_a_report_mixing_accounts() -> None:
    path = MALFORMED / "credential_report.mixed_accounts.csv"
    assert bad(path) == (
        f"{path}: line 4 field 'arn': account 444455556666 differs from account 111122223333 "
        "on line 2; a credential report covers one account"
    )


def test_an_arn_that_does_not_name_its_user() -> None:
    path = MALFORMED / "credential_report.bad_arn.csv"
    assert bad(path) == f"{path}: line 3 field 'arn': does not name the user in column 'user'"


def test_a_user_listed_twice() -> None:
    path = MALFORMED / "credential_report.duplicate_user.csv"
    assert bad(path) == f"{path}: line 9 field 'user': the user is listed twice (first on line 6)"


def test_an_html_page_saved_instead_of_the_report() -> None:
    path = MALFORMED / "credential_report.html.csv"
    assert bad(path) == (
        f"{path}: line 1: an HTML page, not a saved API response "
        "(was an error or sign-in page saved?)"
    )


def test_a_report_without_rows_needs_the_tenant() -> None:
    path = MALFORMED / "credential_report.header_only.csv"
    assert bad(path) == (
        f"{path}: line 2: the report has no rows, so it names no AWS account; "
        "pass --tenant <account id>"
    )
    assert bad(path, tenant="tailspin") == (
        f"{path}: line 2: --tenant must be a 12-digit AWS account id"
    )
    result = transform(read_saved(SOURCE, path, "111122223333"))
    assert [b.tenant for b in result.batches] == [ACCOUNT]
    assert node_ids(result, "Integration") == []


def test_a_tenant_other_than_the_reports_account() -> None:
    assert bad(REPORT, tenant="999988887777") == (
        f"{REPORT}: line 2 field 'arn': the report is of AWS account 111122223333, "
        "not --tenant 999988887777"
    )


@pytest.mark.parametrize("body", [{"Content": "x"}, ["user", "arn"], 42, None])
def test_a_page_that_is_not_csv_text(body: object) -> None:
    raw = RawInput("aws", None, {"credential_report": [RawPage("credential_report", "x", body)]})
    with pytest.raises(InputError) as caught:
        transform(raw)
    assert str(caught.value) == "x: /: expected the CSV text of an IAM credential report"


def test_an_empty_text() -> None:
    raw = RawInput("aws", None, {"credential_report": [RawPage("credential_report", "x", "")]})
    with pytest.raises(InputError) as caught:
        transform(raw)
    assert str(caught.value) == "x: line 1: no header; expected an IAM credential report"


# --------------------------------------------------------------------------- fetch


def routes(**override: list[Reply]) -> Recorded:
    table = {
        GENERATE: [
            Reply(body=xml("generate_started")),
            Reply(body=xml("generate_inprogress")),
            Reply(body=xml("generate_complete")),
        ],
        DOWNLOAD: [Reply(body=xml("get_credential_report"))],
    }
    table.update({{"generate": GENERATE, "download": DOWNLOAD}[k]: v for k, v in override.items()})
    return Recorded(table)


def test_fetch_generates_waits_and_downloads_the_report_signed() -> None:
    recorded, sleeps = routes(), Sleeps()

    raw = fetch(recorded, sleeps, aws_session_token=SESSION)

    assert [f"{r.method} {r.url}" for r in recorded.requests] == [
        GENERATE,
        GENERATE,
        GENERATE,
        DOWNLOAD,
    ]
    assert sleeps.waits == [1.0, 2.0]  # STARTED, INPROGRESS, then COMPLETE
    for request in recorded.requests:
        authorization = request.headers["Authorization"]
        assert authorization.startswith(f"AWS4-HMAC-SHA256 Credential={KEY_ID}/")
        assert "/us-east-1/iam/aws4_request, SignedHeaders=" in authorization
        assert request.headers["x-amz-security-token"] == SESSION
        assert SECRET not in str(request.headers) and SECRET not in str(request.url)
    assert raw.source == "aws"
    assert raw.tenant is None
    [page] = raw.of("credential_report")
    assert page.file == URL.format("GetCredentialReport")
    assert page.body == REPORT.read_text()
    assert SECRET not in strings_in([page.body, page.file])
    assert node_ids(transform(raw), "Integration") == node_ids(
        transform(saved("aws", "report")), "Integration"
    )


def test_fetch_without_a_session_token_sends_none() -> None:
    recorded = routes(generate=[Reply(body=xml("generate_complete"))])
    fetch(recorded, Sleeps())
    assert [r.headers.get("x-amz-security-token") for r in recorded.requests] == [None, None]


def test_429_with_retry_after_waits_then_succeeds() -> None:
    recorded = routes(
        generate=[Reply(429, "", {"Retry-After": "7"}), Reply(body=xml("generate_complete"))]
    )
    sleeps = Sleeps()
    fetch(recorded, sleeps)
    assert sleeps.waits == [7.0]
    assert len(recorded.requests) == 3


def test_iam_throttling_is_retried_with_back_off() -> None:
    recorded = routes(
        generate=[Reply(body=xml("generate_complete"))],
        download=[
            Reply(400, xml("error_throttling")),
            Reply(400, xml("error_throttling")),
            Reply(body=xml("get_credential_report")),
        ],
    )
    sleeps = Sleeps()
    raw = fetch(recorded, sleeps)
    assert sleeps.waits == [1.0, 2.0]
    assert [f"{r.method} {r.url}" for r in recorded.requests] == [GENERATE] + [DOWNLOAD] * 3
    assert raw.of("credential_report")[0].body == REPORT.read_text()


def test_a_report_in_progress_is_asked_for_again() -> None:
    recorded = routes(
        generate=[Reply(body=xml("generate_complete"))],
        download=[
            Reply(404, xml("error_report_in_progress")),
            Reply(body=xml("get_credential_report")),
        ],
    )
    sleeps = Sleeps()
    fetch(recorded, sleeps)
    assert sleeps.waits == [1.0]


def test_persistent_throttling_makes_the_source_unavailable() -> None:
    recorded = routes(
        generate=[Reply(body=xml("generate_complete"))],
        download=[Reply(400, xml("error_throttling"))],
    )
    sleeps = Sleeps()
    context = FetchContext(settings(), None, recorded.transport(), sleeps)
    assert collect(SOURCE, context) == (
        None,
        "aws: GetCredentialReport still answered Throttling after 3 attempts",
    )
    assert sleeps.waits == [1.0, 2.0]


def test_persistent_5xx_makes_the_source_unavailable() -> None:
    recorded = routes(generate=[Reply(503, "Service Unavailable")])
    sleeps = Sleeps()
    context = FetchContext(settings(), None, recorded.transport(), sleeps)
    assert collect(SOURCE, context) == (None, "aws: GET / failed after 3 attempts (HTTP 503)")
    assert sleeps.waits == [1.0, 2.0]


def test_a_report_that_never_completes_makes_the_source_unavailable() -> None:
    recorded = routes(generate=[Reply(body=xml("generate_inprogress"))])
    sleeps = Sleeps()
    with pytest.raises(SourceUnavailable) as caught:
        fetch(recorded, sleeps)
    assert str(caught.value) == (
        "aws: the credential report was still being generated after 15 checks"
    )
    assert sleeps.waits == [1.0, 2.0, 4.0, 8.0, 16.0] + [30.0] * 10


def test_403_on_generate_names_the_permission() -> None:
    recorded = routes(generate=[Reply(403, xml("error_access_denied"))])
    with pytest.raises(AccessDenied) as caught:
        fetch(recorded, Sleeps())
    assert str(caught.value) == (
        "aws: GET / returned 403: the credentials need iam:GenerateCredentialReport"
    )
    assert len(recorded.requests) == 1


def test_401_on_download_names_the_permission() -> None:
    recorded = routes(
        generate=[Reply(body=xml("generate_complete"))],
        download=[Reply(401, xml("error_access_denied"))],
    )
    with pytest.raises(AccessDenied) as caught:
        fetch(recorded, Sleeps())
    assert str(caught.value) == (
        "aws: GET / returned 401: the credentials need iam:GetCredentialReport"
    )


def test_another_iam_error_is_reported_with_its_code() -> None:
    recorded = routes(
        generate=[Reply(body=xml("generate_complete"))],
        download=[Reply(410, xml("error_report_expired"))],
    )
    with pytest.raises(NhigraphError) as caught:
        fetch(recorded, Sleeps())
    assert type(caught.value) is NhigraphError
    assert str(caught.value) == "aws: GetCredentialReport answered HTTP 410 ReportExpired"


def test_an_answer_that_is_not_xml() -> None:
    recorded = routes(generate=[Reply(body="<html><body>proxy login</body>")])
    with pytest.raises(SourceUnavailable) as caught:
        fetch(recorded, Sleeps())
    assert str(caught.value) == (
        "aws: GenerateCredentialReport answered with something that is not XML"
    )


def test_a_report_that_is_not_base64() -> None:
    body = xml("get_credential_report").replace("<Content>", "<Content>!!")
    recorded = routes(generate=[Reply(body=xml("generate_complete"))], download=[Reply(body=body)])
    with pytest.raises(SourceUnavailable) as caught:
        fetch(recorded, Sleeps())
    assert str(caught.value) == (
        "aws: GetCredentialReport sent a report that is not base64 of UTF-8 text"
    )


def test_missing_credentials_name_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "NHIGRAPH_AWS_ACCESS_KEY_ID",
        "NHIGRAPH_AWS_SECRET_ACCESS_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError) as caught:
        SOURCE.fetch(FetchContext(Settings(), None, Recorded({}).transport()))
    assert str(caught.value) == (
        "aws: no AWS access key id; set NHIGRAPH_AWS_ACCESS_KEY_ID (or AWS_ACCESS_KEY_ID)"
    )
    with pytest.raises(ConfigError) as caught:
        SOURCE.fetch(
            FetchContext(Settings(aws_access_key_id=KEY_ID), None, Recorded({}).transport())
        )
    assert str(caught.value) == (
        "aws: no AWS secret access key; set NHIGRAPH_AWS_SECRET_ACCESS_KEY "
        "(or AWS_SECRET_ACCESS_KEY)"
    )
