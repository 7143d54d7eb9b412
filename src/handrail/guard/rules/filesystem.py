"""Damage to files and disks: rm of /, ~ or system folders, shred, dd / mkfs on devices,
recursive chmod/chown on system paths, writes to devices and system files, and deletions
outside the project. Inside the project ordinary deletions are the agent's job: allowed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handrail.guard.effects import effects, mode_and_paths, recursive
from handrail.guard.model import Verdict
from handrail.guard.places import Place, is_critical_file, place
from handrail.guard.rules import strictest
from handrail.guard.words import long_options, operands, short_flags

if TYPE_CHECKING:
    from handrail.guard.model import GuardContext, Invocation

FAMILY = "filesystem"
RULES = {
    "filesystem.delete-critical": "deleting /, your home, system folders, keys or devices",
    "filesystem.no-preserve-root": "rm --no-preserve-root",
    "filesystem.delete-repository": "deleting the project's .git folder",
    "filesystem.delete-project": "deleting the whole project folder",
    "filesystem.delete-outside": "deleting files outside the project",
    "filesystem.delete-unknown": "rm -r / -f of a path known only at run time",
    "filesystem.shred": "shredding files (unrecoverable)",
    "filesystem.disk-write": "writing to a disk device (dd of=/dev/…, > /dev/sda)",
    "filesystem.format": "formatting or wiping a disk (mkfs, wipefs, …)",
    "filesystem.permissions-system": "chmod/chown on /, home or system paths",
    "filesystem.permissions-outside": "recursive chmod/chown outside the project",
    "filesystem.write-system": "overwriting system files",
    "filesystem.write-outside": "writing files outside the project",
    "filesystem.move-critical": "moving /, your home or system folders, or a file to /dev/null",
}
_FORMATTERS = ("mkfs", "mke2fs", "mkswap", "wipefs", "blkdiscard", "mkdosfs", "newfs")
_PARTITIONERS = ("fdisk", "sfdisk", "cfdisk", "parted", "gdisk", "sgdisk", "diskutil")
_SHREDDERS = ("shred", "srm", "wipe")
_DISK_VALUE_OPTIONS = frozenset({"-t", "-L", "-n", "-b", "-c", "-O", "-T", "-U", "-E", "-o"})
_WORLD_WRITABLE = ("777", "666", "o+w", "a+w", "+w", "ugo+w")


def _verdict(rule: str, decision: str, reason: str) -> Verdict:
    return Verdict(decision, f"filesystem.{rule}", reason)  # type: ignore[arg-type]


def judge(invocation: Invocation, context: GuardContext) -> Verdict | None:
    name = invocation.program
    found: list[Verdict | None] = []
    if name.startswith(_FORMATTERS) or name in _PARTITIONERS:
        found.append(_disk_tool(invocation, context))
    if name == "rm" and "--no-preserve-root" in invocation.args:
        found.append(_verdict("no-preserve-root", "deny", "rm --no-preserve-root can erase /"))
    deletion_flags = _deletion_flags(invocation)
    for effect in effects(invocation):
        spot = place(effect.path, context, effect.resolved)
        if effect.action == "delete":
            found.append(_deletion(invocation, spot, deletion_flags, context))
        elif effect.action == "write":
            found.append(_write(invocation, spot))
        else:
            found.append(_permissions(invocation, spot))
    fed_by_xargs = "r" in deletion_flags and "xargs" in invocation.via
    if name == "rm" and fed_by_xargs and not any(e.action == "delete" for e in effects(invocation)):
        found.append(
            _verdict("delete-unknown", "ask", "rm -r deletes whatever paths xargs feeds it")
        )
    return strictest(found)


def _deletion_flags(invocation: Invocation) -> set[str]:
    letters = short_flags(invocation.args)
    options = long_options(invocation.args)
    recursive_delete = bool(letters & {"r", "R"}) or "--recursive" in options
    force = "f" in letters or "--force" in options
    flags: set[str] = set()
    if recursive_delete:
        flags.add("r")
    if force:
        flags.add("f")
    return flags


def _deletion(
    invocation: Invocation, spot: Place, flags: set[str], context: GuardContext
) -> Verdict | None:
    what = f"`{invocation.source}` deletes {spot.describe()}"
    if invocation.program == "rmdir":  # only ever removes empty folders
        return None
    if spot.critical:
        rule = "move-critical" if invocation.program == "mv" else "delete-critical"
        return _verdict(
            rule, "deny", what.replace("deletes", "moves away", invocation.program == "mv")
        )
    if invocation.program in _SHREDDERS:
        return _verdict("shred", "ask", f"{what}, beyond recovery")
    if spot.kind == "git-dir" and "r" in flags:
        return _verdict("delete-repository", "deny", f"{what}: unpushed work is lost for good")
    if spot.kind == "project-root" and "r" in flags and not _via_find(invocation):
        if spot.wildcard:  # `rm -rf *`: the files, but not .git
            return _verdict("delete-project", "ask", what)
        return _verdict("delete-project", "deny", f"{what}, .git and uncommitted work included")
    if spot.kind == "outside" and "r" in flags:
        return _verdict("delete-outside", "deny", f"{what}: the agent's work is the project")
    if spot.kind in ("outside", "temp-root"):
        return _verdict("delete-outside", "ask", what)
    if spot.kind == "unknown" and flags & {"r", "f"}:
        return _verdict("delete-unknown", "ask", what)
    return None


def _via_find(invocation: Invocation) -> bool:
    # find -exec / -delete stand for the files find matches under its root, not the root.
    return any(step.startswith("find") for step in invocation.via)


def _write(invocation: Invocation, spot: Place) -> Verdict | None:
    what = f"`{invocation.source}` writes to {spot.describe()}"
    if spot.kind == "device":
        return _verdict("disk-write", "deny", f"{what}: the data on it is destroyed")
    if invocation.program == "mv" and spot.path == "/dev/null":
        return _verdict("move-critical", "deny", f"`{invocation.source}` throws a file away")
    if spot.kind == "system":
        if is_critical_file(spot.path) or invocation.program == "truncate":
            return _verdict("write-system", "deny", what)
        return _verdict("write-system", "ask", what)
    if spot.kind in ("outside", "secrets"):
        return _verdict("write-outside", "ask", what)
    return None


def _permissions(invocation: Invocation, spot: Place) -> Verdict | None:
    mode, _ = mode_and_paths(invocation.args)
    deep = recursive(invocation.args)
    what = f"`{invocation.source}` changes permissions of {spot.describe()}"
    if spot.kind in ("root", "home", "ancestor") or (deep and spot.critical):
        return _verdict("permissions-system", "deny", what)
    if spot.kind in ("system", "device") and mode in _WORLD_WRITABLE:
        return _verdict("permissions-system", "deny", f"{what} to world-writable")
    if spot.kind == "system":
        return _verdict("permissions-system", "ask", what)
    if deep and spot.kind == "outside":
        return _verdict("permissions-outside", "ask", what)
    return None


def _disk_tool(invocation: Invocation, context: GuardContext) -> Verdict | None:
    args = invocation.args
    if invocation.program in _PARTITIONERS and (
        "-l" in args or "--list" in args or "list" in args or "print" in args
    ):
        return None
    if invocation.program == "wipefs" and ("-n" in args or "--no-act" in args or len(args) == 0):
        return None
    places = [place(a, context) for a in operands(args, _DISK_VALUE_OPTIONS)]
    devices = [p.path for p in places if p.kind == "device"]
    if devices:
        return _verdict("format", "deny", f"`{invocation.source}` erases the disk {devices[0]}")
    if places and all(p.kind in ("project", "temp") for p in places):
        return None  # an image file in the project or in a temporary folder
    return _verdict("format", "ask", f"`{invocation.source}` formats or repartitions storage")
