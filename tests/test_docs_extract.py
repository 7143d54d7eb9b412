"""Reference extraction from Markdown and reStructuredText, with the lines the docs show."""

from __future__ import annotations

import datetime

from handrail.docs.extract import extract


def _found(path: str, text: str) -> set[tuple[int, str, str]]:
    return {(r.line, r.kind, r.name) for r in extract(path, text).references}


MARKDOWN = """\
---
reviewed: 2024-05-01
---
# Deploying `shipit`

Call `shipit.core.load()` or `Client.fetch`, set `$SHIPIT_TOKEN`,
then read `config/app.yaml` and [the runbook](runbooks/db.md#failover).

```console
$ SHIPIT_MODE=fast shipit deploy --dry-run prod
deploying... done
$ make release
```

```python
from shipit.core import Client
Client.open()
```

```toml
[shipit]
retries = 3
```
"""


def test_markdown_references_of_every_kind_with_their_lines() -> None:
    found = _found("README.md", MARKDOWN)
    expected = {
        (6, "symbol", "shipit.core.load"),
        (6, "symbol", "Client.fetch"),
        (6, "env", "SHIPIT_TOKEN"),
        (7, "path", "config/app.yaml"),
        (7, "link", "runbooks/db.md"),
        (7, "anchor", "runbooks/db.md#failover"),
        (10, "env", "SHIPIT_MODE"),
        (10, "command", "deploy"),
        (10, "flag", "--dry-run"),
        (12, "make", "release"),
        (16, "symbol", "shipit.core.Client"),
        (17, "symbol", "shipit.core.Client.open"),
        (22, "config", "shipit.retries"),
    }
    assert expected <= found
    # Command output in a transcript is not a command.
    assert not any(name in {"deploying...", "done"} for _, _, name in found)


def test_front_matter_and_heading_anchors() -> None:
    document = extract("README.md", MARKDOWN)
    assert document.reviewed == datetime.date(2024, 5, 1)
    assert "deploying-shipit" in document.anchors


def test_flags_belong_to_their_program_after_wrappers() -> None:
    text = "```sh\nsudo FOO=1 python -m shipit.cli run --fast\nuv run shipit --slow\n```\n"
    refs = {(r.name, r.program) for r in extract("a.md", text).references if r.kind == "flag"}
    assert refs == {("--fast", "shipit.cli"), ("--slow", "shipit")}


def test_urls_and_prose_are_not_references() -> None:
    text = "See <https://example.com/a/b.md>, `https://x.org/y`, and `a phrase in ticks`.\n"
    assert {r.kind for r in extract("a.md", text).references} <= {"command"}


RST = """\
Shipping
========

:reviewed: 2024-06-02

Use :func:`shipit.core.load` and :meth:`~shipit.core.Client.fetch` with
``SHIPIT_TOKEN`` and :envvar:`SHIPIT_MODE`.

.. module:: shipit.core

.. autofunction:: connect

.. code-block:: bash

   shipit deploy --dry-run

>>> from shipit import core
>>> core.load("x")
"""


def test_rst_sphinx_roles_directives_and_doctests() -> None:
    document = extract("docs/ship.rst", RST)
    found = {(r.line, r.kind, r.name) for r in document.references}
    assert {
        (6, "symbol", "shipit.core.load"),
        (6, "symbol", "shipit.core.Client.fetch"),
        (7, "env", "SHIPIT_TOKEN"),
        (7, "env", "SHIPIT_MODE"),
        (11, "symbol", "shipit.core.connect"),
        (15, "flag", "--dry-run"),
        (17, "symbol", "shipit.core"),
        (18, "symbol", "shipit.core.load"),
    } <= found
    assert document.reviewed == datetime.date(2024, 6, 2)
    explicit = {r.name for r in document.references if r.explicit}
    assert "shipit.core.load" in explicit and "SHIPIT_TOKEN" not in explicit


def test_broken_rst_gives_what_it_can_and_never_raises() -> None:
    text = "Title\n===\n\n.. unknown-directive::\n\n   body\n\n:func:`ok.name`\n\n.. code-block::\n"
    assert (8, "symbol", "ok.name") in _found("x.rst", text)
