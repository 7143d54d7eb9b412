#!/usr/bin/env python3
"""The guard corpus through Handrail and two peer guards, side by side, with the same metrics.

    python benchmarks/guard_peers.py [--corpus FILE] [--cache DIR] [--e2e-sample N]
                                     [--format text|json]

Peers, installed on demand from their registries into the cache directory (not the repo):

* sh-guard (PyPI; wheels for CPython 3.12 only): a venv made with a Python 3.12 (`--python312`,
  else `python3.12` on PATH, else pyenv's 3.12). `sh_guard.classify(command, context)` answers
  `quick_decision`: safe/allow -> allow, risky/ask -> ask, blocked -> deny. Judged in one
  worker process; its per-command time is measured inside that process. Its README's own
  integration examples run everything but "blocked", so a second row, `sh-guard/block`, reads
  risky as allow.
* cc-safety-net (npm): `checkCommand({command, cwd})` from `cc-safety-net/api`, which answers
  allow or deny (it has no ask), in one node worker. Its hook, `cc-safety-net hook
  --claude-code` fed Claude Code PreToolUse JSON on stdin, is what an agent runs; a sample of
  `--e2e-sample` cases goes through it too, to time the process end to end and to check that
  hook and API agree.

A last row, `naive words`, is a strawman, not a peer: stop any command line containing a
dangerous word (rm, drop, delete, prod, --force, .ssh…). It shows what the corpus's benign
look-alikes are built against: text matching stops most of them.

Handrail's own hook (`handrail guard`, the same payload) is timed on the same sample. Every
guard sees the same fixture world (see guard_accuracy.py): cwd in the project, HOME in the
fixture home. sh-guard and cc-safety-net read no per-case environment (KUBECONFIG,
AWS_PROFILE...), so context-only cases are harder for them by construction.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import guard_accuracy as accuracy

SH_GUARD = {"safe": "allow", "allow": "allow", "risky": "ask", "ask": "ask", "blocked": "deny"}
# sh-guard's README integrations (CrewAI, AutoGen) run everything that is not "blocked".
SH_GUARD_BLOCKED_ONLY = {**SH_GUARD, "risky": "allow", "ask": "allow"}

# The strawman the corpus's look-alikes are written against: a guard that looks for dangerous
# words anywhere in the command line, as many hook tutorials do. Not a peer; it shows what
# matching text instead of parsing costs.
NAIVE_WORDS = (
    *("rm", "rmdir", "unlink", "dd", "mkfs", "shred", "wipefs", "truncate", "chmod", "chown"),
    *("drop", "delete", "destroy", "terminate", "purge", "prune", "flushall", "flushdb"),
    *("uninstall", "remove", "rb", "kill", "pkill", "reset", "clean", "sudo", "eval"),
    *("prod", "production", "--force", "-f", "--no-verify", "skip ci", "ci.skip"),
    *(".ssh", ".aws", ".kube", ".env", "id_rsa", "credentials", "token", "secret", "password"),
    *("settings.json", "hooks", "handrail.toml", "| sh", "| bash", "base64", "bash -c", "ssh"),
    *("/dev/sda", "/etc/passwd", "-delete", "--delete", "force", "rmtree", "rmSync"),
)
_NAIVE = re.compile(
    "|".join(rf"(?<!\w){re.escape(word)}(?!\w)" for word in NAIVE_WORDS), re.IGNORECASE
)

_SH_GUARD_WORKER = """
import json, sys, time
from sh_guard import classify
for line in sys.stdin:
    job = json.loads(line)
    started = time.perf_counter()
    try:
        result = classify(job["command"], job["context"])
        answer = {"decision": result["quick_decision"], "rule": result["level"],
                  "reason": result["reason"]}
    except Exception as error:
        answer = {"decision": "error", "rule": "crash", "reason": repr(error)}
    answer["seconds"] = time.perf_counter() - started
    print(json.dumps(answer), flush=True)
"""

_SAFETY_NET_WORKER = """
import { createInterface } from 'node:readline';
const { checkCommand } = await import(process.argv[1]);
for await (const line of createInterface({ input: process.stdin })) {
  const job = JSON.parse(line);
  const started = process.hrtime.bigint();
  let answer;
  try {
    const result = checkCommand({ command: job.command, cwd: job.cwd });
    answer = { decision: result.kind, rule: result.ruleId ?? '', reason: result.reason ?? '' };
  } catch (error) {
    answer = { decision: 'error', rule: 'crash', reason: String(error) };
  }
  answer.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify(answer));
}
"""


@dataclass(frozen=True)
class Peer:
    name: str
    outcomes: list[accuracy.Outcome]
    seconds_per_decision: list[float]  # in process, after one warm-up decision
    hook_seconds: list[float]  # hook process end to end, on the sample
    hook_failures: int = 0  # sample runs whose hook process crashed


# ---------------------------------------------------------------- installing the peers


def _run(args: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=True, **kwargs)


def _python312(explicit: str | None) -> str:
    """--python312, else pyenv's 3.12 (its shims fail unless selected), else python3.12 on PATH."""
    if explicit:
        return explicit
    try:
        root = Path(_run(["pyenv", "root"]).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        root = Path.home() / ".pyenv"
    for candidate in sorted((root / "versions").glob("3.12*/bin/python"), reverse=True):
        return str(candidate)
    if found := shutil.which("python3.12"):
        return found
    raise SystemExit("sh-guard needs CPython 3.12: pass --python312 PATH")


def install_sh_guard(cache: Path, python312: str | None) -> Path:
    venv = cache / "sh-guard-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        _run([_python312(python312), "-m", "venv", str(venv)])
    installed = subprocess.run([str(python), "-c", "import sh_guard"], capture_output=True)
    if installed.returncode != 0:
        _run([str(python), "-m", "pip", "install", "-q", "sh-guard"])
    return python


def install_safety_net(cache: Path) -> Path:
    prefix = cache / "cc-safety-net"
    package = prefix / "node_modules" / "cc-safety-net"
    if not (package / "package.json").exists():
        prefix.mkdir(parents=True, exist_ok=True)
        _run(["npm", "install", "--silent", "--prefix", str(prefix), "cc-safety-net"])
    return package


def _version(python: Path, package: Path) -> dict[str, str]:
    probe = "from importlib.metadata import version; print(version('sh-guard'))"
    return {
        "sh-guard": _run([str(python), "-c", probe]).stdout.strip(),
        "cc-safety-net": json.loads((package / "package.json").read_text())["version"],
    }


# ---------------------------------------------------------------- judging


def _worker(
    args: Sequence[str], jobs: list[dict[str, Any]], env: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Feed one job per line to a long-lived worker; its first answer is a warm-up, dropped."""
    text = "\n".join(json.dumps(job) for job in [jobs[0], *jobs]) + "\n"
    proc = subprocess.run(args, input=text, capture_output=True, text=True, env=dict(env))
    answers = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or len(answers) != len(jobs) + 1:
        raise SystemExit(f"{args[0]} worker failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return answers[1:]


def _outcomes(
    cases: list[accuracy.Case], answers: list[dict[str, Any]], mapping: Mapping[str, str]
) -> list[accuracy.Outcome]:
    return [
        accuracy.Outcome(
            case, mapping.get(answer["decision"], "error"), answer["rule"], answer["reason"]
        )
        for case, answer in zip(cases, answers, strict=True)
    ]


def judge_sh_guard(
    python: Path, cases: list[accuracy.Case], world: accuracy.World
) -> tuple[Peer, Peer]:
    """Two readings of one run: risky as ask, and risky as allow (its README's integrations)."""
    jobs = [
        {
            "command": case.command,
            "context": {
                "cwd": str(world.cwd(case)),
                "project_root": str(world.project),
                "home_dir": str(world.home),
            },
        }
        for case in cases
    ]
    answers = _worker([str(python), "-c", _SH_GUARD_WORKER], jobs, os.environ)
    seconds = [a["seconds"] for a in answers]
    return (
        Peer("sh-guard", _outcomes(cases, answers, SH_GUARD), seconds, []),
        Peer("sh-guard/block", _outcomes(cases, answers, SH_GUARD_BLOCKED_ONLY), seconds, []),
    )


def judge_naive(cases: list[accuracy.Case]) -> Peer:
    outcomes, seconds = [], []
    for case in cases:
        started = time.perf_counter()
        hit = _NAIVE.search(case.command)
        seconds.append(time.perf_counter() - started)
        word = hit.group(0) if hit else ""
        outcomes.append(accuracy.Outcome(case, "deny" if hit else "allow", word, word))
    return Peer("naive words", outcomes, seconds, [])


def _pretooluse(command: str, cwd: Path) -> str:
    """The JSON Claude Code sends a PreToolUse hook for a Bash call."""
    return json.dumps(
        {
            "session_id": "guard-bench",
            "transcript_path": str(cwd / ".transcript.jsonl"),
            "cwd": str(cwd),
            "permission_mode": "default",
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": command, "description": "benchmark"},
        }
    )


def _hook_decision(stdout: str, exit_code: int) -> str:
    """Claude Code's reading of a hook answer: exit 2 blocks; else permissionDecision, if any.

    Any other exit code is a hook crash ("error"; Claude Code would run the command).
    """
    if exit_code == 2:
        return "deny"
    if exit_code != 0:
        return "error"
    try:
        answer = json.loads(stdout) if stdout.strip() else {}
    except json.JSONDecodeError:
        return "error"
    decision = answer.get("hookSpecificOutput", {}).get("permissionDecision", "allow")
    return decision if decision in accuracy.LABELS else "error"


def time_hook(
    args: Sequence[str], cases: Sequence[accuracy.Case], world: accuracy.World
) -> tuple[list[float], list[str]]:
    seconds, decisions = [], []
    for case in cases:
        cwd = world.cwd(case)
        env = world.process_env(case)
        started = time.perf_counter()
        proc = subprocess.run(
            args,
            input=_pretooluse(case.command, cwd),
            capture_output=True,
            text=True,
            cwd=cwd,
            env=env,
        )
        seconds.append(time.perf_counter() - started)
        decisions.append(_hook_decision(proc.stdout, proc.returncode))
    return seconds, decisions


def judge_safety_net(
    package: Path, cases: list[accuracy.Case], world: accuracy.World, sample: list[int]
) -> tuple[Peer, int]:
    jobs = [{"command": case.command, "cwd": str(world.cwd(case))} for case in cases]
    env = {**os.environ, "HOME": str(world.home)}
    api = (package / "dist" / "api.js").as_uri()
    answers = _worker(["node", "--input-type=module", "-e", _SAFETY_NET_WORKER, api], jobs, env)
    outcomes = _outcomes(cases, answers, {"allow": "allow", "deny": "deny"})
    hook = ["node", str(package / "dist" / "bin" / "cc-safety-net.js"), "hook", "--claude-code"]
    seconds, decisions = time_hook(hook, [cases[i] for i in sample], world)
    agree = sum(outcomes[i].decision == d for i, d in zip(sample, decisions, strict=True))
    failures = decisions.count("error")
    seconds_per = [a["seconds"] for a in answers]
    return Peer("cc-safety-net", outcomes, seconds_per, seconds, failures), agree


def judge_handrail(
    cases: list[accuracy.Case], world: accuracy.World, sample: list[int]
) -> tuple[Peer, int]:
    guard = accuracy.handrail_guard()
    accuracy.judge(cases[:1], world, guard)  # warm-up: lazy imports, parser construction
    seconds, outcomes = [], []
    for case in cases:
        started = time.perf_counter()
        outcomes += accuracy.judge([case], world, guard)
        seconds.append(time.perf_counter() - started)
    hook = [str(Path(sys.executable).with_name("handrail")), "guard"]
    hook_seconds, decisions = time_hook(hook, [cases[i] for i in sample], world)
    agree = sum(outcomes[i].decision == d for i, d in zip(sample, decisions, strict=True))
    return Peer("handrail", outcomes, seconds, hook_seconds, decisions.count("error")), agree


# ---------------------------------------------------------------- reporting


def _summary(peer: Peer) -> dict[str, Any]:
    rates = accuracy.metrics(peer.outcomes)
    return {
        **rates,
        "lookalikes_stopped": accuracy.lookalikes_stopped(peer.outcomes),
        "confusion": {k: dict(v) for k, v in accuracy.confusion(peer.outcomes).items()},
        "in_process_mean_ms": 1000 * statistics.fmean(peer.seconds_per_decision),
        "in_process_median_ms": 1000 * statistics.median(peer.seconds_per_decision),
        "hook_median_ms": 1000 * statistics.median(peer.hook_seconds)
        if peer.hook_seconds and not peer.hook_failures
        else None,
        "hook_failures": peer.hook_failures,
        "per_category": {
            category: accuracy.metrics(group)
            for category, group in accuracy.by_category(peer.outcomes).items()
        },
    }


def render_text(data: Mapping[str, Any]) -> str:
    tools = data["tools"]
    lines = [
        f"corpus: {data['cases']} cases; versions: {data['versions']}",
        f"hook sample: {data['sample']} cases; hook/API agreement: {data['agreement']}",
        "",
        f"{'tool':<15}{'deny recall':>12}{'deny allowed':>14}{'allow stopped':>15}"
        f"{'look-alikes stopped':>21}{'in-proc mean':>14}{'hook median':>13}",
    ]
    for name, entry in tools.items():
        hook = f"{entry['hook_median_ms']:.1f} ms" if entry["hook_median_ms"] else "-"
        if entry["hook_failures"]:
            hook = f"{entry['hook_failures']} crashed"
        lines.append(
            f"{name:<15}{accuracy.percent(entry['deny_denied']):>12}"
            f"{accuracy.percent(entry['deny_allowed']):>14}"
            f"{accuracy.percent(entry['allow_stopped']):>15}"
            f"{accuracy.percent(entry['lookalikes_stopped']):>21}"
            f"{entry['in_process_mean_ms']:>11.3f} ms{hook:>13}"
        )
    lines += ["", "confusion (label: decisions allow/ask/deny)"]
    for name, entry in tools.items():
        cells = "  ".join(
            f"{label}: {accuracy.decision_cells(entry['confusion'][label])}"
            for label in accuracy.LABELS
        )
        lines.append(f"  {name:<15}{cells}")
    lines += ["", "per category: deny recall / deny allowed / allow stopped"]
    lines.append(f"{'category':<12}" + "".join(f"{name:>26}" for name in tools))
    for category in accuracy.CATEGORIES:
        row = f"{category:<12}"
        for entry in tools.values():
            rates = entry["per_category"][category]
            cell = (
                f"{accuracy.percent(rates['deny_denied']).strip()}/"
                f"{accuracy.percent(rates['deny_allowed']).strip()}/"
                f"{accuracy.percent(rates['allow_stopped']).strip()}"
            )
            row += f"{cell:>26}"
        lines.append(row)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=accuracy.CORPUS)
    parser.add_argument(
        "--cache",
        type=Path,
        default=accuracy.default_workdir() / "peers",
        help="where the peers are installed (default: ~/.cache/handrail-guard-bench/peers)",
    )
    parser.add_argument("--python312", help="a CPython 3.12 for sh-guard's venv")
    parser.add_argument(
        "--e2e-sample", type=int, default=40, help="cases timed through each hook process"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    try:
        cases = accuracy.load_corpus(args.corpus)
    except (OSError, accuracy.CorpusError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    args.cache.mkdir(parents=True, exist_ok=True)
    try:
        python = install_sh_guard(args.cache, args.python312)
        package = install_safety_net(args.cache)
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or ""
        print(
            f"error: installing the peers failed: {error} {detail.strip()[-500:]}", file=sys.stderr
        )
        return 2
    # An even spread over the corpus, so every category is in the timed sample.
    step = max(1, len(cases) // max(1, args.e2e_sample))
    sample = list(range(0, len(cases), step))[: args.e2e_sample]
    with accuracy.fixture_world() as world:
        handrail, handrail_agree = judge_handrail(cases, world, sample)
        sh_guard, sh_guard_blocked = judge_sh_guard(python, cases, world)
        safety_net, safety_agree = judge_safety_net(package, cases, world, sample)
    data = {
        "cases": len(cases),
        "versions": _version(python, package),
        "sample": len(sample),
        "agreement": {
            "handrail hook vs in-process": f"{handrail_agree}/{len(sample)}",
            "cc-safety-net hook vs API": f"{safety_agree}/{len(sample)}",
        },
        "tools": {
            peer.name: _summary(peer)
            for peer in (handrail, sh_guard, sh_guard_blocked, safety_net, judge_naive(cases))
        },
    }
    print(json.dumps(data, indent=2) if args.format == "json" else render_text(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
