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
file is read the same way. For an endpoint listed once per parent (a service
principal's role assignments, an app's grants) the middle of the name is the parent
(``grants.<app id>.json``; its later pages ``grants.<app id>.2.json``). A page's
response headers may be kept beside it, as ``<page>.headers`` (the header lines as
``curl -D`` writes them) or ``<page>.link-header.txt`` (the ``Link`` value alone):
they carry GitHub's and Okta's pagination state. Other files in a folder (a README,
``.DS_Store``) are skipped with a notice.
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
from nhigraph.ingest.paging import SINGLE, Paging
from nhigraph.ingest.raw import RawPage, file_part
from nhigraph.ingest.redaction import Fingerprinter
from nhigraph.settings import Settings


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str  # the saved files' name stem, and the key of its pages in RawInput
    path: str  # the documented call, e.g. "GET /v1.0/servicePrincipals"
    permission: str  # what the credentials need (named in 401/403 errors)
    format: str = "json"  # or "csv"
    paging: Paging = SINGLE  # how a page says more follow
    per: str | None = None  # listed once per parent (e.g. "service principal"), or None


@dataclass(frozen=True, slots=True)
class RawInput:
    """Raw pages of one source, per endpoint, in the order they were returned."""

    source: str
    tenant: str | None  # the tenant the user named (--tenant), when the pages do not say
    pages: Mapping[str, Sequence[RawPage]]
    notes: tuple[str, ...] = ()  # files passed over while reading, said to the user

    def of(self, endpoint: str) -> Sequence[RawPage]:
        return self.pages.get(endpoint, ())


def merge_inputs(raws: Sequence[RawInput]) -> RawInput:
    """Several inputs of one source as one: each endpoint's pages in the order given."""
    pages: dict[str, list[RawPage]] = {}
    for raw in raws:
        for endpoint, found in raw.pages.items():
            pages.setdefault(endpoint, []).extend(found)
    tenants = [r.tenant for r in raws if r.tenant]
    return RawInput(
        raws[0].source,
        tenants[0] if tenants else None,
        pages,
        tuple(n for r in raws for n in r.notes),
    )


@dataclass(slots=True)
class SourceResult:
    """What a transform produced: one batch per tenant, the scopes the catalogue lacks,
    and warnings about records it kept without a neighbour the pages did not hold."""

    batches: list[Batch]
    unclassified: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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

    @property
    def pagings(self) -> dict[str, Paging]:
        return {e.name: e.paging for e in self.endpoints}


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


HEADER_SUFFIXES = (".headers", ".link-header.txt")


def read_saved(source: Source, path: Path, tenant: str | None) -> RawInput:
    """Saved response pages under ``path`` (a file or a folder) as ``RawInput``.

    Every file is parsed before anything is returned; a named file that is not a page
    of this source, a page that is not JSON, or an HTML page saved by mistake is an
    ``InputError``. In a folder, header files go with their pages and any other file
    is passed over with a note.
    """
    expected = ", ".join(f"{e.name}[.*].{e.format}" for e in source.endpoints)
    notes: list[str] = []
    if path.is_dir():
        files = []
        for p in sorted(path.iterdir(), key=_natural):
            if not p.is_file() or p.name.endswith(HEADER_SUFFIXES):
                continue
            if p.name.startswith(".") or _endpoint_of(source, p) is None:
                notes.append(f"{p}: not a saved page of {source.name}; skipped")
                continue
            files.append(p)
        if not files:
            raise InputError(
                str(path), "/", None, f"the folder holds no saved pages (expected {expected})"
            )
    elif path.is_file():
        files = [path]
    else:
        raise InputError(str(path), "/", None, "no such file or folder")
    pages: dict[str, list[RawPage]] = {}
    for file in files:
        endpoint = _endpoint_of(source, file)
        if endpoint is None:
            raise InputError(
                str(file), "/", None, f"not a saved page of {source.name} (expected {expected})"
            )
        pages.setdefault(endpoint.name, []).append(_read_page(endpoint, file))
    return RawInput(source.name, tenant, pages, tuple(notes))


def _parent_of(endpoint: Endpoint, file: Path) -> dict[str, str]:
    """The parent a saved page of a per-parent endpoint was fetched for, from its name:
    ``<endpoint>.<parent>[.<page number>].<format>``."""
    if endpoint.per is None:
        return {}
    middle = file.name[len(endpoint.name) + 1 : -len(endpoint.format) - 1]
    parts = [p for p in middle.split(".") if p]
    if len(parts) > 1 and parts[-1].isdigit():
        parts.pop()  # a later page of the same parent
    return {str(i): file_part(p) for i, p in enumerate(parts)}


def _read_headers(file: Path) -> dict[str, str]:
    """Pagination headers kept beside a saved page (lower-case names; only 'link')."""
    stem = file.name[: -len(file.suffix)]
    found: dict[str, str] = {}
    for suffix in HEADER_SUFFIXES:
        named = (file.with_name(stem + suffix), file.with_name(file.name + suffix))
        kept = next((k for k in named if k.is_file()), None)
        if kept is None:
            continue
        try:
            text = kept.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            raise InputError(str(kept), "/", None, "cannot be read as UTF-8 text") from None
        if suffix == ".link-header.txt":
            value = " ".join(text.split())
            if value.lower().startswith("link:"):
                value = value[5:].strip()
            if value:
                found["link"] = value
            continue
        for line in text.splitlines():
            name, sep, value = line.partition(":")
            if sep and name.strip().lower() == "link":
                found["link"] = ", ".join(filter(None, (found.get("link"), value.strip())))
    return found


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
        return RawPage(endpoint.name, str(file), text, _parent_of(endpoint, file))
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
    return RawPage(endpoint.name, str(file), body, _parent_of(endpoint, file), _read_headers(file))


_HTML = "an HTML page, not a saved API response (was an error or sign-in page saved?)"


def save_pages(raw: RawInput, folder: Path) -> list[Path]:
    """Write fetched pages as files ``read_saved`` reads back.

    A page fetched for a parent (a project, an app) is named after it,
    ``<endpoint>.<parent>.json``, since some bodies do not say whose they are, and its
    later pages ``<endpoint>.<parent>.<n>.json``; other pages are ``<endpoint>.<n>.json``
    (``.csv`` for text). Pagination headers go beside their page as ``.headers``."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    used: set[str] = set()
    for endpoint, pages in raw.pages.items():
        for n, page in enumerate(pages, start=1):
            is_text = isinstance(page.body, str)
            suffix = "csv" if is_text else "json"
            parent = page.chain
            stem = f"{endpoint}.{parent}" if parent else f"{endpoint}.{n}"
            if stem in used:
                stem = f"{stem}.{n}"
            used.add(stem)
            target = folder / f"{stem}.{suffix}"
            target.write_text(page.body if is_text else json.dumps(page.body, indent=1) + "\n")
            written.append(target)
            if page.headers:
                headers = "".join(f"{k.title()}: {v}\n" for k, v in sorted(page.headers.items()))
                (folder / f"{stem}.headers").write_text(headers)
    return written
