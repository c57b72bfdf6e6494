"""The newcomer's first run: classify a few messages with the default model, then evaluate it
on the hand-written set (with the evasion-robustness table) and score that set as an archive.

    python scripts/demo.py --model models/default
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fanzha.classifier import Classifier
from fanzha.results import result_record

EXAMPLES = [
    "【工商银行】您尾号6621的储蓄卡11月26日支出人民币350.00元，余额12,480.16元。",
    "您的验证码为483920，用于登录，5分钟内有效，请勿泄露给他人。",
    "【京东】会员日满299减50，今晚8点开抢，退订回T",
    "我是市公安局民警，你的身份证涉嫌洗钱，需要把资金转入安全账户配合调查，不要告诉家人。",
    "招聘兼职，在家点赞关注，一单3元，日结，加薇 信 jz8866 领任务",
    "老同学，我换号了，急用钱能先借我5000吗？明天就还，转到6222 0202 0002 0000 5 这张卡",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="models/default")
    parser.add_argument("--eval", default="data/eval/handwritten.jsonl")
    parser.add_argument("--out", default="results/demo")
    args = parser.parse_args()

    classifier = Classifier.load(args.model)
    print(f"model {classifier.version}\n")
    for text, prediction in zip(EXAMPLES, classifier.classify(EXAMPLES), strict=True):
        record = result_record(text, prediction.verdict, prediction.truncated, classifier.version)
        found = ", ".join(f"{i['kind']}={i['value']}" for i in record["indicators"]) or "-"
        print(f"{record['suggestion']:6s} risk {record['risk']:.3f}  {record['label']:28s} {text}")
        print(f"{'':18s}evidence: {found}")

    from fanzha.cli import main as fanzha

    print()
    status = fanzha(["evaluate", "--model", args.model, "--data", args.eval, "--adversarial"])
    if status:
        return status
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scored = out / "handwritten.scored.jsonl"
    # the evaluation file has its own `label` column: the predictions go beside it as pred_*
    score = ["score", "--model", args.model, "--input", args.eval, "--output", str(scored)]
    status = fanzha([*score, "--result-prefix", "pred_", "--overwrite"])
    if status:
        return status
    print(f"\nscored archive: {scored}; model report: {Path(args.model) / 'report.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
