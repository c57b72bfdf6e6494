"""The feedback and rules stores on both databases: SQLite always, PostgreSQL when its server
binaries are on the machine (a throwaway server is started for this module)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from fanzha.errors import UserError
from service.feedback.db import Database, DatabaseUrlError, StoreUnavailable, parse_url
from service.feedback.rule_store import RuleStore, read_database_rules
from service.feedback.store import FeedbackStore, Submission
from tests.feedback_helpers import reset_database
from tests.service_helpers import free_port


@pytest.fixture()
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    assert database.open(), database.error
    yield database
    database.dispose()


def test_a_correction_is_stored_and_read_back(db: Database) -> None:
    store = FeedbackStore(db)
    row, outcome = store.add(
        Submission(
            "兼职刷单日结", "rebate_task", note="新话术", analyst="张三", served_label="normal"
        )
    )
    assert outcome == "created"
    assert row["text"] == "兼职刷单日结" and row["label_zh"] == "刷单返利"
    assert (row["submissions"], row["disputed"], row["served_label"]) == (1, False, "normal")
    items, total = store.recent()
    assert total == 1 and items[0]["id"] == row["id"]
    assert store.get(row["id"])["history"][0]["analyst"] == "张三"


def test_the_same_text_is_merged_and_a_different_label_marks_a_dispute(db: Database) -> None:
    store = FeedbackStore(db)
    first, _ = store.add(Submission("你好，我是你领导", "impersonate_acquaintance", analyst="a"))
    again, outcome = store.add(Submission("  你好，我是你领导 ", "impersonate_acquaintance"))
    assert outcome == "merged" and again["id"] == first["id"]
    assert (again["submissions"], again["disputed"], again["analyst"]) == (2, False, "a")
    other, _ = store.add(Submission("你好，我是你领导", "normal", analyst="b"))
    assert (other["label"], other["submissions"], other["disputed"]) == ("normal", 3, True)
    assert [e["label"] for e in store.get(first["id"])["history"]] == [
        "impersonate_acquaintance",
        "impersonate_acquaintance",
        "normal",
    ]
    assert store.recent()[1] == 1


def test_a_resent_submission_changes_nothing(db: Database) -> None:
    store = FeedbackStore(db)
    first, _ = store.add(Submission("中奖了", "phishing_prize", submission_id="abc-1"))
    again, outcome = store.add(Submission("中奖了", "normal", submission_id="abc-1"))
    assert outcome == "duplicate"
    assert again == first
    assert len(store.get(first["id"])["history"]) == 1


def test_concurrent_writers_merge_into_one_row(db: Database) -> None:
    store = FeedbackStore(db)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(10):
                store.add(Submission("同一条短信", "rebate_task", submission_id=f"w{n}-{i}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    items, total = store.recent()
    assert total == 1 and items[0]["submissions"] == 40


def test_listing_filters_and_orders(db: Database) -> None:
    store = FeedbackStore(db)
    for i in range(5):
        store.add(Submission(f"消息{i}", "normal" if i % 2 else "marketing"))
    items, total = store.recent(limit=2)
    assert total == 5 and [r["text"] for r in items] == ["消息4", "消息3"]
    items, total = store.recent(label="normal")
    assert total == 2 and {r["label"] for r in items} == {"normal"}
    assert store.label_counts() == {"normal": 2, "marketing": 3}
    assert [r["text"] for r in store.rows()] == [f"消息{i}" for i in range(5)]


def test_delete_removes_the_row_and_its_history(db: Database) -> None:
    store = FeedbackStore(db)
    row, _ = store.add(Submission("删掉我", "normal"))
    assert store.delete(row["id"]) and not store.delete(row["id"])
    assert store.get(row["id"]) is None and store.recent()[1] == 0


def test_rules_store_keeps_order_and_revision(db: Database) -> None:
    rules = RuleStore(db)
    start = rules.revision()
    assert rules.put({"id": "b", "kind": "keyword", "keywords": ["x"]}, "张三")
    assert rules.put({"id": "a", "kind": "keyword", "keywords": ["y"]}, None)
    assert not rules.put({"id": "b", "kind": "keyword", "keywords": ["z"]}, None)
    assert [d["id"] for d in rules.definitions()] == ["b", "a"]
    assert rules.definitions()[0]["keywords"] == ["z"]
    assert rules.delete("a") and not rules.delete("a")
    assert rules.revision() == start + 4


def test_archive_scoring_reads_the_stored_rules(db: Database, database_url: str) -> None:
    """`fanzha score --rules-database` reads what the service stored, in the service's order,
    as database rules; a database without the service's tables is refused, not read as
    empty."""
    store = RuleStore(db)
    store.put(
        {"id": "b", "kind": "keyword", "keywords": ["x"], "suggestion": "review", "reason": "r"},
        None,
    )
    store.put(
        {"id": "a", "kind": "regex", "pattern": "y+", "label": "gambling_porn", "reason": "r"}, None
    )
    read = read_database_rules(database_url)
    assert [(rule.id, rule.kind, rule.source) for rule in read] == [
        ("b", "keyword", "database"),
        ("a", "regex", "database"),
    ]
    db.dispose()
    if database_url.startswith("postgresql"):
        reset_database(database_url)  # no tables at all
        with pytest.raises(UserError, match="holds no fanzha rules"):
            read_database_rules(database_url)


def test_reopening_keeps_everything(database_url: str) -> None:
    first = Database(database_url)
    first.open()
    FeedbackStore(first).add(Submission("持久", "normal"))
    first.dispose()
    second = Database(database_url)
    assert second.open()
    assert [r["text"] for r in FeedbackStore(second).rows()] == ["持久"]
    second.dispose()


def test_an_unreachable_database_is_reported_not_raised() -> None:
    db = Database(f"postgresql://nobody:secret-password@127.0.0.1:{free_port()}/none")
    assert not db.open()
    assert db.error and "secret-password" not in db.description
    with pytest.raises(StoreUnavailable, match="unavailable") as caught:
        FeedbackStore(db).recent()
    assert "secret-password" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://x@y/z", "unsupported"),
        ("sqlite://", "not durable"),
        ("sqlite:///:memory:", "not durable"),
        ("not a url", "not a database URL"),
    ],
)
def test_database_urls_are_checked(url: str, problem: str) -> None:
    with pytest.raises(DatabaseUrlError, match=problem):
        parse_url(url)


def test_postgresql_urls_use_psycopg3() -> None:
    assert parse_url("postgresql://u@h/d").drivername == "postgresql+psycopg"
    assert parse_url("postgresql+psycopg://u@h/d").drivername == "postgresql+psycopg"
