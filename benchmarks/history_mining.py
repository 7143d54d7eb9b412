#!/usr/bin/env python3
"""Benchmark Handrail's history engine against its floor (`git log --numstat`) and PyDriller.

Every measured command runs as a child process: wall-clock time comes from time.perf_counter
around the child, peak memory and CPU time from the rusage that os.wait4 returns for it.

    python benchmarks/history_mining.py PATH_TO_REPO [--repeat N] [--skip-pydriller]
        [--pydriller-python PY] [--pydriller-limit N] [--json OUT]

The script imports nothing outside the standard library; the PyDriller worker (the same file,
started with the hidden `--pydriller-worker PATH` flag) imports pydriller only in the child.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

KIB_PER_MIB = 1024


class BenchmarkError(Exception):
    """A measured command failed or produced an answer that does not check out."""


@dataclass(frozen=True)
class ChildRun:
    """One finished child process: its timing, resources, exit code and output."""

    seconds: float
    cpu_seconds: float
    peak_kib: int
    returncode: int
    stdout: bytes
    stderr: bytes


@dataclass
class Measurement:
    """Repeated runs of one tool, summarised as medians (time) and maxima (memory)."""

    tool: str
    runs_seconds: list[float] = field(default_factory=list)
    runs_cpu_seconds: list[float] = field(default_factory=list)
    runs_peak_mib: list[float] = field(default_factory=list)
    extrapolated: bool = False
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def add(self, run: ChildRun, scale: float = 1.0) -> None:
        """Record one run; `scale` extrapolates time (not memory) from a partial run."""
        self.runs_seconds.append(run.seconds * scale)
        self.runs_cpu_seconds.append(run.cpu_seconds * scale)
        self.runs_peak_mib.append(run.peak_kib / KIB_PER_MIB)

    @property
    def seconds(self) -> float | None:
        """Median wall-clock seconds, or None when nothing was measured."""
        return statistics.median(self.runs_seconds) if self.runs_seconds else None

    @property
    def cpu_seconds(self) -> float | None:
        """Median CPU seconds (user + system, the process and its reaped children)."""
        return statistics.median(self.runs_cpu_seconds) if self.runs_cpu_seconds else None

    @property
    def peak_mib(self) -> float | None:
        """Largest peak RSS of any run, in MiB."""
        return max(self.runs_peak_mib) if self.runs_peak_mib else None

    def summary(self) -> dict[str, Any]:
        """Everything about this measurement, JSON-ready."""
        data = asdict(self)
        data.update(seconds=self.seconds, cpu_seconds=self.cpu_seconds, peak_mib=self.peak_mib)
        return data


# --- running children -------------------------------------------------------------------------


def _read_back(handle: IO[bytes]) -> bytes:
    """Everything written to a temporary file so far."""
    handle.seek(0)
    return handle.read()


def run_child(cmd: Sequence[str], *, keep_stdout: bool = True, cwd: Path | None = None) -> ChildRun:
    """Run `cmd` to completion and measure it with wait4 (output goes to files, never pipes)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sink: IO[bytes] | int = out if keep_stdout else subprocess.DEVNULL
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=sink, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        return ChildRun(
            seconds=seconds,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            peak_kib=usage.ru_maxrss,  # KiB on Linux
            returncode=proc.returncode,
            stdout=_read_back(out) if keep_stdout else b"",
            stderr=_read_back(err),
        )


def checked(run: ChildRun, what: str) -> ChildRun:
    """Return `run` if it succeeded, else raise with the tail of its stderr."""
    if run.returncode != 0:
        tail = run.stderr.decode("utf-8", "replace").strip().splitlines()[-15:]
        raise BenchmarkError(f"{what} exited with {run.returncode}:\n  " + "\n  ".join(tail))
    return run


def git_text(repo: Path, *args: str) -> str:
    """Output of a quick, unmeasured git command in `repo`."""
    proc = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise BenchmarkError(f"git {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


# --- the repository ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RepoFacts:
    """What the header reports about the repository and the machine."""

    path: Path
    git_dir: Path
    bare: bool
    head: str
    commits: int
    git_version: str
    cpus: int
    load_average: tuple[float, float, float]
    python: str
    handrail: str


def handrail_source() -> str:
    """`handrail --version` and the checkout it runs from: commit, and whether src/ is edited."""
    version = subprocess.run(
        [*handrail_executable(), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    checkout = Path(__file__).resolve().parent.parent
    try:
        commit = git_text(checkout, "rev-parse", "--short", "HEAD")
        edited = git_text(checkout, "status", "--porcelain", "--", "src")
    except BenchmarkError:
        return version or "handrail (version unknown)"
    return f"{version} at {commit}" + (" with uncommitted changes in src/" if edited else "")


def repo_facts(path: Path) -> RepoFacts:
    """Inspect the repository (read-only) and the machine."""
    return RepoFacts(
        path=path,
        git_dir=Path(git_text(path, "rev-parse", "--absolute-git-dir")),
        bare=git_text(path, "rev-parse", "--is-bare-repository") == "true",
        head=git_text(path, "rev-parse", "--verify", "HEAD^{commit}"),
        commits=int(git_text(path, "rev-list", "--count", "HEAD")),
        git_version=git_text(path, "version"),
        cpus=os.cpu_count() or 1,
        load_average=os.getloadavg(),
        python=platform.python_version(),
        handrail=handrail_source(),
    )


# --- floor: git log --numstat -----------------------------------------------------------------


def measure_floor(facts: RepoFacts, repeat: int) -> Measurement:
    """`git log --numstat` over HEAD with its output thrown away: the least any miner must do."""
    result = Measurement("git log --numstat (floor)")
    cmd = ["git", "-C", str(facts.path), "log", "--numstat", "HEAD"]
    for _ in range(repeat):
        result.add(checked(run_child(cmd, keep_stdout=False), "git log --numstat"))
    return result


# --- handrail ---------------------------------------------------------------------------------


def handrail_executable() -> list[str]:
    """The `handrail` script next to this Python, else `python -m handrail`."""
    script = Path(sys.executable).with_name("handrail")
    return [str(script)] if script.exists() else [sys.executable, "-m", "handrail"]


def handrail_command(facts: RepoFacts) -> list[str]:
    """`handrail --repo PATH history --format json`."""
    return [*handrail_executable(), "--repo", str(facts.path), "history", "--format", "json"]


def drop_cache(facts: RepoFacts) -> None:
    """Delete Handrail's cache, `<git-dir>/handrail/`, and nothing else."""
    cache = facts.git_dir / "handrail"
    if cache.is_dir() and cache.parent == facts.git_dir:
        shutil.rmtree(cache)


def run_handrail(facts: RepoFacts) -> tuple[ChildRun, dict[str, Any]]:
    """Run `handrail history` once and check its commit count against git's."""
    run = checked(run_child(handrail_command(facts)), "handrail history")
    try:
        data = json.loads(run.stdout)
    except json.JSONDecodeError as exc:
        raise BenchmarkError(f"handrail history printed no JSON: {exc}") from exc
    if data.get("commits") != facts.commits:
        raise BenchmarkError(
            f"handrail counted {data.get('commits')} commits, git rev-list {facts.commits}"
        )
    return run, data


def measure_handrail_startup(repeat: int) -> Measurement:
    """`handrail --version`: interpreter and import cost, the part of every run that is not git."""
    result = Measurement("handrail --version (startup)")
    cmd = [*handrail_executable(), "--version"]
    try:
        for _ in range(repeat):
            result.add(checked(run_child(cmd), "handrail --version"))
    except BenchmarkError as exc:
        result.error = str(exc)
    return result


def handrail_details(data: dict[str, Any]) -> dict[str, Any]:
    """The parts of Handrail's answer worth keeping next to the timings."""
    keys = ("commits", "merges", "files", "lines_added", "lines_deleted", "renames", "mining")
    return {key: data.get(key) for key in keys}


def measure_handrail_cold(facts: RepoFacts, repeat: int) -> Measurement:
    """Handrail with no cache: every commit is mined from git."""
    result = Measurement("handrail history (cold)")
    try:
        for _ in range(repeat):
            drop_cache(facts)
            run, data = run_handrail(facts)
            result.add(run)
            result.details = handrail_details(data)
    except BenchmarkError as exc:
        result.error = str(exc)
    return result


def measure_handrail_warm(facts: RepoFacts, repeat: int) -> Measurement:
    """Handrail with a complete cache and no new commits: nothing should be mined."""
    result = Measurement("handrail history (warm)")
    try:
        for _ in range(repeat):
            run, data = run_handrail(facts)
            new = data.get("mining", {}).get("new_commits")
            if new != 0:
                raise BenchmarkError(f"warm run mined {new} new commits, expected 0")
            result.add(run)
            result.details = handrail_details(data)
    except BenchmarkError as exc:
        result.error = str(exc)
    return result


# --- PyDriller --------------------------------------------------------------------------------


def pydriller_worker(path: str, limit: int | None) -> None:
    """Child process: per-file added/deleted lines of every commit, totals as JSON on stdout."""
    from importlib.metadata import version

    from pydriller import Repository

    # Newest first when limited, so that the sample is the N newest commits; else the default.
    repo = Repository(path, order="reverse") if limit else Repository(path)
    totals = {"commits": 0, "merges": 0, "file_changes": 0, "lines_added": 0, "lines_deleted": 0}
    for commit in repo.traverse_commits():
        if limit and totals["commits"] >= limit:
            break
        totals["commits"] += 1
        totals["merges"] += commit.merge
        for modified in commit.modified_files:
            totals["file_changes"] += 1
            totals["lines_added"] += modified.added_lines
            totals["lines_deleted"] += modified.deleted_lines
    print(json.dumps({**totals, "pydriller": version("pydriller")}))


@contextmanager
def pydriller_checkout(facts: RepoFacts) -> Iterator[Path]:
    """A temporary `--shared --no-checkout` clone at HEAD for PyDriller, deleted afterwards.

    PyDriller writes `blame.markUnblamableLines` into the config of every repository it opens,
    and GitPython takes a bare repository without `core.bare = true` in its config for a work
    tree (and runs git one directory too high). A clone that borrows the objects costs well
    under a second and keeps the measured repository untouched.
    """
    with tempfile.TemporaryDirectory(prefix="handrail-bench-") as tmp:
        clone = Path(tmp) / "repo"
        git_text(
            Path(tmp), "clone", "--quiet", "--no-checkout", "--shared", str(facts.path), "repo"
        )
        if git_text(clone, "rev-parse", "HEAD") != facts.head:
            git_text(clone, "update-ref", "--no-deref", "HEAD", facts.head)
        yield clone


def measure_pydriller(facts: RepoFacts, python: str, limit: int | None, repeat: int) -> Measurement:
    """PyDriller doing Handrail's work, extrapolated linearly when `limit` cuts it short."""
    partial = limit is not None and limit < facts.commits
    result = Measurement("PyDriller" + (" (extrapolated)" if partial else ""), extrapolated=partial)
    cmd = [python, str(Path(__file__).resolve()), "--pydriller-worker"]
    try:
        with pydriller_checkout(facts) as clone:
            result.details["path"] = f"temporary shared clone {clone}"
            cmd.append(str(clone))
            if limit:
                cmd += ["--pydriller-limit", str(limit)]
            for _ in range(repeat):
                run = checked(run_child(cmd), "PyDriller worker")
                data = json.loads(run.stdout)
                expected = min(limit, facts.commits) if limit else facts.commits
                if data["commits"] != expected:
                    raise BenchmarkError(
                        f"PyDriller read {data['commits']} commits, not {expected}"
                    )
                result.add(run, scale=facts.commits / data["commits"] if partial else 1.0)
                result.details.update(data, measured_seconds=run.seconds)
    except BenchmarkError as exc:
        result.error = str(exc)
    return result


# --- report -----------------------------------------------------------------------------------


def ratio(numerator: Measurement, denominator: Measurement) -> float | None:
    """numerator / denominator in median seconds, or None if either is missing."""
    top, bottom = numerator.seconds, denominator.seconds
    return top / bottom if top is not None and bottom else None


def ratios(
    floor: Measurement, cold: Measurement, warm: Measurement, pydriller: Measurement | None
) -> dict[str, float | None]:
    """The three headline ratios."""
    return {
        "handrail cold / git log": ratio(cold, floor),
        "handrail warm / handrail cold": ratio(warm, cold),
        "PyDriller / handrail cold (speed-up)": ratio(pydriller, cold) if pydriller else None,
    }


def _number(value: float | None, digits: int = 2) -> str:
    """A right-alignable number, or a dash."""
    return "-" if value is None else f"{value:.{digits}f}"


def print_header(facts: RepoFacts, args: argparse.Namespace) -> None:
    """Repository, machine and settings."""
    load = " ".join(f"{value:.2f}" for value in facts.load_average)
    kind = "bare" if facts.bare else "with work tree"
    print("Handrail history-mining benchmark")
    print(f"  repository  {facts.path} ({kind}; git dir {facts.git_dir})")
    print(f"  HEAD        {facts.head} ({facts.commits} commits)")
    print(f"  git         {facts.git_version}")
    print(f"  CPUs        {facts.cpus} (load average at start {load})")
    print(f"  python      {facts.python} ({sys.executable})")
    print(f"  handrail    {facts.handrail}")
    print(f"  repeats     {args.repeat} (PyDriller {args.pydriller_repeat}; times are medians)")
    print()


def print_table(measurements: Sequence[Measurement], floor: Measurement) -> None:
    """tool | seconds | ratio to floor | peak MiB | CPU seconds."""
    print(f"{'tool':<32}{'seconds':>10}{'x floor':>10}{'peak MiB':>10}{'CPU s':>10}")
    for m in measurements:
        if m.error:
            print(f"{m.tool:<32}{'FAILED':>10}")
            continue
        cells = (m.seconds, ratio(m, floor), m.peak_mib, m.cpu_seconds)
        digits = (3, 2, 1, 2)
        row = "".join(f"{_number(v, d):>10}" for v, d in zip(cells, digits, strict=True))
        print(f"{m.tool:<32}{row}")
    print("seconds: median wall clock; x floor: seconds / floor seconds; CPU s: user + system")
    print("of the process and its children; peak MiB: ru_maxrss from wait4, the largest single")
    print("process of the tree (not the sum of processes running at the same time)")
    print()


def print_ratios(values: dict[str, float | None]) -> None:
    """The headline ratios, one a line."""
    for name, value in values.items():
        print(f"  {name:<40}{_number(value, 3):>10}")
    print()


def print_details(measurements: Sequence[Measurement]) -> None:
    """Errors, extrapolation notes, and what each tool counted (a cross-check, not a test)."""
    for m in measurements:
        if m.error:
            print(f"{m.tool} FAILED: {m.error}")
        elif m.extrapolated:
            print(
                f"{m.tool}: measured {m.details['commits']} newest commits in"
                f" {m.details['measured_seconds']:.1f}s, scaled linearly to all commits"
                " (peak MiB is the measured sample's)"
            )
        if m.details and not m.error:
            shown = {k: v for k, v in m.details.items() if k != "measured_seconds"}
            print(f"  {m.tool}: {json.dumps(shown)}")
    print()


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "repo", nargs="?", type=Path, metavar="PATH_TO_REPO", help="a git repository"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, metavar="N", help="runs per tool (median; default 3)"
    )
    parser.add_argument("--skip-pydriller", action="store_true", help="do not run PyDriller")
    parser.add_argument(
        "--pydriller-python", default=sys.executable, metavar="PY", help="python with pydriller"
    )
    parser.add_argument(
        "--pydriller-limit",
        type=int,
        default=None,
        metavar="N",
        help="PyDriller reads only the N newest commits; its time is extrapolated linearly",
    )
    parser.add_argument(
        "--pydriller-repeat", type=int, default=1, metavar="N", help="PyDriller runs (def. 1)"
    )
    parser.add_argument("--json", type=Path, default=None, metavar="OUT", help="write numbers")
    parser.add_argument("--pydriller-worker", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.pydriller_worker is None and args.repo is None:
        parser.error("PATH_TO_REPO is required")
    if min(args.repeat, args.pydriller_repeat) < 1 or (args.pydriller_limit or 1) < 1:
        parser.error("--repeat, --pydriller-repeat and --pydriller-limit must be at least 1")
    return args


def benchmark(args: argparse.Namespace) -> int:
    """Measure everything, print the tables, optionally write JSON; 1 if anything failed."""
    facts = repo_facts(args.repo.resolve())
    print_header(facts, args)
    floor = measure_floor(facts, args.repeat)
    startup = measure_handrail_startup(args.repeat)
    cold = measure_handrail_cold(facts, args.repeat)
    warm = measure_handrail_warm(facts, args.repeat)
    pydriller = None
    if not args.skip_pydriller:
        pydriller = measure_pydriller(
            facts, args.pydriller_python, args.pydriller_limit, args.pydriller_repeat
        )
    measurements = [m for m in (floor, startup, cold, warm, pydriller) if m is not None]
    values = ratios(floor, cold, warm, pydriller)
    print_table(measurements, floor)
    print_ratios(values)
    print_details(measurements)
    if args.json:
        report = {
            "repository": {**asdict(facts), "path": str(facts.path), "git_dir": str(facts.git_dir)},
            "repeat": args.repeat,
            "measurements": [m.summary() for m in measurements],
            "ratios": values,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 1 if any(m.error for m in measurements) else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: the benchmark, or the hidden PyDriller worker."""
    args = parse_args(argv)
    if args.pydriller_worker is not None:
        pydriller_worker(args.pydriller_worker, args.pydriller_limit)
        return 0
    try:
        return benchmark(args)
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
