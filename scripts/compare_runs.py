"""Several training runs side by side, from their cards: how far apart do runs land that differ
only in seed, thread count or one option, and is a model's lead over the TF-IDF baseline larger
than that spread?

A run differing only in its number of intra-op threads already lands on other weights
(floating-point sums in another order), so one run per recipe says little; this table shows
each run's choices on the development set (best epoch, encoder weight, block threshold) and its
figures on every evaluation set, next to the baseline fitted on the same split.

    python scripts/compare_runs.py models/default /tmp/run-seed14 /tmp/run-seed15
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any


def run_row(model: Path) -> dict[str, Any]:
    card = json.loads((model / "card.json").read_text(encoding="utf-8"))
    config = json.loads((model / "config.json").read_text(encoding="utf-8"))
    options = card["training"]["options"]
    ensemble = card.get("ensemble") or {}
    by_weight = ensemble.get("validation_macro_f1_by_encoder_weight") or {}
    weight = ensemble.get("encoder_weight")
    row: dict[str, Any] = {
        "model": str(model),
        "seed": options["seed"],
        "threads": options["threads"],
        "weight_average": options.get("weight_average", 0.0),
        "best_epoch": card["training"]["best_epoch"],
        "encoder_weight": weight,
        "dev_macro_f1": by_weight.get(str(weight)) if weight is not None else None,
        "block": config["thresholds"]["block"],
        "sets": {},
    }
    for name, part in card["evaluation"].items():
        if name == "test":
            continue
        block = next(
            (v for k, v in part["model"]["scam_detection"].items() if k.startswith("block")), {}
        )
        versus = part.get("versus_baseline")  # cards written before it had none
        row["sets"][name] = {
            "model": part["model"]["macro_f1"],
            "baseline": part["baseline"]["macro_f1"],
            "difference": part["model"]["macro_f1"] - part["baseline"]["macro_f1"],
            "interval": (versus["low"], versus["high"]) if versus else None,
            "block_recall": block.get("scam_recall"),
            "block_fpr": block.get("false_positive_rate"),
        }
    return row


def _f(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def markdown(rows: list[dict[str, Any]]) -> str:
    sets = sorted({name for row in rows for name in row["sets"]})
    head = ["run", "seed", "threads", "avg", "epoch", "w", "dev macro-F1", "block"]
    for name in sets:
        head += [f"{name}: model", "baseline", "model - baseline", "block recall / FPR"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [
            Path(row["model"]).name,
            str(row["seed"]),
            str(row["threads"] or "all"),
            _f(row["weight_average"], 4) if row["weight_average"] else "off",
            str(row["best_epoch"]),
            _f(row["encoder_weight"], 2),
            _f(row["dev_macro_f1"]),
            _f(row["block"], 2),
        ]
        for name in sets:
            s = row["sets"].get(name)
            if s is None:
                cells += ["", "", "", ""]
                continue
            interval = " ({:+.3f} to {:+.3f})".format(*s["interval"]) if s["interval"] else ""
            cells += [
                _f(s["model"]),
                _f(s["baseline"]),
                f"{s['difference']:+.3f}{interval}",
                f"{_f(s['block_recall'])} / {_f(s['block_fpr'])}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    for name in sets:
        diffs = [row["sets"][name]["difference"] for row in rows if name in row["sets"]]
        mean = statistics.mean(diffs)
        lines.append(
            f"\n{name}: model - baseline over {len(diffs)} runs: mean {mean:+.3f}, "
            f"from {min(diffs):+.3f} to {max(diffs):+.3f}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", type=Path, help="model directories")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    missing = [m for m in args.models if not (m / "card.json").is_file()]
    if missing:
        parser.error(f"not a model directory (no card.json): {', '.join(map(str, missing))}")
    rows = [run_row(model) for model in args.models]
    print(json.dumps(rows, indent=2) if args.json else markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
