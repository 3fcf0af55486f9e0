"""The exceptions nhigraph shows to people.

Every error a user can cause is one of these and renders as one clear line;
nothing here may carry a secret value.
"""

from __future__ import annotations


class NhigraphError(Exception):
    """Base of every error nhigraph reports to a user as one line."""

    code = "NHIGRAPH_ERROR"


class InputError(NhigraphError):
    """Bad input: names the file, the record (index or JSON pointer) and the field."""

    code = "BAD_INPUT"

    def __init__(self, file: str, record: str, field: str | None, message: str) -> None:
        self.file = file
        self.record = record
        self.field = field
        self.message = message
        where = record if field is None else f"{record} field '{field}'"
        super().__init__(f"{file}: {where}: {message}")


class StoreError(NhigraphError):
    """The store refused a batch or could not be reached; the store is unchanged."""

    code = "STORE_ERROR"


class ConfigError(NhigraphError):
    """Settings or policy that cannot be used."""

    code = "BAD_CONFIG"
