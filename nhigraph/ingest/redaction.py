"""Secrets at the ingest boundary: ingestors run every string they emit through
``Fingerprinter.redact`` and keep only keyed hashes of the secret values they see.

The primitives (secret shapes, the keyed hash, the installation's key) live in
``nhigraph.secrets``, which the API uses too; this module names them for ingest.
"""

from __future__ import annotations

from nhigraph.secrets import Fingerprinter, load_fingerprinter, secret_kind

__all__ = ["Fingerprinter", "load_fingerprinter", "secret_kind"]
