"""The service's one settings object: every field is an environment variable (`FANZHA_<NAME>`)
and a `fanzha serve` flag (`--name-with-dashes`), checked at start-up.

Nothing here runs at import time; `load_settings()` builds the object and turns validation
errors into messages that name the flag and the variable to fix.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "FANZHA_"


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Configuration of one service process (workers inherit it through the environment)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", frozen=True, protected_namespaces=()
    )

    # --- model -----------------------------------------------------------------------------
    model_dir: Path = Field(
        Path("models/default"),
        description="model directory written by `fanzha train` (flag alias: --model)",
    )
    review_threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="risk from which to suggest review (default: the model's)"
    )
    block_threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="risk from which to suggest block (default: the model's)"
    )

    # --- processes and threads ---------------------------------------------------------------
    host: str = Field("127.0.0.1", description="interface to listen on (0.0.0.0 for all)")
    port: int = Field(8000, ge=0, le=65535, description="TCP port (0 picks a free one)")
    workers: int = Field(
        1, ge=1, le=64, description="worker processes; each loads its own copy of the model"
    )
    threads: int = Field(
        0,
        ge=0,
        le=256,
        description="ONNX Runtime intra-op threads per model batch (0: the worker's share of the "
        "cores divided by --batch-concurrency, at least 1)",
    )
    spinning: Literal["auto", "on", "off"] = Field(
        "auto",
        description="ONNX Runtime thread spinning; auto = on only for a single worker whose "
        "threads leave a core free: spinning threads steal the cores that other workers and "
        "this worker's own event loop (parsing, tokenising, evidence) need",
    )

    gc_freeze: bool = Field(
        True,
        description="move the heap as it is after start-up and each model load out of Python's "
        "cyclic garbage collector: a full collection of it (about 100,000 objects) stalls the "
        "event loop for 50-100 ms, longer than the whole latency budget of a message",
    )

    switch_interval_ms: float = Field(
        1.0,
        gt=0.0,
        le=100.0,
        description="how long a Python thread may hold the GIL while another waits (Python's "
        "default is 5 ms): large requests are encoded and their evidence found in worker "
        "threads, and the event loop, answering a single message meanwhile, should not wait "
        "5 ms for its turn each time",
    )

    # --- batching ----------------------------------------------------------------------------
    max_batch_size: int = Field(32, ge=1, le=4096, description="messages per model batch")
    max_batch_tokens: int = Field(
        1024,
        ge=1,
        description="padded tokens per batch (batch size x longest message); a single message "
        "always fits. On CPU, throughput per message peaks at small batches (about 4-16 SMS) "
        "and falls beyond, while latency grows with the batch, so the budget is small",
    )
    fill_window_ms: float = Field(
        100.0,
        gt=0.0,
        le=60_000.0,
        description="a batch is filled only with messages that arrived at most this long after "
        "its oldest one, so a deep queue is served request by request and admitted requests "
        "finish in time instead of all finishing late together; a longer window finds closer "
        "lengths (less padding), measured best at about 100 ms on 2 cores",
    )
    max_wait_ms: float = Field(
        1.0,
        ge=0.0,
        le=10_000.0,
        description="how long an idle runner waits for more messages before starting a batch",
    )
    batch_concurrency: int = Field(
        0,
        ge=0,
        le=16,
        description="model batches run at the same time per worker (0: the worker's share of "
        "the cores plus one). Small batches scale badly over intra-op threads, so one thread "
        "per batch and a batch per core runs more messages per second; the extra batch keeps "
        "the cores busy while the event loop hands results back and forms the next batch",
    )
    spread_batches: int = Field(
        0,
        ge=0,
        le=256,
        description="batches a short queue is split across, so a burst of long messages runs "
        "on several cores at once instead of as one batch on one thread, also while other "
        "batches run (0: as many batches as the worker's cores run at the same time; 1: off, "
        "one batch takes all)",
    )
    inference_nice: int = Field(
        10,
        ge=0,
        le=19,
        description="nice value of the inference threads (Linux: per thread): the event loop, "
        "which parses requests, refuses excess load and hands results back, then gets a core "
        "when it needs one, and inference takes the rest (0: equal terms)",
    )
    priority_messages: int = Field(
        4,
        ge=0,
        le=4096,
        description="requests of at most this many messages (an analyst's, a single SMS) anchor "
        "the next model batch ahead of older messages of bigger requests, so they wait for "
        "about one batch, not behind a gateway's backlog (0: strictly oldest first)",
    )
    max_queue: int = Field(
        4096, ge=1, description="messages waiting per worker; beyond this requests get 429"
    )
    timeout_ms: float = Field(
        2000.0,
        gt=0.0,
        description="deadline per request from arrival; a request not scored by then gets 503",
    )
    queue_share: float = Field(
        0.5,
        gt=0.0,
        le=1.0,
        description="a request is admitted only if the queue ahead of it is expected to clear "
        "within this share of its time budget; the rest is headroom for the estimate's error, "
        "so admitted requests finish in time and excess load gets 429 at once",
    )
    retry_after_s: int = Field(
        1, ge=1, le=3600, description="least Retry-After on 429/503 (more if the queue needs it)"
    )

    # --- request limits ----------------------------------------------------------------------
    max_messages: int = Field(256, ge=1, le=10_000, description="messages per request")
    max_chars: int = Field(2000, ge=1, le=100_000, description="characters per message text")
    max_body_bytes: int = Field(
        2_000_000, ge=1024, description="request body size in bytes; larger bodies get 413"
    )

    # --- security and privacy ----------------------------------------------------------------
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="comma-separated API keys; when any key is set (here or in api_keys_file) "
        "every endpoint but health, metrics and docs needs one",
    )
    api_keys_file: Path | None = Field(
        None, description="file with one API key per line (# starts a comment)"
    )
    log_hash_key: SecretStr | None = Field(
        None,
        description="secret for the keyed hash logged instead of message text; set it to "
        "correlate hashes across workers and restarts (default: random per process)",
    )
    log_messages: bool = Field(
        True, description="log a hash, length and label per message (never the text)"
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field("info")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="comma-separated origins allowed by CORS (off if empty)"
    )

    # --- analysts: feedback, rules, console --------------------------------------------------
    database_url: SecretStr = Field(
        SecretStr("sqlite:///var/fanzha.sqlite3"),
        description="SQLAlchemy URL of the feedback and rules database: sqlite:///FILE (relative "
        "to the working directory) or postgresql://user:password@host/db",
    )
    rules_file: Path | None = Field(
        None, description="YAML or JSON rules applied after the model (see rules/example.yaml)"
    )
    rules_poll_s: float = Field(
        5.0,
        ge=0.0,
        le=3600.0,
        description="how often to check the rules file and database for changes (0: never; "
        "POST /v1/rules/reload always works)",
    )
    feedback_cache_size: int = Field(
        10_000,
        ge=0,
        le=1_000_000,
        description="recently scored messages kept in memory per worker, so feedback can name a "
        "message by id (0: feedback must send the text)",
    )
    feedback_cache_ttl_s: float = Field(
        3600.0, gt=0.0, description="how long a scored message can be named by id"
    )
    console: bool = Field(True, description="serve the analysts' web console at /")

    # --- lifecycle ---------------------------------------------------------------------------
    reload_on_sighup: bool = Field(True, description="reload the model directory on SIGHUP")
    shutdown_delay_s: float = Field(
        0.0,
        ge=0.0,
        le=300.0,
        description="on SIGTERM, report not-ready this long before closing the listener, "
        "so a load balancer stops sending first",
    )
    graceful_timeout_s: float = Field(
        30.0, gt=0.0, description="longest wait for in-flight requests at shutdown"
    )
    keep_alive_s: float = Field(
        75.0,
        gt=0.0,
        le=3600.0,
        description="how long an idle client connection stays open; longer than the usual "
        "client pool and load-balancer idle timeouts (60 s), so the server never closes a "
        "connection just as a client reuses it (the client would see it closed, no answer)",
    )

    @field_validator("api_keys", "cors_origins", mode="before")
    @classmethod
    def _csv(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("model_dir")
    @classmethod
    def _model_dir_exists(cls, value: Path) -> Path:
        if not value.is_dir():
            raise ValueError(
                f"{value} is not a directory; pass the directory written by `fanzha train` "
                "(e.g. models/default)"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr) -> SecretStr:
        from service.feedback.db import DatabaseUrlError, parse_url

        try:
            parse_url(value.get_secret_value())
        except DatabaseUrlError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("rules_file")
    @classmethod
    def _rules_file_valid(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        if not (value.is_file() and os.access(value, os.R_OK)):
            raise ValueError(f"{value} is not a readable file (e.g. rules/example.yaml)")
        from fanzha.rules import RulesError, build_ruleset, load_rules_file

        try:
            build_ruleset(load_rules_file(value))
        except RulesError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("api_keys_file")
    @classmethod
    def _keys_file_readable(cls, value: Path | None) -> Path | None:
        if value is not None and not (value.is_file() and os.access(value, os.R_OK)):
            raise ValueError(f"{value} is not a readable file")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        review, block = self.review_threshold, self.block_threshold
        if review is not None and block is not None and review > block:
            raise ValueError(
                f"--review-threshold / {env_name('review_threshold')} ({review}) must not "
                f"exceed --block-threshold / {env_name('block_threshold')} ({block})"
            )
        if self.max_queue < self.max_messages:
            raise ValueError(
                f"--max-queue / {env_name('max_queue')} ({self.max_queue}) must be at least "
                f"--max-messages / {env_name('max_messages')} ({self.max_messages}), or a "
                "full-size request could never be queued"
            )
        return self

    # --- derived values ----------------------------------------------------------------------
    def cores_per_worker(self) -> int:
        return max(1, _cores() // self.workers)

    def concurrent_batches(self) -> int:
        return self.batch_concurrency or self.cores_per_worker() + 1

    def intra_op_threads(self) -> int:
        """Threads per batch: the worker's cores split between its concurrent batches."""
        return self.threads or max(1, self.cores_per_worker() // self.concurrent_batches())

    def parallel_batches(self) -> int:
        """Batches the worker's cores run at the same time: what a short queue is spread over."""
        parallel = max(1, self.cores_per_worker() // self.intra_op_threads())
        return self.spread_batches or min(parallel, self.concurrent_batches())

    def allow_spinning(self) -> bool:
        if self.spinning == "auto":
            busy = self.workers * self.concurrent_batches() * self.intra_op_threads()
            return self.intra_op_threads() > 1 and busy < _cores()
        return self.spinning == "on"

    def auth_enabled(self) -> bool:
        return bool(self.api_keys) or self.api_keys_file is not None


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def flag_name(field: str) -> str:
    return "--" + field.replace("_", "-")


class SettingsError(ValueError):
    """Settings that cannot start the service; the message names what to change."""


def describe_errors(exc: ValidationError) -> str:
    lines = ["invalid settings:"]
    for error in exc.errors(include_url=False, include_input=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        where = f"{flag_name(field)} / {env_name(field)}" if field else "settings"
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"  {where}: {message}")
    return "\n".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Environment, overridden by explicit values (the CLI's flags); raises SettingsError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe_errors(exc)) from None


def settings_to_env(settings: Settings) -> dict[str, str]:
    """The environment that rebuilds `settings` in another process (uvicorn workers)."""
    env: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, list):
            value = ",".join(v.get_secret_value() if isinstance(v, SecretStr) else v for v in value)
        elif isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, bool):
            value = "true" if value else "false"
        env[env_name(name)] = str(value)
    return env
