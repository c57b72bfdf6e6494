"""What `fanzha train` tells a user about long messages cut to the token budget."""

from __future__ import annotations

from fanzha.cli import truncation_note


def test_the_share_of_cut_messages_is_always_reported() -> None:
    note = truncation_note(0.2058, 160)
    assert note.startswith("21% of the messages are longer than --max-length (160 tokens)")
    assert "larger --max-length" not in note


def test_many_cut_messages_bring_advice_to_measure_a_larger_budget() -> None:
    note = truncation_note(0.6, 160)
    assert note.startswith("60% of the messages")
    assert "larger --max-length" in note and "compare_runs.py" in note
