"""The local engine: order, counts, bad rows, workers, resume and the atomic output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fanzha.classifier import Classifier
from scoring.cli import main
from scoring.formats import ScoringError, resolve_format
from scoring.local import LocalOptions, run_local
from scoring.reconcile import reconcile_files
from tests.conftest import tiny_records

ROOT = Path(__file__).resolve().parents[1]


class Interrupted(Exception):
    pass


def write_archive(path: Path, n: int, bad: bool = True) -> Path:
    """Parquet with ids, texts, and (with `bad`) rows that cannot be scored."""
    texts: list[object] = [r["text"] for r in tiny_records(per_label=n // 4 + 1, seed=9)][:n]
    if bad:
        texts[3], texts[10], texts[17] = "", "  \n ", None
    ids = [f"m{i:05d}" for i in range(n)]
    pq.write_table(pa.table({"id": ids, "text": pa.array(texts, pa.string())}), path)
    return path


def options(model: Path, src: Path, dst: Path, **kwargs: object) -> LocalOptions:
    return LocalOptions(
        model=model,
        input=src,
        output=dst,
        input_format=resolve_format(src),
        output_format=resolve_format(dst),
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_archive(tmp_path_factory.mktemp("archive") / "in.parquet", 230)


@pytest.fixture(scope="module")
def reference(tiny_model_dir: Path, archive: Path, tmp_path_factory: pytest.TempPathFactory):
    """An uninterrupted single-process run: what every other way of running must reproduce."""
    out = tmp_path_factory.mktemp("reference") / "out.parquet"
    run_local(options(tiny_model_dir, archive, out, chunk_size=20, id_column="id"))
    return out


def test_rows_out_equal_rows_in_with_bad_rows_reported(reference: Path, archive: Path):
    out = pq.read_table(reference).to_pylist()
    assert [r["id"] for r in out] == pq.read_table(archive).column("id").to_pylist()
    errors = {r["id"]: r["error"] for r in out if r["error"]}
    assert errors == {
        "m00003": "text is empty",
        "m00010": "text is empty",
        "m00017": "no text (null or missing)",
    }
    for r in out:
        scored = r["error"] is None
        assert (r["label"] is not None) == scored and (r["risk"] is not None) == scored
        assert r["model_version"]


def test_results_equal_the_classifier_on_the_same_chunk(tiny_model_dir: Path, reference: Path):
    """The scorer's staged pipeline computes exactly what `Classifier.classify` does."""
    out = pq.read_table(reference).to_pylist()
    clf = Classifier.load(tiny_model_dir)
    chunk = [r for r in out[20:40] if r["error"] is None]
    preds = clf.classify([r["text"] for r in chunk], batch_size=64)
    assert [p.verdict.label for p in preds] == [r["label"] for r in chunk]
    assert [p.verdict.risk for p in preds] == [r["risk"] for r in chunk]
    assert [[s["label"] for s in json.loads(r["scores"])] for r in chunk] == [
        [label for label, _ in p.verdict.scores] for p in preds
    ]


@pytest.mark.parametrize("resume", [True, False])
def test_two_workers_give_the_same_bytes(
    tiny_model_dir: Path, archive: Path, reference: Path, tmp_path: Path, resume: bool
):
    out = tmp_path / "out.parquet"
    run_local(options(tiny_model_dir, archive, out, chunk_size=20, workers=2, resume=resume))
    assert out.read_bytes() == reference.read_bytes()


@pytest.mark.parametrize("workers", [1, 2])
def test_resume_after_interruption_is_byte_identical(
    tiny_model_dir: Path, archive: Path, reference: Path, tmp_path: Path, workers: int
):
    out = tmp_path / "out.parquet"
    opts = options(tiny_model_dir, archive, out, chunk_size=20, id_column="id", workers=workers)
    seen: list[int] = []

    def interrupt(index: int) -> None:
        seen.append(index)
        assert not out.exists()  # never visible before it is complete
        if index == 4:
            raise Interrupted

    with pytest.raises(Interrupted):
        run_local(opts, on_chunk=interrupt)
    assert not out.exists()
    assert len(list((tmp_path / ".out.parquet.fanzha-work").glob("part-*.arrow"))) == 5
    summary = run_local(opts, on_chunk=seen.append)
    assert summary.resumed_chunks == 5 and seen == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert out.read_bytes() == reference.read_bytes()
    assert not (tmp_path / ".out.parquet.fanzha-work").exists()
    assert summary.reconcile is not None and summary.reconcile.ok


def test_changed_settings_start_afresh(tiny_model_dir: Path, archive: Path, tmp_path: Path):
    out = tmp_path / "out.parquet"

    def interrupt(index: int) -> None:
        if index == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        run_local(options(tiny_model_dir, archive, out, chunk_size=20), on_chunk=interrupt)
    summary = run_local(options(tiny_model_dir, archive, out, chunk_size=30))
    assert summary.resumed_chunks == 0 and pq.read_metadata(out).num_rows == 230


def test_killed_run_resumes_to_identical_output(
    tiny_model_dir: Path, archive: Path, reference: Path, tmp_path: Path
):
    """A real SIGKILL mid-run: no output under the final name, then a resume completes it."""
    out = tmp_path / "out.parquet"
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from tests.test_scoring_local import options
        from scoring.local import run_local
        from pathlib import Path
        opts = options(Path({str(tiny_model_dir)!r}), Path({str(archive)!r}),
                       Path({str(out)!r}), chunk_size=20)
        run_local(opts, on_chunk=lambda i: time.sleep(0.5))
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    work = tmp_path / ".out.parquet.fanzha-work"
    try:
        deadline = time.monotonic() + 120
        while len(list(work.glob("part-*.arrow"))) < 3:
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not out.exists()
    summary = run_local(options(tiny_model_dir, archive, out, chunk_size=20))
    assert summary.resumed_chunks >= 3
    assert out.read_bytes() == reference.read_bytes()


def test_overwrite_keeps_the_old_output_until_the_new_one_is_complete(
    tiny_model_dir: Path, archive: Path, tmp_path: Path
):
    out = tmp_path / "out.jsonl"
    out.write_text("old\n", "utf-8")
    with pytest.raises(ScoringError, match="--overwrite"):
        run_local(options(tiny_model_dir, archive, out))

    def check(index: int) -> None:
        assert out.read_text("utf-8") == "old\n"

    for resume in (True, False):
        out.write_text("old\n", "utf-8")
        opts = options(tiny_model_dir, archive, out, chunk_size=50, overwrite=True, resume=resume)
        run_local(opts, on_chunk=check)
        assert len(out.read_text("utf-8").splitlines()) == 230
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_reconcile_catches_a_missing_id(reference: Path, archive: Path, tmp_path: Path):
    table = pq.read_table(reference)
    damaged = tmp_path / "damaged.parquet"
    pq.write_table(pa.concat_tables([table.slice(0, 50), table.slice(51)]), damaged)
    fmt = resolve_format(damaged)
    report = reconcile_files(archive, fmt, damaged, fmt, "text", "id")
    assert not report.ok and report.rows_out == report.rows_in - 1
    assert report.missing_ids == 1 and report.missing_sample == ["m00050"]
    assert "FAILED" in report.describe()
    assert reconcile_files(archive, fmt, reference, fmt, "text", "id").ok


def test_cli_scores_reports_and_shows_progress(
    tiny_model_dir: Path, archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    out = tmp_path / "out.csv"
    argv = ["--model", str(tiny_model_dir), "--input", str(archive), "--output", str(out)]
    assert main([*argv, "--id-column", "id", "--chunk-size", "40", "--progress"]) == 0
    captured = capsys.readouterr()
    assert "scored 230 row(s)" in captured.out and "reconcile: OK" in captured.out
    assert "msg/s" in captured.err  # the progress bar shows messages per second
    assert main(argv) == 2  # exists: a user error with advice, no traceback
    err = capsys.readouterr().err
    assert "--overwrite" in err and "Traceback" not in err
    nowhere = ["--input", str(archive), "--output", str(tmp_path / "x.parquet")]
    assert main(["--model", str(tmp_path / "nope"), *nowhere]) == 2
    assert "model directory" in capsys.readouterr().err


def test_cli_rejects_flags_of_the_other_engine(tiny_model_dir: Path, archive: Path, tmp_path):
    common = ["--model", str(tiny_model_dir), "--input", str(archive)]
    with pytest.raises(SystemExit) as exc:
        main([*common, "--output", str(tmp_path / "o"), "--engine", "spark", "--workers", "2"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main([*common, "--output-table", "t"])
    assert exc.value.code == 2
