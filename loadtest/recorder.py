"""One CSV line per request, written by each Locust worker process into the run's raw folder.

Locust's own CSV keeps percentiles over the whole run and a rolling ten-second window; the
report needs exact percentiles per stage, refusals apart from accepted requests and the lag
between the scheduled and the actual send, so every request is kept.
"""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path
from typing import IO

FIELDS = (
    "due",  # scheduled send time (epoch s)
    "sent",  # actual send time (epoch s)
    "latency_ms",  # send to last byte of the answer (Locust's response time)
    "caller",  # analyst | gateway
    "status",  # HTTP status, 0 for connection errors and timeouts, -1 if never sent
    "outcome",  # ok | invalid | refused | error | shed
    "messages",
    "server_ms",  # x-total-time: time inside the service
    "queue_ms",  # x-queue-time
    "problem",
)


class Recorder:
    def __init__(self, raw_dir: str | Path) -> None:
        self.dir = Path(raw_dir)
        self.pid = os.getpid()
        self._fh: IO[str] | None = None
        self._writer: csv.writer | None = None  # type: ignore[valid-type]
        self.t0 = 0.0

    def start(self) -> None:
        """Called at test start in the process that sends requests (after Locust's fork)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self.pid = os.getpid()
        self.t0 = time.time()
        self._fh = (self.dir / f"requests-{self.pid}.csv").open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._fh)
        self._writer.writerow(FIELDS)

    def write(self, *row: object) -> None:
        if self._writer is not None:
            self._writer.writerow(row)

    def stop(self) -> None:
        if self._fh is None:
            return
        self._fh.close()
        self._fh, self._writer = None, None
        meta = {"pid": self.pid, "t0": self.t0, "t_end": time.time()}
        (self.dir / f"worker-{self.pid}.json").write_text(json.dumps(meta), encoding="utf-8")


def read_raw(raw_dir: str | Path) -> tuple[list[dict[str, str]], list[dict[str, float]]]:
    """All request rows and the worker metadata of a run."""
    raw = Path(raw_dir)
    rows: list[dict[str, str]] = []
    for path in sorted(raw.glob("requests-*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows.extend(csv.DictReader(fh))
    metas = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(raw.glob("worker-*.json"))]
    return rows, metas
