"""What a SaaS source is to nhigraph: its endpoints, ``fetch`` and ``transform``; saved pages.

Every ingestor module (``ingest/msgraph.py``, ``ingest/github.py``, ...) defines one
``Source``. ``fetch`` collects live over HTTP and returns the raw pages, or None
when the source is unavailable (then nothing is written and no cleanup runs);
``transform`` is pure: raw pages in, canonical records out, one batch per tenant.
Saved responses are read by ``read_saved`` into the same ``RawInput`` that
``fetch`` returns, so both paths share one transform.

A folder of saved pages holds one response body per file, named after its
endpoint: ``<endpoint>.json`` or ``<endpoint>.<anything>.json`` (``.csv`` for CSV
exports), read in natural name order (``x.2.json`` before ``x.10.json``). A single
file is read the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from nhigraph.errors import InputError
from nhigraph.graph.store import Batch
from nhigraph.ingest.raw import RawPage
from nhigraph.ingest.redaction import Fingerprinter
from nhigraph.settings import Settings


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str  # the saved files' name stem, and the key of its pages in RawInput
    path: str  # the documented call, e.g. "GET /v1.0/servicePrincipals"
    permission: str  # what the credentials need (named in 401/403 errors)
    format: str = "json"  # or "csv"


@dataclass(frozen=True, slots=True)
class RawInput:
    """Raw pages of one source, per endpoint, in the order they were returned."""

    source: str
    tenant: str | None  # the tenant the user named (--tenant), when the pages do not say
    pages: Mapping[str, Sequence[RawPage]]

    def of(self, endpoint: str) -> Sequence[RawPage]:
        return self.pages.get(endpoint, ())


@dataclass(slots=True)
class SourceResult:
    """What a transform produced: one batch per tenant, and the scopes the catalogue lacks."""

    batches: list[Batch]
    unclassified: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FetchContext:
    settings: Settings
    tenant: str | None
    transport: httpx.BaseTransport | None = None  # tests replay recorded responses
    sleep: Callable[[float], None] | None = None


@dataclass(frozen=True, slots=True)
class Source:
    name: str  # the CLI's name: nhigraph ingest --source <name>
    provider: str  # the tenants' provider, and the scope catalogue's name
    title: str
    endpoints: tuple[Endpoint, ...]
    transform: Callable[[RawInput, Fingerprinter], SourceResult]
    fetch: Callable[[FetchContext], RawInput]
    tenant_help: str  # what --tenant means for this source (and whether it is needed)

    def endpoint(self, name: str) -> Endpoint:
        return next(e for e in self.endpoints if e.name == name)


# --------------------------------------------------------------------------- saved pages


def _natural(path: Path) -> list[object]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", path.name)]


def _endpoint_of(source: Source, path: Path) -> Endpoint | None:
    best = None
    for endpoint in source.endpoints:
        stem = endpoint.name
        suffix = "." + endpoint.format
        named = path.name == stem + suffix or (
            path.name.startswith(stem + ".") and path.name.endswith(suffix)
        )
        if named and (best is None or len(stem) > len(best.name)):
            best = endpoint
    return best


def read_saved(source: Source, path: Path, tenant: str | None) -> RawInput:
    """Saved response pages under ``path`` (a file or a folder) as ``RawInput``.

    Every file is parsed before anything is returned; a file that is not a page of
    this source, not JSON, or an HTML page saved by mistake is an ``InputError``.
    """
    if path.is_dir():
        files = sorted(
            (p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")),
            key=_natural,
        )
        if not files:
            raise InputError(str(path), "/", None, "the folder holds no saved pages")
    elif path.is_file():
        files = [path]
    else:
        raise InputError(str(path), "/", None, "no such file or folder")
    expected = ", ".join(f"{e.name}[.*].{e.format}" for e in source.endpoints)
    pages: dict[str, list[RawPage]] = {}
    for file in files:
        endpoint = _endpoint_of(source, file)
        if endpoint is None:
            raise InputError(
                str(file), "/", None, f"not a saved page of {source.name} (expected {expected})"
            )
        pages.setdefault(endpoint.name, []).append(_read_page(endpoint, file))
    return RawInput(source.name, tenant, pages)


def _read_page(endpoint: Endpoint, file: Path) -> RawPage:
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(str(file), "/", None, "not UTF-8 text") from None
    except OSError as exc:
        raise InputError(str(file), "/", None, f"cannot be read ({exc.strerror})") from None
    stripped = text.lstrip()
    if not stripped:
        raise InputError(str(file), "/", None, "the file is empty")
    if endpoint.format == "csv":
        if stripped.startswith("<"):
            raise InputError(str(file), "line 1", None, _HTML)
        return RawPage(endpoint.name, str(file), text)
    if stripped.startswith("<"):
        raise InputError(str(file), "/", None, _HTML)
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            str(file),
            f"line {exc.lineno} column {exc.colno}",
            None,
            f"not valid JSON ({exc.msg}); is the file truncated?",
        ) from None
    return RawPage(endpoint.name, str(file), body)


_HTML = "an HTML page, not a saved API response (was an error or sign-in page saved?)"


def save_pages(raw: RawInput, folder: Path) -> list[Path]:
    """Write fetched pages as files ``read_saved`` reads back.

    A page fetched for a parent (a project, an app) is named after it,
    ``<endpoint>.<parent>.json``, since some bodies do not say whose they are; other
    pages are ``<endpoint>.<n>.json`` (``.csv`` for text)."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    used: set[str] = set()
    for endpoint, pages in raw.pages.items():
        for n, page in enumerate(pages, start=1):
            is_text = isinstance(page.body, str)
            suffix = "csv" if is_text else "json"
            parent = ".".join(re.sub(r"[^A-Za-z0-9@_-]+", "_", v) for v in page.params.values())
            stem = f"{endpoint}.{parent}" if parent else f"{endpoint}.{n}"
            if stem in used:
                stem = f"{stem}.{n}"
            used.add(stem)
            target = folder / f"{stem}.{suffix}"
            target.write_text(page.body if is_text else json.dumps(page.body, indent=1) + "\n")
            written.append(target)
    return written
