#!/usr/bin/env python3
"""How long `handrail guard` takes: per decision in process, and per hook process end to end.

    python benchmarks/guard_latency.py [--corpus FILE] [--repeat N] [--spawns N] [--importtime]
                                       [--format text|json]

* In process: every corpus command through `context_for` + `decide_command` (what one hook
  call does after start-up), `--repeat` times after one warm-up pass; mean, median, p95, max.
* End to end: `handrail guard` (the console script of this interpreter's environment) and
  `python -m handrail guard`, spawned `--spawns` times each with a Claude Code PreToolUse
  payload on stdin, cycling through a few typical commands (a read-only git command, an `rm`, a
  kubectl delete, SQL, Terraform). Compared with the floor every Python hook pays: `python -c
  pass` and `python -S -c pass` (no site import).
* `--importtime`: the slowest imports (cumulative) of one hook call, from `python -X importtime`.

All runs happen in the fixture world of guard_accuracy.py (cwd in the project, HOME in the
fixture home). Wall clock on a shared machine: compare the ratios, which are taken in one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import guard_accuracy as accuracy

# Typical tool calls, cycled through in the end-to-end runs.
HOOK_COMMANDS = (
    "git status",
    "rm -rf build",
    "rm -rf ~",
    "kubectl delete ns production",
    "psql -c 'DROP TABLE users'",
    "terraform plan",
    "npm test",
    "grep -rn 'rm -rf' .",
)


def _stats(seconds: Sequence[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "runs": len(ordered),
        "mean_ms": 1000 * statistics.fmean(ordered),
        "median_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
        "max_ms": 1000 * ordered[-1],
    }


def in_process(
    cases: list[accuracy.Case], world: accuracy.World, repeat: int, slowest: int = 5
) -> dict[str, Any]:
    from handrail.guard.engine import context_for, decide_command

    jobs = [(case.command, str(world.cwd(case)), world.env(case)) for case in cases]
    for command, cwd, env in jobs:  # warm-up: imports, parser, caches of config files
        decide_command(command, context_for(cwd, env))
    decide, full = [], []
    per_command: list[list[float]] = [[] for _ in jobs]
    for _ in range(repeat):
        for index, (command, cwd, env) in enumerate(jobs):
            started = time.perf_counter()
            context = context_for(cwd, env)
            between = time.perf_counter()
            decide_command(command, context)
            ended = time.perf_counter()
            decide.append(ended - between)
            full.append(ended - started)
            per_command[index].append(ended - started)
    medians = sorted(
        (
            (1000 * statistics.median(times), job[0])
            for times, job in zip(per_command, jobs, strict=True)
        ),
        reverse=True,
    )
    return {
        "decide_command": _stats(decide),
        "context_for + decide_command": _stats(full),
        "slowest_commands_ms": medians[:slowest],
    }


def _payload(command: str, cwd: Path) -> str:
    return json.dumps(
        {
            "session_id": "guard-latency",
            "transcript_path": str(cwd / ".transcript.jsonl"),
            "cwd": str(cwd),
            "permission_mode": "default",
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": command, "description": "benchmark"},
        }
    )


class HookFailed(Exception):
    """A hook process that crashed or answered nothing: its row is reported as failed."""


def spawn(
    args: Sequence[str], world: accuracy.World, spawns: int, payloads: bool = True
) -> list[float]:
    env = world.process_env()
    seconds = []
    for index in range(spawns + 1):  # the first run warms the OS file cache; dropped
        text = (
            _payload(HOOK_COMMANDS[index % len(HOOK_COMMANDS)], world.project) if payloads else ""
        )
        started = time.perf_counter()
        proc = subprocess.run(
            args, input=text, capture_output=True, text=True, cwd=world.project, env=env
        )
        elapsed = time.perf_counter() - started
        if proc.returncode not in (0, 2):  # 0: answered (silence is allow), 2: blocked
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise HookFailed(f"exit {proc.returncode}: {last}")
        if index:
            seconds.append(elapsed)
    return seconds


def importtime(world: accuracy.World, top: int = 15) -> list[tuple[float, str]]:
    """The `top` slowest imports (cumulative microseconds) of one hook call."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "handrail", "guard"],
        input=_payload("kubectl delete ns production", world.project),
        capture_output=True,
        text=True,
        cwd=world.project,
        env=world.process_env(),
    )
    rows = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line.split("|", 2)
            rows.append((int(cumulative.strip()) / 1000, name.rstrip()))
    return sorted(rows, reverse=True)[:top]


def end_to_end(world: accuracy.World, spawns: int) -> dict[str, dict[str, Any]]:
    python = sys.executable
    rows: dict[str, tuple[list[str], bool]] = {
        "python -S -c pass (floor)": ([python, "-S", "-c", "pass"], False),
        "python -c pass (floor)": ([python, "-c", "pass"], False),
        "handrail guard": ([str(Path(python).with_name("handrail")), "guard"], True),
        "python -m handrail guard": ([python, "-m", "handrail", "guard"], True),
    }
    results: dict[str, dict[str, Any]] = {}
    for name, (args, payloads) in rows.items():
        try:
            seconds = spawn(args, world, spawns, payloads)
        except HookFailed as error:
            results[name] = {"failed": str(error)}
            continue
        results[name] = _stats(seconds)
        if payloads:  # run i (from 1) judged HOOK_COMMANDS[i % n]: which commands cost most
            results[name]["per_command_median_ms"] = {
                command: 1000
                * statistics.median(
                    seconds[i - 1]
                    for i in range(1, spawns + 1)
                    if HOOK_COMMANDS[i % len(HOOK_COMMANDS)] == command
                )
                for command in HOOK_COMMANDS
                if spawns >= len(HOOK_COMMANDS)
            }
    return results


def ratios(e2e: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    hook = e2e["handrail guard"].get("median_ms")
    if hook is None:
        return {}
    floor, bare = e2e["python -c pass (floor)"]["median_ms"], e2e["python -S -c pass (floor)"]
    return {
        "handrail guard / python -c pass (median)": hook / floor,
        "handrail guard / python -S -c pass (median)": hook / bare["median_ms"],
        "handrail guard - python -c pass (median ms)": hook - floor,
    }


def render_text(data: Mapping[str, Any]) -> str:
    lines = [f"in process, {data['cases']} commands x {data['repeat']} (after a warm-up pass)"]
    header = f"{'':<34}{'mean':>9}{'median':>9}{'p95':>9}{'max':>9}  (ms)"
    lines.append(header)
    for name, row in data["in_process"].items():
        if name == "slowest_commands_ms":
            continue
        lines.append(
            f"{name:<34}{row['mean_ms']:>9.3f}{row['median_ms']:>9.3f}"
            f"{row['p95_ms']:>9.3f}{row['max_ms']:>9.3f}"
        )
    lines.append("slowest commands (median ms):")
    lines += [
        f"{ms:>9.3f}  {command!r}" for ms, command in data["in_process"]["slowest_commands_ms"]
    ]
    lines += ["", f"hook process end to end, {data['spawns']} spawns each", header]
    for name, row in data["end_to_end"].items():
        if "failed" in row:
            lines.append(f"{name:<34}FAILED: {row['failed']}")
            continue
        lines.append(
            f"{name:<34}{row['mean_ms']:>9.1f}{row['median_ms']:>9.1f}"
            f"{row['p95_ms']:>9.1f}{row['max_ms']:>9.1f}"
        )
    per_command = data["end_to_end"]["handrail guard"].get("per_command_median_ms", {})
    if per_command:
        lines.append("handrail guard, median per command (ms):")
        lines += [f"{ms:>9.1f}  {command!r}" for command, ms in per_command.items()]
    lines += [""] + [f"{name:<50}{value:>8.2f}" for name, value in data["ratios"].items()]
    if data.get("importtime"):
        lines += ["", "slowest imports of one hook call (cumulative ms)"]
        lines += [f"{ms:>9.1f}  {name}" for ms, name in data["importtime"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=accuracy.CORPUS)
    parser.add_argument("--repeat", type=int, default=5, help="in-process passes (default 5)")
    parser.add_argument("--spawns", type=int, default=40, help="processes per row (default 40)")
    parser.add_argument("--importtime", action="store_true")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    try:
        cases = accuracy.load_corpus(args.corpus)
    except (OSError, accuracy.CorpusError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    with accuracy.fixture_world() as world:
        data: dict[str, Any] = {
            "cases": len(cases),
            "repeat": args.repeat,
            "spawns": args.spawns,
            "in_process": in_process(cases, world, args.repeat),
            "end_to_end": end_to_end(world, args.spawns),
        }
        if args.importtime:
            data["importtime"] = importtime(world)
    data["ratios"] = ratios(data["end_to_end"])
    print(json.dumps(data, indent=2) if args.format == "json" else render_text(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
