"""Pull-request reviews from GitHub, served by a local replay of recorded API responses."""

from __future__ import annotations

import copy
import json
import socket
import threading
from collections.abc import Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from handrail.errors import HandrailError
from handrail.model import Identity
from handrail.people import merge_people
from handrail.policy.approvals import COUNTS, Approval, judge
from handrail.policy.github import (
    PullRequestRef,
    fetch_reviews,
    next_link,
    pull_request_context,
)

FIXTURES = Path(__file__).parent / "fixtures" / "github"
EVENT = FIXTURES / "event_pull_request.json"
RECORDED_API = "https://api.github.com"
TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
HEAD = "3b8e07d5c1f94a26e0b7d3c85f1a9e42d6c07b19"
OLDER = "9f2c4e1b7a3d5f60812c4b9e0a7d3f51c6e82b4a"
PAGE1 = "/repos/acme-payments/checkout-service/pulls/482/reviews?per_page=100"
PAGE2 = "/repositories/734215908/pulls/482/reviews?per_page=100&page=2"


def recording(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class ReplayGitHub:
    """GitHub's REST API as recorded: answers each request path with its recorded response."""

    def __init__(self) -> None:
        self.recordings: dict[str, dict] = {}
        self.requests: list[tuple[str, Message]] = []  # headers match case-insensitively
        self.stalled: set[str] = set()  # paths that never answer
        self.release = threading.Event()
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                replay.requests.append((self.path, self.headers))
                if self.path in replay.stalled:
                    replay.release.wait(10)
                    return
                replay.answer(self)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add(self, record: dict) -> None:
        self.recordings[record["request"]["path"]] = record

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        record = self.recordings.get(handler.path)
        if record is None:
            handler.send_error(501, f"no recording for {handler.path}")
            return
        response = record["response"]
        if "raw_body" in response:
            body = response["raw_body"].encode()
        else:
            body = json.dumps(response["body"]).encode()
        handler.send_response(response["status"])
        for name, value in response["headers"].items():
            # Recorded links point at api.github.com; the replay stands in for it.
            handler.send_header(name, value.replace(RECORDED_API, self.url))
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # urllib honours proxy variables; requests must go straight to 127.0.0.1.
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def github() -> Iterator[ReplayGitHub]:
    replay = ReplayGitHub()
    replay.thread.start()
    yield replay
    replay.release.set()
    replay.server.shutdown()
    replay.server.server_close()
    replay.thread.join()


def actions_env(api_url: str, event_path: Path = EVENT, **extra: str) -> dict[str, str]:
    """The variables a GitHub Actions runner sets for a pull_request workflow."""
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": "acme-payments/checkout-service",
        "GITHUB_API_URL": api_url,
        "GITHUB_TOKEN": TOKEN,
        **extra,
    }


def ref_for(github: ReplayGitHub) -> PullRequestRef:
    ref = pull_request_context(actions_env(github.url))
    assert ref is not None
    return ref


def approval(login: str, user_id: int, head: str, time: int) -> Approval:
    identity = Identity(login, f"{user_id}+{login}@users.noreply.github.com")
    return Approval(identity, head, time, "GitHub review")


# --- which pull request -----------------------------------------------------------------


@pytest.mark.parametrize("event", ["pull_request", "pull_request_target", "pull_request_review"])
def test_context_reads_the_event_file(event: str) -> None:
    env = actions_env("https://ghe.example.com/api/v3/", GITHUB_EVENT_NAME=event)
    ref = pull_request_context(env)
    assert ref == PullRequestRef(
        api_url="https://ghe.example.com/api/v3",
        repository="acme-payments/checkout-service",
        number=482,
        head=HEAD,
        token=TOKEN,
    )
    assert ref.reviews_url == (
        "https://ghe.example.com/api/v3/repos/acme-payments/checkout-service/pulls/482/reviews"
        "?per_page=100"
    )
    assert TOKEN not in repr(ref)


def test_context_defaults_and_token_precedence() -> None:
    env = actions_env("", HANDRAIL_GITHUB_TOKEN="github_pat_handrail")
    del env["GITHUB_API_URL"]
    ref = pull_request_context(env)
    assert ref is not None
    assert ref.api_url == "https://api.github.com"
    assert ref.token == "github_pat_handrail"
    del env["GITHUB_TOKEN"], env["HANDRAIL_GITHUB_TOKEN"]
    ref = pull_request_context(env)
    assert ref is not None
    assert ref.token is None


@pytest.mark.parametrize(
    "env",
    [
        {},  # a laptop, not GitHub Actions
        {"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "/nonexistent/event.json"},
        {"GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_EVENT_PATH": str(EVENT)},
    ],
)
def test_context_is_none_when_not_for_a_pull_request(env: dict[str, str]) -> None:
    assert pull_request_context(env) is None


def test_context_falls_back_to_github_repository(tmp_path: Path) -> None:
    event = json.loads(EVENT.read_text(encoding="utf-8"))
    del event["repository"]
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    ref = pull_request_context(actions_env("https://api.github.com", path))
    assert ref is not None
    assert ref.repository == "acme-payments/checkout-service"


def _edited_event(edit: str) -> str:
    event = json.loads(EVENT.read_text(encoding="utf-8"))
    if edit == "no head sha":
        del event["pull_request"]["head"]["sha"]
    elif edit == "number is a string":
        event["pull_request"]["number"] = "482"
    elif edit == "bad repository":
        event["repository"]["full_name"] = "checkout-service"
    return json.dumps(event)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read the GitHub event file (No such file or directory)"),
        ('{\n  "pull_request": {\n    "number": 482,,\n', "line 3, column 19: invalid JSON"),
        ("[1, 2]", "is not a JSON object"),
        (b"\xff\xfe{}", "not UTF-8"),
        (_edited_event("no head sha"), "field `pull_request.head.sha` is missing"),
        (_edited_event("number is a string"), "field `pull_request.number` is '482'"),
        (_edited_event("bad repository"), "repository.full_name: 'checkout-service' is not"),
    ],
)
def test_bad_event_file_names_the_file(
    tmp_path: Path, content: str | bytes | None, expected: str
) -> None:
    path = tmp_path / "event.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(HandrailError) as error:
        pull_request_context(actions_env("https://api.github.com", path))
    assert str(path) in str(error.value)
    assert expected in str(error.value)


def test_pull_request_event_without_event_path_is_an_error() -> None:
    env = actions_env("https://api.github.com")
    del env["GITHUB_EVENT_PATH"]
    with pytest.raises(HandrailError, match="GITHUB_EVENT_PATH is not set"):
        pull_request_context(env)


def test_api_url_must_be_http() -> None:
    with pytest.raises(HandrailError, match="GITHUB_API_URL: 'file:///etc' is not an http"):
        pull_request_context(actions_env("file:///etc"))


# --- reviews -----------------------------------------------------------------------------


def test_reviews_become_the_standing_approvals(github: ReplayGitHub) -> None:
    github.add(recording("reviews_page1.json"))
    github.add(recording("reviews_page2.json"))

    approvals = fetch_reviews(ref_for(github))

    assert approvals == [
        # Approved the first push and never reviewed again: an approval of an older commit.
        approval("mhernandez", 4419273, OLDER, 1715616131),
        # Kept with its [bot] login so the judge can refuse it.
        approval("github-actions[bot]", 41898282, HEAD, 1715674802),
        # A later COMMENTED review leaves the approval (and its time) standing.
        approval("dpatel-sre", 61170234, HEAD, 1715677277),
        # A later PENDING draft changes nothing.
        approval("erin-okafor", 17460051, HEAD, 1715681575),
        approval("f-lindqvist", 838104, HEAD, 1715683641),
    ]
    # Absent: bkowalski (approved, then requested changes) and carol-ng (approved, then her
    # second approval was dismissed on page 2).
    assert github.paths() == [PAGE1, PAGE2]
    for _, headers in github.requests:
        assert headers["Authorization"] == f"Bearer {TOKEN}"
        assert headers["Accept"] == "application/vnd.github+json"
        assert headers["X-GitHub-Api-Version"] == "2022-11-28"
        assert headers["User-Agent"].startswith("handrail/")


def test_judge_refuses_the_bot_and_the_stale_approval(github: ReplayGitHub) -> None:
    github.add(recording("reviews_page1.json"))
    github.add(recording("reviews_page2.json"))
    approvals = fetch_reviews(ref_for(github))
    people = merge_people({a.approver: 1 for a in approvals})

    verdicts = judge(approvals, HEAD, authors=set(), people=people, roster={})

    assert [(v.approval.approver.name, v.counts, v.why) for v in verdicts] == [
        ("mhernandez", False, f"stale: approved {OLDER[:12]}, the change is now at {HEAD[:12]}"),
        ("github-actions[bot]", False, "a bot cannot approve"),
        ("dpatel-sre", True, COUNTS),
        ("erin-okafor", True, COUNTS),
        ("f-lindqvist", True, COUNTS),
    ]


def test_no_token_sends_no_authorization(github: ReplayGitHub) -> None:
    page = recording("reviews_page1.json")
    del page["response"]["headers"]["Link"]
    github.add(page)
    env = actions_env(github.url)
    del env["GITHUB_TOKEN"]
    ref = pull_request_context(env)
    assert ref is not None

    # Page 1 alone: carol-ng's approval is still standing there.
    logins = [a.approver.name for a in fetch_reviews(ref)]
    assert logins == ["mhernandez", "carol-ng", "github-actions[bot]", "dpatel-sre"]
    assert "Authorization" not in github.requests[0][1]


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("error_401.json", ['answered 401 Unauthorized: "Bad credentials"', "GITHUB_TOKEN"]),
        (
            "error_403_rate_limit.json",
            [
                "answered 403 Forbidden",
                "rate limit exhausted (X-RateLimit-Remaining: 0)",
                "resets at 2024-05-14T12:00:00Z",
            ],
        ),
        ("error_404.json", ['answered 404 Not Found: "Not Found"', "does not exist"]),
        ("error_500.json", ["answered 500 Internal Server Error", "try again later"]),
        ("invalid_json.json", ["answered 200 with invalid JSON (line 1, column 120"]),
    ],
)
def test_api_errors_name_the_url_and_status(
    github: ReplayGitHub, fixture: str, expected: list[str]
) -> None:
    github.add(recording(fixture))
    with pytest.raises(HandrailError) as error:
        fetch_reviews(ref_for(github))
    message = str(error.value)
    assert f"GitHub API {github.url}{PAGE1}" in message
    for fragment in expected:
        assert fragment in message
    assert TOKEN not in message


def test_403_without_rate_limit_asks_for_permission(github: ReplayGitHub) -> None:
    record = recording("error_403_rate_limit.json")
    record["response"]["headers"]["X-RateLimit-Remaining"] = "812"
    record["response"]["body"] = {
        "message": "Resource not accessible by integration",
        "documentation_url": "https://docs.github.com/rest/pulls/reviews",
        "status": "403",
    }
    github.add(record)
    with pytest.raises(HandrailError) as error:
        fetch_reviews(ref_for(github))
    assert '"Resource not accessible by integration"' in str(error.value)
    assert "pull-requests: read" in str(error.value)
    assert "rate limit" not in str(error.value)


def test_timeout_names_the_url(github: ReplayGitHub) -> None:
    github.stalled.add(PAGE1)
    with pytest.raises(HandrailError, match=r"no answer within 0\.3 s") as error:
        fetch_reviews(ref_for(github), timeout=0.3)
    assert f"{github.url}{PAGE1}" in str(error.value)


def test_unreachable_api_names_the_url() -> None:
    with socket.socket() as probe:  # a port nobody listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ref = pull_request_context(actions_env(f"http://127.0.0.1:{port}"))
    assert ref is not None
    with pytest.raises(HandrailError, match=rf"127\.0\.0\.1:{port}/repos/.*cannot connect"):
        fetch_reviews(ref)


def test_malformed_review_names_the_field(github: ReplayGitHub) -> None:
    page = recording("reviews_page1.json")
    del page["response"]["headers"]["Link"]
    del page["response"]["body"][1]["user"]["id"]
    github.add(page)
    with pytest.raises(HandrailError, match=r"review #1: field `user.id` is missing"):
        fetch_reviews(ref_for(github))


def test_next_link_to_another_host_is_not_followed(github: ReplayGitHub) -> None:
    page = recording("reviews_page1.json")
    page["response"]["headers"]["Link"] = f'<https://evil.example{PAGE2}>; rel="next"'
    github.add(page)
    with pytest.raises(HandrailError, match=r"next page https://evil\.example/.* is not on"):
        fetch_reviews(ref_for(github))
    assert github.paths() == [PAGE1]


def test_next_link_back_to_a_read_page_stops(github: ReplayGitHub) -> None:
    first, second = recording("reviews_page1.json"), copy.deepcopy(recording("reviews_page2.json"))
    second["response"]["headers"]["Link"] = f'<{RECORDED_API}{PAGE1}>; rel="next"'
    github.add(first)
    github.add(second)
    with pytest.raises(HandrailError, match="points back to a read page"):
        fetch_reviews(ref_for(github))
    assert github.paths() == [PAGE1, PAGE2]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            '<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; '
            'rel="last"',
            "https://api.github.com/x?page=2",
        ),
        (
            '<https://a/x?page=1>; rel="prev", <https://a/x?page=3>; rel="next"',
            "https://a/x?page=3",
        ),
        ('<https://a/x?q=a,b;c>; rel="next"', "https://a/x?q=a,b;c"),  # , and ; inside <...>
        ('<https://a/1>; title="next, then"; rel=last, <https://a/2>; REL=next', "https://a/2"),
        ('<https://a/x?page=9>; rel="next last"', "https://a/x?page=9"),
        ("</relative?page=2>;rel=next", "/relative?page=2"),
        ('<https://a/x?page=1>; rel="prev", <https://a/x?page=1>; rel="first"', None),
        ("garbage", None),
    ],
)
def test_next_link(header: str, expected: str | None) -> None:
    assert next_link(header) == expected


def test_a_redirect_never_carries_the_token_elsewhere(github: ReplayGitHub) -> None:
    elsewhere = ReplayGitHub()
    elsewhere.thread.start()
    try:
        ref = ref_for(github)
        path = ref.reviews_url.removeprefix(github.url)
        github.add(
            {
                "request": {"path": path},
                "response": {
                    "status": 307,
                    "headers": {"Location": elsewhere.url + path},
                    "body": {},
                },
            }
        )
        page = recording("reviews_page2.json")
        page["request"]["path"] = path
        page["response"]["headers"].pop("Link", None)
        elsewhere.add(page)
        assert fetch_reviews(ref)  # the redirect was followed and answered
        ((_, headers),) = elsewhere.requests
        assert headers["Authorization"] is None
        assert github.requests[0][1]["Authorization"] == f"Bearer {TOKEN}"
    finally:
        elsewhere.server.shutdown()
        elsewhere.server.server_close()
        elsewhere.thread.join()
