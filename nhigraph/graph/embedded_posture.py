"""The embedded store's derived tables: the stored posture, in the same SQLite file.

Tables are prefixed ``posture_`` and never touched by ingest or cleanup. Rows carry
the fields readers filter and order by, with indexes for each order, and a JSON body
the store never looks into. Every function takes a connection the caller has locked
(and, to write, opened a write transaction on).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from nhigraph.graph.store import FindingQuery, IntegrationRow, PostureRows, SharedRow, StoredFinding

SCHEMA = """
CREATE TABLE IF NOT EXISTS posture_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS posture_finding (
    id TEXT PRIMARY KEY,
    rule TEXT NOT NULL,
    severity_rank INTEGER NOT NULL,
    subject TEXT NOT NULL,
    integration TEXT,
    open INTEGER NOT NULL,
    build TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    resolved_at TEXT,
    body TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS posture_finding_page
    ON posture_finding (open, severity_rank, rule, subject, coalesce(integration, ''), id);
CREATE INDEX IF NOT EXISTS posture_finding_integration ON posture_finding (integration);
CREATE TABLE IF NOT EXISTS posture_integration (
    id TEXT PRIMARY KEY,
    risk REAL NOT NULL,
    tier TEXT NOT NULL,
    blast_score REAL NOT NULL,
    due TEXT NOT NULL,
    body TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS posture_by_risk ON posture_integration (risk DESC, id);
CREATE INDEX IF NOT EXISTS posture_by_due
    ON posture_integration (due, risk DESC, blast_score DESC, id);
CREATE TABLE IF NOT EXISTS posture_reach (
    integration TEXT NOT NULL,
    store TEXT NOT NULL,
    access TEXT NOT NULL,
    depth INTEGER NOT NULL,
    PRIMARY KEY (integration, store)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS posture_shared (
    id TEXT PRIMARY KEY,
    excess INTEGER NOT NULL,
    body TEXT NOT NULL
) WITHOUT ROWID;
"""


def create(db: sqlite3.Connection) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


def _exists(db: sqlite3.Connection) -> bool:
    found = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'posture_meta'"
    ).fetchone()
    return found is not None


def save(db: sqlite3.Connection, rows: PostureRows, now: str) -> None:
    """Replace the posture (inside the caller's write transaction)."""
    create(db)
    build = rows.meta.get("as_of", now) + "/" + now
    db.execute("DELETE FROM posture_integration")
    db.execute("DELETE FROM posture_reach")
    db.execute("DELETE FROM posture_shared")
    db.execute("DELETE FROM posture_meta")
    db.executemany(
        "INSERT INTO posture_integration VALUES (?, ?, ?, ?, ?, ?)",
        sorted((r.id, r.risk, r.tier, r.blast_score, r.due, r.body) for r in rows.integrations),
    )
    db.executemany("INSERT INTO posture_reach VALUES (?, ?, ?, ?)", sorted(rows.reach))
    db.executemany(
        "INSERT INTO posture_shared VALUES (?, ?, ?)",
        sorted((r.id, r.excess, r.body) for r in rows.shared),
    )
    db.executemany(
        """
        INSERT INTO posture_finding
            (id, rule, severity_rank, subject, integration, open, build, first_seen,
             last_seen, resolved_at, body)
        VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, NULL, ?)
        ON CONFLICT (id) DO UPDATE SET
            rule = excluded.rule, severity_rank = excluded.severity_rank,
            subject = excluded.subject, integration = excluded.integration, open = 1,
            build = excluded.build, last_seen = excluded.last_seen, resolved_at = NULL,
            body = excluded.body
        """,
        sorted(
            (f.id, f.rule, f.severity_rank, f.subject, f.integration, build, now, now, f.body)
            for f in rows.findings
        ),
    )
    db.execute(
        "UPDATE posture_finding SET open = 0, resolved_at = ? WHERE open = 1 AND build <> ?",
        (now, build),
    )
    db.executemany("INSERT INTO posture_meta VALUES (?, ?)", sorted(rows.meta.items()))


def meta(db: sqlite3.Connection) -> dict[str, str] | None:
    if not _exists(db):
        return None
    found = dict(db.execute("SELECT key, value FROM posture_meta").fetchall())
    return found or None


def _finding_where(query: FindingQuery) -> tuple[str, list[Any]]:
    where = ["open = ?"]
    params: list[Any] = [0 if query.resolved else 1]
    for column, values in (
        ("severity_rank", query.severity_ranks),
        ("rule", query.rules),
        ("integration", query.integrations),
    ):
        if values:
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    return " AND ".join(where), params


def findings(db: sqlite3.Connection, query: FindingQuery) -> list[StoredFinding]:
    if not _exists(db):
        return []
    where, params = _finding_where(query)
    if query.after is not None:
        where += (
            " AND (severity_rank, rule, subject, coalesce(integration, ''), id) > (?, ?, ?, ?, ?)"
        )
        params.extend(query.after)
    rows = db.execute(
        "SELECT id, body, first_seen, last_seen, resolved_at FROM posture_finding "
        f"WHERE {where} "
        "ORDER BY open, severity_rank, rule, subject, coalesce(integration, ''), id "
        "LIMIT ? OFFSET ?",
        [*params, query.first, query.offset],
    ).fetchall()
    return [StoredFinding(*row) for row in rows]


def findings_count(db: sqlite3.Connection, query: FindingQuery) -> int:
    if not _exists(db):
        return 0
    where, params = _finding_where(query)
    (total,) = db.execute(f"SELECT count(*) FROM posture_finding WHERE {where}", params).fetchone()
    return int(total)


#: Whole days from ``due`` to ``now`` (floor, as ``posture.reviews`` counts them): integer
#: seconds, floor-divided by a day also when negative (due in the future).
_OVERDUE = (
    "((CAST(strftime('%s', :now) AS INTEGER) - CAST(strftime('%s', due) AS INTEGER)) - "
    "(((CAST(strftime('%s', :now) AS INTEGER) - CAST(strftime('%s', due) AS INTEGER)) "
    "% 86400) + 86400) % 86400) / 86400"
)
_PAGE_ORDERS = {
    "risk": "risk DESC, id",
    "queue": "overdue DESC, risk DESC, blast_score DESC, id",
}


def integration_page(
    db: sqlite3.Connection, order: str, first: int, offset: int, ids: tuple[str, ...], now: str
) -> list[tuple[IntegrationRow, int]]:
    if not _exists(db):
        return []
    params: dict[str, Any] = {"now": now, "first": first, "offset": offset}
    where = ""
    if ids:
        names = [f":id{i}" for i in range(len(ids))]
        params.update({f"id{i}": v for i, v in enumerate(ids)})
        where = f"WHERE id IN ({', '.join(names)})"
    rows = db.execute(
        f"SELECT id, risk, tier, blast_score, due, body, {_OVERDUE} AS overdue "
        f"FROM posture_integration {where} ORDER BY {_PAGE_ORDERS[order]} "
        "LIMIT :first OFFSET :offset",
        params,
    ).fetchall()
    return [(IntegrationRow(*row[:6]), int(row[6])) for row in rows]


def integration_count(db: sqlite3.Connection, ids: tuple[str, ...]) -> int:
    if not _exists(db):
        return 0
    if not ids:
        (total,) = db.execute("SELECT count(*) FROM posture_integration").fetchone()
    else:
        marks = ",".join("?" * len(ids))
        (total,) = db.execute(
            f"SELECT count(*) FROM posture_integration WHERE id IN ({marks})", ids
        ).fetchone()
    return int(total)


def finding_counts(db: sqlite3.Connection) -> dict[int, int]:
    if not _exists(db):
        return {}
    rows = db.execute(
        "SELECT severity_rank, count(*) FROM posture_finding WHERE open = 1 GROUP BY severity_rank"
    ).fetchall()
    return {int(rank): int(count) for rank, count in rows}


_ORDERS = {
    # order: (ORDER BY, the keyset comparison after the previous page's last row)
    "risk": ("risk DESC, id", "(-risk, id) > (?, ?)"),
    "due": (
        "due, risk DESC, blast_score DESC, id",
        "(due, -risk, -blast_score, id) > (?, ?, ?, ?)",
    ),
}


def integrations(
    db: sqlite3.Connection, order: str, first: int, after: tuple[Any, ...] | None
) -> list[tuple[IntegrationRow, tuple[Any, ...]]]:
    if not _exists(db):
        return []
    order_by, keyset = _ORDERS[order]
    where, params = "", []
    if after is not None:
        where, params = f"WHERE {keyset}", list(after)
    rows = db.execute(
        f"SELECT id, risk, tier, blast_score, due, body FROM posture_integration {where} "
        f"ORDER BY {order_by} LIMIT ?",
        [*params, first],
    ).fetchall()
    out = []
    for row in rows:
        record = IntegrationRow(*row)
        cursor: tuple[Any, ...] = (
            (-record.risk, record.id)
            if order == "risk"
            else (record.due, -record.risk, -record.blast_score, record.id)
        )
        out.append((record, cursor))
    return out


def integration(db: sqlite3.Connection, integration_id: str) -> IntegrationRow | None:
    if not _exists(db):
        return None
    row = db.execute(
        "SELECT id, risk, tier, blast_score, due, body FROM posture_integration WHERE id = ?",
        (integration_id,),
    ).fetchone()
    return None if row is None else IntegrationRow(*row)


def reach(db: sqlite3.Connection, integration_id: str) -> list[tuple[str, str, int]]:
    if not _exists(db):
        return []
    rows = db.execute(
        "SELECT store, access, depth FROM posture_reach WHERE integration = ? ORDER BY store",
        (integration_id,),
    ).fetchall()
    return [(str(s), str(a), int(d)) for s, a, d in rows]


def shared(db: sqlite3.Connection, first: int, after: str | None) -> list[SharedRow]:
    if not _exists(db):
        return []
    rows = db.execute(
        "SELECT id, excess, body FROM posture_shared WHERE id > ? ORDER BY id LIMIT ?",
        (after or "", first),
    ).fetchall()
    return [SharedRow(*row) for row in rows]
