"""Test helpers for the analysts' database: a throwaway PostgreSQL server, and database URLs
for both backends.

The PostgreSQL server is started from the machine's server binaries (Debian's `postgresql`
package puts them in /usr/lib/postgresql/<version>/bin) in a temporary directory, on a free
port, with trust authentication; as root it runs as the `postgres` user, because initdb refuses
root. Without the binaries the PostgreSQL tests skip and say how to get them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service_helpers import free_port

SKIP_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found: install them (Debian: apt-get "
    "install postgresql) or put them on PATH to run the PostgreSQL tests"
)


def postgres_bindir() -> Path | None:
    found = shutil.which("initdb")
    candidates = [found] if found else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file() and (path.parent / "pg_ctl").is_file():
            return path.parent
    return None


def _runner() -> list[str]:
    """How to run the server's commands: directly, or as `postgres` when we are root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root and runuser is missing: cannot start PostgreSQL")
    return [runuser, "-u", "postgres", "--"]


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A running PostgreSQL server; yields its URL (database `postgres`, user `fanzha`)."""
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip(SKIP_HINT)
    prefix = _runner()
    root = Path(tempfile.mkdtemp(prefix="fanzha-pg-"))
    if prefix:
        shutil.chown(root, "postgres")
    data = root / "data"
    port = free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stdout}\n{done.stderr}")

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "fanzha", "-E", "UTF8",
            "--locale=C", "--no-sync")  # fmt: skip
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60",
            "-o", options, "start")  # fmt: skip
        try:
            yield f"postgresql://fanzha@127.0.0.1:{port}/postgres"
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def reset_database(url: str) -> None:
    """Drop our tables, so each test starts from an empty database."""
    from service.feedback.db import create_engine, metadata

    engine = create_engine(url)
    metadata.drop_all(engine)
    engine.dispose()
