"""nhigraph's settings: every ``NHIGRAPH_*`` environment variable, read in this one place.

The CLI and the API share this object; nothing else reads the environment.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
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
    fingerprint_key: SecretStr | None = Field(
        default=None,
        description="key of the keyed hashes of secrets seen at ingest; the same for every job",
    )
    fingerprint_key_file: Path = Field(
        default=Path("~/.config/nhigraph/fingerprint.key"),
        description="where the key is kept when NHIGRAPH_FINGERPRINT_KEY is not set",
    )
    # Live collection: credentials of each source's admin API (never written anywhere).
    msgraph_token: SecretStr | None = Field(
        default=None, description="Microsoft Graph bearer token (application permissions)"
    )
    google_token: SecretStr | None = Field(
        default=None, description="Google OAuth access token (Admin SDK + IAM read scopes)"
    )
    github_token: SecretStr | None = Field(default=None, description="GitHub token (org admin)")
    github_api_url: str = Field(
        default="https://api.github.com",
        description="GitHub's REST API; GitHub Enterprise Server: https://<host>/api/v3",
    )
    slack_token: SecretStr | None = Field(
        default=None, description="Slack user token with admin.apps:read (Enterprise Grid)"
    )
    okta_token: SecretStr | None = Field(default=None, description="Okta API token (SSWS)")
    okta_domain: str | None = Field(default=None, description="e.g. example.okta.com")
    salesforce_token: SecretStr | None = Field(
        default=None, description="Salesforce session/OAuth access token"
    )
    salesforce_instance: str | None = Field(
        default=None, description="e.g. https://example.my.salesforce.com"
    )
    aws_access_key_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("NHIGRAPH_AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"),
    )
    aws_secret_access_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("NHIGRAPH_AWS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"),
    )
    aws_session_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("NHIGRAPH_AWS_SESSION_TOKEN", "AWS_SESSION_TOKEN"),
    )
    # The GraphQL API (nhigraph serve).
    api_keys_file: Path = Field(
        default=Path("~/.config/nhigraph/api-keys.json"),
        description="API keys (hashes only); replicas share it as a mounted secret",
    )
    api_introspection: bool = Field(
        default=False, description="allow schema introspection (and field suggestions)"
    )
    api_ide: bool = Field(default=True, description="serve the GraphQL IDE at /ide/")
    api_cors_origins: list[str] = Field(
        default=[], description="origins allowed to call the API from a browser; none by default"
    )
    api_max_body_bytes: int = Field(default=65_536, ge=1024, description="request body limit")
    api_timeout: float = Field(default=10.0, gt=0, description="seconds a request may run")
    api_max_depth: int = Field(default=12, ge=2, le=50)
    api_max_aliases: int = Field(default=15, ge=0, le=1000)
    api_max_tokens: int = Field(default=2000, ge=100, le=100_000)
    api_max_nodes: int = Field(
        default=10_000, ge=100, description="estimated nodes one query may return"
    )
    http_max_retries: int = Field(
        default=5, ge=0, le=20, description="retries of a 429/5xx/network error per request"
    )
