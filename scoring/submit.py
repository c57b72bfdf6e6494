"""`spark-submit` entry point: `spark-submit [spark options] scoring/submit.py [score options]`.

The same flags as `fanzha score`, with `--engine spark` implied; the master and resources come
from spark-submit. The fanzha package must be importable on the driver (installed, or zipped
and passed with `--py-files`); executors receive the code and the model with the job.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    from scoring.cli import main

    raise SystemExit(main(["--engine", "spark", *sys.argv[1:]], prog="scoring/submit.py"))
