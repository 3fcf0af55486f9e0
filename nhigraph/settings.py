"""nhigraph's settings: every ``NHIGRAPH_*`` environment variable, read in this one place.

The CLI and the API share this object; nothing else reads the environment.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class StoreKind(StrEnum):
    EMBEDDED = "embedded"
    NEO4J = "neo4j"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NHIGRAPH_", extra="ignore")

    store: StoreKind = Field(default=StoreKind.EMBEDDED, description="embedded or neo4j")
    db: Path = Field(default=Path("nhigraph.db"), description="the embedded store's SQLite file")
    policy: Path | None = Field(
        default=None, description="a policy YAML overriding the shipped defaults"
    )
    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("")
    neo4j_database: str = "neo4j"
    neo4j_batch_rows: int = Field(default=5000, ge=100, le=100_000)
    neo4j_tx_records: int = Field(
        default=100_000,
        ge=1000,
        description="records per write transaction; a larger file takes several",
    )
    neo4j_tx_timeout: float | None = Field(
        default=None, gt=0, description="seconds a write transaction may take; none by default"
    )
