"""`fanzha score`: score an archive with a model directory, on this machine or on Spark.

Exit status: 0 done and reconciled; 2 bad input or settings (the message says what to change);
3 written but reconciliation failed; 130 interrupted (run the same command again to resume).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from fanzha.errors import USER_ERRORS
from scoring.formats import FileFormat, resolve_format

if TYPE_CHECKING:
    from scoring.reconcile import ReconcileReport

EXAMPLES = """\
examples:
  fanzha score --model models/default --input sms.csv --output scored.parquet
  fanzha score --model models/default --input month.jsonl --output out.jsonl --workers 2
  fanzha score --model models/default --input sms.csv --output scored.csv \\
      --rules rules/example.yaml --sender-column sender
  fanzha score --model models/default --input sms.csv --output scored.csv \\
      --rules-database sqlite:///var/fanzha.sqlite3 --sender-column sender
  fanzha score --engine spark --master 'local[2]' --model models/default \\
      --input archive/ --input-format parquet --output scored/ --partition-by dt --id-column id
  fanzha score --engine spark --model models/default --input-table ods.sms \\
      --where "dt = '2024-05-01'" --output-table dws.sms_scored --partition-by dt --id-column id
"""


def build_parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Score an archive of messages: every input row comes out once, with the "
        "input columns kept and result columns added.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--model", required=True, help="model directory written by `fanzha train`")
    p.add_argument("--input", help="CSV/TSV/JSONL/Parquet file (Spark: also a directory or glob)")
    p.add_argument("--output", help="output file (Spark: a directory)")
    p.add_argument("--format", help="format of input and output: csv, tsv, jsonl or parquet")
    p.add_argument("--input-format", help="input format when the extension does not say")
    p.add_argument("--output-format", help="output format when the extension does not say")
    p.add_argument("--text-column", default="text", help="column holding the message text")
    p.add_argument("--id-column", help="unique row id: reconciliation checks each one came out")
    p.add_argument("--result-prefix", default="", help="prefix for the added result columns")
    p.add_argument(
        "--rules",
        type=Path,
        metavar="FILE",
        help="analysts' rules (YAML/JSON, the format of `fanzha serve --rules-file`, e.g. "
        "rules/example.yaml) applied after the model exactly as the service applies them; the "
        "`rules` column lists each row's hits ([] if none; null without rules)",
    )
    p.add_argument(
        "--rules-database",
        metavar="URL",
        help="also apply the rules a service keeps in its database (its FANZHA_DATABASE_URL, "
        "e.g. sqlite:///var/fanzha.sqlite3), after the --rules file's, as the service orders "
        "them; read only",
    )
    p.add_argument(
        "--sender-column",
        metavar="NAME",
        help="column holding the sender number, for --rules that match on the sender "
        "(without it those rules match no row)",
    )
    p.add_argument("--encoding", default="utf-8", help="text encoding of CSV/JSONL input")
    p.add_argument(
        "--chunk-size", type=int, default=10_000, help="rows per chunk (and resume step)"
    )
    p.add_argument("--batch-size", type=int, default=64, help="messages per model call")
    p.add_argument("--threads", type=int, default=0, help="intra-op threads per worker (0: auto)")
    p.add_argument(
        "--reconcile",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="check row counts and ids of the written output (default: on)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    p.add_argument("--engine", choices=("local", "spark"), default="local")

    local = p.add_argument_group("local engine")
    local.add_argument("--workers", type=int, default=1, help="scoring processes (default 1)")
    local.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep per-chunk checkpoints and continue an interrupted run (default: on)",
    )
    local.add_argument("--overwrite", action="store_true", help="replace an existing output")
    local.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar (default: when stderr is a terminal)",
    )

    spark = p.add_argument_group("spark engine")
    spark.add_argument("--master", help="Spark master (default: from spark-submit or local[*])")
    spark.add_argument("--input-table", help="read this Hive/catalog table instead of --input")
    spark.add_argument("--where", help="SQL filter on the input, e.g. \"dt = '2024-05-01'\"")
    spark.add_argument("--output-table", help="write into this catalog table instead of --output")
    spark.add_argument(
        "--partition-by",
        action="append",
        default=[],
        metavar="COLUMN",
        help="partition the output by this column (repeatable); a rerun replaces only the "
        "partitions it writes",
    )
    spark.add_argument("--partitions", type=int, help="scoring tasks (default: from the data)")
    spark.add_argument(
        "--ship-model",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="send the model directory to executors with the job; --no-ship-model when it "
        "is already at the same path on every node",
    )
    spark.add_argument(
        "--spark-conf", action="append", default=[], metavar="KEY=VALUE", help="extra Spark conf"
    )
    return p


def _format(
    path: str | None, specific: str | None, shared: str | None, default: str | None
) -> FileFormat:
    flag = specific or shared
    if path and not flag and default and not Path(path).suffix:
        flag = default  # Spark directories carry no extension
    return resolve_format(path or "", flag)


def run_local_cli(args: argparse.Namespace) -> int:
    from scoring.local import LocalOptions, run_local

    if not args.input or not args.output:
        raise _usage("the local engine needs --input FILE and --output FILE")
    if args.input_table or args.output_table:
        raise _usage("--input-table / --output-table need --engine spark")
    opts = LocalOptions(
        model=Path(args.model),
        input=Path(args.input),
        output=Path(args.output),
        input_format=_format(args.input, args.input_format, args.format, None),
        output_format=_format(args.output, args.output_format, args.format, None),
        text_column=args.text_column,
        id_column=args.id_column,
        workers=args.workers,
        chunk_size=args.chunk_size,
        batch_size=args.batch_size,
        threads=args.threads,
        resume=args.resume,
        overwrite=args.overwrite,
        encoding=args.encoding,
        result_prefix=args.result_prefix,
        progress=args.progress,
        reconcile=args.reconcile,
        rules=args.rules,
        rules_database=args.rules_database,
        sender_column=args.sender_column,
    )
    summary = run_local(opts)
    resumed = (
        f" (resumed: {summary.resumed_chunks} chunk(s) from checkpoints, {summary.scored} rows "
        "scored now)"
        if summary.resumed_chunks
        else ""
    )
    print(
        f"scored {summary.rows} row(s) into {opts.output} with model {summary.model_version}"
        f"{resumed}: {summary.errors} unscorable row(s) (see the error column), "
        f"{summary.seconds:.1f} s, {summary.rate:.0f} msgs/s"
    )
    return _exit_status(summary.reconcile)


def run_spark_cli(args: argparse.Namespace) -> int:
    from scoring.spark import SparkOptions, run_spark

    if args.workers != 1:
        raise _usage("--workers is for the local engine; Spark parallelism comes from the cluster")
    if not (args.input or args.input_table) or not (args.output or args.output_table):
        raise _usage(
            "the Spark engine needs --input or --input-table, and --output or --output-table"
        )
    opts = SparkOptions(
        model=Path(args.model),
        input=args.input,
        input_table=args.input_table,
        input_format=None
        if args.input_table
        else _format(args.input, args.input_format, args.format, "parquet"),
        output=args.output,
        output_table=args.output_table,
        output_format=_format(args.output or "", args.output_format, args.format, "parquet"),
        where=args.where,
        text_column=args.text_column,
        id_column=args.id_column,
        partition_by=tuple(c for value in args.partition_by for c in value.split(",") if c),
        chunk_size=args.chunk_size,
        batch_size=args.batch_size,
        threads=args.threads,
        partitions=args.partitions,
        result_prefix=args.result_prefix,
        encoding=args.encoding,
        ship_model=args.ship_model,
        reconcile=args.reconcile,
        rules=args.rules,
        rules_database=args.rules_database,
        sender_column=args.sender_column,
    )
    conf = dict(_key_value(item) for item in args.spark_conf)
    result = run_spark(opts, master=args.master, conf=conf)
    print(
        f"scored {result.rows} row(s) into {opts.output or opts.output_table} "
        f"with model {result.model_version} in {result.seconds:.1f} s"
    )
    return _exit_status(result.reconcile)


def _exit_status(reconcile: ReconcileReport | None) -> int:
    """0, or 3 when reconciliation found missing or extra rows (the report is printed)."""
    if reconcile is None:
        return 0
    print(reconcile.describe())
    return 0 if reconcile.ok else 3


class _UsageError(Exception):
    pass


def _usage(message: str) -> _UsageError:
    return _UsageError(message)


def _key_value(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise _usage(f"--spark-conf takes KEY=VALUE, not {item!r}")
    return key.strip(), value.strip()


def main(argv: list[str], prog: str = "fanzha score") -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.DEBUG if args.verbose else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        logging.getLogger("py4j").setLevel(logging.WARNING)  # one line per Spark call otherwise
    try:
        return run_spark_cli(args) if args.engine == "spark" else run_local_cli(args)
    except _UsageError as exc:
        parser.error(str(exc))  # exits with status 2 and the usage line
    except USER_ERRORS as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    return 0
