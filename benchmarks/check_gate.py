#!/usr/bin/env python3
"""Benchmark `handrail check` on a pull-request-sized change, in the three cache states CI meets.

    python benchmarks/check_gate.py PATH_TO_REPO [--base REV] [--head REV] [--repeat N]

* cold: no import graph cached (a first run on a fresh clone with no cache restored);
* base cached: the base tree's graph is cached, the head is new (a new commit on a PR);
* warm: both cached (re-running the check, e.g. after an approval).

Each run is the real command in a fresh process, wall clock including interpreter start.
The repository may be bare; only `<git-dir>/handrail/imports/` is written.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_SECONDS = 2.0


def git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(path), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def check_seconds(path: Path, base: str, head: str) -> float:
    handrail = Path(sys.executable).with_name("handrail")
    started = time.perf_counter()
    proc = subprocess.run(
        [
            str(handrail),
            "--repo",
            str(path),
            "check",
            "--base",
            base,
            "--head",
            head,
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"handrail check failed ({proc.returncode}): {proc.stderr.strip()}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--base", default="HEAD~5", help="default: HEAD~5")
    parser.add_argument("--head", default="HEAD")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base, head = git(args.repo, "rev-parse", args.base), git(args.repo, "rev-parse", args.head)
    cache = Path(git(args.repo, "rev-parse", "--absolute-git-dir")) / "handrail" / "imports"
    head_tree = git(args.repo, "rev-parse", f"{head}^{{tree}}")
    changed = git(args.repo, "diff", "--name-only", base, head).splitlines()
    print(f"{args.repo}: {len(changed)} files changed between {base[:12]} and {head[:12]}")

    def cold() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    def base_cached() -> None:
        for entry in cache.glob(f"*{head_tree}*"):
            entry.unlink()

    rows = []
    for label, prepare in (("cold", cold), ("base cached", base_cached), ("warm", None)):
        runs = []
        for _ in range(args.repeat):
            if prepare is None:
                check_seconds(args.repo, base, head)  # make sure both graphs are cached
            else:
                prepare()
                if label == "base cached":
                    check_seconds(args.repo, base, base)  # caches the base tree only
            runs.append(check_seconds(args.repo, base, head))
        rows.append((label, statistics.median(runs)))
    print(f"{'cache state':<14}{'seconds':>9}   target {TARGET_SECONDS:g} s")
    for label, seconds in rows:
        mark = "ok" if seconds < TARGET_SECONDS else "over"
        print(f"{label:<14}{seconds:>9.3f}   {mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
