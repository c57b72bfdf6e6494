"""The plan of one run, written by the runner as JSON and read by every Locust process.

Locust forks its worker processes after importing the locustfile, and custom command-line
options do not reach them reliably; a file named by one environment variable does, and it
doubles as the record of what was run.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from loadtest.shapes import ShapeSpec

ENV_VAR = "FANZHA_LOADTEST_RUN"

# Route names as Locust reports them (and as SLO files may name them).
ROUTES = {"analyst": "/v1/classify (analyst)", "gateway": "/v1/classify (gateway)"}


@dataclass
class RunConfig:
    spec: ShapeSpec
    corpus: str  # JSONL pool written by the runner
    raw_dir: str  # where each Locust worker writes its per-request log
    labels: dict[str, list[Any]]  # LabelSet.to_dict() of the served model
    users: int  # constant Locust user count carrying the schedule
    max_messages: int = 256  # the server's limit per request (from its OpenAPI schema)
    batch_size: int = 0  # gateway batch size; 0 draws from the realistic distribution
    gateway_share: float = 0.2  # mixed caller: share of requests that are gateway batches
    inflight_cap: int = 512  # open loop: requests in flight per user before the generator sheds
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        data = asdict(self)
        data["spec"] = self.spec.to_dict()
        return json.dumps(data, ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        data = json.loads(text)
        data["spec"] = ShapeSpec.from_dict(data["spec"])
        return cls(**data)

    def write(self, path: Path) -> Path:
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: str | Path) -> RunConfig:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))
