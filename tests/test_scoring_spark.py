"""The Spark engine in local mode: same results as the local engine, idempotent reruns,
table input and output, and a reconciliation that notices what is missing."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from scoring.cli import main
from scoring.formats import FileFormat
from scoring.reconcile import reconcile_frames
from scoring.spark import SparkOptions, run_spark, spark_session
from tests.conftest import tiny_records
from tests.test_scoring_local import BLOCKED, RULES_YAML, service_database

pytest.importorskip("pyspark")
# pyspark 4.3 warns that it does not fully support pandas 3; the tests below pass on it.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")

N = 300
DAYS = ("2024-05-01", "2024-05-02", "2024-05-03")


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    warehouse = tmp_path_factory.mktemp("warehouse")
    session = spark_session(
        "local[2]",
        {
            "spark.sql.shuffle.partitions": "4",
            "spark.default.parallelism": "2",
            "spark.ui.enabled": "false",
            "spark.sql.warehouse.dir": str(warehouse),
        },
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    texts = [r["text"] for r in tiny_records(per_label=N // 4, seed=21)]
    out = [
        {"id": f"s{i:05d}", "dt": DAYS[i % 3], "text": t, "sender": f"138{i:08d}"}
        for i, t in enumerate(texts)
    ]
    for i in range(2, N, 7):
        out[i]["sender"] = BLOCKED  # for the sender rule
    out[5]["text"] = ""  # an empty CSV field: null to both engines
    out[77]["text"] = "   "
    return out


@pytest.fixture(scope="module")
def archive(rows: list[dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spark_in") / "sms.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, ["id", "dt", "text", "sender"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def spark_options(model: Path, **kwargs: object) -> SparkOptions:
    defaults: dict[str, object] = {
        "output_format": FileFormat("parquet"),
        "input_format": FileFormat("csv"),
        "id_column": "id",
        "partition_by": ("dt",),
        "chunk_size": 40,
    }
    return SparkOptions(model=model, **(defaults | kwargs))  # type: ignore[arg-type]


def read_dir(path: Path) -> list[dict[str, object]]:
    return ds.dataset(path, format="parquet", partitioning="hive").to_table().to_pylist()


def test_spark_gives_the_local_engines_results(
    spark: object, tiny_model_dir: Path, archive: Path, tmp_path: Path
):
    """With the analysts' rules too: they reach the executors and decide the same rows."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES_YAML, "utf-8")
    local_out = tmp_path / "local.parquet"
    common = ["--model", str(tiny_model_dir), "--input", str(archive), "--chunk-size", "40"]
    common += ["--rules", str(rules), "--sender-column", "sender"]
    assert main([*common, "--output", str(local_out), "--id-column", "id"]) == 0
    spark_out = tmp_path / "spark"
    spark_args = ["--engine", "spark", "--output", str(spark_out), "--partition-by", "dt"]
    assert main([*common, *spark_args, "--id-column", "id", "--input-format", "csv"]) == 0

    local = {r["id"]: r for r in pq.read_table(local_out).to_pylist()}
    remote = {r["id"]: r for r in read_dir(spark_out)}
    assert remote.keys() == local.keys()
    fired: Counter[str] = Counter()
    for key, want in local.items():
        got = remote[key]
        assert got["label"] == want["label"], key
        assert got["suggestion"] == want["suggestion"], key
        assert got["dt"] == want["dt"] and got["text"] == want["text"]
        if want["error"] is None:
            assert got["error"] is None
            assert abs(got["risk"] - want["risk"]) <= 1e-6, key
            assert got["scores"] == want["scores"] and got["indicators"] == want["indicators"]
            assert got["rules"] == want["rules"], key
            fired.update(hit["id"] for hit in json.loads(want["rules"]))
        else:
            assert got["error"] and got["risk"] is None and got["label"] is None
            assert got["rules"] is None and want["rules"] is None
    assert fired["parcel-station"] and fired["blocked-number"] == len(range(2, N, 7)), fired


def test_spark_applies_the_service_databases_rules(
    spark: object, tiny_model_dir: Path, archive: Path, tmp_path: Path
):
    """Database rules travel to the executors with the file's and keep their source."""
    keyword = {
        "id": "parcel-station",
        "kind": "keyword",
        "keywords": ["驿站"],
        "label": "impersonate_customer_service",
        "suggestion": "review",
        "reason": "测试：驿站取件话术",
    }
    url = service_database(tmp_path / "feedback.sqlite3", [keyword])
    common = ["--model", str(tiny_model_dir), "--input", str(archive), "--chunk-size", "40"]
    common += ["--rules-database", url, "--sender-column", "sender", "--id-column", "id"]
    local_out, spark_out = tmp_path / "local.parquet", tmp_path / "spark"
    assert main([*common, "--output", str(local_out)]) == 0
    assert (
        main([*common, "--engine", "spark", "--output", str(spark_out), "--input-format", "csv"])
        == 0
    )
    local = {r["id"]: r["rules"] for r in pq.read_table(local_out).to_pylist()}
    remote = {r["id"]: r["rules"] for r in read_dir(spark_out)}
    assert remote == local
    hits = [hit for rules in local.values() if rules for hit in json.loads(rules)]
    assert hits and {(hit["id"], hit["source"]) for hit in hits} == {("parcel-station", "database")}


def test_rerunning_a_day_replaces_it(spark: object, tiny_model_dir: Path, archive: Path, tmp_path):
    out = tmp_path / "scored"
    for day in (DAYS[0], DAYS[1], DAYS[0]):
        opts = spark_options(
            tiny_model_dir, input=str(archive), output=str(out), where=f"dt = '{day}'"
        )
        result = run_spark(opts, spark=spark)  # type: ignore[arg-type]
        assert result.reconcile is not None and result.reconcile.ok, result.reconcile.describe()
        assert result.rows == N // 3
    ids = [r["id"] for r in read_dir(out)]
    assert len(ids) == len(set(ids)) == 2 * N // 3
    assert Counter(r["dt"] for r in read_dir(out)) == {DAYS[0]: N // 3, DAYS[1]: N // 3}


def test_table_in_table_out(spark, tiny_model_dir: Path, rows: list[dict[str, str]]):
    spark.createDataFrame(rows).write.mode("overwrite").saveAsTable("sms_raw")
    for _ in range(2):  # the second run inserts into the existing table
        opts = spark_options(
            tiny_model_dir, input_table="sms_raw", input_format=None, output_table="sms_scored"
        )
        result = run_spark(opts, spark=spark)
        assert result.reconcile is not None and result.reconcile.ok, result.reconcile.describe()
    table = spark.table("sms_scored")
    assert table.count() == N and table.select("id").distinct().count() == N
    assert table.where("error is not null").count() == 2


def test_reconcile_catches_missing_and_repeated_ids(spark, rows: list[dict[str, str]]):
    source = spark.createDataFrame(rows)
    ok = reconcile_frames(source, source, "id", ["dt"])
    assert ok.ok and ok.rows_in == N and len(ok.partitions) == 3
    damaged = source.where("id != 's00010'").unionByName(source.where("id = 's00020'"))
    report = reconcile_frames(source, damaged, "id", ["dt"])
    assert not report.ok
    assert report.missing_ids == 1 and report.missing_sample == ["s00010"]
    assert report.unexpected_ids == 1 and report.unexpected_sample == ["s00020"]
    bad = {p.partition["dt"]: (p.rows_in, p.rows_out) for p in report.bad_partitions}
    assert bad == {DAYS[1]: (N // 3, N // 3 - 1), DAYS[2]: (N // 3, N // 3 + 1)}
    assert "FAILED" in report.describe()
