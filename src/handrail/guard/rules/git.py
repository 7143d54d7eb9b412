"""git commands that lose work or rewrite shared history.

`deny` for what cannot be undone: discarding uncommitted changes (reset --hard, checkout or
restore of paths, forced checkout/switch), deleting untracked files (clean -f), dropping stashes,
force-pushing or deleting a protected branch, mirror pushes, deleting refs directly, rewriting
every commit (filter-branch, filter-repo) and destroying the reflog (expire --expire=now,
gc --prune=now). `ask` for what the reflog still keeps or what only touches one's own branch
(branch -D, rebase -i of a protected branch). Reading git (log, diff, grep) is never judged, and a
commit message is text.
"""

from __future__ import annotations

import os
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from handrail.guard.model import Verdict
from handrail.guard.rules import strictest
from handrail.guard.words import expand_home, long_options, operands, short_flags

if TYPE_CHECKING:
    from handrail.guard.model import Decision, GuardContext, Invocation

FAMILY = "git"
RULES = {
    "git.force-push-protected": "force-pushing a protected branch",
    "git.force-push": "force-pushing a branch that is not protected (allowed by default)",
    "git.delete-protected": "deleting a protected branch on the remote",
    "git.mirror-push": "push --mirror (overwrites and deletes every remote ref)",
    "git.discard-changes": "reset --hard, checkout/restore of paths, forced checkout or switch",
    "git.clean": "git clean -f (deletes untracked files)",
    "git.drop-stash": "stash drop / clear",
    "git.delete-branch": "branch -D, -M, -C, -f (the reflog still has the commits)",
    "git.rewrite-history": "filter-branch, filter-repo, rebase -i of a protected branch",
    "git.expire-reflog": "reflog expire --expire=now, update-ref -d, gc --prune=now",
}
# git's own options before the subcommand, and those taking a value.
_GLOBAL_VALUE_OPTIONS = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace"})
_PUSH_VALUE_OPTIONS = frozenset({"-o", "--push-option", "--repo", "--receive-pack", "--exec"})
_CHECKOUT_VALUE_OPTIONS = frozenset({"-b", "-B", "--orphan", "--conflict"})
_RESTORE_VALUE_OPTIONS = frozenset({"-s", "--source"})
_REBASE_VALUE_OPTIONS = frozenset(
    {"--onto", "-s", "--strategy", "-X", "--strategy-option", "-x", "--exec"}
)
_UNCOMMITTED = "every uncommitted change in the work tree and the index"
# reflog/gc expiry values that keep nothing.
_EXPIRE_NOW = ("now", "all", "0")


def subcommand(args: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """`git -C x --no-pager push -f` → ("push", ("-f",))."""
    index = 0
    while index < len(args) and args[index].startswith("-"):
        index += 2 if args[index] in _GLOBAL_VALUE_OPTIONS else 1
    if index >= len(args):
        return "", ()
    return args[index], args[index + 1 :]


def global_configs(args: tuple[str, ...]) -> list[str]:
    """The `-c key=value` settings given before the subcommand."""
    return [args[i + 1] for i in range(len(args) - 1) if args[i] == "-c"]


def option_values(args: tuple[str, ...], names: tuple[str, ...]) -> list[str]:
    """The values given to options `names`, as `-o VALUE` or `--option=VALUE`."""
    values = [args[i + 1] for i in range(len(args) - 1) if args[i] in names]
    values += [a.partition("=")[2] for a in args if a.partition("=")[0] in names and "=" in a]
    return values


def _verdict(rule: str, decision: Decision, reason: str) -> Verdict:
    return Verdict(decision, f"git.{rule}", reason)


class _Repo:
    """Where the git command acts: the working directory after `git -C DIR`."""

    def __init__(self, invocation: Invocation, context: GuardContext) -> None:
        self.context = context
        self.cwd = context.cwd
        args, index = invocation.args, 0
        while index < len(args) - 1 and args[index].startswith("-"):
            if args[index] == "-C":
                directory = expand_home(args[index + 1], context.home)
                self.cwd = os.path.join(self.cwd, directory)  # noqa: PTH118
            index += 2 if args[index] in _GLOBAL_VALUE_OPTIONS else 1
        self._git_dir: str | bool | None = False  # not looked up yet

    def git_dir(self) -> str | None:
        """The repository's git directory (`.git`, or where a worktree's `.git` file points)."""
        if self._git_dir is False:
            self._git_dir = _find_git_dir(self.cwd)
        return self._git_dir  # type: ignore[return-value]

    def current_branch(self) -> str | None:
        """The checked-out branch, read from HEAD (no git process: the hook must be quick)."""
        head = _read(self.git_dir(), "HEAD")
        if head is None or not head.startswith("ref: "):
            return None
        return head.removeprefix("ref: ").strip().removeprefix("refs/heads/")

    def has_ref(self, name: str) -> bool:
        """Whether a local or remote-tracking branch of this name exists."""
        git_dir = self.git_dir()
        if git_dir is None:
            return False
        common = _read(git_dir, "commondir")  # a worktree shares the main repository's refs
        git_dir = os.path.normpath(os.path.join(git_dir, common)) if common else git_dir  # noqa: PTH118
        remotes = os.path.join(git_dir, "refs", "remotes")  # noqa: PTH118
        try:
            remote_names = os.listdir(remotes)  # noqa: PTH208 - no pathlib in the hook
        except OSError:
            remote_names = []
        refs = [f"refs/heads/{name}", *(f"refs/remotes/{r}/{name}" for r in remote_names)]
        if any(os.path.isfile(os.path.join(git_dir, ref)) for ref in refs):  # noqa: PTH113, PTH118
            return True
        packed = _read(git_dir, "packed-refs") or ""
        return any(line.split(" ", 1)[-1] in refs for line in packed.splitlines())

    def is_path(self, word: str) -> bool:
        return os.path.exists(os.path.join(self.cwd, word))  # noqa: PTH110, PTH118


def _find_git_dir(start: str) -> str | None:
    folder = os.path.abspath(start)  # noqa: PTH100
    while True:
        dot_git = os.path.join(folder, ".git")  # noqa: PTH118
        if os.path.isdir(dot_git):  # noqa: PTH112
            return dot_git
        pointer = _read(folder, ".git")  # a worktree or submodule: "gitdir: <path>"
        if pointer is not None and pointer.startswith("gitdir:"):
            return os.path.join(folder, pointer.removeprefix("gitdir:").strip())  # noqa: PTH118
        parent = os.path.dirname(folder)  # noqa: PTH120
        if parent == folder:
            return None
        folder = parent


def _read(folder: str | None, name: str) -> str | None:
    if folder is None:
        return None
    try:
        with open(os.path.join(folder, name), encoding="utf-8") as handle:  # noqa: PTH118, PTH123
            return handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return None


def judge(invocation: Invocation, context: GuardContext) -> Verdict | None:
    if invocation.program != "git":
        return None
    command, args = subcommand(invocation.args)
    repo = _Repo(invocation, context)
    expanded = None
    if command and command not in _CHECKS and command not in _BUILTIN:
        expanded = _alias(invocation.args, command, repo)
    if expanded is not None:
        import shlex

        if expanded.startswith("!"):  # a shell command, given the arguments
            text = f"{expanded[1:]} {shlex.join(args)}".strip()
            return _nested(text, f"the alias git {command}", context)
        try:
            words = shlex.split(expanded)
        except ValueError:  # unbalanced quotes: git would split it differently, if at all
            words = expanded.split()
        command, args = (words or [""])[0], (*words[1:], *args)
    check = _CHECKS.get(command)
    if check is None or {"-h", "--help"} & set(args):
        return None
    return check(invocation, args, repo)


# git's own commands: a name among them is never an alias, so no config file is read for it.
# fmt: off
_BUILTIN = frozenset({
    "add", "am", "apply", "archive", "bisect", "blame", "bundle", "cat-file", "cherry",
    "cherry-pick", "clone", "commit", "config", "count-objects", "describe", "diff",
    "difftool", "fetch", "for-each-ref", "format-patch", "fsck", "grep", "help", "init",
    "log", "ls-files", "ls-remote", "ls-tree", "merge", "merge-base", "mergetool", "mv",
    "name-rev", "notes", "pull", "range-diff", "remote", "rev-list", "rev-parse", "revert",
    "shortlog", "show", "show-ref", "sparse-checkout", "status", "symbolic-ref", "tag",
    "var", "version", "whatchanged", "lfs",
})
# fmt: on


def _alias(args: tuple[str, ...], name: str, repo: _Repo) -> str | None:
    """What `git NAME` expands to: an `alias.NAME` given with -c, or in the repository's or
    the user's git configuration."""
    for setting in reversed(global_configs(args)):
        key, _, value = setting.partition("=")
        if key.lower() == f"alias.{name}".lower():
            return value
    home = repo.context.home
    files = [
        (repo.git_dir(), "config"),
        (home, ".gitconfig"),
        (os.path.join(home, ".config", "git") if home else None, "config"),  # noqa: PTH118
    ]
    for folder, file in files:
        found = _config_alias(_read(folder, file) or "", name)
        if found is not None:
            return found
    return None


def _config_alias(text: str, name: str) -> str | None:
    """`name = value` in the `[alias]` section of a git config file."""
    section = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped.strip("[]").strip().lower()
        elif section == "alias" and "=" in stripped:
            key, _, value = stripped.partition("=")
            if key.strip().lower() == name.lower():
                return value.strip().strip('"')
    return None


def _nested(text: str, where: str, context: GuardContext) -> Verdict | None:
    """A shell command git runs for us (an `!` alias, submodule foreach): judged like any."""
    from handrail.guard.engine import decide_command

    verdict = decide_command(text, context)
    if verdict.decision == "allow":
        return None
    return Verdict(verdict.decision, verdict.rule, f"{where} runs `{text}`: {verdict.reason}")


def protected(branch: str, context: GuardContext) -> bool:
    branch = branch.removeprefix("refs/heads/")
    return any(fnmatchcase(branch, pattern) for pattern in context.protected_branches)


# ---- push -------------------------------------------------------------------------------------


def _push(invocation: Invocation, args: tuple[str, ...], repo: _Repo) -> Verdict | None:
    flags, options = short_flags(args), long_options(args)
    lease = bool(options & {"--force-with-lease", "--force-if-includes"})
    force = "f" in flags or "--force" in options
    if "n" in flags or "--dry-run" in options:
        return None
    refspecs = operands(args, _PUSH_VALUE_OPTIONS)[1:]
    if "--mirror" in options:
        return _verdict(
            "mirror-push",
            "deny",
            f"`{invocation.source}` force-updates every ref on the remote to match this"
            " clone and deletes the remote refs it lacks: commits pushed by others are lost",
        )
    deleting = "d" in flags or "--delete" in options
    context = repo.context
    targets: list[tuple[str, bool]] = []  # (branch, forced by a + refspec)
    for spec in refspecs:
        plus = spec.startswith("+")
        source, colon, destination = spec.lstrip("+").partition(":")
        branch = destination if colon else source
        if deleting or (colon and not source):  # `:branch` deletes it
            if protected(branch, context):
                return _verdict(
                    "delete-protected",
                    "deny",
                    f"`{invocation.source}` deletes the protected branch {branch} on the"
                    " remote: everyone loses it, with the commits only it holds",
                )
            continue
        if "*" in branch:  # `refs/heads/*:refs/heads/*` covers every branch
            branch = "*all branches*"
        targets.append((branch if branch != "HEAD" else repo.current_branch() or "HEAD", plus))
    if "--prune" in options:
        return _verdict(
            "delete-protected",
            "ask",
            f"`{invocation.source}` deletes every remote branch with no local counterpart,"
            " protected ones included",
        )
    if "--all" in options or "--branches" in options:
        targets.append(("*all branches*", False))
    if not refspecs and not deleting:
        targets.append((repo.current_branch() or "", False))
    found = [
        _forced(invocation, branch, context) for branch, plus in targets if force or lease or plus
    ]
    return strictest(found)


def _forced(invocation: Invocation, branch: str, context: GuardContext) -> Verdict:
    every = branch == "*all branches*"
    unknown = branch in ("", "HEAD")
    shown = "every branch" if every else (branch or "the current branch")
    if every or protected(branch, context):
        which = "protected ones included" if every else "a protected branch"
        return _verdict(
            "force-push-protected",
            "deny",
            f"`{invocation.source}` force-pushes {shown}, {which}: commits others pushed there"
            " are overwritten on the remote and lost for everyone",
        )
    if unknown:
        return _verdict(
            "force-push-protected",
            "ask",
            f"`{invocation.source}` force-pushes {shown} (HEAD is detached or unreadable), which"
            " may be protected: commits on the remote can be lost for everyone",
        )
    # An unprotected branch is someone's own work in progress: rewriting it is routine.
    return Verdict("allow", "git.force-push", f"force-push of {shown}: not a protected branch")


# ---- the work tree ----------------------------------------------------------------------------


def _moves_branch(invocation: Invocation) -> Verdict:
    """branch -f/-M/-C, checkout -B, switch -C: an existing branch points elsewhere."""
    return _verdict(
        "delete-branch",
        "ask",
        f"`{invocation.source}` overwrites an existing branch (the reflog keeps its old commits)",
    )


def _discard(invocation: Invocation, what: str, decision: Decision = "deny") -> Verdict:
    return _verdict("discard-changes", decision, f"`{invocation.source}` {what}")


def _reset(invocation: Invocation, args: tuple[str, ...], _: _Repo) -> Verdict | None:
    if "--hard" not in args:
        return None  # --soft, --mixed, --keep and `reset HEAD file` keep the work tree
    target = operands(args)
    moved = ""
    if target and target[0] not in ("HEAD", "@"):
        moved = (
            f", and moves the branch to {target[0]}: commits not reachable from it are left"
            " only in the reflog"
        )
    return _discard(invocation, f"discards {_UNCOMMITTED} for good{moved}")


def _checkout(invocation: Invocation, args: tuple[str, ...], repo: _Repo) -> Verdict | None:
    options = long_options(args)
    flags = short_flags(args)
    if {"--ours", "--theirs", "--merge"} & options or "m" in flags:
        return None  # resolving a conflict: git keeps the merge result recoverable (-m)
    if "p" in flags or "--patch" in options:
        return _discard(invocation, "discards the uncommitted hunks a human picks", "ask")
    if "f" in flags or "--force" in options:
        return _discard(invocation, f"switches branches discarding {_UNCOMMITTED}")
    if "-B" in args:
        return _moves_branch(invocation)
    paths, source = _checkout_paths(args, repo)
    if not paths:
        return None
    return _discard(invocation, _overwrites(paths, source))


def _checkout_paths(args: tuple[str, ...], repo: _Repo) -> tuple[list[str], str]:
    """The paths `git checkout` overwrites and where their content comes from: the paths after
    `--` or after a tree-ish, or a lone operand that names a file and no branch."""
    index = args.index("--") if "--" in args else len(args)
    given = operands(args[:index], _CHECKOUT_VALUE_OPTIONS)
    if index < len(args):
        return list(args[index + 1 :]), given[0] if given else "the index"
    if {"-b", "-B", "--orphan"} & set(args):
        return [], ""
    if len(given) > 1:
        return given[1:], given[0]
    if given and _pathspec(given[0], repo):
        return given, "the index"
    return [], ""


def _pathspec(word: str, repo: _Repo) -> bool:
    """A lone `git checkout WORD` restores files when WORD is a glob or pathspec magic (no
    branch name has `*?[` or starts with `:`), or a path in the work tree that no branch is
    named like."""
    if any(char in word for char in "*?[") or word.startswith(":"):
        return True
    return word != "-" and repo.is_path(word) and not repo.has_ref(word)


def _overwrites(paths: list[str], source: str) -> str:
    everything = any(path in (".", ":/", "*", "./") for path in paths)
    where = "the whole work tree" if everything else ", ".join(paths)
    return (
        f"overwrites {where} with the version in {source}, discarding the uncommitted changes"
        " there for good"
    )


def _restore(invocation: Invocation, args: tuple[str, ...], _: _Repo) -> Verdict | None:
    flags, options = short_flags(args), long_options(args)
    worktree = "W" in flags or "--worktree" in options
    staged = "S" in flags or "--staged" in options
    if staged and not worktree:
        return None  # unstaging keeps the work tree
    paths = operands(args, _RESTORE_VALUE_OPTIONS)
    if not paths and "--pathspec-from-file" not in options:
        return None
    if "p" in flags or "--patch" in options:
        return _discard(invocation, "discards the uncommitted hunks a human picks", "ask")
    source = (option_values(args, ("-s", "--source")) or ["the index"])[-1]
    return _discard(invocation, _overwrites(paths or ["the listed paths"], source))


def _switch(invocation: Invocation, args: tuple[str, ...], _: _Repo) -> Verdict | None:
    if {"--discard-changes", "-f", "--force"} & set(args):
        return _discard(invocation, f"switches branches discarding {_UNCOMMITTED}")
    if {"-C", "--force-create"} & set(args):
        return _moves_branch(invocation)
    return None


def _clean(invocation: Invocation, args: tuple[str, ...], _: _Repo) -> Verdict | None:
    flags, options = short_flags(args), long_options(args)
    if "n" in flags or "--dry-run" in options or not ("f" in flags or "--force" in options):
        return None  # a dry run; and without -f git refuses to delete anything
    if "i" in flags or "--interactive" in options:
        return _verdict("clean", "ask", f"`{invocation.source}` deletes the files a human picks")
    paths = operands(args, frozenset({"-e", "--exclude"}))
    if "X" in flags and "x" not in flags:
        if paths and not {".", "./", ":/"} & set(paths):
            return None  # ignored files under a build folder: output the build makes again
        return _verdict(
            "clean",
            "ask",
            f"`{invocation.source}` deletes every ignored file, local configuration such as"
            " .env included, which git never had",
        )
    extent = (
        "untracked and ignored files (.env, local data…)" if "x" in flags else "untracked files"
    )
    folders = " and folders" if "d" in flags else ""
    return _verdict(
        "clean",
        "deny",
        f"`{invocation.source}` deletes {extent}{folders} for good: git never had them, so"
        " nothing can bring them back",
    )


def _stash(invocation: Invocation, args: tuple[str, ...], _: _Repo) -> Verdict | None:
    if args[:1] == ("clear",):
        what = "every stash"
    elif args[:1] == ("drop",):
        named = operands(args[1:])
        what = f"the stash {named[0]}" if named else "the latest stash"
    else:
        return None
    return _verdict(
        "drop-stash",
        "deny",
        f"`{invocation.source}` deletes {what}: stashed changes are on no branch and in no"
        " reflog, so they are lost",
    )


def _worktree(invocation: Invocation, args: tuple[str, ...], _: _Repo) -> Verdict | None:
    if args[:1] == ("remove",) and {"-f", "--force"} & set(args):
        return _discard(invocation, "deletes the worktree with its uncommitted and untracked files")
    return None


def _submodule(invocation: Invocation, args: tuple[str, ...], repo: _Repo) -> Verdict | None:
    if args[:1] == ("foreach",):
        command = [arg for arg in args[1:] if arg not in ("--quiet", "-q", "--recursive")]
        return _nested(" ".join(command), "`git submodule foreach`", repo.context)
    if args[:1] == ("deinit",) and {"-f", "--force"} & set(args):
        return _discard(invocation, "removes submodule work trees with their uncommitted changes")
    return None


def _rm(invocation: Invocation, args: tuple[str, ...], _: _Repo) -> Verdict | None:
    flags, options = short_flags(args), long_options(args)
    if "n" in flags or {"--cached", "--dry-run"} & options:
        return None
    if "f" in flags or "--force" in options:
        return _discard(
            invocation,
            "deletes the files even when they have uncommitted changes, which are lost"
            " (their committed versions stay in history)",
            "ask",
        )
    return None  # git refuses to delete files with uncommitted changes


def _index_to_worktree(invocation: Invocation, args: tuple[str, ...], _: _Repo) -> Verdict | None:
    """checkout-index -f and read-tree -u --reset: plumbing that overwrites the work tree."""
    forced = {"-f", "--force"} & set(args) or {"-u", "--reset"} <= set(args)
    if not forced:
        return None
    return _discard(invocation, _overwrites(["."], "the index"))


# ---- branches, history and the reflog -----------------------------------------------------------


def _branch(invocation: Invocation, args: tuple[str, ...], _: _Repo) -> Verdict | None:
    flags, options = short_flags(args), long_options(args)
    forced = "f" in flags or "--force" in options
    if "D" in flags or (("d" in flags or "--delete" in options) and forced):
        return _verdict(
            "delete-branch",
            "ask",
            f"`{invocation.source}` deletes branches even if unmerged (the reflog keeps their"
            " commits for a while)",
        )
    if "M" in flags or "C" in flags or (forced and len(operands(args)) >= 2):
        return _moves_branch(invocation)
    return None


def _rewrite(invocation: Invocation, args: tuple[str, ...], _: _Repo) -> Verdict | None:
    if {"--analyze", "--dry-run"} & set(args):
        return None
    return _verdict(
        "rewrite-history",
        "deny",
        f"`{invocation.source}` rewrites every commit it touches: every clone and open pull"
        " request still has the old history, and the old commits are dropped",
    )


def _rebase(invocation: Invocation, args: tuple[str, ...], repo: _Repo) -> Verdict | None:
    if {"--continue", "--abort", "--skip", "--quit", "--edit-todo", "--show-current-patch"} & set(
        args
    ):
        return None
    positional = operands(args, _REBASE_VALUE_OPTIONS)
    branch = positional[1] if len(positional) > 1 else repo.current_branch()
    # Replaying local commits onto a new base is routine; rewriting commits already on a
    # protected branch (interactive edits, --root, HEAD~n) is what loses shared history.
    rewrites = bool({"-i", "--interactive", "--root"} & set(args)) or any(
        p.startswith(("HEAD~", "HEAD^", "@~")) for p in positional[:1]
    )
    if rewrites and (branch is None or protected(branch, repo.context)):
        where = f"the protected branch {branch}" if branch else "the current branch"
        return _verdict(
            "rewrite-history", "ask", f"`{invocation.source}` rewrites the history of {where}"
        )
    return None


def _reflog(invocation: Invocation, args: tuple[str, ...], _: _Repo) -> Verdict | None:
    if args[:1] == ("delete",):
        return _verdict("expire-reflog", "ask", f"`{invocation.source}` removes recovery points")
    if args[:1] != ("expire",):
        return None
    expiry = [a.partition("=")[2] for a in args if a.startswith(("--expire=", "--expire-unr"))]
    if any(value in _EXPIRE_NOW for value in expiry):
        return _verdict(
            "expire-reflog",
            "deny",
            f"`{invocation.source}` empties the reflog, the only record of commits lost by a"
            " reset, rebase or deleted branch: they become unrecoverable",
        )
    return _verdict("expire-reflog", "ask", f"`{invocation.source}` removes old recovery points")


def _update_ref(invocation: Invocation, args: tuple[str, ...], _: _Repo) -> Verdict | None:
    if "-d" in args:
        ref = next(iter(operands(args, frozenset({"-m"}))), "the ref")
        return _verdict(
            "expire-reflog",
            "deny",
            f"`{invocation.source}` deletes {ref} together with its reflog: the commits only"
            " it points to become unreachable",
        )
    if "--stdin" in args:
        return _verdict(
            "expire-reflog",
            "ask",
            f"`{invocation.source}` updates or deletes refs read at run time",
        )
    return None


def _gc(invocation: Invocation, args: tuple[str, ...], _: _Repo) -> Verdict | None:
    if any(a.removeprefix("--prune=") in _EXPIRE_NOW for a in args if a.startswith("--prune=")):
        return _verdict(
            "expire-reflog",
            "deny",
            f"`{invocation.source}` deletes every unreachable commit at once: work dropped by a"
            " reset or deleted branch can no longer be recovered",
        )
    return None


_CHECKS = {
    "push": _push,
    "reset": _reset,
    "checkout": _checkout,
    "restore": _restore,
    "switch": _switch,
    "clean": _clean,
    "stash": _stash,
    "worktree": _worktree,
    "submodule": _submodule,
    "rm": _rm,
    "checkout-index": _index_to_worktree,
    "read-tree": _index_to_worktree,
    "branch": _branch,
    "filter-branch": _rewrite,
    "filter-repo": _rewrite,
    "rebase": _rebase,
    "reflog": _reflog,
    "update-ref": _update_ref,
    "gc": _gc,
}
