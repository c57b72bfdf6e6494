"""Recently scored messages, in memory only, so feedback can name a message by its id.

A gateway that scored a message knows its `id`, not necessarily its text by the time an analyst
corrects it; feedback by id needs the text. Keeping every scored text in the database would
store personal information nobody asked to keep, and logs never hold text. So each worker keeps
the last `capacity` messages it scored for `ttl_s` seconds in memory (never on disk, gone on
restart) and feedback by id looks there; a miss asks the client to send the text. With several
workers, only the worker that scored a message knows it; the console always sends the text.

Entries are also found by text, so feedback that sends the text records what was served.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Seen:
    text: str
    sender: str | None
    label: str
    suggestion: str
    model_version: str
    at: float  # monotonic


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class RecentMessages:
    def __init__(self, capacity: int, ttl_s: float) -> None:
        self.capacity = capacity
        self.ttl_s = ttl_s
        self._by_text: OrderedDict[bytes, Seen] = OrderedDict()
        self._ids: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()  # the scorer may record from a worker thread

    def __len__(self) -> int:
        return len(self._by_text)

    def remember(
        self,
        texts: Sequence[str],
        records: Sequence[Mapping[str, Any]],
        senders: Sequence[str | None] | None = None,
        ids: Sequence[str | None] | None = None,
    ) -> None:
        stamp = time.monotonic()
        with self._lock:
            for i, (text, record) in enumerate(zip(texts, records, strict=True)):
                key = _key(text)
                sender = senders[i] if senders else None
                self._by_text[key] = Seen(
                    text, sender, record["label"], record["suggestion"], record["model_version"],
                    stamp,
                )  # fmt: skip
                self._by_text.move_to_end(key)
                message_id = ids[i] if ids else None
                if message_id is not None:
                    self._ids[message_id] = key
                    self._ids.move_to_end(message_id)
            while len(self._by_text) > self.capacity:
                self._by_text.popitem(last=False)
            while len(self._ids) > self.capacity:
                self._ids.popitem(last=False)

    def _fresh(self, key: bytes | None) -> Seen | None:
        seen = self._by_text.get(key) if key is not None else None
        if seen is None or time.monotonic() - seen.at > self.ttl_s:
            return None
        return seen

    def by_id(self, message_id: str) -> Seen | None:
        with self._lock:
            return self._fresh(self._ids.get(message_id))

    def by_text(self, text: str) -> Seen | None:
        with self._lock:
            return self._fresh(_key(text))
