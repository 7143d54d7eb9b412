"""Redis and MongoDB shells: commands that erase every key, and scripts that drop collections.

Redis commands come from `redis-cli`'s arguments or the lines fed to its stdin; MongoDB scripts
(`--eval`, script files, heredocs) are parsed with tree-sitter-javascript, imported only when
there is a script.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from handrail.guard.context import Environment, classify, judged, parse_options, resolve_path
from handrail.guard.model import Decision, GuardContext, Invocation, Verdict
from handrail.guard.rules import strictest
from handrail.guard.rules.sql_clients import connection, stdin_text

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

# Redis commands that erase or stop more than the keys they name.
_REDIS: dict[str, tuple[Decision, str]] = {
    "flushall": ("deny", "deletes every key in every database"),
    "flushdb": ("deny", "deletes every key in the database"),
    "shutdown": ("ask", "stops the server"),
    "swapdb": ("ask", "swaps two databases under every client"),
    "debug": ("ask", "can crash or stall the server"),
    "migrate": ("ask", "moves keys away from this server"),
    "replicaof": ("ask", "makes the server a replica, discarding its data"),
    "slaveof": ("ask", "makes the server a replica, discarding its data"),
    "config": ("ask", "changes the running server's configuration"),
    "script": ("ask", "can flush every cached script"),
    "function": ("ask", "can flush every function"),
    "cluster": ("ask", "can reset or reshape the cluster"),
}
# Of those, the ones that only matter with a subcommand that changes something.
_ADMIN = frozenset({"config", "script", "function", "cluster"})
_ADMIN_CHANGES = frozenset({"set", "flush", "reset"})
# fmt: off
_REDIS_VALUED = (
    "h", "p", "a", "n", "u", "user", "pass", "s", "r", "i", "d", "D", "pattern", "count",
    "cacert", "cert", "key", "sni", "eval", "askpass",
)
_MONGO_VALUED = (
    "eval", "host", "port", "u", "username", "p", "password", "authenticationDatabase", "f",
    "file", "tls", "tlsCAFile",
)
# fmt: on
# MongoDB shell methods that drop data; "every" means: with no filter or an empty one.
_MONGO_DROPS = {
    "dropDatabase": "drops the whole database",
    "drop": "drops the collection and every document in it",
}
_MONGO_UNFILTERED = {
    "deleteMany": "deletes every document in the collection",
    "remove": "deletes every document in the collection",
    "updateMany": "overwrites every document in the collection",
    "update": "overwrites documents in the collection",
}
RULES = {
    "database.redis-bulk-delete": "redis-cli DEL fed by a pipeline (xargs)",
    **{f"database.redis-{name}": f"redis-cli {name.upper()}" for name in _REDIS},
    "database.mongo-dropdatabase": "db.dropDatabase()",
    "database.mongo-drop": "db.collection.drop()",
    **{
        f"database.mongo-{name.lower()}-all": f"{name}() with an empty filter"
        for name in _MONGO_UNFILTERED
    },
    "database.mongo-unparsed": "a MongoDB script that cannot be parsed",
}


def judge_redis(invocation: Invocation, context: GuardContext) -> Verdict | None:
    options = parse_options(invocation.args, _REDIS_VALUED)
    commands = [list(options.positionals)] if options.positionals else []
    if not commands:
        text, _ = stdin_text(invocation, context)
        commands = [_words(line) for line in (text or "").splitlines() if line.strip()]
    environment = classify(
        connection(options.value("u"), "host", None) + connection(options.value("h"), "host", None),
        context,
    )
    verdicts: list[Verdict | None] = []
    for command in filter(None, commands):
        name = command[0].lower()
        subcommand = command[1].lower() if command[1:] else ""
        if name in _REDIS and (name not in _ADMIN or subcommand in _ADMIN_CHANGES):
            base, effect = _REDIS[name]
            floor: Decision = "ask" if base == "deny" else "allow"
            shown = f"`redis-cli {' '.join(command[:2])}` {effect}"
            verdicts.append(judged(f"database.redis-{name}", base, environment, shown, floor))
        elif name in ("del", "unlink") and len(command) == 1 and invocation.upstream:
            shown = f"`{invocation.source}` deletes every key its input lists"
            verdicts.append(judged("database.redis-bulk-delete", "ask", environment, shown, "ask"))
    return strictest(verdicts)


def _words(line: str) -> list[str]:
    import shlex

    try:
        return shlex.split(line)
    except ValueError:
        return line.split()


def judge_mongo(invocation: Invocation, context: GuardContext) -> Verdict | None:
    options = parse_options(invocation.args, _MONGO_VALUED)
    scripts = [(text, "--eval") for text in options.all_values("eval")]
    files = options.all_values("f", "file") + [
        word for word in options.positionals if word.endswith(".js")
    ]
    for path in files:
        try:
            scripts.append((resolve_path(context, path).read_text(errors="replace"), path))
        except OSError:
            return Verdict(
                "ask",
                "database.unreadable-input",
                f"`{invocation.source}` runs {path}, which cannot be read here.",
            )
    if not scripts:
        text, source = stdin_text(invocation, context)
        if text is not None:
            scripts.append((text, source or "stdin"))
    targets = [word for word in options.positionals if not word.endswith(".js")]
    environment = classify(
        [item for target in targets for item in connection(target, "database", None)]
        + connection(options.value("host"), "host", None),
        context,
    )
    return strictest([_judge_mongo_script(text, source, environment) for text, source in scripts])


@cache
def _javascript_parser() -> Parser:
    import tree_sitter_javascript
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_javascript.language()))


def _judge_mongo_script(script: str, source: str, environment: Environment) -> Verdict | None:
    tree = _javascript_parser().parse(script.encode())
    if tree.root_node.has_error:
        return judged(
            "database.mongo-unparsed",
            "ask",
            environment,
            f"the MongoDB script from {source} could not be parsed",
            floor="ask",
            ceiling="ask",
        )
    for node in _calls(tree.root_node):
        method = node.child_by_field_name("function")
        if method is None or method.type != "member_expression":
            continue
        name_node = method.child_by_field_name("property")
        name = name_node.text.decode() if name_node and name_node.text else ""
        call = node.text.decode(errors="replace") if node.text else name
        if name in _MONGO_DROPS:
            rule, effect = f"database.mongo-{name.lower()}", _MONGO_DROPS[name]
        elif name in _MONGO_UNFILTERED and _unfiltered(node.child_by_field_name("arguments")):
            rule = f"database.mongo-{name.lower()}-all"
            effect = f"has an empty filter: it {_MONGO_UNFILTERED[name]}"
        else:
            continue
        return judged(rule, "deny", environment, f"`{call}` {effect}", floor="ask")
    return None


def _calls(root: Node) -> list[Node]:
    found, pending = [], [root]
    while pending:
        node = pending.pop()
        if node.type == "call_expression":
            found.append(node)
        pending.extend(node.children)
    return found


def _unfiltered(arguments: Node | None) -> bool:
    """No filter, or `{}`: the method reaches every document."""
    if arguments is None:
        return True
    values = [child for child in arguments.named_children if child.type != "comment"]
    return not values or (values[0].type == "object" and not values[0].named_children)
