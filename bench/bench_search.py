"""Name search on an embedded store: opening it, building the name index once, one search.

.venv/bin/nhigraph generate --integrations 50000 --seed 7 -o /tmp/e.json
.venv/bin/nhigraph --db /tmp/e.db ingest /tmp/e.json
.venv/bin/python bench/bench_search.py /tmp/e.db AKIA ledger zzzz
"""

from __future__ import annotations

import sys
import time

from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.search import NameIndex


def main(db: str, queries: list[str]) -> None:
    started = time.perf_counter()
    store = EmbeddedStore(db)
    opened = time.perf_counter()
    index = NameIndex.build(store)
    built = time.perf_counter()
    print(f"open {opened - started:.2f} s, build {built - opened:.2f} s, "
          f"{len(index.entries)} nodes indexed")  # fmt: skip
    for query in queries:
        before = time.perf_counter()
        hits = index.search(query)
        print(
            f"search {query!r}: {len(hits)} hits in {1000 * (time.perf_counter() - before):.1f} ms"
        )
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
