"""The one module that runs git. Everything else asks it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from handrail.errors import HandrailError

# Git variables we pass on; the others (GIT_DIR, GIT_INDEX_FILE, …), which a calling git hook
# may set, would point our git calls at another repository.
_KEEP_GIT_ENV = frozenset(
    {
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_EXEC_PATH",
        "GIT_SSH",
        "GIT_SSH_COMMAND",
        "GIT_SSL_CAINFO",
        "GIT_SSL_NO_VERIFY",
        "GIT_CONFIG_COUNT",
        "GIT_HTTP_PROXY_AUTHMETHOD",
        "GIT_ALLOW_PROTOCOL",
        "GIT_ASKPASS",
    }
)

# Settings that would change what our parsers read if a user's config set them.
_CONFIG = ("-c", "core.quotepath=false", "-c", "log.showSignature=false", "-c", "color.ui=false")

# A command line stays far below ARG_MAX when batched at this many bytes.
_ARG_BATCH_BYTES = 64 * 1024


def _environment() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("GIT_")
        or key in _KEEP_GIT_ENV
        or key.startswith(("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_"))
    }
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def _first_error_line(stderr: bytes) -> str:
    for line in stderr.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line:
            return line.removeprefix("fatal: ").removeprefix("error: ")
    return "git failed without a message"


def spawn(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run one git command in `cwd`, whatever its exit status."""
    try:
        return subprocess.run(
            ["git", *_CONFIG, *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            env=_environment(),
            check=False,
        )
    except FileNotFoundError as exc:
        raise HandrailError("git is not installed or not on PATH") from exc
    except NotADirectoryError as exc:
        raise HandrailError(f"{cwd}: not a directory") from exc


def run(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Run one git command in `cwd` and return its standard output; a failure is a user error."""
    proc = spawn(cwd, *args, stdin=stdin)
    if proc.returncode != 0:
        raise HandrailError(f"{cwd}: git {args[0]}: {_first_error_line(proc.stderr)}")
    return proc.stdout


@dataclass(frozen=True)
class RepoInfo:
    """Where a repository lives and what kind it is."""

    git_dir: Path
    work_tree: Path | None
    is_shallow: bool

    @property
    def cwd(self) -> Path:
        """The directory git commands run in: the work tree, or the git dir of a bare repo."""
        return self.work_tree or self.git_dir

    @property
    def is_bare(self) -> bool:
        return self.work_tree is None


def open_repo(path: Path) -> RepoInfo:
    """Find the repository at or above `path`; a non-repository is a user error."""
    if not path.exists():
        raise HandrailError(f"{path}: no such directory (given as --repo)")
    if not path.is_dir():
        raise HandrailError(f"{path}: not a directory (given as --repo)")
    # One call for all four facts: in a bare repository git prints the first three and then
    # fails on --show-toplevel, which is how we know there is no work tree.
    proc = spawn(
        path,
        "rev-parse",
        "--absolute-git-dir",
        "--is-bare-repository",
        "--is-shallow-repository",
        "--show-toplevel",
    )
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) < 3 or (proc.returncode != 0 and lines[1] != "true"):
        raise HandrailError(f"{path}: not a git repository ({_first_error_line(proc.stderr)})")
    git_dir, bare, shallow = lines[:3]
    work_tree = Path(lines[3]) if bare != "true" and len(lines) > 3 else None
    return RepoInfo(Path(git_dir), work_tree, shallow == "true")


def resolve_commit(repo: RepoInfo, rev: str) -> str | None:
    """The commit id `rev` names; None when `rev` is HEAD of a repository with no commits yet."""
    proc = spawn(
        repo.cwd, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"
    )
    if proc.returncode == 0:
        return proc.stdout.decode().strip()
    if rev == "HEAD" and not has_any_commit(repo):
        return None
    raise HandrailError(f"{repo.cwd}: unknown revision {rev!r}")


def has_any_commit(repo: RepoInfo) -> bool:
    return bool(run(repo.cwd, "rev-list", "--all", "--max-count=1").strip())


def rev_list(repo: RepoInfo, include: str, exclude: Iterable[str] = ()) -> list[str]:
    """Commits reachable from `include` but from none of `exclude` (missing ones are ignored)."""
    lines = [include, *(f"^{sha}" for sha in exclude)]
    out = run(
        repo.cwd,
        "rev-list",
        "--ignore-missing",
        "--stdin",
        stdin=("\n".join(lines) + "\n").encode(),
    )
    return out.decode().split()


def shallow_boundary(repo: RepoInfo) -> tuple[str, ...]:
    """The commits a shallow clone cut history at (empty for a full clone)."""
    path = repo.git_dir / "shallow"
    try:
        return tuple(sorted(path.read_text().split()))
    except FileNotFoundError:
        return ()


# Each commit starts with RS; header fields are split by US; trailers use GS and FS.
LOG_FORMAT = (
    "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%ad%x1f%cn%x1f%ce%x1f%cd"
    "%x1f%(trailers:only,unfold,separator=%x1d,key_value_separator=%x1c)%x1f%B"
)


def start_log(repo: RepoInfo, shas: Sequence[str]) -> subprocess.Popen[bytes]:
    """Stream `git log` for exactly these commits: header, message, trailers, numstat with renames.

    The output is NUL-separated (-z) so that any byte in a path or message survives.
    """
    proc = subprocess.Popen(
        [
            "git",
            *_CONFIG,
            "log",
            "--no-walk=unsorted",
            "--stdin",
            "-z",
            "--numstat",
            "--summary",  # "create mode" / "delete mode" lines: numstat alone cannot tell
            "-M",
            "--no-textconv",
            "--no-ext-diff",
            "--encoding=UTF-8",
            "--date=raw",
            f"--format={LOG_FORMAT}",
        ],
        cwd=repo.cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_environment(),
    )
    assert proc.stdin is not None
    proc.stdin.write(("\n".join(shas) + "\n").encode())
    proc.stdin.close()
    return proc


def finish(proc: subprocess.Popen[bytes]) -> None:
    """Wait for a streaming git command and turn its failure into a user error."""
    stderr = proc.stderr.read() if proc.stderr else b""
    if proc.wait() != 0:
        raise HandrailError(f"git log failed: {_first_error_line(stderr)}")


def check_mailmap(repo: RepoInfo, contacts: Sequence[str]) -> list[str]:
    """Map each "Name <email>" through the repository's mailmap, as git itself does."""
    result: list[str] = []
    batch: list[str] = []
    size = 0
    for contact in contacts:
        batch.append(contact)
        size += len(contact) + 1
        if size > _ARG_BATCH_BYTES:
            result += _check_mailmap_batch(repo, batch)
            batch, size = [], 0
    if batch:
        result += _check_mailmap_batch(repo, batch)
    return result


def _check_mailmap_batch(repo: RepoInfo, batch: list[str]) -> list[str]:
    out = run(repo.cwd, "check-mailmap", "--", *batch).decode("utf-8", "replace")
    return out.splitlines()


def read_file(repo: RepoInfo, path: str) -> bytes | None:
    """A file's content: from the work tree when there is one, else from HEAD; None if absent."""
    if repo.work_tree is not None:
        try:
            return (repo.work_tree / path).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise HandrailError(f"{repo.work_tree / path}: cannot read ({exc.strerror})") from exc
    return read_blob(repo, "HEAD", path)


def list_files(repo: RepoInfo, rev: str | None = None) -> list[str]:
    """Tracked files at `rev`, or of the work tree's index when `rev` is None and there is one."""
    if rev is None and repo.work_tree is not None:
        out = run(repo.cwd, "ls-files", "-z")
    elif rev is None and not has_any_commit(repo):
        return []
    else:
        out = run(repo.cwd, "ls-tree", "-r", "-z", "--name-only", "--full-tree", rev or "HEAD")
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


# -- a change: what lies between two revisions ------------------------------------------------


def read_blob(repo: RepoInfo, rev: str, path: str) -> bytes | None:
    """A file's content exactly as committed at `rev` (never the work tree); None if absent."""
    proc = spawn(repo.cwd, "cat-file", "blob", f"{rev}:{path}")
    return proc.stdout if proc.returncode == 0 else None


def merge_base(repo: RepoInfo, base: str, head: str) -> str:
    """Where `head` left `base`: a pull request's changes are measured from here."""
    proc = spawn(repo.cwd, "merge-base", base, head)
    if proc.returncode != 0:
        raise HandrailError(f"{repo.cwd}: {base[:12]} and {head[:12]} share no history")
    return proc.stdout.decode().strip()


def changed_paths(repo: RepoInfo, base: str, head: str) -> list[tuple[str, str | None]]:
    """(path, old path if renamed) of every file that differs between two commits."""
    out = run(repo.cwd, "diff", "-z", "--name-status", "-M", "--no-ext-diff", base, head)
    fields = out.decode("utf-8", "surrogateescape").split("\0")
    changes: list[tuple[str, str | None]] = []
    position = 0
    while position < len(fields) - 1:
        status = fields[position]
        if status[:1] in {"R", "C"}:
            changes.append((fields[position + 2], fields[position + 1]))
            position += 3
        else:
            changes.append((fields[position + 1], None))
            position += 2
    return changes


def current_identity(repo: RepoInfo) -> tuple[str, str]:
    """(name, e-mail) git would record for a commit made now: git's own identity rules."""
    ident = run(repo.cwd, "var", "GIT_COMMITTER_IDENT").decode("utf-8", "replace").strip()
    name, _, rest = ident.partition(" <")
    return name, rest.partition(">")[0]


def append_note(repo: RepoInfo, ref: str, sha: str, text: str) -> None:
    """Add a paragraph to the note on `sha` under `ref` (creating note and ref as needed)."""
    run(repo.cwd, "notes", f"--ref={ref}", "append", "-m", text, sha)


# -- a commit's files, read from the object store (no work tree needed) ------------------------


def tree_id(repo: RepoInfo, rev: str) -> str:
    """The tree `rev` records: two commits with the same tree hold exactly the same files."""
    proc = spawn(
        repo.cwd, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{tree}}"
    )
    if proc.returncode != 0:
        raise HandrailError(f"{repo.cwd}: unknown revision {rev!r}")
    return proc.stdout.decode().strip()


def list_blobs(repo: RepoInfo, rev: str) -> list[tuple[str, str]]:
    """(path, blob id) of every regular file at `rev`; symlinks and submodules are left out."""
    out = run(repo.cwd, "ls-tree", "-r", "-z", "--full-tree", rev)
    blobs: list[tuple[str, str]] = []
    for entry in out.decode("utf-8", "surrogateescape").split("\0"):
        info, _, path = entry.partition("\t")
        mode, kind, blob = info.split(" ") if info else ("", "", "")
        if kind == "blob" and mode != "120000":
            blobs.append((path, blob))
    return blobs


def read_blobs(repo: RepoInfo, blob_ids: Iterable[str]) -> Iterable[tuple[str, bytes]]:
    """(blob id, content) for each id, in order, from one `git cat-file --batch` process."""
    proc = subprocess.Popen(
        ["git", *_CONFIG, "cat-file", "--batch"],
        cwd=repo.cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=_environment(),
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for blob_id in blob_ids:
            # One request, then its answer: git flushes after each object, so no pipe fills up.
            try:
                proc.stdin.write(f"{blob_id}\n".encode())
                proc.stdin.flush()
            except BrokenPipeError:
                pass  # git has stopped; the missing answer below says so
            header = proc.stdout.readline().split()
            if len(header) != 3:  # "<id> missing", or nothing at all
                raise HandrailError(f"{repo.cwd}: git cat-file: cannot read object {blob_id}")
            content = proc.stdout.read(int(header[2]) + 1)  # every object ends with a newline
            yield blob_id, content[:-1]
    finally:
        proc.kill()
        proc.wait()
        proc.stdin.close()
        proc.stdout.close()


def read_notes(repo: RepoInfo, ref: str, shas: Sequence[str]) -> dict[str, str]:
    """The note under `ref` on each of `shas` that has one; a missing ref means no notes.

    Two git processes however many commits: `git notes list`, then `git cat-file --batch`.
    """
    wanted = set(shas)
    if not wanted:
        return {}
    listing = run(repo.cwd, "notes", f"--ref={ref}", "list").decode().splitlines()
    # Each line is "<note blob> <annotated object>".
    pairs = (line.split() for line in listing)
    blobs = {commit: blob for blob, commit in pairs if commit in wanted}
    if not blobs:
        return {}  # the usual case: no attribution tool, or notes were never fetched
    texts = dict(read_blobs(repo, blobs.values()))
    return {commit: texts[blob].decode("utf-8", "replace") for commit, blob in blobs.items()}


def config_value(repo: RepoInfo, key: str) -> str | None:
    """A git configuration value as git resolves it (repository, global, system); None if unset."""
    proc = spawn(repo.cwd, "config", "--get", key)
    return proc.stdout.decode("utf-8", "replace").strip() if proc.returncode == 0 else None


# -- the history of a path: what docs freshness asks ---------------------------------------------


def last_commits(repo: RepoInfo, rev: str, paths: Sequence[str]) -> dict[str, str]:
    """The commit that last changed each of `paths` in the history of `rev` (one git process,
    stopped as soon as every path has been seen)."""
    wanted = set(paths)
    found: dict[str, str] = {}
    if not wanted:
        return found
    proc = subprocess.Popen(
        [
            "git",
            *_CONFIG,
            "--literal-pathspecs",
            "log",
            "--format=%x01%H",
            "--name-only",
            "--no-renames",
            rev,
            "--",
            *sorted(wanted),
        ],
        cwd=repo.cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=_environment(),
    )
    assert proc.stdout is not None
    try:
        commit = ""
        for raw in proc.stdout:
            line = raw.decode("utf-8", "surrogateescape").rstrip("\n")
            if line.startswith("\x01"):
                commit = line[1:]
            elif line in wanted and line not in found:
                found[line] = commit
                if len(found) == len(wanted):
                    break
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    return found


def path_versions(repo: RepoInfo, since: str, rev: str, path: str) -> list[tuple[str, str | None]]:
    """(commit, the file's blob id after it, None once deleted) for the commits after `since`
    up to `rev` that changed the file `path`, oldest first: one `git log --raw`."""
    out = run(
        repo.cwd,
        "log",
        "--format=commit %H",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "--reverse",
        "--no-merges",
        f"{since}..{rev}",
        "--",
        path,
    )
    versions: list[tuple[str, str | None]] = []
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        if line.startswith("commit "):
            versions.append((line[7:], None))
        elif line.startswith(":") and versions:
            # `:old-mode new-mode old-blob new-blob status<TAB>path`
            new_blob, status = line.split()[3:5]
            versions[-1] = (versions[-1][0], None if status.startswith("D") else new_blob)
    return versions


def deleting_commit(repo: RepoInfo, since: str, rev: str, path: str) -> str | None:
    """The first commit after `since` up to `rev` that deleted `path` (or a file under it)."""
    out = run(
        repo.cwd,
        "log",
        "--format=%H",
        "--reverse",
        "--no-renames",
        "--diff-filter=D",
        f"{since}..{rev}",
        "--",
        path,
    )
    shas = out.decode().split()
    return shas[0] if shas else None


def blob_ids(repo: RepoInfo, specs: Sequence[str]) -> dict[str, str | None]:
    """{"rev:path": blob id, or None when there is no such file} from one `git cat-file`."""
    if not specs:
        return {}
    out = run(repo.cwd, "cat-file", "--batch-check", stdin=("\n".join(specs) + "\n").encode())
    answers: dict[str, str | None] = {}
    for spec, line in zip(specs, out.decode("utf-8", "surrogateescape").splitlines(), strict=False):
        fields = line.split()
        answers[spec] = fields[0] if len(fields) == 3 and fields[1] == "blob" else None
    return answers


def commit_before(repo: RepoInfo, rev: str, when: str) -> str | None:
    """The newest commit of `rev`'s history made on or before `when` (a date git understands)."""
    out = run(repo.cwd, "rev-list", "-1", f"--before={when}", rev, "--")
    return out.decode().strip() or None


def ignored_paths(repo: RepoInfo, paths: Sequence[str]) -> set[str]:
    """Those of `paths` the repository's ignore rules exclude (generated, never committed)."""
    if not paths or repo.work_tree is None:
        return set()
    proc = spawn(
        repo.cwd,
        "check-ignore",
        "--no-index",
        "-z",
        "--stdin",
        stdin="\0".join(paths).encode() + b"\0",
    )
    return {p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p}
