"""What readers say about ingest runs that have not completed.

A run the store records pending, with no later complete run of its (source,
tenant), may have left that scope half written (``Store.incomplete_runs``): every
reader says so, the CLI in a warning line, the API in each response's
``extensions`` and in ``/readyz``. ``IncompleteRuns`` keeps the check to one read of
the store's generation while nothing was written. Nothing here writes.
"""

from __future__ import annotations

import threading
from typing import Any

from nhigraph.graph.store import RunRecord, Store

INCOMPLETE_INGEST = "INCOMPLETE_INGEST"


def describe(run: RunRecord) -> str:
    """One line for people: which run, of what, and what to do."""
    return (
        f"ingest run {run.id} of {run.source} {run.tenant} (started {run.started}) has not "
        "completed (interrupted, or still writing): its records may be half written until "
        f"{run.source} {run.tenant} is ingested again"
    )


def warnings(runs: list[RunRecord]) -> list[dict[str, Any]]:
    """The API's warnings (``extensions.warnings``) for ``runs``."""
    return [{"code": INCOMPLETE_INGEST, "message": describe(r), "run": r.to_dict()} for r in runs]


class IncompleteRuns:
    """The store's incomplete runs, read again only when its generation moved.

    Cost per call: one read of the generation; the runs themselves are read after a
    write. Safe to share between threads.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._runs: list[RunRecord] = []

    def current(self) -> list[RunRecord]:
        generation = self._store.generation()
        with self._lock:
            if generation == self._generation:
                return list(self._runs)
        runs = self._store.incomplete_runs()  # at this generation or a later one
        with self._lock:
            self._generation, self._runs = generation, runs
        return list(runs)
