"""Benchmark archive scoring: engine overhead, worker scaling, flat memory, Spark local[2].

Figures, all on the same generated Parquet archive and measured side by side in one run
(machines are noisy: compare the ratios, which are paired per round):

1. bare ONNX runner: one process, texts pre-encoded, length-sorted batches of 64 within the
   engine's chunks (the same padding the engine pays), nothing else;
2. `fanzha score` single process, end to end (read, encode, infer, indicators, checkpoint parts,
   assemble, rename, reconcile); target >= 90% of (1);
3. `fanzha score --workers 2`, end to end, including starting the worker processes;
4. peak RSS (VmHWM) of the local engine, single process, run in a child process on 100k and on
   1M rows, with the peak reached after 10k/100k/500k rows of each run (memory must not grow
   with the input); by default with a micro model, so 1M rows take minutes, not a quarter hour;
5. the Spark engine in local[2] on the same archive (session and Python workers warmed first).

    python scripts/bench_scoring.py [--model DIR] [--rows 20000] [--rounds 3]
        [--memory-rows 100000 1000000] [--memory-model DIR] [--skip-spark] [--skip-memory]

Without --model: models/default if present, else a small model trained once into
/tmp/bench_model on generated data (speed does not depend on accuracy).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_TEMPLATES: dict[str, tuple[str, ...]] = {
    "normal": (
        "您的验证码是{n6}，{k}分钟内有效，请勿泄露给他人。",
        "妈，我周末回{city}吃饭，帮我留点{food}，顺便问下爸的药还够不够。",
        "【{bank}】您尾号{n4}的储蓄卡{m}月{d}日支出{amt}元，余额{amt2}元。",
        "快递已到{city}驿站，取件码{n4}，请于今天{h}点前领取，逾期退回。",
        "晚上{h}点在老地方见，别迟到，记得带上上次借你的那本书。",
    ),
    "marketing": (
        "【{shop}】会员日全场{k}折起，满{amt}减{k}0，回T退订。",
        "【{shop}】新品上市，领{k}0元优惠券，详情见App，拒收请回复R。",
    ),
    "impersonate_authority": (
        "我是{city}公安局民警，你的账户涉嫌洗钱，请将资金转入安全账户{card}配合调查，"
        "不得向任何人透露案情，否则后果自负。",
        "{city}检察院通知：你名下银行卡涉嫌违法，已被冻结，请立即联系办案人员{phone}。",
    ),
    "rebate_task": (
        "招聘兼职，点赞关注一单佣金{k}元，日结{amt}元，加微信{wx}领任务。",
        "刷单返利，先垫付{amt}元，完成任务返本金加{k}0%佣金，联系客服QQ{n6}{n4}。",
    ),
    "phishing_prize": (
        "您的ETC已失效，请点击 {url} 重新认证，逾期将停止使用。",
        "恭喜您获得{k}万元现金大奖，请下载{shop}APP领取，或登录{url}登记信息。",
    ),
    "investment": ("内幕消息，{shop}科技明天涨停，进群{url}，稳赚不赔，月收益{k}0%，联系vx:{wx}",),
}
_LONG = (
    "您好，这里是{city}市公安局反诈中心，经查您名下的银行卡涉嫌一起洗钱案件，",
    "涉案金额高达{k}0万元，现需要您配合调查，请勿向任何人透露案情，",
    "请您立即下载安全防护APP {url} 并按照提示开启屏幕共享，",
    "清查期间请将资金转入国家安全账户{card}，清查结束后全额退还。",
    "昨天下午三点左右，我在小区门口看见你家的猫跑出去了，后来又被邻居抱回来了，",
    "周末要不要一起去爬山？听说天气不错，记得穿运动鞋，带点水和零食，早上八点出发。",
)
_FILL = {
    "city": ("杭州", "成都", "南京", "武汉", "北京"),
    "food": ("饺子", "红烧肉", "汤圆"),
    "bank": ("工商银行", "建设银行", "招商银行"),
    "shop": ("优品", "鲜果坊", "悦读书城", "京东"),
    "url": ("http://a1b.cn/x", "www.sb-kz.top/k", "t.cn/AbC9"),
}


def _fill(template: str, rng: random.Random) -> str:
    values = {key: rng.choice(options) for key, options in _FILL.items()}
    values |= {
        "n4": str(rng.randint(1000, 9999)),
        "n6": str(rng.randint(100000, 999999)),
        "k": str(rng.randint(2, 9)),
        "m": str(rng.randint(1, 12)),
        "d": str(rng.randint(1, 28)),
        "h": str(rng.randint(1, 12)),
        "amt": str(rng.randint(50, 5000)),
        "amt2": f"{rng.randint(100, 99999)}.{rng.randint(10, 99)}",
        "card": "6222" + "".join(str(rng.randint(0, 9)) for _ in range(15)),
        "phone": "1" + str(rng.randint(3, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(9)),
        "wx": "wx" + str(rng.randint(10000, 99999)),
    }
    return template.format(**values)


def make_message(rng: random.Random) -> tuple[str, str]:
    """One (text, label): mostly SMS-length, one in ten a long multi-sentence script."""
    label = rng.choice(tuple(_TEMPLATES))
    text = _fill(rng.choice(_TEMPLATES[label]), rng)
    if rng.random() < 0.1:
        text += "".join(_fill(part, rng) for part in rng.sample(_LONG, rng.randint(2, 5)))
    return text, label


# -- inputs ---------------------------------------------------------------------------------


def write_archive(path: Path, rows: int, seed: int = 1) -> Path:
    """Parquet with id, date and text; written in slices so generating 1M rows stays small."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.exists() and pq.read_metadata(path).num_rows == rows:
        return path
    rng = random.Random(seed)
    tmp = path.with_suffix(".tmp")
    schema = pa.schema([("id", pa.string()), ("dt", pa.string()), ("text", pa.string())])
    with pq.ParquetWriter(tmp, schema) as writer:
        for start in range(0, rows, 50_000):
            ids = range(start, min(rows, start + 50_000))
            writer.write_table(
                pa.table(
                    {
                        "id": [f"m{i:08d}" for i in ids],
                        "dt": [f"2024-05-{1 + i % 3:02d}" for i in ids],
                        "text": [make_message(rng)[0] for _ in ids],
                    },
                    schema=schema,
                )
            )
    tmp.replace(path)
    return path


def ensure_model(path: Path, size: str, work: Path) -> Path:
    """Train a model of `size` on generated data unless `path` already holds one."""
    if (path / "card.json").is_file():
        return path
    rng = random.Random(0)
    data = work / "bench_train.jsonl"
    with data.open("w", encoding="utf-8") as fh:
        for _ in range(6000):
            text, label = make_message(rng)
            fh.write(json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n")
    print(f"training a {size} model into {path} (once) ...", flush=True)
    subprocess.run(
        [sys.executable, "-m", "fanzha.cli", "train", "--data", str(data), "--out", str(path),
         "--size", size, "--epochs", "1", "--no-augment"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return path


# -- measurements ---------------------------------------------------------------------------


def bare_runner(model: Path, archive: Path, chunk_size: int, spinning: bool) -> float:
    """msgs/s of the ONNX session alone (threads = cores) on pre-encoded text, in the batches
    the engine forms (length-sorted within each chunk)."""
    import pyarrow.parquet as pq

    from fanzha.classifier import Classifier
    from fanzha.tokenizer import length_sorted_batches

    texts = pq.read_table(archive, columns=["text"]).column("text").to_pylist()
    clf = Classifier.load(model, allow_spinning=spinning)
    clf.warmup()
    chunks = [
        clf.encoder.encode(texts[s : s + chunk_size]) for s in range(0, len(texts), chunk_size)
    ]
    started = time.perf_counter()
    for encoded in chunks:
        for idx in length_sorted_batches(encoded, 64):
            clf.logits([encoded[i] for i in idx])
    return len(texts) / (time.perf_counter() - started)


def local_engine(model: Path, archive: Path, out: Path, workers: int) -> float:
    from scoring.formats import resolve_format
    from scoring.local import LocalOptions, run_local

    out.unlink(missing_ok=True)
    opts = LocalOptions(
        model=model,
        input=archive,
        output=out,
        input_format=resolve_format(archive),
        output_format=resolve_format(out),
        id_column="id",
        workers=workers,
        progress=False,
    )
    summary = run_local(opts)
    assert summary.reconcile is not None and summary.reconcile.ok
    return summary.rows / summary.seconds


_CHILD = """
import json, sys
from pathlib import Path
from scoring.formats import resolve_format
from scoring.local import LocalOptions, run_local

def hwm_kib():
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmHWM")).split()[1])

model, src, dst = (Path(a) for a in sys.argv[1:4])
fmt = resolve_format(src)
opts = LocalOptions(model, src, dst, fmt, resolve_format(dst), progress=False, reconcile=False)
trace = {}
run_local(opts, on_chunk=lambda i: trace.__setitem__((i + 1) * opts.chunk_size, hwm_kib()))
print(json.dumps({"peak_kib": hwm_kib(), "trace": trace}), file=sys.stderr)
"""


def peak_rss_mib(model: Path, archive: Path, out: Path) -> tuple[float, float, dict[int, float]]:
    """(peak RSS MiB, msgs/s, peak RSS MiB after n rows) of `fanzha score`'s engine run in a
    child process, which reads its own VmHWM: the rusage of a forked child would also count
    the pages of this (large) parent."""
    import pyarrow.parquet as pq

    out.unlink(missing_ok=True)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(model), str(archive), str(out)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    report = json.loads(done.stderr.strip().splitlines()[-1])
    trace = {int(rows): kib / 1024 for rows, kib in report["trace"].items()}
    return report["peak_kib"] / 1024, pq.read_metadata(archive).num_rows / elapsed, trace


def spark_engine(model: Path, archive: Path, work: Path, warm: Path) -> float:
    from scoring.formats import FileFormat
    from scoring.spark import SparkOptions, run_spark, spark_session

    spark = spark_session(
        "local[2]", {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}
    )

    def run(src: Path, dst: Path) -> float:
        opts = SparkOptions(
            model=model,
            input=str(src),
            input_format=FileFormat("parquet"),
            output=str(dst),
            output_format=FileFormat("parquet"),
            partition_by=("dt",),
            reconcile=False,
        )
        result = run_spark(opts, spark=spark)
        return result.rows / result.seconds

    run(warm, work / "spark_warm")  # JVM, Python workers and model load paid here
    rate = run(archive, work / "spark_out")
    spark.stop()
    return rate


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--model", type=Path, help="model directory (default: see above)")
    p.add_argument("--rows", type=int, default=20_000, help="rows in the throughput archive")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds of 1-3")
    p.add_argument("--memory-rows", type=int, nargs=2, default=(100_000, 1_000_000))
    p.add_argument("--memory-model", type=Path, help="model for the memory runs (default: micro)")
    p.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "fanzha-bench-scoring"
    )
    p.add_argument("--skip-spark", action="store_true")
    p.add_argument("--skip-memory", action="store_true")
    args = p.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)

    default = ROOT / "models" / "default"
    if args.model:
        model, origin = args.model, "given"
    elif (default / "card.json").is_file():
        model, origin = default, "models/default"
    else:
        model = ensure_model(Path("/tmp/bench_model"), "small", args.work)
        origin = "size=small, 1 epoch on generated data"
    card = json.loads((model / "card.json").read_text(encoding="utf-8"))
    arch = card.get("architecture", {})
    print(f"model: {model} ({origin}; {arch.get('size')}, {arch.get('precision')})")
    print(f"cores: {len(os.sched_getaffinity(0))}, load average: {os.getloadavg()}")

    archive = write_archive(args.work / f"archive_{args.rows}.parquet", args.rows)
    print(f"archive: {archive} ({args.rows} rows)\n")

    from scoring.formats import resolve_format
    from scoring.local import LocalOptions
    from scoring.scorer import cached_classifier

    fmt = resolve_format(archive)
    single = LocalOptions(model, archive, archive, fmt, fmt).engine_threads()
    cached_classifier(model, *single)  # the engine's model load stays outside the timings
    runs = {
        "bare": lambda: bare_runner(model, archive, 10_000, spinning=True),
        "bare_nospin": lambda: bare_runner(model, archive, 10_000, spinning=False),
        "local": lambda: local_engine(model, archive, args.work / "local.parquet", 1),
        "workers2": lambda: local_engine(model, archive, args.work / "w2.parquet", 2),
    }
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for round_no in range(1, args.rounds + 1):
        for name, run in runs.items():
            rates[name].append(run())
        shown = ", ".join(f"{name} {values[-1]:.0f}" for name, values in rates.items())
        print(f"round {round_no} (msgs/s): {shown}", flush=True)

    def ratio(top: str, bottom: str) -> float:
        return statistics.median(a / b for a, b in zip(rates[top], rates[bottom], strict=True))

    med = {k: statistics.median(v) for k, v in rates.items()}
    best = {k: max(v) for k, v in rates.items()}
    print("\nmedian msgs/s over rounds [best round]; ratios are medians of per-round ratios")
    rows = (
        ("bare ONNX runner, spinning (the runner's default)", "bare", ""),
        ("bare ONNX runner, no spinning (the engine's setting)", "bare_nospin", ""),
        (
            "fanzha score, 1 process, end to end",
            "local",
            f"{ratio('local', 'bare'):.1%} of bare, {ratio('local', 'bare_nospin'):.1%} of "
            "bare without spinning (target >= 90%)",
        ),
        (
            "fanzha score --workers 2, end to end",
            "workers2",
            f"{ratio('workers2', 'local'):.2f}x one process",
        ),
    )
    for label, key, note in rows:
        print(f"  {label:54s} {med[key]:6.0f} [{best[key]:5.0f}]  {note}")

    if not args.skip_memory:
        mem_model = args.memory_model or ensure_model(args.work / "micro_model", "micro", args.work)
        print(f"\npeak RSS of the local engine (child process, 1 process, model {mem_model}):")
        for rows in args.memory_rows:
            src = write_archive(args.work / f"archive_{rows}.parquet", rows, seed=2)
            rss, rate, trace = peak_rss_mib(mem_model, src, args.work / f"mem_{rows}.parquet")
            marks = [m for m in (10_000, 100_000, 500_000) if m < rows and m in trace]
            path = ", ".join(f"{trace[m]:.0f} after {m // 1000}k rows" for m in marks)
            print(
                f"  {rows:>9} rows: peak RSS {rss:7.1f} MiB ({rate:.0f} msgs/s; peak so far: "
                f"{path})",
                flush=True,
            )

    if not args.skip_spark:
        warm = write_archive(args.work / "archive_2000.parquet", 2000, seed=3)
        rate = spark_engine(model, archive, args.work, warm)
        print(
            f"\nSpark local[2] (mapInPandas, warmed): {rate:.0f} msgs/s "
            f"= {rate / med['local']:.2f}x the local engine's median"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
