"""Canonical records of one tenant as a SaaS ingestor builds them, ready for the store.

``TenantRecords`` gives a transform the few moves it needs: the tenant with its
standard data stores (from the scope catalogue), scopes with their ``CAN_ACCESS``
edges, nodes validated by ``graph.model`` (a bad field becomes an ``InputError``
at the raw record it came from), and relationships. ``batch()`` runs every string
through redaction, so no secret-shaped value reaches a store, whatever a source
put in a name or a description. It never talks to a store.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError

from nhigraph.graph.model import (
    Access,
    DataStore,
    Label,
    NodeModel,
    RelType,
    Scope,
    Tenant,
)
from nhigraph.graph.store import Batch, NodeRow, RelRow
from nhigraph.ingest.catalogue import TENANT, load_catalogue
from nhigraph.ingest.raw import Raw
from nhigraph.ingest.redaction import Fingerprinter

#: Nodes many records name (not derived from any one of them): they depend on every
#: record that names them rather than joining those records into one unit.
_SHARED = frozenset({Label.TENANT, Label.SCOPE, Label.DATA_STORE, Label.PRINCIPAL})


def slug(text: str) -> str:
    """An id part: the source's own id with runs of white space turned into '-'.

    Case is kept: some sources' ids differ only in case (Salesforce 15-character ids).
    """
    return re.sub(r"\s+", "-", text.strip()) or "unnamed"


class TenantRecords:
    """Nodes and relationships one source reports for one tenant (one cleanup scope)."""

    def __init__(
        self,
        source: str,
        provider: str,
        tenant_key: str,
        tenant_name: str,
        fingerprinter: Fingerprinter,
        where: Raw | None = None,
    ) -> None:
        self.source = source
        self.provider = provider
        self.catalogue = load_catalogue(provider)
        self.fingerprinter = fingerprinter
        self.tenant_id = f"{provider}:{slug(tenant_key)}"
        self.nodes: dict[str, NodeRow] = {}
        self.rels: dict[tuple[str, str, str], RelRow] = {}
        self.unclassified: set[str] = set()
        self.store_ids: dict[str, str] = {}
        # The page chains (Raw.origin) each node and relationship was read from: cleanup
        # removes a record only when every one of them was read whole.
        self.origins: dict[str, set[str]] = {}
        self.rel_origins: dict[tuple[str, str, str], set[str]] = {}
        self.warnings: list[str] = []
        self._context: list[str] = []  # origins of the records being read (``within``)
        self.add(Tenant, where, id=self.tenant_id, provider=provider, name=tenant_name)
        for store in self.catalogue.data_stores:
            store_id = f"{self.tenant_id}:store:{store.key}"
            self.add(
                DataStore,
                None,
                id=store_id,
                name=store.name,
                kind=store.kind,
                classification=store.classification,
            )
            self.rel(RelType.CONTAINS, self.tenant_id, store_id)
            self.store_ids[store.key] = store_id

    def id(self, *parts: str) -> str:
        """A node id in this tenant: '<tenant id>:<part>:<part>...', parts slugged."""
        return ":".join([self.tenant_id, *(slug(p) for p in parts)])

    def add(self, model: type[NodeModel], where: Raw | None, **fields: Any) -> str:
        """Validate and keep one node; returns its id.

        The same id twice must carry the same properties (a source listing one thing on
        two pages is fine; two different things under one id is an input error).
        """
        try:
            node = model.model_validate({k: v for k, v in fields.items() if v is not None})
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or None
            message = first["msg"]
            if where is None:
                problem = f"built an invalid {model.label}: {field}: {message}"
                raise AssertionError(problem) from None
            raise where.error(field, message) from None
        props = node.model_dump(mode="json", exclude={"id"}, exclude_none=True)
        row = NodeRow(str(model.label), node.id, props)
        old = self.nodes.get(node.id)
        if old is not None and old != row:
            problem = f"{model.label} {node.id} is reported twice with different properties"
            if where is None:
                raise AssertionError(problem)
            raise where.error(None, problem)
        self.nodes[node.id] = row
        chains = self.origins.setdefault(node.id, set())
        if where is not None and where.origin:
            chains.add(where.origin)
        chains.update(self._context)
        return node.id

    @contextmanager
    def within(self, where: Raw) -> Iterator[None]:
        """Records added meanwhile are derived from ``where`` too (a service principal's
        scopes): they depend on its pages as well as on their own."""
        self._context.append(where.origin)
        try:
            yield
        finally:
            self._context.pop()

    def rel(
        self,
        rel_type: RelType,
        start: str,
        end: str,
        access: Access | str | None = None,
        where: Raw | None = None,
    ) -> None:
        """Keep one relationship; it depends on the pages of both its ends (and ``where``)."""
        props: Mapping[str, Any] = {} if access is None else {"access": str(access)}
        key = (str(rel_type), start, end)
        if (where is not None and where.origin) or self._context:
            chains = self.rel_origins.setdefault(key, set())
            chains.update(self._context)
            if where is not None and where.origin:
                chains.add(where.origin)
        old = self.rels.get(key)
        if old is not None and old.props != props:
            # Two routes to one edge: keep the highest access.
            rank = {"read": 1, "write": 2, "admin": 3}
            if rank[str(old.props.get("access", "read"))] >= rank[str(props.get("access"))]:
                return
        self.rels[key] = RelRow(str(rel_type), start, end, props)

    def store(self, key: str) -> str:
        """The id of the standard data store ``key`` of this tenant."""
        return self.store_ids[key]

    def scope(self, name: str, where: Raw | None = None, sensitive: bool = False) -> str:
        """The tenant's scope ``name`` with its CAN_ACCESS edges from the catalogue.

        ``sensitive``: the source itself calls the scope sensitive (Slack's
        ``is_sensitive``). It is ORed with the catalogue's ``sensitive``: a source can
        raise a scope's sensitivity, never lower it.
        """
        scope_id = f"{self.tenant_id}/{name}"
        if scope_id in self.nodes:
            row = self.nodes[scope_id]
            if sensitive and not row.props.get("sensitive"):
                self.nodes[scope_id] = NodeRow(row.label, row.id, {**row.props, "sensitive": True})
            return scope_id
        entry = self.catalogue.lookup(name)
        if entry is None:
            self.unclassified.add(name)
        self.add(
            Scope,
            where,
            id=scope_id,
            name=name,
            provider=self.provider,
            access=Access.WRITE if entry is None else entry.access,
            sensitive=(entry is not None and entry.sensitive) or sensitive,
            unclassified=True if entry is None else None,
        )
        reach = [(TENANT, Access.WRITE)] if entry is None else self.catalogue.reach(entry)
        for key, access in reach:
            target = self.tenant_id if key == TENANT else self.store_ids[key]
            self.rel(RelType.CAN_ACCESS, scope_id, target, access)
        return scope_id

    def warn(self, where: Raw, message: str) -> None:
        """Say that a record was kept without something the pages did not hold."""
        self.warnings.append(f"{where.file}: {where.where}: {message}")

    def fingerprint(self, secret: str) -> str:
        return self.fingerprinter.fingerprint(secret)

    def batch(self) -> Batch:
        """Everything, redacted: every string and id passes through the fingerprinter."""
        redact = self.fingerprinter.redact
        origins = self._dependencies()
        none: set[str] = set()

        def chains(found: set[str]) -> tuple[str, ...]:
            return tuple(sorted(redact(c) for c in found))

        nodes = [
            NodeRow(
                n.label,
                redact(n.id),
                {k: _redacted(v, redact) for k, v in n.props.items()},
                chains(origins.get(n.id, none)),
            )
            for n in self.nodes.values()
        ]
        rels = [
            RelRow(
                r.type,
                redact(r.start),
                redact(r.end),
                r.props,
                chains(
                    origins.get(r.start, none)
                    | origins.get(r.end, none)
                    | self.rel_origins.get(key, none)
                ),
            )
            for key, r in self.rels.items()
        ]
        return Batch(self.source, redact(self.tenant_id), nodes, rels)

    def _dependencies(self) -> dict[str, set[str]]:
        """The page chains each node depends on, for cleanup.

        A record is reported only while everything it was derived from is on the pages:
        a grant's credential and scopes only while its app is. So an integration and the
        credentials it holds share their chains (one unit, joined by HAS_CREDENTIAL),
        and a shared node (tenant, scope, data store, principal) depends on its own
        chains and on every unit that names it. A relationship depends on both ends.
        """
        own = self.origins
        label = {node_id: row.label for node_id, row in self.nodes.items()}
        unit: dict[str, str] = {n: n for n, lbl in label.items() if lbl not in _SHARED}

        def find(node_id: str) -> str:
            while unit[node_id] != node_id:
                unit[node_id] = unit[unit[node_id]]
                node_id = unit[node_id]
            return node_id

        for _, start, end in self.rels:
            if start in unit and end in unit:
                unit[find(start)] = find(end)
        of_unit: dict[str, set[str]] = {}
        for node_id in unit:
            of_unit.setdefault(find(node_id), set()).update(own.get(node_id, ()))
        for (_, start, _end), chains in self.rel_origins.items():
            if start in unit:
                of_unit[find(start)].update(chains)
        found = {n: of_unit[find(n)] for n in unit}
        for node_id in label:
            if node_id not in unit:
                found[node_id] = set(own.get(node_id, ()))
        for _, start, end in self.rels:
            if start in unit and end not in unit and end in found:
                found[end] |= found[start]
            elif end in unit and start not in unit and start in found:
                found[start] |= found[end]
        return found

    def has(self, node_id: str, label: Label | None = None) -> bool:
        row = self.nodes.get(node_id)
        return row is not None and (label is None or row.label == label)


def _redacted(value: Any, redact: Any) -> Any:
    if isinstance(value, str):
        if value.startswith("hmac-sha256:"):
            return value  # a fingerprint is already a keyed hash
        return redact(value)
    if isinstance(value, list):
        return [redact(v) if isinstance(v, str) else v for v in value]
    return value
