"""The SaaS sources nhigraph ingests, by name, and live collection that never deletes on failure."""

from __future__ import annotations

import importlib

from nhigraph.errors import ConfigError
from nhigraph.ingest.http import SourceUnavailable
from nhigraph.ingest.source import FetchContext, RawInput, Source

NAMES = ("msgraph", "google", "github", "slack", "okta", "salesforce", "aws")


def get_source(name: str) -> Source:
    if name not in NAMES:
        raise ConfigError(f"unknown source '{name}' (one of: {', '.join(NAMES)})")
    source: Source = importlib.import_module(f"nhigraph.ingest.{name}").SOURCE
    return source


def all_sources() -> list[Source]:
    return [get_source(name) for name in NAMES]


def collect(source: Source, context: FetchContext) -> tuple[RawInput | None, str | None]:
    """Fetch ``source`` live: (pages, None), or (None, why) when it is unavailable.

    Unavailable means nothing useful came back after retries; the caller then writes
    nothing and runs no cleanup, so what is known is never deleted because an API was
    down. Access denied and bad requests are errors, not unavailability.
    """
    try:
        return source.fetch(context), None
    except SourceUnavailable as exc:
        return None, str(exc)
