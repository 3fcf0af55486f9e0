"""Finding nodes by what people call them: names, ids, client ids, key ids and key tails.

``NameIndex`` is built once from a store through the store contract (``nodes_of`` per
label and one ``neighbours`` read for who holds each credential), so the CLI, the API
and a web explorer answer alike on both stores. ``search`` lists every node a text
points at with its kind and a one-line summary; ``resolve`` turns what a person typed
for a start or subject (a unique display name or an id) into an id, or says which
candidates an ambiguous name has or which name is closest to an unknown one. It
reads no settings and writes nothing.

Cost: building is O(V) over the searchable labels (one scan each); an exact id, name
or handle is a dict lookup; a substring search is one pass over the index's texts,
O(V); a suggestion for an unknown name compares against the names of the asked
labels (``difflib``), only on that error path.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nhigraph.errors import NhigraphError
from nhigraph.graph.model import Label, RelType, effective
from nhigraph.graph.store import Store

# What a person may be looking for; scopes and reviews are reached through these.
SEARCHED = (
    Label.INTEGRATION,
    Label.VENDOR,
    Label.TEAM,
    Label.CREDENTIAL,
    Label.TENANT,
    Label.DATA_STORE,
    Label.PRINCIPAL,
)
KIND = {
    Label.INTEGRATION: "integration",
    Label.VENDOR: "vendor",
    Label.TEAM: "team",
    Label.CREDENTIAL: "credential",
    Label.TENANT: "tenant",
    Label.DATA_STORE: "data store",
    Label.PRINCIPAL: "principal",
}
_HANDLE_PART = re.compile(r"[^\s,;()\[\]…]+")
_MIN_PART = 4  # shorter parts of a handle ("secret", "…") are not worth indexing


class NameNotResolved(NhigraphError):
    """A name that is unknown or stands for several nodes."""

    code = "UNKNOWN_NAME"


class AmbiguousName(NameNotResolved):
    code = "AMBIGUOUS_NAME"

    def __init__(self, what: str, text: str, candidates: Sequence[Hit]) -> None:
        self.candidates = tuple(candidates)
        shown = "; ".join(f"{h.name} ({h.id})" for h in candidates[:8])
        more = f"; and {len(candidates) - 8} more" if len(candidates) > 8 else ""
        super().__init__(f"{what} {text!r} is ambiguous: {shown}{more}")


class UnknownName(NameNotResolved):
    def __init__(self, what: str, text: str, closest: Sequence[Hit]) -> None:
        self.closest = tuple(closest)
        hint = ""
        if closest:
            hint = "; did you mean " + " or ".join(f"{h.name!r} ({h.id})" for h in closest) + "?"
        super().__init__(f"no {what} is called {text!r}{hint} (nhigraph search lists names)")


@dataclass(frozen=True, slots=True)
class Hit:
    """A node a text points at: its id, label, display name, summary and what matched."""

    id: str
    label: str
    name: str
    summary: str
    matched: str  # "id" | "name" | "client id" | "identifier" | "alias" (+ " (part)")

    @property
    def kind(self) -> str:
        return KIND.get(Label(self.label), self.label)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "summary": self.summary,
            "matched": self.matched,
        }


@dataclass(slots=True)
class _Entry:
    id: str
    label: str
    name: str
    summary: str
    # (casefolded text, what it is) for everything a person may type
    texts: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class NameIndex:
    """Every searchable node by id and by each casefolded name, id or handle."""

    entries: dict[str, _Entry] = field(default_factory=dict)
    exact: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # text -> (id, how)

    @classmethod
    def build(cls, store: Store) -> NameIndex:
        index = cls()
        holders = _credential_holders(store)
        for label in SEARCHED:
            for node in store.nodes_of(str(label)):
                props = effective(node.props)
                index._add(label, node.id, props, holders)
        return index

    def _add(
        self, label: Label, node_id: str, props: dict[str, Any], holders: dict[str, list[str]]
    ) -> None:
        name = str(props.get("name") or "")
        texts = [(node_id.casefold(), "id")]
        if label == Label.CREDENTIAL:
            held_by = [self.entries[i].name for i in holders.get(node_id, []) if i in self.entries]
            kind = str(props.get("kind", "credential")).replace("_", " ")
            name = f"{', '.join(held_by) or node_id.rsplit(':', 1)[-1]} {kind}"
            handle = props.get("identifier")
            if isinstance(handle, str):
                texts.append((handle.casefold(), "identifier"))
                texts += [
                    (part.casefold(), "identifier (part)")
                    for part in _HANDLE_PART.findall(handle)
                    if len(part) >= _MIN_PART and part != handle
                ]
        if name and label != Label.CREDENTIAL:
            texts.append((name.casefold(), "name"))
        client_id = props.get("client_id")
        if isinstance(client_id, str):
            texts.append((client_id.casefold(), "client id"))
        for alias in props.get("aliases") or ():
            texts.append((str(alias).casefold(), "alias"))
        entry = _Entry(node_id, str(label), name or node_id, _summary(label, props), texts)
        self.entries[node_id] = entry
        for text, how in texts:
            self.exact.setdefault(text, []).append((node_id, how))

    def _hit(self, node_id: str, how: str) -> Hit:
        e = self.entries[node_id]
        return Hit(e.id, e.label, e.name, e.summary, how)

    def search(
        self, text: str, labels: Iterable[Label | str] | None = None, limit: int | None = 50
    ) -> list[Hit]:
        """Nodes whose id, name, client id, alias or credential handle equals or contains
        ``text`` (case-insensitive): exact matches first, then by kind and name."""
        wanted = _labels(labels)
        query = text.strip().casefold()
        if not query:
            return []
        found: dict[str, tuple[int, str]] = {}
        for node_id, how in self.exact.get(query, ()):
            if self.entries[node_id].label in wanted:
                found.setdefault(node_id, (0, how))
        for entry in self.entries.values():
            if entry.id in found or entry.label not in wanted:
                continue
            for candidate, how in entry.texts:
                if query in candidate:
                    rank = 1 if candidate.startswith(query) or candidate.endswith(query) else 2
                    found[entry.id] = (rank, how)
                    break
        order = {str(label): n for n, label in enumerate(SEARCHED)}
        ranked = sorted(
            found.items(),
            key=lambda item: (
                item[1][0],
                order.get(self.entries[item[0]].label, 99),
                self.entries[item[0]].name.casefold(),
                item[0],
            ),
        )
        hits = [self._hit(node_id, how) for node_id, (_, how) in ranked]
        return hits if limit is None else hits[:limit]

    def resolve(self, text: str, labels: Iterable[Label | str], what: str) -> str:
        """The id ``text`` names among ``labels``: an id, or an exact name, client id or
        identifier that only one node has, or else a name only one node's name contains.
        Raises ``AmbiguousName`` (with the candidates) or ``UnknownName`` (with the
        closest names)."""
        wanted = _labels(labels)
        query = text.strip()
        if query in self.entries and self.entries[query].label in wanted:
            return query
        folded = query.casefold()
        exact = sorted(
            {i for i, how in self.exact.get(folded, ()) if self.entries[i].label in wanted}
        )
        if len(exact) == 1:
            return exact[0]
        if exact:
            raise AmbiguousName(what, text, [self._hit(i, "name") for i in exact])
        contained = [
            e.id
            for e in self.entries.values()
            # a credential's name is made up from its holders': named by id or handle only
            if e.label in wanted and e.label != Label.CREDENTIAL and folded in e.name.casefold()
        ]
        if len(contained) == 1:
            return contained[0]
        if contained:
            hits = sorted((self._hit(i, "name") for i in contained), key=lambda h: (h.name, h.id))
            raise AmbiguousName(what, text, hits)
        raise UnknownName(what, text, self._closest(folded, wanted))

    def resolve_first(self, text: str, labels: Sequence[Label | str], what: str) -> str:
        """``resolve`` over each of ``labels`` in turn: the first label with a match wins
        (a vendor before its integrations of the same name); unknown in all, the closest."""
        for label in labels:
            try:
                return self.resolve(text, [label], what)
            except UnknownName:
                continue
        return self.resolve(text, labels, what)

    def _closest(self, folded: str, wanted: set[str]) -> list[Hit]:
        names: dict[str, str] = {}
        for e in self.entries.values():
            if e.label in wanted:
                name = e.name.casefold()
                names.setdefault(name, e.id)
                names.setdefault(e.id.casefold(), e.id)
                # a misspelt start of a long name ('syncbrige' for 'SyncBridge CRM ...')
                names.setdefault(name[: len(folded) + 1], e.id)
        close = difflib.get_close_matches(folded, list(names), n=3, cutoff=0.6)
        ids = list(dict.fromkeys(names[c] for c in close))
        return [self._hit(i, "name") for i in ids]

    def kind_of(self, node_id: str) -> str:
        """The kind of ``node_id`` in words ('integration', 'data store', ...)."""
        entry = self.entries.get(node_id)
        return "" if entry is None else KIND.get(Label(entry.label), entry.label)

    def name_of(self, node_id: str) -> str:
        """The display name of ``node_id`` (its id when it has none or is not indexed)."""
        entry = self.entries.get(node_id)
        return node_id if entry is None else entry.name


def _labels(labels: Iterable[Label | str] | None) -> set[str]:
    return {str(label) for label in (SEARCHED if labels is None else labels)}


def _credential_holders(store: Store) -> dict[str, list[str]]:
    """Credential id -> the integrations that hold it (indexed first, so names are known)."""
    integrations = [n.id for n in store.nodes_of(str(Label.INTEGRATION))]
    holders: dict[str, list[str]] = {}
    for integration, joined in store.neighbours(
        str(RelType.HAS_CREDENTIAL), "out", integrations
    ).items():
        for credential, _props in joined:
            holders.setdefault(credential, []).append(integration)
    return holders


def _summary(label: Label, props: dict[str, Any]) -> str:
    def get(key: str) -> str:
        value = props.get(key)
        return "" if value is None else str(value).replace("_", " ")

    if label == Label.INTEGRATION:
        parts = [get("kind"), f"in {get('provider')}" if props.get("provider") else ""]
        return " ".join(p for p in parts if p) + f", {get('status') or 'enabled'}"
    if label == Label.VENDOR:
        return f"vendor, {get('status') or 'active'}"
    if label == Label.TEAM:
        return f"team, {get('status') or 'active'}"
    if label == Label.CREDENTIAL:
        handle = get("identifier")
        return f"{get('kind')}, {get('status') or 'active'}" + (f", {handle}" if handle else "")
    if label == Label.TENANT:
        return f"{get('provider')} tenant".strip()
    if label == Label.DATA_STORE:
        return f"{get('classification') or 'unclassified'} data store"
    if label == Label.PRINCIPAL:
        return get("kind") or "principal"
    return ""
