"""Where a command would run: the project, and the environment its flags and config files name.

`load_context` is called once per hook call and does only what every decision needs (the project
root, home, the configured patterns). What only some commands need — the current kube context,
AWS profile, gcloud project, Azure subscription, Terraform workspace, Pulumi stack — is read by
the helpers below when a rule asks, cheaply (one key, not a whole YAML parse, where possible) and
cached by file path and modification time. Each value comes back as a `Setting` that says where
it was read, so a reason can tell the human why a command counts as production.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from handrail.guard.model import SEVERITY, Decision, GuardContext, Invocation, Verdict

if TYPE_CHECKING:
    from pathlib import Path  # imported where used: the hook path stays without it

    from handrail.guard.settings import GuardSettings

EnvironmentClass = Literal["production", "safe", "unknown"]
_DECISIONS: tuple[Decision, ...] = ("allow", "ask", "deny")


def load_context(
    cwd: str, env: Mapping[str, str], settings: GuardSettings | None = None
) -> GuardContext:
    """The context every rule sees; nothing environment-specific is read here (see helpers)."""
    defaults = GuardContext(cwd=cwd)
    return GuardContext(
        cwd=cwd,
        project_root=find_project_root(cwd),
        home=env.get("HOME") or env.get("USERPROFILE"),
        env=dict(env),
        protected_branches=tuple(
            settings.protected_branches if settings else defaults.protected_branches
        ),
        production_patterns=tuple(
            settings.production_patterns if settings else defaults.production_patterns
        ),
        safe_patterns=tuple(settings.safe_patterns if settings else defaults.safe_patterns),
    )


def for_invocation(context: GuardContext, invocation: Invocation) -> GuardContext:
    """The context one program sees: `AWS_PROFILE=prod aws …` sets the variable for it alone."""
    if not invocation.assignments:
        return context
    return context._replace(env={**context.env, **dict(invocation.assignments)})


def words(text: str, wildcards: str = "") -> list[str]:
    """The lower-case words and numbers of `text`, the unit every pattern matches.

    `prod-eu`, `eu_production`, `gke_x_prod1` and `arn:…:cluster/prod` all contain the word
    "prod"; `product-catalog` and `delivery` contain no production word. Characters in
    `wildcards` count as letters (for patterns).
    """
    found: list[str] = []
    current, kind = "", ""
    for char in text.lower():
        now = (
            "a" if ("a" <= char <= "z" or char in wildcards) else "0" if "0" <= char <= "9" else ""
        )
        if now != kind and current:
            found.append(current)
            current = ""
        kind = now
        if now:
            current += char
    if current:
        found.append(current)
    return found


def find_project_root(cwd: str) -> str | None:
    """The nearest directory at or above `cwd` holding `.git` (a directory, or a worktree file)."""
    folder = os.path.abspath(cwd)  # noqa: PTH100 - os.path: no pathlib import in the hook
    while True:
        if os.path.exists(os.path.join(folder, ".git")):  # noqa: PTH110, PTH118
            return folder
        parent = os.path.dirname(folder)  # noqa: PTH120
        if parent == folder:
            return None
        folder = parent


# --- Environment classes -------------------------------------------------------------------


class Setting(NamedTuple):
    """One value that says where a command runs, and where it was read."""

    what: str  # "kube context", "AWS profile", "Terraform workspace", "target"…
    value: str
    where: str  # "--context flag", "AWS_PROFILE", "current-context in /home/u/.kube/config"

    def describe(self) -> str:
        return f"{self.what} {self.value!r} (from {self.where})"


class Environment(NamedTuple):
    """The class of environment a command targets, and the setting that decided it."""

    kind: EnvironmentClass
    setting: Setting | None = None

    def describe(self) -> str:
        """Words for a reason: "production: kube context 'prod-eu' (from --context flag)"."""
        if self.setting is None:
            return "no production or safe context detected"
        return f"{self.kind}: {self.setting.describe()}"


def environment_class(name: str, context: GuardContext | None = None) -> EnvironmentClass:
    """Whether `name` (a context, profile, workspace…) looks like production, safe, or neither.

    Patterns match whole words (`prod` matches `prod-eu` and `eu-prod1`, not `product`); a
    pattern of several words (`us-live`) matches them in sequence; `*` and `?` are wildcards
    within one word. Production wins when both match (`prod-test`): the safer assumption.
    """
    context = context or GuardContext(cwd=".")
    found = words(name)
    if _matches_any(found, context.production_patterns):
        return "production"
    if _matches_any(found, context.safe_patterns):
        return "safe"
    return "unknown"


def classify(settings: Iterable[Setting | None], context: GuardContext) -> Environment:
    """The strictest class among the settings: production beats safe beats unknown."""
    safe = None
    for setting in settings:
        if setting is None:
            continue
        kind = environment_class(setting.value, context)
        if kind == "production":
            return Environment("production", setting)
        if kind == "safe" and safe is None:
            safe = setting
    return Environment("safe", safe) if safe else Environment("unknown")


def weigh(
    base: Decision, environment: Environment, floor: Decision = "allow", ceiling: Decision = "deny"
) -> Decision:
    """`base` raised one step in production, lowered one step in a safe environment, clamped."""
    step = {"production": 1, "safe": -1, "unknown": 0}[environment.kind]
    index = SEVERITY[base] + step
    index = max(SEVERITY[floor], min(SEVERITY[ceiling], index))
    return _DECISIONS[index]


def judged(
    rule: str,
    base: Decision,
    environment: Environment,
    what: str,
    floor: Decision = "allow",
    ceiling: Decision = "deny",
) -> Verdict:
    """A verdict whose reason says what the command does and which environment weighed in."""
    decision = weigh(base, environment, floor, ceiling)
    return Verdict(decision, rule, f"{what}; {environment.describe()}.")


def _matches_any(found: list[str], patterns: Iterable[str]) -> bool:
    from fnmatch import fnmatchcase

    for pattern in patterns:
        wanted = words(pattern, wildcards="*?[]")
        if not wanted:
            continue
        for start in range(len(found) - len(wanted) + 1):
            window = found[start : start + len(wanted)]
            if all(fnmatchcase(word, part) for word, part in zip(window, wanted, strict=True)):
                return True
    return False


# --- Reading a command line's options -------------------------------------------------------


class Options(NamedTuple):
    """A command line split into positionals and options (names without their dashes)."""

    positionals: tuple[str, ...]
    values: Mapping[str, tuple[str, ...]]  # option → every value given, in order
    flags: frozenset[str]

    def value(self, *names: str) -> str | None:
        """The last value given to any of `names` (the one the program uses)."""
        found = [value for name in names for value in self.values.get(name, ())]
        return found[-1] if found else None

    def all_values(self, *names: str) -> list[str]:
        return [value for name in names for value in self.values.get(name, ())]

    def has(self, *names: str) -> bool:
        return any(name in self.flags or name in self.values for name in names)


def parse_options(
    args: Iterable[str], takes_value: Iterable[str] = (), clusters: bool = False
) -> Options:
    """Split `args` the way getopt-like parsers do.

    `--name=value` and `-name=value` always carry a value; a name in `takes_value` takes the next
    word (or the rest of a short option, `-nprod`); with `clusters`, `-rf` is the flags r and f.
    Everything after `--` is positional.
    """
    valued = frozenset(takes_value)
    positionals: list[str] = []
    values: dict[str, list[str]] = {}
    flags: set[str] = set()
    remaining = iter(args)
    for word in remaining:
        if word == "--":
            positionals.extend(remaining)
            break
        if not word.startswith("-") or word == "-" or _is_number(word):
            positionals.append(word)
            continue
        name, equals, value = word.lstrip("-").partition("=")
        short = not word.startswith("--")
        if equals:
            values.setdefault(name, []).append(value)
        elif name in valued:
            values.setdefault(name, []).append(next(remaining, ""))
        elif short and len(name) > 1 and name[0] in valued:
            values.setdefault(name[0], []).append(name[1:])  # -nprod, -ffile.sql
        elif short and clusters and len(name) > 1:
            _cluster(name, valued, remaining, values, flags)
        else:
            flags.add(name)
    return Options(tuple(positionals), {k: tuple(v) for k, v in values.items()}, frozenset(flags))


def _cluster(
    name: str,
    valued: frozenset[str],
    remaining: Iterator[str],
    values: dict[str, list[str]],
    flags: set[str],
) -> None:
    """getopt's `-tAc SQL`: flags until one that takes a value, which takes the rest or next."""
    for index, letter in enumerate(name):
        if letter in valued:
            values.setdefault(letter, []).append(name[index + 1 :] or next(remaining, ""))
            return
        flags.add(letter)


def _is_number(word: str) -> bool:
    return word[1:].replace(".", "", 1).isdigit()


# --- Values read from the environment and config files -------------------------------------


def resolve_path(context: GuardContext, path: str) -> Path:
    """`path` as the command would see it: `~` is the home, relative paths start at cwd."""
    from pathlib import Path

    return Path(_resolved(context, path))


def _resolved(context: GuardContext, path: str) -> str:
    """`resolve_path` as text, for the helpers a hook call may run (pathlib costs ~5 ms)."""
    if path == "~" or path.startswith("~/"):
        home = os.path.expanduser(context.home or "~")  # noqa: PTH111
        return os.path.join(home, path[2:])  # noqa: PTH118
    return os.path.join(context.cwd, path)  # noqa: PTH118


def kube_context(context: GuardContext, options: Options, flag: str = "context") -> Setting | None:
    """The kube context: the `--context` flag, else current-context of the kubeconfig."""
    if value := options.value(flag):
        return Setting("kube context", value, f"--{flag} flag")
    if context.kube_context:
        return Setting("kube context", context.kube_context, "the caller")
    for path in _kubeconfig_paths(context, options):
        if current := _kubeconfig(path).get("current-context"):
            return Setting("kube context", str(current), f"current-context in {path}")
    return None


def kube_namespace(
    context: GuardContext, options: Options, current: Setting | None
) -> Setting | None:
    """The namespace: `-n/--namespace`, else the namespace the kube context sets."""
    if value := options.value("n", "namespace"):
        return Setting("namespace", value, "--namespace flag")
    if current is None:
        return None
    for path in _kubeconfig_paths(context, options):
        for entry in _kubeconfig(path, full=True).get("contexts") or []:
            if isinstance(entry, dict) and entry.get("name") == current.value:
                namespace = (entry.get("context") or {}).get("namespace")
                if namespace:
                    return Setting(
                        "namespace", str(namespace), f"context {current.value} in {path}"
                    )
    return None


def aws_profile(context: GuardContext, options: Options) -> Setting | None:
    if value := options.value("profile"):
        return Setting("AWS profile", value, "--profile flag")
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        if value := context.env.get(name):
            return Setting("AWS profile", value, name)
    if context.aws_profile:
        return Setting("AWS profile", context.aws_profile, "the caller")
    return None


def gcloud_settings(context: GuardContext, options: Options) -> list[Setting]:
    """The gcloud project and configuration: flags, CLOUDSDK_* variables, then the config files."""
    found = []
    config_dir = resolve_path(context, context.env.get("CLOUDSDK_CONFIG") or "~/.config/gcloud")
    name = options.value("configuration")
    where = "--configuration flag"
    if not name and (name := context.env.get("CLOUDSDK_ACTIVE_CONFIG_NAME")):
        where = "CLOUDSDK_ACTIVE_CONFIG_NAME"
    if not name:
        name = _read_text(str(config_dir / "active_config")).strip() or "default"
        where = f"{config_dir / 'active_config'}"
    found.append(Setting("gcloud configuration", name, where))
    if value := options.value("project"):
        found.append(Setting("gcloud project", value, "--project flag"))
    elif value := context.env.get("CLOUDSDK_CORE_PROJECT"):
        found.append(Setting("gcloud project", value, "CLOUDSDK_CORE_PROJECT"))
    else:
        path = config_dir / "configurations" / f"config_{name}"
        if value := _ini(str(path)).get("core", {}).get("project"):
            found.append(Setting("gcloud project", value, str(path)))
    return found


def azure_subscription(context: GuardContext, options: Options) -> Setting | None:
    if value := options.value("subscription"):
        return Setting("Azure subscription", value, "--subscription flag")
    path = resolve_path(context, context.env.get("AZURE_CONFIG_DIR") or "~/.azure")
    profile = path / "azureProfile.json"
    subscriptions = _json(str(profile)).get("subscriptions")
    for subscription in subscriptions if isinstance(subscriptions, list) else []:
        if isinstance(subscription, dict) and subscription.get("isDefault"):
            name = subscription.get("name") or subscription.get("id")
            return Setting("Azure subscription", str(name), str(profile))
    return None


def terraform_workspace(context: GuardContext, workdir: Path) -> Setting:
    """TF_WORKSPACE, else the workspace `terraform workspace select` wrote, else "default"."""
    if value := context.env.get("TF_WORKSPACE"):
        return Setting("Terraform workspace", value, "TF_WORKSPACE")
    if context.terraform_workspace:
        return Setting("Terraform workspace", context.terraform_workspace, "the caller")
    data_dir = workdir / context.env.get("TF_DATA_DIR", ".terraform")
    if value := _read_text(str(data_dir / "environment")).strip():
        return Setting("Terraform workspace", value, str(data_dir / "environment"))
    return Setting("Terraform workspace", "default", "no workspace selected")


def pulumi_stack(context: GuardContext, options: Options, workdir: Path) -> Setting | None:
    """`--stack`, else the stack `pulumi stack select` recorded for the project.

    Pulumi keeps it in <PULUMI_HOME or ~/.pulumi>/workspaces/<project>-<sha1 of the path of
    Pulumi.yaml>-workspace.json as {"stack": NAME}.
    """
    if value := options.value("stack", "s"):
        return Setting("Pulumi stack", value, "--stack flag")
    project = next(
        (
            folder / name
            for folder in (workdir, *workdir.parents)
            for name in ("Pulumi.yaml", "Pulumi.yml")
            if (folder / name).is_file()
        ),
        None,
    )
    if project is None:
        return None
    import hashlib

    digest = hashlib.sha1(str(project).encode(), usedforsecurity=False).hexdigest()
    home = resolve_path(context, context.env.get("PULUMI_HOME") or "~/.pulumi")
    for path in sorted((home / "workspaces").glob(f"*-{digest}-workspace.json")):
        if stack := _json(str(path)).get("stack"):
            return Setting("Pulumi stack", str(stack), str(path))
    return None


def directory_setting(context: GuardContext, workdir: Path) -> Setting | None:
    """The working directory inside the project (`envs/prod`), a common way to name environments.

    Only the part below the project root counts: a checkout under /tmp says nothing.
    """
    if context.project_root is None:
        return None
    from pathlib import Path

    try:
        relative = workdir.resolve().relative_to(Path(context.project_root).resolve())
    except ValueError:
        return None
    return Setting("directory", str(relative), "the working directory") if relative.parts else None


def _kubeconfig_paths(context: GuardContext, options: Options) -> list[str]:
    if value := options.value("kubeconfig"):
        return [_resolved(context, value)]
    if value := context.env.get("KUBECONFIG"):
        return [_resolved(context, part) for part in value.split(os.pathsep) if part]
    return [_resolved(context, "~/.kube/config")]


def _kubeconfig(path: str, full: bool = False) -> Mapping[str, Any]:
    """The kubeconfig at `path`: just `current-context`, read line by line, unless `full`."""
    stamp = _stamp(path)
    if stamp is None:
        return {}
    if not full:
        current = _current_context(path, stamp)
        if current is not None:
            return {"current-context": current}
    return _kubeconfig_document(path, stamp)


@lru_cache(maxsize=16)
def _current_context(path: str, stamp: tuple[int, int]) -> str | None:
    """The top-level `current-context: NAME` line; None when it is not that simple."""
    for line in _read_text(path).splitlines():
        if line.startswith("current-context:"):
            value = line.split(":", 1)[1].split(" #", 1)[0].strip()
            if value[:1] in ("'", '"') and value[-1:] == value[:1] and len(value) > 1:
                return value[1:-1]
            return value if value and value[0] not in "{[&*!|>" else None
    return None  # absent, JSON, or flow style: the full parser decides


@lru_cache(maxsize=16)
def _kubeconfig_document(path: str, stamp: tuple[int, int]) -> Mapping[str, Any]:
    import yaml  # only when a namespace or an unusual file needs the whole document

    try:
        document = yaml.load(_read_text(path), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return {}
    return document if isinstance(document, dict) else {}


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)  # noqa: PTH116 - os: no pathlib import in the hook
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as handle:  # noqa: PTH123
            return handle.read()
    except OSError:
        return ""


def _json(path: str) -> Mapping[str, Any]:
    import json

    try:
        document = json.loads(_read_text(path) or "{}")
    except json.JSONDecodeError:
        return {}
    return document if isinstance(document, dict) else {}


def _ini(path: str) -> Mapping[str, Mapping[str, str]]:
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(_read_text(path))
    except configparser.Error:
        return {}
    return {section: dict(parser[section]) for section in parser.sections()}
