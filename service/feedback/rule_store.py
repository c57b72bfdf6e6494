"""Rules kept in the database (managed from the API and the console), stored as the same JSON
definitions a rules file holds, so `fanzha.rules` validates both alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from fanzha.errors import UserError
from fanzha.rules import Rule, parse_rules
from service.feedback.db import (
    Database,
    DatabaseUrlError,
    create_engine,
    describe,
    failure_reason,
    meta,
    now,
    parse_url,
    rules,
)

REVISION_KEY = "rules_revision"
_DEFINITIONS = sa.select(rules.c.definition).order_by(rules.c.position, rules.c.id)


class RuleStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def definitions(self) -> list[dict[str, Any]]:
        """Every stored definition, in the order they were first added."""
        with self.db.connect() as conn:
            return [json.loads(text) for (text,) in conn.execute(_DEFINITIONS)]

    def revision(self) -> int:
        """A number that changes with every change to the rules (cheap to poll)."""
        query = sa.select(meta.c.value).where(meta.c.key == REVISION_KEY)
        with self.db.connect() as conn:
            value = conn.execute(query).scalar()
        return int(value or 0)

    def put(self, definition: dict[str, Any], author: str | None) -> bool:
        """Insert or replace the rule with this id; True if it is new."""
        rule_id = definition["id"]
        body = json.dumps(definition, ensure_ascii=False, sort_keys=True)
        stamp = now()
        with self.db.begin() as conn:
            exists = conn.execute(sa.select(rules.c.id).where(rules.c.id == rule_id)).first()
            if exists:
                conn.execute(
                    sa.update(rules)
                    .where(rules.c.id == rule_id)
                    .values(definition=body, author=author, updated_at=stamp)
                )
            else:
                position = conn.execute(sa.select(sa.func.max(rules.c.position))).scalar()
                conn.execute(
                    sa.insert(rules).values(
                        id=rule_id,
                        definition=body,
                        author=author,
                        position=int(position or 0) + 1,
                        created_at=stamp,
                        updated_at=stamp,
                    )
                )
            self._bump(conn)
        return exists is None

    def delete(self, rule_id: str) -> bool:
        with self.db.begin() as conn:
            gone = conn.execute(sa.delete(rules).where(rules.c.id == rule_id)).rowcount
            if gone:
                self._bump(conn)
        return bool(gone)

    @staticmethod
    def _bump(conn: sa.Connection) -> None:
        conn.execute(
            sa.update(meta).where(meta.c.key == REVISION_KEY).values(value=meta.c.value + 1)
        )  # the row is seeded with the schema


def read_database_rules(url: str) -> list[Rule]:
    """The rules a service keeps in the database at `url`, for archive scoring. Read only:
    nothing is created, and a database without the service's tables is an error (a mistyped
    URL must not score an archive with no rules as if there were none)."""
    try:
        parsed = parse_url(url)
    except DatabaseUrlError as exc:
        raise UserError(f"--rules-database: {exc}") from None
    where = describe(url)
    sqlite_file = Path(parsed.database or "").expanduser()
    if parsed.get_backend_name() == "sqlite" and not sqlite_file.is_file():
        raise UserError(f"no SQLite database at {where}: give the URL the service uses")
    engine = create_engine(url)
    try:
        if not sa.inspect(engine).has_table(rules.name):
            raise UserError(
                f"{where} holds no fanzha rules (no {rules.name!r} table): give the URL the "
                "service uses (FANZHA_DATABASE_URL)"
            )
        with engine.connect() as conn:
            definitions = [json.loads(text) for (text,) in conn.execute(_DEFINITIONS)]
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        raise UserError(f"cannot read the rules from {where}: {failure_reason(exc)}") from None
    finally:
        engine.dispose()
    return parse_rules(definitions, "database", where)
