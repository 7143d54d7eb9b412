"""Signed approvals, with the SSH signing git itself uses (`gpg.format = ssh`).

An approval is signed over its own JSON record (without the signature) by `ssh-keygen -Y`,
the same tool and key git uses to sign commits, and verified against git's allowed-signers
file. OpenPGP and X.509 signing are not supported: `approve --sign` says so.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from handrail import git
from handrail.errors import HandrailError

NAMESPACE = "handrail-approval"  # a signature for one purpose cannot be replayed for another


@dataclass(frozen=True)
class SshSigning:
    key: str | None  # user.signingkey: a key file; None when only verifying
    allowed_signers: Path | None  # gpg.ssh.allowedSignersFile


def ssh_signing(repo: git.RepoInfo) -> SshSigning | None:
    """The repository's SSH signing setup, or None when git does not sign with SSH."""
    if (git.config_value(repo, "gpg.format") or "openpgp") != "ssh":
        return None
    allowed = git.config_value(repo, "gpg.ssh.allowedSignersFile")
    return SshSigning(
        git.config_value(repo, "user.signingkey"),
        Path(allowed).expanduser() if allowed else None,
    )


def _ssh_keygen(*args: str, payload: bytes) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["ssh-keygen", "-Y", *args], input=payload, capture_output=True, check=False
        )
    except FileNotFoundError as exc:
        raise HandrailError("ssh-keygen is not installed: cannot sign or verify") from exc


def sign(payload: bytes, setup: SshSigning) -> str:
    if not setup.key:
        raise HandrailError("git config user.signingkey is not set: no key to sign with")
    proc = _ssh_keygen(
        "sign", "-f", str(Path(setup.key).expanduser()), "-n", NAMESPACE, payload=payload
    )
    if proc.returncode != 0:
        problem = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise HandrailError(f"signing with {setup.key} failed: {problem[-1] if problem else ''}")
    return proc.stdout.decode("ascii")


def verify(payload: bytes, signature: str, principal: str, setup: SshSigning | None) -> str:
    """'valid', or why the signature cannot be trusted."""
    if setup is None or setup.allowed_signers is None:
        return "not verifiable here (no gpg.format=ssh with gpg.ssh.allowedSignersFile)"
    with tempfile.NamedTemporaryFile("w", suffix=".sig") as handle:
        handle.write(signature)
        handle.flush()
        proc = _ssh_keygen(
            "verify",
            "-f",
            str(setup.allowed_signers),
            "-I",
            principal,
            "-n",
            NAMESPACE,
            "-s",
            handle.name,
            payload=payload,
        )
    return "valid" if proc.returncode == 0 else "does not verify for " + principal
