"""`fanzha feedback`: analysts' corrections out of the database, as training data.

    fanzha feedback export --out feedback.jsonl            # the data contract: text, label, ...
    fanzha train --data corpus.jsonl --data feedback.jsonl --out models/next
    fanzha feedback stats                                  # how many, per label, disputed

The database is FANZHA_DATABASE_URL (as for `fanzha serve`) unless --database-url says otherwise.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from service.settings import Settings, env_name

COLUMNS = (
    "text",
    "label",
    "note",
    "analyst",
    "submissions",
    "disputed",
    "served_label",
    "model_version",
    "updated_at",
)
FORMATS = (".jsonl", ".csv", ".parquet")


class ExportError(Exception):
    """Something the user can fix; printed without a traceback."""


def default_url() -> str:
    default = Settings.model_fields["database_url"].default.get_secret_value()
    return os.environ.get(env_name("database_url"), default)


def open_store(url: str) -> Any:
    from service.feedback.db import Database, DatabaseUrlError, parse_url
    from service.feedback.store import FeedbackStore

    try:
        parsed = parse_url(url)
    except DatabaseUrlError as exc:
        raise ExportError(f"--database-url: {exc}") from None
    if parsed.get_backend_name() == "sqlite" and not Path(str(parsed.database)).is_file():
        raise ExportError(
            f"no feedback database at {parsed.database}; pass --database-url or set "
            f"{env_name('database_url')} to the one the service uses"
        )
    db = Database(url)
    if not db.open():
        raise ExportError(f"cannot open the database {db.description}: {db.error}")
    return FeedbackStore(db)


def _since(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ExportError(f"--since {value!r}: use a date such as 2024-05-01") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _rows(rows: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for row in rows:
        yield {name: row.get(name) for name in COLUMNS}


def write_rows(path: Path, rows: Iterable[dict[str, Any]]) -> Counter[str]:
    """Write atomically (a temporary file renamed into place), so a crash never leaves half
    a training file where `fanzha train` would read it. Returns the count per label."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ExportError(f"--out {path}: use one of {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    labels: Counter[str] = Counter()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            if suffix == ".jsonl":
                for row in _rows(rows):
                    labels[row["label"]] += 1
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            elif suffix == ".csv":
                writer = csv.DictWriter(fh, fieldnames=COLUMNS)
                writer.writeheader()
                for row in _rows(rows):
                    labels[row["label"]] += 1
                    writer.writerow({k: "" if v is None else v for k, v in row.items()})
        if suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = list(_rows(rows))
            labels.update(row["label"] for row in table)
            pq.write_table(pa.Table.from_pylist(table), tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return labels


def cmd_export(args: argparse.Namespace) -> int:
    store = open_store(args.database_url)
    rows = store.rows(_since(args.since), include_disputed=not args.exclude_disputed)
    labels = write_rows(Path(args.out), rows)
    total = sum(labels.values())
    summary = ", ".join(f"{label} {n}" for label, n in labels.most_common())
    print(f"wrote {total} correction(s) to {args.out}" + (f" ({summary})" if total else ""))
    if total:
        print(
            f"retrain with: fanzha train --data YOUR_CORPUS --data {args.out} --out NEW_MODEL_DIR"
        )
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    store = open_store(args.database_url)
    counts = store.label_counts()
    disputed = sum(1 for row in store.rows() if row["disputed"])
    print(f"{sum(counts.values())} corrected message(s), {disputed} disputed")
    for label, n in sorted(counts.items(), key=lambda item: -item[1]):
        print(f"  {label:30s}{n:7d}")
    return 0


def build_parser(prog: str) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--database-url",
        default=default_url(),
        help=f"SQLAlchemy URL of the feedback database [{env_name('database_url')}]",
    )
    parser = argparse.ArgumentParser(prog=prog, description="analysts' corrections (feedback)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("export", parents=[common], help="write the corrections as training data")
    p.add_argument("--out", required=True, help="output file: .jsonl, .csv or .parquet")
    p.add_argument("--since", help="only corrections updated on or after this date (ISO)")
    p.add_argument(
        "--exclude-disputed",
        action="store_true",
        help="leave out texts that analysts gave different labels",
    )
    p.set_defaults(handler=cmd_export)
    p = sub.add_parser("stats", parents=[common], help="count the corrections per label")
    p.set_defaults(handler=cmd_stats)
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "fanzha feedback") -> int:
    args = build_parser(prog).parse_args(list(argv or []))
    try:
        return int(args.handler(args))
    except ExportError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:], "python -m service.feedback_cli"))
