"""Where a path points, in the terms the guard's decisions use (root, home, system, project…).

Pure string work on normalized paths: no file system access, so it is fast and predictable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from handrail.guard.words import absolute, glob_base, within

if TYPE_CHECKING:
    from handrail.guard.model import GuardContext

SYSTEM_DIRS = (
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/opt", "/proc",
    "/root", "/sbin", "/srv", "/sys", "/usr", "/var", "/snap", "/nix", "/mnt", "/media",
    "/System", "/Library", "/Applications", "/private", "/Volumes", "/cores", "/home", "/Users",
)  # fmt: skip
TEMP_DIRS = ("/tmp", "/var/tmp", "/private/tmp", "/var/folders", "/private/var/folders", "/dev/shm")
# Folders in the home directory that hold keys and cloud credentials.
SECRET_HOME_DIRS = (".ssh", ".gnupg", ".aws", ".kube", ".azure", ".config/gcloud", ".docker")
HARMLESS_DEVICES = (
    "/dev/null", "/dev/stdout", "/dev/stderr", "/dev/stdin", "/dev/tty", "/dev/zero",
    "/dev/random", "/dev/urandom", "/dev/full",
)  # fmt: skip
# Files whose damage stops a machine or locks people out.
CRITICAL_FILES = (
    "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/sudoers", "/etc/fstab",
    "/etc/hosts", "/etc/resolv.conf", "/etc/pam.d", "/etc/ssh", "/boot",
)  # fmt: skip


class Place(NamedTuple):
    kind: str  # root, home, ancestor, system, secrets, device, temp-root, temp, project-root,
    # git-dir, project, outside, unknown
    path: str  # the absolute path (or the text as written, when unknown)
    wildcard: bool = False  # the word was a glob: everything under `path`

    @property
    def critical(self) -> bool:
        """Losing or damaging it breaks the machine, the user's home or their keys."""
        return self.kind in ("root", "home", "ancestor", "system", "secrets", "device")

    def describe(self) -> str:
        shown = self.path + ("/*" if self.wildcard and self.path != "/" else "*" * self.wildcard)
        return {
            "root": f"the root directory ({shown})",
            "home": f"your home directory ({shown})",
            "ancestor": f"{shown}, which contains your home or the project",
            "system": f"the system path {shown}",
            "secrets": f"the credentials folder {shown}",
            "device": f"the device {shown}",
            "temp-root": f"the temporary folder {shown} itself",
            "project-root": f"the whole project ({shown})",
            "git-dir": f"the repository's history ({shown})",
            "outside": f"{shown}, outside the project",
            "unknown": f"`{shown}`, a path known only when the command runs",
        }.get(self.kind, shown)


def project_root(context: GuardContext) -> str:
    """The folder the agent may change freely: the git work tree, else the working directory."""
    return context.project_root or context.cwd


def place(word: str, context: GuardContext, resolved: bool = True) -> Place:
    if not resolved or "$" in word or "`" in word:
        return Place("unknown", word)
    base, wildcard = glob_base(word)
    path = absolute(base, context.cwd, context.home)
    if "$" in path:  # relative to a directory a `cd "$X"` made unknown
        return Place("unknown", path, wildcard)
    return Place(_kind(path, context), path, wildcard)


def _kind(path: str, context: GuardContext) -> str:
    home = context.home.rstrip("/") if context.home else None
    root = project_root(context).rstrip("/") or "/"
    if path == "/":
        return "root"
    if home and path == home:
        return "home"
    if within(home or "\0", path) or (root != "/" and within(root, path) and path != root):
        return "ancestor"
    if path.startswith("/dev/") and not within(path, "/dev/shm"):
        return "temp" if path in HARMLESS_DEVICES or path.startswith("/dev/fd/") else "device"
    if root != "/" and within(path, root):
        if path == root:
            return "project-root"
        return "git-dir" if path == f"{root}/.git" else "project"
    for temp in TEMP_DIRS:
        if within(path, temp):
            return "temp-root" if path == temp else "temp"
    if home and any(within(path, f"{home}/{folder}") for folder in SECRET_HOME_DIRS):
        return "secrets"
    if home and within(path, home):
        return "outside"
    if any(within(path, folder) for folder in SYSTEM_DIRS):
        return "system"
    return "outside"


def is_critical_file(path: str) -> bool:
    return any(within(path, critical) for critical in CRITICAL_FILES)
