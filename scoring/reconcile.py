"""After a run: did every input row come out, once? Row counts per partition, and every input id.

Scoring writes one output row per input row by construction; this check reads what was actually
written, so a truncated copy, a partition overwritten by another job or a lost task shows up as a
failed run instead of a quietly incomplete archive.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from scoring.formats import FileFormat
from scoring.readers import open_source

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

SAMPLE = 10


@dataclass
class PartitionCount:
    partition: dict[str, Any]
    rows_in: int
    rows_out: int


@dataclass
class ReconcileReport:
    rows_in: int
    rows_out: int
    id_column: str | None = None
    partitions: list[PartitionCount] = field(default_factory=list)
    missing_ids: int = 0  # input ids with no output row (or fewer than in the input)
    missing_sample: list[Any] = field(default_factory=list)
    unexpected_ids: int = 0  # output rows whose id is not in the input, or appears too often
    unexpected_sample: list[Any] = field(default_factory=list)

    @property
    def bad_partitions(self) -> list[PartitionCount]:
        return [p for p in self.partitions if p.rows_in != p.rows_out]

    @property
    def ok(self) -> bool:
        return (
            self.rows_in == self.rows_out
            and not self.bad_partitions
            and not self.missing_ids
            and not self.unexpected_ids
        )

    def describe(self) -> str:
        lines = [
            f"reconcile: {'OK' if self.ok else 'FAILED'}: {self.rows_in} row(s) in, "
            f"{self.rows_out} out"
            + (f", {len(self.partitions)} partition(s)" if self.partitions else "")
            + ("" if self.id_column else " (no --id-column: ids not checked)")
        ]
        for p in self.bad_partitions[:SAMPLE]:
            lines.append(f"  partition {p.partition}: {p.rows_in} in, {p.rows_out} out")
        if self.missing_ids:
            lines.append(
                f"  {self.missing_ids} input id(s) without output, e.g. {self.missing_sample}"
            )
        if self.unexpected_ids:
            lines.append(
                f"  {self.unexpected_ids} output row(s) with an id not in the input or repeated, "
                f"e.g. {self.unexpected_sample}"
            )
        return "\n".join(lines)


# -- files (local engine): order is preserved, so ids are compared as two streams -------------


def _ids(path: Path, fmt: FileFormat, text_column: str, id_column: str, enc: str) -> Iterator[Any]:
    source = open_source(path, fmt, text_column, enc)
    for chunk in source.chunks(65536):
        column = chunk.table.column(id_column)
        if not pa.types.is_string(column.type):
            column = pc.cast(column, pa.string())  # the way the CSV writer renders values
        yield from column.to_pylist()


def reconcile_files(
    input_path: Path,
    input_format: FileFormat,
    output_path: Path,
    output_format: FileFormat,
    text_column: str,
    id_column: str | None,
    encoding: str = "utf-8",
) -> ReconcileReport:
    """Count both files and, with an id column, walk both id sequences side by side: an input
    id that is not next in the output is missing; output ids left over are unexpected."""
    rows_in = open_source(input_path, input_format, text_column, encoding).count_rows()
    rows_out = open_source(output_path, output_format, text_column, "utf-8").count_rows()
    report = ReconcileReport(rows_in, rows_out, id_column)
    if not id_column or not (rows_in or rows_out):
        return report
    outputs = _ids(output_path, output_format, text_column, id_column, "utf-8")
    pending = next(outputs, _END)
    for wanted in _ids(input_path, input_format, text_column, id_column, encoding):
        if pending is not _END and pending == wanted:
            pending = next(outputs, _END)
            continue
        report.missing_ids += 1
        if len(report.missing_sample) < SAMPLE:
            report.missing_sample.append(wanted)
    while pending is not _END:
        report.unexpected_ids += 1
        if len(report.unexpected_sample) < SAMPLE:
            report.unexpected_sample.append(pending)
        pending = next(outputs, _END)
    return report


_END = object()


# -- Spark: counts per partition and ids by join ----------------------------------------------


def reconcile_frames(
    source: DataFrame,
    output: DataFrame,
    id_column: str | None,
    partition_columns: Sequence[str] = (),
) -> ReconcileReport:
    """Compare the scored input with the output as read back from storage. Only the output
    partitions that the input covers are compared: other days in the same table are not ours."""
    from pyspark.sql import functions as F

    def counted(frame: DataFrame, keys: list[str], side: str) -> DataFrame:
        # Fresh column names on each side: source and output may share lineage, and a join
        # on same-lineage columns silently degenerates into `x = x`.
        return (
            frame.groupBy(*keys)
            .agg(F.count(F.lit(1)).alias(f"n_{side}"))
            .select(*[F.col(k).alias(f"{side}{i}") for i, k in enumerate(keys)], f"n_{side}")
        )

    def matched(keys: list[str]) -> Any:
        conds = [F.col(f"in{i}").eqNullSafe(F.col(f"out{i}")) for i in range(len(keys))]
        return functools.reduce(lambda a, b: a & b, conds)

    cols = list(partition_columns)
    if cols:
        covered = source.select(*[F.col(c).alias(f"in{i}") for i, c in enumerate(cols)]).distinct()
        output = output.select(
            *output.columns, *[F.col(c).alias(f"out{i}") for i, c in enumerate(cols)]
        )
        output = output.join(covered, matched(cols), "left_semi").drop(
            *[f"out{i}" for i in range(len(cols))]
        )
        joined = counted(source, cols, "in").join(
            counted(output, cols, "out"), matched(cols), "full"
        )
        rows = joined.select(
            *[F.coalesce(f"in{i}", f"out{i}").alias(c) for i, c in enumerate(cols)],
            F.coalesce("n_in", F.lit(0)).alias("rows_in"),
            F.coalesce("n_out", F.lit(0)).alias("rows_out"),
        ).collect()
        parts = [
            PartitionCount({c: r[c] for c in cols}, int(r["rows_in"]), int(r["rows_out"]))
            for r in rows
        ]
        report = ReconcileReport(
            sum(p.rows_in for p in parts), sum(p.rows_out for p in parts), id_column, parts
        )
    else:
        report = ReconcileReport(source.count(), output.count(), id_column)
    if id_column:
        keys = [id_column]
        both = (
            counted(source, keys, "in")
            .join(counted(output, keys, "out"), matched(keys), "full")
            .select(
                F.coalesce("in0", "out0").alias("id"),
                F.coalesce("n_in", F.lit(0)).alias("n_in"),
                F.coalesce("n_out", F.lit(0)).alias("n_out"),
            )
        )
        short = both.where("n_out < n_in")
        extra = both.where("n_out > n_in")
        stats = both.agg(
            F.sum(F.greatest(F.col("n_in") - F.col("n_out"), F.lit(0))).alias("missing"),
            F.sum(F.greatest(F.col("n_out") - F.col("n_in"), F.lit(0))).alias("unexpected"),
        ).first()
        report.missing_ids = int(stats["missing"] or 0) if stats else 0
        report.unexpected_ids = int(stats["unexpected"] or 0) if stats else 0
        if report.missing_ids:
            report.missing_sample = [r["id"] for r in short.limit(SAMPLE).collect()]
        if report.unexpected_ids:
            report.unexpected_sample = [r["id"] for r in extra.limit(SAMPLE).collect()]
    return report
