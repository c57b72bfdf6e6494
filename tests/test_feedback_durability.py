"""Nothing acknowledged is lost and nothing is doubled when a writer is killed mid-write.

A writer process stores corrections as fast as it can and prints each submission id once its
transaction has committed; it is killed with SIGKILL at an arbitrary moment, several times.
Afterwards every printed id is in the database exactly once, the database is intact, and
resending everything (what a client does after a lost answer) stores each submission once.
The same holds through the HTTP service (kill -9 of the server, restart on the same file).
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import sqlalchemy as sa

from service.feedback.db import Database, feedback, feedback_events
from tests.service_helpers import REPO, ProcessServer

WRITER = """
import sys
from service.feedback.db import Database
from service.feedback.store import FeedbackStore, Submission

url, prefix, start, stop = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
db = Database(url)
assert db.open(), db.error
store = FeedbackStore(db)
print("ready", flush=True)
labels = ("rebate_task", "normal", "investment")
for i in range(start, stop):
    sid = f"{prefix}-{i}"
    store.add(Submission(f"测试短信第{i % 37}条", labels[i % 3], analyst="w", submission_id=sid))
    print(sid, flush=True)
"""


def writer(url: str, prefix: str, start: int, stop: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, url, prefix, str(start), str(stop)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )


def run_and_kill(url: str, prefix: str, after: int) -> list[str]:
    """Start a writer, SIGKILL it after `after` acknowledgements; returns every id it printed
    (printed only after its commit)."""
    proc = writer(url, prefix, 0, 1_000_000)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    acked = [proc.stdout.readline().strip() for _ in range(after)]
    proc.send_signal(signal.SIGKILL)
    acked += [line.strip() for line in proc.stdout if line.strip()]
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    return acked


def last_index(sids: list[str]) -> int:
    return max(int(sid.rsplit("-", 1)[1]) for sid in sids)


def stored(url: str) -> tuple[list[str], dict[int, int], dict[int, int]]:
    """Submission ids of all events, and per feedback row: its counter and its event count."""
    db = Database(url)
    assert db.open(), db.error
    with db.connect() as conn:
        if db.backend == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        sids = [s for (s,) in conn.execute(sa.select(feedback_events.c.submission_id))]
        counters = dict(conn.execute(sa.select(feedback.c.id, feedback.c.submissions)).all())
        events = dict(
            conn.execute(
                sa.select(feedback_events.c.feedback_id, sa.func.count()).group_by(
                    feedback_events.c.feedback_id
                )
            ).all()
        )
    db.dispose()
    return sids, counters, events


def test_killed_writers_lose_and_double_nothing(database_url: str) -> None:
    rng = random.Random(11)
    acked: dict[str, list[str]] = {}
    for round_ in range(3):
        prefix = f"r{round_}"
        acked[prefix] = run_and_kill(database_url, prefix, rng.randint(15, 60))

    sids, counters, events = stored(database_url)
    assert len(sids) == len(set(sids)), "a submission was stored twice"
    everything_acked = {sid for ids in acked.values() for sid in ids}
    assert everything_acked <= set(sids), "an acknowledged submission was lost"
    for prefix, ids in acked.items():  # at most the one in flight committed without its ack
        last = last_index(ids)
        extra = {s for s in sids if s.startswith(prefix + "-")} - set(ids)
        assert extra <= {f"{prefix}-{last + 1}"}
    assert counters == events

    # the client resends everything it is not sure about (here: everything)
    for prefix, ids in acked.items():
        stop = last_index(ids) + 2
        proc = writer(database_url, prefix, 0, stop)
        proc.communicate(timeout=120)
        assert proc.returncode == 0
    sids, counters, events = stored(database_url)
    expected = {f"{p}-{i}" for p, ids in acked.items() for i in range(last_index(ids) + 2)}
    assert sorted(sids) == sorted(expected)
    assert counters == events
    assert len(counters) == min(37, len(expected))


def test_killing_the_service_mid_write_loses_nothing(tiny_model_dir: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/service.sqlite3"
    args = ["--model", str(tiny_model_dir), "--database-url", url, "--log-level", "warning"]
    server = ProcessServer(args, tmp_path / "first.log")
    server.wait_ready()
    acked: list[str] = []
    sent: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()

    def client(n: int) -> None:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            for i in range(10_000):
                sid = f"c{n}-{i}"
                body = {
                    "text": f"服务测试短信{i % 23}",
                    "label": "rebate_task",
                    "submission_id": sid,
                }
                with lock:
                    sent.append(sid)
                try:
                    response = http.post("/v1/feedback", json=body)
                except httpx.TransportError:
                    return
                assert response.status_code in (200, 201), response.text
                with lock:
                    acked.append(sid)
                    if len(acked) >= 60:
                        enough.set()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    assert enough.wait(60)
    server.proc.kill()
    for t in threads:
        t.join(30)
    server.stop()

    restarted = ProcessServer(args, tmp_path / "second.log")
    restarted.wait_ready()
    try:
        sids, _, _ = stored(url)
        assert set(acked) <= set(sids)
        assert set(sids) <= set(sent)
        with httpx.Client(base_url=restarted.url, timeout=10) as http:
            for sid in sent:  # resend everything: duplicates are recognised
                i = int(sid.rsplit("-", 1)[1])
                body = {
                    "text": f"服务测试短信{i % 23}",
                    "label": "rebate_task",
                    "submission_id": sid,
                }
                assert http.post("/v1/feedback", json=body).status_code in (200, 201)
            listed = http.get("/v1/feedback", params={"limit": 500}).json()
        texts = {int(sid.rsplit("-", 1)[1]) % 23 for sid in sent}
        assert listed["total"] == len(texts)
        assert sum(item["submissions"] for item in listed["items"]) == len(sent)
    finally:
        restarted.stop()
