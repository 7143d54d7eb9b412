"""The labeled guard corpus: its shape, and Handrail's accuracy targets on it.

The scoring code is the benchmark's own (`benchmarks/guard_accuracy.py`), imported, not copied.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import guard_accuracy as accuracy


@pytest.fixture(scope="module")
def cases() -> list[accuracy.Case]:
    return accuracy.load_corpus(accuracy.CORPUS)


@pytest.fixture(scope="module")
def outcomes(cases: list[accuracy.Case]) -> list[accuracy.Outcome]:
    with accuracy.fixture_world() as world:
        return accuracy.judge(cases, world, accuracy.handrail_guard())


def test_corpus_is_large_enough(cases: list[accuracy.Case]) -> None:
    assert len(cases) >= 500


def test_at_least_40_percent_are_benign_look_alikes(cases: list[accuracy.Case]) -> None:
    lookalikes = [case for case in cases if case.lookalike]
    assert all(case.label == "allow" for case in lookalikes)
    assert len(lookalikes) / len(cases) >= 0.40


def test_every_label_and_category_is_represented(cases: list[accuracy.Case]) -> None:
    assert set(Counter(case.label for case in cases)) == set(accuracy.LABELS)
    assert set(Counter(case.category for case in cases)) == set(accuracy.CATEGORIES)


def test_context_cases_name_directories_that_the_world_has(cases: list[accuracy.Case]) -> None:
    with accuracy.fixture_world() as world:
        missing = [case.line for case in cases if not world.cwd(case).is_dir()]
    assert missing == []


def _write(tmp_path: Path, *objects: object) -> Path:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(o) for o in objects) + "\n", encoding="utf-8")
    return corpus


GOOD = {"command": "ls", "label": "allow", "category": "benign", "reason": "listing"}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({**GOOD, "label": "block"}, ":2: label: must be one of allow, ask, deny"),
        ({**GOOD, "category": "misc"}, ":2: category: must be one of"),
        ({**GOOD, "reason": ""}, ":2: reason: required"),
        ({**GOOD, "env": {"A": 1}}, ":2: env: values must be strings"),
        ({**GOOD, "colour": "red"}, ":2: colour: unknown field"),
        ({**GOOD, "label": "deny", "lookalike": True}, ":2: lookalike: only allow-labeled"),
        ({**GOOD, "cwd": 3}, ":2: cwd: must be a str"),
        (GOOD, ":2: command: duplicate of line 1"),
    ],
)
def test_a_bad_line_is_named_with_its_field(tmp_path: Path, bad: dict, message: str) -> None:
    corpus = _write(tmp_path, GOOD, bad)
    with pytest.raises(accuracy.CorpusError, match=message.replace("(", r"\(")):
        accuracy.load_corpus(corpus)


def test_same_command_in_another_context_is_not_a_duplicate(tmp_path: Path) -> None:
    corpus = _write(tmp_path, GOOD, {**GOOD, "env": {"AWS_PROFILE": "prod"}})
    assert len(accuracy.load_corpus(corpus)) == 2


def test_a_line_that_is_not_json_is_named(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps(GOOD) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(accuracy.CorpusError, match=r":2: not JSON"):
        accuracy.load_corpus(corpus)


def test_metrics_count_ask_and_deny_as_stopping_a_command() -> None:
    def outcome(label: str, decision: str, line: int) -> accuracy.Outcome:
        case = accuracy.Case(f"cmd{line}", label, "benign", "why", line)
        return accuracy.Outcome(case, decision, "rule", "reason")

    rates = accuracy.metrics(
        [
            outcome("deny", "deny", 1),
            outcome("deny", "ask", 2),
            outcome("deny", "allow", 3),
            outcome("deny", "deny", 4),
            outcome("allow", "allow", 5),
            outcome("allow", "ask", 6),
            outcome("allow", "error", 7),
            outcome("allow", "allow", 8),
        ]
    )
    assert rates["deny_allowed"] == 0.25
    assert rates["deny_denied"] == 0.5
    assert rates["allow_stopped"] == 0.5


def test_no_deny_labeled_command_is_allowed(outcomes: list[accuracy.Outcome]) -> None:
    rates = accuracy.metrics(outcomes)
    allowed = [o.case.command for o in outcomes if accuracy.miss_kind(o) == "DENY ALLOWED"]
    assert rates["deny_allowed"] <= accuracy.TARGETS["deny_allowed"], allowed


def test_deny_labeled_commands_are_denied(outcomes: list[accuracy.Outcome]) -> None:
    rates = accuracy.metrics(outcomes)
    not_denied = [o.case.command for o in outcomes if o.case.label == "deny" != o.decision]
    assert rates["deny_denied"] >= accuracy.TARGETS["deny_denied"], not_denied


def test_allow_labeled_commands_are_rarely_stopped(outcomes: list[accuracy.Outcome]) -> None:
    rates = accuracy.metrics(outcomes)
    stopped = [o.case.command for o in outcomes if o.case.label == "allow" != o.decision]
    assert rates["allow_stopped"] <= accuracy.TARGETS["allow_stopped"], stopped


def test_the_guard_never_crashes_on_the_corpus(outcomes: list[accuracy.Outcome]) -> None:
    crashes = [(o.case.command, o.reason) for o in outcomes if o.decision == "error"]
    assert crashes == []


def test_a_group_without_deny_cases_has_no_deny_rate_and_meets_its_targets() -> None:
    case = accuracy.Case("grep -rn 'rm -rf' .", "allow", "benign", "text", 1, lookalike=True)
    outcomes = [accuracy.Outcome(case, "ask", "rule", "reason")]
    rates = accuracy.metrics(outcomes)
    assert rates["deny_denied"] is None
    assert rates["allow_stopped"] == 1.0
    assert accuracy.lookalikes_stopped(outcomes) == 1.0
    assert accuracy.targets_met(rates) == {
        "deny_allowed": True,
        "deny_denied": True,
        "allow_stopped": False,
    }
