import itertools

from handrail.docs import passages
from handrail.docs.passages import split

MARKDOWN = """\
---
reviewed: 2024-05-01
title: Runbook
---
# Checkout

Intro to the service.

## Deploy

Run the deploy:

```bash
make deploy
# a comment inside the block

make verify
```

- check the dashboard
- check the logs

### Roll back

Revert the release.

# Appendix

| key | value |
|---|---|
| a | 1 |
"""

RST = """\
=========
Checkout
=========

Intro to the service.

Deploy
======

Run the deploy:

.. code-block:: bash

   make deploy

Roll back
---------

Revert the release.

Appendix
========

The end.
"""


def test_markdown_passages_follow_headings_with_their_trail_and_lines():
    found = split("docs/runbook.md", MARKDOWN)
    assert [(p.heading, p.start_line, p.end_line) for p in found] == [
        (("Checkout",), 5, 7),
        (("Checkout", "Deploy"), 9, 21),
        (("Checkout", "Deploy", "Roll back"), 23, 25),
        (("Appendix",), 27, 31),
    ]
    deploy = found[1]
    assert deploy.doc == "docs/runbook.md"
    assert deploy.text.startswith("## Deploy")
    assert "# a comment inside the block" in deploy.text  # a code comment is not a heading
    assert deploy.text.endswith("- check the logs")


def test_front_matter_is_not_a_passage():
    found = split("doc.md", MARKDOWN)
    assert all("reviewed:" not in p.text for p in found)
    assert found[0].start_line == 5


def test_passage_text_is_the_source_lines_of_its_range():
    lines = MARKDOWN.splitlines()
    for passage in split("doc.md", MARKDOWN):
        assert passage.text == "\n".join(lines[passage.start_line - 1 : passage.end_line])


def test_rst_sections_become_passages_with_titles_and_overlines():
    found = split("docs/runbook.rst", RST)
    assert [(p.heading, p.start_line) for p in found] == [
        (("Checkout",), 1),
        (("Checkout", "Deploy"), 7),
        (("Checkout", "Deploy", "Roll back"), 16),
        (("Checkout", "Appendix"), 21),
    ]
    assert found[0].text.startswith("=========\nCheckout")
    assert "make deploy" in found[1].text
    assert found[1].end_line == 14
    assert found[-1].text.endswith("The end.")


def test_a_long_section_is_cut_between_blocks_never_inside_one(monkeypatch):
    monkeypatch.setattr(passages, "MAX_LINES", 6)
    paragraphs = "\n\n".join(f"Paragraph {n} says something." for n in range(6))
    code = "```python\n" + "\n".join(f"step_{n}()" for n in range(10)) + "\n```"
    text = f"# Long\n\n{paragraphs}\n\n{code}\n\nAfter the code.\n"
    found = split("long.md", text)
    assert len(found) > 2
    assert all(p.heading == ("Long",) for p in found)
    holding_code = [p for p in found if "```python" in p.text]
    assert len(holding_code) == 1
    assert "step_0()" in holding_code[0].text and "step_9()" in holding_code[0].text
    assert holding_code[0].text.count("```") == 2
    starts = [p.start_line for p in found]
    assert starts == sorted(starts)
    assert all(a.end_line < b.start_line for a, b in itertools.pairwise(found))


def test_text_before_any_heading_and_empty_docs():
    found = split("notes.md", "Just a note.\n\nAnd another.\n")
    assert [(p.heading, p.start_line, p.end_line) for p in found] == [((), 1, 3)]
    assert split("empty.md", "") == []
    assert split("empty.rst", "") == []


def test_a_title_with_no_text_of_its_own_joins_its_first_subsection():
    found = split(
        "doc.md", "# Billing\n\n## Charging\n\nCharge the card.\n\n## Refunds\n\nRefund.\n"
    )
    assert [(p.heading, p.start_line, p.end_line) for p in found] == [
        (("Billing", "Charging"), 1, 5),
        (("Billing", "Refunds"), 7, 9),
    ]
    assert found[0].text.startswith("# Billing\n\n## Charging")
