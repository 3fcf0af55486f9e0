"""Raw API responses as ingestors read them: pages, and typed access to the JSON inside.

``Raw`` wraps one JSON value with the file it came from and its JSON pointer, so a
transform asks for ``item.str("appId")`` or ``item.time("endDateTime")`` and gets
either a clean value or an ``InputError`` naming the file, the record and the field.
Accessors never put the rejected value in a message: a value in the wrong place
may be a secret. Nothing here knows about a particular source.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from nhigraph.errors import InputError
from nhigraph.graph.model import format_utc


@dataclass(frozen=True, slots=True)
class RawPage:
    """One response body of one endpoint: parsed JSON, or text for CSV exports."""

    endpoint: str
    file: str  # the saved file, or the URL it was fetched from
    body: Any
    params: Mapping[str, str] = field(default_factory=dict)  # e.g. the parent id it belongs to
    # Response headers that carry pagination state (lower-case names: 'link'); saved
    # pages get them from a sidecar file (see ingest/source.py).
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def chain(self) -> str:
        """The page chain this page belongs to: '' for an endpoint listed once, else the
        parent it was fetched for (the same text its saved file name carries)."""
        return ".".join(file_part(v) for v in self.params.values())

    @property
    def origin(self) -> str:
        """What the records of this page depend on, for cleanup: the endpoint, or
        '<endpoint>/<parent>' for an endpoint listed once per parent."""
        chain = self.chain
        return f"{self.endpoint}/{chain}" if chain else self.endpoint


def file_part(text: str) -> str:
    """``text`` as a file-name part: runs of anything but letters, digits, @, _ and - as _."""
    return re.sub(r"[^A-Za-z0-9@_-]+", "_", text)


def escape(key: str) -> str:
    """A JSON pointer reference token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")


_FRACTION = re.compile(r"(\.\d{6})\d+")
#: What sources write where they mean "no value".
NO_VALUE = frozenset({"", "N/A", "n/a", "not_supported", "no_information", "null", "None"})


def parse_time(value: Any, epoch: bool = False) -> str:
    """Canonical UTC text of an ISO 8601 timestamp (or, with ``epoch``, Unix seconds).

    Raises ValueError with a message fit for a user; the value itself is never quoted.
    """
    if isinstance(value, bool):
        raise ValueError("expected a timestamp, got true/false")
    if isinstance(value, int | float):
        if not epoch:
            raise ValueError("expected an ISO 8601 timestamp, got a number")
        try:
            return format_utc(datetime.fromtimestamp(value, UTC))
        except (OverflowError, OSError, ValueError):
            raise ValueError("Unix timestamp out of range") from None
    if not isinstance(value, str):
        raise ValueError("expected a timestamp")
    text = value.strip()
    if epoch and re.fullmatch(r"\d{1,12}(\.\d+)?", text):
        return parse_time(float(text), epoch=True)
    text = _FRACTION.sub(r"\1", text.replace("Z", "+00:00").replace("z", "+00:00"))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T00:00:00+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("not an ISO 8601 timestamp (expected e.g. 2026-01-31T09:00:00Z)") from None
    if moment.tzinfo is None:
        raise ValueError("timestamp has no time zone")
    try:
        return format_utc(moment)
    except OverflowError:
        raise ValueError("timestamp out of range") from None


#: From this year on, an expiry is a provider's way of writing "never". Microsoft's tools
#: write 2299-12-31 for a secret without end (Azure CLI ``--end-date 2299-12-31``, Azure AD
#: PowerShell) and .NET's largest date, 9999-12-31T23:59:59.9999999Z; Google IAM writes
#: 9999-12-31T23:59:59Z for a service-account key that does not expire.
NEVER_FROM_YEAR = 2299
#: An expiry this many years (or more) after the credential's creation also means "never":
#: the Azure portal's "Never" option (offered until April 2021) was a label over an expiry
#: 99 years after creation.
NEVER_AFTER_YEARS = 99


def expiry(expires_at: str | None, created_at: str | None = None) -> str | None:
    """``expires_at`` (canonical UTC text), or None when it stands for "never expires".

    The one place where every source's "never" becomes the model's (no ``expires_at``):
    a missing value (GitHub's ``token_expires_at: null``, AWS keys, which have no expiry),
    a date in ``NEVER_FROM_YEAR`` or later, or one ``NEVER_AFTER_YEARS`` years or more
    after ``created_at`` (a day of slack for the portal's local clock). A far-future date
    kept as a real expiry would make "never expires" findings miss the credential.
    """
    if expires_at is None:
        return None
    moment = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    if moment.year >= NEVER_FROM_YEAR:
        return None
    if created_at is not None:
        start = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
        try:
            anniversary = start.replace(year=start.year + NEVER_AFTER_YEARS)
        except ValueError:  # 29 February
            anniversary = start.replace(year=start.year + NEVER_AFTER_YEARS, day=28)
        if moment >= anniversary - timedelta(days=1):
            return None
    return expires_at


# Builtins under other names: Raw has methods called str, list and bool.
_Str = str
_List = list
_Bool = bool


class Raw:
    """A JSON value at ``pointer`` in ``file``; accessors validate and name what is wrong."""

    __slots__ = ("file", "origin", "pointer", "value")

    def __init__(self, file: _Str, pointer: _Str, value: Any, origin: _Str = "") -> None:
        self.file = file
        self.pointer = pointer
        self.value = value
        self.origin = origin  # the page's origin (RawPage.origin): what records depend on

    @classmethod
    def of(cls, page: RawPage) -> Raw:
        return cls(page.file, "", page.body, page.origin)

    def at(self, pointer: _Str, value: Any) -> Raw:
        """Another value of the same page."""
        return Raw(self.file, pointer, value, self.origin)

    # ---------------------------------------------------------------- errors

    @property
    def where(self) -> _Str:
        return self.pointer or "/"

    def error(self, field: _Str | None, message: _Str) -> InputError:
        return InputError(self.file, self.where, field, message)

    # ---------------------------------------------------------------- structure

    def expect_object(self, what: _Str = "an object") -> Raw:
        if not isinstance(self.value, dict):
            raise self.error(None, f"expected {what}, got {_kind(self.value)}")
        return self

    def has(self, key: _Str) -> _Bool:
        return isinstance(self.value, dict) and self.value.get(key) is not None

    def get(self, key: _Str) -> Raw | None:
        """The member ``key``, or None when it is missing or null."""
        value = self.expect_object().value.get(key)
        return None if value is None else self.at(f"{self.pointer}/{escape(key)}", value)

    def obj(self, key: _Str, required: _Bool = False) -> Raw | None:
        child = self.get(key)
        if child is None:
            if required:
                raise self.error(key, "missing; expected an object")
            return None
        if not isinstance(child.value, dict):
            raise self.error(key, f"expected an object, got {_kind(child.value)}")
        return child

    def list(self, key: _Str, required: _Bool = False) -> _List[Raw]:
        """The items of the array ``key`` (empty when missing, unless ``required``)."""
        child = self.get(key)
        if child is None:
            if required:
                raise self.error(key, "missing; expected an array")
            return []
        if not isinstance(child.value, list):
            raise self.error(key, f"expected an array, got {_kind(child.value)}")
        return [self.at(f"{child.pointer}/{i}", v) for i, v in enumerate(child.value)]

    def elements(self, what: _Str = "an object in the array") -> _List[Raw]:
        """The items of this value, which must be an array of objects (e.g. a page whose
        body is a bare JSON array, as GitHub and Okta lists are)."""
        if not isinstance(self.value, list):
            raise self.error(None, f"expected an array, got {_kind(self.value)}")
        return [
            self.at(f"{self.pointer}/{i}", v).expect_object(what) for i, v in enumerate(self.value)
        ]

    def items(self) -> Iterator[tuple[_Str, Raw]]:
        """Members of this object, in order."""
        for key, value in self.expect_object().value.items():
            yield key, self.at(f"{self.pointer}/{escape(str(key))}", value)

    def objects(self, key: _Str, required: _Bool = False) -> _List[Raw]:
        """Like ``list``, checking every item is an object."""
        return [item.expect_object("an object in the array") for item in self.list(key, required)]

    # ---------------------------------------------------------------- scalars

    def str(self, key: _Str) -> _Str:
        value = self.opt_str(key)
        if value is None:
            raise self.error(key, "missing; expected a non-empty string")
        return value

    def opt_str(self, key: _Str, na: frozenset[_Str] = NO_VALUE) -> _Str | None:
        """A string member; missing, null and the source's 'no value' words give None.

        Numbers are accepted and turned into text (ids some APIs send as numbers).
        """
        value = self.expect_object().value.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.error(key, f"expected a string, got {_kind(value)}")
        text = str(value).strip()
        return None if text in na else text

    def strings(self, key: _Str) -> _List[_Str]:
        """An array of strings (missing or null: empty)."""
        out = []
        for item in self.list(key):
            if not isinstance(item.value, str):
                raise item.error(None, f"expected a string in '{key}', got {_kind(item.value)}")
            if item.value.strip():
                out.append(item.value.strip())
        return out

    def bool(self, key: _Str, default: _Bool = False) -> _Bool:
        value = self.opt_bool(key)
        return default if value is None else value

    def opt_bool(self, key: _Str) -> _Bool | None:
        value = self.expect_object().value.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self.error(key, f"expected true or false, got {_kind(value)}")

    def opt_int(self, key: _Str) -> int | None:
        value = self.expect_object().value.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self.error(key, f"expected an integer, got {_kind(value)}")
        try:
            return int(value)
        except ValueError:
            raise self.error(key, "expected an integer") from None

    def time(self, key: _Str, epoch: _Bool = False, na: frozenset[_Str] = NO_VALUE) -> _Str | None:
        """A timestamp member as canonical UTC text; missing or a 'no value' word give None.

        ``epoch`` also accepts Unix seconds (numbers or digit strings), as Slack sends.
        """
        value = self.expect_object().value.get(key)
        if value is None or (isinstance(value, str) and value.strip() in na):
            return None
        if epoch and value == 0:
            return None  # Slack writes 0 for "never"
        try:
            return parse_time(value, epoch=epoch)
        except ValueError as exc:
            raise self.error(key, str(exc)) from None

    def expiry(
        self, key: _Str, created_at: _Str | None = None, epoch: _Bool = False
    ) -> _Str | None:
        """An expiry member as canonical UTC text; None when missing or when the value is
        the provider's way of saying "never expires" (see ``expiry``)."""
        return expiry(self.time(key, epoch=epoch), created_at)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
