"""The rule set a service process applies, and its replacement without a restart.

Rules come from the rules file (FANZHA_RULES_FILE) and the database. A reload reads both,
validates everything and swaps one reference; if anything is wrong the previous set keeps
serving and the problems are reported (API, console, log). Changes are noticed by polling the
file's size and mtime and a revision number in the database every `poll_s` seconds, so every
worker of every machine picks up a rule added through any of them.

At start-up a bad rules file stops the service (the operator asked for those rules); bad
database rules do not: the file's rules serve and the problem is reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter

from fanzha.rules import Rule, RulesError, RuleSet, build_ruleset, load_rules_file, parse_rule
from fanzha.rules import parse_rules as parse_definitions
from service.feedback.db import StoreUnavailable
from service.feedback.rule_store import RuleStore

log = logging.getLogger(__name__)


class RuleConflict(Exception):
    """A change the database cannot take, e.g. editing a rule defined in the rules file."""


class LiveRules:
    def __init__(
        self,
        path: Path | None,
        store: RuleStore,
        registry: CollectorRegistry | None = None,
        poll_s: float = 5.0,
    ) -> None:
        self.path = path
        self.store = store
        self.poll_s = poll_s
        self._current = RuleSet()
        self._file_rules: list[Rule] = []
        self._db_definitions: list[dict[str, Any]] = []
        self._file_signature: tuple[int, int] | None = None
        self._revision: int | None = None
        self._lock = threading.Lock()
        self._task: asyncio.Task[None] | None = None
        self.loaded_at: float | None = None
        self.error: str | None = None
        self.problems: list[tuple[str, str]] = []
        self.hits = Counter(
            "fanzha_rule_hits", "results changed by a rule", ["rule"], registry=registry
        )

    @property
    def current(self) -> RuleSet:
        return self._current

    # --- loading -------------------------------------------------------------------------------
    def _signature(self) -> tuple[int, int] | None:
        if self.path is None:
            return None
        try:
            stat = self.path.stat()
        except OSError:
            return (-1, -1)
        return (stat.st_mtime_ns, stat.st_size)

    def _read_database(self) -> tuple[list[dict[str, Any]], int | None]:
        """Stored definitions and revision; the last ones seen while the database is down."""
        try:
            return self.store.definitions(), self.store.revision()
        except StoreUnavailable as exc:
            log.warning(
                "database rules unavailable", extra={"event": "rules_db", "reason": str(exc)}
            )
            return self._db_definitions, self._revision

    def _swap(
        self,
        ruleset: RuleSet,
        file_rules: list[Rule],
        definitions: list[dict[str, Any]],
        signature: tuple[int, int] | None,
        revision: int | None,
    ) -> None:
        self._current = ruleset
        self._file_rules = file_rules
        self._db_definitions = definitions
        self._file_signature = signature
        self._revision = revision
        self.loaded_at = time.time()
        self.error, self.problems = None, []
        log.info(
            "rules loaded",
            extra={
                "event": "rules_loaded",
                "rules": len(ruleset),
                "file_rules": len(file_rules),
                "database_rules": len(definitions),
                "revision": revision,
            },
        )

    def _fail(self, exc: RulesError, signature: tuple[int, int] | None, revision: int | None):
        # remember what failed, so polling does not retry (and log) the same broken state
        self._file_signature, self._revision = signature, revision
        self.error, self.problems = str(exc), exc.problems
        log.error("rules rejected", extra={"event": "rules_rejected", "reason": str(exc)})

    def reload(self) -> RuleSet:
        """Read file and database, validate all, swap; raises RulesError and keeps the old set."""
        with self._lock:
            signature = self._signature()
            definitions, revision = self._read_database()
            try:
                file_rules = load_rules_file(self.path) if self.path is not None else []
                db_rules = parse_definitions(definitions, "database", "database rules")
                ruleset = build_ruleset(file_rules, db_rules)
            except RulesError as exc:
                self._fail(exc, signature, revision)
                raise
            self._swap(ruleset, file_rules, definitions, signature, revision)
            return ruleset

    def load_initial(self) -> None:
        """Start-up: a bad file raises; bad database rules leave the file's rules serving."""
        try:
            self.reload()
        except RulesError:
            file_rules = load_rules_file(self.path) if self.path is not None else []
            error, problems = self.error, self.problems
            self._swap(build_ruleset(file_rules), file_rules, [], self._signature(), None)
            self.error, self.problems = error, problems

    def changed(self) -> bool:
        if self._signature() != self._file_signature:
            return True
        try:
            return self.store.revision() != self._revision
        except StoreUnavailable:
            return False

    # --- changes through the API ---------------------------------------------------------------
    def put(self, definition: Mapping[str, Any], author: str | None) -> tuple[Rule, bool]:
        """Validate a rule against all the others, store it, and serve it; returns the rule
        and whether it is new. Raises RulesError, RuleConflict or StoreUnavailable."""
        with self._lock:
            rule = parse_rule(dict(definition), "rule", "database")
            if any(r.id == rule.id for r in self._file_rules):
                raise RuleConflict(
                    f"rule {rule.id!r} is defined in the rules file {self.path}; edit the file "
                    "or choose another id"
                )
            stored = [d for d in self.store.definitions() if d.get("id") != rule.id]
            definitions = [*stored, dict(rule.definition)]
            ruleset = self._validate(definitions)
            created = self.store.put(dict(rule.definition), author)
            self._swap(ruleset, self._file_rules, definitions, self._signature(), self._rev())
            return rule, created

    def delete(self, rule_id: str) -> bool:
        with self._lock:
            if any(r.id == rule_id for r in self._file_rules):
                raise RuleConflict(f"rule {rule_id!r} is defined in the rules file {self.path}")
            definitions = [d for d in self.store.definitions() if d.get("id") != rule_id]
            ruleset = self._validate(definitions)
            if not self.store.delete(rule_id):
                return False
            self._swap(ruleset, self._file_rules, definitions, self._signature(), self._rev())
            return True

    def _validate(self, definitions: list[dict[str, Any]]) -> RuleSet:
        db_rules = parse_definitions(definitions, "database", "database rules")
        return build_ruleset(self._file_rules, db_rules)

    def _rev(self) -> int | None:
        with contextlib.suppress(StoreUnavailable):
            return self.store.revision()
        return None

    # --- serving ----------------------------------------------------------------------------
    def count_hits(self, records: Iterable[Mapping[str, Any]]) -> None:
        for record in records:
            for hit in record.get("rules", ()):
                if hit["changes"]:
                    self.hits.labels(hit["id"]).inc()

    def status(self) -> dict[str, Any]:
        ruleset = self._current
        return {
            "file": str(self.path) if self.path is not None else None,
            "rules": len(ruleset),
            "file_rules": sum(r.source == "file" for r in ruleset.rules),
            "database_rules": sum(r.source == "database" for r in ruleset.rules),
            "revision": self._revision,
            "loaded_at": self.loaded_at,
            "error": self.error,
            "problems": [{"field": w, "problem": p} for w, p in self.problems],
        }

    # --- polling ----------------------------------------------------------------------------
    def start_polling(self) -> None:
        if self.poll_s > 0 and self._task is None:
            self._task = asyncio.create_task(self._poll())

    async def stop_polling(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _poll(self) -> None:
        seen = self._file_signature
        while True:
            await asyncio.sleep(self.poll_s)
            try:
                # a file being written may be read half-way, and a prefix of a rules file is
                # often a valid rules file: load a new version only once it has stood still
                # for a whole poll interval
                signature = await asyncio.to_thread(self._signature)
                settled = signature == seen
                seen = signature
                if signature != self._file_signature and not settled:
                    continue
                if await asyncio.to_thread(self.changed):
                    await asyncio.to_thread(self.reload)
            except RulesError:
                pass  # logged by reload; the previous rules keep serving
            except Exception as exc:  # never let the poller die
                log.error("rules poll failed", extra={"event": "rules_poll", "reason": repr(exc)})
