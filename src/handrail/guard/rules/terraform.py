"""Terraform, OpenTofu, Terragrunt and Pulumi: destroys, unattended applies, stale saved plans,
and plans out of proportion with what the agent said it was doing.

A saved plan (`terraform apply PLANFILE`) is a zip archive holding the state it was planned
from (`tfstate`: serial and lineage). When the working directory's state has moved on since —
a higher serial, or another lineage — applying it would act on a world that no longer exists:
`deny`. Its JSON (`terraform show -json PLANFILE`) is analysed by `handrail.blast.terraform`;
deleting or replacing a stateful resource that the stated intent does not mention is `deny`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

from handrail.guard.context import (
    Environment,
    Options,
    Setting,
    classify,
    directory_setting,
    for_invocation,
    judged,
    parse_options,
    pulumi_stack,
    resolve_path,
    terraform_workspace,
    words,
)
from handrail.guard.model import SEVERITY, Decision, GuardContext, Invocation, Verdict

FAMILY = "terraform"
RULES = {
    "terraform.destroy": "terraform/tofu/terragrunt destroy, apply -destroy",
    "terraform.apply-auto-approve": "apply -auto-approve, or run-all apply",
    "terraform.production-apply": "apply in a production workspace or directory",
    "terraform.replace-stateful": "apply -replace of a resource type that holds state",
    "terraform.replace": "apply -replace of another resource",
    "terraform.state-rm": "state rm",
    "terraform.state-mv": "state mv",
    "terraform.state-push": "state push",
    "terraform.state-replace-provider": "state replace-provider",
    "terraform.force-unlock": "force-unlock",
    "terraform.workspace-delete": "workspace delete",
    "terraform.taint": "taint",
    "terraform.stale-plan": "apply of a saved plan made from an older state or another lineage",
    "terraform.plan-current": "apply of a saved plan made from the current state",
    "terraform.plan-remote-state": "apply of a saved plan whose state is in a remote backend",
    "terraform.plan-unreadable": "apply of a saved plan that cannot be read",
    "terraform.plan-out-of-scope": "a saved plan destroys state the stated intent does not mention",
    "terraform.plan-destroys-state": "a saved plan destroys or replaces resources holding state",
    "terraform.plan-unexpected-deletes": "a saved plan deletes, the intent speaks of no removal",
    "terraform.plan-in-scope": "a saved plan that destroys no state",
    "terraform.pulumi-destroy": "pulumi destroy",
    "terraform.pulumi-stack-rm": "pulumi stack rm",
    "terraform.pulumi-state-delete": "pulumi state delete",
    "terraform.pulumi-state-unprotect": "pulumi state unprotect",
    "terraform.pulumi-cancel": "pulumi cancel",
    "terraform.pulumi-replace": "pulumi up --replace",
    "terraform.pulumi-up-unattended": "pulumi up --yes / --skip-preview",
}

# fmt: off
_VALUED = (
    "chdir", "var", "var-file", "target", "replace", "out", "state", "state-out", "backup",
    "lock-timeout", "parallelism", "working-dir", "terragrunt-working-dir", "config",
)
# fmt: on
# fmt: off
_PULUMI_VALUED = (
    "stack", "s", "cwd", "C", "target", "t", "replace", "target-replace", "config", "c",
    "message", "m", "parallel", "p", "policy-pack", "exclude",
)
# fmt: on
# Words of an intent that say the agent means to destroy or replace something.
# fmt: off
_DESTRUCTION_STEMS = (
    "destr", "delet", "remov", "replac", "recreat", "drop", "tear", "decommission", "rebuil",
    "retir", "wipe", "purg", "reprovision", "migrat",
)
# fmt: on
_SHOW_TIMEOUT = 30  # seconds for `terraform show -json`: a large plan with many providers


def judge(invocation: Invocation, context: GuardContext) -> Verdict | None:
    if invocation.program not in ("terraform", "tofu", "terragrunt", "pulumi"):
        return None
    context = for_invocation(context, invocation)
    if invocation.program == "pulumi":
        return _pulumi(invocation, context)
    options = parse_options(invocation.args, _VALUED)
    command = list(options.positionals)
    every_module = False
    if command[:1] in (["run-all"], ["run"]):  # terragrunt run-all destroy, run --all -- destroy
        every_module = command[0] == "run-all" or options.has("all")
        command = command[1:]
    if command[:1] in (["destroy-all"], ["apply-all"]):  # terragrunt's older spelling
        every_module, command = True, [command[0].removesuffix("-all"), *command[1:]]
    if not command or _asks_for_help(options, command):
        return None
    directory = options.value("chdir", "working-dir", "terragrunt-working-dir")
    workdir = resolve_path(context, directory) if directory else Path(context.cwd)
    environment = _environment(context, options, workdir)
    return _terraform(invocation, context, options, command, workdir, environment, every_module)


def _terraform(
    invocation: Invocation,
    context: GuardContext,
    options: Options,
    command: list[str],
    workdir: Path,
    environment: Environment,
    every_module: bool,
) -> Verdict | None:
    verb, rest = command[0], command[1:]
    unattended = options.has("auto-approve")
    modules = " in every module" if every_module else ""
    if verb == "destroy" or (verb == "apply" and options.has("destroy")):
        targets = options.all_values("target")
        scope = f" (-target {', '.join(targets)})" if targets else f"{modules}"
        base: Decision = "deny" if unattended or every_module else "ask"
        how = "without asking for confirmation" if unattended else "after its own prompt"
        return judged(
            "terraform.destroy",
            base,
            environment,
            f"`{invocation.source}` destroys every resource it manages{scope}, {how}",
            floor="ask",
        )
    if verb == "apply":
        plan = _saved_plan(workdir, rest)
        if plan is not None:
            return _apply_saved_plan(_PlanApply(invocation, context, plan, workdir, environment))
        replaced = options.all_values("replace")
        if replaced:
            return _replace(invocation, replaced, environment)
        if unattended or every_module:
            return judged(
                "terraform.apply-auto-approve",
                "ask",
                environment,
                f"`{invocation.source}` changes infrastructure{modules} without showing "
                "the plan to a human first",
            )
        if environment.kind == "production":
            return judged(
                "terraform.production-apply",
                "allow",
                environment,
                f"`{invocation.source}` changes production infrastructure",
            )
        return None
    if verb == "state" and rest[:1] in (["rm"], ["mv"], ["push"], ["replace-provider"]):
        forced = rest[0] == "push" and options.has("force")
        effect = {
            "rm": "drops resources from the state: Terraform stops managing them",
            "mv": "renames resources in the state: a wrong address makes Terraform destroy and "
            "recreate them",
            "push": "overwrites the stored state" + (" even when it is newer" if forced else ""),
            "replace-provider": "rewrites the provider of every resource in the state",
        }[rest[0]]
        return judged(
            f"terraform.state-{rest[0]}",
            "deny" if forced else "ask",
            environment,
            f"`{invocation.source}` {effect}",
            floor="ask",
        )
    if verb == "force-unlock":
        return judged(
            "terraform.force-unlock",
            "ask",
            environment,
            f"`{invocation.source}` removes a lock another run may still hold",
            floor="ask",
        )
    if verb == "workspace" and rest[:1] == ["delete"]:
        forced = options.has("force")
        named = classify(
            [Setting("workspace", name, "the command line") for name in rest[1:]], context
        )
        weighed = named if named.kind != "unknown" else environment
        return judged(
            "terraform.workspace-delete",
            "deny" if forced else "ask",
            weighed,
            f"`{invocation.source}` deletes the workspace"
            + (" even when its state still tracks resources" if forced else ""),
            floor="ask",
        )
    if verb == "taint":
        return judged(
            "terraform.taint",
            "ask",
            environment,
            f"`{invocation.source}` makes the next apply destroy and recreate the resource",
        )
    return None


def _asks_for_help(options: Options, command: list[str]) -> bool:
    return options.has("help", "h", "version") or command[0] in ("help", "version")


def _environment(context: GuardContext, options: Options, workdir: Path) -> Environment:
    settings: list[Setting | None] = [
        terraform_workspace(context, workdir),
        directory_setting(context, workdir),
    ]
    settings += [
        Setting("variables file", value, "-var-file") for value in options.all_values("var-file")
    ]
    settings += [Setting("variable", value, "-var") for value in options.all_values("var")]
    return classify(settings, context)


def _replace(invocation: Invocation, addresses: list[str], environment: Environment) -> Verdict:
    from handrail.blast.terraform import stateful_resource_types

    stateful = stateful_resource_types()
    holding = [
        (address, stateful[kind])
        for address in addresses
        if (kind := _resource_type(address)) in stateful
    ]
    if holding:
        named = "; ".join(f"{address} ({why})" for address, why in holding)
        return judged(
            "terraform.replace-stateful",
            "deny",
            environment,
            f"`{invocation.source}` destroys and recreates {named}",
            floor="ask",
        )
    return judged(
        "terraform.replace",
        "ask",
        environment,
        f"`{invocation.source}` destroys and recreates {', '.join(addresses)}",
    )


def _resource_type(address: str) -> str:
    """`module.db.aws_db_instance.main["a"]` → `aws_db_instance` (data sources have none)."""
    parts = address.split("[", 1)[0].split(".")
    while parts[:1] == ["module"] and len(parts) > 2:
        parts = parts[2:]
    return parts[0] if len(parts) >= 2 and parts[0] != "data" else ""


# --- Saved plans ------------------------------------------------------------------------------


def _saved_plan(workdir: Path, rest: list[str]) -> Path | None:
    """The plan file `apply` was given, when it is one (Terraform's plan files are zips)."""
    if not rest:
        return None
    path = workdir / rest[0]
    if not path.is_file():
        return None
    import zipfile  # only for `apply FILE`: the hook stays fast for every other command

    return path if zipfile.is_zipfile(path) else None


class _PlanApply(NamedTuple):
    """`terraform apply PLANFILE`: the command, where it runs and the plan it applies."""

    invocation: Invocation
    context: GuardContext
    plan: Path
    workdir: Path
    environment: Environment


def _apply_saved_plan(apply: _PlanApply) -> Verdict:
    staleness = _staleness(apply.context, apply.plan, apply.workdir)
    if staleness.decision == "deny":
        return staleness  # refused whatever it does: no need to spawn `terraform show`
    scope = _scope(apply)
    if staleness.decision == scope.decision:  # both say the same: the human reads both whys
        return Verdict(scope.decision, scope.rule, f"{staleness.reason} {scope.reason}")
    return max((staleness, scope), key=lambda verdict: SEVERITY[verdict.decision])


def _staleness(context: GuardContext, plan: Path, workdir: Path) -> Verdict:
    prior = _plan_prior_state(plan)
    planned = f"serial {prior.get('serial')} of lineage {prior.get('lineage') or '(none)'}"
    if prior is _UNREADABLE:
        return Verdict(
            "ask",
            "terraform.plan-unreadable",
            f"{plan.name} is a zip but its prior state cannot be read.",
        )
    backend = _backend(context, workdir)
    if backend not in (None, "local"):
        return Verdict(
            "ask",
            "terraform.plan-remote-state",
            f"{plan.name} was planned from state {planned}; the current state lives in the "
            f"{backend} backend, which Handrail cannot read offline to check the plan is not "
            "stale.",
        )
    workspace = terraform_workspace(context, workdir).value
    state_path = workdir / (
        "terraform.tfstate"
        if workspace == "default"
        else f"terraform.tfstate.d/{workspace}/terraform.tfstate"
    )
    current = _json_file(state_path)
    if current is None and prior.get("lineage"):
        return Verdict(
            "deny",
            "terraform.stale-plan",
            f"{plan.name} was planned from state {planned}, but there is no state at "
            f"{state_path.relative_to(workdir)} (workspace {workspace}): the state it was made "
            "from is gone or lives elsewhere. Plan again.",
        )
    if current is None:
        return Verdict(
            "allow",
            "terraform.plan-current",
            f"{plan.name} was planned from state {planned}; no local state exists "
            "to contradict it.",
        )
    now = f"serial {current.get('serial')} of lineage {current.get('lineage')}"
    same_lineage = prior.get("lineage") == current.get("lineage")
    if not same_lineage or _serial(current) > _serial(prior):
        why = "another lineage (a different state)" if not same_lineage else "a newer state"
        return Verdict(
            "deny",
            "terraform.stale-plan",
            f"{plan.name} is stale: it was planned from state {planned}, but {state_path.name} "
            f"is now at {now}, {why}; applying it would act on a world that no longer exists. "
            "Plan again.",
        )
    return Verdict(
        "allow",
        "terraform.plan-current",
        f"{plan.name} was planned from the current state ({now}).",
    )


_UNREADABLE: dict[str, Any] = {"unreadable": True}


def _plan_prior_state(plan: Path) -> dict[str, Any]:
    """The `tfstate` entry of a plan file: the state it was planned from ({} when none)."""
    import json
    import zipfile

    try:
        with zipfile.ZipFile(plan) as archive:
            if "tfstate" not in archive.namelist():
                return {}
            state = json.loads(archive.read("tfstate"))
    except (OSError, zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError):
        return _UNREADABLE
    return state if isinstance(state, dict) else _UNREADABLE


def _backend(context: GuardContext, workdir: Path) -> str | None:
    """The backend `terraform init` recorded for the working directory (None: local default)."""
    data_dir = workdir / context.env.get("TF_DATA_DIR", ".terraform")
    recorded = _json_file(data_dir / "terraform.tfstate") or {}
    backend = recorded.get("backend")
    if isinstance(backend, dict) and isinstance(backend.get("type"), str):
        return backend["type"]
    return "cloud" if isinstance(recorded.get("cloud"), dict) else None


def _json_file(path: Path) -> dict[str, Any] | None:
    import json

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    return document if isinstance(document, dict) else None


def _serial(state: dict[str, Any]) -> int:
    serial = state.get("serial")
    return serial if isinstance(serial, int) else -1


def _scope(apply: _PlanApply) -> Verdict:
    """What the plan destroys, weighed against what the agent said it is doing."""
    from handrail.blast.terraform import analyze_plan
    from handrail.errors import HandrailError

    invocation, context = apply.invocation, apply.context
    text, problem = _show_json(invocation.program, context, apply.plan, apply.workdir)
    if text is None:
        return Verdict(
            "ask",
            "terraform.plan-unreadable",
            f"`{invocation.source}`: {problem}; what it destroys is unknown.",
        )
    try:
        findings = analyze_plan(text, apply.plan.name)
    except HandrailError as error:
        return Verdict("ask", "terraform.plan-unreadable", f"{error}.")
    subject = f"`{invocation.source}`"
    return judge_plan_scope(findings, context.intent, apply.environment, subject)


def judge_plan_scope(
    findings: list[Any], intent: str | None, environment: Environment, subject: str
) -> Verdict:
    """Deletes and replaces of a plan against the stated intent (`Destruction` findings)."""
    stateful = [finding for finding in findings if finding.severity == "destructive"]
    others = [finding for finding in findings if finding.severity != "destructive"]
    stated = f"the stated intent ({intent!r})" if intent else ""
    if stateful:
        named = " ".join(finding.reason for finding in stateful[:3]).removesuffix(".")
        uncovered = [finding for finding in stateful if not _intent_covers(intent, finding.target)]
        if intent and uncovered:
            targets = ", ".join(finding.target for finding in uncovered)
            return Verdict(
                "deny",
                "terraform.plan-out-of-scope",
                f"{subject} is out of proportion with {stated}: it destroys or "
                f"replaces {targets}, which the intent does not mention. {named}.",
            )
        why = f"{stated} mentions it" if intent else "no intent was stated to compare with"
        return judged(
            "terraform.plan-destroys-state",
            "ask",
            environment,
            f"{subject} destroys or replaces resources that hold state ({why}): {named}",
            floor="ask",
        )
    if others and intent and not _mentions_destruction(intent):
        targets = ", ".join(finding.target for finding in others[:5])
        return Verdict(
            "ask",
            "terraform.plan-unexpected-deletes",
            f"{subject} deletes or replaces {targets}, but {stated} does not speak "
            "of removing anything.",
        )
    summary = (
        f"deletes or replaces {len(others)} resource(s), none of a type that holds state"
        if others
        else "destroys nothing"
    )
    return judged("terraform.plan-in-scope", "allow", environment, f"{subject} {summary}")


def _show_json(
    program: str, context: GuardContext, plan: Path, workdir: Path
) -> tuple[str | None, str]:
    import shutil
    import subprocess

    binary = "terraform" if program == "terragrunt" else program
    env = {**context.env, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    # The agent's PATH finds the binary it would run; the guard's own PATH if none was given.
    executable = shutil.which(binary, path=env.get("PATH") or os.environ.get("PATH"))
    if executable is None:
        return None, f"`{binary}` is not on PATH to read {plan.name}"
    try:
        shown = subprocess.run(
            [executable, "show", "-json", str(plan)],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=_SHOW_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"`{binary} show -json {plan.name}` could not run ({error})"
    if shown.returncode != 0:
        first = (shown.stderr.strip().splitlines() or ["no message"])[-1]
        return None, f"`{binary} show -json {plan.name}` failed ({first})"
    return shown.stdout, ""


def _mentions_destruction(intent: str) -> bool:
    return any(word.startswith(_DESTRUCTION_STEMS) for word in words(intent))


def _intent_covers(intent: str | None, address: str) -> bool:
    """Whether the intent speaks of destroying this resource: a destruction word, and a word of
    its name or type (`aws_db_instance.orders` → orders, db/database, instance)."""
    if not intent or not _mentions_destruction(intent):
        return False
    said = set(words(intent))
    if "database" in said:
        said.add("db")
    resource = _resource_type(address)
    named = set(words(address.split("[", 1)[0].removeprefix(resource)))
    named |= set(words(resource)[1:])  # the provider prefix says nothing
    named -= {"module", "this", "main", "default"}
    return bool(said & named)


# --- Pulumi -----------------------------------------------------------------------------------


def _pulumi(invocation: Invocation, context: GuardContext) -> Verdict | None:
    options = parse_options(invocation.args, _PULUMI_VALUED)
    command = list(options.positionals)
    if not command or _asks_for_help(options, command):
        return None
    directory = options.value("cwd", "C")
    workdir = resolve_path(context, directory) if directory else Path(context.cwd)
    environment = classify(
        [pulumi_stack(context, options, workdir), directory_setting(context, workdir)], context
    )
    unattended = options.has("yes", "y", "skip-preview", "f")
    verb, rest = command[0], command[1:]
    if verb in ("destroy", "down", "dn"):
        return judged(
            "terraform.pulumi-destroy",
            "deny" if unattended else "ask",
            environment,
            f"`{invocation.source}` destroys every resource of the stack",
            floor="ask",
        )
    if verb == "stack" and rest[:1] == ["rm"]:
        forced = options.has("force")
        return judged(
            "terraform.pulumi-stack-rm",
            "deny" if forced else "ask",
            environment,
            f"`{invocation.source}` deletes the stack and its state history",
            floor="ask",
        )
    if verb == "state" and rest[:1] in (["delete"], ["unprotect"]):
        return judged(
            f"terraform.pulumi-state-{rest[0]}",
            "ask",
            environment,
            f"`{invocation.source}` edits the stack's state by hand",
            floor="ask",
        )
    if verb == "cancel":
        return judged(
            "terraform.pulumi-cancel",
            "ask",
            environment,
            f"`{invocation.source}` stops an update another run is making",
        )
    if verb in ("up", "update"):
        replaced = options.all_values("replace", "target-replace")
        if replaced:
            return judged(
                "terraform.pulumi-replace",
                "ask",
                environment,
                f"`{invocation.source}` destroys and recreates {', '.join(replaced)}",
            )
        if unattended:
            return judged(
                "terraform.pulumi-up-unattended",
                "ask",
                environment,
                f"`{invocation.source}` changes infrastructure without showing the "
                "preview to a human first",
            )
    return None
