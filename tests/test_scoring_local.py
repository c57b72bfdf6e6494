"""The local engine: order, counts, bad rows, workers, resume and the atomic output."""

from __future__ import annotations

import json
import logging
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fanzha.classifier import Classifier
from fanzha.rules import RulesError, build_ruleset, load_rules_file, normalize_sender
from scoring.cli import main
from scoring.formats import ScoringError, resolve_format
from scoring.local import LocalOptions, LocalSummary, run_local
from scoring.reconcile import reconcile_files
from scoring.scorer import Rules
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


# -- analysts' rules ----------------------------------------------------------------------------

BLOCKED = "16500001111"
RULES_YAML = f"""\
# rules for the tests: one keyword rule, one sender rule
version: 1
rules:
  - id: parcel-station
    kind: keyword
    keywords: ["驿站"]
    label: 冒充电商物流客服类
    suggestion: review
    reason: 测试：驿站取件话术
  - id: blocked-number
    kind: sender_block
    senders: ["{BLOCKED}"]
    reason: 测试：已核实的诈骗号码
"""
OTHER_RULES_YAML = """\
version: 1
rules:
  - id: safe-account
    kind: keyword
    keywords: ["安全账户"]
    label: impersonate_authority
    suggestion: block
    reason: 测试：安全账户
"""


def sender_of(i: int) -> str | None:
    """Every fifth row from the blocked number (written two ways), some rows with no sender."""
    if i % 5 == 3:
        return "+86 165-0000-1111" if i % 2 else BLOCKED
    return None if i % 11 == 0 else f"138{i:08d}"


def write_rules(path: Path, text: str = RULES_YAML) -> Path:
    path.write_text(text, "utf-8")
    return path


@pytest.fixture(scope="module")
def rules_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_rules(tmp_path_factory.mktemp("rules") / "rules.yaml")


@pytest.fixture(scope="module")
def sender_archive(archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same rows as `archive`, plus a sender column (row 3, an empty text, is blocked)."""
    table = pq.read_table(archive)
    senders = pa.array([sender_of(i) for i in range(table.num_rows)], pa.string())
    path = tmp_path_factory.mktemp("senders") / "in.parquet"
    pq.write_table(table.append_column("sender", senders), path)
    return path


@pytest.fixture(scope="module")
def ruled(tiny_model_dir: Path, sender_archive: Path, rules_file: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ruled") / "out.parquet"
    opts = options(
        tiny_model_dir, sender_archive, out, chunk_size=20, rules=rules_file, sender_column="sender"
    )
    run_local(opts)
    return out


def test_rules_change_exactly_the_rows_they_match(reference: Path, ruled: Path):
    before = pq.read_table(reference).to_pylist()
    after = pq.read_table(ruled).to_pylist()
    assert [r["id"] for r in after] == [r["id"] for r in before]
    hits = {"parcel-station": 0, "blocked-number": 0}
    for old, new in zip(before, after, strict=True):
        if old["error"] is not None:  # an error stays an error, whoever sent it
            assert new["error"] == old["error"]
            assert new["label"] is None and new["suggestion"] is None and new["rules"] is None
            continue
        for name in ("risk", "scores", "indicators", "truncated", "model_version"):
            assert new[name] == old[name], name  # the rules never touch the model's figures
        keyword = "驿站" in new["text"]
        blocked = normalize_sender(new["sender"] or "") == BLOCKED
        label = "impersonate_customer_service" if keyword else old["label"]
        suggestion = "block" if blocked else "review" if keyword else old["suggestion"]
        assert (new["label"], new["suggestion"]) == (label, suggestion), new["id"]
        assert new["is_scam"] == (keyword or old["is_scam"])
        fired = {hit["id"] for hit in json.loads(new["rules"])}  # [] when none matched
        matches = {"parcel-station": keyword, "blocked-number": blocked}
        assert fired == {name for name, on in matches.items() if on}, new["id"]
        for name in fired:
            hits[name] += 1
    assert all(hits.values()), hits  # both rules matched some rows


SERVICE_FIELDS = ("label", "label_zh", "is_scam", "risk", "suggestion", "truncated")


def test_rules_give_what_the_service_gives(reference: Path, ruled: Path, rules_file: Path):
    """The same pure function as the service (`RuleSet.apply` on the model's record, the text
    and the sender), so an archive row gets the service's verdict and hits."""
    ruleset = build_ruleset(load_rules_file(rules_file))
    rows = zip(pq.read_table(reference).to_pylist(), pq.read_table(ruled).to_pylist(), strict=True)
    for old, new in rows:
        if old["error"] is not None:
            continue
        record = {name: old[name] for name in SERVICE_FIELDS}
        record |= {name: json.loads(old[name]) for name in ("scores", "indicators")}
        want = ruleset.apply(record, new["text"], new["sender"])
        got = {**new, "rules": json.loads(new["rules"])}
        for name in ("label", "label_zh", "is_scam", "suggestion", "rules"):
            assert got[name] == want[name], (new["id"], name)


def service_database(path: Path, definitions: list[dict[str, object]]) -> str:
    """A rules database as the service writes it (its own store, through its own code)."""
    from service.feedback.db import Database
    from service.feedback.rule_store import RuleStore

    url = f"sqlite:///{path}"
    db = Database(url)
    assert db.open(), db.error
    store = RuleStore(db)
    for definition in definitions:
        store.put(definition, author="analyst")
    db.engine.dispose()
    return url


def test_rules_from_the_service_database_give_what_the_service_gives(
    tiny_model_dir: Path, sender_archive: Path, reference: Path, ruled: Path, tmp_path: Path
):
    """The keyword rule kept in the service's database, the sender rule in a file: the same
    verdicts as both rules from one file, the hits naming where each rule came from, and the
    same rule set the service builds (file rules, then the database's)."""
    from service.feedback.rule_store import read_database_rules

    defined = build_ruleset(load_rules_file(write_rules(tmp_path / "both.yaml"))).definitions()
    stored = {k: v for k, v in defined[0].items() if k != "source"}
    assert stored["id"] == "parcel-station"
    url = service_database(tmp_path / "feedback.sqlite3", [stored])
    header, rest = RULES_YAML.split("  - id: parcel-station")
    senders_only = write_rules(
        tmp_path / "senders.yaml",
        header + "  - id: blocked-number" + rest.split("blocked-number")[1],
    )
    out = tmp_path / "out.parquet"
    argv = ["--model", str(tiny_model_dir), "--input", str(sender_archive), "--output", str(out)]
    argv += ["--rules", str(senders_only), "--rules-database", url, "--sender-column", "sender"]
    assert main([*argv, "--chunk-size", "20"]) == 0
    service = build_ruleset(load_rules_file(senders_only), read_database_rules(url))
    rows = zip(
        pq.read_table(reference).to_pylist(),
        pq.read_table(ruled).to_pylist(),
        pq.read_table(out).to_pylist(),
        strict=True,
    )
    sources = set()
    for model, one_file, split in rows:
        for name in ("label", "label_zh", "is_scam", "suggestion", "risk", "error"):
            assert split[name] == one_file[name], (split["id"], name)
        if model["error"] is not None:
            continue
        hits = json.loads(split["rules"])
        sources |= {(hit["id"], hit["source"]) for hit in hits}
        record = {name: model[name] for name in SERVICE_FIELDS}
        record |= {name: json.loads(model[name]) for name in ("scores", "indicators")}
        assert service.apply(record, split["text"], split["sender"])["rules"] == hits
    assert sources == {("parcel-station", "database"), ("blocked-number", "file")}


def test_a_wrong_rules_database_is_a_usage_error(
    tiny_model_dir: Path,
    archive: Path,
    rules_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
):
    out = tmp_path / "out.parquet"
    argv = ["--model", str(tiny_model_dir), "--input", str(archive), "--output", str(out)]
    missing = tmp_path / "missing.sqlite3"
    assert main([*argv, "--rules-database", f"sqlite:///{missing}"]) == 2
    assert "no SQLite database at" in capsys.readouterr().err
    assert not missing.exists()  # nothing created by a mistyped URL
    empty = tmp_path / "other.sqlite3"
    sqlite3 = pytest.importorskip("sqlite3")
    sqlite3.connect(empty).close()
    assert main([*argv, "--rules-database", f"sqlite:///{empty}"]) == 2
    assert "holds no fanzha rules" in capsys.readouterr().err
    assert main([*argv, "--rules-database", "mysql://u:secret@db/x"]) == 2
    err = capsys.readouterr().err
    assert "unsupported database" in err and "secret" not in err
    # a database rule with the id of a file rule: refused, as the service refuses it
    clash = service_database(
        tmp_path / "clash.sqlite3",
        [
            {
                "id": "parcel-station",
                "kind": "keyword",
                "keywords": ["快递"],
                "suggestion": "review",
                "reason": "重复",
            }
        ],
    )
    assert main([*argv, "--rules", str(rules_file), "--rules-database", clash]) == 2
    err = capsys.readouterr().err
    assert "database rule 'parcel-station'" in err and "duplicates the id" in err
    assert not out.exists() and "Traceback" not in err


def test_rules_with_two_workers_give_the_same_bytes(
    tiny_model_dir: Path, sender_archive: Path, rules_file: Path, ruled: Path, tmp_path: Path
):
    out = tmp_path / "out.parquet"
    opts = options(
        tiny_model_dir,
        sender_archive,
        out,
        chunk_size=20,
        workers=2,
        rules=rules_file,
        sender_column="sender",
    )
    run_local(opts)
    assert out.read_bytes() == ruled.read_bytes()


@pytest.mark.parametrize(
    ("second", "resumes"),
    [
        (RULES_YAML.replace("# rules for the tests", "# reworded comment"), True),
        (OTHER_RULES_YAML, False),
        (None, False),  # the rules removed
    ],
)
def test_resume_only_with_the_same_rules(
    tiny_model_dir: Path,
    sender_archive: Path,
    rules_file: Path,
    ruled: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    second: str | None,
    resumes: bool,
):
    """Checkpoints scored under other rules are never reused: the output would mix verdicts
    of two rule sets. A comment or layout change in the file is not a change of rules."""
    out = tmp_path / "out.parquet"

    def run(rules: Path | None, on_chunk: Callable[[int], None] | None = None) -> LocalSummary:
        opts = options(
            tiny_model_dir, sender_archive, out, chunk_size=20, rules=rules, sender_column="sender"
        )
        return run_local(opts, on_chunk=on_chunk)

    def interrupt(index: int) -> None:
        if index == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        run(rules_file, interrupt)
    changed = None if second is None else write_rules(tmp_path / "changed.yaml", second)
    with caplog.at_level(logging.WARNING, logger="scoring.checkpoint"):
        summary = run(changed)
    if resumes:
        assert summary.resumed_chunks == 3 and out.read_bytes() == ruled.read_bytes()
        assert not [r for r in caplog.records if r.name == "scoring.checkpoint"]
        return
    assert summary.resumed_chunks == 0
    assert "rules_sha256 changed" in caplog.text and "scoring from the start" in caplog.text
    column = pq.read_table(out).column("rules").to_pylist()
    assert len(column) == 230
    if second is None:
        assert set(column) == {None}  # no rules, no hits: nothing kept from the first run
    else:
        assert {hit["id"] for r in column if r for hit in json.loads(r)} == {"safe-account"}


def test_missing_sender_column_names_it_and_the_columns_present(
    tiny_model_dir: Path, sender_archive: Path, rules_file: Path, tmp_path: Path
):
    opts = options(
        tiny_model_dir,
        sender_archive,
        tmp_path / "o.parquet",
        rules=rules_file,
        sender_column="from",
    )
    with pytest.raises(ScoringError, match=r"no sender column 'from'.*\['id', 'text', 'sender'\]"):
        run_local(opts)
    assert list(tmp_path.iterdir()) == []


def test_invalid_or_unreadable_rules_file_is_a_usage_error(
    tiny_model_dir: Path, archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    bad = write_rules(tmp_path / "bad.yaml", RULES_YAML.replace('["驿站"]', "[]"))
    out = tmp_path / "out.parquet"
    argv = ["--model", str(tiny_model_dir), "--input", str(archive), "--output", str(out)]
    assert main([*argv, "--rules", str(bad)]) == 2
    err = capsys.readouterr().err
    with pytest.raises(RulesError) as service_error:  # what `fanzha serve --rules-file` reports
        build_ruleset(load_rules_file(bad))
    assert str(service_error.value) in err and "rules[0] (id 'parcel-station').keywords" in err
    assert main([*argv, "--rules", str(tmp_path / "missing.yaml")]) == 2
    assert "cannot be read" in capsys.readouterr().err
    assert not out.exists() and "Traceback" not in err


def test_sender_rules_without_a_sender_column_warn_once(
    tiny_model_dir: Path,
    sender_archive: Path,
    rules_file: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
):
    opts = options(tiny_model_dir, sender_archive, tmp_path / "o.parquet", rules=rules_file)
    with caplog.at_level(logging.WARNING):
        run_local(opts)
    warned = [r.getMessage() for r in caplog.records if "--sender-column" in r.getMessage()]
    assert len(warned) == 1 and "blocked-number" in warned[0]
    fired = {
        hit["id"]
        for r in pq.read_table(tmp_path / "o.parquet").column("rules").to_pylist()
        for hit in json.loads(r or "[]")
    }
    assert fired == {"parcel-station"}  # the keyword rule still applies


def test_rules_sent_to_workers_decide_as_the_file_does():
    """Workers and executors rebuild the rules from the canonical JSON they are sent; that must
    decide exactly as the file's own RuleSet (priorities, a disabled rule, label aliases and
    numeric senders in rules/example.yaml)."""
    example = ROOT / "rules" / "example.yaml"
    sent = pickle.loads(pickle.dumps(Rules.load(example))).ruleset()
    direct = build_ruleset(load_rules_file(example))
    assert len(sent) == len(direct) >= 5
    messages = [
        ("我是公安局民警，请把钱转入安全账户配合调查", None),
        ("【工商银行】您的网银已过期，请登录 www.icbc-x.cn 升级", "95588"),
        ("您的验证码是1234，请勿泄露给他人", "95533"),
        ("您的ETC认证已失效，请及时处理", "+86 170 0000 1234"),
        ("妈，我周末回家吃饭", "13800000000"),
    ]
    for text, sender in messages:
        for label, suggestion in (("normal", "pass"), ("impersonate_authority", "block")):
            record = {"label": label, "label_zh": "x", "suggestion": suggestion, "risk": 0.5}
            assert sent.apply(record, text, sender) == direct.apply(record, text, sender)
