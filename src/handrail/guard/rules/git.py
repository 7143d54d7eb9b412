"""git commands that lose work or rewrite shared history: force-push to protected branches,
reset --hard, clean -f, discarding changes, branch -D, history rewriting."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from handrail.guard.model import Verdict
from handrail.guard.rules import strictest
from handrail.guard.words import long_options, operands, short_flags

if TYPE_CHECKING:
    from handrail.guard.model import GuardContext, Invocation

FAMILY = "git"
RULES = {
    "git.force-push-protected": "force-pushing a protected branch",
    "git.force-push": "force-pushing a branch that is not protected (allowed by default)",
    "git.delete-protected": "deleting a protected branch on the remote",
    "git.mirror-push": "push --mirror (overwrites every remote ref)",
    "git.discard-changes": "reset --hard, checkout/restore of paths, switch --discard-changes",
    "git.clean": "git clean -f (deletes untracked files)",
    "git.drop-stash": "stash drop / clear",
    "git.delete-branch": "branch -D (deletes unmerged work)",
    "git.rewrite-history": "filter-branch, filter-repo, rebase of a protected branch, …",
    "git.expire-reflog": "reflog expire / delete, update-ref -d, gc --prune=now",
}
# git's own options before the subcommand, and those taking a value.
_GLOBAL_VALUE_OPTIONS = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace"})
_PUSH_VALUE_OPTIONS = frozenset({"-o", "--push-option", "--repo", "--receive-pack", "--exec"})


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


def _verdict(rule: str, decision: str, reason: str) -> Verdict:
    return Verdict(decision, f"git.{rule}", reason)  # type: ignore[arg-type]


def judge(invocation: Invocation, context: GuardContext) -> Verdict | None:
    if invocation.program != "git":
        return None
    command, args = subcommand(invocation.args)
    check = _CHECKS.get(command)
    return check(invocation, args, context) if check else None


def protected(branch: str, context: GuardContext) -> bool:
    branch = branch.removeprefix("refs/heads/")
    return any(fnmatchcase(branch, pattern) for pattern in context.protected_branches)


def current_branch(context: GuardContext) -> str | None:
    """The checked-out branch, read from .git/HEAD (no git process: the hook must be quick)."""
    from pathlib import Path

    if not context.project_root:
        return None
    git = Path(context.project_root) / ".git"
    try:
        if git.is_file():  # a worktree or submodule: "gitdir: <path>"
            pointer = git.read_text(encoding="utf-8").strip().removeprefix("gitdir:").strip()
            git = (git.parent / pointer).resolve()
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return head.removeprefix("ref: refs/heads/") if head.startswith("ref: ") else None


def _push(invocation: Invocation, args: tuple[str, ...], context: GuardContext) -> Verdict | None:
    flags, options = short_flags(args), long_options(args)
    lease = bool(options & {"--force-with-lease", "--force-if-includes"})
    force = "f" in flags or "--force" in options
    positional = operands(args, _PUSH_VALUE_OPTIONS)
    refspecs = positional[1:]
    if "--mirror" in options:
        decision = "deny" if force else "ask"
        return _verdict(
            "mirror-push", decision, f"`{invocation.source}` overwrites every remote ref"
        )
    deleting = "d" in flags or "--delete" in options
    targets: list[tuple[str, bool]] = []  # (branch, forced)
    for spec in refspecs:
        plus = spec.startswith("+")
        source, colon, destination = spec.lstrip("+").partition(":")
        branch = destination if colon else source
        if deleting or (colon and not source):  # `:branch` deletes it
            if protected(branch, context):
                return _verdict(
                    "delete-protected",
                    "deny",
                    f"`{invocation.source}` deletes the protected branch {branch} on the remote",
                )
            continue
        targets.append((branch if branch != "HEAD" else current_branch(context) or "HEAD", plus))
    if "--all" in options or "--branches" in options:
        targets.append(("*all branches*", False))
    if not refspecs and not deleting:
        targets.append((current_branch(context) or "", False))
    found: list[Verdict | None] = []
    for branch, plus in targets:
        if not (force or lease or plus):
            continue
        found.append(_forced(invocation, branch, lease and not force and not plus, context))
    return strictest(found)


def _forced(invocation: Invocation, branch: str, lease: bool, context: GuardContext) -> Verdict:
    unknown = branch in ("", "HEAD", "*all branches*")
    shown = "every branch" if branch == "*all branches*" else (branch or "the current branch")
    if unknown or protected(branch, context):
        decision = "ask" if lease or (unknown and branch != "*all branches*") else "deny"
        return _verdict(
            "force-push-protected",
            decision,
            f"`{invocation.source}` force-pushes {shown}"
            + ("" if not unknown else ", which may be protected")
            + ": commits on the remote can be lost for everyone",
        )
    # An unprotected branch is someone's own work in progress: rewriting it is routine.
    safety = "with a lease" if lease else "not a protected branch"
    return Verdict("allow", "git.force-push", f"force-push of {shown}: {safety}")


def _reset(invocation: Invocation, args: tuple[str, ...], _: GuardContext) -> Verdict | None:
    if "--hard" in args:
        return _discard(invocation, "throws away uncommitted changes")
    return None


def _discard(invocation: Invocation, what: str) -> Verdict:
    return _verdict("discard-changes", "ask", f"`{invocation.source}` {what}")


def _checkout(invocation: Invocation, args: tuple[str, ...], _: GuardContext) -> Verdict | None:
    if "-f" in args or "--force" in args:
        return _discard(invocation, "throws away uncommitted changes")
    if "--" in args and args[args.index("--") + 1 :]:
        return _discard(invocation, "overwrites uncommitted changes in those paths")
    if args in ((".",), ("-p", ".")) or (args and args[-1] == "." and "-b" not in args):
        return _discard(invocation, "overwrites every uncommitted change")
    return None


def _restore(invocation: Invocation, args: tuple[str, ...], _: GuardContext) -> Verdict | None:
    worktree = "--worktree" in args or "-W" in args
    staged_only = ("--staged" in args or "-S" in args) and not worktree
    if staged_only or not operands(args, frozenset({"-s", "--source"})):
        return None
    return _discard(invocation, "overwrites uncommitted changes")


def _switch(invocation: Invocation, args: tuple[str, ...], _: GuardContext) -> Verdict | None:
    if {"--discard-changes", "-f", "--force"} & set(args):
        return _discard(invocation, "throws away uncommitted changes")
    return None


def _clean(invocation: Invocation, args: tuple[str, ...], _: GuardContext) -> Verdict | None:
    flags, options = short_flags(args), long_options(args)
    if "n" in flags or "--dry-run" in options:
        return None
    if "X" in flags and "x" not in flags:
        return None  # only ignored files: build output that builds make again
    if "f" in flags or "--force" in options:
        extent = "untracked and ignored files" if "x" in flags else "untracked files"
        return _verdict("clean", "ask", f"`{invocation.source}` deletes {extent} for good")
    return None


def _stash(invocation: Invocation, args: tuple[str, ...], _: GuardContext) -> Verdict | None:
    if args[:1] in (("drop",), ("clear",)):
        return _verdict("drop-stash", "ask", f"`{invocation.source}` deletes stashed work")
    return None


def _branch(invocation: Invocation, args: tuple[str, ...], _: GuardContext) -> Verdict | None:
    flags, options = short_flags(args), long_options(args)
    forced_delete = "D" in flags or (
        ("d" in flags or "--delete" in options) and ("f" in flags or "--force" in options)
    )
    if forced_delete:
        return _verdict(
            "delete-branch", "ask", f"`{invocation.source}` deletes branches even if unmerged"
        )
    if "M" in flags or "C" in flags:
        return _verdict("delete-branch", "ask", f"`{invocation.source}` overwrites a branch")
    return None


def _rewrite(invocation: Invocation, args: tuple[str, ...], context: GuardContext) -> Verdict:
    return _verdict("rewrite-history", "ask", f"`{invocation.source}` rewrites history")


def _rebase(invocation: Invocation, args: tuple[str, ...], context: GuardContext) -> Verdict | None:
    if {"--continue", "--abort", "--skip", "--quit", "--edit-todo", "--show-current-patch"} & set(
        args
    ):
        return None
    positional = operands(args, _REBASE_VALUE_OPTIONS)
    branch = positional[1] if len(positional) > 1 else current_branch(context)
    # Replaying local commits onto a new base is routine; rewriting commits already on a
    # protected branch (interactive edits, --root, HEAD~n) is what loses shared history.
    rewrites = bool({"-i", "--interactive", "--root"} & set(args)) or any(
        p.startswith(("HEAD~", "HEAD^", "@~")) for p in positional[:1]
    )
    if rewrites and (branch is None or protected(branch, context)):
        where = f"the protected branch {branch}" if branch else "the current branch"
        return _verdict(
            "rewrite-history", "ask", f"`{invocation.source}` rewrites the history of {where}"
        )
    return None


_REBASE_VALUE_OPTIONS = frozenset({"--onto", "-s", "--strategy", "-X", "--strategy-option", "-x"})
_REBASE_VALUE_OPTIONS |= {"--exec"}


def _reflog(invocation: Invocation, args: tuple[str, ...], _: GuardContext) -> Verdict | None:
    if args[:1] in (("expire",), ("delete",)):
        return _verdict("expire-reflog", "ask", f"`{invocation.source}` removes recovery points")
    return None


def _update_ref(invocation: Invocation, args: tuple[str, ...], _: GuardContext) -> Verdict | None:
    if "-d" in args or "--stdin" in args:
        return _verdict("expire-reflog", "ask", f"`{invocation.source}` deletes refs directly")
    return None


def _gc(invocation: Invocation, args: tuple[str, ...], _: GuardContext) -> Verdict | None:
    if any(a in ("--prune=now", "--prune=all") for a in args):
        return _verdict("expire-reflog", "ask", f"`{invocation.source}` prunes unreachable work")
    return None


_CHECKS = {
    "push": _push,
    "reset": _reset,
    "checkout": _checkout,
    "restore": _restore,
    "switch": _switch,
    "clean": _clean,
    "stash": _stash,
    "branch": _branch,
    "filter-branch": _rewrite,
    "filter-repo": _rewrite,
    "rebase": _rebase,
    "reflog": _reflog,
    "update-ref": _update_ref,
    "gc": _gc,
}
