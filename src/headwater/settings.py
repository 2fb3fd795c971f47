"""Settings, built once at start-up and passed down; nothing reads the environment elsewhere.

Every field can be set by an environment variable named after it with the `HEADWATER_`
prefix (`HEADWATER_DATABASE_URL`, `HEADWATER_ADMIN_TOKEN`, ...).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from headwater.domain.egress import Entry


class QuerySettings(BaseSettings):
    """Limits of the SQL sandbox (`HEADWATER_QUERY__MAX_ROWS`, ...)."""

    model_config = SettingsConfigDict(env_prefix="HEADWATER_QUERY__", extra="ignore")

    max_rows: int = Field(default=100_000, ge=1, description="Rows a query may return.")
    timeout_seconds: float = Field(default=30.0, gt=0, description="Wall-clock limit per query.")
    memory_limit: str = Field(
        default="1GB",
        description="DuckDB memory limit of each cached database; its queries share it.",
    )
    threads: int = Field(
        default=2,
        ge=1,
        description="DuckDB threads of each cached database; its queries share them.",
    )
    cached_databases: int = Field(
        default=8,
        ge=1,
        description="Locked-down DuckDB databases kept open for the next query, one per "
        "dataset version (file set); the least recently used closes beyond this.",
    )
    slice_cache_bytes: int = Field(
        default=4 * 1024**3,
        ge=0,
        description="Local disk kept for policy slices: the rows a PDP row policy lets a "
        "caller see, one Parquet file per data file, written on the first query under that "
        "policy (see docs/architecture.md). Least recently used out beyond this.",
    )


class CheckSettings(BaseSettings):
    """Quality checks on loads (`HEADWATER_CHECKS__TIME_LIMIT_SECONDS`)."""

    model_config = SettingsConfigDict(env_prefix="HEADWATER_CHECKS__", extra="ignore")

    time_limit_seconds: float = Field(
        default=300.0,
        gt=0,
        description="Wall-clock limit of each pass a load's quality checks make over it "
        "(measuring; splitting it under QUARANTINE): past it the load fails, nothing committed.",
    )


class LimitSettings(BaseSettings):
    """Sizes a request may have (`HEADWATER_LIMITS__BODY_BYTES`, ...): past them a 413 (body)
    or a 400 naming the field, before anything is stored."""

    model_config = SettingsConfigDict(env_prefix="HEADWATER_LIMITS__", extra="ignore")

    body_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        description="A request body read whole into memory (JSON, forms, pipeline ingress).",
    )
    data_bytes: int = Field(
        default=8 * 1024 * 1024 * 1024,
        ge=1024,
        description="A data body streamed to disk: an upload part or a CSV import.",
    )
    name_chars: int = Field(
        default=255,
        ge=1,
        le=255,
        description="Names and other short labels (datasets, users, groups, tokens, accounts, "
        "pipelines, columns, tags, emails); at most 255, the width of the columns storing them.",
    )
    description_chars: int = Field(
        default=64 * 1024, ge=1, description="A description (dataset, group, pipeline)."
    )
    text_chars: int = Field(
        default=1024 * 1024,
        ge=1,
        description="Any other text field (SQL, a pipeline's program, configuration values).",
    )


class SchedulerSettings(BaseSettings):
    """Streams on schedules (`HEADWATER_SCHEDULER__ENABLED`, ...)."""

    model_config = SettingsConfigDict(env_prefix="HEADWATER_SCHEDULER__", extra="ignore")

    enabled: bool = Field(default=True, description="Run the scheduler in this process.")
    poll_seconds: float = Field(
        default=1.0,
        gt=0,
        description="Longest sleep between passes; a pass also runs the moment a tick is due, "
        "and this bounds how late a schedule changed by another process is noticed.",
    )
    retry_max: int = Field(
        default=3,
        ge=0,
        description="Default retries of a failed scheduled run (per stream: "
        "`retryPolicy.maxRetries`).",
    )
    retry_delay_seconds: float = Field(
        default=60.0, ge=0, description="Default wait before the first retry; doubles each time."
    )
    retry_max_delay_seconds: float = Field(
        default=3600.0, ge=0, description="Default longest wait between retries."
    )
    keep_ticks: int = Field(
        default=1000, ge=1, description="Tick records (runs and skips) kept per stream."
    )


class RunnerSettings(BaseSettings):
    """This process as a runner among several sharing one database (`HEADWATER_RUNNER__...`)."""

    model_config = SettingsConfigDict(env_prefix="HEADWATER_RUNNER__", extra="ignore")

    lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A process that has not renewed its heartbeat for this long is taken for "
        "gone, and its unfinished executions are settled by the others.",
    )
    heartbeat_seconds: float = Field(
        default=5.0, gt=0, description="How often this process renews its heartbeat."
    )


class FaultSettings(BaseSettings):
    """Fault injection for crash tests (`HEADWATER_FAULTS__...`); leave at 0 in production."""

    model_config = SettingsConfigDict(env_prefix="HEADWATER_FAULTS__", extra="ignore")

    pause_before_commit_log: float = Field(
        default=0.0,
        ge=0,
        description="Seconds to wait after a commit's files join the table and before the "
        "Delta log entry that makes them visible (for a restore: before its log entry): the "
        "window a crash test kills the server in.",
    )
    pause_after_batch: float = Field(
        default=0.0,
        ge=0,
        description="Seconds a connector run waits after each batch it reads: the window a "
        "crash test kills the server in mid-read.",
    )
    pause_after_commit_log: float = Field(
        default=0.0,
        ge=0,
        description="Seconds to wait after a commit's Delta log entry is written and before "
        "the next step (a quarantine commit's main commit; the execution's end): the window "
        "a crash test kills the server in between.",
    )


class PipelineSettings(BaseSettings):
    """Continuous connectors (`HEADWATER_PIPELINES__COMMIT_INTERVAL_SECONDS`, ...)."""

    model_config = SettingsConfigDict(env_prefix="HEADWATER_PIPELINES__", extra="ignore")

    enabled: bool = Field(
        default=True, description="Run pipelines' connectors in this process (the supervisor)."
    )
    commit_interval_seconds: float = Field(
        default=0.5,
        gt=0,
        description="A connector commits what it buffered at least this often (commit latency).",
    )
    max_batch_records: int = Field(
        default=200_000, ge=1, description="A connector commits once it buffered this many."
    )
    lease_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How long a process holds a pipeline without renewing; after that another "
        "process may take its connectors over.",
    )
    poll_seconds: float = Field(
        default=0.2, gt=0, description="How often the supervisor reads desired states."
    )
    compact_every_seconds: float = Field(
        default=60.0, gt=0, description="How often running tables are checked for compaction."
    )
    compact_min_files: int = Field(
        default=32, ge=2, description="Compact a table once it has this many files."
    )
    vacuum_retention_hours: float = Field(
        default=1.0,
        ge=0,
        description="Files replaced by compaction stay this long, for queries still reading "
        "an older version.",
    )
    ingress_wait_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How long an ingress request into a paused pipeline waits for it to run.",
    )


class EgressSettings(BaseSettings):
    """Where connectors may connect (`HEADWATER_EGRESS__ALLOW`, `HEADWATER_EGRESS__DENY`).

    Entries: a host name (`db.example.com`, `*.example.com`), an address or a network
    (`10.0.0.5`, `10.0.0.0/8`, `::1`), each optionally with `:port` (`[::1]:5432`), or `:port`
    alone. By default the loopback, link-local and unspecified addresses, this server's own
    port and its metadata database are refused to connectors unless an admin chose them."""

    model_config = SettingsConfigDict(env_prefix="HEADWATER_EGRESS__", extra="ignore")

    allow: list[str] = Field(
        default_factory=list,
        description="Destinations opened to everyone, even where the defaults refuse them "
        '(JSON list: `["127.0.0.1:5432"]`).',
    )
    deny: list[str] = Field(
        default_factory=list,
        description="Destinations refused to everyone, admins included; a DENY entry wins "
        "over an ALLOW entry (JSON list).",
    )

    @field_validator("allow", "deny")
    @classmethod
    def _entries(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            Entry.parse(entry)  # a wrong entry stops the start, naming it
        return entries


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HEADWATER_", env_nested_delimiter="__", extra="ignore"
    )

    data_dir: Path = Field(default=Path("./headwater-data"), description="Root of all local state.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the metadata database; SQLite in the data dir when unset.",
    )
    admin_token: str | None = Field(
        default=None,
        description="Token of the first admin user, created when no user exists yet.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Fernet key that encrypts account secrets; generated into the data dir "
        "(mode 0600) when unset.",
    )
    upload_decode_slots: int | None = Field(
        default=None,
        ge=1,
        description="Parts decoded at once (each holds ~100-150 MB of buffers while it "
        "decodes); more arrive in parallel but wait their turn. Default: one per core.",
    )
    executor_workers: int = Field(default=2, ge=1, description="Connector runs at once.")
    connector_max_retries: int = Field(
        default=3, ge=0, description="Retries of a connector's transient errors per run."
    )
    connector_retry_delay_seconds: float = Field(
        default=1.0, ge=0, description="First retry delay; doubles with each retry."
    )
    file_roots: list[Path] = Field(
        default_factory=list,
        description="Directories the `file` connector may read, with everything below them "
        "(JSON list). Default: `<data dir>/files`.",
    )
    connector_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Operator options per connector, passed to its factory as keyword "
        'arguments (JSON: `{"airbyte": {"allow_install": true}}`).',
    )
    oauth_signing_key: str | None = Field(
        default=None,
        description="HMAC key (32 bytes or more) that signs public-API access tokens; "
        "generated into the data dir (mode 0600) when unset.",
    )
    oauth_token_ttl_seconds: int = Field(
        default=3600, ge=1, description="Lifetime of a public-API access token."
    )
    host: str = "127.0.0.1"
    port: int = 8080
    telemetry: bool = Field(
        default=False,
        description="FastAPI's native OpenTelemetry spans and metrics, through the globally "
        "configured providers. Off by default: asking for the providers costs every request.",
    )
    api_threads: int = Field(
        default=40,
        ge=1,
        description="Threads per worker process for the request handlers' database and disk "
        "work (anyio's pool); the SQLite connection pool is sized to match.",
    )
    workers: int = Field(
        default=1,
        ge=1,
        description="HTTP worker processes of `headwater serve` (`--workers`). Each serves "
        "requests; the scheduler and the continuous-connector supervisor run once, in the "
        "parent process. About one per core; 1 keeps everything in one process.",
    )
    query: QuerySettings = Field(default_factory=QuerySettings)
    checks: CheckSettings = Field(default_factory=CheckSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    runner: RunnerSettings = Field(default_factory=RunnerSettings)
    faults: FaultSettings = Field(default_factory=FaultSettings)
    pipelines: PipelineSettings = Field(default_factory=PipelineSettings)
    egress: EgressSettings = Field(default_factory=EgressSettings)

    @property
    def metadata_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'headwater.db').resolve()}"

    @property
    def datasets_dir(self) -> Path:
        return self.data_dir / "datasets"

    @property
    def staging_dir(self) -> Path:
        return self.data_dir / "staging"

    def options_for_connectors(self) -> dict[str, dict[str, Any]]:
        """What each built-in needs from the operator, then `connector_options` on top."""
        roots = self.file_roots or [self.data_dir / "files"]
        options: dict[str, dict[str, Any]] = {
            "file": {"allowed_dirs": [str(p) for p in roots]},
            # SQLite databases are files: readable from the same directories only
            "sql": {"sqlite_dirs": [str(p) for p in roots]},
            "airbyte": {"work_dir": str(self.data_dir / "airbyte")},
            # downloads go to disk under the data dir, not /tmp (often a RAM-backed tmpfs)
            "sftp": {"temp_dir": str(self.data_dir / "sftp")},
        }
        for name, extra in self.connector_options.items():
            options[name.lower()] = {**options.get(name.lower(), {}), **extra}
        return options
