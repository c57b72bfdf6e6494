"""Once a second during a run: the machine's load average, the CPU and memory of the service's
process tree, and the CPU of every load-generator process.

This is how a run checks that the generator was not the bottleneck: a Locust process is one
Python interpreter, so near 100% of a core it can no longer send on time.
"""

from __future__ import annotations

import contextlib
import csv
import os
import threading
import time
from pathlib import Path

import psutil

FIELDS = ("t", "load1", "service_cpu", "service_rss_mb", "generator_cpu", "generator_max_cpu")


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


class Monitor:
    def __init__(self, out: Path, service_pid: int | None, interval: float = 1.0) -> None:
        self.out = out
        self.service_pid = service_pid
        self.generator_pid: int | None = None
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loadtest-monitor", daemon=True)
        self._known: dict[int, psutil.Process] = {}

    def start(self) -> Monitor:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _cpu(self, procs: list[psutil.Process]) -> list[float]:
        """CPU % (of one core) per process since the previous sample; first sight counts 0."""
        values = []
        for proc in procs:
            known = self._known.setdefault(proc.pid, proc)
            try:
                values.append(known.cpu_percent(None))
            except psutil.NoSuchProcess:
                self._known.pop(proc.pid, None)
        return values

    def _run(self) -> None:
        with self.out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(FIELDS)
            while not self._stop.wait(self.interval):
                service = _tree(self.service_pid) if self.service_pid else []
                generator = _tree(self.generator_pid) if self.generator_pid else []
                service_cpu = self._cpu(service)
                rss = 0.0
                for proc in service:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        rss += proc.memory_info().rss / 2**20
                generator_cpu = self._cpu(generator)
                writer.writerow(
                    (
                        f"{time.time():.3f}",
                        f"{os.getloadavg()[0]:.2f}",
                        f"{sum(service_cpu):.1f}",
                        f"{rss:.1f}",
                        f"{sum(generator_cpu):.1f}",
                        f"{max(generator_cpu, default=0.0):.1f}",
                    )
                )
                fh.flush()


def read_samples(path: Path) -> list[dict[str, float]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(fh)]
