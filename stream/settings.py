"""The one settings object: typed, frozen, and the only code that reads the environment.

Every variable is prefixed ``STREAM_`` (for example ``STREAM_BROKERS``). Secrets are held as
``SecretStr`` so that printing or logging the settings never reveals them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Configuration of the worker, the CLI and the tests."""

    model_config = SettingsConfigDict(env_prefix="STREAM_", frozen=True, extra="ignore")

    # --- broker -----------------------------------------------------------------------
    brokers: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated")
    app_id: str = Field("stream-news", description="Faust app id: consumer group and state prefix")
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None

    # --- topics -----------------------------------------------------------------------
    topic_raw: str = "articles.raw"
    topic_enriched: str = "articles.enriched"
    topic_duplicates: str = "articles.duplicates"
    topic_match_results: str = "events.match_results"
    topic_quotes: str = "events.quotes"
    topic_dlq: str = "articles.dlq"
    topic_analysed: str = Field(
        "articles.analysed",
        description="internal: cleaned+extracted articles on their way to the dedup stage",
    )
    partitions: int = Field(3, ge=1, description="partitions of the input and output topics")
    replication_factor: int = Field(1, ge=1)
    raw_retention_ms: int = Field(-1, description="articles.raw retention; -1 keeps forever")

    # --- processing -------------------------------------------------------------------
    max_body_bytes: int = Field(12 * 1024 * 1024, ge=1024, description="larger bodies go to DLQ")
    max_message_bytes: int = Field(25 * 1024 * 1024, ge=1024)
    article_time_budget_seconds: float = Field(
        5.0, ge=0.0, description="cleaning+extraction time per article before it goes to the "
                                 "DLQ as 'timeout'; 0 disables")
    dedup_window_days: int = Field(30, ge=1)
    kb_path: Path | None = Field(None, description="user knowledge-base file merged on top")
    schemas_dir: Path = REPO_ROOT / "schemas"
    validate_output: bool = Field(True, description="validate outgoing records against schemas/")

    # --- worker -----------------------------------------------------------------------
    session_timeout_seconds: float = Field(
        30.0, ge=6.0, le=300.0,
        description="a worker silent this long is dropped from the group and its partitions "
                    "move to the others")
    data_dir: Path = REPO_ROOT / "var" / "faust"
    store: Literal["memory", "rocksdb"] = "rocksdb"
    web_host: str = "127.0.0.1"
    web_port: int = Field(6066, ge=0, le=65535, description="status page, /metrics, health")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"

    @field_validator("brokers")
    @classmethod
    def _strip_scheme(cls, value: str) -> str:
        """Accept ``kafka://host:port`` too, as Faust users write it."""
        return ",".join(part.strip().removeprefix("kafka://") for part in value.split(","))

    @property
    def broker_list(self) -> list[str]:
        return [b for b in self.brokers.split(",") if b]

    @property
    def output_topics(self) -> tuple[str, ...]:
        return (
            self.topic_enriched,
            self.topic_duplicates,
            self.topic_match_results,
            self.topic_quotes,
            self.topic_dlq,
        )


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; explicit overrides (tests, CLI flags) win."""
    return Settings(**overrides)  # type: ignore[arg-type]
