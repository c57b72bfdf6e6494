"""Analysts' corrections: one row per distinct message text, every submission in an audit trail.

The store keeps the message text an analyst submits: that text is the training data the
centre asked to keep (it becomes a row of `fanzha feedback export`). Logs never hold it.

Duplicates merge: the same text (after Unicode NFC and trimming) corrected again updates its
row (latest label wins, `submissions` counts, `disputed` marks texts that got different labels).
A client may send a `submission_id`; resending it after a lost answer changes nothing, so
retries after a crash neither lose nor double a correction.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from fanzha.taxonomy import label_zh
from service.feedback.db import Database, feedback, feedback_events, now


@dataclass(frozen=True)
class Submission:
    text: str
    label: str  # a taxonomy slug
    note: str | None = None
    analyst: str | None = None
    message_id: str | None = None
    sender: str | None = None
    served_label: str | None = None
    served_suggestion: str | None = None
    model_version: str | None = None
    submission_id: str | None = None


def text_key(text: str) -> str:
    """The identity of a message for merging: its NFC form without surrounding whitespace."""
    return hashlib.sha256(unicodedata.normalize("NFC", text.strip()).encode()).hexdigest()


def iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _public(row: Any) -> dict[str, Any]:
    data = {str(key): value for key, value in row._mapping.items()}  # plain str keys for orjson
    data.pop("text_key", None)
    data["label_zh"] = label_zh(data["label"])
    data["disputed"] = bool(data["disputed"])
    data["created_at"] = iso(data["created_at"])
    data["updated_at"] = iso(data["updated_at"])
    return data


class FeedbackStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _insert(self) -> Any:
        return (postgresql if self.db.backend == "postgresql" else sqlite).insert(feedback)

    def add(self, item: Submission) -> tuple[dict[str, Any], str]:
        """Store one correction in one transaction; returns the merged row and the outcome:
        "created", "merged" (same text as an earlier row) or "duplicate" (a resent
        submission_id: nothing changed)."""
        try:
            with self.db.begin() as conn:
                if item.submission_id and (earlier := self._by_submission(conn, item)):
                    return earlier, "duplicate"
                row_id, submissions = self._upsert(conn, item)
                conn.execute(
                    sa.insert(feedback_events).values(
                        feedback_id=row_id,
                        submission_id=item.submission_id,
                        label=item.label,
                        analyst=item.analyst,
                        note=item.note,
                        created_at=now(),
                    )
                )
                row = conn.execute(sa.select(feedback).where(feedback.c.id == row_id)).one()
                return _public(row), "created" if submissions == 1 else "merged"
        except sa.exc.IntegrityError:
            # a concurrent request with the same submission_id committed first
            with self.db.connect() as conn:
                earlier = self._by_submission(conn, item)
            if earlier is None:
                raise
            return earlier, "duplicate"

    def _by_submission(self, conn: sa.Connection, item: Submission) -> dict[str, Any] | None:
        query = (
            sa.select(feedback)
            .join(feedback_events, feedback_events.c.feedback_id == feedback.c.id)
            .where(feedback_events.c.submission_id == item.submission_id)
        )
        row = conn.execute(query).first()
        return _public(row) if row is not None else None

    def _upsert(self, conn: sa.Connection, item: Submission) -> tuple[int, int]:
        stamp = now()
        stmt = self._insert().values(
            text_key=text_key(item.text),
            text=item.text,
            label=item.label,
            note=item.note,
            analyst=item.analyst,
            message_id=item.message_id,
            sender=item.sender,
            served_label=item.served_label,
            served_suggestion=item.served_suggestion,
            model_version=item.model_version,
            submissions=1,
            disputed=False,
            created_at=stamp,
            updated_at=stamp,
        )
        new = stmt.excluded
        c = feedback.c
        stmt = stmt.on_conflict_do_update(
            index_elements=[c.text_key],
            set_={
                "label": new.label,
                "note": sa.func.coalesce(new.note, c.note),
                "analyst": sa.func.coalesce(new.analyst, c.analyst),
                "message_id": sa.func.coalesce(new.message_id, c.message_id),
                "sender": sa.func.coalesce(new.sender, c.sender),
                "served_label": sa.func.coalesce(new.served_label, c.served_label),
                "served_suggestion": sa.func.coalesce(new.served_suggestion, c.served_suggestion),
                "model_version": sa.func.coalesce(new.model_version, c.model_version),
                "submissions": c.submissions + 1,
                "disputed": sa.or_(c.disputed, c.label != new.label),
                "updated_at": new.updated_at,
            },
        ).returning(c.id, c.submissions)
        row = conn.execute(stmt).one()
        return int(row.id), int(row.submissions)

    def recent(
        self, limit: int = 50, offset: int = 0, label: str | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        """Newest corrections first, and how many there are in all (with the filter)."""
        where = [feedback.c.label == label] if label else []
        query = (
            sa.select(feedback)
            .where(*where)
            .order_by(feedback.c.updated_at.desc(), feedback.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        total = sa.select(sa.func.count()).select_from(feedback).where(*where)
        with self.db.connect() as conn:
            rows = [_public(r) for r in conn.execute(query)]
            return rows, int(conn.execute(total).scalar_one())

    def get(self, feedback_id: int) -> dict[str, Any] | None:
        """One row with its submissions, oldest first."""
        with self.db.connect() as conn:
            row = conn.execute(sa.select(feedback).where(feedback.c.id == feedback_id)).first()
            if row is None:
                return None
            events = conn.execute(
                sa.select(feedback_events)
                .where(feedback_events.c.feedback_id == feedback_id)
                .order_by(feedback_events.c.id)
            )
            history = [
                {
                    "label": e.label,
                    "analyst": e.analyst,
                    "note": e.note,
                    "created_at": iso(e.created_at),
                }
                for e in events
            ]
        return {**_public(row), "history": history}

    def delete(self, feedback_id: int) -> bool:
        with self.db.begin() as conn:
            conn.execute(
                sa.delete(feedback_events).where(feedback_events.c.feedback_id == feedback_id)
            )
            gone = conn.execute(sa.delete(feedback).where(feedback.c.id == feedback_id))
            return bool(gone.rowcount)

    def label_counts(self) -> dict[str, int]:
        query = sa.select(feedback.c.label, sa.func.count()).group_by(feedback.c.label)
        with self.db.connect() as conn:
            return {label: int(n) for label, n in conn.execute(query)}

    def rows(self, since: float | None = None, include_disputed: bool = True) -> Iterator[dict]:
        """Every row in insertion order, streamed (for export)."""
        query = sa.select(feedback).order_by(feedback.c.id)
        if since is not None:
            query = query.where(feedback.c.updated_at >= since)
        if not include_disputed:
            query = query.where(feedback.c.disputed.is_(False))
        with self.db.connect() as conn:
            for row in conn.execution_options(yield_per=1000).execute(query):
                yield _public(row)
