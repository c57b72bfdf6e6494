"""What share of archive scoring the normaliser costs (issue target: at most 10%).

Scores a Parquet archive with `fanzha score` (one process, end to end) in a child process, and
compares the child's CPU time and wall time with the time `fanzha.normalize.normalize` takes
over the same texts in this process (the call scoring makes once per message). Both shares are
printed: of CPU (the fair one on a shared machine) and of wall time.

    python scripts/measure_normalize_share.py --model models/default \
        --archive /tmp/fanzha-bench-scoring/archive_20000.parquet
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fanzha.normalize import normalize  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="models/default")
    parser.add_argument("--archive", required=True, type=Path, help="Parquet with a text column")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    texts = [t for t in pq.read_table(args.archive, columns=["text"])["text"].to_pylist() if t]
    norm_cpu = min(_cpu_of(lambda: [normalize(t) for t in texts]) for _ in range(args.repeat))

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "scored.parquet"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        cmd = [sys.executable, "-m", "fanzha.cli", "score", "--model", args.model]
        cmd += ["--input", str(args.archive), "--output", str(out), "--no-progress"]
        subprocess.run(cmd, check=True, cwd=REPO)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    score_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    n = len(texts)
    mean_chars = sum(map(len, texts)) / n
    print(f"{n} messages, mean {mean_chars:.0f} characters, model {args.model}")
    print(f"normalize():        {norm_cpu:.2f} s CPU ({norm_cpu / n * 1e6:.0f} µs per message)")
    print(f"fanzha score:       {score_cpu:.2f} s CPU, {wall:.2f} s wall ({n / wall:.0f} msgs/s)")
    print(f"normaliser share:   {norm_cpu / score_cpu:.1%} of CPU, {norm_cpu / wall:.1%} of wall")


def _cpu_of(work: Callable[[], object]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


if __name__ == "__main__":
    main()
