"""Destructive changes in a Terraform plan: the JSON of `terraform show -json PLANFILE`."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from handrail.blast.findings import Destruction
from handrail.errors import HandrailError

# The action lists Terraform writes (internal/command/jsonplan, actionString). Any other list
# means the file was not written by Terraform, and guessing what it would do is unsafe.
_HARMLESS_ACTIONS = (("no-op",), ("create",), ("read",), ("update",))
# Action lists that end an object's life under Terraform: (name in findings, words in reasons).
_ENDING_ACTIONS = {
    ("delete",): ("delete", "deleted"),
    ("delete", "create"): ("delete-then-create", "replaced (deleted, then created anew)"),
    ("create", "delete"): (
        "create-then-delete",
        "replaced (a new one created, then the old one deleted)",
    ),
    ("forget",): ("forget", "forgotten (dropped from Terraform state; the real object is kept)"),
    ("create", "forget"): (
        "create-then-forget",
        "replaced by a new object while the old one is forgotten (kept, no longer managed)",
    ),
}

# Terraform's action_reason values in words (jsonplan's ResourceInstance* constants).
_CANNOT_UPDATE = "replace_because_cannot_update"
_ACTION_REASONS = {
    _CANNOT_UPDATE: "the provider cannot update it in place",
    "replace_because_tainted": "it is tainted",
    "replace_by_request": "a replacement was requested (-replace)",
    "replace_by_triggers": "a reference in its replace_triggered_by changed",
    "delete_because_no_resource_config": "its configuration was removed",
    "delete_because_wrong_repetition": "count or for_each was added to or removed from it",
    "delete_because_count_index": "count no longer includes its index",
    "delete_because_each_key": "for_each no longer includes its key",
    "delete_because_no_module": "its module call was removed",
    "delete_because_no_move_target": "its moved block points at an address that does not exist",
}

_PLAN_HINT = "expected the output of `terraform show -json PLANFILE`"
_JSON_NAMES = {dict: "an object", list: "an array", str: "a string"}


@cache
def stateful_resource_types() -> Mapping[str, str]:
    """Each resource type that holds state, with why it matters (stateful_resources.toml)."""
    text = resources.files("handrail.blast").joinpath("stateful_resources.toml").read_text()
    return {name: kind["why"] for kind in tomllib.loads(text)["kind"] for name in kind["types"]}


def analyze_plan(text: str, source: str) -> list[Destruction]:
    """Every delete, replace and forget in a plan, in the plan's order.

    Deleting or replacing a resource type that holds state is "destructive"; deleting any
    other type, and forgetting any (the real object survives), is "review". `source` names
    the file in findings and in the HandrailError raised for anything that is not a plan.
    """
    findings = []
    for index, change in enumerate(_resource_changes(text, source)):
        finding = _assess(change, f"resource_changes[{index}]", source)
        if finding is not None:
            findings.append(finding)
    return findings


def _resource_changes(text: str, source: str) -> list[Any]:
    try:
        plan = json.loads(text.removeprefix("\ufeff"))  # PowerShell redirection adds a BOM
    except json.JSONDecodeError as exc:
        raise HandrailError(
            f"{source}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"
        ) from None
    except RecursionError:
        raise HandrailError(f"{source}: the JSON nests too deeply to read; {_PLAN_HINT}") from None
    if not isinstance(plan, dict):
        raise HandrailError(f"{source}: the JSON is {_json_type(plan)}; {_PLAN_HINT}")
    if "format_version" not in plan:
        raise HandrailError(f"{source}: format_version: missing; {_PLAN_HINT}")
    version = _field(plan, "format_version", str, "", source)
    # A new major version may change what the fields mean: refuse rather than misread.
    if version.split(".")[0] not in {"0", "1"}:
        raise HandrailError(
            f"{source}: format_version: {version!r} is not a plan format Handrail reads (0.x, 1.x)"
        )
    if "resource_changes" not in plan:
        if "planned_values" in plan:  # Terraform omits resource_changes when nothing changes
            return []
        raise HandrailError(
            f"{source}: resource_changes: missing, and so is planned_values "
            f"(Terraform state is not a plan); {_PLAN_HINT}"
        )
    changes: list[Any] = _field(plan, "resource_changes", list, "", source)
    return changes


def _assess(change: Any, where: str, source: str) -> Destruction | None:
    if not isinstance(change, dict):
        raise HandrailError(f"{source}: {where}: expected an object, found {_json_type(change)}")
    details = _field(change, "change", dict, where, source)
    actions = _actions(details, f"{where}.change", source)
    if actions in _HARMLESS_ACTIONS:
        return None
    action, verb = _ENDING_ACTIONS[actions]
    address: str = _field(change, "address", str, where, source)
    resource_type: str = _field(change, "type", str, where, source)
    code: str | None = _field(change, "action_reason", str, where, source, optional=True)
    previous: str | None = _field(change, "previous_address", str, where, source, optional=True)
    deposed: str | None = _field(change, "deposed", str, where, source, optional=True)
    paths = _replace_paths(details.get("replace_paths"), f"{where}.change.replace_paths", source)

    target = address if deposed is None else f"{address} (deposed object {deposed})"
    moved = "" if previous is None else f" (moved from {previous})"
    why = stateful_resource_types().get(resource_type)
    deletes = "delete" in actions
    if not deletes:
        consequence = ""
    elif why is not None:
        consequence = f": {why}"
    else:
        consequence = f"; {resource_type} is not a resource type known to hold state"
    return Destruction(
        kind="infrastructure",
        source=source,
        line=None,  # plan JSON is one line: the address is the useful locator
        target=target,
        action=action,
        stateful=why is not None,
        severity="destructive" if deletes and why is not None else "review",
        reason=f"{target}{moved} will be {verb}{_because(code, paths)}{consequence}.",
    )


def _actions(details: dict[str, Any], where: str, source: str) -> tuple[str, ...]:
    actions = _field(details, "actions", list, where, source)
    if all(isinstance(step, str) for step in actions):
        known = tuple(actions)
        if known in _HARMLESS_ACTIONS or known in _ENDING_ACTIONS:
            return known
    expected = ", ".join(json.dumps(list(k)) for k in [*_HARMLESS_ACTIONS, *_ENDING_ACTIONS])
    raise HandrailError(
        f"{source}: {where}.actions: {json.dumps(actions)} is not an action list Terraform "
        f"writes (expected one of {expected})"
    )


def _replace_paths(value: Any, where: str, source: str) -> list[str]:
    """Paths into the resource as `a.b[0].c`; each one forced the replacement."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(path, list) and path and all(_is_step(step) for step in path) for path in value
    ):
        raise HandrailError(
            f"{source}: {where}: expected an array of paths, each an array of "
            f"attribute names and indexes, found {json.dumps(value)}"
        )
    formatted = []
    for path in value:
        text = ""
        for step in path:
            text += f"[{step}]" if isinstance(step, int) else f".{step}" if text else step
        formatted.append(text)
    return formatted


def _is_step(step: Any) -> bool:
    return isinstance(step, str) or (isinstance(step, int) and not isinstance(step, bool))


def _because(code: str | None, paths: list[str]) -> str:
    """Why Terraform plans the action, from action_reason and replace_paths."""
    tag = f" ({code})" if code else ""
    if paths and code in (None, _CANNOT_UPDATE):
        return f" because a change to {' and '.join(paths)} forces replacement{tag}"
    if code in _ACTION_REASONS:
        return f" because {_ACTION_REASONS[code]}{tag}"
    return tag  # no reason given (e.g. plan -destroy), or one newer than this table


def _field(
    obj: dict[str, Any],
    key: str,
    expected: type,
    where: str,
    source: str,
    *,
    optional: bool = False,
) -> Any:
    """obj[key], checked against the JSON type the plan format gives it."""
    value = obj.get(key)
    if value is None and optional:
        return None
    if isinstance(value, expected):
        return value
    found = "it is missing" if key not in obj else f"found {_json_type(value)}"
    path = f"{where}.{key}" if where else key
    raise HandrailError(f"{source}: {path}: expected {_JSON_NAMES[expected]}, {found}")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return _JSON_NAMES[type(value)]
