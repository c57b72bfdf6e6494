"""Loading labelled files: formats, aliases, and an error naming file, row and value for every
kind of bad row. Nothing is silently dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from training.data import DataError, Labelled, load_labelled, stratified_split, write_records

ROWS = [
    {"text": "您的验证码是1234，请勿泄露", "label": "正常"},
    {"text": "【优品】会员日5折，回T退订", "label": "marketing"},
    {"text": "我是公安局的，你涉嫌洗钱", "label": "冒充公检法及政府机关类"},
]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_formats_and_aliases(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"data{suffix}"
    write_records(path, ROWS)
    data = load_labelled([path])
    assert data.texts == [r["text"] for r in ROWS]
    assert data.labels == ["normal", "marketing", "impersonate_authority"]
    assert data.sources[2] == f"data{suffix}:3"


def test_several_files_and_custom_columns(tmp_path: Path) -> None:
    a = tmp_path / "a.csv"
    b = tmp_path / "b.jsonl"
    pd.DataFrame({"content": ["x1", "x2"], "type": ["0", "刷单返利类"]}).to_csv(a, index=False)
    b.write_text(
        json.dumps({"content": "x3", "type": "romance"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    data = load_labelled([a, b], text_column="content", label_column="type")
    assert data.labels == ["normal", "rebate_task", "romance"]


def test_csv_label_zero_stays_a_label(tmp_path: Path) -> None:
    path = tmp_path / "zero.csv"
    path.write_text("text,label\n你好,0\n", encoding="utf-8")
    assert load_labelled([path]).labels == ["normal"]


def test_unknown_label_names_file_row_and_value(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    write_records(path, [*ROWS, {"text": "something", "label": "诈骗短信"}])
    with pytest.raises(DataError, match=r"bad.jsonl row 4: label '诈骗短信' is not a slug"):
        load_labelled([path])


def test_empty_text_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("text,label\n你好,normal\n   ,normal\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"empty.csv row 2: 'text' is empty"):
        load_labelled([path])


def test_missing_text_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "null.jsonl"
    path.write_text('{"text": "hi", "label": "normal"}\n{"text": null, "label": "normal"}\n')
    with pytest.raises(DataError, match=r"null.jsonl row 2: 'text' is None, not text"):
        load_labelled([path])


def test_missing_column_lists_the_columns_there(tmp_path: Path) -> None:
    path = tmp_path / "cols.csv"
    path.write_text("content,label\n你好,normal\n", encoding="utf-8")
    with pytest.raises(
        DataError, match=r"no column 'text'; its columns are \['content', 'label'\]"
    ):
        load_labelled([path])


def test_all_bad_rows_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("text,label\na,foo\nb,bar\nc,normal\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"2 bad row\(s\)") as info:
        load_labelled([path])
    assert "row 1" in str(info.value) and "row 2" in str(info.value)


def test_unsupported_or_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"unsupported file type '\.xlsx'"):
        bad = tmp_path / "x.xlsx"
        bad.write_text("x")
        load_labelled([bad])
    with pytest.raises(DataError, match="no such file"):
        load_labelled([tmp_path / "nope.csv"])
    with pytest.raises(DataError, match="no data files"):
        load_labelled([])


def _data(n_per_label: int) -> Labelled:
    data = Labelled()
    for label in ("normal", "marketing", "romance"):
        for i in range(n_per_label):
            data.texts.append(f"{label}-{i}")
            data.labels.append(label)
            data.sources.append(f"f:{i}")
    return data


def test_split_is_stratified_seeded_and_complete() -> None:
    data = _data(50)
    split = stratified_split(data, 0.1, 0.2, seed=3)
    assert len(split.train) + len(split.validation) + len(split.test) == len(data)
    assert split.validation.label_counts() == {"normal": 5, "marketing": 5, "romance": 5}
    assert split.test.label_counts() == {"normal": 10, "marketing": 10, "romance": 10}
    again = stratified_split(data, 0.1, 0.2, seed=3)
    assert again.test.texts == split.test.texts
    assert stratified_split(data, 0.1, 0.2, seed=4).test.texts != split.test.texts


def test_duplicates_never_straddle_train_and_test() -> None:
    data = _data(30)
    for i in range(30):  # every text twice
        data.texts.append(f"normal-{i}")
        data.labels.append("normal")
        data.sources.append("dup")
    split = stratified_split(data, 0.1, 0.1, seed=1)
    assert not set(split.train.texts) & set(split.test.texts)
    assert not set(split.train.texts) & set(split.validation.texts)
    assert len(split.train) + len(split.validation) + len(split.test) == len(data)
