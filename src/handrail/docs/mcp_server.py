"""`handrail docs mcp`: the docs search as an MCP server on stdio, so that an agent asks
Handrail for documentation instead of reading the wiki raw, and is told what was withheld."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from handrail import git

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

# A client asking for more than this gets this many: a passage list is read by a model.
MAX_LIMIT = 20

INSTRUCTIONS = """\
Search this repository's documentation with `search_docs` before relying on a runbook or a
doc. Every passage is checked against the code: passages naming files, functions, flags,
commands, environment variables or config keys that no longer exist are withheld (the answer
says how many and why) unless include_stale is true, and then they come flagged with the
reasons. `check_doc` tells how fresh one document is."""


def build_server(repo: git.RepoInfo) -> MCPServer:
    """The server with its tools, bound to one repository (also used in-process by tests)."""
    from mcp.server.mcpserver import MCPServer

    from handrail.docs.search import FindingsMemo, search

    server = MCPServer(name="handrail-docs", instructions=INSTRUCTIONS)
    memo: FindingsMemo = {}  # a doc is checked once per commit, not once per query

    @server.tool(
        description="The documentation passages that best match `query` (BM25), best first,"
        " each with its doc, heading, line range and freshness. Stale passages are withheld"
        " and counted with their reasons, or returned flagged when include_stale is true."
    )
    def search_docs(query: str, limit: int = 5, include_stale: bool = False) -> dict[str, Any]:
        limit = max(1, min(limit, MAX_LIMIT))
        return search(repo, query, limit, include_stale, memo=memo).as_dict(query)

    @server.tool(
        description="How fresh one document is: its share of references that still match the"
        " code, and each stale reference with its line, verdict, reason and evidence commit."
    )
    def check_doc(path: str) -> dict[str, Any]:
        return doc_freshness(repo, path)

    return server


def doc_freshness(repo: git.RepoInfo, path: str) -> dict[str, Any]:
    """`check_docs` on one document, as the `check_doc` tool answers it."""
    from handrail.config import load_config
    from handrail.docs.check import check_docs
    from handrail.errors import HandrailError

    settings = load_config(repo).docs
    report = check_docs(repo, [path], None, settings)
    document = next((d for d in report.documents if d.doc == path), None)
    if document is None:
        raise HandrailError(f"{path}: not a document checked here (see [docs] roots and ignore)")
    return {
        "doc": path,
        "rev": report.rev,
        "score": document.score,
        "references": document.references,
        "stale": [asdict(s) for s in report.stale if s.doc == path],
        "last_edit": document.last_edit,
        "reviewed": document.reviewed,
    }


def serve(repo: git.RepoInfo) -> None:
    """Answer MCP requests on stdin/stdout until the client closes the connection."""
    build_server(repo).run("stdio")
