"""API keys: created once and shown once, kept only as a hash, listable and revocable.

Keys live in a small JSON file (``NHIGRAPH_API_KEYS_FILE``, mode 0600), not in the
graph: a team's API replicas share it as a mounted secret, and the server re-reads
it when it changes, so a revoked key stops working without a restart. A key is
``nhg_`` + 43 random URL-safe characters (256 bits); its SHA-256 is what is
stored — a slow hash adds nothing against a random key of that length.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from nhigraph.errors import ConfigError, NhigraphError
from nhigraph.graph.model import format_utc

PREFIX = "nhg_"


class Role(StrEnum):
    READER = "reader"  # the inventory: integrations, credentials, tenants, stores, teams
    ANALYST = "analyst"  # and blast radius, shared connectors and the rest
    ADMIN = "admin"  # and mutations

    def allows(self, needed: Role) -> bool:
        order = [Role.READER, Role.ANALYST, Role.ADMIN]
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str  # public: shown in lists and logs
    name: str
    role: Role
    created_at: str
    hash: str  # sha256 hex of the key
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def public(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "hash"}


class UnknownKey(NhigraphError):
    code = "NOT_FOUND"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    """The keys file: create, list, revoke, and check a presented key."""

    def __init__(self, path: Path) -> None:
        self.path = path.expanduser()
        self._lock = threading.Lock()
        self._seen: tuple[float, int] | None = None
        self._by_hash: dict[str, ApiKey] = {}

    # ---------------------------------------------------------------- file

    def _read(self) -> list[ApiKey]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{self.path}: not a readable API keys file ({exc})") from None
        try:
            return [ApiKey(**{**item, "role": Role(item["role"])}) for item in data.get("keys", [])]
        except (TypeError, KeyError, ValueError, AttributeError):
            raise ConfigError(f"{self.path}: not an nhigraph API keys file") from None

    def _write(self, keys: list[ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"keys": [asdict(k) for k in keys]}, indent=1) + "\n"
        temporary = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(temporary, self.path)  # readers see the old file or the new, never half

    # ---------------------------------------------------------------- commands

    def create(self, name: str, role: Role, now: datetime | None = None) -> tuple[ApiKey, str]:
        """A new key: (its record, the key itself — shown once, never stored)."""
        if not name.strip():
            raise ConfigError("an API key needs a --name saying who or what uses it")
        secret = PREFIX + secrets.token_urlsafe(32)
        record = ApiKey(
            id="key_" + secrets.token_hex(6),
            name=name.strip(),
            role=role,
            created_at=format_utc(now or datetime.now(UTC)),
            hash=_digest(secret),
        )
        with self._lock:
            self._write([*self._read(), record])
        return record, secret

    def list(self) -> list[ApiKey]:
        return self._read()

    def revoke(self, key_id: str, now: datetime | None = None) -> ApiKey:
        with self._lock:
            keys = self._read()
            for n, key in enumerate(keys):
                if key.id == key_id:
                    if key.revoked_at is None:
                        keys[n] = ApiKey(**{**asdict(key), "revoked_at": format_utc(
                            now or datetime.now(UTC))})  # fmt: skip
                        self._write(keys)
                    return keys[n]
        raise UnknownKey(f"no API key with id {key_id}")

    # ---------------------------------------------------------------- checking

    def check(self, presented: str) -> ApiKey | None:
        """The active key ``presented`` is, or None. Re-reads the file when it changed."""
        if not presented.startswith(PREFIX):
            return None
        self._refresh()
        found = self._by_hash.get(_digest(presented))
        if found is None or not found.active:
            return None
        # Compare digests in constant time too (the dict lookup already matched).
        return found if hmac.compare_digest(found.hash, _digest(presented)) else None

    def _refresh(self) -> None:
        try:
            stat = self.path.stat()
            seen: tuple[float, int] | None = (stat.st_mtime, stat.st_size)
        except FileNotFoundError:
            seen = None
        if seen == self._seen and seen is not None:
            return
        with self._lock:
            self._by_hash = {k.hash: k for k in self._read()}
            self._seen = seen
