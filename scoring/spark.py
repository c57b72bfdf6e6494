"""Archive scoring as a Spark job: the same chunks, batches and results as the local engine.

Plan: number the input rows 0..n-1 in read order (one count per input partition, then an offset
per partition), cut them into chunks of `chunk_size` consecutive rows exactly as the local
engine does, shuffle whole chunks to scoring tasks and score each chunk with `mapInPandas`.
Inside a chunk the classifier sorts rows by token length into batches (`logits_in_order`), so
little compute goes to padding, and a chunk scores to the same numbers as locally (batch
composition moves INT8 results; see `scoring.scorer`). Each Python worker loads the model
once; the model directory travels with the job (`SparkContext.addFile`), and so does this code
(`addPyFile`), so executors need only the runtime dependencies (numpy, onnxruntime, tokenizers,
opencc, pyarrow, pandas) installed. The analysts' rules (`--rules`, `--rules-database`) are read
and validated on the driver and travel inside the task closure as their canonical JSON document;
each Python worker rebuilds the RuleSet once (`scoring.scorer.cached_ruleset`), as it loads the
model once.

The output is written idempotently: partitioned output with dynamic partition overwrite, so a
rerun of one day replaces that day and leaves the others; unpartitioned output is replaced.

spark-submit entry point (the package must be importable on the driver: installed, or zipped
with `--py-files`):

    spark-submit --master yarn --conf spark.task.cpus=1 scoring/submit.py \\
        --model /shared/models/default --input-table ods.sms --where "dt = '2024-05-01'" \\
        --output-table dws.sms_scored --partition-by dt --id-column id
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fanzha.modeldir import ModelDir, load_model_dir
from scoring.formats import FileFormat, ScoringError
from scoring.reconcile import ReconcileReport, reconcile_frames
from scoring.scorer import (
    RESULT_FIELDS,
    RESULT_NAMES,
    Rules,
    cached_classifier,
    load_rules,
    score_values,
)

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession

ROW, CHUNK, PART, MONO, OFFSET = "_fz_row", "_fz_chunk", "_fz_pid", "_fz_mid", "_fz_offset"


@dataclass(frozen=True)
class SparkOptions:
    model: Path
    output_format: FileFormat
    input: str | None = None
    input_table: str | None = None
    input_format: FileFormat | None = None
    output: str | None = None
    output_table: str | None = None
    where: str | None = None
    text_column: str = "text"
    id_column: str | None = None
    partition_by: tuple[str, ...] = ()
    chunk_size: int = 10_000
    batch_size: int = 64
    threads: int = 0  # intra-op threads per task; 0: spark.task.cpus
    partitions: int | None = None
    result_prefix: str = ""
    encoding: str = "utf-8"
    ship_model: bool = True
    reconcile: bool = True
    rules: Path | None = None  # analysts' rules file (read on the driver), applied after the model
    rules_database: str | None = None  # a service's database URL: its rules too
    sender_column: str | None = None  # sender numbers, for sender rules


@dataclass(frozen=True)
class SparkResult:
    rows: int
    model_version: str
    seconds: float
    reconcile: ReconcileReport | None


def spark_session(
    master: str | None = None, conf: dict[str, str] | None = None, app: str = "fanzha-score"
) -> SparkSession:
    from pyspark.sql import SparkSession

    launched_by_submit = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit owns the JVM
    local = master.startswith("local") if master else not launched_by_submit
    if local and not os.environ.get("PYSPARK_PYTHON"):
        # Local Python workers must run this interpreter (the one with our dependencies),
        # not whatever `python3` is first on PATH.
        os.environ["PYSPARK_PYTHON"] = sys.executable
    builder = SparkSession.builder.appName(app)
    if master:
        builder = builder.master(master)
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


# -- input --------------------------------------------------------------------------------


def _read_files(spark: SparkSession, path: str, fmt: FileFormat, encoding: str) -> DataFrame:
    if fmt.name in ("csv", "tsv"):
        # Every column as text, like the local engine; "" escapes a quote (RFC 4180).
        return spark.read.options(
            header=True, multiLine=True, escape='"', sep=fmt.delimiter, encoding=encoding
        ).csv(path)
    if fmt.name == "jsonl":
        return spark.read.option("encoding", encoding).json(path)
    return spark.read.parquet(path)


def read_input(spark: SparkSession, opts: SparkOptions) -> DataFrame:
    if opts.input_table:
        df = spark.table(opts.input_table)
    else:
        assert opts.input is not None
        fmt = opts.input_format or FileFormat("parquet")
        df = _read_files(spark, opts.input, fmt, opts.encoding)
    if opts.where:
        df = df.where(opts.where)
    _check_columns(df, opts)
    return df


def _check_columns(df: DataFrame, opts: SparkOptions) -> None:
    from pyspark.sql.types import NullType, StringType

    where = opts.input_table or opts.input
    names = df.columns
    if opts.text_column not in names:
        raise ScoringError(
            f"{where}: no column {opts.text_column!r}; its columns are {names}. "
            "Name the text column with --text-column"
        )
    text_type = df.schema[opts.text_column].dataType
    if not isinstance(text_type, StringType | NullType):
        raise ScoringError(f"{where}: column {opts.text_column!r} holds {text_type}, not text")
    clash = [opts.result_prefix + n for n in RESULT_NAMES if opts.result_prefix + n in names]
    if clash:
        raise ScoringError(
            f"{where} already has column(s) {clash}; pass --result-prefix to name results apart"
        )
    named = (opts.id_column, opts.sender_column)
    for column in (*opts.partition_by, *(c for c in named if c)):
        if column not in names:
            raise ScoringError(f"{where}: no column {column!r}; its columns are {names}")


def number_rows(df: DataFrame) -> tuple[DataFrame, int]:
    """Add a contiguous row number in read order (what a local run calls row i) without
    funnelling rows through one task: count each input partition, then offset it."""
    from pyspark.sql import functions as F

    spark = df.sparkSession
    tagged = df.withColumn(PART, F.spark_partition_id()).withColumn(
        MONO, F.monotonically_increasing_id()
    )
    counts = sorted((r[PART], r["count"]) for r in tagged.groupBy(PART).count().collect())
    offsets, total = [], 0
    for pid, count in counts:
        offsets.append((pid, total))
        total += count
    table = spark.createDataFrame(offsets or [(0, 0)], f"{PART} int, {OFFSET} long")
    # monotonically_increasing_id = partition id << 33 | row number within the partition
    numbered = tagged.join(F.broadcast(table), PART).withColumn(
        ROW, F.col(OFFSET) + F.col(MONO) - F.shiftleft(F.col(PART).cast("long"), 33)
    )
    return numbered.drop(PART, MONO, OFFSET), total


# -- scoring ------------------------------------------------------------------------------


def _result_struct(prefix: str) -> list[Any]:
    from pyspark.sql.types import BooleanType, DoubleType, StringType, StructField

    spark_type = {"string": StringType(), "bool": BooleanType(), "double": DoubleType()}
    return [
        StructField(prefix + name, spark_type[str(dtype)], True) for name, dtype, _ in RESULT_FIELDS
    ]


def _score_partition(
    batches: Iterator[pd.DataFrame],
    *,
    model: str,
    shipped: bool,
    threads: int,
    text_column: str,
    batch_size: int,
    prefix: str,
    rules: Rules | None = None,
    sender_column: str | None = None,
) -> Iterator[pd.DataFrame]:
    """Runs in the executors' Python workers: gather each chunk whole (rows arrive sorted by
    chunk, then row), score it as the local engine would, emit it."""
    import pandas as pd
    from pyspark import SparkFiles

    classifier = cached_classifier(SparkFiles.get(model) if shipped else model, threads, False)
    ruleset = rules.ruleset() if rules is not None else None

    def values(column: pd.Series) -> list[object]:
        # pandas marks a missing string as NaN or None depending on version; both are null.
        return [None if missing else v for v, missing in zip(column, column.isna(), strict=True)]

    def scored(parts: list[pd.DataFrame]) -> pd.DataFrame:
        frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        texts = values(frame[text_column])
        senders = values(frame[sender_column]) if sender_column else None
        results = score_values(classifier, texts, batch_size, ruleset, senders)
        out = frame.drop(columns=[ROW, CHUNK])
        for name in RESULT_NAMES:
            out[prefix + name] = pd.Series(results[name], dtype=object, index=out.index)
        return out

    pending: list[pd.DataFrame] = []
    current = None
    for frame in batches:
        if frame.empty:
            continue
        chunks = frame[CHUNK].to_numpy()
        starts = [0, *(i for i in range(1, len(chunks)) if chunks[i] != chunks[i - 1])]
        for begin, end in zip(starts, [*starts[1:], len(chunks)], strict=True):
            piece = frame.iloc[begin:end]
            if pending and chunks[begin] != current:
                yield scored(pending)
                pending = []
            pending.append(piece)
            current = chunks[begin]
    if pending:
        yield scored(pending)


def _stage(source: Path, root: str, name: str) -> Path:
    """A copy under a name that identifies its content: SparkContext refuses a second file of
    the same name from another path, and the same content need not be shipped twice."""
    target = Path(tempfile.gettempdir()) / root / name
    if not target.exists():
        tmp = target.with_name(target.name + f".tmp{time.time_ns()}")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, tmp)
        else:
            shutil.copyfile(source, tmp)
        tmp.rename(target)
    return target


def ship_code(spark: SparkSession) -> None:
    """Zip the fanzha and scoring packages this driver runs and add them to the job, so
    executors run the same code without installing it."""
    import fanzha
    import scoring

    roots = [Path(fanzha.__file__).parent, Path(scoring.__file__).parent]
    files = sorted((f, root) for root in roots for f in root.rglob("*.py"))
    digest = hashlib.sha256()
    for f, _ in files:
        digest.update(str(f).encode() + f.read_bytes())
    target = Path(tempfile.gettempdir()) / "fanzha-spark" / f"fanzha-{digest.hexdigest()[:16]}.zip"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".tmp{time.time_ns()}")
        with zipfile.ZipFile(tmp, "w") as zf:
            for f, root in files:
                zf.write(f, f.relative_to(root.parent))
        tmp.rename(target)
    spark.sparkContext.addPyFile(str(target))


def ship_model(spark: SparkSession, model: ModelDir) -> str:
    checksums = "".join(sorted(model.card.get("checksums", {}).values()))
    name = f"fanzha-model-{hashlib.sha256(checksums.encode()).hexdigest()[:16]}"
    staged = _stage(model.path, "fanzha-spark", name)
    spark.sparkContext.addFile(str(staged), recursive=True)
    return name


def score_frame(
    df: DataFrame, opts: SparkOptions, model: ModelDir, rules: Rules | None = None
) -> tuple[DataFrame, int]:
    """The scored DataFrame (lazy) and the number of input rows."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructType

    spark = df.sparkSession
    numbered, total = number_rows(df)
    chunked = numbered.withColumn(CHUNK, F.floor(F.col(ROW) / F.lit(opts.chunk_size)))
    n_chunks = max(1, -(-total // opts.chunk_size))
    tasks = opts.partitions or min(n_chunks, 4 * spark.sparkContext.defaultParallelism)
    ordered = chunked.repartition(tasks, CHUNK).sortWithinPartitions(CHUNK, ROW)
    if opts.ship_model:
        ref, shipped = ship_model(spark, model), True
    else:
        ref, shipped = str(model.path.resolve()), False
    ship_code(spark)
    threads = opts.threads or int(spark.sparkContext.getConf().get("spark.task.cpus", "1"))
    fn = functools.partial(
        _score_partition,
        model=ref,
        shipped=shipped,
        threads=threads,
        text_column=opts.text_column,
        batch_size=opts.batch_size,
        prefix=opts.result_prefix,
        rules=rules,
        sender_column=opts.sender_column,
    )
    schema = StructType(list(df.schema.fields) + _result_struct(opts.result_prefix))
    return ordered.mapInPandas(fn, schema), total


# -- output -------------------------------------------------------------------------------


def write_output(spark: SparkSession, scored: DataFrame, opts: SparkOptions) -> None:
    fmt = opts.output_format
    spark_format = {"csv": "csv", "tsv": "csv", "jsonl": "json", "parquet": "parquet"}[fmt.name]
    writer = scored.write.mode("overwrite").format(spark_format)
    if spark_format == "csv":
        writer = writer.options(header=True, sep=fmt.delimiter, escape='"')
    if fmt.gzip:
        writer = writer.option("compression", "gzip")
    if opts.output_table and spark.catalog.tableExists(opts.output_table):
        # insertInto matches columns by position: put ours in the table's order.
        columns = spark.table(opts.output_table).columns
        missing = sorted(set(columns) - set(scored.columns))
        if missing:
            raise ScoringError(f"{opts.output_table} expects column(s) {missing} this job lacks")
        key = "spark.sql.sources.partitionOverwriteMode"
        before = spark.conf.get(key, "static")
        spark.conf.set(key, "dynamic")
        try:
            scored.select(*columns).write.insertInto(opts.output_table, overwrite=True)
        finally:
            spark.conf.set(key, before or "static")
        return
    writer = writer.option("partitionOverwriteMode", "dynamic")
    if opts.partition_by:
        writer = writer.partitionBy(*opts.partition_by)
    if opts.output_table:
        writer.saveAsTable(opts.output_table)
    else:
        writer.save(opts.output)


def read_output(spark: SparkSession, opts: SparkOptions) -> DataFrame:
    if opts.output_table:
        return spark.table(opts.output_table)
    assert opts.output is not None
    return _read_files(spark, opts.output, opts.output_format, "utf-8")


def run_spark(
    opts: SparkOptions,
    master: str | None = None,
    conf: dict[str, str] | None = None,
    spark: SparkSession | None = None,
) -> SparkResult:
    started = time.perf_counter()
    if opts.chunk_size < 1 or opts.batch_size < 1:
        raise ScoringError("--chunk-size and --batch-size must be at least 1")
    model = load_model_dir(opts.model)
    rules = load_rules(opts.rules, opts.sender_column, opts.rules_database)
    spark = spark or spark_session(master, conf)
    source = read_input(spark, opts)
    scored, total = score_frame(source, opts, model, rules)
    write_output(spark, scored, opts)
    report = None
    if opts.reconcile:
        report = reconcile_frames(
            read_input(spark, opts), read_output(spark, opts), opts.id_column, opts.partition_by
        )
    return SparkResult(total, model.version, time.perf_counter() - started, report)
