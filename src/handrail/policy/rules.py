"""Load the policy's rules (built-in ones and handrail.toml's) and evaluate their conditions.

Conditions are CEL, evaluated by cel-python: a real, sandboxed expression language rather
than a home-made one. Each rule is compiled and tried once against a complete example
context at load time, so a typo in a variable name is reported before any change is judged.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import msgspec

from handrail.config import PolicyConfig, RuleConfig
from handrail.errors import HandrailError

# Every variable a condition may use, with a value of the right type: compiling a rule and
# running it on this finds unknown names and type errors at load time.
EXAMPLE_CONTEXT: dict[str, Any] = {
    "change": {
        "ai_assisted": None,
        "tools": ["Claude Code"],
        "destructive": False,
        "destructive_infrastructure": False,
        "destructive_migration": False,
        "safeguards": False,
        "files": 1,
    },
    "author": {"id": "someone", "seniority": "mid", "known": False},
    "component": {"name": "core", "tier": 0, "direct": True, "owners": ["someone"]},
}


@dataclass(frozen=True)
class Rule:
    """A rule ready to evaluate, remembering where it was declared."""

    config: RuleConfig
    source: str  # "built-in" or "handrail.toml: policy.rule[N]"
    program: Any  # the compiled CEL program

    @property
    def id(self) -> str:
        return self.config.id

    def holds(self, context: dict[str, Any]) -> bool:
        """Whether the condition is true for these facts."""
        import celpy

        result = self.program.evaluate(
            {name: celpy.json_to_cel(value) for name, value in context.items()}
        )
        return bool(result)


def _compile(rule: RuleConfig, where: str) -> Any:
    import celpy

    environment = celpy.Environment()
    try:
        program = environment.program(environment.compile(rule.when))
    except celpy.CELParseError as exc:
        detail = " ".join(str(exc).split())
        raise HandrailError(f"{where}.when: invalid CEL expression: {detail}") from exc
    try:
        result = program.evaluate(
            {name: celpy.json_to_cel(value) for name, value in EXAMPLE_CONTEXT.items()}
        )
    except celpy.CELEvalError as exc:
        problem = str(exc.args[0] if exc.args else exc).split(" (in activation")[0]
        known = ", ".join(
            f"{var}.{key}" for var, fields in EXAMPLE_CONTEXT.items() for key in fields
        )
        raise HandrailError(
            f"{where}.when: {problem.strip(chr(34))} — conditions may use {known}"
        ) from exc
    if not isinstance(result, celpy.celtypes.BoolType):
        raise HandrailError(f"{where}.when: must be true or false, not a {type(result).__name__}")
    return program


def built_in_rules() -> list[RuleConfig]:
    text = resources.files("handrail.policy").joinpath("default_rules.toml").read_text()
    return msgspec.convert(tomllib.loads(text)["rule"], list[RuleConfig])


def load_rules(policy: PolicyConfig) -> list[Rule]:
    """The rules in force: built-ins (unless switched off), minus disabled ones, with
    handrail.toml's rules added or replacing built-ins of the same id."""
    declared = {rule.id: index for index, rule in enumerate(policy.rule)}
    rules: list[Rule] = []
    if policy.defaults:
        for rule in built_in_rules():
            if rule.id not in policy.disable and rule.id not in declared:
                where = f"built-in rule {rule.id!r}"
                rules.append(Rule(rule, "built-in", _compile(rule, where)))
    known = {rule.id for rule in built_in_rules()} | set(declared)
    for rule_id in policy.disable:
        if rule_id not in known:
            raise HandrailError(f"handrail.toml: policy.disable: no rule has the id {rule_id!r}")
    for index, rule in enumerate(policy.rule):
        if rule.id in policy.disable:
            continue
        where = f"handrail.toml: policy.rule[{index + 1}] ({rule.id!r})"
        rules.append(Rule(rule, where.removeprefix("handrail.toml: "), _compile(rule, where)))
    return rules
