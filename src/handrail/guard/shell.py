"""Shell text → the `Invocation`s that would run, with every wrapper peeled off.

tree-sitter-bash gives the syntax tree; this module turns its words into the strings bash
would pass (quote removal, ANSI-C escapes, `$IFS`, static variables, `~`), follows nested
code (`bash -c`, `ssh host '…'`, `eval`, heredocs, `python -c`, `find -exec`, `xargs`…) and
reports, as verdicts, what cannot be known before it runs (a computed command name, code piped
in from a download). Rule families only ever see programs and their arguments: text inside an
argument (`grep "rm -rf"`) is data, never a command.
"""

from __future__ import annotations

import os
import posixpath
from typing import TYPE_CHECKING, NamedTuple

from handrail.guard import unwrap
from handrail.guard.model import Invocation, Verdict
from handrail.guard.unwrap import Word
from handrail.guard.words import ansi_c

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from tree_sitter import Node, Parser

# Programs that bring data in from the network: their output is code nobody has read.
FETCHERS = frozenset(
    {"curl", "wget", "http", "https", "xh", "aria2c", "fetch", "nc", "ncat", "netcat", "socat"}
    | {"ssh", "lwp-request", "GET"}
)
MAX_DEPTH = 12
MAX_LOOP_ITEMS = 16
UNKNOWN_DIRECTORY = "$UNKNOWN"  # after `cd "$X"`: relative paths are unknown too
DEFAULT_IFS = " \t\n"

_parser: Parser | None = None


def _get_parser() -> Parser:
    global _parser  # built once per process: loading the grammar is the costly part
    if _parser is None:
        from tree_sitter import Language, Parser

        _parser = Parser(Language(_bash_grammar()))
    return _parser


def _bash_grammar() -> object:
    """tree-sitter-bash's grammar. Its package __init__ imports importlib.resources (zipfile,
    tempfile…) for query files the guard never reads, which costs the hook more than the
    grammar itself; so the compiled binding is loaded on its own when it can be found."""
    import sys
    from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader, PathFinder

    spec = None if "tree_sitter_bash" in sys.modules else PathFinder.find_spec("tree_sitter_bash")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        for suffix in EXTENSION_SUFFIXES:
            path = posixpath.join(folder, "_binding" + suffix)
            if not os.path.isfile(path):  # noqa: PTH113 - no pathlib in the hook's start-up
                continue
            loader = ExtensionFileLoader("tree_sitter_bash._binding", path)
            binding = loader.create_module(_binding_spec(loader, path))
            loader.exec_module(binding)
            return binding.language()
    from tree_sitter_bash import language

    return language()


def _binding_spec(loader: object, path: str) -> object:
    from importlib.machinery import ModuleSpec

    return ModuleSpec("tree_sitter_bash._binding", loader, origin=path)  # type: ignore[arg-type]


class ParsedCommand(NamedTuple):
    invocations: tuple[Invocation, ...]
    # What the parser itself decided: code that cannot be read before it runs.
    findings: tuple[Verdict, ...]


class _Frame(NamedTuple):
    via: tuple[str, ...] = ()
    privileged: bool = False
    depth: int = 0

    def inside(self, label: str, privileged: bool = False) -> _Frame:
        return _Frame((*self.via, label), self.privileged or privileged, self.depth)

    def nested(self, label: str) -> _Frame:
        via = (*self.via, label) if label else self.via
        return _Frame(via, self.privileged, self.depth + 1)


def program_name(word: str) -> str:
    """`/usr/bin/rm` → `rm` (a leading `\\` is already gone with quote removal)."""
    return posixpath.basename(word) or word


def parse(text: str, variables: Mapping[str, str] | None = None) -> ParsedCommand:
    """Every program `text` would run. `variables` are known values (HOME, PWD)."""
    reader = _Reader(variables or {})
    reader.script(text, _Frame())
    return ParsedCommand(tuple(reader.invocations), tuple(reader.findings))


def _is_fetch(invocations: Iterable[Invocation]) -> Invocation | None:
    for inv in invocations:
        if inv.program in FETCHERS:
            return inv
        inner = _is_fetch((*inv.upstream, *inv.feeds))
        if inner is not None:
            return inner
    return None


class _Reader:
    """Walks one command line, collecting invocations and findings."""

    def __init__(self, variables: Mapping[str, str]) -> None:
        self.variables: dict[str, str | None] = {"IFS": DEFAULT_IFS, **variables}
        self.invocations: list[Invocation] = []
        self.findings: list[Verdict] = []
        self.downloads: dict[str, Invocation] = {}  # files written by curl -o / wget -O
        self.cwd: str | None = None  # moved by `cd`; None: where the command starts

    # ---- findings -------------------------------------------------------------------------

    def unresolved(self, what: str, source: str) -> None:
        self.findings.append(
            Verdict("ask", "shell.unresolved", f"{what} cannot be checked before it runs: {source}")
        )

    def dynamic_code(self, consumer: str, inputs: Iterable[Invocation], source: str) -> None:
        fetch = _is_fetch(inputs)
        if fetch is not None:
            self.findings.append(
                Verdict(
                    "deny",
                    "shell.remote-code",
                    f"code downloaded by `{fetch.source}` would run unread in {consumer}: {source}",
                )
            )
        else:
            self.unresolved(f"the code {consumer} runs", source)

    # ---- scripts and statements -----------------------------------------------------------

    def script(self, text: str, frame: _Frame) -> None:
        if frame.depth > MAX_DEPTH:
            self.unresolved("code nested this deeply", text[:80])
            return
        tree = _get_parser().parse(text.encode("utf-8", "surrogateescape"))
        root = tree.root_node
        if root.has_error:
            self.findings.append(
                Verdict(
                    "ask",
                    "shell.parse-error",
                    f"the command does not parse as shell, so it cannot be checked: {text[:120]}",
                )
            )
        self.node(root, frame)

    def node(self, node: Node, frame: _Frame, upstream: tuple[Invocation, ...] = ()) -> None:
        kind = node.type
        if kind == "command":
            self.command(node, frame, upstream)
        elif kind == "redirected_statement":
            self.redirected(node, frame, upstream)
        elif kind == "pipeline":
            self.pipeline(node.named_children, frame, upstream)
        elif kind == "variable_assignment":
            self.assign(node, frame)
        elif kind == "declaration_command" or kind == "unset_command":
            self.declaration(node, frame)
        elif kind == "for_statement":
            self.for_loop(node, frame, upstream)
        elif kind in ("word", "string", "raw_string", "concatenation", "number", "comment"):
            self.word(node, frame)  # a loop's word list: only its substitutions run
        else:
            for child in node.named_children:
                self.node(child, frame, upstream)

    def for_loop(self, node: Node, frame: _Frame, upstream: tuple[Invocation, ...]) -> None:
        """A loop over a short static list runs its body once per item, with the variable set;
        otherwise once, with the variable unknown."""
        variable = node.child_by_field_name("variable")
        body = node.child_by_field_name("body")
        name = variable.text.decode(errors="replace") if variable else ""
        values = node.children_by_field_name("value")
        items = self.words(values, frame) if values else []
        if body is None:
            return
        static = all(i.resolved and not any(c in i.text for c in "*?[") for i in items)
        if not items or len(items) > MAX_LOOP_ITEMS or not static:
            self.variables[name] = None
            self.node(body, frame, upstream)
            return
        for item in dict.fromkeys(i.text for i in items):
            self.variables[name] = item
            self.node(body, frame, upstream)

    def pipeline(
        self, stages: list[Node], frame: _Frame, upstream: tuple[Invocation, ...] = ()
    ) -> None:
        feeding = upstream
        for stage in stages:
            start = len(self.invocations)
            self.node(stage, frame, feeding)
            feeding = (*feeding, *self.invocations[start:])

    def redirected(self, node: Node, frame: _Frame, upstream: tuple[Invocation, ...]) -> None:
        body = node.child_by_field_name("body")
        redirects: list[tuple[str, str]] = []
        stdin: str | None = None
        stdin_known = True
        trailing: list[Node] = []
        for child in node.children_by_field_name("redirect"):
            if child.type == "heredoc_redirect":
                stdin, rest = self.heredoc(child)
                trailing.extend(rest)
            elif child.type == "herestring_redirect":
                word = self.word(child.named_children[-1], frame)
                stdin, stdin_known = word.text + "\n", word.resolved
            else:
                emitted = len(self.invocations)
                redirects.append(self.file_redirect(child, frame))
                if redirects[-1][0] == "<" and redirects[-1][1].startswith("<("):
                    # `cmd < <(producer)`: the producer feeds cmd's stdin, as a pipe would.
                    upstream = (*upstream, *self.invocations[emitted:])
        start = len(self.invocations)
        if body is None:
            self.emit_plain((), frame, node.text.decode(errors="replace"), redirects=redirects)
        elif body.type == "command":
            source = node.text.decode(errors="replace") if redirects else None
            self.command(body, frame, upstream, redirects, stdin, stdin_known, source)
        else:
            self.node(body, frame, upstream)
            if self.invocations[start:]:
                # The redirects and the heredoc belong to the body's last command.
                last = len(self.invocations) - 1
                target = self.invocations[last]
                self.invocations[last] = target._replace(
                    redirects=(*target.redirects, *redirects),
                    stdin_text=stdin if stdin is not None else target.stdin_text,
                )
        self.trailing(trailing, frame, tuple(self.invocations[start:]))

    def trailing(self, nodes: list[Node], frame: _Frame, before: tuple[Invocation, ...]) -> None:
        """tree-sitter-bash files `cat <<EOF | sh` and `<<EOF && x` under the heredoc node."""
        piped = False
        for child in nodes:
            if not child.is_named:
                piped = child.type == "|"
                continue
            if (child.type == "pipeline" and child.children[0].type == "|") or (
                piped and child.type == "pipeline"
            ):
                self.pipeline(child.named_children, frame, before)
            else:
                self.node(child, frame, before if piped else ())
            piped = False

    def heredoc(self, node: Node) -> tuple[str, list[Node]]:
        body = ""
        strip_tabs = False
        rest: list[Node] = []
        for child in node.children:
            if child.type == "heredoc_body":
                body = child.text.decode(errors="replace")
            elif child.type == "<<-":
                strip_tabs = True
            elif child.type in ("heredoc_start", "heredoc_end", "<<"):
                continue
            elif child.type == "ERROR" or child.is_named or child.type in ("|", "&&", "||", ";"):
                rest.append(child)
        if strip_tabs:
            body = "".join(line.lstrip("\t") for line in body.splitlines(keepends=True))
        return body, rest

    def file_redirect(self, node: Node, frame: _Frame) -> tuple[str, str]:
        operator = ""
        target = ""
        for child in node.children:
            if child.type == "file_descriptor":
                continue
            if not child.is_named:
                operator = child.type
            else:
                target = self.word(child, frame).text
        return operator, target

    def assign(self, node: Node, frame: _Frame) -> tuple[str, str]:
        name_node = node.child_by_field_name("name")
        value_node = node.child_by_field_name("value")
        name = name_node.text.decode(errors="replace") if name_node else ""
        value = self.word(value_node, frame) if value_node else Word("")
        self.variables[name] = value.text if value.resolved else None
        return name, value.text

    def declaration(self, node: Node, frame: _Frame) -> None:
        words = [node.children[0].type]
        for child in node.named_children:
            if child.type == "variable_assignment":
                name, value = self.assign(child, frame)
                words.append(f"{name}={value}")
            else:
                words.append(self.word(child, frame).text)
                if words[0] == "unset":
                    self.variables.pop(words[-1], None)
        source = node.text.decode(errors="replace")
        self.invocations.append(
            Invocation(tuple(words), source, frame.via, privileged=frame.privileged)
        )

    # ---- words ----------------------------------------------------------------------------

    def word(self, node: Node, frame: _Frame) -> Word:
        """The string bash would pass for this word, with quote removal and known variables."""
        kind = node.type
        raw = node.text.decode(errors="replace")
        if kind == "word":
            return Word(self.tilde(_unescape_unquoted(raw)))
        if kind in ("number", "variable_name", "special_variable_name", "heredoc_start"):
            return Word(raw)
        if kind == "raw_string":
            return Word(raw[1:-1])
        if kind == "ansi_c_string":
            return Word(ansi_c(raw[2:-1]))
        if kind in ("string", "translated_string"):
            return self.parts(node, frame, quoted=True)
        if kind == "concatenation":
            joined = self.parts(node, frame, quoted=False)
            return joined._replace(text=self.tilde(joined.text)) if raw.startswith("~") else joined
        if kind in ("simple_expansion", "expansion"):
            return self.expansion(node, raw)
        if kind in ("command_substitution", "process_substitution"):
            start = len(self.invocations)
            for child in node.named_children:
                self.node(child, frame.inside("`" if raw[0] == "`" else raw[:2]))
            inner = tuple(self.invocations[start:])
            output = unwrap.static_pipeline(inner) if kind == "command_substitution" else None
            if output is not None:  # $(echo rm), $(echo cm0= | base64 -d): known text
                return Word(output.rstrip("\n"), True, inner)
            return Word(raw, False, inner)
        if kind == "arithmetic_expansion":
            return Word(raw, False)
        return Word(raw)  # brace expressions, globs and the like stay as written

    def parts(self, node: Node, frame: _Frame, quoted: bool) -> Word:
        pieces: list[str] = []
        resolved = True
        feeds: list[Invocation] = []
        source = node.text
        cursor = node.start_byte + (1 if quoted else 0)
        end = node.end_byte - (1 if quoted else 0)
        for child in node.named_children:
            if child.start_byte > cursor:  # text between parts that has no node of its own
                pieces.append(
                    source[cursor - node.start_byte : child.start_byte - node.start_byte].decode(
                        errors="replace"
                    )
                )
            if child.type == "string_content":
                pieces.append(_unescape_double_quoted(child.text.decode(errors="replace")))
            else:
                part = self.word(child, frame)
                pieces.append(part.text)
                resolved = resolved and part.resolved
                feeds.extend(part.feeds)
            cursor = max(cursor, child.end_byte)
        if cursor < end:
            pieces.append(
                source[cursor - node.start_byte : end - node.start_byte].decode(errors="replace")
            )
        return Word("".join(pieces), resolved, tuple(feeds))

    def expansion(self, node: Node, raw: str) -> Word:
        names = [
            c for c in node.named_children if c.type in ("variable_name", "special_variable_name")
        ]
        if len(names) != 1:
            return Word(raw, False)
        name = names[0].text.decode(errors="replace")
        operators = node.type == "expansion" and len(node.named_children) > 1
        value = self.variables.get(name)
        if value is None:
            return Word(raw, False)
        if operators:
            # ${IFS:0:1}, ${IFS%?}: whatever is cut from IFS is still blank.
            return Word(" " if name == "IFS" else raw, name == "IFS")
        return Word(value)

    def tilde(self, text: str) -> str:
        home = self.variables.get("HOME")
        if home and (text == "~" or text.startswith("~/")):
            return home + text[1:]
        return text

    def words(self, nodes: Iterable[Node], frame: _Frame) -> list[Word]:
        """Arguments as bash passes them: unquoted expansions split on blanks ($IFS tricks)."""
        out: list[Word] = []
        for group in _touching(list(nodes)):
            word = self.touching_word(group, frame)
            expands = any(_expands(n) for n in group)
            if word.resolved and expands:
                fields = word.text.split()
                if len(fields) > 1 or (not fields and word.text):
                    out.extend(Word(field) for field in fields)
                    continue
            out.append(word)
        return out

    def touching_word(self, group: list[Node], frame: _Frame) -> Word:
        """Nodes with no blank between them are one word to bash. tree-sitter-bash splits
        `-rf$IFS/` into `-rf$` and `IFS/`: a trailing `$` takes the name that follows."""
        word = self.word(group[0], frame)
        for node in group[1:]:
            following = self.word(node, frame)
            text = following.text
            if word.text.endswith("$") and word.resolved and node.type == "word":
                name = _leading_name(text)
                value = self.variables.get(name) if name else None
                if name and value is None:
                    word = Word(word.text + text, False, word.feeds)
                    continue
                if name:
                    word = Word(word.text[:-1], word.resolved, word.feeds)
                    text = (value or "") + text[len(name) :]
            word = Word(
                word.text + text,
                word.resolved and following.resolved,
                word.feeds + following.feeds,
            )
        return word

    # ---- commands -------------------------------------------------------------------------

    def command(
        self,
        node: Node,
        frame: _Frame,
        upstream: tuple[Invocation, ...] = (),
        redirects: list[tuple[str, str]] | None = None,
        stdin: str | None = None,
        stdin_known: bool = True,
        source: str | None = None,
    ) -> None:
        redirects = list(redirects or [])
        assignments: list[tuple[str, str]] = []
        word_nodes: list[Node] = []
        for child in node.named_children:
            if child.type == "variable_assignment":
                name_node = child.child_by_field_name("name")
                value_node = child.child_by_field_name("value")
                value = self.word(value_node, frame).text if value_node else ""
                assignments.append((name_node.text.decode() if name_node else "", value))
            elif child.type == "file_redirect":
                redirects.append(self.file_redirect(child, frame))
            elif child.type == "herestring_redirect":
                word = self.word(child.named_children[-1], frame)
                stdin, stdin_known = word.text + "\n", word.resolved
            elif child.type == "command_name":
                word_nodes.extend(child.named_children)
            else:
                word_nodes.append(child)
        words = self.words(word_nodes, frame)
        self.run(
            words,
            frame,
            _Call(
                source or node.text.decode(errors="replace"),
                upstream,
                tuple(redirects),
                stdin,
                stdin_known,
                tuple(assignments),
            ),
        )

    def emit_plain(
        self,
        words: tuple[Word, ...],
        frame: _Frame,
        source: str,
        redirects: list[tuple[str, str]] | None = None,
    ) -> None:
        self.emit(list(words), frame, _Call(source, redirects=tuple(redirects or ())))

    def emit(self, words: list[Word], frame: _Frame, call: _Call) -> Invocation:
        argv = [word.text for word in words]
        if argv:
            argv[0] = program_name(argv[0])
        feeds = tuple(inv for word in words for inv in word.feeds)
        invocation = Invocation(
            argv=tuple(argv),
            source=call.source,
            via=frame.via,
            unresolved=frozenset(i for i, word in enumerate(words) if not word.resolved),
            stdin_text=call.stdin if call.stdin_known else None,
            upstream=call.upstream,
            redirects=call.redirects,
            privileged=frame.privileged,
            feeds=feeds,
            assignments=call.assignments,
            cwd=self.cwd,
        )
        self.invocations.append(invocation)
        if invocation.program in ("cd", "pushd"):
            self.change_directory(words[1:])
        return invocation

    def change_directory(self, words: list[Word]) -> None:
        targets = [w for w in words if not w.text.startswith("-") or w.text == "-"]
        start = self.cwd or self.variables.get("PWD") or ""
        home = self.variables.get("HOME")
        if not targets:
            self.cwd = home or UNKNOWN_DIRECTORY
        elif not targets[0].resolved or targets[0].text == "-" or not start:
            self.cwd = UNKNOWN_DIRECTORY
        else:
            self.cwd = posixpath.normpath(posixpath.join(start, targets[0].text))

    def run(self, words: list[Word], frame: _Frame, call: _Call) -> None:
        """Peel wrappers until the program that really runs, then follow any code it runs."""
        while words:
            head = words[0]
            if not head.resolved:
                self.emit(words, frame, call)
                fetch = _is_fetch(head.feeds)
                if fetch is not None:
                    self.dynamic_code("the command name", head.feeds, call.source)
                else:
                    self.unresolved(f"the command name `{head.text}`", call.source)
                return
            name = program_name(head.text)
            peeled = unwrap.peel(name, words)
            if peeled is None:
                break
            if peeled.command is None:  # `sudo -l`, `command -v rm`, `env` alone: no program
                break
            if name in unwrap.JUDGED_WRAPPERS:  # ssh, kubectl exec…: judged themselves too
                self.emit(words, frame, call)
            if name == "xargs" and peeled.command:
                peeled = peeled._replace(command=self.xargs_items(words, peeled.command, call))
            frame = frame.inside(name, peeled.privileged)
            if peeled.assignments:
                call = call._replace(assignments=(*call.assignments, *peeled.assignments))
            if peeled.shell_text is not None:
                self.nested_text(peeled.shell_text, frame, call)
                return
            words = list(peeled.command)
        if not words:
            if call.redirects:
                self.emit([], frame, call)
            return
        invocation = self.emit(words, frame, call)
        self.follow(invocation, words, frame, call)

    def xargs_items(self, words: list[Word], command: list[Word], call: _Call) -> list[Word]:
        """xargs appends what it reads to the command (or puts it where `-I R` says); when that
        input is static (echo, printf, a here-string) the command is known in full."""
        if call.stdin is not None:
            text = call.stdin if call.stdin_known else None
        else:
            text = unwrap.static_pipeline(call.upstream) if call.upstream else None
        if text is None:
            return command
        items = unwrap.xargs_input(words, text)
        replace_string = unwrap.xargs_replace_string(words)
        if replace_string is None:
            return [*command, *(Word(item) for item in items)]
        if not items:
            return command
        return [
            Word(w.text.replace(replace_string, items[0]), w.resolved, w.feeds) for w in command
        ]

    def nested_text(self, text: Word, frame: _Frame, call: _Call) -> None:
        """Shell code handed over as text. Unknown parts stay as written (`$DIR`), so the
        nested parse judges them where they stand; only code from a download is refused."""
        if _is_fetch(text.feeds) is not None:
            self.dynamic_code(f"`{frame.via[-1] if frame.via else 'sh'}`", text.feeds, call.source)
        else:
            self.script(text.text, frame.nested(""))

    def follow(self, inv: Invocation, words: list[Word], frame: _Frame, call: _Call) -> None:
        """Code the program runs from its arguments, its stdin or a file just downloaded."""
        for download in unwrap.download_targets(inv):
            self.downloads[download] = inv
        ran = self.downloads.get(posixpath.normpath(words[0].text))
        if ran is not None and ran is not inv:
            self.findings.append(_downloaded(ran, inv))
            return
        code = unwrap.code_source(inv, words)
        if code is None:
            for nested in unwrap.nested_invocations(inv, words):
                self.run(nested.words, frame.inside(nested.label), call._replace(stdin=None))
            return
        name = inv.program
        label = f"{name} {code.option}".rstrip()
        if code.kind == "file" and code.text is not None:
            downloaded = self.downloads.get(posixpath.normpath(code.text.text))
            if downloaded is not None:
                self.findings.append(_downloaded(downloaded, inv))
            elif _is_fetch(code.text.feeds) is not None:
                self.dynamic_code(f"`{label}`", code.text.feeds, call.source)
        elif code.kind == "stdin":
            self.stdin_code(name, frame, call)
        elif code.kind == "text" and code.text is not None:
            if _is_fetch(code.text.feeds) is not None:
                self.dynamic_code(f"`{label}`", code.text.feeds, call.source)
            else:
                self.code(name, code.text.text, frame.nested(label), call)

    def stdin_code(self, name: str, frame: _Frame, call: _Call) -> None:
        if call.stdin is not None:
            if call.stdin_known:
                self.code(name, call.stdin, frame.nested(f"{name} <<"), call)
            else:
                self.unresolved(f"the text fed to `{name}`", call.source)
        elif call.upstream:
            static = unwrap.static_pipeline(call.upstream)
            if static is not None:
                self.code(name, static, frame.nested(f"| {name}"), call)
            else:
                self.dynamic_code(f"`{name}`", call.upstream, call.source)

    def code(self, program: str, text: str, frame: _Frame, call: _Call) -> None:
        """Run-time code given to a shell or an interpreter, read in its own language."""
        from handrail.guard import interpreters

        language = unwrap.language_of(program)
        if language in (None, "shell"):  # eval, trap, alias, source: shell code too
            self.script(text, frame)
            return
        found = interpreters.extract(language, text)
        for shell_text in found.shell:
            self.script(shell_text, frame.nested("system"))
        for argv in found.argv:
            self.run([Word(a) for a in argv], frame, _Call(call.source))
        for problem in found.unresolved:
            self.unresolved(f"{problem} in {program} code", call.source)


class _Call(NamedTuple):
    """How a command is invoked, apart from its words."""

    source: str
    upstream: tuple[Invocation, ...] = ()
    redirects: tuple[tuple[str, str], ...] = ()
    stdin: str | None = None
    stdin_known: bool = True
    assignments: tuple[tuple[str, str], ...] = ()


def _expands(node: Node) -> bool:
    """An unquoted expansion, alone or inside a concatenation: its value is split on blanks
    (the quoted parts of `a'b c'` or `-m"x y"` are not)."""
    if node.type in ("simple_expansion", "expansion"):
        return True
    return node.type == "concatenation" and any(
        _expands(c) or c.type == "command_substitution" for c in node.named_children
    )


def _touching(nodes: list[Node]) -> list[list[Node]]:
    groups: list[list[Node]] = []
    for node in nodes:
        if groups and groups[-1][-1].end_byte == node.start_byte:
            groups[-1].append(node)
        else:
            groups.append([node])
    return groups


def _leading_name(text: str) -> str:
    end = 0
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    return text[:end] if end and not text[0].isdigit() else ""


def _downloaded(fetch: Invocation, runner: Invocation) -> Verdict:
    return Verdict(
        "deny",
        "shell.remote-code",
        f"`{runner.source}` runs a file just downloaded by `{fetch.source}`, unread",
    )


def _unescape_unquoted(text: str) -> str:
    """Unquoted backslashes quote the next character; a backslash-newline disappears."""
    if "\\" not in text:
        return text
    out: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            if following != "\n":
                out.append(following)
        else:
            out.append(char)
    return "".join(out)


def _unescape_double_quoted(text: str) -> str:
    """Inside double quotes a backslash only quotes $ ` " \\ and newline."""
    if "\\" not in text:
        return text
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in '$`"\\\n':
            if text[index + 1] != "\n":
                out.append(text[index + 1])
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)
