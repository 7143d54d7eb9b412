#!/usr/bin/env python3
"""Reproduce the truck factors Avelino et al. published (ICPC 2016), and time them.

    python benchmarks/truck_factor.py PATH... [--repeat N] [--json OUT]

Each PATH is a clone (bare is fine) of one repository of the published table; the script
finds which snapshot commit it holds (any other repository is timed at HEAD), runs
`handrail knowledge --rev SNAPSHOT --format json` cold (in a fresh `git clone --bare
--shared` of PATH: objects borrowed, no Handrail cache) and then warm (same clone, cache in
place), and prints repository, commit, published truck factor, ours, and the seconds.
Nothing is written into PATH itself.

Snapshots that lack a blob (some mirrors leave out their largest files) get a replace ref
to a placeholder blob in the temporary clone, so `git log` can still diff around it; the
output names every such blob. Only the standard library is imported here.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# (repository, snapshot commit of 2015-02-25, published truck factor): ICPC 2016, Table.
PUBLISHED = (
    ("pallets/flask", "818c42cfeac4c60ba9aea2d45954ba0db9d7d06a", 1),
    ("teamcapybara/capybara", "ecd2bcc5d1cf077fd8a220434795134155221150", 3),
    ("spotify/luigi", "2021236d45050ae04ce93e5fcaa8dc428c38fdcd", 6),
    ("fzaninotto/Faker", "2495d3361ac1e9fc15608a1b33ec2dd41c56b2dc", 23),
)
PLACEHOLDER = b"PK\x03\x04\x00placeholder for a blob missing from this mirror\x00"


def git(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False)


def snapshot_of(path: Path) -> tuple[str, str, int] | None:
    for entry in PUBLISHED:
        if git(path, "cat-file", "-e", f"{entry[1]}^{{commit}}").returncode == 0:
            return entry
    return None


def missing_blobs(clone: Path) -> list[str]:
    out = git(clone, "fsck", "--connectivity-only").stdout.decode()
    return [line.split()[2] for line in out.splitlines() if line.startswith("missing blob")]


def prepare(path: Path, into: Path) -> list[str]:
    """A shared bare clone without Handrail's cache; placeholders for missing blobs."""
    proc = git(Path.cwd(), "clone", "-q", "--bare", "--shared", str(path), str(into))
    if proc.returncode:
        raise SystemExit(f"git clone {path}: {proc.stderr.decode().strip()}")
    shutil.rmtree(into / "handrail", ignore_errors=True)
    missing = missing_blobs(into)
    if missing:
        placeholder = git(into, "hash-object", "-w", "--stdin", stdin=PLACEHOLDER)
        blob = placeholder.stdout.decode().strip()
        for sha in missing:
            git(into, "update-ref", f"refs/replace/{sha}", blob)
    return missing


def knowledge(clone: Path, rev: str) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "handrail",
            "--repo",
            str(clone),
            "--format",
            "json",
            "knowledge",
            "--rev",
            rev,
        ],
        capture_output=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"handrail knowledge failed on {clone}: {proc.stderr.decode().strip()}")
    return seconds, json.loads(proc.stdout)


def measure(path: Path, repeat: int) -> dict[str, Any]:
    # A repository outside the table is measured at HEAD, for timing alone.
    name, commit, published = snapshot_of(path) or (path.name, "HEAD", None)
    cold: list[float] = []
    warm: list[float] = []
    with tempfile.TemporaryDirectory(prefix="handrail-tf-") as tmp:
        for attempt in range(repeat):
            clone = Path(tmp) / f"clone{attempt}.git"
            missing = prepare(path, clone)
            seconds, data = knowledge(clone, commit)
            cold.append(seconds)
            for _ in range(repeat):
                warm.append(knowledge(clone, commit)[0])
    return {
        "repository": name,
        "commit": commit,
        "published": published,
        "ours": data["truck_factor"],
        "match": published is None or data["truck_factor"] == published,
        "authors": [(a["name"], a["files"]) for a in data["truck_factor_authors"]],
        "files": data["files"],
        "cold_seconds": statistics.median(cold),
        "warm_seconds": statistics.median(warm),
        "placeholder_blobs": missing,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=3, help="cold runs (and warm runs each)")
    parser.add_argument("--json", type=Path, help="write every result here too")
    args = parser.parse_args()
    results = [measure(path, args.repeat) for path in args.paths]
    print(
        f"{'repository':24} {'commit':12} {'published':>9} {'ours':>5} {'cold s':>7} {'warm s':>7}"
    )
    for r in results:
        mark = "" if r["match"] else "  MISMATCH"
        published = "-" if r["published"] is None else r["published"]
        print(
            f"{r['repository']:24} {r['commit'][:12]} {published:>9} {r['ours']:>5}"
            f" {r['cold_seconds']:>7.2f} {r['warm_seconds']:>7.2f}{mark}"
        )
        if r["placeholder_blobs"]:
            print(f"  (mirror lacks blob(s) {', '.join(r['placeholder_blobs'])}: placeholder used)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if all(r["match"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
