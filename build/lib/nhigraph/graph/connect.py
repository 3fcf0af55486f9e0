"""Opening the store the settings name; the one place that chooses between the two stores."""

from __future__ import annotations

from nhigraph.graph.store import Store
from nhigraph.settings import Settings, StoreKind


def open_store(settings: Settings) -> Store:
    """The embedded store at ``settings.db``, or the Neo4j server the settings name."""
    if settings.store == StoreKind.NEO4J:
        from nhigraph.graph.neo4j_store import Neo4jStore

        return Neo4jStore(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password.get_secret_value(),
            database=settings.neo4j_database,
            batch_rows=settings.neo4j_batch_rows,
            tx_timeout=settings.neo4j_tx_timeout,
        )
    from nhigraph.graph.embedded import EmbeddedStore

    return EmbeddedStore(settings.db)
