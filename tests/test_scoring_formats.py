"""Archive formats: detection, chunking, and every input format into every output format."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.formats import ScoringError, resolve_format
from scoring.local import LocalOptions, run_local
from scoring.readers import open_source, rebatch
from scoring.scorer import RESULT_NAMES
from tests.conftest import tiny_records

FORMATS = ("csv", "jsonl", "parquet")


def archive(n: int = 60) -> list[dict[str, object]]:
    """Ids with leading zeros (must survive CSV), a date, and the tiny model's kind of text."""
    texts = [r["text"] for r in tiny_records(per_label=n // 4 + 1, seed=5)][:n]
    return [
        {"id": f"{i:06d}", "dt": f"2024-05-0{1 + i % 2}", "text": t} for i, t in enumerate(texts)
    ]


def write(path: Path, rows: list[dict[str, object]]) -> Path:
    fmt = resolve_format(path)
    if fmt.name == "parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    elif fmt.name == "jsonl":
        opener = gzip.open if fmt.gzip else open
        with opener(path, "wt", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    else:
        opener = gzip.open if fmt.gzip else open
        with opener(path, "wt", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, list(rows[0]), delimiter=fmt.delimiter)
            writer.writeheader()
            writer.writerows(rows)
    return path


def read(path: Path) -> list[dict[str, object]]:
    fmt = resolve_format(path)
    source = open_source(path, fmt, "text", "utf-8")
    return [row for chunk in source.chunks(1000) for row in chunk.table.to_pylist()]


def score(model: Path, src: Path, dst: Path, **kwargs: object) -> None:
    opts = LocalOptions(
        model=model,
        input=src,
        output=dst,
        input_format=resolve_format(src, kwargs.pop("input_format", None)),  # type: ignore[arg-type]
        output_format=resolve_format(dst, kwargs.pop("output_format", None)),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )
    run_local(opts)


@pytest.mark.parametrize(
    ("name", "flag", "expected", "gz"),
    [
        ("a.csv", None, "csv", False),
        ("a.TSV", None, "tsv", False),
        ("a.jsonl", None, "jsonl", False),
        ("a.json", None, "jsonl", False),
        ("a.ndjson", None, "jsonl", False),
        ("a.parquet", None, "parquet", False),
        ("a.csv.gz", None, "csv", True),
        ("a.data", "parquet", "parquet", False),
        ("a.csv", "jsonl", "jsonl", False),
    ],
)
def test_format_from_extension_or_flag(name: str, flag: str | None, expected: str, gz: bool):
    fmt = resolve_format(name, flag)
    assert (fmt.name, fmt.gzip) == (expected, gz)


@pytest.mark.parametrize(("name", "flag"), [("a.txt", None), ("a", None), ("a.csv", "xlsx")])
def test_unknown_format_says_which_flag_to_pass(name: str, flag: str | None):
    with pytest.raises(ScoringError, match="--format"):
        resolve_format(name, flag)


@settings(deadline=None)  # no wall-clock assertions, even by hypothesis
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=9), max_size=12),
    chunk=st.integers(min_value=1, max_value=7),
)
def test_rebatch_gives_exact_chunks_in_order(sizes: list[int], chunk: int):
    schema = pa.schema([("x", pa.int64())])
    start, batches = 0, []
    for size in sizes:
        batches.append(pa.record_batch([pa.array(range(start, start + size))], schema=schema))
        start += size
    tables = list(rebatch(batches, schema, chunk))
    assert [v for t in tables for v in t.column("x").to_pylist()] == list(range(start))
    assert all(t.num_rows == chunk for t in tables[:-1])
    assert not tables or 0 < tables[-1].num_rows <= chunk


@pytest.mark.parametrize("src_fmt", FORMATS)
@pytest.mark.parametrize("dst_fmt", FORMATS)
def test_every_format_into_every_format(
    tiny_model_dir: Path, tmp_path: Path, src_fmt: str, dst_fmt: str
):
    rows = archive(45)
    src = write(tmp_path / f"in.{src_fmt}", rows)
    dst = tmp_path / f"out.{dst_fmt}"
    score(tiny_model_dir, src, dst, chunk_size=16, id_column="id")
    out = read(dst)
    assert [r["id"] for r in out] == [r["id"] for r in rows]  # count, order, leading zeros
    assert [(r["text"], r["dt"]) for r in out] == [(r["text"], r["dt"]) for r in rows]
    assert list(out[0])[:3] == ["id", "dt", "text"]
    assert set(RESULT_NAMES) <= set(out[0])
    for r in out:
        assert r["error"] is None and r["label"] and r["model_version"]
        assert 0.0 <= float(r["risk"]) <= 1.0  # type: ignore[arg-type]


def test_jsonl_keeps_types_and_nested_values(tiny_model_dir: Path, tmp_path: Path):
    rows: list[dict[str, object]] = [
        {"n": i, "x": i / 2, "flag": i % 2 == 0, "meta": {"a": [i]}, "text": r["text"]}
        for i, r in enumerate(archive(6))
    ]
    rows[1]["n"] = None
    src = write(tmp_path / "in.jsonl", rows)
    score(tiny_model_dir, src, tmp_path / "out.jsonl")
    score(tiny_model_dir, src, tmp_path / "out.parquet")
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
    for line, row in zip(lines, rows, strict=True):
        assert {k: line[k] for k in row} == row
        assert isinstance(line["scores"], list) and isinstance(line["indicators"], list)
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.schema.field("n").type == pa.int64()
    assert table.schema.field("flag").type == pa.bool_()
    assert json.loads(table.column("meta")[0].as_py()) == {"a": [0]}


def test_csv_keeps_values_as_written(tiny_model_dir: Path, tmp_path: Path):
    src = tmp_path / "in.csv"
    src.write_text(
        'id,amount,text\n007,,"第一行\n第二行，回T退订"\n010,"","他说""你好"""\n', "utf-8"
    )
    score(tiny_model_dir, src, tmp_path / "out.csv")
    out = read(tmp_path / "out.csv")
    assert [(r["id"], r["amount"]) for r in out] == [("007", None), ("010", "")]
    assert out[0]["text"] == "第一行\n第二行，回T退订" and out[1]["text"] == '他说"你好"'


def test_gzip_and_tsv(tiny_model_dir: Path, tmp_path: Path):
    rows = archive(10)
    src = write(tmp_path / "in.tsv.gz", rows)
    score(tiny_model_dir, src, tmp_path / "out.jsonl.gz")
    with gzip.open(tmp_path / "out.jsonl.gz", "rt", encoding="utf-8") as fh:
        assert [json.loads(line)["id"] for line in fh] == [r["id"] for r in rows]


def test_gbk_input_with_encoding_flag(tiny_model_dir: Path, tmp_path: Path):
    src = tmp_path / "in.csv"
    src.write_bytes("id,text\n1,您的验证码是1234，5分钟内有效。\n".encode("gbk"))
    with pytest.raises(ScoringError, match="--encoding"):
        score(tiny_model_dir, src, tmp_path / "bad.parquet")
    score(tiny_model_dir, src, tmp_path / "out.parquet", encoding="gbk")
    assert pq.read_table(tmp_path / "out.parquet").column("text")[0].as_py().startswith("您的")


def test_result_columns_never_overwrite_input_columns(tiny_model_dir: Path, tmp_path: Path):
    rows = [{**r, "label": "normal"} for r in archive(8)]
    src = write(tmp_path / "in.parquet", rows)
    with pytest.raises(ScoringError, match="--result-prefix"):
        score(tiny_model_dir, src, tmp_path / "out.parquet")
    score(tiny_model_dir, src, tmp_path / "out.parquet", result_prefix="pred_")
    out = read(tmp_path / "out.parquet")
    assert all(r["label"] == "normal" and r["pred_label"] for r in out)


def test_missing_or_non_text_column_is_a_user_error(tiny_model_dir: Path, tmp_path: Path):
    src = write(tmp_path / "in.parquet", [{"id": 1, "body": "你好"}])
    with pytest.raises(ScoringError, match="--text-column"):
        score(tiny_model_dir, src, tmp_path / "out.parquet")
    with pytest.raises(ScoringError, match="not text"):
        score(tiny_model_dir, src, tmp_path / "out.parquet", text_column="id")


@pytest.mark.parametrize("dst_fmt", FORMATS)
def test_an_empty_archive_gives_an_empty_output(tiny_model_dir: Path, tmp_path: Path, dst_fmt: str):
    src = tmp_path / "in.csv"
    src.write_text("id,text\n", "utf-8")
    dst = tmp_path / f"out.{dst_fmt}"
    score(tiny_model_dir, src, dst, id_column="id")
    assert dst.exists() and read(dst) == []


SENDER_RULES = """\
version: 1
rules:
  - id: block-number
    kind: sender_block
    senders: ["16500001111"]
    reason: 测试：已核实的诈骗号码
"""


@pytest.mark.parametrize(
    ("src_fmt", "dst_fmt"), [("csv", "jsonl"), ("jsonl", "parquet"), ("parquet", "csv")]
)
def test_rules_column_and_numeric_senders_in_every_format(
    tiny_model_dir: Path, tmp_path: Path, src_fmt: str, dst_fmt: str
):
    """Senders held as numbers (JSONL, Parquet) match as their digits; the `rules` column is
    JSON text (nested JSON in JSONL output), `[]` where no rule matched, null without --rules."""
    rows = archive(12)
    for i, row in enumerate(rows):
        row["sender"] = [16500001111, None, 13800000000 + i, 13900000000 + i][i % 4]
    src = write(tmp_path / f"in.{src_fmt}", rows)
    rules = tmp_path / "rules.yaml"
    rules.write_text(SENDER_RULES, "utf-8")
    plain = tmp_path / f"plain.{dst_fmt}"
    score(tiny_model_dir, src, plain, chunk_size=5)
    before = read(plain)
    assert [r["rules"] for r in before] == [None] * len(rows)
    dst = tmp_path / f"out.{dst_fmt}"
    score(tiny_model_dir, src, dst, chunk_size=5, rules=rules, sender_column="sender")
    out = read(dst)
    assert [r["id"] for r in out] == [r["id"] for r in rows]
    for i, (old, new) in enumerate(zip(before, out, strict=True)):
        blocked = i % 4 == 0
        assert [hit["id"] for hit in json.loads(str(new["rules"]))] == ["block-number"] * blocked
        assert new["suggestion"] == ("block" if blocked else old["suggestion"]), i
        assert new["label"] == old["label"]
    if dst_fmt == "jsonl":
        lines = [json.loads(line) for line in dst.read_text("utf-8").splitlines()]
        assert lines[0]["rules"][0]["reason"] == "测试：已核实的诈骗号码"
        assert lines[1]["rules"] == []
