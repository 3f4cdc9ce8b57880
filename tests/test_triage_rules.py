"""The triage lets its compiled rules go once its hunts are over (the analysis and the report
that follow were its peak memory with libyara's 9.5 MiB of the pack still held)."""

import pytest

from irkit.hunt import compile_rules
from irkit.playbook import load_playbook
from irkit.triage import Triage


def test_the_rules_are_let_go_after_the_hunts() -> None:
    book = load_playbook("cryptominer")
    ruleset = compile_rules()
    assert compile_rules() is ruleset  # compiled once per process while held
    phase = Triage(book, ruleset, lambda _text: None)
    step = book.hunts[0]
    assert phase.rules_for(step) is ruleset
    phase.forget_rules()
    assert compile_rules() is not ruleset  # the process's cache let it go too
    with pytest.raises(RuntimeError, match="the hunts are over"):
        phase.rules_for(step)
