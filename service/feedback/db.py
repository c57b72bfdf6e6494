"""Connecting to the analysts' database and its tables (SQLAlchemy Core, created on start).

Durability: every write is one transaction, acknowledged only after it commits. SQLite runs in
WAL mode with `synchronous=FULL` and a busy timeout, so a process killed mid-write loses only the
unacknowledged transaction and several workers can share the file; PostgreSQL commits are
durable by default.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

metadata = sa.MetaData()

# One row per distinct message text: analysts correcting the same message again update it.
feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("text_key", sa.String(64), nullable=False, unique=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("label", sa.String(40), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("analyst", sa.String(64)),
    sa.Column("message_id", sa.String(128)),
    sa.Column("sender", sa.String(64)),
    sa.Column("served_label", sa.String(40)),
    sa.Column("served_suggestion", sa.String(10)),
    sa.Column("model_version", sa.String(200)),
    sa.Column("submissions", sa.Integer, nullable=False, default=1),
    sa.Column("disputed", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False, index=True),
)

# Every accepted submission, for the audit trail; `submission_id` makes client retries safe.
feedback_events = sa.Table(
    "feedback_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "feedback_id",
        sa.Integer,
        sa.ForeignKey("feedback.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("submission_id", sa.String(64), unique=True),
    sa.Column("label", sa.String(40), nullable=False),
    sa.Column("analyst", sa.String(64)),
    sa.Column("note", sa.Text),
    sa.Column("created_at", sa.Float, nullable=False),
)

rules = sa.Table(
    "rules",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("definition", sa.Text, nullable=False),  # JSON, as accepted by fanzha.rules
    sa.Column("author", sa.String(64)),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

# Bumped in the same transaction as every rules change, so workers notice by polling one row.
meta = sa.Table(
    "fanzha_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
)

SUPPORTED = ("sqlite", "postgresql")


class DatabaseUrlError(ValueError):
    """A database URL this service cannot use; the message says what would work."""


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL, with `postgresql://` mapped to the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise DatabaseUrlError(
            "not a database URL; use sqlite:///path/to/file.sqlite3 or "
            "postgresql://user:password@host:5432/dbname"
        ) from exc
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED:
        raise DatabaseUrlError(
            f"unsupported database {backend!r}; use sqlite:///... or postgresql://..."
        )
    if parsed.drivername == "postgresql":  # no driver named: psycopg 3, whatever the default
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise DatabaseUrlError("an in-memory SQLite database is not durable; name a file")
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_engine(url: str) -> Engine:
    """An engine for `url`; makes the parent directory of a SQLite file."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database is not None
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, hide_parameters=True, connect_args={"timeout": 10})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(
        parsed,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        hide_parameters=True,
        connect_args={"connect_timeout": 5},
    )


def create_schema(engine: Engine) -> None:
    """The tables, and the revision row the rules poller reads (seeded once, so updates to it
    never race to insert it)."""
    metadata.create_all(engine)
    with engine.connect() as conn:
        seeded = conn.execute(sa.select(meta.c.key).where(meta.c.key == "rules_revision")).first()
    if seeded is None:
        try:
            with engine.begin() as conn:
                conn.execute(sa.insert(meta).values(key="rules_revision", value=0))
        except sa.exc.IntegrityError:
            pass  # another worker seeded it first


def describe(url: str) -> str:
    """The URL without its password, for logs and the console."""
    try:
        return parse_url(url).render_as_string(hide_password=True)
    except DatabaseUrlError:
        return "<invalid database URL>"


def now() -> float:
    return time.time()


class StoreUnavailable(Exception):
    """The database cannot be reached; the message says why, without any row data."""


def failure_reason(exc: BaseException) -> str:
    """A short cause for logs and 503 bodies: the driver's first line, never SQL or values."""
    origin = getattr(exc, "orig", None) or exc
    first = (str(origin).strip().splitlines() or [""])[0][:200]
    return f"{type(origin).__name__}: {first}" if first else type(origin).__name__


class Database:
    """The engine plus its health. Opening is retried at most every `retry_s` seconds while
    the database is down, so a restarted PostgreSQL is picked up without restarting us."""

    def __init__(self, url: str, retry_s: float = 2.0) -> None:
        self.url = url
        self.description = describe(url)
        self.backend = parse_url(url).get_backend_name()
        self.engine = create_engine(url)
        self.retry_s = retry_s
        self.error: str | None = "not opened yet"
        self._last_try = float("-inf")

    @property
    def available(self) -> bool:
        return self.error is None

    def open(self) -> bool:
        """Create the tables if needed; records (does not raise) why it failed."""
        self._last_try = time.monotonic()
        try:
            create_schema(self.engine)
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            self.error = failure_reason(exc)
            return False
        self.error = None
        return True

    def _ready_engine(self) -> Engine:
        if self.error is not None and time.monotonic() - self._last_try >= self.retry_s:
            self.open()
        if self.error is not None:
            raise StoreUnavailable(
                f"the database ({self.description}) is unavailable: {self.error}"
            )
        return self.engine

    def begin(self) -> _Guarded:
        """A transaction (`with db.begin() as conn:`), committed on success."""
        return _Guarded(self, write=True)

    def connect(self) -> _Guarded:
        return _Guarded(self, write=False)

    def fail(self, exc: BaseException) -> StoreUnavailable:
        self.error = failure_reason(exc)
        self._last_try = time.monotonic()
        return StoreUnavailable(f"the database ({self.description}) is unavailable: {self.error}")

    def dispose(self) -> None:
        self.engine.dispose()


class _Guarded:
    """Connection context that turns connection-level failures into StoreUnavailable."""

    def __init__(self, db: Database, write: bool) -> None:
        self.db = db
        self.write = write
        self._context: Any = None

    def __enter__(self) -> sa.Connection:
        engine = self.db._ready_engine()
        self._context = engine.begin() if self.write else engine.connect()
        try:
            connection: sa.Connection = self._context.__enter__()
            return connection
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            raise self.db.fail(exc) from None

    def __exit__(self, *exc_info: Any) -> None:
        try:
            self._context.__exit__(*exc_info)
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            raise self.db.fail(exc) from None
        error = exc_info[1]
        if isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError):
            raise self.db.fail(error) from None
