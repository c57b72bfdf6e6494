"""Analysts' rules, applied after the model: sender allow/block lists and keyword/regex rules
that force a label or a suggestion.

Analysts know local sender numbers and new scam scripts before any model does, and must show
why a message was blocked, so every result a rule decided carries the rule's id, kind, reason
and what it changed. Pure functions and frozen data: the service and archive scoring apply the
same `RuleSet` to the same result record.

Precedence. Label and suggestion are decided separately: for each, the matching enabled rule
that sets it and ranks highest wins, ranked by
  1. `priority` (an integer, default 0; higher wins),
  2. sender rules before content rules (who sent it is more specific than how it is worded),
  3. the stricter action (block > review > pass; for a label, a scam label over a non-scam one),
  4. the earlier declaration (file rules before database rules, each in order).
A sender both allowed and blocked is refused at validation, so the lists never contradict.
`risk` and `scores` stay the model's own figures; only label, label_zh, is_scam and suggestion
change.

Matching. Keywords and regexes see the text normalised as the model sees it (NFKC, half-width,
lower case, simplified characters, disguises such as 微 信 / ＶＸ undone), so one rule covers
the evasive spellings too; keywords are normalised the same way. `match_on: raw` matches the
text as sent. Senders are compared after dropping spaces, dashes, brackets and a +86/0086 prefix.

Validation. A rules document is checked completely before anything is used: every problem is
reported at once with its place (`rules[3].pattern: ...`), and a document with any problem
loads nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from fanzha.errors import UserError
from fanzha.normalize import Normalized, normalize, normalize_text
from fanzha.taxonomy import SCAM_SLUGS, UnknownLabelError, label_zh, to_slug

KINDS = ("sender_allow", "sender_block", "keyword", "regex")
SUGGESTIONS = ("pass", "review", "block")
SOURCES = ("file", "database")
FIELDS = frozenset(
    {
        "id",
        "kind",
        "reason",
        "senders",
        "keywords",
        "match",
        "pattern",
        "match_on",
        "label",
        "suggestion",
        "priority",
        "enabled",
    }
)
MAX_PATTERN_CHARS = 1000
MAX_REASON_CHARS = 500
MAX_ITEMS = 10_000
MAX_SPANS = 10
PRIORITY_RANGE = (-1000, 1000)
_ID = re.compile(r"[\w.:-]{1,64}")
_SENDER_JUNK = re.compile(r"[\s\-()（）]+")
_SEVERITY = {"pass": 0, "review": 1, "block": 2}
_MATCH_KEYS = frozenset({"keywords", "match", "pattern", "match_on"})
_APPLICABLE = {
    "sender_allow": frozenset(),
    "sender_block": frozenset(),
    "keyword": frozenset({"keywords", "match", "match_on"}),
    "regex": frozenset({"pattern", "match_on"}),
}


class RulesError(UserError):
    """Rules that cannot be loaded; `problems` holds (where, what) for each one."""

    def __init__(self, problems: Sequence[tuple[str, str]], origin: str = "rules") -> None:
        self.problems = list(problems)
        shown = "; ".join(f"{where}: {what}" for where, what in self.problems[:5])
        more = f"; and {len(self.problems) - 5} more" if len(self.problems) > 5 else ""
        count = f"{len(self.problems)} problem(s)"
        super().__init__(f"{origin}: {count}, nothing loaded: {shown}{more}")


def normalize_sender(sender: str) -> str:
    """The comparable form of a sender: no separators, no country prefix, lower case."""
    s = _SENDER_JUNK.sub("", sender).lower()
    for prefix in ("+86", "0086"):
        if s.startswith(prefix) and len(s) > len(prefix):
            return s[len(prefix) :]
    return s


@dataclass(frozen=True, eq=False)  # identity hashing: rules key per-message dicts
class Rule:
    id: str
    kind: str
    reason: str
    source: str = "file"
    order: int = 0
    label: str | None = None
    suggestion: str | None = None
    senders: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()
    match_all: bool = False
    pattern: re.Pattern[str] | None = None
    raw_text: bool = False
    priority: int = 0
    enabled: bool = True
    definition: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_sender_rule(self) -> bool:
        return self.kind in ("sender_allow", "sender_block")

    @cached_property
    def ranks(self) -> dict[str, tuple[int, int, int, int]]:
        """Sort keys for deciding "label" and "suggestion" (higher wins), computed once."""
        source_order = SOURCES.index(self.source) if self.source in SOURCES else len(SOURCES)
        base = (self.priority, int(self.is_sender_rule))
        tie = -(source_order * 10**6 + self.order)
        return {
            "suggestion": (*base, _SEVERITY[self.suggestion or "pass"], tie),
            "label": (*base, int(self.label in SCAM_SLUGS), tie),
        }

    def match(self, text: str, normalized: str, sender: str | None) -> list[tuple[int, int]] | None:
        """None if the rule does not match; else the matched spans (in `text` if `raw_text`,
        otherwise in `normalized`), empty for a sender-only match. `sender` is normalised
        (`normalize_sender`) once per message by the caller."""
        if self.senders and (sender is None or sender not in self.senders):
            return None
        if self.is_sender_rule:
            return []
        subject = text if self.raw_text else normalized
        if self.pattern is not None:
            spans = [m.span() for m in self.pattern.finditer(subject) if m.end() > m.start()]
            return spans[:MAX_SPANS] or None
        found = []
        for keyword in self.keywords:
            at = subject.find(keyword)
            if at >= 0:
                found.append((at, at + len(keyword)))
            elif self.match_all:
                return None
        return found[:MAX_SPANS] or None

    def to_dict(self) -> dict[str, Any]:
        """The definition as written (label as a slug), plus where it came from."""
        return {**self.definition, "source": self.source}


# --- parsing and validation ----------------------------------------------------------------
def _strings(value: Any, where: str, what: str, problems: list[tuple[str, str]]) -> list[str]:
    if not isinstance(value, list) or not value:
        problems.append((where, f"must be a non-empty list of {what}"))
        return []
    if len(value) > MAX_ITEMS:
        problems.append((where, f"holds more than {MAX_ITEMS} items"))
        return []
    out = []
    for i, item in enumerate(value):
        if isinstance(item, int) and not isinstance(item, bool):
            item = str(item)  # YAML reads 95588 as a number
        if not isinstance(item, str) or not item.strip():
            problems.append((f"{where}[{i}]", f"must be a non-empty string, not {item!r}"))
            continue
        out.append(item)
    return out


def _compile(pattern: Any, where: str, problems: list[tuple[str, str]]) -> re.Pattern[str] | None:
    if not isinstance(pattern, str) or not pattern:
        problems.append((where, "must be a non-empty string (a Python regular expression)"))
        return None
    if len(pattern) > MAX_PATTERN_CHARS:
        problems.append((where, f"is longer than {MAX_PATTERN_CHARS} characters"))
        return None
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        problems.append((where, f"invalid regular expression: {exc}"))
        return None
    if compiled.search(""):
        problems.append((where, "matches the empty string, so it would match every message"))
        return None
    return compiled


def _check_action(raw: Mapping[str, Any], kind: str, where: str, out: dict[str, Any]) -> list:
    problems: list[tuple[str, str]] = []
    label, suggestion = raw.get("label"), raw.get("suggestion")
    if kind == "sender_allow" and (label is not None or suggestion is not None):
        problems.append(
            (where, "sender_allow rules always pass the message (and clear a scam label); "
             "remove 'label' and 'suggestion'")
        )  # fmt: skip
        return problems
    if kind == "sender_block" and suggestion not in (None, "block"):
        problems.append((f"{where}.suggestion", "sender_block rules always block; remove it"))
    if label is not None:
        try:
            out["label"] = to_slug(label)
        except UnknownLabelError as exc:
            problems.append((f"{where}.label", str(exc)))
    if suggestion is not None and kind != "sender_block":
        if suggestion in SUGGESTIONS:
            out["suggestion"] = suggestion
        else:
            problems.append((f"{where}.suggestion", f"must be one of {', '.join(SUGGESTIONS)}"))
    if kind in ("keyword", "regex") and label is None and suggestion is None:
        problems.append((where, "a keyword or regex rule must set 'label', 'suggestion' or both"))
    return problems


def _check_match(raw: Mapping[str, Any], kind: str, where: str, out: dict[str, Any]) -> list:
    problems: list[tuple[str, str]] = []
    if kind in ("sender_allow", "sender_block") or "senders" in raw:
        senders = _strings(raw.get("senders"), f"{where}.senders", "sender numbers", problems)
        normalized = {normalize_sender(s) for s in senders}
        if "" in normalized:
            problems.append((f"{where}.senders", "holds a sender that is only separators"))
        out["senders"] = frozenset(normalized - {""})
    for key in sorted(_MATCH_KEYS & set(raw) - _APPLICABLE[kind]):
        problems.append((f"{where}.{key}", f"does not apply to a {kind} rule"))
    raw_text = raw.get("match_on", "normalized")
    if raw_text not in ("normalized", "raw"):
        problems.append((f"{where}.match_on", "must be 'normalized' or 'raw'"))
    out["raw_text"] = raw_text == "raw"
    if kind == "keyword":
        words = _strings(raw.get("keywords"), f"{where}.keywords", "keywords", problems)
        folded = [w if out["raw_text"] else normalize_text(w) for w in words]
        if any(not w for w in folded):
            problems.append((f"{where}.keywords", "holds a keyword that normalises to nothing"))
        out["keywords"] = tuple(dict.fromkeys(w for w in folded if w))
        mode = raw.get("match", "any")
        if mode not in ("any", "all"):
            problems.append((f"{where}.match", "must be 'any' or 'all'"))
        out["match_all"] = mode == "all"
    elif kind == "regex":
        out["pattern"] = _compile(raw.get("pattern"), f"{where}.pattern", problems)
    return problems


def parse_rule(raw: Any, where: str, source: str = "file", order: int = 0) -> Rule:
    """One rule from its definition; raises RulesError listing every problem."""
    if not isinstance(raw, Mapping):
        raise RulesError([(where, "must be a mapping (id, kind, reason, ...)")])
    problems: list[tuple[str, str]] = []
    unknown = sorted(set(raw) - FIELDS)
    if unknown:
        problems.append((where, f"unknown field(s) {unknown}; known: {sorted(FIELDS)}"))
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID.fullmatch(rule_id):
        problems.append((f"{where}.id", "must be 1-64 letters, digits, '_', '.', ':' or '-'"))
    else:
        where = f"{where} (id {rule_id!r})"
    kind = raw.get("kind")
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        problems.append((f"{where}.reason", "is required: say why, it is shown with every hit"))
    elif len(reason) > MAX_REASON_CHARS:
        problems.append((f"{where}.reason", f"is longer than {MAX_REASON_CHARS} characters"))
    priority = raw.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        problems.append((f"{where}.priority", "must be an integer"))
    elif not PRIORITY_RANGE[0] <= priority <= PRIORITY_RANGE[1]:
        problems.append((f"{where}.priority", f"must be within {PRIORITY_RANGE}"))
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append((f"{where}.enabled", "must be true or false"))
    values: dict[str, Any] = {}
    if kind not in KINDS:
        problems.append((f"{where}.kind", f"must be one of {', '.join(KINDS)}"))
    else:
        problems += _check_match(raw, kind, where, values)
        problems += _check_action(raw, kind, where, values)
    if problems:
        raise RulesError(problems)
    if kind == "sender_block":
        values["suggestion"] = "block"
    definition = {k: raw[k] for k in raw if k in FIELDS}
    if "label" in values:
        definition["label"] = values["label"]
    return Rule(
        id=str(rule_id),
        kind=str(kind),
        reason=str(reason).strip(),
        source=source,
        order=order,
        priority=int(priority),
        enabled=bool(enabled),
        definition=definition,
        **values,
    )


def parse_rules(definitions: Any, source: str = "file", origin: str = "rules") -> list[Rule]:
    """Every rule of a document (a list, or a mapping with a `rules` list), all or nothing."""
    if isinstance(definitions, Mapping):
        extra = sorted(set(definitions) - {"rules", "version"})
        if extra:
            raise RulesError([("document", f"unknown top-level key(s) {extra}")], origin)
        if definitions.get("version", 1) != 1:
            raise RulesError([("version", "only version 1 is known")], origin)
        definitions = definitions.get("rules") or []
    if not isinstance(definitions, list):
        raise RulesError([("document", "must be a list of rules or {rules: [...]}")], origin)
    rules, problems = [], []
    for i, raw in enumerate(definitions):
        try:
            rules.append(parse_rule(raw, f"rules[{i}]", source, i))
        except RulesError as exc:
            problems += exc.problems
    if problems:
        raise RulesError(problems, origin)
    return rules


def read_rules_document(path: str | Path) -> Any:
    """The parsed YAML or JSON document of a rules file (YAML needs PyYAML)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError([("file", f"cannot be read: {exc}")], str(path)) from exc
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise RulesError([("file", f"invalid JSON: {exc}")], str(path)) from exc
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise RulesError([("file", "use a .yaml, .yml or .json rules file")], str(path))
    import yaml

    try:
        return yaml.safe_load(text) or []
    except yaml.YAMLError as exc:
        raise RulesError([("file", f"invalid YAML: {exc}")], str(path)) from exc


def load_rules_file(path: str | Path) -> list[Rule]:
    return parse_rules(read_rules_document(path), "file", str(path))


# --- the rule set ----------------------------------------------------------------------------
def _conflicts(rules: Sequence[Rule]) -> list[tuple[str, str]]:
    problems = []
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            other = seen[rule.id]
            problems.append(
                (f"{rule.source} rule {rule.id!r}", f"duplicates the id of a {other.source} rule")
            )
        seen.setdefault(rule.id, rule)
    allowed: dict[str, str] = {}
    for rule in rules:
        if rule.enabled and rule.kind == "sender_allow":
            allowed.update(dict.fromkeys(rule.senders, rule.id))
    for rule in rules:
        if rule.enabled and rule.kind == "sender_block":
            for sender in sorted(rule.senders & allowed.keys()):
                problems.append(
                    (f"{rule.source} rule {rule.id!r}",
                     f"blocks sender {sender} which rule {allowed[sender]!r} allows")
                )  # fmt: skip
    return problems


def _winner(candidates: Iterable[Rule], target: str) -> Rule | None:
    return max(candidates, key=lambda r: r.ranks[target], default=None)


class RuleSet:
    """A validated, immutable set of rules; build a new one to change anything."""

    def __init__(self, rules: Sequence[Rule] = ()) -> None:
        problems = _conflicts(rules)
        if problems:
            raise RulesError(problems)
        self.rules: tuple[Rule, ...] = tuple(rules)
        self._active = tuple(r for r in rules if r.enabled)
        self._needs_text = any(not r.is_sender_rule for r in self._active)

    def __len__(self) -> int:
        return len(self.rules)

    def definitions(self) -> list[dict[str, Any]]:
        return [rule.to_dict() for rule in self.rules]

    def export(self) -> dict[str, Any]:
        """A rules document holding every rule, loadable with `parse_rules` / as a file."""
        return {"version": 1, "rules": [dict(rule.definition) for rule in self.rules]}

    def apply(
        self,
        record: Mapping[str, Any],
        text: str,
        sender: str | None = None,
        normalized: Normalized | None = None,
    ) -> dict[str, Any]:
        """A copy of `record` (as built by `fanzha.results.result_record`) with the rules'
        decisions applied and a `rules` list saying which rules decided what, and why."""
        out = dict(record)
        out["rules"] = []
        if not self._active:
            return out
        norm = ""
        if self._needs_text:
            normalized = normalized or normalize(text)
            norm = normalized.text
        sender_key = normalize_sender(sender) if sender else None
        matched: dict[Rule, list[tuple[int, int]]] = {}
        for rule in self._active:
            spans = rule.match(text, norm, sender_key)
            if spans is not None:
                matched[rule] = spans
        if not matched:
            return out
        return self._decide(out, matched, normalized)

    def _decide(
        self,
        out: dict[str, Any],
        matched: Mapping[Rule, list[tuple[int, int]]],
        normalized: Normalized | None,
    ) -> dict[str, Any]:
        model_label, model_suggestion = out["label"], out["suggestion"]
        by_label = _winner((r for r in matched if r.label or r.kind == "sender_allow"), "label")
        by_suggestion = _winner((r for r in matched if r.suggestion or r.kind == "sender_allow"),
                                "suggestion")  # fmt: skip
        decided: dict[Rule, dict[str, dict[str, str]]] = {}
        if by_label is not None:
            label = by_label.label
            if by_label.kind == "sender_allow":
                label = "normal" if model_label in SCAM_SLUGS else model_label
            assert label is not None
            decided.setdefault(by_label, {})
            if label != model_label:
                decided[by_label]["label"] = {"from": model_label, "to": label}
                out.update(label=label, label_zh=label_zh(label), is_scam=label in SCAM_SLUGS)
        if by_suggestion is not None:
            suggestion = by_suggestion.suggestion or "pass"  # sender_allow sets none: pass
            decided.setdefault(by_suggestion, {})
            if suggestion != model_suggestion:
                decided[by_suggestion]["suggestion"] = {"from": model_suggestion, "to": suggestion}
                out["suggestion"] = suggestion
        out["rules"] = [
            {
                "id": rule.id,
                "kind": rule.kind,
                "source": rule.source,
                "reason": rule.reason,
                "changes": changes,
                "spans": self._spans(rule, matched[rule], normalized),
            }
            for rule, changes in decided.items()
        ]
        return out

    @staticmethod
    def _spans(
        rule: Rule, spans: list[tuple[int, int]], normalized: Normalized | None
    ) -> list[dict[str, int]]:
        """Matched spans in the text as sent (for highlighting)."""
        out = []
        for start, end in spans:
            if not rule.raw_text and normalized is not None:
                start, end = normalized.source_span(start, end)
            out.append({"start": start, "end": end})
        return out


def build_ruleset(*groups: Sequence[Rule]) -> RuleSet:
    """One rule set from several sources (file rules first, then database rules)."""
    return RuleSet([rule for group in groups for rule in group])
