"""Cloud CLIs (aws, gcloud, gsutil, bq, az): deletes of databases, buckets, clusters, stacks, DNS.

What each operation destroys is data (cloud_operations.toml); this module finds the operation in
the command line, weighs it by the profile / project / subscription and the names it targets,
and reads Route 53 change batches to see whether they DELETE records.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from handrail.guard.context import (
    Options,
    Setting,
    aws_profile,
    azure_subscription,
    classify,
    for_invocation,
    gcloud_settings,
    judged,
    parse_options,
    resolve_path,
)
from handrail.guard.model import Decision, GuardContext, Invocation, Verdict

FAMILY = "cloud"

# Options that take a value, per program, so values are not read as command words. Options that
# name the target (`--db-instance-identifier prod`) are left out on purpose: their values then
# count as target names, which weigh the environment.
# fmt: off
_VALUED = {
    "aws": ("profile", "region", "output", "endpoint-url", "query", "cli-read-timeout",
            "cli-connect-timeout", "ca-bundle", "color", "cli-binary-format", "change-batch",
            "desired-count"),
    "gcloud": ("project", "configuration", "account", "format", "filter", "verbosity",
               "impersonate-service-account", "billing-project", "flags-file", "limit",
               "sort-by", "page-size", "zone", "region", "location"),
    "gsutil": ("o", "h", "u", "p"),
    "bq": ("project_id", "location", "format"),
    "az": ("subscription", "output", "o", "query", "location", "l", "mode"),
}
# fmt: on
_GLOBAL = frozenset(
    (
        "profile",
        "region",
        "output",
        "query",
        "format",
        "o",
        "project",
        "subscription",
        "configuration",
        "account",
        "zone",
        "location",
        "mode",
    )
)
_RELEASE_TRACKS = frozenset(("alpha", "beta", "preview"))
_DRY_RUN = ("dry-run", "dryrun")
_DESTRUCTIVE_PREFIXES = ("delete", "remove", "terminate", "destroy", "purge")


class Operation(NamedTuple):
    command: tuple[str, ...]
    decision: Decision
    destroys: str
    with_option: str | None = None
    check: str | None = None
    ceiling: Decision = "deny"


@cache
def operations() -> dict[str, tuple[Operation, ...]]:
    """cloud_operations.toml, by program."""
    import tomllib

    text = Path(__file__).with_name("cloud_operations.toml").read_text(encoding="utf-8")
    return {
        program: tuple(
            Operation(
                command=tuple(entry["command"].split()),
                decision=entry["decision"],
                destroys=entry["destroys"],
                with_option=entry.get("with"),
                check=entry.get("check"),
                ceiling=entry.get("ceiling", "deny"),
            )
            for entry in entries
        )
        for program, entries in tomllib.loads(text).items()
    }


def judge(invocation: Invocation, context: GuardContext) -> Verdict | None:
    program = invocation.program
    if program not in _VALUED:
        return None
    context = for_invocation(context, invocation)
    options = parse_options(invocation.args, _VALUED[program], clusters=program == "gsutil")
    words = [word for word in options.positionals if word not in _RELEASE_TRACKS]
    help_asked = options.has("help") or "h" in options.flags or "help" in words
    if not words or options.has(*_DRY_RUN) or help_asked:
        return None
    operation = _find(program, words, options)
    if operation is None:
        return _unlisted(invocation, words, options, context)
    targets = words[len(operation.command) :] + [
        value for name, values in options.values.items() if name not in _GLOBAL for value in values
    ]
    environment = classify(_settings(program, context, options, targets), context)
    shown = " ".join([program, *words[: len(operation.command)]])
    decision, what = operation.decision, f"`{shown}` {operation.destroys}"
    if operation.check == "change-batch":
        decision, what = _change_batch(options, context, shown)
    rule = _rule(program, operation)
    floor: Decision = "ask" if decision == "deny" else "allow"
    return judged(rule, decision, environment, what, floor=floor, ceiling=operation.ceiling)


def _rule(program: str, operation: Operation) -> str:
    return f"cloud.{program}-" + "-".join(operation.command).replace("*", "any")


def __getattr__(name: str) -> dict[str, str]:
    """RULES, built from the table only when asked (handrail.toml overrides are checked)."""
    if name != "RULES":
        raise AttributeError(name)
    rules = {"cloud.unlisted-delete": "a delete-like operation the table does not describe"}
    for program, entries in operations().items():
        for operation in entries:
            rules.setdefault(_rule(program, operation), operation.destroys)
    return rules


def _find(program: str, words: list[str], options: Options) -> Operation | None:
    for operation in operations().get(program, ()):
        length = len(operation.command)
        if len(words) < length:
            continue
        if not all(fnmatchcase(w, p) for w, p in zip(words, operation.command, strict=False)):
            continue
        if operation.with_option is None or _has(options, operation.with_option):
            return operation
    return None


def _has(options: Options, wanted: str) -> bool:
    name, equals, value = wanted.partition("=")
    if not equals:
        return options.has(name)
    return any(given.lower() == value for given in options.all_values(name))


def _unlisted(
    invocation: Invocation, words: list[str], options: Options, context: GuardContext
) -> Verdict | None:
    """An operation the table does not know, named like a delete: ask rather than guess."""
    verb = next((word for word in words if word.startswith(_DESTRUCTIVE_PREFIXES)), None)
    if verb is None:
        return None
    environment = classify(_settings(invocation.program, context, options, words), context)
    shown = " ".join([invocation.program, *words[: words.index(verb) + 1]])
    return judged(
        "cloud.unlisted-delete",
        "ask",
        environment,
        f"`{shown}` deletes something Handrail's operation table does not describe",
        floor="ask",
    )


def _settings(
    program: str, context: GuardContext, options: Options, targets: list[str]
) -> list[Setting | None]:
    found: list[Setting | None] = []
    if program == "aws":
        found.append(aws_profile(context, options))
    elif program in ("gcloud", "gsutil", "bq"):
        found += gcloud_settings(context, options)
    elif program == "az":
        found.append(azure_subscription(context, options))
    return found + [Setting("target", name, "the command line") for name in targets]


def _change_batch(options: Options, context: GuardContext, shown: str) -> tuple[Decision, str]:
    """Route 53 changes: DELETE actions remove live records; others only change them."""
    batch = _load_change_batch(options.value("change-batch"), context)
    if batch is None:
        return "ask", f"`{shown}` changes live DNS records, and its --change-batch was not readable"
    deleted = [
        f"{record.get('Type', '?')} {record.get('Name', '?')}"
        for change in batch.get("Changes") or []
        if isinstance(change, dict) and str(change.get("Action", "")).upper() == "DELETE"
        for record in [change.get("ResourceRecordSet") or {}]
        if isinstance(record, dict)
    ]
    if deleted:
        return "deny", f"`{shown}` deletes live DNS records: {', '.join(deleted)}"
    return "ask", f"`{shown}` changes live DNS records"


def _load_change_batch(value: str | None, context: GuardContext) -> dict[str, Any] | None:
    import json

    if not value:
        return None
    text = value
    for scheme in ("file://", "fileb://"):
        if value.startswith(scheme):
            try:
                text = resolve_path(context, value[len(scheme) :]).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return None
    try:
        batch = json.loads(text)
    except json.JSONDecodeError:
        return None
    return batch if isinstance(batch, dict) else None
