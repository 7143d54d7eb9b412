"""One module per subcommand, each with NAME, SUMMARY, EXAMPLES, add_arguments() and run().

The CLI imports only the module of the command being run (all of them only to list them in
`handrail --help`), so each command starts without paying for the others' dependencies.
"""

from __future__ import annotations

import importlib
from types import ModuleType

NAMES = ("check", "approve", "guard", "knowledge", "docs", "history", "people", "init", "config")


def load(name: str) -> ModuleType:
    return importlib.import_module(f"handrail.commands.{name}")
