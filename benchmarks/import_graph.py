#!/usr/bin/env python3
"""Benchmark the import graph of one commit: built cold (cache removed) and read warm.

    python benchmarks/import_graph.py PATH_TO_REPO [--rev REV] [--repeat N] [--json OUT]

Every run is a fresh child process (this file with the hidden `--worker` flag), as a
`handrail check` would be. A row gives the child's wall clock, including interpreter start,
and the seconds spent inside it on the graph and on the dependents of the files `REV`
changes against its first parent. The repository may be bare; only the import cache,
`<git-dir>/handrail/imports/`, is ever written, deleted before each cold run and left warm.
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
from typing import Any


def worker(path: Path, rev: str) -> dict[str, Any]:
    """Build (or read) the graph and query it, in this process; what a PR check would do."""
    started = time.perf_counter()
    from handrail import git
    from handrail.blast.imports import dependents, import_graph

    repo = git.open_repo(path)
    imported = time.perf_counter()
    graph = import_graph(repo, rev)
    built = time.perf_counter()
    changed = [new for new, _ in git.changed_paths(repo, f"{rev}~1", rev)]
    reached = dependents(graph.edges, changed)
    queried = time.perf_counter()
    return {
        "import_seconds": imported - started,
        "graph_seconds": built - imported,
        "query_seconds": queried - built,
        "edges": len(graph.edges),
        "files": len({p for edge in graph.edges for p in edge}),
        "unparsed": len(graph.unparsed),
        "changed_files": len(changed),
        "dependents": len(reached),
    }


def run_worker(path: Path, rev: str) -> dict[str, Any]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", str(path), "--rev", rev],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"the worker failed:\n{proc.stderr}")
    return {"wall_seconds": wall, **json.loads(proc.stdout)}


def cache_folder(path: Path) -> Path:
    from handrail import git
    from handrail.blast.imports import cache_folder

    return cache_folder(git.open_repo(path))


def measure(path: Path, rev: str, repeat: int) -> dict[str, list[dict[str, Any]]]:
    runs: dict[str, list[dict[str, Any]]] = {"cold": [], "warm": []}
    for _ in range(repeat):
        shutil.rmtree(cache_folder(path), ignore_errors=True)
        runs["cold"].append(run_worker(path, rev))
        runs["warm"].append(run_worker(path, rev))
    return runs


def report(runs: dict[str, list[dict[str, Any]]]) -> None:
    print(f"{'':6}{'wall s':>9}{'graph s':>9}{'query s':>9}{'edges':>8}{'unparsed':>10}")
    for kind, rows in runs.items():
        median = {
            key: statistics.median(row[key] for row in rows)
            for key in ("wall_seconds", "graph_seconds", "query_seconds")
        }
        last = rows[-1]
        print(
            f"{kind:6}{median['wall_seconds']:9.3f}{median['graph_seconds']:9.3f}"
            f"{median['query_seconds']:9.3f}{last['edges']:8}{last['unparsed']:10}"
        )
    last = runs["warm"][-1]
    print(
        f"{last['files']} files in the graph; the query: {last['changed_files']} changed files,"
        f" {last['dependents']} dependents; medians of {len(runs['cold'])} runs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--rev", default="HEAD")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write every run's numbers here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.path, args.rev)))
        return
    runs = measure(args.path.resolve(), args.rev, args.repeat)
    report(runs)
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2) + "\n")


if __name__ == "__main__":
    main()
