"""`handrail guard install --agent A [--scope project|user]`: put the guard in the agent's hooks.

The agent's settings file is merged, never replaced: every other key and hook stays as it was,
an earlier handrail entry is updated in place (installing twice adds nothing), and a file that
does not parse is reported with its line and left untouched. The new file is written
atomically, through a symlink to its target (dotfile managers link these files).

The installed command is the absolute path of the running `handrail`, so the hook works
whatever the agent's PATH is, followed by a shell fallback: if handrail cannot run at all the
call is blocked (exit 2, which every supported agent reads as "block"), never let through.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handrail.errors import HandrailError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

SCOPES = ("project", "user")
TIMEOUT_SECONDS = 30
CLAUDE_MATCHERS = ("Bash|Write|Edit|MultiEdit|NotebookEdit", "mcp__.*")
CODEX_MATCHER = "Bash|apply_patch|mcp__.*"
# Gemini's MCP tools are `mcp__<server>__<tool>` (older versions: `<server>__<tool>`).
GEMINI_MATCHER = "run_shell_command|write_file|replace|edit|mcp__.*|.*__.*"


@dataclass(frozen=True)
class InstallResult:
    agent: str
    scope: str
    path: str  # the settings file
    created: bool  # the file did not exist before
    changed: bool  # the file was written (False: the hook was already installed)
    changes: list[str]  # what was added or updated, e.g. "hooks.PreToolUse[Bash|…]: added"
    command: str  # the hook command now in the file
    notes: list[str] = field(default_factory=list)  # what the user still has to do

    def summary(self) -> list[str]:
        """Lines for a human."""
        if self.changed:
            head = f"{'created' if self.created else 'updated'} {self.path}"
        else:
            head = f"{self.path}: handrail guard is already installed; nothing changed"
        return [head, *(f"  {change}" for change in self.changes),
                f"  hook command: {self.command}", *self.notes]  # fmt: skip


@dataclass(frozen=True)
class _Layout:
    """Where one agent keeps its hooks, and the entries the guard needs there."""

    relative_path: str
    events: tuple[tuple[str, tuple[str | None, ...]], ...]  # (event, matchers); None: no matcher
    handler: Callable[[str], dict[str, Any]]  # the hook entry for a command
    notes: tuple[str, ...]
    top_level: tuple[tuple[str, Any], ...] = ()  # keys the file must have (Cursor's version)
    # `|| exit 2` when handrail cannot start; Cursor has `failClosed` for that instead.
    shell_fallback: bool = True


def _claude_handler(command: str) -> dict[str, Any]:
    return {"type": "command", "command": command, "timeout": TIMEOUT_SECONDS}


def _codex_handler(command: str) -> dict[str, Any]:
    return {**_claude_handler(command), "statusMessage": "handrail guard"}


def _cursor_handler(command: str) -> dict[str, Any]:
    # failClosed: a crash or a timeout blocks the action instead of letting it through.
    return {"command": command, "timeout": TIMEOUT_SECONDS, "failClosed": True}


def _gemini_handler(command: str) -> dict[str, Any]:
    return {
        "type": "command",
        "name": "handrail-guard",
        "command": command,
        "timeout": TIMEOUT_SECONDS * 1000,  # milliseconds in Gemini CLI
        "description": "handrail guard: allow / ask / deny before a tool runs",
    }


LAYOUTS: dict[str, _Layout] = {
    "claude": _Layout(
        ".claude/settings.json",
        (("PreToolUse", CLAUDE_MATCHERS),),
        _claude_handler,
        ("Claude Code loads hooks when a session starts: restart it, then check with /hooks.",),
    ),
    "codex": _Layout(
        ".codex/hooks.json",
        (("PreToolUse", (CODEX_MATCHER,)),),
        _codex_handler,
        (
            "Codex runs a new hook only once you have reviewed and trusted it: open /hooks.",
            "Codex versions before hooks were on by default also need `[features]`"
            " `codex_hooks = true` in config.toml; project hooks load only in trusted projects.",
        ),
    ),
    "cursor": _Layout(
        ".cursor/hooks.json",
        (("beforeShellExecution", (None,)), ("beforeMCPExecution", (None,))),
        _cursor_handler,
        ("Restart Cursor; its Hooks settings tab shows whether the hook ran.",),
        top_level=(("version", 1),),
        shell_fallback=False,
    ),
    "gemini": _Layout(
        ".gemini/settings.json",
        (("BeforeTool", (GEMINI_MATCHER,)),),
        _gemini_handler,
        (
            "Restart Gemini CLI and check with /hooks; versions where hooks are off by default"
            ' also need "hooksConfig": {"enabled": true} in settings.json.',
        ),
    ),
}


def install(
    agent: str, root: str, scope: str, executable: Sequence[str] | None = None
) -> InstallResult:
    """Add (or update) the guard's hook in the agent's project or user settings file."""
    if agent not in LAYOUTS:
        raise HandrailError(f"--agent: unknown agent {agent!r} (one of {', '.join(LAYOUTS)})")
    if scope not in SCOPES:
        raise HandrailError(f"--scope: must be project or user, not {scope!r}")
    layout = LAYOUTS[agent]
    path = _settings_path(layout, root, scope)
    command = hook_command(agent, executable or guard_executable(), layout.shell_fallback)
    text = _read(path)
    original = _parse(text, path) if text is not None else {}
    document = json.loads(json.dumps(original))  # a deep copy to merge into
    changes = _merge(document, layout, agent, command, path)
    changed = document != original or text is None
    if changed:
        indent = _indent(text or "")
        _write_atomically(path, json.dumps(document, indent=indent, ensure_ascii=False) + "\n")
    return InstallResult(
        agent, scope, str(path), text is None, changed, changes, command, list(layout.notes)
    )


def guard_executable() -> list[str]:
    """How to start this very handrail: its absolute path, else `python -m handrail`."""
    import shutil
    import sys

    launched = sys.argv[0]
    if Path(launched).name in ("handrail", "handrail.exe") and Path(launched).is_file():
        return [os.path.abspath(launched)]  # noqa: PTH100 - keep symlinks (pipx, ~/.local/bin)
    found = shutil.which("handrail")
    if found:
        return [os.path.abspath(found)]  # noqa: PTH100
    return [sys.executable, "-m", "handrail"]


def hook_command(agent: str, executable: Sequence[str], shell_fallback: bool = True) -> str:
    guard = shlex.join([*executable, "guard", "--agent", agent])
    if not shell_fallback:
        return guard
    # If handrail cannot start (uninstalled, broken environment), block rather than pass.
    return (
        f'{guard} || {{ echo "handrail guard could not run (exit $?); the tool call is blocked'
        ' to be safe" >&2; exit 2; }'
    )


def is_guard_command(command: object, agent: str) -> bool:
    """Whether a hook command is handrail's guard hook for `agent` (a current or older one)."""
    if not isinstance(command, str):
        return False
    try:
        words = shlex.split(command.partition("||")[0])
    except ValueError:
        return False
    for index, word in enumerate(words):
        if word != "guard" or index == 0:
            continue
        launcher = words[index - 1]
        if Path(launcher).name.removesuffix(".exe") != "handrail" and launcher != "handrail":
            continue
        rest = [part for word in words[index + 1 :] for part in word.split("=", 1)]
        named = rest[rest.index("--agent") + 1] if "--agent" in rest[:-1] else "claude"
        return named == agent and not {"check", "install", "shell"} & set(rest)
    return False


def _settings_path(layout: _Layout, root: str, scope: str) -> Path:
    if scope == "user":
        try:
            base = Path.home()
        except RuntimeError as error:
            raise HandrailError(f"--scope user: no home directory ({error})") from error
    else:
        base = Path(root)
        if not base.is_dir():
            raise HandrailError(f"{root}: not a directory (the project to install into)")
    path = base / layout.relative_path
    return path.resolve() if path.is_symlink() else path


def _read(path: Path) -> str | None:
    """The file's text; None when there is no file yet."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise HandrailError(f"{path}: cannot read: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise HandrailError(
            f"{path}: not UTF-8 text (byte {error.start}); left unchanged"
        ) from error


def _parse(text: str, path: Path) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise HandrailError(
            f"{path}:{error.lineno}:{error.colno}: invalid JSON ({error.msg}); the file was"
            " left unchanged: fix it, then install again"
        ) from error
    if not isinstance(document, dict):
        raise HandrailError(
            f"{path}: holds a JSON {type(document).__name__}, expected an object;"
            " the file was left unchanged"
        )
    return document


def _merge(
    document: dict[str, Any], layout: _Layout, agent: str, command: str, path: Path
) -> list[str]:
    changes: list[str] = []
    for key, value in layout.top_level:
        if key not in document:
            document[key] = value
            changes.append(f"{key}: {value}")
    hooks = _container(document, "hooks", dict, path, "hooks")
    for event, matchers in layout.events:
        entries = _container(hooks, event, list, path, f"hooks.{event}")
        for matcher in matchers:
            where = f"hooks.{event}" + (f"[{matcher}]" if matcher else "")
            wanted = layout.handler(command)
            outcome = (
                _place_handler(entries, wanted, agent)
                if matcher is None
                else _place_group(entries, matcher, wanted, agent)
            )
            if outcome:
                changes.append(f"{where}: {outcome}")
        if None not in matchers and _drop_stale(entries, matchers, agent):
            changes.append(f"hooks.{event}: removed an older handrail entry")
    return changes


def _container(parent: dict[str, Any], key: str, kind: type, path: Path, where: str) -> Any:
    value = parent.setdefault(key, kind())
    if not isinstance(value, kind):
        expected = "an object" if kind is dict else "a list"
        raise HandrailError(
            f"{path}: {where} is a {type(value).__name__}, expected {expected};"
            " the file was left unchanged"
        )
    return value


def _place_handler(entries: list[Any], wanted: dict[str, Any], agent: str) -> str | None:
    """A flat list of handlers (Cursor): update ours, or add it."""
    for index, entry in enumerate(entries):
        if isinstance(entry, dict) and is_guard_command(entry.get("command"), agent):
            entries[index] = {**entry, **wanted}
            return None if entries[index] == entry else "updated"
    entries.append(wanted)
    return "added"


def _place_group(
    entries: list[Any], matcher: str, wanted: dict[str, Any], agent: str
) -> str | None:
    """Matcher groups (Claude Code, Codex, Gemini): ours under `matcher`, updated or added."""
    for group in entries:
        handlers = group.get("hooks") if isinstance(group, dict) else None
        if group_matcher(group) != matcher or not isinstance(handlers, list):
            continue
        for index, handler in enumerate(handlers):
            if isinstance(handler, dict) and is_guard_command(handler.get("command"), agent):
                handlers[index] = {**handler, **wanted}
                return None if handler == handlers[index] else "updated"
    entries.append({"matcher": matcher, "hooks": [wanted]})
    return "added"


def _drop_stale(entries: list[Any], matchers: tuple[str | None, ...], agent: str) -> bool:
    """Remove our handlers left under matchers an older version used (an upgrade, no twin)."""
    dropped = False
    for group in list(entries):
        handlers = group.get("hooks") if isinstance(group, dict) else None
        if group_matcher(group) in matchers or not isinstance(handlers, list):
            continue
        kept = [
            h
            for h in handlers
            if not (isinstance(h, dict) and is_guard_command(h.get("command"), agent))
        ]
        if len(kept) != len(handlers):
            dropped = True
            if kept:
                handlers[:] = kept
            else:
                entries.remove(group)
    return dropped


def group_matcher(group: object) -> object:
    return group.get("matcher") if isinstance(group, dict) else None


def _indent(text: str) -> int | str:
    """The existing file's indentation, so a merge does not reformat the whole file."""
    found = re.search(r"^([ \t]+)\S", text, re.MULTILINE)
    if found is None:
        return 2
    return "\t" if found.group(1).startswith("\t") else len(found.group(1))


def _write_atomically(path: Path, text: str) -> None:
    import tempfile

    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        temporary = Path(name)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        temporary.chmod(mode)
        temporary.replace(path)
    except OSError as error:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise HandrailError(f"{path}: cannot write: {error.strerror}") from error


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
