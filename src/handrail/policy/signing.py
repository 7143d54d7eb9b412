"""Signed approvals, with the signing git itself is configured for (`gpg.format`).

An approval is signed over its own JSON record (without the signature), with the same tool and
key git uses to sign commits:

* SSH (`gpg.format = ssh`): `ssh-keygen -Y sign`, under a namespace of our own, verified against
  git's allowed-signers file (`gpg.ssh.allowedSignersFile`) for the approver's e-mail;
* OpenPGP (git's default): a detached, armoured `gpg` signature by `user.signingkey` (else the
  committer's identity, as git does), verified against the verifier's keyring; the signing key
  must carry the approver's e-mail among its user ids.

Which verifier applies is read from the signature itself, not from the local configuration:
the approver's setup and the checker's may differ. X.509 (`gpgsm`) is not supported.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from handrail import git
from handrail.errors import HandrailError

NAMESPACE = "handrail-approval"  # an SSH signature for one purpose cannot be replayed for another
_ARMOUR = {
    "ssh": "-----BEGIN SSH SIGNATURE-----",
    "openpgp": "-----BEGIN PGP SIGNATURE-----",
}


@dataclass(frozen=True)
class Signing:
    """git's signing setup for this repository."""

    format: str  # "ssh", "openpgp" or "x509", as gpg.format says
    key: str | None  # user.signingkey
    program: str  # the signing program git would run
    allowed_signers: Path | None  # gpg.ssh.allowedSignersFile


def signing_setup(repo: git.RepoInfo) -> Signing:
    format_ = git.config_value(repo, "gpg.format") or "openpgp"
    default_program = {"ssh": "ssh-keygen", "x509": "gpgsm"}.get(format_, "gpg")
    program = git.config_value(repo, f"gpg.{format_}.program")
    if program is None and format_ == "openpgp":
        program = git.config_value(repo, "gpg.program")  # the older, format-less setting
    allowed = git.config_value(repo, "gpg.ssh.allowedSignersFile")
    return Signing(
        format_,
        git.config_value(repo, "user.signingkey"),
        program or default_program,
        Path(allowed).expanduser() if allowed else None,
    )


def _run(command: list[str], payload: bytes) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(command, input=payload, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise HandrailError(f"{command[0]} is not installed: cannot sign or verify") from exc


def sign(payload: bytes, setup: Signing, identity_email: str) -> str:
    """The armoured signature of `payload` with git's signing key."""
    if setup.format == "ssh":
        if not setup.key:
            raise HandrailError("git config user.signingkey is not set: no SSH key to sign with")
        key = str(Path(setup.key).expanduser())
        command = [setup.program, "-Y", "sign", "-f", key, "-n", NAMESPACE]
    elif setup.format == "openpgp":
        key = setup.key or identity_email  # git signs as the committer when no key is named
        command = [setup.program, "--batch", "--detach-sign", "--armor", "--local-user", key]
    else:
        raise HandrailError(
            f"gpg.format {setup.format!r}: approvals are signed with SSH or OpenPGP keys only;"
            " use --no-sign"
        )
    proc = _run(command, payload)
    if proc.returncode != 0:
        problem = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise HandrailError(f"signing with {key} failed: {problem[-1] if problem else ''}")
    return proc.stdout.decode("ascii")


def verify(payload: bytes, signature: str, principal: str, setup: Signing) -> str:
    """'valid', 'not verifiable here (…)' when nothing here can check it, or why the
    signature cannot be trusted."""
    if signature.startswith(_ARMOUR["ssh"]):
        return _verify_ssh(payload, signature, principal, setup)
    if signature.startswith(_ARMOUR["openpgp"]):
        program = setup.program if setup.format == "openpgp" else "gpg"
        return _verify_openpgp(payload, signature, principal, program)
    return "is neither an SSH nor an OpenPGP signature"


def _verify_ssh(payload: bytes, signature: str, principal: str, setup: Signing) -> str:
    if setup.allowed_signers is None:
        return "not verifiable here (no gpg.ssh.allowedSignersFile)"
    program = setup.program if setup.format == "ssh" else "ssh-keygen"
    with tempfile.NamedTemporaryFile("w", suffix=".sig") as handle:
        handle.write(signature)
        handle.flush()
        allowed = str(setup.allowed_signers)
        command = [program, "-Y", "verify", "-f", allowed, "-I", principal, "-n", NAMESPACE]
        proc = _run([*command, "-s", handle.name], payload)
    return "valid" if proc.returncode == 0 else f"does not verify for {principal}"


def _verify_openpgp(payload: bytes, signature: str, principal: str, program: str) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".asc") as handle:
        handle.write(signature)
        handle.flush()
        proc = _run([program, "--batch", "--status-fd", "1", "--verify", handle.name, "-"], payload)
    status = _status(proc.stdout)
    if "NO_PUBKEY" in status:
        return f"not verifiable here (public key {status['NO_PUBKEY'][0]} is not in the keyring)"
    for problem, meaning in (
        ("BADSIG", "does not verify"),
        ("EXPKEYSIG", "was made with an expired key"),
        ("REVKEYSIG", "was made with a revoked key"),
    ):
        if problem in status:
            return f"{meaning} for {principal}"
    if "GOODSIG" not in status or "VALIDSIG" not in status or proc.returncode != 0:
        return f"does not verify for {principal}"
    valid = status["VALIDSIG"]
    fingerprint = valid[9] if len(valid) > 9 else valid[0]  # the primary key's, when given
    if principal.casefold() not in _key_emails(program, fingerprint):
        return f"is by key {fingerprint}, which has no user id for {principal}"
    return "valid"


def _status(output: bytes) -> dict[str, list[str]]:
    """gpg's machine-readable status lines: keyword → its arguments."""
    lines = output.decode("utf-8", "replace").splitlines()
    return {
        fields[1]: fields[2:]
        for line in lines
        if line.startswith("[GNUPG:] ") and len(fields := line.split()) > 1
    }


def _key_emails(program: str, fingerprint: str) -> set[str]:
    proc = _run([program, "--batch", "--with-colons", "--list-keys", fingerprint], b"")
    emails = set()
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        fields = line.split(":")
        if fields[0] == "uid" and len(fields) > 9 and fields[1] not in {"r", "e"}:
            _, _, address = fields[9].rpartition("<")
            emails.add(address.rstrip(">").strip().casefold() or fields[9].casefold())
    return emails
