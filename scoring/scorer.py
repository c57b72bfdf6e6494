"""Score one chunk of raw values: the unit of work both engines (local and Spark) share.

Results depend on which messages share an ONNX batch: the INT8 graph quantises activations with
a per-tensor scale, so the padding and the neighbours in a batch move probabilities in the third
decimal. Both engines therefore score the same chunks (consecutive input rows, `chunk_size` of
them) through the same steps as `Classifier.classify` (tokenise, length-sorted batches, softmax
with the model's temperature, verdicts); that is what makes a Spark run reproduce a local run,
and a resumed run reproduce an uninterrupted one. The steps are split (`prepare` / `infer` /
`finish`) so the local engine can run the Python parts beside inference.

With `--rules`, `finish` applies the analysts' rules to each record exactly as the service does
(`RuleSet.apply` on the same record, text and sender), so an archive gets the service's verdicts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from fanzha.classifier import Classifier
from fanzha.decision import softmax
from fanzha.errors import UserError
from fanzha.normalize import Normalized
from fanzha.results import prepare as prepare_texts
from fanzha.results import result_record
from fanzha.rules import Rule, RuleSet, build_ruleset, load_rules_file, parse_rules
from fanzha.tokenizer import Encoded

log = logging.getLogger(__name__)

# Field metadata marking a string column that holds JSON: the JSONL writer emits it as nested JSON.
JSON_META = {b"fanzha.json": b"1"}

RESULT_FIELDS: tuple[tuple[str, pa.DataType, bool], ...] = (
    # (name, type, holds JSON text)
    ("label", pa.string(), False),
    ("label_zh", pa.string(), False),
    ("is_scam", pa.bool_(), False),
    ("risk", pa.float64(), False),
    ("suggestion", pa.string(), False),
    ("scores", pa.string(), True),
    ("indicators", pa.string(), True),
    ("rules", pa.string(), True),  # the rules' hits; null without --rules
    ("truncated", pa.bool_(), False),
    ("model_version", pa.string(), False),
    ("error", pa.string(), False),
)
RESULT_NAMES: tuple[str, ...] = tuple(name for name, _, _ in RESULT_FIELDS)


def result_schema(prefix: str = "") -> pa.Schema:
    return pa.schema(
        pa.field(prefix + name, dtype, metadata=JSON_META if is_json else None)
        for name, dtype, is_json in RESULT_FIELDS
    )


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A row the reader could not parse (e.g. a JSONL line that is not an object); it is still
    written, with this message in the error column, so rows out equal rows in."""

    message: str


def text_error(value: object) -> str | None:
    """Why `value` cannot be scored, or None if it can."""
    if isinstance(value, Unreadable):
        return value.message
    if value is None:
        return "no text (null or missing)"
    if not isinstance(value, str):
        return f"text is {type(value).__name__}, not a string"
    if not value.strip():
        return "text is empty"
    return None


def sender_text(value: object) -> str | None:
    """A sender as the service receives it, a string: a number read from Parquet or JSONL
    becomes its digits (95588, not 95588.0), a null stays None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        if value != value:  # NaN: pandas' null in a numeric column
            return None
        if value.is_integer():
            return str(int(value))
    return str(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Prepared:
    """A chunk after the CPU-side work before inference: what is scorable, and its tokens."""

    size: int
    errors: list[str | None]
    ok: list[int]  # positions of the scorable rows
    texts: list[str]
    normalized: list[Normalized]  # kept for the evidence, so each text is normalised once
    encoded: list[Encoded]
    senders: list[str | None]  # of the scorable rows, for sender rules


def prepare(
    classifier: Classifier, values: Sequence[object], senders: Sequence[object] | None = None
) -> Prepared:
    errors = [text_error(value) for value in values]
    ok = [i for i, problem in enumerate(errors) if problem is None]
    texts = [str(values[i]) for i in ok]
    who = [None if senders is None else sender_text(senders[i]) for i in ok]
    normalized, encoded = prepare_texts(classifier.encoder, texts)
    return Prepared(len(values), errors, ok, texts, normalized, encoded, who)


def infer(classifier: Classifier, prepared: Prepared, batch_size: int) -> np.ndarray:
    """Calibrated probabilities, exactly as `Classifier.classify` computes them."""
    if not prepared.encoded:
        return np.empty((0, len(classifier.labels)), dtype=np.float32)
    logits = classifier.logits_in_order(prepared.encoded, batch_size)
    return softmax(logits, classifier.temperature)


def finish(
    classifier: Classifier,
    prepared: Prepared,
    probs: np.ndarray,
    rules: RuleSet | None = None,
) -> dict[str, list[Any]]:
    """Result columns (unprefixed names, Python values), rows in input order. With `rules`,
    each record goes through `rules.apply` as in the service; unscorable rows stay errors."""
    n = prepared.size
    columns: dict[str, list[Any]] = {name: [None] * n for name in RESULT_NAMES}
    columns["model_version"] = [classifier.version] * n
    columns["error"] = list(prepared.errors)
    verdicts = classifier.verdicts(probs) if len(probs) else []
    rows = zip(
        prepared.ok,
        prepared.texts,
        prepared.normalized,
        prepared.encoded,
        prepared.senders,
        verdicts,
        strict=True,
    )
    for i, text, normalized, encoded, sender, verdict in rows:
        record = result_record(text, verdict, encoded.truncated, classifier.version, normalized)
        if rules is not None:
            record = rules.apply(record, text, sender, normalized)
            columns["rules"][i] = _dumps(record["rules"])
        for name in ("label", "label_zh", "is_scam", "risk", "suggestion", "truncated"):
            columns[name][i] = record[name]
        columns["scores"][i] = _dumps(record["scores"])
        columns["indicators"][i] = _dumps(record["indicators"])
    return columns


def to_table(columns: dict[str, list[Any]], prefix: str = "") -> pa.Table:
    schema = result_schema(prefix)
    arrays = [
        pa.array(columns[name], type=schema.field(prefix + name).type) for name in RESULT_NAMES
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def score_values(
    classifier: Classifier,
    values: Sequence[object],
    batch_size: int,
    rules: RuleSet | None = None,
    senders: Sequence[object] | None = None,
) -> dict[str, list[Any]]:
    """Result columns for one chunk of raw text values (and their senders, for the rules)."""
    prepared = prepare(classifier, values, senders)
    return finish(classifier, prepared, infer(classifier, prepared, batch_size), rules)


def score_table(
    classifier: Classifier,
    values: Sequence[object],
    batch_size: int,
    prefix: str = "",
    rules: RuleSet | None = None,
    senders: Sequence[object] | None = None,
) -> pa.Table:
    return to_table(score_values(classifier, values, batch_size, rules, senders), prefix)


# One classifier per process: pool workers and Spark's Python workers score many chunks, and
# the tokenizer and ONNX session must be loaded once, not per chunk.
_CACHE: dict[tuple[str, int, bool], Classifier] = {}
_CACHE_LOCK = threading.Lock()


def cached_classifier(model_dir: str | Path, threads: int, allow_spinning: bool) -> Classifier:
    key = (str(Path(model_dir).resolve()), threads, allow_spinning)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = Classifier.load(key[0], threads=threads, allow_spinning=allow_spinning)
        return _CACHE[key]


# -- analysts' rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """A validated rules document as canonical JSON: small plain data that pool workers and
    Spark executors receive and rebuild once per process (`ruleset`), and whose hash keys the
    resume manifest. Canonical (`RuleSet.export`, labels as slugs, sorted keys), so comments
    and formatting in the file do not count as a change, but any rule or its order does. The
    database's rules, if any, travel under `database_rules`, so hits keep saying where a rule
    came from and ties are broken as the service breaks them (file rules first)."""

    document: str
    origin: str  # the file and/or the database (without its password), for messages

    @classmethod
    def load(cls, path: str | Path | None = None, database: str | None = None) -> Rules:
        """Raises a UserError (RulesError: every problem, as the service reports them)."""
        from_file = load_rules_file(path) if path is not None else []
        origins = [str(path)] if path is not None else []
        from_database: list[Rule] = []
        if database is not None:
            where, from_database = _database_rules(database)
            origins.append(f"database {where}")
        build_ruleset(from_file, from_database)  # raises on conflicts between the two, too
        document = build_ruleset(from_file).export()
        if from_database:
            document["database_rules"] = build_ruleset(from_database).export()["rules"]
        text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return cls(text, " and ".join(origins))

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.document.encode("utf-8")).hexdigest()

    def ruleset(self) -> RuleSet:
        return cached_ruleset(self.document, self.origin)


def _database_rules(url: str) -> tuple[str, list[Rule]]:
    """The database as messages may name it (no password), and its rules."""
    try:
        from service.feedback.db import describe
        from service.feedback.rule_store import read_database_rules
    except ModuleNotFoundError as exc:
        raise UserError(
            f"--rules-database needs {exc.name}: pip install 'fanzha[serve]' (the service's "
            "database drivers)"
        ) from None
    return describe(url), read_database_rules(url)


def load_rules(
    path: str | Path | None, sender_column: str | None, database: str | None = None
) -> Rules | None:
    """The run's rules (a file's, then a service database's), validated before any work
    starts; warns once when sender rules can never match because no sender column was named."""
    if path is None and database is None:
        if sender_column:
            log.warning(
                "--sender-column %r has no effect without --rules or --rules-database",
                sender_column,
            )
        return None
    rules = Rules.load(path, database)
    ruleset = rules.ruleset()
    log.info("applying %d rule(s) from %s", len(ruleset), rules.origin)
    by_sender = [r.id for r in ruleset.rules if r.enabled and r.senders]
    if by_sender and not sender_column:
        log.warning(
            "rule(s) %s of %s match on the sender, but no --sender-column was given: "
            "they cannot match any row",
            ", ".join(by_sender),
            rules.origin,
        )
    return rules


_RULES: dict[str, RuleSet] = {}


def cached_ruleset(document: str, origin: str = "rules") -> RuleSet:
    """One RuleSet per process and document: regexes compile once, not per chunk."""
    with _CACHE_LOCK:
        if document not in _RULES:
            parsed = json.loads(document)
            stored = parsed.pop("database_rules", [])
            _RULES[document] = build_ruleset(
                parse_rules(parsed, "file", origin), parse_rules(stored, "database", origin)
            )
        return _RULES[document]
