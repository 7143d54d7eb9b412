"""What wrapper programs run: `sudo rm` runs rm, `bash -c CODE` runs CODE, `find -exec` runs….

Each wrapper is described by data (which options take a value, how many operands come before
the command) so one option walker serves them all; the few with their own grammar (env,
xargs, parallel, ssh, su, watch, find) have a small function each.
"""

from __future__ import annotations

import posixpath
from typing import NamedTuple

from handrail.guard.model import Invocation

# Wrappers that rule families judge as programs of their own (where the command runs, what
# the connection carries), besides the command they run.
JUDGED_WRAPPERS = frozenset({"ssh", "docker", "podman", "docker-compose", "kubectl", "oc"})
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "yash", "fish"})


class Word(NamedTuple):
    """One shell word after quote removal; unresolved words keep their source text."""

    text: str
    resolved: bool = True
    feeds: tuple[Invocation, ...] = ()  # commands run to compute this word ($(…))


class Peeled(NamedTuple):
    command: list[Word] | None  # the wrapped command; None: the wrapper runs no program
    privileged: bool = False
    assignments: tuple[tuple[str, str], ...] = ()
    shell_text: Word | None = None  # the wrapper hands this text to a shell (su -c, watch)


class Wrapper(NamedTuple):
    value_options: frozenset[str] = frozenset()  # options whose value is the next word
    operands: int = 0  # words between the options and the command (timeout's DURATION)
    privileged: bool = False
    runs_nothing: frozenset[str] = frozenset()  # `command -v`, `sudo -l`: a lookup, no program


def _options(*names: str) -> frozenset[str]:
    return frozenset(names)


WRAPPERS: dict[str, Wrapper] = {
    "sudo": Wrapper(
        _options("-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-T", "-U", "--user")
        | _options("--group", "--host", "--prompt", "--close-from", "--chdir", "--role")
        | _options("--type", "--command-timeout", "--other-user"),
        privileged=True,
        runs_nothing=_options("-l", "--list", "-v", "--validate", "-K", "-V", "--version", "-e")
        | _options("--edit"),
    ),
    "doas": Wrapper(_options("-u", "-C"), privileged=True, runs_nothing=_options("-L")),
    "run0": Wrapper(_options("-u", "--user", "-D", "--chdir"), privileged=True),
    "pkexec": Wrapper(_options("--user"), privileged=True),
    "command": Wrapper(runs_nothing=_options("-v", "-V")),
    "builtin": Wrapper(),
    "exec": Wrapper(_options("-a")),
    "nohup": Wrapper(),
    "setsid": Wrapper(),
    "time": Wrapper(_options("-f", "-o", "--format", "--output")),
    "nice": Wrapper(_options("-n", "--adjustment")),
    "ionice": Wrapper(
        _options("-c", "-n", "--class", "--classdata"), runs_nothing=_options("-p", "--pid")
    ),
    "stdbuf": Wrapper(_options("-i", "-o", "-e", "--input", "--output", "--error")),
    "timeout": Wrapper(_options("-s", "-k", "--signal", "--kill-after"), operands=1),
    "gtimeout": Wrapper(_options("-s", "-k", "--signal", "--kill-after"), operands=1),
    "taskset": Wrapper(operands=1, runs_nothing=_options("-p", "--pid")),
    "chrt": Wrapper(operands=1, runs_nothing=_options("-p", "--pid")),
    "chroot": Wrapper(_options("--userspec", "--groups"), operands=1, privileged=True),
    "unbuffer": Wrapper(),
    "caffeinate": Wrapper(_options("-t", "-w")),
    "busybox": Wrapper(),
    "nocorrect": Wrapper(),
    "noglob": Wrapper(),
    "strace": Wrapper(_options("-o", "-e", "-p", "-s", "-u", "-E", "-I", "-a", "-b", "-O")),
    "ltrace": Wrapper(_options("-o", "-e", "-p", "-s", "-u", "-a", "-n")),
    "proxychains": Wrapper(_options("-f")),
    "proxychains4": Wrapper(_options("-f")),
    "torsocks": Wrapper(_options("-u", "-p", "-a", "-P")),
    "flock": Wrapper(_options("-w", "-E", "--timeout", "--conflict-exit-code"), operands=1),
}
_SSH_VALUE_OPTIONS = frozenset("-" + letter for letter in "BbcDEeFIiJLlmOopQRSWw")
_XARGS_VALUE_OPTIONS = _options(
    "-I", "-n", "-L", "-P", "-d", "-E", "-a", "-s", "--max-args", "--max-lines", "--max-procs"
) | _options("--delimiter", "--arg-file", "--eof", "--max-chars", "--process-slot-var")
_PARALLEL_VALUE_OPTIONS = _options(
    "-j", "--jobs", "-S", "--sshlogin", "-a", "--arg-file", "-d", "--delimiter", "-I"
) | _options("--joblog", "--results", "--timeout", "-N", "-n", "--colsep", "-C", "--tmpdir")
_WATCH_VALUE_OPTIONS = _options("-n", "--interval", "-q", "--equexit")


def _walk_options(
    words: list[Word], start: int, value_options: frozenset[str], stop: frozenset[str]
) -> tuple[int, str | None]:
    """Index of the first word after the options, and the option from `stop` met, if any."""
    index = start
    while index < len(words):
        text = words[index].text
        if text == "--":
            return index + 1, None
        if not text.startswith("-") or text == "-":
            return index, None
        if text.startswith("--"):
            name, has_value, _ = text.partition("=")
            if name in stop:
                return index, name
            index += 2 if name in value_options and not has_value else 1
            continue
        for position, letter in enumerate(text[1:], start=1):
            option = "-" + letter
            if option in stop:
                return index, option
            if option in value_options:
                if position == len(text) - 1:
                    index += 1  # the value is the next word; otherwise it is attached
                break
        index += 1
    return index, None


def peel(name: str, words: list[Word]) -> Peeled | None:
    """The command a wrapper runs, or None when `name` is not a wrapper."""
    special = _SPECIAL.get(name)
    if special is not None:
        return special(words)
    wrapper = WRAPPERS.get(name)
    return None if wrapper is None else _peel_with(wrapper, words)


def _peel_with(wrapper: Wrapper, words: list[Word]) -> Peeled:
    index, stopped = _walk_options(words, 1, wrapper.value_options, wrapper.runs_nothing)
    if stopped is not None:
        return Peeled(None)
    command = words[index + wrapper.operands :]
    return Peeled(command or None, wrapper.privileged)


def _env(words: list[Word]) -> Peeled:
    index, _ = _walk_options(
        words, 1, _options("-u", "--unset", "-C", "--chdir", "-S", "--split-string"), frozenset()
    )
    split = next(
        (words[i + 1] for i in range(1, index - 1) if words[i].text in ("-S", "--split-string")),
        None,
    )
    assignments: list[tuple[str, str]] = []
    while index < len(words) and _is_assignment(words[index].text):
        name, _, value = words[index].text.partition("=")
        assignments.append((name, value))
        index += 1
    command = words[index:]
    if split is not None:
        command = [Word(part) for part in split.text.split()] + command
    return Peeled(command or None, assignments=tuple(assignments))


def _is_assignment(text: str) -> bool:
    name, equals, _ = text.partition("=")
    return bool(equals) and name.replace("_", "a").isalnum() and not name[0].isdigit()


def _xargs(words: list[Word]) -> Peeled:
    index, _ = _walk_options(words, 1, _XARGS_VALUE_OPTIONS, frozenset())
    return Peeled(words[index:] or [Word("echo")])


def _parallel(words: list[Word]) -> Peeled:
    index, _ = _walk_options(words, 1, _PARALLEL_VALUE_OPTIONS, frozenset())
    command: list[Word] = []
    inputs: list[Word] = []
    target = command
    for word in words[index:]:
        if word.text.startswith(":::"):
            target = inputs
        else:
            target.append(word)
    if len(command) == 1 and " " in command[0].text:  # parallel 'rm -rf {}' ::: a b
        joined = " ".join([command[0].text, *(w.text for w in inputs)])
        return Peeled([], shell_text=Word(joined, command[0].resolved, command[0].feeds))
    return Peeled((command + inputs) or None)


def _joined(words: list[Word]) -> Word:
    feeds = tuple(inv for word in words for inv in word.feeds)
    return Word(" ".join(word.text for word in words), not feeds, feeds)


def _ssh(words: list[Word]) -> Peeled | None:
    index, _ = _walk_options(words, 1, _SSH_VALUE_OPTIONS, frozenset())
    remote = words[index + 1 :]
    if not remote:
        return None  # an interactive login, or a script on stdin: `follow` reads that
    return Peeled([], shell_text=_joined(remote))


def _su(words: list[Word]) -> Peeled:
    for index, word in enumerate(words):
        if word.text in ("-c", "--command") and index + 1 < len(words):
            return Peeled([], privileged=True, shell_text=words[index + 1])
        if word.text.startswith("--command="):
            return Peeled([], privileged=True, shell_text=Word(word.text.partition("=")[2]))
        if word.text == "--" and index + 1 < len(words):  # runuser -u USER -- CMD
            return Peeled(words[index + 1 :], privileged=True)
    return Peeled(None)


def _watch(words: list[Word]) -> Peeled:
    index, _ = _walk_options(words, 1, _WATCH_VALUE_OPTIONS, frozenset())
    command = words[index:]
    exec_mode = any(w.text in ("-x", "--exec") for w in words[1:index])
    if not command:
        return Peeled(None)
    return Peeled(command) if exec_mode else Peeled([], shell_text=_joined(command))


def _flock(words: list[Word]) -> Peeled:
    for index, word in enumerate(words):
        if word.text in ("-c", "--command") and index + 1 < len(words):
            return Peeled([], shell_text=words[index + 1])
    return _peel_with(WRAPPERS["flock"], words)


_DOCKER_EXEC_VALUE_OPTIONS = _options(
    "-e", "--env", "-u", "--user", "-w", "--workdir", "--env-file", "--detach-keys", "--index"
)


def _container_exec(words: list[Word]) -> Peeled | None:
    """`docker exec [opts] CONTAINER CMD…`, `docker compose exec SERVICE CMD…`, and
    `kubectl exec POD -- CMD…`: the command runs in the container."""
    texts = [w.text for w in words]
    if "exec" not in texts[1:3] and texts[1:3] != ["compose", "exec"]:
        return None
    start = texts.index("exec") + 1
    if words[0].text in ("kubectl", "oc"):
        return Peeled(words[texts.index("--") + 1 :] or None) if "--" in texts else None
    index, _ = _walk_options(words, start, _DOCKER_EXEC_VALUE_OPTIONS, frozenset())
    return Peeled(words[index + 1 :] or None)


_SPECIAL = {
    "docker": _container_exec,
    "podman": _container_exec,
    "docker-compose": _container_exec,
    "kubectl": _container_exec,
    "oc": _container_exec,
    "env": _env,
    "xargs": _xargs,
    "parallel": _parallel,
    "ssh": _ssh,
    "su": _su,
    "runuser": _su,
    "watch": _watch,
    "flock": _flock,
}


# ---- code a program runs ------------------------------------------------------------------


class CodeSource(NamedTuple):
    kind: str  # "text": code in an argument; "stdin": code on stdin; "file": a script file
    text: Word | None = None
    option: str = ""  # how it was given, for reasons: "-c", "-e"


_INTERPRETER_OPTIONS: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {
    # language: (options taking a value, options whose value is code, options naming a file)
    "python": (_options("-W", "-X", "-Q"), _options("-c"), _options()),
    "javascript": (
        _options("-r", "--require", "--import", "--loader", "-C", "--input-type"),
        _options("-e", "--eval", "-p", "--print"),
        _options(),
    ),
    "perl": (_options("-I", "-M", "-m", "-x"), _options("-e", "-E"), _options()),
    "ruby": (_options("-r", "-I", "-C", "-E"), _options("-e"), _options()),
    "php": (_options("-c", "-d"), _options("-r"), _options("-f")),
    "awk": (_options("-F", "-v"), _options(), _options("-f")),
}


def code_source(inv: Invocation, words: list[Word]) -> CodeSource | None:
    """Where the program takes code from, for shells, interpreters, eval, source, trap…"""
    name = inv.program
    if name in ("eval",):
        return CodeSource("text", _joined(words[1:]), "") if len(words) > 1 else None
    if name == "trap" and len(words) > 2 and not words[1].text.startswith("-"):
        return CodeSource("text", words[1], "")
    if name == "alias":
        for word in words[1:]:
            if "=" in word.text:
                value = word.text.partition("=")[2]
                return CodeSource("text", Word(value, word.resolved, word.feeds), "")
        return None
    if name in ("source", "."):
        return CodeSource("file", words[1], "") if len(words) > 1 else None
    if name == "script" and "-c" in (w.text for w in words):
        index = [w.text for w in words].index("-c")
        return CodeSource("text", words[index + 1], "-c") if index + 1 < len(words) else None
    language = language_of(name)
    if language == "shell":
        return _shell_code(words)
    if language is None:
        return None
    if language == "awk":
        return _awk_code(words)
    if name.startswith("python") and any(w.text == "-m" for w in words[1:2]):
        return None  # python -m MODULE: a module, not code text
    values, code_options, file_options = _INTERPRETER_OPTIONS[language]
    return _interpreter_code(words, values, code_options, file_options)


def _shell_code(words: list[Word]) -> CodeSource:
    index = 1
    command_mode = stdin_mode = False
    while index < len(words):
        text = words[index].text
        if text == "--":
            index += 1
            break
        if len(text) < 2 or text[0] not in "-+":
            break
        if text in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
            index += 2
            continue
        if not text.startswith("--"):
            command_mode = command_mode or (text[0] == "-" and "c" in text)
            stdin_mode = stdin_mode or (text[0] == "-" and "s" in text)
        index += 1
    if command_mode:
        return CodeSource("text", words[index], "-c") if index < len(words) else CodeSource("none")
    if stdin_mode or index >= len(words) or words[index].text == "-":
        return CodeSource("stdin")
    return CodeSource("file", words[index])


def _interpreter_code(
    words: list[Word],
    value_options: frozenset[str],
    code_options: frozenset[str],
    file_options: frozenset[str],
) -> CodeSource:
    code: list[Word] = []
    option = ""
    index = 1
    while index < len(words):
        text = words[index].text
        if text == "--" or not text.startswith("-") or text == "-":
            break
        name = text if text.startswith("--") else text[:2]
        last = text if text.startswith("--") else "-" + text[-1]
        if last in code_options or name in code_options:
            option = last if last in code_options else name
            attached = text[2:] if name in code_options and len(text) > 2 else ""
            if attached and not text.startswith("--"):
                code.append(Word(attached))
            elif index + 1 < len(words):
                code.append(words[index + 1])
                index += 1
        elif name in file_options and index + 1 < len(words):
            return CodeSource("file", words[index + 1], name)
        elif name in value_options and len(text) == 2:
            index += 1
        index += 1
    if code:
        return CodeSource("text", _joined_lines(code), option)
    if index >= len(words) or words[index].text == "-":
        return CodeSource("stdin")
    return CodeSource("file", words[index])


def _joined_lines(words: list[Word]) -> Word:
    feeds = tuple(inv for word in words for inv in word.feeds)
    return Word("\n".join(w.text for w in words), all(w.resolved for w in words), feeds)


def _awk_code(words: list[Word]) -> CodeSource | None:
    index = 1
    while index < len(words):
        text = words[index].text
        if text in ("-f", "--file") and index + 1 < len(words):
            return CodeSource("file", words[index + 1], "-f")
        if text == "--":
            index += 1
            break
        if not text.startswith("-"):
            break
        index += 2 if text in ("-F", "-v") else 1
    return CodeSource("text", words[index], "") if index < len(words) else None


SHELL_LANGUAGE = "shell"
_LANGUAGES = {
    "node": "javascript",
    "nodejs": "javascript",
    "bun": "javascript",
    "deno": "javascript",
    "perl": "perl",
    "ruby": "ruby",
    "php": "php",
    "awk": "awk",
    "gawk": "awk",
    "mawk": "awk",
    "nawk": "awk",
}


def language_of(program: str) -> str | None:
    if program in SHELLS:
        return SHELL_LANGUAGE
    if program.startswith(("python", "pypy")) and program.rstrip("0123456789.").endswith(
        ("python", "pypy")
    ):
        return "python"
    language = _LANGUAGES.get(program)
    return language if language in _INTERPRETER_OPTIONS else None


# ---- find -exec / -delete -----------------------------------------------------------------


class Nested(NamedTuple):
    words: list[Word]
    label: str


_FIND_ACTIONS = ("-exec", "-execdir", "-ok", "-okdir")


def nested_invocations(inv: Invocation, words: list[Word]) -> list[Nested]:
    """Commands a program runs from its own arguments (find's -exec and -delete)."""
    if inv.program not in ("find", "gfind"):
        return []
    index = 1
    while index < len(words) and words[index].text in ("-H", "-L", "-P"):
        index += 1
    roots: list[Word] = []
    while index < len(words) and not words[index].text.startswith(("-", "(", "!")):
        roots.append(words[index])
        index += 1
    roots = roots or [Word(".")]
    nested: list[Nested] = []
    while index < len(words):
        text = words[index].text
        if text in _FIND_ACTIONS:
            end = index + 1
            while end < len(words) and words[end].text not in (";", "+"):
                end += 1
            action = words[index + 1 : end]
            for root in roots:
                replaced = [
                    Word(w.text.replace("{}", root.text), w.resolved and root.resolved, w.feeds)
                    for w in action
                ]
                if replaced:
                    nested.append(Nested(replaced, f"find {text}"))
            index = end
        elif text == "-delete":
            # find -delete removes what matches under each root, directories included.
            nested.append(
                Nested([Word("rm"), Word("-r"), Word("-f"), Word("--"), *roots], "find -delete")
            )
        index += 1
    return nested


# ---- what feeds a pipe --------------------------------------------------------------------


def static_output(inv: Invocation) -> str | None:
    """What a command writes to its stdout when that is known without running it."""
    if inv.unresolved:
        return None
    if inv.program == "echo":
        words = list(inv.args)
        while words and words[0] in ("-n", "-e", "-E", "-ne", "-en"):
            words.pop(0)
        return " ".join(words) + "\n"
    if inv.program == "printf" and inv.args:
        return _printf(inv.args[0], inv.args[1:])
    if inv.program == "cat" and not inv.args and inv.stdin_text is not None:
        return inv.stdin_text
    return None


def static_pipeline(stages: tuple[Invocation, ...]) -> str | None:
    """The output of a pipeline whose first stage prints known text and whose other stages
    only decode it (base64 -d, xxd -r, rev, cat): `echo cm0gLXJmIH4= | base64 -d` → `rm -rf ~`."""
    if not stages or any(s.upstream != stages[:i] for i, s in enumerate(stages) if i):
        return None
    text = static_output(stages[0])
    for stage in stages[1:]:
        if text is None:
            return None
        text = _decode(stage, text)
    return text


def _decode(stage: Invocation, text: str) -> str | None:
    args = set(stage.args)
    try:
        if stage.program == "base64" and args & {"-d", "--decode", "-D"}:
            import base64

            return base64.b64decode("".join(text.split())).decode("utf-8", "replace")
        if stage.program == "xxd" and "-r" in args and "-p" in args:
            return bytes.fromhex("".join(text.split())).decode("utf-8", "replace")
    except ValueError:
        return None
    if stage.program == "rev" and not stage.args:
        return "\n".join(line[::-1] for line in text.rstrip("\n").split("\n")) + "\n"
    if stage.program == "cat" and not stage.args:
        return text
    return None


def _printf(template: str, values: tuple[str, ...]) -> str | None:
    """printf with %s / %b / %% only (as most one-liners use it); None for anything else."""
    from handrail.guard.words import ansi_c

    pieces = template.split("%")
    out = [ansi_c(pieces[0])]
    remaining = list(values)
    for piece in pieces[1:]:
        if not piece:
            out.append("%")
            continue
        if piece[0] not in "sb":
            return None
        out.append(remaining.pop(0) if remaining else "")
        out.append(ansi_c(piece[1:]))
    if remaining and len(pieces) > 1:  # the format repeats for the leftover values
        rest = _printf(template, tuple(remaining))
        return None if rest is None else "".join(out) + rest
    return "".join(out)


def xargs_input(words: list[Word], text: str) -> list[str]:
    """The items xargs reads from `text`: NUL-separated with -0, else blank-separated."""
    flags = {w.text for w in words[1:]}
    if "-0" in flags or "--null" in flags:
        return [item for item in text.split("\0") if item.strip("\n")]
    return text.split()


def xargs_replace_string(words: list[Word]) -> str | None:
    for index, word in enumerate(words[1:], start=1):
        text = word.text
        if text in ("-I", "--replace") and index + 1 < len(words):
            return words[index + 1].text
        if text.startswith("-I") and len(text) > 2:
            return text[2:]
        if text in ("-i", "--replace"):
            return "{}"
    return None


# ---- downloads ----------------------------------------------------------------------------


def download_targets(inv: Invocation) -> list[str]:
    """Files a curl / wget invocation writes, normalized, so running them can be caught."""
    args = inv.args
    urls = [a for a in args if "://" in a]
    targets: list[str] = []
    if inv.program == "curl":
        for index, arg in enumerate(args):
            if arg in ("-o", "--output") and index + 1 < len(args):
                targets.append(args[index + 1])
            elif arg.startswith("-") and not arg.startswith("--") and arg.endswith("o"):
                if index + 1 < len(args):
                    targets.append(args[index + 1])
            elif arg in ("-O", "--remote-name") or (
                arg.startswith("-") and not arg.startswith("--") and "O" in arg
            ):
                targets.extend(_url_name(url) for url in urls)
    elif inv.program == "wget":
        named = [
            args[i + 1] if a in ("-O", "--output-document") else a.partition("=")[2]
            for i, a in enumerate(args[:-1] if args else args)
            if a in ("-O", "--output-document") or a.startswith("--output-document=")
        ]
        targets.extend(named or [_url_name(url) for url in urls])
    return [posixpath.normpath(t) for t in targets if t and t != "-"]


def _url_name(url: str) -> str:
    return posixpath.basename(url.split("?", 1)[0].split("#", 1)[0])
