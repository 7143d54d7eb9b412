"""The `handrail` command: registers the subcommands and turns errors into exit codes."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, NoReturn

from handrail import __version__, commands
from handrail.errors import HandrailError

if TYPE_CHECKING:
    # Imported where used: the guard hook, a process per agent tool call, needs neither.
    import argparse
    from collections.abc import Callable, Sequence
    from pathlib import Path

EXIT_INTERNAL_ERROR = 3
ALL_FORMATS = ("text", "json", "markdown", "sarif")
DEFAULT_FORMATS = ("text", "json")

EPILOG = """\
exit codes: 0 fine / allowed, 1 needs action, 2 usage, configuration or input error,
            3 internal error (a bug: the message names a log with the details)

examples:
  handrail history                       summary of the history reachable from HEAD
  handrail history --rev v2.0 --format json
  handrail people                        who is who, and which identities were merged, and why
  handrail init                          write a starter handrail.toml inferred from the repo
  handrail config                        validate handrail.toml and list components and owners
  handrail --repo ../other history       any subcommand works on another repository
"""


def _common_options(defaults: bool) -> argparse.ArgumentParser:
    import argparse
    from pathlib import Path

    # Accepted before and after the subcommand; only the top level carries the defaults.
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "--repo",
        type=Path,
        default=Path() if defaults else argparse.SUPPRESS,
        help="the repository to work on (default: the current directory)",
    )
    parser.add_argument(
        "--format",
        choices=ALL_FORMATS,
        default="text" if defaults else argparse.SUPPRESS,
        help="output format (default: text; markdown and sarif where a command offers them)",
    )
    return parser


def _selected_command(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line (skipping option values), if any."""
    takes_value = {"--repo", "--format"}
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token in takes_value:
            skip = True
        elif token in commands.NAMES:
            return token
    return None


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The full parser; with `selected`, only that command's module is imported."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="handrail",
        description="Risk-proportional safeguards for AI-assisted software engineering.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_common_options(defaults=True)],
    )
    parser.add_argument("--version", action="version", version=f"handrail {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in commands.NAMES:
        if selected is not None and name != selected:
            subparsers.add_parser(name)  # known, so argparse accepts it; never shown
            continue
        command = commands.load(name)
        sub = subparsers.add_parser(
            command.NAME,
            help=command.SUMMARY,
            description=command.SUMMARY,
            epilog=command.EXAMPLES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[_common_options(defaults=False)],
        )
        command.add_arguments(sub)
        sub.set_defaults(run=command.run, formats=getattr(command, "FORMATS", DEFAULT_FORMATS))
    return parser


def _crash_log(error: BaseException) -> Path:
    """Write the traceback of a bug where the user can attach it to a report."""
    import tempfile  # only a crash needs these
    import traceback
    from pathlib import Path

    folder = Path(tempfile.gettempdir()) / "handrail"
    folder.mkdir(exist_ok=True)
    log = folder / "crash.log"
    with log.open("a", encoding="utf-8") as out:
        out.write(f"handrail {__version__}: {sys.argv}\n")
        out.write("".join(traceback.format_exception(error)))
        out.write("\n")
    return log


def entry() -> NoReturn:
    """The `handrail` process (`python -m handrail`; the console script should point here too).

    An agent starts the guard hook once per tool call: once its answer is flushed, that process
    ends without the interpreter's teardown, which would add ~10 ms of freeing every module."""
    arguments = sys.argv[1:]
    code = main(arguments)
    if _hook(arguments) is not None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a reader gone: nothing to flush to
                stream.flush()
        os._exit(code)
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None) -> int:
    # Paths and names may hold bytes that are not UTF-8: show them escaped, never crash on them.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments == ["--version"]:  # answered before the parser imports every command
        print(f"handrail {__version__}")
        return 0
    hook = _hook(arguments)
    if hook is None:
        return _run(arguments, None)
    import gc

    collecting = gc.isenabled()
    gc.disable()  # a hook process lives milliseconds: looking for garbage cycles only costs time
    try:
        return _run(arguments, hook)
    finally:
        if collecting:
            gc.enable()


def _hook(arguments: list[str]) -> Callable[[], int] | None:
    """The agent hook (a process per tool call), run without argparse; None for other commands."""
    if arguments[:1] != ["guard"]:
        return None
    from handrail.commands.guard import fast_hook

    return fast_hook(arguments[1:])


def _run(arguments: list[str], hook: Callable[[], int] | None) -> int:
    if hook is None:
        parser = build_parser(_selected_command(arguments))
        args = parser.parse_args(arguments)
        if args.format not in args.formats:
            parser.error(f"{args.command} offers --format {', '.join(args.formats)}")
    try:
        return int(hook() if hook is not None else args.run(args))
    except HandrailError as error:
        print(f"handrail: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("handrail: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) has gone: stop quietly, and keep Python's final flush
        # from complaining about the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:
        log = _crash_log(error)
        print(
            f"handrail: internal error: {type(error).__name__}: {error} (details in {log};"
            " please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL_ERROR
