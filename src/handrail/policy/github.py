"""Pull-request reviews on GitHub, read as approvals when Handrail runs in GitHub Actions.

Reviews are folded the way GitHub folds them: each reviewer's latest verdict stands. Whether
an approval then counts (bot, author, stale commit) is for `approvals.judge` to say.
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from handrail import __version__
from handrail.errors import HandrailError
from handrail.model import Identity
from handrail.policy.approvals import Approval

DEFAULT_API_URL = "https://api.github.com"
PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target", "pull_request_review"})
TIMEOUT = 30.0  # seconds per request; a hung API must fail the check, not stall the runner

_API_VERSION = "2022-11-28"
_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # SHA-1, or SHA-256 repositories
_FULL_NAME = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
# States that leave a reviewer's earlier verdict standing: a comment is not a verdict, and a
# pending review is an unsubmitted draft.
_NEUTRAL_STATES = frozenset({"COMMENTED", "PENDING"})


@dataclass(frozen=True)
class PullRequestRef:
    """The pull request a workflow runs for, and how to reach its API."""

    api_url: str  # without a trailing slash
    repository: str  # "owner/name"
    number: int
    head: str  # the commit under review
    token: str | None = field(default=None, repr=False)  # never in logs or error output

    @property
    def reviews_url(self) -> str:
        return f"{self.api_url}/repos/{self.repository}/pulls/{self.number}/reviews?per_page=100"


class Opener(Protocol):
    """`urllib.request.urlopen`, or the `open` of an `OpenerDirector` (proxies, CA bundles)."""

    def __call__(self, request: urllib.request.Request, *, timeout: float) -> Any: ...


def pull_request_context(environ: Mapping[str, str]) -> PullRequestRef | None:
    """The pull request of this GitHub Actions run, or None when it is not for one."""
    if environ.get("GITHUB_EVENT_NAME") not in PULL_REQUEST_EVENTS:
        return None
    event_path = environ.get("GITHUB_EVENT_PATH")
    if not event_path:
        raise HandrailError(
            f"GITHUB_EVENT_NAME is {environ['GITHUB_EVENT_NAME']} but GITHUB_EVENT_PATH is not set"
        )
    event = _read_event(Path(event_path))
    number = _field(event, "pull_request.number", int, event_path)
    head = _field(event, "pull_request.head.sha", str, event_path)
    if number <= 0:
        raise HandrailError(f"{event_path}: pull_request.number is {number}, not a PR number")
    if not _SHA.fullmatch(head):
        raise HandrailError(f"{event_path}: pull_request.head.sha {head!r} is not a commit id")
    repository = _event_repository(event, event_path, environ)
    return PullRequestRef(
        api_url=_api_url(environ),
        repository=repository,
        number=number,
        head=head,
        token=environ.get("HANDRAIL_GITHUB_TOKEN") or environ.get("GITHUB_TOKEN") or None,
    )


def fetch_reviews(
    ref: PullRequestRef, opener: Opener = urllib.request.urlopen, timeout: float = TIMEOUT
) -> list[Approval]:
    """Every reviewer's standing approval, read through all pages of the reviews API."""
    reviews: list[tuple[str, object]] = []
    url: str | None = ref.reviews_url
    read: set[str] = set()
    while url is not None:
        if url in read:  # a server bug must not turn into an endless loop
            raise HandrailError(f"GitHub API {url}: the next page link points back to a read page")
        read.add(url)
        page, link = _get_json(url, ref.token, opener, timeout)
        if not isinstance(page, list):
            raise HandrailError(
                f"GitHub API {url}: expected a list of reviews, got JSON {page!r:.80}"
            )
        reviews.extend((f"GitHub API {url}, review #{i}", review) for i, review in enumerate(page))
        url = _next_page(url, link, ref.api_url)
    return _standing_approvals(reviews)


def next_link(header: str) -> str | None:
    """The target of the rel="next" link in a Link header (RFC 8288), as written."""
    for link_value in _split(header, ","):
        target, *params = _split(link_value, ";")
        target = target.strip()
        if not (target.startswith("<") and target.endswith(">")):
            continue
        for param in params:
            name, _, value = param.partition("=")
            # rel may hold several space-separated relation types, e.g. rel="next last".
            if name.strip().casefold() == "rel" and "next" in value.strip('" ').casefold().split():
                return target[1:-1].strip()
    return None


def _standing_approvals(reviews: list[tuple[str, object]]) -> list[Approval]:
    # GitHub lists reviews in chronological order, so a later entry is a later verdict.
    standing: dict[int, Approval | None] = {}
    for where, review in reviews:
        state = _field(review, "state", str, where)
        if state in _NEUTRAL_STATES:
            continue
        if _field(review, "user", dict | None, where) is None:
            continue  # a deleted account: nobody is left to answer for the approval
        user_id = _field(review, "user.id", int, where)
        login = _field(review, "user.login", str, where)
        commit = _field(review, "commit_id", str | None, where)
        if state != "APPROVED" or commit is None:
            # CHANGES_REQUESTED and DISMISSED cancel; so does any state GitHub adds later,
            # because an approval Handrail cannot interpret must not keep counting. An approval
            # of a garbage-collected commit (commit_id null) cannot be the head under review.
            standing[user_id] = None
            continue
        standing[user_id] = Approval(
            approver=Identity(login, f"{user_id}+{login}@users.noreply.github.com"),
            head=commit,
            time=_epoch(_field(review, "submitted_at", str, where), where),
            source="GitHub review",
        )
    approvals = [a for a in standing.values() if a is not None]
    return sorted(approvals, key=lambda a: (a.time, a.approver.name))


def _get_json(
    url: str, token: str | None, opener: Opener, timeout: float
) -> tuple[object, str | None]:
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": _API_VERSION,
        "User-Agent": f"handrail/{__version__}",
    }
    request = urllib.request.Request(url, headers=headers)
    if token:
        # An unredirected header: urllib drops it when following a redirect, so the token
        # never travels to whatever host a redirect names.
        request.add_unredirected_header("Authorization", f"Bearer {token}")
    try:
        with opener(request, timeout=timeout) as response:
            status, body, link = response.status, response.read(), response.headers.get("Link")
    except urllib.error.HTTPError as exc:
        with exc:
            raise HandrailError(_http_error(url, exc)) from exc
    except (TimeoutError, urllib.error.URLError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise HandrailError(f"GitHub API {url}: no answer within {timeout:g} s") from exc
        raise HandrailError(f"GitHub API {url}: cannot connect ({reason})") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise HandrailError(f"GitHub API {url}: the connection failed ({exc!r})") from exc
    try:
        return json.loads(body), link
    except json.JSONDecodeError as exc:
        raise HandrailError(
            f"GitHub API {url} answered {status} with invalid JSON "
            f"(line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    except UnicodeDecodeError as exc:
        raise HandrailError(
            f"GitHub API {url} answered {status} with invalid JSON ({exc})"
        ) from exc


def _http_error(url: str, exc: urllib.error.HTTPError) -> str:
    said = _github_message(exc)
    head = f"GitHub API {url} answered {exc.code} {exc.reason}" + (f': "{said}"' if said else "")
    remaining = exc.headers.get("X-RateLimit-Remaining")
    if exc.code in (403, 429) and (remaining == "0" or "rate limit" in said.casefold()):
        return head + _rate_limit_hint(exc)
    if exc.code == 401:
        return head + "; set HANDRAIL_GITHUB_TOKEN or GITHUB_TOKEN to a valid token"
    if exc.code == 403:
        return head + "; the token needs read access to pull requests (pull-requests: read)"
    if exc.code == 404:
        return head + "; the repository or pull request does not exist, or the token cannot see it"
    if exc.code >= 500:
        return head + "; GitHub is failing, try again later"
    return head


def _rate_limit_hint(exc: urllib.error.HTTPError) -> str:
    hint = "; rate limit exhausted"
    remaining, reset = (
        exc.headers.get("X-RateLimit-Remaining"),
        exc.headers.get("X-RateLimit-Reset"),
    )
    if remaining is not None:
        hint += f" (X-RateLimit-Remaining: {remaining})"
    if reset is not None and reset.isdigit():
        hint += f", resets at {datetime.fromtimestamp(int(reset), UTC):%Y-%m-%dT%H:%M:%SZ}"
    retry_after = exc.headers.get("Retry-After")  # secondary rate limits say when instead
    if retry_after is not None:
        hint += f", retry after {retry_after} s"
    return hint


def _github_message(exc: urllib.error.HTTPError) -> str:
    """GitHub's own explanation from an error body ({"message": ...}), if there is one."""
    try:
        body = json.loads(exc.read())
    except (OSError, http.client.HTTPException, ValueError):
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return " ".join(message.split())[:200] if isinstance(message, str) else ""


def _next_page(url: str, link: str | None, api_url: str) -> str | None:
    target = next_link(link) if link else None
    if target is None:
        return None
    absolute = urljoin(url, target)  # RFC 8288: a relative target resolves against the request
    # The token goes with every request, so follow links only to the API it was meant for.
    if urlsplit(absolute)[:2] != urlsplit(api_url)[:2]:
        raise HandrailError(f"GitHub API {url}: next page {absolute} is not on {api_url}")
    return absolute


def _split(text: str, separator: str) -> list[str]:
    """Split at `separator`, except inside <URI> or a "quoted string" (RFC 8288 syntax)."""
    parts: list[str] = []
    current: list[str] = []
    closing: str | None = None  # the character that ends the <...> or "..." we are inside
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif closing == '"' and char == "\\":
            escaped = True
        elif closing is not None:
            closing = None if char == closing else closing
        elif char in '<"':
            closing = ">" if char == "<" else '"'
        elif char == separator:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _read_event(path: Path) -> dict[str, object]:
    try:
        event = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HandrailError(f"{path}: cannot read the GitHub event file ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise HandrailError(
            f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg})"
        ) from exc
    except UnicodeDecodeError as exc:
        raise HandrailError(f"{path}: the GitHub event file is not UTF-8 ({exc})") from exc
    if not isinstance(event, dict):
        raise HandrailError(f"{path}: the GitHub event is not a JSON object")
    return event


def _event_repository(event: dict[str, object], event_path: str, environ: Mapping[str, str]) -> str:
    # The event names the repository the pull request belongs to; the variable is a fallback.
    if event.get("repository") is not None:
        source = f"{event_path}: repository.full_name"
        full_name = _field(event, "repository.full_name", str, event_path)
    else:
        source, full_name = "GITHUB_REPOSITORY", environ.get("GITHUB_REPOSITORY", "")
    if not _FULL_NAME.fullmatch(full_name):
        raise HandrailError(f"{source}: {full_name!r} is not an owner/name repository")
    return full_name


def _api_url(environ: Mapping[str, str]) -> str:
    url = (environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise HandrailError(f"GITHUB_API_URL: {url!r} is not an http(s) URL")
    return url


def _field(data: object, path: str, kind: Any, where: str) -> Any:
    """The value at a dotted path, checked against `kind` (a type or a union of types)."""
    value = data
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            raise HandrailError(f"{where}: field `{path}` is missing")
        value = value[key]
    # bool is an int in Python, but never a valid number or id in these payloads.
    if isinstance(value, bool) or not isinstance(value, kind):
        raise HandrailError(f"{where}: field `{path}` is {value!r:.80}, not of the expected type")
    return value


def _epoch(timestamp: str, where: str) -> int:
    try:
        moment = datetime.fromisoformat(timestamp)
    except ValueError as exc:
        raise HandrailError(f"{where}: submitted_at {timestamp!r} is not a date-time") from exc
    if moment.tzinfo is None:  # GitHub writes UTC; never let the runner's zone shift it
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())
