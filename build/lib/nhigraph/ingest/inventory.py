"""The hand-written inventory: teams, vendors, tenants, data stores, integrations and credentials.

Two forms, both documented in docs/inventory-format.md: a YAML or JSON document
(``format: nhigraph-inventory/v1``) that can describe the whole graph, and a CSV for
the spreadsheet case (one integration a row, with owner team, vendor and purpose).
``transform`` is pure: text in, one ``Batch`` out, or an ``InputError`` naming the
file, the record (JSON pointer or CSV line, with the record's id) and the field. It
never echoes the rejected value of a field, since a value in the wrong place may be
a secret, and it refuses secret-shaped strings in any field.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from nhigraph.errors import InputError
from nhigraph.graph.model import (
    DATETIME_FIELDS,
    Access,
    Classification,
    Credential,
    DataStore,
    Integration,
    IntegrationKind,
    Label,
    Lifecycle,
    NodeId,
    NodeModel,
    Principal,
    RelType,
    Scope,
    SourceName,
    Team,
    Tenant,
    UtcDatetime,
    Vendor,
    format_utc,
)
from nhigraph.graph.store import Batch, IntegrationRef, NodeRow, RelRow
from nhigraph.ingest.redaction import secret_kind

SOURCE = "inventory"
FORMAT = "nhigraph-inventory/v1"
CSV_REQUIRED = ("integration", "owner_team", "vendor", "purpose")
CSV_OPTIONAL = ("name", "kind", "users")

# --------------------------------------------------------------------------- document shape


def _target(value: Any) -> Any:
    return {"target": value} if isinstance(value, str) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


class CanAccessIn(_Strict):
    target: NodeId = Field(description="a data store id, or a tenant id")
    access: Access | None = None


class ScopeIn(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=512, pattern=r"^\S+$")]
    access: Access
    sensitive: bool = False
    provider: SourceName | None = Field(default=None, description="defaults to the tenant's")
    can_access: list[Annotated[CanAccessIn, BeforeValidator(_target)]] = []


class DataStoreIn(DataStore):
    stores_credentials: list[NodeId] = []


class TenantIn(Tenant):
    data_stores: list[DataStoreIn] = []
    principals: list[Principal] = []
    scopes: list[ScopeIn] = []


class CredentialIn(Credential):
    grants: list[NodeId] = []
    acts_as: NodeId | None = None

    @field_validator("identifier")
    @classmethod
    def _public_handle(cls, value: str | None) -> str | None:
        kind = None if value is None else secret_kind(value)
        if kind is not None:
            raise ValueError(
                f"looks like {kind}; nhigraph never stores secret values, give only a public "
                "handle such as its key id or last eight characters"
            )
        return value


class IntegrationIn(Integration):
    owner: NodeId | None = None
    users: list[NodeId] = []
    vendor: NodeId | None = None
    approved_scopes: list[NodeId] = []
    credentials: list[CredentialIn] = []


class MatchIn(_Strict):
    """Which ingested integrations an enrichment is about: by id, or by provider plus
    client id or name (every integration that matches, in every tenant)."""

    id: NodeId | None = None
    provider: SourceName | None = None
    client_id: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    name: Annotated[str, Field(min_length=1, max_length=2000)] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> MatchIn:
        by_id = self.id is not None
        by_provider = self.provider is not None and (self.client_id or self.name) is not None
        if by_id == by_provider or (by_id and (self.provider or self.client_id or self.name)):
            raise ValueError("give either id, or provider with client_id or name")
        if self.client_id is not None and self.name is not None:
            raise ValueError("give client_id or name, not both")
        return self


class EnrichIn(_Strict):
    """What people know about integrations a SaaS source reports."""

    match: MatchIn
    owner: NodeId | None = None
    users: list[NodeId] = []
    vendor: NodeId | None = None
    purpose: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    lifecycle: Lifecycle | None = None
    review_due: UtcDatetime | None = None
    approved_scopes: list[Annotated[str, Field(min_length=1, max_length=512, pattern=r"^\S+$")]] = (
        Field(default=[], description="scope names, in the tenant of each matched integration")
    )


class ClassifyIn(_Strict):
    """A classification people give a data store a source reports (overrides its default)."""

    data_store: NodeId
    classification: Classification


class InventoryDocument(_Strict):
    format: Literal["nhigraph-inventory/v1"]
    inventory: SourceName = Field(
        description="this inventory's name: what it declares is cleaned up as one scope"
    )
    teams: list[Team] = []
    vendors: list[Vendor] = []
    tenants: list[TenantIn] = []
    data_stores: list[DataStoreIn] = []
    integrations: list[IntegrationIn] = []
    enrich: list[EnrichIn] = []
    classify: list[ClassifyIn] = []


# --------------------------------------------------------------------------- parsing


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StringTimestampLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe YAML that keeps timestamps as text (we parse them) and refuses duplicate keys."""


_StringTimestampLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StringTimestampLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates
)


def _load_document(text: str, file: str) -> Any:
    if file.lower().endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                file, f"line {exc.lineno} column {exc.colno}", None, f"not valid JSON: {exc.msg}"
            ) from None
    try:
        return yaml.load(text, Loader=_StringTimestampLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else "document"
        raise InputError(file, where, None, f"not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise InputError(file, "document", None, f"not valid YAML: {exc}") from None


def _pointer(parts: Iterable[Any]) -> str:
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "/" + "/".join(escaped)


_MESSAGES = {
    "extra_forbidden": "unknown field",
    "missing": "required field is missing",
}


def _error_from_validation(exc: ValidationError, file: str, document: Any) -> InputError:
    error = exc.errors(include_url=False, include_input=False)[0]
    loc = list(error["loc"])
    field = str(loc.pop()) if loc and isinstance(loc[-1], str) else None
    message = _MESSAGES.get(error["type"], error["msg"])
    message = message.removeprefix("Value error, ")
    if error["type"] == "string_pattern_mismatch" and "[a-z][a-z0-9_]*:" in message:
        message = "not a source-qualified id such as 'm365:contoso:sp:4f2c' (no spaces)"
    elif error["type"] == "extra_forbidden" and field and _looks_secret_key(field):
        message = (
            "unknown field; nhigraph never stores secret values: give 'identifier' "
            "(a public handle) or 'fingerprint' instead"
        )
    elif error["type"] == "model_type" and not loc and field is None:
        message = "the document must be a mapping with 'format', 'inventory' and lists"
    return InputError(file, _describe(loc, document), field, message)


def _looks_secret_key(name: str) -> bool:
    return bool(re.search(r"secret|password|token|private|value", name, re.IGNORECASE))


def _describe(loc: list[Any], document: Any) -> str:
    """The JSON pointer of a record, with its id when it has one."""
    pointer = _pointer(loc) if loc else "/"
    node = document
    try:
        for part in loc:
            node = node[part]
    except (KeyError, IndexError, TypeError):
        return pointer
    if isinstance(node, Mapping) and isinstance(node.get("id"), str):
        return f"{pointer} (id {node['id']})"
    return pointer


Known = Callable[[Iterable[str]], Mapping[str, str]]


def transform(text: str, file: str, known: Known | None = None) -> Batch:
    """Parse an inventory document into a batch.

    ``known`` maps ids defined outside this file (in the store, or in files ingested
    together with it) to their labels; a reference must resolve in the file or there.
    """
    return parse(text, file).batch(known)


def transform_csv(text: str, file: str, known: Known | None = None) -> Batch:
    """Parse the spreadsheet form into a batch (see ``transform`` for ``known``)."""
    return parse_csv(text, file).batch(known)


def parse(text: str, file: str) -> ParsedInventory:
    """Validate a YAML or JSON inventory; references are resolved later by ``batch``."""
    document = _load_document(text, file)
    try:
        inventory = InventoryDocument.model_validate(document)
    except ValidationError as exc:
        raise _error_from_validation(exc, file, document) from None
    return _Builder(file).collect(inventory)


def parse_csv(text: str, file: str) -> ParsedInventory:
    """Parse the spreadsheet form: one integration a row, teams and vendors by name."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        raise InputError(file, "line 1 (header)", missing[0], "required column is missing")
    unknown = [c for c in header if c not in CSV_REQUIRED + CSV_OPTIONAL]
    if unknown:
        raise InputError(file, "line 1 (header)", unknown[0], "unknown column")
    reader.fieldnames = header
    teams: dict[str, dict[str, Any]] = {}
    vendors: dict[str, dict[str, Any]] = {}
    integrations: list[dict[str, Any]] = []
    lines: list[int] = []
    for row in reader:
        line = reader.line_num
        if None in row:
            raise InputError(file, f"line {line}", None, "more cells than columns")
        cells = {k: (v or "").strip() for k, v in row.items()}
        if not any(cells.values()):
            continue
        record: dict[str, Any] = {
            "id": cells["integration"],
            "name": cells.get("name") or cells["integration"],
            "kind": cells.get("kind") or "",
        }
        if not record["kind"]:
            raise InputError(
                file,
                f"line {line}",
                "kind",
                "required (one of " + ", ".join(k.value for k in IntegrationKind) + ")",
            )
        if cells["purpose"]:
            record["purpose"] = cells["purpose"]
        if cells["owner_team"]:
            record["owner"] = _named(teams, "team", cells["owner_team"])
        if cells["vendor"]:
            record["vendor"] = _named(vendors, "vendor", cells["vendor"])
        users = [u.strip() for u in (cells.get("users") or "").split(";") if u.strip()]
        record["users"] = [_named(teams, "team", u) for u in users]
        integrations.append(record)
        lines.append(line)
    document = {
        "format": FORMAT,
        "inventory": re.sub(r"[^a-z0-9_]+", "_", Path(file).stem.lower()).strip("_") or "csv",
        "teams": list(teams.values()),
        "vendors": list(vendors.values()),
        "integrations": integrations,
    }
    try:
        inventory = InventoryDocument.model_validate(document)
    except ValidationError as exc:
        error = _error_from_validation(exc, file, document)
        loc = exc.errors()[0]["loc"]
        if len(loc) >= 2 and loc[0] == "integrations" and isinstance(loc[1], int):
            raise InputError(file, f"line {lines[loc[1]]}", error.field, error.message) from None
        raise error from None
    parsed = _Builder(file).collect(inventory)
    # Teams and vendors named in the sheet are created only when nobody else defines them.
    parsed.soft_ids = set(teams) | set(vendors)
    return parsed


def _named(registry: dict[str, dict[str, Any]], kind: str, name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "unnamed"
    node_id = f"{SOURCE}:{kind}:{slug}"
    registry.setdefault(node_id, {"id": node_id, "name": name})
    return node_id


def read_file(path: Path, known: Known | None = None) -> Batch:
    """Read and transform one inventory file (.yaml, .yml, .json or .csv)."""
    return parse_file(path).batch(known)


def parse_file(path: Path) -> ParsedInventory:
    """Read and validate one inventory file (.yaml, .yml, .json or .csv)."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(file, "file", None, "no such file") from None
    except UnicodeDecodeError:
        raise InputError(file, "file", None, "not UTF-8 text") from None
    except OSError as exc:
        raise InputError(file, "file", None, f"cannot be read ({exc.strerror})") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return parse_csv(text, file)
    if suffix in (".yaml", ".yml", ".json"):
        return parse(text, file)
    raise InputError(file, "file", None, "unsupported file type (use .yaml, .yml, .json or .csv)")


# --------------------------------------------------------------------------- records


def _props(model: NodeModel, base: type[NodeModel]) -> dict[str, Any]:
    fields = base.model_fields.keys() - {"id"}
    return model.model_dump(mode="json", include=set(fields), exclude_none=True)


class ParsedInventory:
    """A validated inventory whose outside references are not resolved yet."""

    def __init__(self, builder: _Builder, source: str, name: str) -> None:
        self._builder = builder
        self.file = builder.file
        self.source = source
        self.name = name
        #: ids defined only by being named (CSV teams and vendors): dropped when known elsewhere
        self.soft_ids: set[str] = set()
        #: enrichments that matched nothing yet (filled by ``batch``)
        self.warnings: list[str] = []

    @property
    def enriches(self) -> bool:
        return bool(self._builder.enrich or self._builder.classify)

    @property
    def ids(self) -> dict[str, str]:
        """Every id this inventory defines for certain, with its label."""
        return {k: v for k, v in self._builder.labels.items() if k not in self.soft_ids}

    def pointer_of(self, node_id: str) -> str:
        """Where this inventory defines ``node_id``."""
        return self._builder.where[node_id]

    def batch(
        self,
        known: Known | None = None,
        others: Known | None = None,
        index: Sequence[IntegrationRef] | None = None,
    ) -> Batch:
        """Resolve references (here, or through ``known``) and return the batch.

        ``others`` says which soft ids someone other than this inventory defines (they are
        then referenced, not written); without it, ``known`` is asked.
        """
        b = self._builder
        ask = others or known
        elsewhere = dict(ask(self.soft_ids)) if (ask and self.soft_ids) else {}
        for node_id, label in elsewhere.items():
            if label != b.labels[node_id]:
                raise InputError(
                    self.file, b.where[node_id], "id", f"'{node_id}' is {_a(label)} elsewhere"
                )
        nodes = [n for n in b.nodes if n.id not in elsewhere]
        batch = Batch(self.source, self.name, nodes, [])
        declared_refs = list(b.refs)
        try:
            if b.enrich or b.classify:
                self.warnings = []
                self._enrich(batch, index or [], known)
            batch.rels[:0] = b.resolved_rels(known)
        finally:
            b.refs = declared_refs
        return batch

    def _enrich(self, batch: Batch, index: Sequence[IntegrationRef], known: Known | None) -> None:
        """Turn ``enrich`` and ``classify`` into relationships and patches on what the
        store holds. What matches nothing is a warning, not an error: the source may
        simply not have been ingested yet; ingest it, then the inventory again."""
        b = self._builder
        by_id = {r.id: r for r in index}
        by_client: dict[tuple[str | None, str], list[IntegrationRef]] = {}
        by_name: dict[tuple[str | None, str], list[IntegrationRef]] = {}
        for ref in index:
            if ref.client_id is not None:
                by_client.setdefault((ref.provider, ref.client_id), []).append(ref)
            by_name.setdefault((ref.provider, ref.name.casefold()), []).append(ref)
        enriched_at: dict[str, str] = {}
        wanted_scopes: list[tuple[str, str, str, str]] = []  # (pointer, integration, scope)
        for i, entry in enumerate(b.enrich):
            pointer = f"/enrich/{i}"
            m = entry.match
            if m.id is not None:
                matched = [by_id[m.id]] if m.id in by_id else []
                what = f"id {m.id}"
            elif m.client_id is not None:
                matched = by_client.get((m.provider, m.client_id), [])
                what = f"provider {m.provider} client_id {m.client_id}"
            else:
                assert m.name is not None
                matched = by_name.get((m.provider, m.name.casefold()), [])
                what = f"provider {m.provider} name {m.name!r}"
            if not matched:
                self.warnings.append(f"{self.file}: {pointer}: matched no integration ({what})")
                continue
            for ref in matched:
                if ref.id in b.labels:
                    raise InputError(
                        self.file,
                        pointer,
                        "match",
                        f"{ref.id} is defined in this file; set its fields there",
                    )
                if ref.id in enriched_at:
                    raise InputError(
                        self.file,
                        pointer,
                        "match",
                        f"{ref.id} is also enriched by {enriched_at[ref.id]}",
                    )
                enriched_at[ref.id] = pointer
                fields = {
                    "purpose": entry.purpose,
                    "lifecycle": entry.lifecycle,
                    "review_due": None
                    if entry.review_due is None
                    else format_utc(entry.review_due),
                }
                patch = {k: v for k, v in fields.items() if v is not None}
                if patch:
                    batch.patches.append(NodeRow(str(Label.INTEGRATION), ref.id, patch))
                if entry.owner is not None:
                    b.rel(
                        pointer,
                        "owner",
                        RelType.OWNS,
                        entry.owner,
                        ref.id,
                        Label.TEAM,
                        reference_is_start=True,
                    )
                for k, user in enumerate(_unique(entry.users)):
                    b.rel(
                        f"{pointer}/users/{k}",
                        "users",
                        RelType.USES,
                        user,
                        ref.id,
                        Label.TEAM,
                        reference_is_start=True,
                    )
                if entry.vendor is not None:
                    b.rel(
                        pointer,
                        "vendor",
                        RelType.PROVIDES,
                        entry.vendor,
                        ref.id,
                        Label.VENDOR,
                        reference_is_start=True,
                    )
                tenant = _tenant_of(ref.id)
                for k, scope in enumerate(_unique(entry.approved_scopes)):
                    wanted_scopes.append(
                        (f"{pointer}/approved_scopes/{k}", ref.id, f"{tenant}/{scope}", scope)
                    )
        scope_labels = dict(known(s for _, _, s, _ in wanted_scopes)) if known else {}
        for pointer, integration, scope_id, scope in wanted_scopes:
            if scope_labels.get(scope_id) == str(Label.SCOPE):
                batch.rels.append(RelRow(str(RelType.APPROVED_FOR), integration, scope_id))
            else:
                self.warnings.append(
                    f"{self.file}: {pointer}: {integration} holds no scope '{scope}' in its "
                    "tenant; the approval is not recorded"
                )
        store_labels = dict(known(c.data_store for c in b.classify)) if known else {}
        classified: dict[str, str] = {}
        for i, classify in enumerate(b.classify):
            pointer = f"/classify/{i}"
            if classify.data_store in b.labels:
                raise InputError(
                    self.file,
                    pointer,
                    "data_store",
                    f"{classify.data_store} is defined in this file; set it there",
                )
            if classify.data_store in classified:
                raise InputError(
                    self.file,
                    pointer,
                    "data_store",
                    f"also classified at {classified[classify.data_store]}",
                )
            classified[classify.data_store] = pointer
            label = store_labels.get(classify.data_store)
            if label is None:
                self.warnings.append(
                    f"{self.file}: {pointer}: no data store {classify.data_store} in the store yet"
                )
                continue
            if label != str(Label.DATA_STORE):
                raise InputError(
                    self.file,
                    pointer,
                    "data_store",
                    f"'{classify.data_store}' is {_a(label)}, not a DataStore",
                )
            batch.patches.append(
                NodeRow(
                    str(Label.DATA_STORE),
                    classify.data_store,
                    {"classification": str(classify.classification)},
                )
            )


class _Builder:
    """Turns a validated document into rows, checking ids and references with pointers."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.nodes: list[NodeRow] = []
        self.rels: list[RelRow] = []
        self.where: dict[str, str] = {}  # id -> pointer of its definition
        self.labels: dict[str, str] = {}
        self.refs: list[tuple[str, str, str, Label | tuple[Label, ...], RelRow]] = []
        self.enrich: list[EnrichIn] = []
        self.classify: list[ClassifyIn] = []

    def node(self, pointer: str, label: Label, model: NodeModel, base: type[NodeModel]) -> None:
        props = _props(model, base)
        stamps = DATETIME_FIELDS[str(label)]
        for field, value in (("id", model.id), *props.items()):
            # Every secret shape is 15 characters or more; timestamps are ours.
            if not isinstance(value, str) or len(value) < 15 or field in stamps:
                continue
            kind = secret_kind(value)
            if kind is not None:
                raise InputError(
                    self.file,
                    pointer,
                    field,
                    f"looks like {kind}; nhigraph never stores secret values",
                )
        if model.id in self.where:
            raise InputError(
                self.file,
                f"{pointer} (id {model.id})",
                "id",
                f"duplicate id, first defined at {self.where[model.id]}",
            )
        self.where[model.id] = pointer
        self.labels[model.id] = str(label)
        self.nodes.append(NodeRow(str(label), model.id, props))

    def rel(
        self,
        pointer: str,
        field: str,
        rel_type: RelType,
        start: str,
        end: str,
        target: Label | tuple[Label, ...],
        props: dict[str, Any] | None = None,
        reference_is_start: bool = False,
    ) -> None:
        row = RelRow(str(rel_type), start, end, props or {})
        self.refs.append((pointer, field, start if reference_is_start else end, target, row))

    def collect(self, doc: InventoryDocument) -> ParsedInventory:
        for i, team in enumerate(doc.teams):
            self.node(f"/teams/{i}", Label.TEAM, team, Team)
        for i, vendor in enumerate(doc.vendors):
            self.node(f"/vendors/{i}", Label.VENDOR, vendor, Vendor)
        for i, tenant in enumerate(doc.tenants):
            self._tenant(f"/tenants/{i}", tenant)
        for i, store in enumerate(doc.data_stores):
            self._data_store(f"/data_stores/{i}", store, tenant_id=None)
        for i, integration in enumerate(doc.integrations):
            self._integration(f"/integrations/{i}", integration)
        self.enrich = list(doc.enrich)
        self.classify = list(doc.classify)
        return ParsedInventory(self, SOURCE, doc.inventory)

    def _tenant(self, pointer: str, tenant: TenantIn) -> None:
        self.node(pointer, Label.TENANT, tenant, Tenant)
        for j, store in enumerate(tenant.data_stores):
            self._data_store(f"{pointer}/data_stores/{j}", store, tenant_id=tenant.id)
        for j, principal in enumerate(tenant.principals):
            self.node(f"{pointer}/principals/{j}", Label.PRINCIPAL, principal, Principal)
        for j, scope_in in enumerate(tenant.scopes):
            scope_pointer = f"{pointer}/scopes/{j}"
            scope = Scope(
                id=f"{tenant.id}/{scope_in.name}",
                name=scope_in.name,
                provider=scope_in.provider or tenant.provider,
                access=Access(scope_in.access),
                sensitive=scope_in.sensitive,
            )
            self.node(scope_pointer, Label.SCOPE, scope, Scope)
            for k, edge in enumerate(_unique(scope_in.can_access, key=lambda e: e.target)):
                props = {} if edge.access is None else {"access": str(edge.access)}
                self.rel(
                    f"{scope_pointer}/can_access/{k}",
                    "target",
                    RelType.CAN_ACCESS,
                    scope.id,
                    edge.target,
                    (Label.DATA_STORE, Label.TENANT),
                    props,
                )

    def _data_store(self, pointer: str, store: DataStoreIn, tenant_id: str | None) -> None:
        self.node(pointer, Label.DATA_STORE, store, DataStore)
        if tenant_id is not None:
            self.rels.append(RelRow(str(RelType.CONTAINS), tenant_id, store.id, {}))
        for k, credential_id in enumerate(_unique(store.stores_credentials)):
            self.rel(
                f"{pointer}/stores_credentials/{k}",
                "stores_credentials",
                RelType.STORES,
                store.id,
                credential_id,
                Label.CREDENTIAL,
            )

    def _integration(self, pointer: str, integration: IntegrationIn) -> None:
        self.node(pointer, Label.INTEGRATION, integration, Integration)
        iid = integration.id
        if integration.owner is not None:
            self.rel(pointer, "owner", RelType.OWNS, integration.owner, iid, Label.TEAM,
                     reference_is_start=True)  # fmt: skip
        for team in _unique(integration.users):
            self.rel(pointer, "users", RelType.USES, team, iid, Label.TEAM,
                     reference_is_start=True)  # fmt: skip
        if integration.vendor is not None:
            self.rel(pointer, "vendor", RelType.PROVIDES, integration.vendor, iid, Label.VENDOR,
                     reference_is_start=True)  # fmt: skip
        for scope_id in _unique(integration.approved_scopes):
            self.rel(pointer, "approved_scopes", RelType.APPROVED_FOR, iid, scope_id, Label.SCOPE)
        for j, credential in enumerate(integration.credentials):
            cpointer = f"{pointer}/credentials/{j}"
            self.node(cpointer, Label.CREDENTIAL, credential, Credential)
            self.rels.append(RelRow(str(RelType.HAS_CREDENTIAL), iid, credential.id, {}))
            for scope_id in _unique(credential.grants):
                self.rel(cpointer, "grants", RelType.GRANTS, credential.id, scope_id, Label.SCOPE)
            if credential.acts_as is not None:
                self.rel(cpointer, "acts_as", RelType.ACTS_AS, credential.id,
                         credential.acts_as, Label.PRINCIPAL)  # fmt: skip

    def resolved_rels(self, known_ids: Known | None) -> list[RelRow]:
        rels = list(self.rels)
        outside = {ref for _, _, ref, _, _ in self.refs if ref not in self.labels}
        known = dict(known_ids(outside)) if (known_ids and outside) else {}
        for pointer, field, ref, target, row in self.refs:
            allowed = (target,) if isinstance(target, Label) else target
            label = self.labels.get(ref) or known.get(ref)
            if label is None or label not in {str(a) for a in allowed}:
                names = " or ".join(str(a) for a in allowed)
                found = "" if label is None else f" (it is {_a(label)})"
                defined_here = {at: node_id for node_id, at in self.where.items()}
                record = pointer
                if pointer in defined_here:
                    record = f"{pointer} (id {defined_here[pointer]})"
                raise InputError(
                    self.file,
                    record,
                    field,
                    f"'{ref}' is not a {names} defined in this file or in the store{found}",
                )
            rels.append(row)
        return rels


def _tenant_of(integration_id: str) -> str:
    """The tenant id of an ingested integration: ids are '<provider>:<tenant>:<kind>:<key>'."""
    return ":".join(integration_id.split(":", 2)[:2])


def _a(label: str) -> str:
    return ("an " if label[0] in "AEIOU" else "a ") + label


def _unique(items: Iterable[Any], key: Callable[[Any], Any] = lambda x: x) -> list[Any]:
    seen: set[Any] = set()
    out = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


__all__ = [
    "FORMAT",
    "InventoryDocument",
    "ParsedInventory",
    "parse",
    "parse_csv",
    "parse_file",
    "read_file",
    "secret_kind",
    "transform",
    "transform_csv",
]
