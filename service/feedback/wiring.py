"""The analyst side of one service process: database, feedback store, live rules and the
recent-message map, with their start and stop. The app factory builds one and hands the rules
and the map to the scorer."""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import CollectorRegistry

from service.feedback.db import Database
from service.feedback.live_rules import LiveRules
from service.feedback.recent import RecentMessages
from service.feedback.rule_store import RuleStore
from service.feedback.store import FeedbackStore
from service.settings import Settings

log = logging.getLogger(__name__)


class Analyst:
    def __init__(self, settings: Settings, registry: CollectorRegistry | None = None) -> None:
        self.db = Database(settings.database_url.get_secret_value())
        self.feedback = FeedbackStore(self.db)
        self.rules = LiveRules(
            settings.rules_file, RuleStore(self.db), registry, settings.rules_poll_s
        )
        self.recent = (
            RecentMessages(settings.feedback_cache_size, settings.feedback_cache_ttl_s)
            if settings.feedback_cache_size > 0
            else None
        )

    async def start(self) -> None:
        """Open the database (its absence is logged, not fatal) and load the rules (a bad
        rules file is fatal: the operator asked for those rules)."""
        if not await asyncio.to_thread(self.db.open):
            log.error(
                "database unavailable: feedback and database rules answer 503 until it is back",
                extra={
                    "event": "database",
                    "database": self.db.description,
                    "reason": self.db.error,
                },
            )
        await asyncio.to_thread(self.rules.load_initial)
        self.rules.start_polling()

    async def stop(self) -> None:
        await self.rules.stop_polling()
        await asyncio.to_thread(self.db.dispose)

    def status(self) -> dict[str, object]:
        return {
            "database": {
                "url": self.db.description,
                "backend": self.db.backend,
                "available": self.db.available,
                "error": self.db.error,
            },
            "rules": self.rules.status(),
            "recent_messages": len(self.recent) if self.recent is not None else None,
        }
