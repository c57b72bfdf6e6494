"""Labelled data in: CSV / JSONL / Parquet files through `datasets`, validated row by row.

Analysts bring files labelled the way their centre labels them, so labels may be slugs or
official Chinese aliases. Nothing is silently dropped: a row with an unknown label, an empty
text or a non-text value is an error naming the file, the row and the value.
"""

from __future__ import annotations

import logging
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fanzha.errors import UserError
from fanzha.taxonomy import SLUGS, UnknownLabelError, to_slug

log = logging.getLogger(__name__)

BUILDERS = {".csv": "csv", ".tsv": "csv", ".jsonl": "json", ".json": "json", ".parquet": "parquet"}
MAX_REPORTED_ERRORS = 20


class DataError(UserError):
    """Bad training or evaluation data; the message names file, row and value."""


@dataclass
class Labelled:
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # "file:row" for every example

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: Sequence[int]) -> Labelled:
        return Labelled(
            [self.texts[i] for i in indices],
            [self.labels[i] for i in indices],
            [self.sources[i] for i in indices],
        )

    def label_counts(self) -> dict[str, int]:
        counts = Counter(self.labels)
        return {slug: counts[slug] for slug in SLUGS if counts[slug]}


def _builder(path: Path) -> str:
    builder = BUILDERS.get(path.suffix.lower())
    if builder is None:
        raise DataError(
            f"{path}: unsupported file type {path.suffix!r}; use .csv, .tsv, .jsonl or .parquet"
        )
    return builder


def read_table(path: Path, columns: Sequence[str]) -> dict[str, list[object]]:
    """Read the named columns of one file; a missing column is an error listing those there."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    import datasets  # heavy import: only where data is actually read

    builder = _builder(path)
    kwargs: dict[str, object] = {}
    if path.suffix.lower() == ".tsv":
        kwargs["sep"] = "\t"
    if builder == "csv":
        # keep every value as written: "0" must stay a label, ids must keep leading zeros
        header = _csv_header(path, str(kwargs.get("sep", ",")))
        kwargs["features"] = datasets.Features({c: datasets.Value("string") for c in header})
        kwargs["keep_default_na"] = False
    datasets.disable_progress_bars()
    try:
        table = datasets.load_dataset(
            builder, data_files=str(path), split="train", keep_in_memory=True, **kwargs
        )
    except Exception as exc:  # datasets wraps parser errors in many types
        raise DataError(f"{path}: cannot be read as {builder}: {exc}") from exc
    finally:
        datasets.enable_progress_bars()
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise DataError(
            f"{path}: no column {', '.join(map(repr, missing))}; its columns are "
            f"{table.column_names}. Name the right ones with --text-column / --label-column"
        )
    return {c: table[c] for c in columns}


def _csv_header(path: Path, sep: str) -> list[str]:
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        try:
            return next(csv.reader(fh, delimiter=sep))
        except StopIteration:
            raise DataError(f"{path}: the file is empty; it needs a header row") from None
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: not UTF-8 text ({exc}); re-save it as UTF-8") from exc


def load_labelled(
    paths: Sequence[str | Path], text_column: str = "text", label_column: str = "label"
) -> Labelled:
    """Load and validate every file; collect all bad rows so they can be fixed in one pass."""
    if not paths:
        raise DataError("no data files given; pass at least one --data FILE")
    data = Labelled()
    errors: list[str] = []
    for raw_path in paths:
        path = Path(raw_path)
        table = read_table(path, (text_column, label_column))
        for row, (text, label) in enumerate(
            zip(table[text_column], table[label_column], strict=True), start=1
        ):
            where = f"{path} row {row}"
            if not isinstance(text, str):
                errors.append(f"{where}: {text_column!r} is {text!r}, not text")
                continue
            if not text.strip():
                errors.append(f"{where}: {text_column!r} is empty")
                continue
            try:
                slug = to_slug(label)
            except UnknownLabelError as exc:
                errors.append(f"{where}: {exc}")
                continue
            data.texts.append(text)
            data.labels.append(slug)
            data.sources.append(f"{path.name}:{row}")
    if errors:
        shown = "\n  ".join(errors[:MAX_REPORTED_ERRORS])
        more = len(errors) - MAX_REPORTED_ERRORS
        tail = f"\n  ... and {more} more" if more > 0 else ""
        raise DataError(f"{len(errors)} bad row(s); fix them and run again:\n  {shown}{tail}")
    return data


@dataclass(frozen=True)
class Split:
    train: Labelled
    validation: Labelled
    test: Labelled


def stratified_split(
    data: Labelled, validation: float = 0.1, test: float = 0.1, seed: int = 13
) -> Split:
    """Seeded split per label. Identical texts always land in the same part, so duplicates
    cannot leak from training into the figures we report."""
    if not 0 <= validation < 1 or not 0 <= test < 1 or validation + test >= 1:
        raise DataError("validation and test fractions must be in [0, 1) and sum to less than 1")
    rows_of: dict[str, list[int]] = defaultdict(list)
    for i, text in enumerate(data.texts):
        rows_of[text].append(i)
    by_label: dict[str, list[str]] = defaultdict(list)
    for text, rows in rows_of.items():  # stratify each text by the label it first appears with
        by_label[data.labels[rows[0]]].append(text)
    rng = random.Random(seed)
    parts: tuple[list[int], list[int], list[int]] = ([], [], [])
    for label in SLUGS:
        if label not in by_label:
            continue
        texts = sorted(by_label[label])
        rng.shuffle(texts)
        n = len(texts)
        n_val = round(n * validation) if n >= 3 else 0
        n_test = round(n * test) if n >= 3 else 0
        if validation and n >= 3:
            n_val = max(n_val, 1)
        if test and n >= 3:
            n_test = max(n_test, 1)
        if n < 3:
            log.warning("label %s has only %d distinct text(s): all used for training", label, n)
        for k, text in enumerate(texts):
            part = 1 if k < n_val else 2 if k < n_val + n_test else 0
            parts[part].extend(rows_of[text])
    for indices in parts:
        indices.sort()
    return Split(*(data.subset(indices) for indices in parts))


def write_records(path: str | Path, records: Sequence[dict[str, str]]) -> None:
    """Write records as JSONL, CSV or Parquet, chosen by the file extension."""
    import pandas as pd

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame.from_records(list(records))
    suffix = out.suffix.lower()
    if suffix == ".jsonl":
        frame.to_json(out, orient="records", lines=True, force_ascii=False)
    elif suffix == ".csv":
        frame.to_csv(out, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(out, index=False)
    else:
        raise DataError(f"{out}: unsupported output type {suffix!r}; use .jsonl, .csv or .parquet")
