"""Secrets at the ingest boundary: recognise them, keep only a keyed hash, never the value.

``secret_kind`` tells whether a string looks like a secret (and which kind, for a
message that never quotes it). ``Fingerprinter`` turns a secret into
``hmac-sha256:<hex>`` with a per-installation key, so a leaked secret pasted by a
responder can be matched to its credential without nhigraph ever keeping it.
``redact`` replaces every secret-shaped part of a string with a marker carrying the
start of that hash; ingestors run every string they emit through it.

The key comes from ``NHIGRAPH_FINGERPRINT_KEY`` (teams: the same value for every
ingestion job) or else a key file created on first use with mode 0600.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import secrets

from nhigraph.errors import ConfigError
from nhigraph.settings import Settings

# Values that are secrets, not public identifiers. (kind, slug, pattern); the
# message names the kind, never the value.
_SECRET_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "a GitHub token",
        "github_token",
        re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{40,})"),
    ),
    ("a Slack token", "slack_token", re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}")),
    (
        "a private key",
        "private_key",
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----)?"
        ),
    ),
    ("a Google API key", "google_api_key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("a Stripe secret key", "stripe_key", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{16,}")),
    ("an Okta API token", "okta_token", re.compile(r"\b00[A-Za-z0-9_-]{40}\b")),
    (
        "a JSON Web Token",
        "jwt",
        re.compile(r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}"),
    ),
    (
        "an AWS secret access key",
        "aws_secret_key",
        re.compile(
            r"(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])"
            r"(?=[A-Za-z0-9/+]{0,39}[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
        ),
    ),
)


def secret_kind(value: str) -> str | None:
    """The kind of secret ``value`` looks like, or None when it looks like a public handle."""
    for kind, _slug, pattern in _SECRET_PATTERNS:
        if pattern.search(value):
            return kind
    return None


class Fingerprinter:
    """Keyed hashes of secret values (HMAC-SHA-256)."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ConfigError("the fingerprint key must be at least 16 bytes")
        self._key = key

    def fingerprint(self, secret: str) -> str:
        digest = hmac.new(self._key, secret.encode(), hashlib.sha256).hexdigest()
        return f"hmac-sha256:{digest}"

    def redact(self, value: str) -> str:
        """``value`` with each secret-shaped part replaced by ``[redacted:<kind>:<hash start>]``.

        Deterministic, so an id redacted in two records still joins them.
        """
        if not _MAYBE_SECRET.search(value):
            return value
        for _kind, slug, pattern in _SECRET_PATTERNS:
            value = pattern.sub(functools.partial(self._marker, slug), value)
        return value

    def _marker(self, slug: str, match: re.Match[str]) -> str:
        return f"[redacted:{slug}:{self.fingerprint(match.group(0))[12:28]}]"


# Cheap pre-check: every pattern above needs a run of 10+ token characters or a PEM line.
_MAYBE_SECRET = re.compile(r"[A-Za-z0-9_/+-]{10,}|-----BEGIN")


def load_fingerprinter(settings: Settings) -> Fingerprinter:
    """The installation's fingerprinter: key from the environment, or from the key file."""
    if settings.fingerprint_key is not None:
        return Fingerprinter(settings.fingerprint_key.get_secret_value().encode())
    path = settings.fingerprint_key_file.expanduser()
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
        key = path.read_text().strip()
    except FileExistsError:  # another process created it first
        key = path.read_text().strip()
    except OSError as exc:
        raise ConfigError(f"fingerprint key file {path}: {exc.strerror}") from None
    return Fingerprinter(key.encode())
