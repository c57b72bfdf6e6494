"""`fanzha compare`: two model directories on the same labelled data, before promoting one.

    fanzha compare --old models/default --new models/next --data held_out.jsonl --out results/cmp

Prints and writes (compare.json, changed.jsonl, report.html with plots) both models' metrics
side by side, per-label deltas, and every message whose verdict (label or suggestion) changed,
regressions first. Both models are measured through the serving `Classifier`, so the figures
describe what would be served. Nothing is promoted here: a new directory goes live only through
the service's reload path (POST /admin/reload or SIGHUP), which checks it before swapping.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fanzha.classifier import Classifier
from fanzha.decision import Verdict, softmax
from fanzha.errors import USER_ERRORS
from fanzha.taxonomy import SCAM_SLUGS, SLUGS
from training.data import Labelled, load_labelled
from training.evaluate import describe_difference, label_indices
from training.metrics import classification_report, paired_bootstrap

SUMMARY_KEYS = ("accuracy", "macro_f1", "weighted_f1", "ece")
SUGGESTIONS = ("pass", "review", "block")


@dataclass
class Side:
    """One model's view of the data."""

    name: str
    classifier: Classifier
    report: dict[str, Any]
    verdicts: list[Verdict]


def score(name: str, classifier: Classifier, data: Labelled, where: str) -> Side:
    y = label_indices(data, classifier.labels, f"{where} (for the {name} model)")
    logits = classifier.logits_in_order(classifier.encoder.encode(data.texts))
    probs = softmax(logits, classifier.temperature)
    report = classification_report(probs, y, classifier.labels, classifier.thresholds)
    return Side(name, classifier, report, classifier.verdicts(probs))


def _detection(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Scam detection keyed by the rule's first word (label / review / block), since the
    threshold in the full key may differ between the two models."""
    return {key.split(" ")[0]: value for key, value in report["scam_detection"].items()}


def summary(old: Side, new: Side) -> list[dict[str, Any]]:
    rows = [{"metric": k, "old": old.report[k], "new": new.report[k]} for k in SUMMARY_KEYS]
    old_det, new_det = _detection(old.report), _detection(new.report)
    for rule in old_det:
        if rule in new_det:
            for k in ("scam_recall", "false_positive_rate"):
                rows.append(
                    {"metric": f"{k} [{rule}]", "old": old_det[rule][k], "new": new_det[rule][k]}
                )
    for row in rows:
        row["delta"] = row["new"] - row["old"]
    return rows


def per_label(old: Side, new: Side, data: Labelled) -> list[dict[str, Any]]:
    present = set(data.labels)
    labels = [s for s in SLUGS if s in present]
    rows = []
    for label in labels:
        o, n = old.report["per_label"][label], new.report["per_label"][label]
        rows.append(
            {
                "label": label,
                "support": o["support"],
                **{f"old_{k}": o[k] for k in ("precision", "recall", "f1")},
                **{f"new_{k}": n[k] for k in ("precision", "recall", "f1")},
                "delta_f1": n["f1"] - o["f1"],
            }
        )
    return rows


def changed(old: Side, new: Side, data: Labelled) -> list[dict[str, Any]]:
    """Messages whose label or suggestion differs; `change` is fixed (old label wrong, new
    right), broken (the reverse) or changed (both right or both wrong: suggestion/label moved)."""
    out: list[dict[str, Any]] = []
    for i, (a, b) in enumerate(zip(old.verdicts, new.verdicts, strict=True)):
        if a.label == b.label and a.suggestion == b.suggestion:
            continue
        truth = data.labels[i]
        kind = "changed"
        if a.label != truth and b.label == truth:
            kind = "fixed"
        elif a.label == truth and b.label != truth:
            kind = "broken"
        out.append(
            {
                "change": kind,
                "source": data.sources[i],
                "text": data.texts[i],
                "label": truth,
                "old": {"label": a.label, "suggestion": a.suggestion, "risk": a.risk},
                "new": {"label": b.label, "suggestion": b.suggestion, "risk": b.risk},
            }
        )
    order = {"broken": 0, "fixed": 1, "changed": 2}
    out.sort(key=lambda r: (order[r["change"]], -abs(r["new"]["risk"] - r["old"]["risk"])))
    return out


def transitions(old: Side, new: Side) -> list[list[int]]:
    """Counts of suggestion old (rows) -> new (columns), in pass/review/block order."""
    index = {s: i for i, s in enumerate(SUGGESTIONS)}
    table = np.zeros((3, 3), dtype=np.int64)
    for a, b in zip(old.verdicts, new.verdicts, strict=True):
        table[index[a.suggestion], index[b.suggestion]] += 1
    return table.tolist()


def versus(old: Side, new: Side, data: Labelled) -> dict[str, float]:
    """Paired bootstrap of new minus old macro-F1 (labels of both models in one index): is the
    difference bigger than the noise of a data set this size?"""
    index = {label: i for i, label in enumerate(dict.fromkeys(old.classifier.labels))}
    for label in new.classifier.labels:
        index.setdefault(label, len(index))

    def codes(labels: Iterable[str]) -> np.ndarray:
        return np.array([index[label] for label in labels], dtype=np.int64)

    y = codes(data.labels)
    by_new, by_old = (codes(v.label for v in side.verdicts) for side in (new, old))
    return paired_bootstrap(y, by_new, by_old, len(index))


def compare(old_dir: str, new_dir: str, data_paths: Sequence[str], text_column: str = "text",
            label_column: str = "label", threads: int = 0) -> dict[str, Any]:  # fmt: skip
    data = load_labelled(data_paths, text_column, label_column)
    where = ", ".join(map(str, data_paths))
    old = score("old", Classifier.load(old_dir, threads=threads), data, where)
    new = score("new", Classifier.load(new_dir, threads=threads), data, where)
    diffs = changed(old, new, data)
    return {
        "old": {"dir": str(old_dir), "version": old.classifier.version},
        "new": {"dir": str(new_dir), "version": new.classifier.version},
        "data": {"files": [str(p) for p in data_paths], "n": len(data)},
        "summary": summary(old, new),
        "macro_f1_new_minus_old": versus(old, new, data),
        "per_label": per_label(old, new, data),
        "changes": dict(Counter(r["change"] for r in diffs)),
        "suggestion_transitions": transitions(old, new),
        "changed": diffs,
        "reports": {"old": old.report, "new": new.report},
        "labels": {"old": list(old.classifier.labels), "new": list(new.classifier.labels)},
        "risks": {
            "old": [v.risk for v in old.verdicts],
            "new": [v.risk for v in new.verdicts],
            "scam": [label in SCAM_SLUGS for label in data.labels],
        },
    }


# --- text ------------------------------------------------------------------------------------
def _short(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _difference_line(result: dict[str, Any]) -> str:
    return describe_difference(result["macro_f1_new_minus_old"], "the new model", "the old model")


def format_comparison(result: dict[str, Any], show: int = 20) -> str:
    lines = [
        f"old {result['old']['version']}  ({result['old']['dir']})",
        f"new {result['new']['version']}  ({result['new']['dir']})",
        f"data: {result['data']['n']} messages from {', '.join(result['data']['files'])}",
        "",
        f"{'metric':36s}{'old':>9s}{'new':>9s}{'delta':>9s}",
    ]
    for row in result["summary"]:
        lines.append(f"{row['metric']:36s}{row['old']:9.4f}{row['new']:9.4f}{row['delta']:+9.4f}")
    lines.append(f"macro-F1, new - old: {_difference_line(result)}")
    lines += ["", f"{'label':30s}{'n':>6s}{'F1 old':>9s}{'F1 new':>9s}{'delta':>9s}"]
    for row in result["per_label"]:
        lines.append(
            f"{row['label']:30s}{row['support']:6d}{row['old_f1']:9.3f}{row['new_f1']:9.3f}"
            f"{row['delta_f1']:+9.3f}"
        )
    counts = result["changes"]
    lines += [
        "",
        f"verdict changed for {len(result['changed'])} message(s): {counts.get('broken', 0)} "
        f"broken (old label right, new wrong), {counts.get('fixed', 0)} fixed, "
        f"{counts.get('changed', 0)} other changes",
        "suggestion old -> new: "
        + ", ".join(
            f"{a}->{b} {n}"
            for a, row in zip(SUGGESTIONS, result["suggestion_transitions"], strict=True)
            for b, n in zip(SUGGESTIONS, row, strict=True)
            if a != b and n
        ),
    ]
    for r in result["changed"][:show]:
        o, n = r["old"], r["new"]
        lines.append(
            f"  [{r['change']:7s}] {r['label']}: {o['label']}/{o['suggestion']} -> "
            f"{n['label']}/{n['suggestion']}  {_short(r['text'])}"
        )
    if len(result["changed"]) > show:
        lines.append(f"  ... and {len(result['changed']) - show} more (changed.jsonl)")
    return "\n".join(lines)


# --- HTML ------------------------------------------------------------------------------------
def _bars(result: dict[str, Any]) -> str:
    import matplotlib.pyplot as plt

    from training.report import _png

    rows = result["per_label"]
    labels = [r["label"] for r in rows]
    x = np.arange(len(labels))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(6, 0.65 * len(labels) + 2), 6.2))
    top.bar(x - 0.2, [r["old_f1"] for r in rows], 0.4, label="old")
    top.bar(x + 0.2, [r["new_f1"] for r in rows], 0.4, label="new")
    top.set_ylim(0, 1.05)
    top.set_ylabel("F1")
    top.set_xticks(x, [])
    top.legend(loc="lower left")
    top.set_title("per-label F1")
    deltas = [r["delta_f1"] for r in rows]
    bottom.bar(x, deltas, 0.6, color=["tab:green" if d >= 0 else "tab:red" for d in deltas])
    bottom.axhline(0, color="black", linewidth=0.8)
    bottom.set_ylabel("Δ F1 (new - old)")
    bottom.set_xticks(x, labels, rotation=60, ha="right", fontsize=8)
    return _png(fig)


def _transition_plot(table: list[list[int]]) -> str:
    import matplotlib.pyplot as plt

    from training.report import _png

    m = np.array(table)
    fig, ax = plt.subplots(figsize=(4, 3.4))
    ax.imshow(m, cmap="Purples")
    for i in range(3):
        for j in range(3):
            ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=9)
    ax.set_xticks(range(3), SUGGESTIONS)
    ax.set_yticks(range(3), SUGGESTIONS)
    ax.set_xlabel("new suggestion")
    ax.set_ylabel("old suggestion")
    ax.set_title("suggestions")
    return _png(fig)


def _risk_plot(risks: dict[str, list[Any]]) -> str:
    import matplotlib.pyplot as plt

    from training.report import _png

    scam = np.array(risks["scam"], dtype=bool)
    old, new = np.array(risks["old"]), np.array(risks["new"])
    fig, ax = plt.subplots(figsize=(4.2, 4.2))
    ax.plot([0, 1], [0, 1], "k--", linewidth=0.8)
    ax.scatter(old[~scam], new[~scam], s=8, alpha=0.5, label="not scam (truth)")
    ax.scatter(old[scam], new[scam], s=8, alpha=0.5, color="tab:red", label="scam (truth)")
    ax.set_xlabel("old risk")
    ax.set_ylabel("new risk")
    ax.set_title("risk per message")
    ax.legend(fontsize=8, loc="upper left")
    return _png(fig)


def render_html(result: dict[str, Any], show: int = 200) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from training.report import _table, confusion_plot

    esc = html.escape
    summary_rows = [
        [r["metric"], f"{r['old']:.4f}", f"{r['new']:.4f}", f"{r['delta']:+.4f}"]
        for r in result["summary"]
    ]
    figures = [f"{side}_{k}" for side in ("old", "new") for k in ("precision", "recall", "f1")]
    label_rows = [
        [r["label"], str(r["support"]), *(f"{r[f]:.3f}" for f in figures), f"{r['delta_f1']:+.3f}"]
        for r in result["per_label"]
    ]
    changed_rows = [
        [r["change"], r["label"], f"{r['old']['label']} / {r['old']['suggestion']}",
         f"{r['new']['label']} / {r['new']['suggestion']}",
         f"{r['old']['risk']:.3f} → {r['new']['risk']:.3f}", r["text"]]
        for r in result["changed"][:show]
    ]  # fmt: skip
    reports, labels = result["reports"], result["labels"]
    plots = [
        _bars(result),
        _transition_plot(result["suggestion_transitions"]),
        _risk_plot(result["risks"]),
        confusion_plot(reports["old"]["confusion_matrix"], labels["old"], "old: confusion"),
        confusion_plot(reports["new"]["confusion_matrix"], labels["new"], "new: confusion"),
    ]
    counts = result["changes"]
    parts = [
        "<h1>fanzha model comparison</h1>",
        f"<p>old <code>{esc(result['old']['version'])}</code> ({esc(result['old']['dir'])})<br>"
        f"new <code>{esc(result['new']['version'])}</code> ({esc(result['new']['dir'])})<br>"
        f"{result['data']['n']} messages from {esc(', '.join(result['data']['files']))}</p>",
        _table(summary_rows, ["metric", "old", "new", "Δ"]),
        f"<p>macro-F1, new − old: {esc(_difference_line(result))}</p>",
        _table(
            label_rows,
            ["label", "n", "P old", "R old", "F1 old", "P new", "R new", "F1 new", "Δ F1"],
        ),
        "".join(f'<img src="{p}" alt="plot">' for p in plots),
        f"<h2>verdicts changed: {len(result['changed'])}</h2><p>{counts.get('broken', 0)} broken"
        f" (old label right, new wrong), {counts.get('fixed', 0)} fixed, "
        f"{counts.get('changed', 0)} other changes; first {min(show, len(result['changed']))} "
        "shown, all in changed.jsonl</p>",
        _table(changed_rows, ["change", "truth", "old", "new", "risk", "text"]),
        "<p>Promote the new directory only through the service: <code>POST /admin/reload "
        '{"model_dir": "…"}</code> with an API key, or point <code>--model</code> at it and '
        "send SIGHUP.</p>",
    ]
    style = (
        "body{font-family:sans-serif;max-width:1150px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:3px 8px;text-align:right}td:first-child,td:last-child{text-align:left}"
        "img{max-width:100%;margin:0.5em}"
    )
    return (
        "<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>fanzha compare"
        f"</title><style>{style}</style></head><body>{''.join(parts)}</body></html>"
    )


def write_outputs(result: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    slim = {k: v for k, v in result.items() if k not in ("risks",)}
    paths = [out / "compare.json", out / "changed.jsonl", out / "report.html"]
    paths[0].write_text(json.dumps(slim, ensure_ascii=False, indent=2), encoding="utf-8")
    with paths[1].open("w", encoding="utf-8") as fh:
        for row in result["changed"]:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    paths[2].write_text(render_html(result), encoding="utf-8")
    return paths


def regressions(result: dict[str, Any], tolerance: float) -> list[str]:
    """Why the new model should not be promoted (macro-F1 or scam recall got worse)."""
    reasons = []
    for row in result["summary"]:
        if row["metric"] in ("macro_f1", "scam_recall [label]") and row["delta"] < -tolerance:
            reasons.append(f"{row['metric']} fell by {-row['delta']:.4f}")
    return reasons


def main(argv: Sequence[str] | None = None, prog: str = "fanzha compare") -> int:
    parser = argparse.ArgumentParser(
        prog=prog, description="compare two model directories on labelled data"
    )
    parser.add_argument("--old", required=True, help="model directory serving now")
    parser.add_argument("--new", required=True, help="candidate model directory")
    parser.add_argument("--data", action="append", required=True, metavar="FILE")
    parser.add_argument("--out", default="results/compare", help="directory for the reports")
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--label-column", default="label")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--show", type=int, default=20, help="changed messages to print")
    parser.add_argument(
        "--fail-if-worse",
        action="store_true",
        help="exit 1 if macro-F1 or scam recall drops by more than --tolerance (for CI gates)",
    )
    parser.add_argument("--tolerance", type=float, default=0.0)
    args = parser.parse_args(list(argv or []))
    try:
        result = compare(
            args.old, args.new, args.data, args.text_column, args.label_column, args.threads
        )
    except USER_ERRORS as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    print(format_comparison(result, args.show))
    paths = write_outputs(result, Path(args.out))
    print(f"\nwrote {', '.join(map(str, paths))}")
    print(
        "promote only through the service: POST /admin/reload with "
        f'{{"model_dir": "{args.new}"}}, or point --model at it and send SIGHUP'
    )
    reasons = regressions(result, args.tolerance)
    if reasons:
        print("the new model is worse: " + "; ".join(reasons))
        return 1 if args.fail_if_worse else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:], "python -m training.compare"))
