"""The naive baseline of the benchmark suite: FastAPI + PyTorch, one message per call.

What a first version of the service would look like: a synchronous handler that tokenises one
message and runs the PyTorch network on it, no batching, no ONNX, no queue. It loads the same
weights as the served graph (`pytorch/` of the model directory) and the same tokenizer and
normaliser, so the comparison measures the serving design, not a different model.

    python scripts/naive_torch_app.py --model models/default --port 8100
    curl -s localhost:8100/classify -d '{"text": "..."}' -H 'Content-Type: application/json'
"""

# No `from __future__ import annotations`: FastAPI must see the request model class itself in
# the handler's signature, not a string naming a class local to `build_app`.
import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def build_app(model_dir: Path, threads: int) -> object:
    import torch
    from fastapi import FastAPI
    from pydantic import BaseModel

    from fanzha.modeldir import load_model_dir
    from fanzha.tokenizer import TextEncoder, pad_batch
    from training.model import load_trained

    torch.set_num_threads(threads)
    directory = load_model_dir(model_dir)
    encoder = TextEncoder.from_file(directory.tokenizer_path, directory.config.encoding)
    network = load_trained(model_dir / "pytorch")
    labels = directory.labels
    temperature = directory.config.temperature
    app = FastAPI(title="naive PyTorch baseline")

    class Message(BaseModel):
        text: str

    @app.post("/classify")
    def classify(message: Message) -> dict[str, object]:
        (encoded,) = encoder.encode([message.text])
        ids, mask = pad_batch([encoded], directory.config.encoding.pad_id)
        with torch.inference_mode():
            logits = network(torch.from_numpy(ids), torch.from_numpy(mask))
        probs = torch.softmax(logits[0] / temperature, dim=-1)
        best = int(probs.argmax())
        return {"label": labels[best], "score": float(probs[best])}

    @app.get("/readyz")
    def readyz() -> dict[str, str]:
        return {"status": "ready"}

    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=Path("models/default"))
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads (0: all cores). 1 is the baseline's best setting: one SMS "
        "is too small a tensor to split, and on a busy machine OpenMP threads waiting for each "
        "other made 2 threads ten times slower per call than 1 in our measurements",
    )
    args = parser.parse_args()
    import os

    import uvicorn

    threads = args.threads or len(os.sched_getaffinity(0))
    app = build_app(args.model, threads)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
