"""The evaluation report: one self-contained HTML file with plots, written into the model
directory, for analysts who would rather look than read JSON."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import numpy as np

from fanzha.modeldir import REPORT_FILE
from training.evaluate import describe_difference


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def confusion_plot(matrix: list[list[int]], labels: list[str], title: str) -> str:
    import matplotlib.pyplot as plt

    m = np.array(matrix, dtype=np.float64)
    row = m.sum(axis=1, keepdims=True)
    share = np.divide(m, row, out=np.zeros_like(m), where=row > 0)
    fig, ax = plt.subplots(figsize=(0.55 * len(labels) + 3, 0.5 * len(labels) + 2.5))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if m[i, j]:
                color = "white" if share[i, j] > 0.5 else "black"
                ax.text(j, i, str(int(m[i, j])), ha="center", va="center", fontsize=7, color=color)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return _png(fig)


def f1_plot(model: dict[str, Any], baseline: dict[str, Any], labels: list[str], title: str) -> str:
    import matplotlib.pyplot as plt

    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(labels) + 2), 3.6))
    ax.bar(x - 0.2, [model["per_label"][lb]["f1"] for lb in labels], 0.4, label="model")
    ax.bar(x + 0.2, [baseline["per_label"][lb]["f1"] for lb in labels], 0.4, label="TF-IDF")
    ax.set_xticks(x, labels, rotation=60, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("F1")
    ax.set_title(title)
    ax.legend(loc="lower left")
    return _png(fig)


def reliability_plot(report: dict[str, Any], title: str) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.2, 4.2))
    ax.plot([0, 1], [0, 1], "k--", linewidth=1, label="perfect")
    for key, name in (("reliability_uncalibrated", "before"), ("reliability", "after")):
        bins = report.get(key) or []
        ax.plot(
            [b["confidence"] for b in bins],
            [b["accuracy"] for b in bins],
            "o-",
            label=f"{name} (ECE {report['ece' if name == 'after' else 'ece_uncalibrated']:.3f})",
        )
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    return _png(fig)


def history_plot(history: list[dict[str, float]]) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3))
    epochs = [h["epoch"] for h in history]
    ax.plot(epochs, [h["val_macro_f1"] for h in history], "o-", label="validation macro-F1")
    ax2 = ax.twinx()
    ax2.plot(epochs, [h["train_loss"] for h in history], "s--", color="gray", label="train loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("macro-F1")
    ax2.set_ylabel("loss")
    ax.legend(loc="lower right", fontsize=8)
    return _png(fig)


def adversarial_plot(report: dict[str, Any]) -> str:
    import matplotlib.pyplot as plt

    kinds = list(report["perturbations"])
    x = np.arange(len(kinds))
    fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(kinds) + 2), 3.4))
    for offset, key, name in (
        (-0.2, "delta_macro_f1", "Δ macro-F1"),
        (0.2, "delta_scam_recall", "Δ scam recall"),
    ):
        ax.bar(x + offset, [report["perturbations"][k][key] * 100 for k in kinds], 0.4, label=name)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, kinds, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("points vs clean")
    ax.set_title(f"{report['set']}: evasion robustness")
    ax.legend(fontsize=8)
    return _png(fig)


def _adversarial_section(reports: dict[str, Any]) -> str:
    parts = ["<h2>evasion robustness (adversarial copies)</h2>"]
    for report in reports.values():
        clean = report["clean"]
        rows = [
            [
                "clean",
                "",
                f"{clean['macro_f1']:.4f}",
                "",
                f"{clean['scam_recall']:.4f}",
                "",
                f"{clean['false_positive_rate']:.4f}",
                "",
            ]
        ]
        for kind, f in report["perturbations"].items():
            rows.append(
                [
                    kind,
                    f"{f['changed_share']:.2f}",
                    f"{f['macro_f1']:.4f}",
                    f"{f['delta_macro_f1'] * 100:+.2f}",
                    f"{f['scam_recall']:.4f}",
                    f"{f['delta_scam_recall'] * 100:+.2f}",
                    f"{f['false_positive_rate']:.4f}",
                    f"{f['same_label_share']:.3f}",
                ]
            )
        header = [
            "perturbation",
            "changed",
            "macro-F1",
            "Δ pts",
            "scam recall",
            "Δ pts",
            "FPR",
            "same verdict",
        ]
        parts.append(f"<h3>{html.escape(report['set'])} ({report['n']} messages)</h3>")
        parts.append(_table(rows, header))
        parts.append(f'<img src="{adversarial_plot(report)}" alt="adversarial">')
    return "".join(parts)


def _ensemble_section(ensemble: dict[str, Any]) -> str:
    """Validation macro-F1 for each share of the encoder: 0 is the n-gram half alone (the
    baseline's model), so this shows whether the encoder earns its cost on this data."""
    chosen = str(ensemble["encoder_weight"])
    rows = [
        [f"{w}{' (chosen)' if w == chosen else ''}", f"{f1:.4f}"]
        for w, f1 in ensemble["validation_macro_f1_by_encoder_weight"].items()
    ]
    return (
        "<h2>ensemble: n-gram half + w × encoder</h2>"
        "<p>w = 0 is the n-gram half alone; w is chosen on validation.</p>"
        + _table(rows, ["encoder weight w", "validation macro-F1"])
    )


def _table(rows: list[list[str]], header: list[str]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _summary_rows(model: dict[str, Any], baseline: dict[str, Any]) -> list[list[str]]:
    rows = [
        [key, f"{model[key]:.4f}", f"{baseline[key]:.4f}"]
        for key in ("accuracy", "macro_f1", "weighted_f1", "ece")
    ]
    rows.append(["ece before temperature scaling", f"{model['ece_uncalibrated']:.4f}", ""])
    for rule, fig in model["scam_detection"].items():
        base = baseline["scam_detection"][rule]
        rows.append(
            [f"scam recall [{rule}]", f"{fig['scam_recall']:.4f}", f"{base['scam_recall']:.4f}"]
        )
        rows.append(
            [
                f"false positive rate [{rule}]",
                f"{fig['false_positive_rate']:.4f}",
                f"{base['false_positive_rate']:.4f}",
            ]
        )
    return rows


def _thresholds_paragraph(thresholds: dict[str, Any] | None) -> str:
    """Where the suggestion thresholds came from, so a reader of the block figures knows."""
    if not thresholds:
        return ""
    text = (
        f"suggestion thresholds: review {thresholds['review']:.2f}, block {thresholds['block']:.2f}"
    )
    choice = thresholds.get("block_choice")
    if isinstance(choice, dict):
        text += (
            f" (chosen on validation data: the lowest at which at most {choice['max_fpr']:g} of "
            f"its {choice['validation_non_scam']} non-scam messages would be blocked; there it "
            f"blocks {choice['validation_fpr']:.1%} of them and {choice['validation_recall']:.1%} "
            f"of its {choice['validation_scam']} scams)"
        )
    else:
        text += " (set by hand)"
    return f"<p>{html.escape(text)}</p>"


def render(card: dict[str, Any], labels: list[str]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    parts = [
        f"<h1>fanzha model report</h1><p>version <code>{html.escape(card['model_version'])}</code>"
        f", created {html.escape(card['created'])}</p>",
        _thresholds_paragraph(card.get("training", {}).get("thresholds")),
    ]
    for name, result in card["evaluation"].items():
        model, baseline = result["model"], result["baseline"]
        present = [lb for lb in labels if model["per_label"][lb]["support"]]
        parts.append(f"<h2>{html.escape(name)} ({model['n']} messages)</h2>")
        parts.append(_table(_summary_rows(model, baseline), ["metric", "model", "TF-IDF baseline"]))
        if result.get("versus_baseline"):
            line = describe_difference(result["versus_baseline"])
            parts.append(f"<p>macro-F1, model − baseline: {html.escape(line)}</p>")
        per_label = [
            [
                lb,
                *(f"{model['per_label'][lb][k]:.3f}" for k in ("precision", "recall", "f1")),
                f"{baseline['per_label'][lb]['f1']:.3f}",
                str(model["per_label"][lb]["support"]),
            ]
            for lb in labels
        ]
        parts.append(_table(per_label, ["label", "precision", "recall", "F1", "baseline F1", "n"]))
        plots = [
            confusion_plot(model["confusion_matrix"], labels, f"{name}: confusion matrix"),
            f1_plot(model, baseline, present, f"{name}: per-label F1"),
            reliability_plot(model, f"{name}: reliability"),
        ]
        parts.append("".join(f'<img src="{p}" alt="plot">' for p in plots))
    if card.get("adversarial"):
        parts.append(_adversarial_section(card["adversarial"]))
    ensemble = card.get("ensemble", {})
    if ensemble.get("validation_macro_f1_by_encoder_weight"):
        parts.append(_ensemble_section(ensemble))
    history = card.get("training", {}).get("history") or []
    if history:
        parts.append("<h2>training</h2>" + f'<img src="{history_plot(history)}" alt="history">')
    parity = card.get("parity", {})
    if parity:
        rows = [
            [k, f"{v['label_agreement']:.4f}", f"{v['max_abs_prob_diff']:.5f}", str(v["n"])]
            for k, v in parity.items()
        ]
        parts.append(
            "<h2>ONNX parity with PyTorch</h2>"
            + _table(rows, ["graph", "label agreement", "max |Δp|", "n"])
        )
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:3px 8px;text-align:right}td:first-child{text-align:left}"
        "img{max-width:100%;margin:0.5em}"
    )
    return (
        f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>fanzha report</title>"
        f"<style>{style}</style></head><body>{''.join(parts)}</body></html>"
    )


def write_report(out: Path, card: dict[str, Any], labels: list[str]) -> Path:
    path = out / REPORT_FILE
    path.write_text(render(card, labels), encoding="utf-8")
    return path
