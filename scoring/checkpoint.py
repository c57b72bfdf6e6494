"""Where scored chunks go until the output is complete, and how the output appears atomically.

With resume on, every scored chunk is saved as an Arrow part in a work directory beside the
output (`.NAME.fanzha-work/`), under a manifest keyed by the input's fingerprint, the model and
every setting that changes a result (the analysts' rules by their hash). A rerun with the same
key starts after the last complete part; any other key discards the parts, says which settings
changed, and starts afresh, so an output never mixes chunks scored two ways. The output is
assembled from the parts into a hidden partial file that is renamed over the final name, so a
reader never sees a half-written output.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa

from scoring.formats import FileFormat
from scoring.writers import open_writer

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
_IPC_OPTIONS = pa.ipc.IpcWriteOptions(compression="zstd")


def file_fingerprint(path: Path, sample: int = 1 << 20) -> dict[str, Any]:
    """Size, mtime and a hash of the first and last MiB: catches a replaced or appended input
    without reading a many-GB archive on every start."""
    stat = path.stat()
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        digest.update(fh.read(sample))
        if stat.st_size > sample:
            fh.seek(max(sample, stat.st_size - sample))
            digest.update(fh.read(sample))
    return {
        "path": str(path.resolve()),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256_head_tail": digest.hexdigest(),
    }


def partial_path(output: Path) -> Path:
    return output.with_name(f".{output.name}.partial")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(partial: Path, output: Path) -> None:
    """Make `partial` durable, then give it the final name in one rename."""
    with partial.open("rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, output)
    _fsync_dir(output.parent)


class DirectSink:
    """No checkpoints: stream into the partial file, rename when done."""

    def __init__(self, output: Path, fmt: FileFormat, schema: pa.Schema) -> None:
        self.output = output
        self.partial = partial_path(output)
        self.writer = open_writer(self.partial, fmt, schema)

    def completed(self) -> int:
        return 0

    def write(self, index: int, table: pa.Table) -> None:
        self.writer.write(table)

    def finish(self) -> None:
        self.writer.close()
        publish(self.partial, self.output)

    def abort(self) -> None:
        self.partial.unlink(missing_ok=True)


class CheckpointSink:
    """Parts in a work directory; the output is assembled from them at the end."""

    def __init__(self, output: Path, fmt: FileFormat, schema: pa.Schema, key: dict[str, Any]):
        self.output, self.fmt, self.schema = output, fmt, schema
        self.dir = output.with_name(f".{output.name}.fanzha-work")
        self.key = key
        self._completed = self._prepare()

    def _part(self, index: int) -> Path:
        return self.dir / f"part-{index:06d}.arrow"

    def _prepare(self) -> int:
        manifest = self.dir / MANIFEST
        if manifest.is_file():
            changed = self._changed(manifest)
            if changed:
                log.warning(
                    "%s: the checkpoints were made with other settings (%s changed); "
                    "discarding them and scoring from the start",
                    self.dir,
                    ", ".join(changed),
                )
            else:
                done = 0
                while self._part(done).is_file():
                    done += 1
                for stray in self.dir.glob("part-*"):  # temporaries and parts after a gap
                    if stray.suffix != ".arrow" or int(stray.stem.split("-")[1]) >= done:
                        stray.unlink()
                return done
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        tmp = manifest.with_suffix(".tmp")
        tmp.write_text(json.dumps({"key": self.key}, indent=2, ensure_ascii=False), "utf-8")
        tmp.replace(manifest)
        return 0

    def _changed(self, manifest: Path) -> list[str]:
        """Names of the key entries that differ from the manifest's (empty: same run)."""
        try:
            old = json.loads(manifest.read_text(encoding="utf-8")).get("key")
        except (json.JSONDecodeError, AttributeError):
            old = None
        if not isinstance(old, dict):
            return ["manifest unreadable"]
        missing = object()  # a key only one side has is a change (an older version's parts)
        keys = self.key.keys() | old.keys()
        return sorted(k for k in keys if old.get(k, missing) != self.key.get(k, missing))

    def completed(self) -> int:
        return self._completed

    def write(self, index: int, table: pa.Table) -> None:
        part = self._part(index)
        tmp = part.with_suffix(".tmp")
        with pa.OSFile(str(tmp), "wb") as sink:
            with pa.ipc.new_file(sink, table.schema, options=_IPC_OPTIONS) as writer:
                writer.write_table(table)
            sink.flush()
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        tmp.replace(part)

    def finish(self) -> None:
        partial = partial_path(self.output)
        writer = open_writer(partial, self.fmt, self.schema)
        try:
            index = 0
            while self._part(index).is_file():
                with pa.memory_map(str(self._part(index))) as source:
                    writer.write(pa.ipc.open_file(source).read_all())
                index += 1
        finally:
            writer.close()
        publish(partial, self.output)
        shutil.rmtree(self.dir, ignore_errors=True)

    def abort(self) -> None:
        """Keep the parts: the next run resumes from them."""
        partial_path(self.output).unlink(missing_ok=True)
