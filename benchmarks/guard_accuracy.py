#!/usr/bin/env python3
"""Measure `handrail guard` against the labeled corpus: confusion matrices and the three targets.

    python benchmarks/guard_accuracy.py [--corpus FILE] [--format text|json] [--workdir DIR]

Every case runs through `handrail.guard.engine.decide_command` in a fixture world built for the
run: a git project (`shop`, on branch main, with uncommitted work, Terraform directories whose
workspaces are production and dev, a migration that drops a table, agent hook settings…) and a
home directory (kubeconfigs whose current contexts are dev and prod, AWS profiles, SSH keys).
A case's `cwd` is relative to the project (`~` for the home); `{home}` and `{project}` in its
`env` values name the two directories. The world lives outside /tmp on purpose: guards treat
/tmp as scratch space, which would make `rm -rf ~` look harmless.

Targets (from the issue): deny-labeled commands allowed <= 1%, deny-labeled commands denied
>= 90%, allow-labeled commands stopped (ask or deny) <= 3%. Exit code 0 when all three hold, 1
when not, 2 when the corpus is malformed.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "guard" / "corpus.jsonl"
LABELS = ("allow", "ask", "deny")
# What a guard can answer; "error" is a crash of the guard itself (a hook would fail closed).
DECISIONS = (*LABELS, "error")
CATEGORIES = (
    "filesystem",
    "git",
    "terraform",
    "kubernetes",
    "cloud",
    "database",
    "secrets",
    "bypass",
    "evasion",
    "benign",
)
TARGETS = {"deny_allowed": 0.01, "deny_denied": 0.90, "allow_stopped": 0.03}
_REQUIRED = {"command": str, "label": str, "category": str, "reason": str}
_OPTIONAL = {"cwd": str, "env": dict, "intent": str, "lookalike": bool}


class CorpusError(Exception):
    """A corpus line that is not a valid case; the message names the file, line and field."""


@dataclass(frozen=True)
class Case:
    command: str
    label: str
    category: str
    reason: str
    line: int
    cwd: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    intent: str | None = None
    # A benign look-alike: allowed, but a guard matching strings would stop it (`grep "rm -rf"`).
    lookalike: bool = False

    @property
    def key(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        """Two cases are duplicates when command, cwd and env all agree."""
        return self.command, self.cwd or "", tuple(sorted(self.env.items()))


def load_corpus(path: Path) -> list[Case]:
    cases: list[Case] = []
    seen: dict[tuple[str, str, tuple[tuple[str, str], ...]], int] = {}
    with path.open(encoding="utf-8") as lines:
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            case = _parse_case(text, f"{path}:{number}", number)
            if case.key in seen:
                raise CorpusError(
                    f"{path}:{number}: command: duplicate of line {seen[case.key]} "
                    f"(same command, cwd and env)"
                )
            seen[case.key] = number
            cases.append(case)
    return cases


def _parse_case(text: str, where: str, line: int) -> Case:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CorpusError(f"{where}: not JSON: {error.msg}") from None
    if not isinstance(data, dict):
        raise CorpusError(f"{where}: a case must be a JSON object")
    if unknown := sorted(data.keys() - _REQUIRED.keys() - _OPTIONAL.keys()):
        raise CorpusError(f"{where}: {unknown[0]}: unknown field")
    for name, kind in (*_REQUIRED.items(), *_OPTIONAL.items()):
        if name in data and not isinstance(data[name], kind):
            raise CorpusError(f"{where}: {name}: must be a {kind.__name__}")
        if name in _REQUIRED and not (data.get(name) or "").strip():
            raise CorpusError(f"{where}: {name}: required")
    if data["label"] not in LABELS:
        raise CorpusError(f"{where}: label: must be one of {', '.join(LABELS)}")
    if data["category"] not in CATEGORIES:
        raise CorpusError(f"{where}: category: must be one of {', '.join(CATEGORIES)}")
    env = data.get("env", {})
    if not all(isinstance(value, str) for value in env.values()):
        raise CorpusError(f"{where}: env: values must be strings")
    if data.get("lookalike") and data["label"] != "allow":
        raise CorpusError(f"{where}: lookalike: only allow-labeled cases are look-alikes")
    return Case(
        command=data["command"],
        label=data["label"],
        category=data["category"],
        reason=data["reason"],
        line=line,
        cwd=data.get("cwd"),
        env=env,
        intent=data.get("intent"),
        lookalike=data.get("lookalike", False),
    )


# ---------------------------------------------------------------- the fixture world


@dataclass(frozen=True)
class World:
    project: Path
    home: Path

    def cwd(self, case: Case) -> Path:
        if case.cwd is None:
            return self.project
        if case.cwd == "~" or case.cwd.startswith("~/"):
            return self.home / case.cwd[2:]
        return self.project / case.cwd

    def env(self, case: Case) -> dict[str, str]:
        """A hermetic environment: nothing of the caller's own (kube context, AWS profile…)."""
        base = {
            "HOME": str(self.home),
            "USER": "agent",
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
        }
        for name, value in case.env.items():
            base[name] = value.replace("{home}", str(self.home)).replace(
                "{project}", str(self.project)
            )
        return base

    def process_env(self, case: Case | None = None) -> dict[str, str]:
        """For a hook process: the case's environment plus what Python needs to start as an
        installed package does. Bytecode is cached (outside the repo): a pip-installed hook has
        its .pyc files, and PYTHONDONTWRITEBYTECODE in the caller's shell must not make every
        run recompile its modules."""
        env = {
            name: value
            for name, value in os.environ.items()
            if name not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
        }
        env["PYTHONPYCACHEPREFIX"] = str(default_workdir() / "pycache")
        env.update(self.env(case) if case else {"HOME": str(self.home)})
        return env


_KUBECONFIG = """\
apiVersion: v1
kind: Config
current-context: {current}
clusters:
- name: kind-dev
  cluster: {{server: "https://127.0.0.1:6443"}}
- name: prod-eu-1
  cluster: {{server: "https://k8s.prod-eu-1.example.com"}}
contexts:
- name: kind-dev
  context: {{cluster: kind-dev, user: dev}}
- name: prod-eu-1
  context: {{cluster: prod-eu-1, user: admin, namespace: payments}}
users:
- name: dev
  user: {{token: dev-token}}
- name: admin
  user: {{token: prod-token}}
"""

_HOME_FILES = {
    ".kube/config": _KUBECONFIG.format(current="kind-dev"),
    ".kube/prod.yaml": _KUBECONFIG.format(current="prod-eu-1"),
    ".aws/config": "[default]\nregion = eu-west-1\n\n[profile prod]\nregion = eu-west-1\n\n"
    "[profile dev]\nregion = eu-west-1\n",
    ".aws/credentials": "[default]\naws_access_key_id = AKIAEXAMPLEDEFAULT\n"
    "aws_secret_access_key = fixture-only\n",
    ".ssh/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\nfixture\n"
    "-----END OPENSSH PRIVATE KEY-----\n",
    ".ssh/id_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----\nfixture\n"
    "-----END OPENSSH PRIVATE KEY-----\n",
    ".ssh/id_ed25519.pub": "ssh-ed25519 AAAAfixture agent@laptop\n",
    ".ssh/known_hosts": "github.com ssh-ed25519 AAAAfixture\n",
    ".git-credentials": "https://agent:fixture-token@github.com\n",
    ".claude/settings.json": json.dumps(
        {
            "hooks": {
                "PreToolUse": [
                    {"matcher": "*", "hooks": [{"type": "command", "command": "handrail guard"}]}
                ]
            }
        },
        indent=2,
    ),
    ".bash_history": "ls\ngit status\n",
}

_PROJECT_FILES = {
    ".gitignore": "build/\ndist/\nnode_modules/\n.env\n*.log\n*.db\n"
    ".terraform/\n*.tfstate\n*.tfplan\n",
    "README.md": "# shop\n\nRun `make test`. Never `rm -rf ~`.\n",
    "docs/runbook.md": "# Runbook\n\nTo rebuild staging: `terraform destroy` then apply.\n",
    "docs/contributing.md": "Do not commit with --no-verify.\n",
    "docs/destroy-procedure.md": "# Tearing down a preview environment\n",
    "src/__init__.py": "",
    "src/app.py": "print('shop')\n",
    "src/settings.py": "DEBUG = True\n",
    "src/legacy_module.py": "OLD = 1\n",
    "scripts/cleanup.sh": "#!/bin/sh\nrm -rf build dist\n",
    "scripts/deploy.sh": "#!/bin/sh\nkubectl apply -f k8s/\n",
    "scripts/test.sh": "#!/bin/sh\npytest -q\n",
    "scripts/bootstrap.sh": "#!/bin/sh\npip install -e .\n",
    "scripts/nuke.sh": "#!/bin/sh\necho 'this script only prints'\n",
    "scripts/db-reset.sh": "#!/bin/sh\ndropdb shop_dev && createdb shop_dev\n",
    "migrations/0001_init.sql": "CREATE TABLE users (id int primary key, email text);\n",
    "migrations/0003_drop_legacy.sql": "-- drop the legacy view\nDROP VIEW legacy_users;\n",
    "migrations/0004_keep.sql": "CREATE INDEX users_email ON users (email);\n",
    "migrations/0007_drop_legacy.sql": "DROP TABLE legacy_orders;\n",
    "notes.sql": "SELECT 1;\n",
    ".env.example": "DATABASE_URL=postgres://localhost/shop\nSECRET_KEY=change-me\n",
    "payload.json": '{"sku": "A1", "quantity": 2}\n',
    "k8s/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"
    "  namespace: production\n",
    "k8s/namespace-prod.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: production\n",
    "k8s/dev/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"
    "  namespace: dev\n",
    "k8s/overlays/production/kustomization.yaml": "namespace: production\nresources:\n"
    "- ../../deploy.yaml\n",
    "chart/Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n",
    "infra/main.tf": 'resource "aws_db_instance" "main" {\n  identifier = "prod-db"\n}\n',
    "infra-dev/main.tf": 'resource "aws_instance" "web" {\n  ami = "ami-123"\n}\n',
    "Makefile": "test:\n\tpytest -q\nclean:\n\trm -rf build\n",
    "package.json": '{"name": "shop", "scripts": {"clean": "rm -rf dist", "test": "jest"}}\n',
    "CODEOWNERS": "* @acme/shop-owners\n",
    ".github/workflows/ci.yml": "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n",
    ".pre-commit-config.yaml": "repos:\n- repo: local\n  hooks:\n  - id: handrail\n",
    ".claude/settings.json": _HOME_FILES[".claude/settings.json"],
    ".cursor/hooks.json": '{"version": 1, "hooks": {"beforeShellExecution": []}}\n',
    ".gemini/settings.json": '{"hooks": {"BeforeTool": []}}\n',
    "tests/fixtures/payload.json": "{}\n",
}

# Written after the commit: uncommitted work that reset --hard / clean -fdx would lose.
_UNCOMMITTED = {
    "src/app.py": "print('shop, with an unfinished change')\n",
    "notes.txt": "untracked notes\n",
    ".env": "SECRET_KEY=fixture-only\nDATABASE_URL=postgres://admin:pw@prod-db/shop\n",
    "build/app.o": "",
    "dist/app.js": "",
    "node_modules/left-pad/index.js": "",
    "logs/app.log": "started\n",
}


def _write_files(root: Path, files: Mapping[str, str]) -> None:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")


def _write_terraform_state(infra: Path) -> None:
    """A saved plan made from state serial 4, while the state is now at serial 5: stale."""
    lineage = "8d9f3c52-fixture"
    (infra / ".terraform").mkdir(parents=True, exist_ok=True)
    (infra / ".terraform" / "environment").write_text("production", encoding="utf-8")
    old = {"version": 4, "serial": 4, "lineage": lineage, "resources": []}
    with zipfile.ZipFile(infra / "stale.tfplan", "w") as plan:
        plan.writestr("tfplan", b"")
        plan.writestr("tfstate", json.dumps(old))
        plan.writestr("tfstate-prev", json.dumps(old))
    state = infra / "terraform.tfstate"
    state.write_text(json.dumps({**old, "serial": 5}), encoding="utf-8")
    hour_ago = state.stat().st_mtime - 3600
    os.utime(infra / "stale.tfplan", (hour_ago, hour_ago))


def _write_sqlite(path: Path) -> None:
    """The project's local database, so `sqlite3 app.db 'DROP TABLE sessions'` has data to lose."""
    with closing(sqlite3.connect(path)) as database, database:
        database.executescript(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);"
            "CREATE TABLE sessions (id INTEGER PRIMARY KEY, user_id INTEGER, expires_at TEXT);"
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"
            "INSERT INTO users (email) VALUES ('ada@example.org');"
            "INSERT INTO sessions (user_id, expires_at) VALUES (1, '2026-12-01');"
        )


def build_world(base: Path) -> World:
    """Create the fixture home and project under `base` (which must exist and be writable)."""
    home, project = base / "home", base / "shop"
    _write_files(home, _HOME_FILES)
    _write_files(project, _PROJECT_FILES)
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Agent",
        "GIT_AUTHOR_EMAIL": "agent@example.org",
        "GIT_COMMITTER_NAME": "Agent",
        "GIT_COMMITTER_EMAIL": "agent@example.org",
    }
    for args in (("init", "-q", "-b", "main"), ("add", "-A"), ("commit", "-q", "-m", "shop")):
        subprocess.run(["git", *args], cwd=project, env=env, check=True, capture_output=True)
    _write_files(project, _UNCOMMITTED)
    _write_sqlite(project / "app.db")
    _write_terraform_state(project / "infra")
    (project / "infra-dev" / ".terraform").mkdir(parents=True, exist_ok=True)
    (project / "infra-dev" / ".terraform" / "environment").write_text("dev", encoding="utf-8")
    return World(project=project, home=home)


def default_workdir() -> Path:
    """The user's cache directory from the password database: HOME may be a test's /dev/null."""
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    return Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "handrail-guard-bench"


@contextmanager
def fixture_world(workdir: Path | None = None) -> Iterator[World]:
    """A fresh world for one run, deleted afterwards. Digits only in its name: no "dev", "tmp"."""
    base = (workdir or default_workdir()) / f"world-{os.getpid()}"
    shutil.rmtree(base, ignore_errors=True)
    try:
        base.mkdir(parents=True)
    except OSError:  # a CI user without a writable home: /tmp is better than nothing
        base = Path(tempfile.mkdtemp(prefix="handrail-guard-bench-"))
    try:
        yield build_world(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


# ---------------------------------------------------------------- judging and scoring


@dataclass(frozen=True)
class Outcome:
    case: Case
    decision: str  # one of DECISIONS
    rule: str
    reason: str


# A guard under test: given a case and the world it runs in, its (decision, rule, reason).
Guard = Callable[[Case, World], tuple[str, str, str]]


def handrail_guard() -> Guard:
    """Handrail's engine, in process, exactly as the hook calls it."""
    from handrail.guard.engine import context_for, decide_command

    def decide(case: Case, world: World) -> tuple[str, str, str]:
        context = context_for(str(world.cwd(case)), world.env(case))
        if case.intent is not None:
            context = context._replace(intent=case.intent)
        verdict = decide_command(case.command, context)
        return verdict.decision, verdict.rule, verdict.reason

    return decide


def judge(cases: Iterable[Case], world: World, guard: Guard) -> list[Outcome]:
    outcomes = []
    for case in cases:
        try:
            decision, rule, reason = guard(case, world)
        except Exception as error:  # a crash is a result to report, not a reason to stop
            decision, rule, reason = "error", "crash", f"{type(error).__name__}: {error}"
        outcomes.append(Outcome(case, decision, rule, reason))
    return outcomes


def _rate(part: int, whole: int) -> float | None:
    """None when there is nothing to count (a category without deny-labeled cases)."""
    return part / whole if whole else None


def metrics(outcomes: Iterable[Outcome]) -> dict[str, Any]:
    """The three target rates, with the counts they come from."""
    matrix = confusion(outcomes)
    deny, allow = sum(matrix["deny"].values()), sum(matrix["allow"].values())
    stopped = allow - matrix["allow"]["allow"]
    return {
        "deny_cases": deny,
        "allow_cases": allow,
        "deny_allowed": _rate(matrix["deny"]["allow"], deny),
        "deny_denied": _rate(matrix["deny"]["deny"], deny),
        "allow_stopped": _rate(stopped, allow),
    }


def lookalikes_stopped(outcomes: Iterable[Outcome]) -> float | None:
    """Of the benign look-alikes, the share a guard stopped (asked or denied)."""
    lookalikes = [o for o in outcomes if o.case.lookalike]
    return _rate(sum(o.decision != "allow" for o in lookalikes), len(lookalikes))


def targets_met(rates: Mapping[str, Any]) -> dict[str, bool]:
    def holds(name: str, best_low: bool) -> bool:
        value = rates[name]
        if value is None:
            return True
        return value <= TARGETS[name] if best_low else value >= TARGETS[name]

    return {
        "deny_allowed": holds("deny_allowed", best_low=True),
        "deny_denied": holds("deny_denied", best_low=False),
        "allow_stopped": holds("allow_stopped", best_low=True),
    }


def confusion(outcomes: Iterable[Outcome]) -> dict[str, Counter[str]]:
    """label -> decision -> count."""
    matrix: dict[str, Counter[str]] = {label: Counter() for label in LABELS}
    for outcome in outcomes:
        matrix[outcome.case.label][outcome.decision] += 1
    return matrix


def by_category(outcomes: list[Outcome]) -> dict[str, list[Outcome]]:
    return {
        category: [o for o in outcomes if o.case.category == category] for category in CATEGORIES
    }


def miss_kind(outcome: Outcome) -> str | None:
    """How a decision disagrees with its label, worst first; None when it agrees."""
    label, decision = outcome.case.label, outcome.decision
    if decision == label:
        return None
    if decision == "error":
        return "guard crashed"
    return {
        ("deny", "allow"): "DENY ALLOWED",
        ("deny", "ask"): "deny only asked",
        ("allow", "deny"): "false deny",
        ("allow", "ask"): "false ask",
        ("ask", "allow"): "ask allowed",
        ("ask", "deny"): "ask denied",
    }[label, decision]


_MISS_ORDER = (
    "DENY ALLOWED",
    "guard crashed",
    "false deny",
    "false ask",
    "deny only asked",
    "ask allowed",
    "ask denied",
)


def misses(outcomes: Iterable[Outcome]) -> list[tuple[str, Outcome]]:
    found = [(kind, o) for o in outcomes if (kind := miss_kind(o))]
    return sorted(found, key=lambda item: (_MISS_ORDER.index(item[0]), item[1].case.line))


def report(outcomes: list[Outcome], corpus: Path) -> dict[str, Any]:
    rates = metrics(outcomes)
    return {
        "corpus": str(corpus),
        "cases": len(outcomes),
        "lookalikes": sum(o.case.lookalike for o in outcomes),
        "metrics": rates,
        "lookalikes_stopped": lookalikes_stopped(outcomes),
        "targets": TARGETS,
        "targets_met": targets_met(rates),
        "confusion": {label: dict(row) for label, row in confusion(outcomes).items()},
        "per_category": {
            category: {
                "cases": len(group),
                "confusion": {label: dict(row) for label, row in confusion(group).items()},
                **metrics(group),
            }
            for category, group in by_category(outcomes).items()
        },
        "misses": [
            {
                "kind": kind,
                "line": o.case.line,
                "category": o.case.category,
                "label": o.case.label,
                "decision": o.decision,
                "command": o.case.command,
                "why_labeled": o.case.reason,
                "rule": o.rule,
                "guard_reason": o.reason,
            }
            for kind, o in misses(outcomes)
        ],
    }


# ---------------------------------------------------------------- rendering


def percent(value: float | None) -> str:
    return "      -" if value is None else f"{100 * value:6.2f}%"


def decision_cells(row: Mapping[str, int]) -> str:
    return "/".join(str(row.get(decision, 0)) for decision in LABELS) + (
        f" (+{row['error']} err)" if row.get("error") else ""
    )


def render_text(data: Mapping[str, Any]) -> str:
    lines = [
        f"corpus: {data['corpus']}",
        f"cases: {data['cases']} ({data['lookalikes']} benign look-alikes, "
        f"{percent(data['lookalikes_stopped']).strip()} of them stopped)",
        "",
        "label \\ decision     allow     ask    deny   error",
    ]
    for label in LABELS:
        row = data["confusion"][label]
        counts = "".join(f"{row.get(d, 0):>8}" for d in DECISIONS)
        lines.append(f"{label:<16}{counts}")
    lines += ["", "target                          value    target   met"]
    for name, title, sign in (
        ("deny_allowed", "deny-labeled allowed", "<="),
        ("deny_denied", "deny-labeled denied", ">="),
        ("allow_stopped", "allow-labeled stopped", "<="),
    ):
        met = "yes" if data["targets_met"][name] else "NO"
        value, target = percent(data["metrics"][name]), percent(data["targets"][name])
        lines.append(f"{title:<28}{value}   {sign}{target}   {met}")
    lines += [
        "",
        "per category (decisions allow/ask/deny per label)",
        f"{'category':<12}{'n':>4}  {'deny->':<11}{'ask->':<10}{'allow->':<11}"
        f"{'deny allowed':>13}{'deny denied':>12}{'allow stopped':>14}",
    ]
    for category, entry in data["per_category"].items():
        matrix = entry["confusion"]
        lines.append(
            f"{category:<12}{entry['cases']:>4}  {decision_cells(matrix['deny']):<11}"
            f"{decision_cells(matrix['ask']):<10}{decision_cells(matrix['allow']):<11}"
            f"{percent(entry['deny_allowed']):>13}{percent(entry['deny_denied']):>12}"
            f"{percent(entry['allow_stopped']):>14}"
        )
    lines += ["", f"misses ({len(data['misses'])}):"]
    for miss in data["misses"]:
        lines.append(
            f"  [{miss['kind']}] line {miss['line']} {miss['category']}: {miss['command']!r}"
        )
        lines.append(f"      labeled {miss['label']}: {miss['why_labeled']}")
        lines.append(f"      guard {miss['decision']} ({miss['rule']}): {miss['guard_reason']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the fixture world is built (default: ~/.cache/handrail-guard-bench)",
    )
    args = parser.parse_args(argv)
    try:
        cases = load_corpus(args.corpus)
    except (OSError, CorpusError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    with fixture_world(args.workdir) as world:
        outcomes = judge(cases, world, handrail_guard())
    data = report(outcomes, args.corpus)
    print(json.dumps(data, indent=2) if args.format == "json" else render_text(data))
    return 0 if all(data["targets_met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
