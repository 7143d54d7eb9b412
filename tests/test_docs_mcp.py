"""The docs MCP server, driven by the MCP SDK's own client: over stdio against the real
`handrail docs mcp` process, and in memory against the same server object."""

import json
import os
import sys

import anyio
import pytest
from mcp import Client, ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from handrail import git
from handrail.docs.mcp_server import build_server

CODE_V1 = """\
def rotate_database_password():
    return "new"


def legacy_rotate():
    return "old"
"""

CODE_V2 = """\
def rotate_database_password():
    return "new"
"""

RUNBOOK = """\
# Database runbook

## Rotating the password

Call `pkg.rotate.rotate_database_password()` and restart the workers.

## Old procedure

Use `pkg.rotate.legacy_rotate()` to rotate the password by hand.
"""


@pytest.fixture
def runbook_repo(repo):
    repo.commit(
        "code and runbook",
        {"pkg/__init__.py": "", "pkg/rotate.py": CODE_V1, "docs/runbook.md": RUNBOOK},
    )
    repo.commit("drop the legacy rotation", {"pkg/rotate.py": CODE_V2})
    return repo


def _payload(result) -> dict:
    assert not result.is_error, result.content
    [content] = result.content
    return json.loads(content.text)


async def _exercise(session) -> None:
    """What an agent does: list the tools, search, ask about one doc."""
    tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert {"search_docs", "check_doc"} <= tools.keys()
    assert {"query", "limit", "include_stale"} <= tools["search_docs"].input_schema[
        "properties"
    ].keys()

    found = _payload(
        await session.call_tool("search_docs", {"query": "rotate the password by hand"})
    )
    assert [hit["heading"] for hit in found["results"]] == [
        "Database runbook > Rotating the password"
    ]
    assert found["results"][0]["fresh"] is True
    assert found["withheld"] == 1
    [withheld] = found["withheld_passages"]
    assert withheld["heading"] == "Database runbook > Old procedure"
    assert any("legacy_rotate" in reason for reason in withheld["reasons"])

    flagged = _payload(
        await session.call_tool(
            "search_docs", {"query": "rotate the password by hand", "include_stale": True}
        )
    )
    stale = [hit for hit in flagged["results"] if not hit["fresh"]]
    assert [hit["heading"] for hit in stale] == ["Database runbook > Old procedure"]
    assert stale[0]["stale_references"][0]["verdict"] == "removed"

    doc = _payload(await session.call_tool("check_doc", {"path": "docs/runbook.md"}))
    assert doc["stale"][0]["reference"].endswith("legacy_rotate")
    assert 0 < doc["score"] < 1

    missing = await session.call_tool("check_doc", {"path": "docs/nope.md"})
    assert missing.is_error


def test_a_real_client_session_over_stdio(runbook_repo):
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "handrail", "--repo", str(runbook_repo.path), "docs", "mcp"],
        env={"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull},
    )

    async def scenario() -> None:
        async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            await _exercise(session)

    anyio.run(scenario)


def test_the_same_server_in_memory(runbook_repo):
    async def scenario() -> None:
        async with Client(build_server(git.open_repo(runbook_repo.path))) as client:
            assert "search_docs" in (client.instructions or "")
            await _exercise(client)

    anyio.run(scenario)
