"""`handrail approve`: record your approval of a change, in git notes that travel with the repo."""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from handrail import git
from handrail.commands.common import open_repo
from handrail.errors import HandrailError
from handrail.model import Identity
from handrail.policy.approvals import NOTES_REF, Approval, encode, signed_payload
from handrail.policy.signing import sign, signing_setup
from handrail.render import json as json_out
from handrail.render.text import console

_TRUE = {"true", "yes", "on", "1"}  # git's spellings of a true boolean

NAME = "approve"
SUMMARY = "Approve the change at a revision as the current git user (stored in git notes)."
EXAMPLES = f"""\
examples:
  handrail approve                     approve HEAD as `git config user.name/user.email`
  handrail approve --head origin/pr-42
  git push origin {NOTES_REF}    share approvals (git fetch origin '{NOTES_REF}:{NOTES_REF}')

An approval is of one commit: when the change gets a new commit, approve again.
`handrail check` does not count approvals by the change's authors, by bots or by departed people.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--head", default="HEAD", help="the commit to approve (default: HEAD)")
    parser.add_argument(
        "--sign",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="sign with git's signing key, SSH or OpenPGP (default: when git signs commits:"
        " commit.gpgsign)",
    )


def _signed(repo: git.RepoInfo, approval: Approval, wanted: bool | None) -> Approval:
    signs_commits = (git.config_value(repo, "commit.gpgsign") or "").lower() in _TRUE
    if not (signs_commits if wanted is None else wanted):
        return approval
    signature = sign(signed_payload(approval), signing_setup(repo), approval.approver.email)
    return replace(approval, signature=signature)


def run(args: argparse.Namespace) -> int:
    repo = open_repo(args)
    head = git.resolve_commit(repo, args.head)
    if head is None:
        raise HandrailError(f"{repo.cwd}: no commits to approve yet")
    name, email = git.current_identity(repo)
    approval = _signed(
        repo, Approval(Identity(name, email), head, int(time.time()), "git notes"), args.sign
    )
    git.append_note(repo, NOTES_REF, head, encode(approval))
    if args.format == "json":
        json_out.emit(
            {"approved": head, "approver": {"name": name, "email": email}, "ref": NOTES_REF}
        )
    else:
        console().print(f"approved {head[:12]} as {name} <{email}> (in {NOTES_REF})")
    return 0
