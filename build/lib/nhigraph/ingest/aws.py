"""AWS IAM as a source: the account's credential report, read into integrations and their keys.

Holds ``SOURCE``. ``fetch`` asks IAM to build the credential report
(GenerateCredentialReport, polled with back-off until COMPLETE) and downloads it
(GetCredentialReport: base64 of a CSV), signing each call with SigV4. ``transform``
turns the CSV into one Integration per IAM user that holds an access key or a signing
certificate (the root user too, as "root account"), one Credential per key slot, and,
for the root user's keys only, a grant of the ``root`` scope. The report carries
neither permissions nor key ids: the transform must not invent either (an IAM user's
policies come from the inventory for now), and nothing here sees, keeps or logs a
secret access key; the signing key stays inside the SigV4 signer.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass

import httpx
from httpx_auth import AWS4Auth

from nhigraph.errors import ConfigError, InputError, NhigraphError
from nhigraph.graph.model import (
    Credential,
    CredentialKind,
    CredentialStatus,
    Integration,
    IntegrationKind,
    RelType,
)
from nhigraph.ingest.http import ApiClient, SourceUnavailable
from nhigraph.ingest.raw import NO_VALUE, Raw, RawPage, parse_time
from nhigraph.ingest.records import TenantRecords
from nhigraph.ingest.redaction import Fingerprinter
from nhigraph.ingest.source import Endpoint, FetchContext, RawInput, Source, SourceResult

NAME = "aws"
PROVIDER = "aws"
REPORT = "credential_report"  # the endpoint: saved as credential_report[.*].csv

IAM_URL = "https://iam.amazonaws.com"
IAM_VERSION = "2010-05-08"
GENERATE = "iam:GenerateCredentialReport"
DOWNLOAD = "iam:GetCredentialReport"
MAX_CHECKS = 15  # GenerateCredentialReport polls: about five minutes of back-off in all
#: IAM error codes that mean "ask again later" (HTTP 400 and 404, which ApiClient won't retry).
RETRY_LATER = frozenset({"Throttling", "ThrottlingException", "ReportInProgress"})

ROOT_USER = "<root_account>"  # the report's name for the account's root user
ROOT_SCOPE = "root"
KEY_SLOTS = ("access_key_1", "access_key_2")
CERT_SLOTS = ("cert_1", "cert_2")
#: The columns the transform reads; the report has more (password dates, regions, services).
COLUMNS = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "mfa_active",
    *(f"{slot}_{part}" for slot in KEY_SLOTS for part in ("active", "last_rotated")),
    *(f"{slot}_last_used_date" for slot in KEY_SLOTS),
    *(f"{slot}_{part}" for slot in CERT_SLOTS for part in ("active", "last_rotated")),
)
_ARN = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):(?:(root)|user/(?:.*/)?([^/]+))")
_ACCOUNT = re.compile(r"\d{12}")


# --------------------------------------------------------------------------- transform


@dataclass(frozen=True, slots=True)
class _Row:
    """One CSV record: where it is (file, line) and its cells by column."""

    file: str
    line: int
    cells: dict[str, str]
    origin: str = ""

    def error(self, column: str | None, message: str) -> InputError:
        return InputError(self.file, f"line {self.line}", column, message)

    @property
    def where(self) -> Raw:
        # TenantRecords names the record of a model error through a Raw: here, the line.
        return Raw(self.file, f"line {self.line}", self.cells, self.origin)

    def flag(self, column: str) -> bool:
        value = self.cells[column].lower()
        if value not in ("true", "false"):
            raise self.error(column, "expected true or false")
        return value == "true"

    def opt_flag(self, column: str) -> bool | None:
        """A flag, or None for the report's 'no value' words (the root user's password is
        ``not_supported``)."""
        return None if self.cells[column] in NO_VALUE else self.flag(column)

    def time(self, column: str) -> str | None:
        value = self.cells[column]
        if value in NO_VALUE:
            return None
        try:
            return parse_time(value)
        except ValueError as exc:
            raise self.error(column, str(exc)) from None


@dataclass(frozen=True, slots=True)
class _Slot:
    """One access key or signing certificate slot of a user (the report has two of each)."""

    name: str  # access_key_1, cert_2, ...
    kind: CredentialKind
    active: bool
    last_rotated: str | None
    last_used: str | None

    @property
    def issued(self) -> bool:
        # An inactive key keeps its last_rotated; a slot that never held one shows N/A.
        return self.active or self.last_rotated is not None


@dataclass(frozen=True, slots=True)
class _User:
    row: _Row
    name: str
    arn: str
    account: str
    created_at: str | None
    slots: tuple[_Slot, ...]
    console_password: bool | None  # password_enabled: a person can sign in as this user
    mfa_active: bool | None

    @property
    def is_root(self) -> bool:
        return self.name == ROOT_USER


def _read_report(page: RawPage) -> list[_User]:
    """The users of one credential report, checked; one account per report."""
    if not isinstance(page.body, str):
        raise InputError(page.file, "/", None, "expected the CSV text of an IAM credential report")
    records = _records(page.file, page.body.lstrip("\ufeff"))
    _, header = next(records, (1, None))
    if header is None:
        raise InputError(page.file, "line 1", None, "no header; expected an IAM credential report")
    columns = [name.strip() for name in header]
    for column in COLUMNS:
        if column not in columns:
            raise InputError(
                page.file, "line 1", column, "column missing; is this an IAM credential report?"
            )
    users: list[_User] = []
    lines: dict[str, int] = {}
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            raise InputError(
                page.file,
                f"line {line}",
                None,
                f"expected {len(columns)} cells, got {len(cells)}; is the file truncated?",
            )
        cells_by_column = {c: v.strip() for c, v in zip(columns, cells, strict=True)}
        row = _Row(page.file, line, cells_by_column, page.origin)
        user = _user(row)
        if users and user.account != users[0].account:
            raise row.error(
                "arn",
                f"account {user.account} differs from account {users[0].account} on line "
                f"{users[0].row.line}; a credential report covers one account",
            )
        if user.name in lines:
            raise row.error("user", f"the user is listed twice (first on line {lines[user.name]})")
        lines[user.name] = line
        users.append(user)
    return users


def _records(file: str, text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each CSV record; a syntax error becomes an InputError."""
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(
                file, f"line {reader.line_num}", None, f"not valid CSV ({exc})"
            ) from None
        yield reader.line_num, cells


def _user(row: _Row) -> _User:
    name = row.cells["user"]
    if not name:
        raise row.error("user", "missing; expected the IAM user name")
    match = _ARN.fullmatch(row.cells["arn"])
    if match is None:
        raise row.error(
            "arn", "expected an IAM user or root ARN (arn:aws:iam::<account>:user/<name>)"
        )
    account, root, arn_name = match.groups()
    if (name == ROOT_USER) != (root is not None) or (root is None and arn_name != name):
        raise row.error("arn", "does not name the user in column 'user'")
    keys = tuple(
        _Slot(
            slot,
            CredentialKind.ACCESS_KEY,
            row.flag(f"{slot}_active"),
            row.time(f"{slot}_last_rotated"),
            row.time(f"{slot}_last_used_date"),
        )
        for slot in KEY_SLOTS
    )
    certificates = tuple(
        _Slot(
            slot,
            CredentialKind.CERTIFICATE,
            row.flag(f"{slot}_active"),
            row.time(f"{slot}_last_rotated"),
            None,  # the report does not say when a signing certificate was last used
        )
        for slot in CERT_SLOTS
    )
    return _User(
        row,
        name,
        row.cells["arn"],
        account,
        row.time("user_creation_time"),
        keys + certificates,
        console_password=row.opt_flag("password_enabled"),
        mfa_active=row.opt_flag("mfa_active"),
    )


def _add_user(records: TenantRecords, user: _User) -> None:
    """The user as an Integration with its issued keys and certificates; none: nothing."""
    issued = [slot for slot in user.slots if slot.issued]
    if not issued:
        return
    where = user.row.where
    base = ("root",) if user.is_root else ("user", user.name)
    used = [slot.last_used for slot in issued if slot.last_used is not None]
    integration = records.add(
        Integration,
        where,
        id=records.id(*base),
        name="root account" if user.is_root else user.name,
        kind=IntegrationKind.SERVICE_ACCOUNT,
        created_at=user.created_at,
        last_used_at=max(used, default=None),  # canonical UTC text sorts in time order
        provider=PROVIDER,
        client_id=user.arn,
        # A user holding keys that also has a console password is a machine identity a
        # person can sign in as (NHI-HUM-001); the root user's password is not reported.
        console_password=user.console_password,
        mfa_active=user.mfa_active,
    )
    # IAM users' policies are not in the report; only the root user's power is certain.
    scope = records.scope(ROOT_SCOPE, where) if user.is_root else None
    for slot in issued:
        credential = records.add(
            Credential,
            where,
            id=records.id(*base, slot.name),
            kind=slot.kind,
            identifier=f"{user.name}/{slot.name}",
            status=CredentialStatus.ACTIVE if slot.active else CredentialStatus.DISABLED,
            last_rotated_at=slot.last_rotated,
            last_used_at=slot.last_used,
        )
        records.rel(RelType.HAS_CREDENTIAL, integration, credential)
        if scope is not None:
            records.rel(RelType.GRANTS, credential, scope)


def _records_of(account: str, fingerprinter: Fingerprinter, where: Raw | None) -> TenantRecords:
    return TenantRecords(NAME, PROVIDER, account, f"AWS account {account}", fingerprinter, where)


def transform(raw: RawInput, fingerprinter: Fingerprinter) -> SourceResult:
    """One batch per AWS account named by the reports' ARNs (a report mixing accounts is an
    error); ``raw.tenant`` is needed only when no report has a row."""
    pages = raw.of(REPORT)
    accounts: dict[str, TenantRecords] = {}
    for page in pages:
        for user in _read_report(page):
            if raw.tenant is not None and user.account != raw.tenant:
                raise user.row.error(
                    "arn", f"the report is of AWS account {user.account}, not --tenant {raw.tenant}"
                )
            if user.account not in accounts:
                accounts[user.account] = _records_of(user.account, fingerprinter, user.row.where)
            _add_user(accounts[user.account], user)
    if not accounts:
        file = pages[0].file if pages else f"{REPORT}.csv"
        if raw.tenant is None:
            raise InputError(
                file,
                "line 2",
                None,
                "the report has no rows, so it names no AWS account; pass --tenant <account id>",
            )
        if not _ACCOUNT.fullmatch(raw.tenant):
            raise InputError(file, "line 2", None, "--tenant must be a 12-digit AWS account id")
        accounts[raw.tenant] = _records_of(raw.tenant, fingerprinter, None)
    unclassified = sorted({name for r in accounts.values() for name in r.unclassified})
    return SourceResult([r.batch() for r in accounts.values()], unclassified)


# --------------------------------------------------------------------------- fetch


def _wait(attempt: int) -> float:
    """Back-off before the next check or retry: 1, 2, 4, ... seconds, at most 30."""
    return float(min(2**attempt, 30))


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _text(root: ET.Element, name: str) -> str | None:
    """The text of the first element called ``name`` (any namespace), stripped."""
    for element in root.iter():
        if _local(element.tag) == name:
            return (element.text or "").strip() or None
    return None


def _error_code(response: httpx.Response) -> str | None:
    """IAM's error code from an ``<ErrorResponse>`` body, if the body is one."""
    try:
        root = ET.fromstring(response.content)
    except ET.ParseError:
        return None
    return _text(root, "Code") if _local(root.tag) == "ErrorResponse" else None


class _IamQuery(httpx.Auth):
    """Signs each IAM query request with SigV4, and asks again when IAM says "later".

    IAM answers throttling with HTTP 400 ``Throttling`` and a report still being built
    with HTTP 404 ``ReportInProgress``; ApiClient would take both for final errors, so
    they are retried here, freshly signed, after a back-off through the source's sleep.
    Another IAM error below 500 (except 401/403/429, which ApiClient handles) is raised
    with IAM's error code; everything else goes back to ApiClient unchanged.
    """

    requires_response_body = True

    def __init__(self, signer: AWS4Auth, sleep: Callable[[float], None], retries: int) -> None:
        self.signer = signer
        self.sleep = sleep
        self.retries = retries

    def _signed(self, request: httpx.Request) -> httpx.Request:
        flow = self.signer.auth_flow(request)
        signed = next(flow)
        flow.close()
        return signed

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        action = request.url.params.get("Action", "IAM")
        attempt = 0
        while True:
            response = yield self._signed(request)
            status = response.status_code
            if status >= 500 or status < 400 or status in (401, 403, 429):
                return
            code = _error_code(response)
            if code is None:
                return
            if code not in RETRY_LATER:
                raise NhigraphError(f"{NAME}: {action} answered HTTP {status} {code}")
            if attempt >= self.retries:
                raise SourceUnavailable(
                    f"{NAME}: {action} still answered {code} after {attempt + 1} attempts"
                )
            self.sleep(_wait(attempt))
            attempt += 1


def _call(client: ApiClient, action: str, permission: str) -> tuple[ET.Element, httpx.Response]:
    response = client.get("/", permission, params={"Action": action, "Version": IAM_VERSION})
    try:
        return ET.fromstring(response.content), response
    except ET.ParseError:
        raise SourceUnavailable(
            f"{NAME}: {action} answered with something that is not XML"
        ) from None


def _generate(client: ApiClient, sleep: Callable[[float], None]) -> None:
    """Ask for a fresh report and wait until IAM says it is COMPLETE."""
    for attempt in range(MAX_CHECKS):
        root, _ = _call(client, "GenerateCredentialReport", GENERATE)
        state = _text(root, "State")
        if state == "COMPLETE":
            return
        if state not in ("STARTED", "INPROGRESS"):
            raise SourceUnavailable(f"{NAME}: GenerateCredentialReport answered without a State")
        sleep(_wait(attempt))
    raise SourceUnavailable(
        f"{NAME}: the credential report was still being generated after {MAX_CHECKS} checks"
    )


def _download(client: ApiClient) -> RawPage:
    root, response = _call(client, "GetCredentialReport", DOWNLOAD)
    content = _text(root, "Content")
    if content is None:
        raise SourceUnavailable(f"{NAME}: GetCredentialReport answered without a report")
    report_format = _text(root, "ReportFormat")
    if report_format not in (None, "text/csv"):
        raise NhigraphError(f"{NAME}: GetCredentialReport sent {report_format}, not text/csv")
    try:
        text = base64.b64decode("".join(content.split()), validate=True).decode("utf-8-sig")
    except (binascii.Error, UnicodeDecodeError):
        raise SourceUnavailable(
            f"{NAME}: GetCredentialReport sent a report that is not base64 of UTF-8 text"
        ) from None
    return RawPage(REPORT, str(response.request.url), text)


def fetch(ctx: FetchContext) -> RawInput:
    """The account's credential report, freshly generated (IAM reuses one up to 4 hours old)."""
    settings = ctx.settings
    key_id = settings.aws_access_key_id
    if not key_id:
        raise ConfigError(
            f"{NAME}: no AWS access key id; set NHIGRAPH_AWS_ACCESS_KEY_ID (or AWS_ACCESS_KEY_ID)"
        )
    secret = settings.aws_secret_access_key
    if secret is None or not secret.get_secret_value():
        raise ConfigError(
            f"{NAME}: no AWS secret access key; set NHIGRAPH_AWS_SECRET_ACCESS_KEY "
            "(or AWS_SECRET_ACCESS_KEY)"
        )
    token = settings.aws_session_token.get_secret_value() if settings.aws_session_token else None
    sleep = ctx.sleep or time.sleep
    signer = AWS4Auth(
        key_id, secret.get_secret_value(), "us-east-1", "iam", security_token=token or None
    )
    with ApiClient(
        NAME,
        IAM_URL,
        auth=_IamQuery(signer, sleep, settings.http_max_retries),
        transport=ctx.transport,
        max_retries=settings.http_max_retries,
        sleep=sleep,
    ) as client:
        _generate(client, sleep)
        page = _download(client)
    return RawInput(NAME, ctx.tenant, {REPORT: [page]})


SOURCE = Source(
    name=NAME,
    provider=PROVIDER,
    title="AWS IAM credential report",
    endpoints=(
        Endpoint(
            REPORT,
            "GET https://iam.amazonaws.com/?Action=GenerateCredentialReport, "
            "then ?Action=GetCredentialReport (Version=2010-05-08)",
            f"{GENERATE} and {DOWNLOAD}",
            format="csv",
        ),
    ),
    transform=transform,
    fetch=fetch,
    tenant_help=(
        "the 12-digit AWS account id; not needed: the report's ARNs name the account "
        "(only a report without rows needs it)"
    ),
)
