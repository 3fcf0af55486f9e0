"""Secrets at the ingest boundary: the installation key, fingerprints and redaction."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from nhigraph.errors import ConfigError
from nhigraph.ingest.redaction import Fingerprinter, load_fingerprinter, secret_kind
from nhigraph.settings import Settings

GITHUB = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def test_the_key_file_is_created_private_once_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "fingerprint.key"
    first = load_fingerprinter(Settings(fingerprint_key_file=path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_text().strip()) == 64
    again = load_fingerprinter(Settings(fingerprint_key_file=path))
    assert first.fingerprint("s3cret") == again.fingerprint("s3cret")
    other = load_fingerprinter(Settings(fingerprint_key=SecretStr("another-key-of-16-bytes")))
    assert other.fingerprint("s3cret") != first.fingerprint("s3cret")


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="at least 16 bytes"):
        load_fingerprinter(Settings(fingerprint_key=SecretStr("short")))


def test_fingerprints_are_keyed_hashes_and_redaction_keeps_their_start() -> None:
    fp = Fingerprinter(b"k" * 32)
    digest = fp.fingerprint(GITHUB)
    assert digest.startswith("hmac-sha256:") and len(digest) == 12 + 64
    assert GITHUB not in digest
    text = f"deploy with {GITHUB} please"
    assert fp.redact(text) == f"deploy with [redacted:github_token:{digest[12:28]}] please"
    assert fp.redact(text) == fp.redact(text)  # deterministic: ids still join
    assert fp.redact("AKIAIOSFODNN7EXAMPLE is a public key id") == (
        "AKIAIOSFODNN7EXAMPLE is a public key id"
    )


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (GITHUB, "a GitHub token"),
        ("xoxb-2718281828-3141592653-Tq9sPzW4yXvR2kLm8nB6cD1e", "a Slack token"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", "a private key"),
        ("AIzaSyD3xAmPlEkEy0123456789abcdefGHIJKL", "a Google API key"),
        ("sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "a Stripe secret key"),
        ("00" + "a" * 20 + "B" * 20, "an Okta API token"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2lnbmF0dXJlLXNpZw", "a JSON Web Token"),
        ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "an AWS secret access key"),
        ("3MVG9-ledgerly", None),
        ("0oa7tspLdgrlyS8n2p7", None),
        ("14d82eec-204b-4c2f-b7e8-296a70dab67e", None),
    ],
)
def test_secret_shapes(value: str, kind: str | None) -> None:
    assert secret_kind(value) == kind
    redacted = Fingerprinter(b"k" * 32).redact(f"x {value} y")
    assert (value not in redacted) == (kind is not None)
