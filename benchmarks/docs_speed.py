#!/usr/bin/env python3
"""Time `handrail docs check` on one repository: cold (docs cache removed) and warm.

    python benchmarks/docs_speed.py PATH_TO_REPO [--rev REV] [--repeat N]

Each run is a fresh `handrail --repo PATH docs check --format json` process, as CI would run
it. Cold runs delete `<git-dir>/handrail/docs/` first (the per-blob symbol, document and
mention caches and the remembered reports); warm runs find it filled, so the same commit's
report is read back; a third run checks the commit before REV with the caches filled (what a
check of the next commit costs). Only that folder is ever written. Prints seconds (median),
the number of docs and of stale references, and the cold/warm ratio.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _git_dir(path: Path) -> Path:
    out = subprocess.run(
        ["git", "rev-parse", "--absolute-git-dir"], cwd=path, capture_output=True, check=True
    )
    return Path(out.stdout.decode().strip())


def _run(path: Path, rev: str) -> tuple[float, dict]:
    command = [sys.executable, "-m", "handrail", "--repo", str(path), "docs", "check"]
    started = time.perf_counter()
    proc = subprocess.run(
        [*command, "--rev", rev, "--format", "json"], capture_output=True, check=False
    )
    seconds = time.perf_counter() - started
    if proc.returncode not in {0, 1}:
        raise SystemExit(f"docs check failed ({proc.returncode}): {proc.stderr.decode()}")
    return seconds, json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--rev", default="HEAD")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    cache = _git_dir(args.path) / "handrail" / "docs"
    cold, warm, parent = [], [], []
    data: dict = {}
    for _ in range(args.repeat):
        shutil.rmtree(cache, ignore_errors=True)
        seconds, data = _run(args.path, args.rev)
        cold.append(seconds)
        seconds, data = _run(args.path, args.rev)
        warm.append(seconds)
        # Another commit with the caches filled: per-blob results reused, the report not.
        seconds, _ = _run(args.path, f"{args.rev}~1")
        parent.append(seconds)
    cold_s, warm_s = statistics.median(cold), statistics.median(warm)
    summary = data["summary"]
    print(f"repository        {args.path} at {args.rev}")
    print(f"docs checked      {summary['documents']}")
    print(f"stale references  {summary['stale_references']}")
    print(f"cold seconds      {cold_s:.2f}  (runs: {', '.join(f'{s:.2f}' for s in cold)})")
    print(f"warm seconds      {warm_s:.2f}  (runs: {', '.join(f'{s:.2f}' for s in warm)})")
    print(f"cold / warm       {cold_s / warm_s:.1f}x")
    runs = ", ".join(f"{s:.2f}" for s in parent)
    print(f"{args.rev}~1, warm caches {statistics.median(parent):.2f}  (runs: {runs})")


if __name__ == "__main__":
    main()
