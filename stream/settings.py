"""The one settings object: typed, frozen, and the only code that reads the environment.

Every variable is prefixed ``STREAM_`` (for example ``STREAM_BROKERS``). Secrets are held as
``SecretStr`` so that printing or logging the settings never reveals them; a secret may also
come from a file (``STREAM_SASL_PASSWORD_FILE``, ``STREAM_SSL_KEY_PASSWORD_FILE``), read here
once. Inconsistent security settings raise :class:`~stream.errors.ConfigError`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from stream.errors import ConfigError

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
    sasl_password_file: Path | None = Field(
        None, description="file holding the SASL password (mounted secrets); read once")
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    ssl_key_password: SecretStr | None = Field(None, description="password of an encrypted keyfile")
    ssl_key_password_file: Path | None = None

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
    producer_batch_bytes: int = Field(
        1024 * 1024, ge=16384,
        description="bytes per producer batch and partition; aiokafka keeps one request in "
                    "flight per broker, so a full batch makes every send wait for the previous "
                    "request's acknowledgement: batches must hold many enriched articles")
    producer_linger_ms: int = Field(
        5, ge=0, le=1000,
        description="how long a send may wait for others to share its request: fewer, "
                    "larger requests cost the worker and the broker less CPU, at this much "
                    "added latency")
    fetch_max_wait_ms: int = Field(
        50, ge=1, le=10000,
        description="longest a fetch waits on the broker for new records; the worker's "
                    "other partitions wait behind it (Faust's own choice, 1500, let the "
                    "internal hop topic stall for up to 1.5 s)")
    article_time_budget_seconds: float = Field(
        5.0, ge=0.0, description="cleaning+extraction time per article before it goes to the "
                                 "DLQ as 'timeout'; 0 disables")
    dedup_window_days: int = Field(30, ge=1)
    kb_path: Path | None = Field(None, description="user knowledge-base file merged on top")
    schemas_dir: Path = REPO_ROOT / "schemas"
    validate_output: bool = Field(True, description="validate outgoing records against schemas/")

    # --- worker -----------------------------------------------------------------------
    analyse_processes: int | None = Field(
        None, ge=0, le=64,
        description="processes cleaning and extracting next to the worker's own; 0 runs "
                    "them in the worker process; unset: one fewer than the CPUs, at least 1 "
                    "(the worker's own process keeps a core for Kafka I/O and dedup)")
    analyse_niceness: int = Field(
        10, ge=0, le=19,
        description="how much lower the analysis processes' CPU priority is than the "
                    "worker's: when CPUs are short, the worker's own process (consumer, "
                    "producer, heartbeats, commits) and a broker on the same machine go "
                    "first, so the analysis waits instead of stalling the sends")
    batch_size: int = Field(
        64, ge=1, le=10000, description="raw articles analysed and forwarded together")
    batch_seconds: float = Field(
        0.02, gt=0.0, le=5.0,
        description="longest wait to fill a batch: the latency added at low rates")
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

    @model_validator(mode="before")
    @classmethod
    def _read_secret_files(cls, data: Any) -> Any:
        """Secrets may come from files (container secrets) so they stay out of the
        environment and process listings; each is read once, here, into a SecretStr."""
        if isinstance(data, dict):
            for name in _SECRET_FILES:
                data = _with_secret_from_file(data, name)
        return data

    @model_validator(mode="after")
    def _check_security(self) -> Settings:
        """Fail at start with one clear line rather than at the first connection, and never
        silently connect without the TLS or SASL the operator asked for."""
        _check_sasl(self)
        _check_tls(self)
        return self

    @field_validator("brokers")
    @classmethod
    def _strip_scheme(cls, value: str) -> str:
        """Accept ``kafka://host:port`` too, as Faust users write it."""
        return ",".join(part.strip().removeprefix("kafka://") for part in value.split(","))

    @property
    def broker_list(self) -> list[str]:
        return [b for b in self.brokers.split(",") if b]

    @property
    def pool_processes(self) -> int:
        """``analyse_processes``, or one fewer than the CPUs this process may use."""
        if self.analyse_processes is not None:
            return self.analyse_processes
        return max(1, len(os.sched_getaffinity(0)) - 1)

    @property
    def output_topics(self) -> tuple[str, ...]:
        return (
            self.topic_enriched,
            self.topic_duplicates,
            self.topic_match_results,
            self.topic_quotes,
            self.topic_dlq,
        )


# secret field -> the field naming a file that holds it
_SECRET_FILES = {"sasl_password": "sasl_password_file", "ssl_key_password": "ssl_key_password_file"}
_TLS_PROTOCOLS = ("SSL", "SASL_SSL")


def _var(field: str) -> str:
    return f"STREAM_{field.upper()}"


def _with_secret_from_file(data: dict[str, Any], name: str) -> dict[str, Any]:
    path = data.get(_SECRET_FILES[name])
    if not path:
        return data
    if data.get(name):
        raise ConfigError(f"set {_var(name)} or {_var(_SECRET_FILES[name])}, not both")
    return {**data, name: _read_secret(Path(path), _var(_SECRET_FILES[name]))}


def _read_secret(path: Path, var: str) -> str:
    """The file's text without its trailing newline (editors and `echo` add one)."""
    try:
        secret = path.read_text(encoding="utf-8").rstrip("\r\n")
    except FileNotFoundError:
        raise ConfigError(f"{var}={path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{var}={path}: cannot read it ({type(exc).__name__})") from None
    if not secret:
        raise ConfigError(f"{var}={path} is empty")
    return secret


def _check_sasl(settings: Settings) -> None:
    protocol = settings.security_protocol
    has_credentials = settings.sasl_username is not None or settings.sasl_password is not None
    if protocol.startswith("SASL") and not (settings.sasl_username and settings.sasl_password):
        raise ConfigError(f"STREAM_SECURITY_PROTOCOL={protocol} needs STREAM_SASL_USERNAME and "
                          "STREAM_SASL_PASSWORD (or STREAM_SASL_PASSWORD_FILE)")
    if has_credentials and not protocol.startswith("SASL"):
        raise ConfigError(f"SASL credentials are set but STREAM_SECURITY_PROTOCOL={protocol} "
                          "does not send them: use SASL_SSL")


def _check_tls(settings: Settings) -> None:
    files = {"ssl_cafile": settings.ssl_cafile, "ssl_certfile": settings.ssl_certfile,
             "ssl_keyfile": settings.ssl_keyfile}
    given = [name for name, path in files.items() if path is not None]
    if settings.ssl_key_password is not None:
        given.append("ssl_key_password")
    protocol = settings.security_protocol
    if given and protocol not in _TLS_PROTOCOLS:
        raise ConfigError(f"{_var(given[0])} is set but STREAM_SECURITY_PROTOCOL={protocol} "
                          "does not use TLS: use SSL or SASL_SSL")
    if (settings.ssl_certfile is None) != (settings.ssl_keyfile is None):
        raise ConfigError("mutual TLS needs both STREAM_SSL_CERTFILE and STREAM_SSL_KEYFILE")
    for name, path in files.items():
        if path is not None and not path.is_file():
            raise ConfigError(f"{_var(name)}={path}: no such file")


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; explicit overrides (tests, CLI flags) win."""
    return Settings(**overrides)  # type: ignore[arg-type]
