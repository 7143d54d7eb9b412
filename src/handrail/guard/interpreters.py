"""Commands hidden in interpreter one-liners: `python -c`, `node -e`, `perl -e`, `ruby -e`…

Python code is read with `ast`: calls such as `os.system("…")`, `subprocess.run([...])` or
`shutil.rmtree("…")` with literal arguments become shell text or argv for the guard to judge.
For the other languages there is no parser here, so a small tokenizer (string literals,
comments and identifiers, never a pattern over raw text) finds the process-running and
deleting calls; any such call whose argument is not a plain literal is reported unresolved.
"""

from __future__ import annotations

from typing import NamedTuple


class Extracted:
    """What one piece of code runs: shell text, argv lists, and calls it could not read."""

    def __init__(self) -> None:
        self.shell: list[str] = []  # text run through a shell
        self.argv: list[list[str]] = []  # programs run directly
        self.unresolved: list[str] = []  # calls whose arguments are computed
        self.names: dict[str, object] = {}  # Python: `name = value` assignments seen


def extract(language: str, code: str) -> Extracted:
    if language == "python":
        return _python(code)
    return _scripting(language, code)


# ---- Python -------------------------------------------------------------------------------

_PY_SHELL = {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"}
_PY_ARGV = {
    "subprocess.run",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
    "subprocess.Popen",
}
_PY_EXEC = {"os.execv", "os.execve", "os.execvp", "os.execvpe", "os.spawnv", "os.spawnvp"}
_PY_EXECL = {"os.execl", "os.execle", "os.execlp", "os.execlpe"}
_PY_DELETE = {
    "shutil.rmtree": ("rm", "-r", "-f"),
    "os.remove": ("rm",),
    "os.unlink": ("rm",),
    "os.rmdir": ("rmdir",),
    "os.removedirs": ("rmdir",),
}
_PY_EVAL = {"exec", "eval", "compile"}


def _python(code: str) -> Extracted:
    import ast

    found = Extracted()
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        found.unresolved.append("code that does not parse")
        return found
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                found.names[target.id] = node.value
    calls = [
        (node, _dotted(node.func, aliases)) for node in ast.walk(tree) if isinstance(node, ast.Call)
    ]
    for node, name in calls:
        _python_call(node, name, found)
    _python_uploads(tree, calls, found)
    return found


_PY_NETWORK = ("urlopen", "requests.post", "requests.put", "requests.patch", "requests.request")
_PY_NETWORK += ("httpx.post", "httpx.put", "http.client", ".request", "socket.create_connection")
_PY_NETWORK += ("smtplib.SMTP", ".sendall", ".send")


def _python_uploads(tree: object, calls: list[tuple[object, str]], found: Extracted) -> None:
    """Code that talks to the network while it reads the whole environment or a file: shown
    to the rules as the shell equivalent (`env | curl …`, `curl --data-binary @file …`), so
    the secrets rules judge the data it can send."""
    import ast
    import shlex

    if not any(name.endswith(_PY_NETWORK) or name in _PY_NETWORK for _, name in calls):
        return
    urls = [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and "://" in str(n.value)
    ]
    url = shlex.quote(str(urls[0]) if urls else "https://unknown.invalid")
    narrow = set()  # os.environ["X"] / os.environ.get("X"): one variable, not all of them
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript | ast.Attribute) and _is_environ(node.value):
            narrow.add(id(node.value))
    if any(_is_environ(n) and id(n) not in narrow for n in ast.walk(tree)):
        found.shell.append(f"env | curl --data-binary @- {url}")
    for call, name in calls:
        if name.endswith((".read_bytes", ".read_text")) and isinstance(call.func, ast.Attribute):
            path = _literal(call.func.value, dict(found.names))
        elif name in ("open", "io.open") and call.args:
            path = _literal(call.args[0], dict(found.names))
        else:
            continue
        if path is not None:
            found.shell.append(f"curl --data-binary @{shlex.quote(path)} {url}")


def _is_environ(node: object) -> bool:
    import ast

    return isinstance(node, ast.Attribute) and node.attr == "environ"


def _dotted(node: object, aliases: dict[str, str]) -> str:
    import ast

    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value, aliases)}.{node.attr}"
    if (  # __import__("os").system(…)
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("__import__", "import_module")
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        return str(node.args[0].value)
    return "?"


def _literal(node: object, names: dict[str, object] | None = None) -> str | None:
    """A string argument known before running: a literal, `expanduser("~")`, `Path.home()`."""
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # "rm -rf " + d
        left, right = _literal(node.left, names), _literal(node.right, names)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # Path.home() / ".ssh"
        left, right = _literal(node.left, names), _literal(node.right, names)
        return None if left is None or right is None else f"{left}/{right}"
    joined = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    if joined and node.func.attr == "joinpath" and node.args:  # Path.home().joinpath(".ssh")
        left, right = _literal(node.func.value, names), _literal(node.args[0], names)
        return None if left is None or right is None else f"{left}/{right}"
    if isinstance(node, ast.JoinedStr):  # f"rm -rf {d}"
        parts = [
            _literal(v.value if isinstance(v, ast.FormattedValue) else v, names)
            for v in node.values
        ]
        return None if any(p is None for p in parts) else "".join(p or "" for p in parts)
    if isinstance(node, ast.Name) and names and node.id in names:  # p = Path("x"); p.unlink()
        return _literal(names.pop(node.id), names)  # popped: `x = x + …` cannot loop
    if isinstance(node, ast.Call):
        name = _dotted(node.func, {})
        if name.endswith("expanduser") and node.args:
            return _literal(node.args[0], names)
        if name.endswith("Path.home") or name == "home":
            return "~"
        if name.endswith(("getenv", "environ.get")) and node.args:
            variable = _literal(node.args[0], names)
            return f"${variable}" if variable else None
        if name.endswith("Path") and len(node.args) == 1:
            return _literal(node.args[0], names)
    if isinstance(node, ast.Subscript) and _dotted(node.value, {}).endswith("environ"):
        variable = _literal(node.slice, names)
        return f"${variable}" if variable else None
    return None


def _python_call(call: object, name: str, found: Extracted) -> None:
    import ast

    assert isinstance(call, ast.Call)
    first = call.args[0] if call.args else None
    if name in _PY_SHELL or name in _PY_ARGV:
        shell = name in _PY_SHELL or any(
            k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value
            for k in call.keywords
        )
        if isinstance(first, ast.List | ast.Tuple):
            words = [_literal(element, dict(found.names)) for element in first.elts]
            if all(w is not None for w in words) and words:
                found.argv.append([w for w in words if w is not None])
                return
        text = _literal(first, dict(found.names))
        if text is None:
            found.unresolved.append(f"`{name}(…)` with a computed command")
        elif shell:
            found.shell.append(text)
        else:
            found.argv.append([text])
    elif name in _PY_EXEC and len(call.args) > 1 and isinstance(call.args[1], ast.List | ast.Tuple):
        words = [_literal(element, dict(found.names)) for element in call.args[1].elts]
        if words and all(w is not None for w in words):
            found.argv.append([w for w in words if w is not None])
        else:
            found.unresolved.append(f"`{name}(…)` with a computed command")
    elif name in _PY_EXECL:
        words = [_literal(arg, dict(found.names)) for arg in call.args[1:]]
        if words and all(w is not None for w in words):
            found.argv.append([w for w in words if w is not None])
        else:
            found.unresolved.append(f"`{name}(…)` with a computed command")
    elif name in _PY_DELETE or name.endswith((".unlink", ".rmdir", ".rmtree")):
        _python_delete(call, name, found)
    elif name.endswith((".write_text", ".write_bytes")) or name in ("open", "io.open"):
        _python_write(call, name, found)
    elif name in _PY_EVAL:
        text = _literal(first, dict(found.names))
        if text is None:
            found.unresolved.append(f"`{name}(…)` of computed code")
        else:
            nested = _python(text)
            found.shell += nested.shell
            found.argv += nested.argv
            found.unresolved += nested.unresolved


def _python_write(call: object, name: str, found: Extracted) -> None:
    """`open(p, "w")` and `Path(p).write_text(…)` write p: shown to the rules as `tee p`."""
    import ast

    assert isinstance(call, ast.Call)
    if name in ("open", "io.open"):
        mode = call.args[1] if len(call.args) > 1 else None
        mode = mode or next((k.value for k in call.keywords if k.arg == "mode"), None)
        text = _literal(mode, dict(found.names)) if mode is not None else "r"
        if text is None or not set(text) & set("wax+"):
            return
        target = _literal(call.args[0], dict(found.names)) if call.args else None
    else:
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
        if not isinstance(receiver, ast.Call | ast.Name):
            return
        target = _literal(receiver, dict(found.names))
    if target is None:
        found.unresolved.append(f"`{name}(…)` writing a computed path")
    else:
        found.argv.append(["tee", target])


def _python_delete(call: object, name: str, found: Extracted) -> None:
    import ast

    assert isinstance(call, ast.Call)
    prefix = _PY_DELETE.get(name)
    if prefix is not None:
        target = _literal(call.args[0], dict(found.names)) if call.args else None
    else:  # Path("x").unlink() / .rmdir(): the path is the receiver
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
        target = _literal(receiver, dict(found.names))
        prefix = ("rm", "-r", "-f") if name.endswith(".rmtree") else ("rm",)
        if receiver is None or (target is None and not isinstance(receiver, ast.Call | ast.Name)):
            return  # some object's own unlink(): not a path we can name
    if target is None:
        found.unresolved.append(f"`{name}(…)` of a computed path")
    else:
        found.argv.append([*prefix, target])


# ---- JavaScript, Perl, Ruby, PHP, awk -----------------------------------------------------

_SHELL_CALLS = {
    "system",
    "exec",
    "execSync",
    "shell_exec",
    "passthru",
    "popen",
    "proc_open",
    "capture2",
    "capture2e",
    "capture3",
    "popen3",
    "spawn",
    "spawnSync",
    "execFile",
    "execFileSync",
    "qx",
}
_DELETE_CALLS = {
    "rmSync": ("rm", "-r", "-f"),
    "rmdirSync": ("rm", "-r", "-f"),
    "rm_rf": ("rm", "-r", "-f"),
    "rm_r": ("rm", "-r", "-f"),
    "rmtree": ("rm", "-r", "-f"),
    "remove_tree": ("rm", "-r", "-f"),
    "remove_dir": ("rm", "-r", "-f"),
    "remove_entry": ("rm", "-r", "-f"),
    "remove_entry_secure": ("rm", "-r", "-f"),
    "unlinkSync": ("rm",),
    "unlink": ("rm",),
}
_EVAL_CALLS = {"eval", "Function", "instance_eval", "class_eval", "evalSync"}


class _Token(NamedTuple):
    kind: str  # "name", "string", "exec" (backticks / qx), "punct"
    text: str
    static: bool = True  # a string with no interpolation


def _scripting(language: str, code: str) -> Extracted:
    found = Extracted()
    tokens = _tokenize(language, code)
    for index, token in enumerate(tokens):
        if token.kind == "exec":
            if token.static:
                found.shell.append(token.text)
            else:
                found.unresolved.append("a backtick command with interpolation")
            continue
        if token.kind != "name":
            continue
        previous = tokens[index - 1].text if index else ""
        if previous in ("function", "def", "sub", "::", "->") and token.text not in _SHELL_CALLS:
            continue
        arguments = _call_arguments(tokens, index + 1)
        if arguments is None:
            continue
        if token.text in _SHELL_CALLS:
            _shell_call(token.text, arguments, found)
        elif token.text in _DELETE_CALLS:
            first = arguments[0] if arguments else []
            if len(first) == 1 and first[0].kind == "string" and first[0].static:
                found.argv.append([*_DELETE_CALLS[token.text], first[0].text])
            elif _home_expression(first):
                found.argv.append([*_DELETE_CALLS[token.text], "~"])
            elif first:
                found.unresolved.append(f"`{token.text}(…)` of a computed path")
        elif token.text in _EVAL_CALLS and arguments:
            first = arguments[0]
            if len(first) == 1 and first[0].kind == "string" and first[0].static:
                nested = _scripting(language, first[0].text)
                found.shell += nested.shell
                found.argv += nested.argv
                found.unresolved += nested.unresolved
            else:
                found.unresolved.append(f"`{token.text}(…)` of computed code")
    if language == "awk":
        _awk_pipes(tokens, found)
    return found


def _home_expression(argument: list[_Token]) -> bool:
    """`os.homedir()`, `require('os').homedir()`, `process.env.HOME`, Ruby's `Dir.home` and
    `ENV['HOME']`, Perl's `$ENV{HOME}`: the user's home directory, known before it runs."""
    texts = [token.text for token in argument if token.text not in ("(", ")")]
    if texts[-2:] in ([".", "homedir"], [".", "home"]):  # os.homedir(), Dir.home
        return True
    lookup = [text for text in texts if text not in (".", "[", "]", "{", "}", "$")]
    return lookup[-2:] in (["env", "HOME"], ["ENV", "HOME"])  # process.env.HOME, ENV['HOME']


def _shell_call(name: str, arguments: list[list[_Token]], found: Extracted) -> None:
    if not arguments:
        return
    literal: list[str] = []
    for argument in arguments:
        strings = [t for t in argument if t.kind == "string"]
        others = [t for t in argument if t.kind != "string" and t.text not in "[],"]
        if others or not strings or not all(t.static for t in strings):
            if literal:  # options after the command (`{cwd: …}`) do not change the program
                break
            found.unresolved.append(f"`{name}(…)` with a computed command")
            return
        literal.extend(t.text for t in strings)
    if len(literal) == 1 and name not in ("spawn", "spawnSync", "execFile", "execFileSync"):
        found.shell.append(literal[0])
    else:
        found.argv.append(literal)


def _call_arguments(tokens: list[_Token], start: int) -> list[list[_Token]] | None:
    """The comma-separated arguments after a name: `f(a, b)`, or Perl/Ruby's `f a, b;`."""
    if start >= len(tokens):
        return None
    parenthesized = tokens[start].text == "("
    if not parenthesized and tokens[start].kind not in ("string", "exec"):
        return None
    index = start + 1 if parenthesized else start
    depth = 0
    arguments: list[list[_Token]] = [[]]
    while index < len(tokens):
        token = tokens[index]
        if token.kind == "punct":
            if token.text in "([{":
                depth += 1
            elif token.text in ")]}":
                if depth == 0 and parenthesized:
                    break
                depth -= 1
            elif token.text == "," and depth == 0:
                arguments.append([])
                index += 1
                continue
            elif token.text in (";", "\n") and depth == 0 and not parenthesized:
                break
        arguments[-1].append(token)
        index += 1
    return [argument for argument in arguments if argument]


def _awk_pipes(tokens: list[_Token], found: Extracted) -> None:
    """awk runs `print | "cmd"` and `"cmd" | getline` through a shell."""
    for index, token in enumerate(tokens):
        if token.text != "|" or token.kind != "punct":
            continue
        for neighbour in (tokens[index - 1] if index else None, tokens[index + 1 : index + 2]):
            candidate = neighbour[0] if isinstance(neighbour, list) and neighbour else neighbour
            if isinstance(candidate, _Token) and candidate.kind == "string":
                if candidate.static:
                    found.shell.append(candidate.text)
                else:
                    found.unresolved.append("a piped command with interpolation")


_INTERPOLATES = {
    "javascript": ("${",),
    "perl": ("$", "@"),
    "ruby": ("#{",),
    "php": ("$",),
    "awk": (),
}
_LINE_COMMENT = {"javascript": "//", "php": "//", "perl": "#", "ruby": "#", "awk": "#"}
_CLOSING = {"(": ")", "{": "}", "[": "]", "<": ">"}


def _tokenize(language: str, code: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    comment = _LINE_COMMENT[language]
    while index < len(code):
        char = code[index]
        if code.startswith(comment, index) or (
            language in ("javascript", "php") and code.startswith("/*", index)
        ):
            closing = "\n" if not code.startswith("/*", index) else "*/"
            found_end = code.find(closing, index + 2)
            index = len(code) if found_end < 0 else found_end + len(closing)
            continue
        if char in "'\"`":
            text, index, static = _string(code, index, char, language)
            executes = char == "`" and language != "javascript"
            tokens.append(_Token("exec" if executes else "string", text, static))
            continue
        quoted = _quote_operator(code, index, language)
        if quoted is not None:
            kind, text, index = quoted
            tokens.append(_Token(kind, text, not any(m in text for m in _INTERPOLATES[language])))
            continue
        if char.isalnum() or char == "_":
            end = index
            while end < len(code) and (code[end].isalnum() or code[end] == "_"):
                end += 1
            tokens.append(_Token("name", code[index:end]))
            index = end
            continue
        if not char.isspace() or char == "\n":
            tokens.append(_Token("punct", char))
        index += 1
    return tokens


def _string(code: str, start: int, quote: str, language: str) -> tuple[str, int, bool]:
    out: list[str] = []
    index = start + 1
    while index < len(code) and code[index] != quote:
        if code[index] == "\\" and index + 1 < len(code):
            following = code[index + 1]
            out.append({"n": "\n", "t": "\t"}.get(following, following))
            index += 2
            continue
        out.append(code[index])
        index += 1
    text = "".join(out)
    interpolating = quote != "'" and (quote == "`" or language != "javascript")
    static = not (interpolating and any(m in text for m in _INTERPOLATES[language]))
    if language == "javascript" and quote == "`":
        static = "${" not in text
    return text, index + 1, static


def _quote_operator(code: str, index: int, language: str) -> tuple[str, str, int] | None:
    """Perl's qx{…} / q(…) / qq(…) and Ruby's %x(…) / %q(…) / %w(…)."""
    if language == "perl" and code.startswith(("qx", "qq", "q"), index):
        if index and (code[index - 1].isalnum() or code[index - 1] in "_$@%"):
            return None
        operator = (
            "qx"
            if code.startswith("qx", index)
            else ("qq" if code.startswith("qq", index) else "q")
        )
    elif language == "ruby" and code.startswith(("%x", "%q", "%Q"), index):
        operator = "qx" if code[index + 1] == "x" else "q"
    else:
        return None
    opening_at = index + (2 if operator in ("qx", "qq") or language == "ruby" else 1)
    if opening_at >= len(code) or code[opening_at].isalnum() or code[opening_at].isspace():
        return None
    opening = code[opening_at]
    closing = _CLOSING.get(opening, opening)
    end = code.find(closing, opening_at + 1)
    if end < 0:
        return None
    return ("exec" if operator == "qx" else "string"), code[opening_at + 1 : end], end + 1
