"""The scope catalogue: what each provider permission allows, and what it reaches.

One YAML file per provider in ``ingest/catalogue/`` (format in
docs/scope-catalogue.md) lists the provider's standard data stores (created for
every tenant of that provider, with a default classification) and, per scope:
its access (read, write, admin), whether it is sensitive, the data stores (or the
tenant itself) it reaches, and the public source that classifies it. Ingestors
materialise ``Scope-[:CAN_ACCESS]->DataStore|Tenant`` from it. A scope the
catalogue does not know is stored as ``write``, marked unclassified and reaches
its tenant with ``write``: never silently treated as harmless.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from nhigraph.errors import ConfigError
from nhigraph.graph.model import Access, Classification, SourceName, Text

TENANT = "tenant"  # the reach key meaning the tenant itself

_Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


class CatalogueStore(_Strict):
    key: _Key = Field(description="becomes the data store id '<tenant id>:store:<key>'")
    name: Text
    kind: SourceName
    classification: Classification


class CatalogueScope(_Strict):
    access: Access
    sensitive: bool = False
    reaches: list[str] = Field(
        default=[],
        description="data store keys, or 'tenant'; 'key:access' lowers or raises the edge",
    )
    ref: str = Field(description="a key of 'references', or a URL, that classifies this scope")
    note: str | None = None


class Catalogue(_Strict):
    provider: SourceName
    references: dict[str, str] = Field(description="public sources the entries cite")
    data_stores: list[CatalogueStore]
    scopes: dict[str, CatalogueScope]
    patterns: dict[str, CatalogueScope] = Field(
        default={},
        description="regular expressions (full match) for families of scopes, tried in order",
    )

    def lookup(self, name: str) -> CatalogueScope | None:
        """The entry for scope ``name``: exact first, then the first matching pattern."""
        entry = self.scopes.get(name)
        if entry is not None:
            return entry
        for pattern, candidate in self.patterns.items():
            if re.fullmatch(pattern, name):
                return candidate
        return None

    def reach(self, entry: CatalogueScope) -> list[tuple[str, Access]]:
        """(store key or 'tenant', access) for each target of ``entry``."""
        out = []
        for item in entry.reaches:
            key, _, access = item.partition(":")
            out.append((key, Access(access) if access else Access(entry.access)))
        return out


def _check(catalogue: Catalogue, file: str) -> None:
    keys = {s.key for s in catalogue.data_stores}
    if len(keys) != len(catalogue.data_stores):
        raise ConfigError(f"{file}: a data store key appears twice")
    entries = [("scopes", n, e) for n, e in catalogue.scopes.items()]
    entries += [("patterns", n, e) for n, e in catalogue.patterns.items()]
    for section, name, entry in entries:
        where = f"{file}: /{section}/{name}"
        if section == "patterns":
            try:
                re.compile(name)
            except re.error as exc:
                raise ConfigError(f"{where}: not a regular expression ({exc})") from None
        for item in entry.reaches:
            key, _, access = item.partition(":")
            if key != TENANT and key not in keys:
                raise ConfigError(f"{where} field 'reaches': unknown data store key '{key}'")
            if access and access not in {a.value for a in Access}:
                raise ConfigError(f"{where} field 'reaches': unknown access '{access}'")
        if not entry.ref.startswith("https://") and entry.ref not in catalogue.references:
            raise ConfigError(f"{where} field 'ref': not a URL nor a key of 'references'")


@cache
def load_catalogue(provider: str) -> Catalogue:
    """The shipped catalogue of ``provider`` (validated; cached per process)."""
    file = f"nhigraph/ingest/catalogue/{provider}.yaml"
    try:
        text = resources.files("nhigraph.ingest").joinpath(f"catalogue/{provider}.yaml").read_text()
    except FileNotFoundError:
        raise ConfigError(f"no scope catalogue for provider '{provider}'") from None
    try:
        catalogue = Catalogue.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = "/".join(str(p) for p in first["loc"])
        raise ConfigError(f"{file}: /{loc}: {first['msg']}") from None
    _check(catalogue, file)
    if catalogue.provider != provider:
        raise ConfigError(f"{file}: provider is '{catalogue.provider}', expected '{provider}'")
    return catalogue
