"""The cheap test that picks which old files history parses: it must keep every file that
defines a sought name and drop those that only mention it."""

from __future__ import annotations

from handrail.docs.definitions import FileSymbols
from handrail.docs.mentions import Mentions
from handrail.docs.symbols import build_index

NOW = build_index(
    [("pkg/__init__.py", "init"), ("pkg/core.py", "core")],
    {"core": FileSymbols([("function", "kept", 1, "", ""), ("class", "Widget", 3, "", "")])},
)


def test_a_file_defining_the_name_is_kept_and_one_mentioning_it_is_not() -> None:
    mentions = Mentions({("symbol", "pkg.core.old_helper")}, NOW)
    defines = [
        b"def old_helper(x):\n    return x\n",
        b"class Holder:\n    old_helper = staticmethod(len)\n",
        b"first, old_helper, last = 1, 2, 3\n",
        b"class Holder:\n    def __init__(self):\n        self.old_helper = None\n",
    ]
    for text in defines:
        assert mentions.could_define("pkg/core.py", text), text
    mentions_only = [
        b"def build():\n    old_helper = 1\n    return old_helper\n",  # a local
        b"def run(old_helper=None):\n    return call(old_helper=old_helper)\n",
        b"# old_helper was here\n",
        b"result = old_helper(3)\nif old_helper == 2:\n    pass\n",
        b'print("old_helper")\n',
    ]
    for text in mentions_only:
        assert not mentions.could_define("pkg/core.py", text), text


def test_names_still_defined_are_not_looked_for() -> None:
    # Every part of `Widget.kept` is defined now: it fails to resolve for another reason.
    assert Mentions({("symbol", "Widget.kept")}, NOW).leaves == set()
    # A qualifier that vanished must itself be defined, or be the file's module path.
    moved = Mentions({("symbol", "OldWidget.kept")}, NOW)
    assert moved.leaves == {"kept"}
    assert moved.could_define("pkg/core.py", b"class OldWidget:\n    def kept(self): ...\n")
    assert not moved.could_define("pkg/core.py", b"# OldWidget\ndef kept(): ...\n")
    assert moved.could_define("pkg/OldWidget.py", b"def kept(): ...\n")


def test_flags_are_looked_for_in_the_calls_that_define_them() -> None:
    mentions = Mentions({("flag", "--dry-run"), ("env", "APP_HOME")}, NOW)
    assert mentions.could_define("cli.py", b'parser.add_argument(\n    "-n", "--dry-run")\n')
    assert mentions.could_define("cli.py", b"@click.command()\ndef main(dry_run: bool): ...\n")
    assert mentions.could_define("conf.py", b'home = os.environ.get("APP_HOME")\n')
    assert not mentions.could_define("cli.py", b'print("use --dry-run to preview")\n')
    # Without click or typer, a parameter named like the flag defines nothing.
    assert not mentions.could_define("cli.py", b"def main(dry_run: bool): ...\n")
    assert mentions.could_define("run.sh", b'echo "$APP_HOME"\n')
    assert not mentions.could_define("run.sh", b"echo home\n")
