"""Every rule id the guard can emit is one that `[guard]` in handrail.toml accepts.

A rule id a decision names must be usable in `disable` and `[guard.decisions]`; a typo there
is an error. So the ids come from everywhere they are made: each family's RULES table, every
literal id given to `Verdict(…)`, `judged(…)`, `failure(…)` or a family's `_verdict(…)` helper
anywhere in handrail.guard (the parser, the engine, the hooks), and every id the engine
actually returns over the whole labeled corpus (which covers ids built at run time, such as
`database.sql-drop-table`).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import msgspec
import pytest

from handrail.guard import rules
from handrail.guard.settings import GuardSettings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import guard_accuracy as accuracy

GUARD = Path(rules.__file__).resolve().parent.parent
# Callables that take a rule id, and the position of that argument.
RULE_ARGUMENT = {"Verdict": 1, "judged": 0, "failure": 0, "_verdict": 0}


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def literal_rule_ids(path: Path) -> set[str]:
    """The rule ids written as string literals where a verdict is made in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    family = next(
        (
            node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "FAMILY" for t in node.targets)
            and isinstance(node.value, ast.Constant)
        ),
        None,
    )
    found: set[str] = set()
    for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call)):
        name = _called_name(call)
        if name not in RULE_ARGUMENT:
            continue
        given = [k.value for k in call.keywords if k.arg == "rule"]
        if len(call.args) > RULE_ARGUMENT[name]:
            given.append(call.args[RULE_ARGUMENT[name]])
        for node in given:
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                rule = node.value
                # `_verdict("clean", …)` in the git family is "git.clean".
                found.add(rule if "." in rule or family is None else f"{family}.{rule}")
    return found


def static_rule_ids() -> dict[str, Path]:
    return {rule: path for path in sorted(GUARD.rglob("*.py")) for rule in literal_rule_ids(path)}


def declared_rule_ids() -> set[str]:
    return {rule for name in rules.FAMILIES for rule in rules.load(name).RULES}


@pytest.fixture(scope="module")
def emitted_rule_ids() -> set[str]:
    cases = accuracy.load_corpus(accuracy.CORPUS)
    with accuracy.fixture_world() as world:
        outcomes = accuracy.judge(cases, world, accuracy.handrail_guard())
    assert not [o for o in outcomes if o.decision == "error"]
    return {outcome.rule for outcome in outcomes}


def rejection(rule: str) -> str | None:
    """Why the `[guard]` validator refuses `rule` in disable and decisions (None: accepted)."""
    try:
        msgspec.convert({"disable": [rule], "decisions": {rule: "ask"}}, GuardSettings)
    except msgspec.ValidationError as error:
        return str(error)
    return None


def test_the_scan_finds_ids_of_every_kind() -> None:
    found = static_rule_ids()
    # One of each source: a family helper, a parser finding, a hook failure, the MCP hook.
    for rule in ("git.clean", "shell.unresolved", "guard.bad-input", "mcp.destructive-tool"):
        assert rule in found, rule


def test_every_declared_and_literal_rule_id_is_accepted_by_the_settings() -> None:
    every = declared_rule_ids() | set(static_rule_ids())
    refused = {rule: problem for rule in sorted(every) if (problem := rejection(rule))}
    assert refused == {}


def test_every_rule_id_emitted_on_the_corpus_is_accepted(emitted_rule_ids: set[str]) -> None:
    assert len(emitted_rule_ids) > 50  # the corpus reaches most rules
    refused = {rule: problem for rule in sorted(emitted_rule_ids) if (problem := rejection(rule))}
    assert refused == {}


def test_family_rule_ids_are_declared_in_their_family(emitted_rule_ids: set[str]) -> None:
    """A family's ids are in its RULES table, so a typo in handrail.toml gets a close hint."""
    declared = declared_rule_ids()
    made = {rule for rule in set(static_rule_ids()) | emitted_rule_ids}
    undeclared = sorted(
        rule for rule in made if rule.partition(".")[0] in rules.FAMILIES and rule not in declared
    )
    assert undeclared == []


def test_a_typo_is_still_refused() -> None:
    assert rejection("git.force-psh") is not None
    assert rejection("gti.clean") is not None
