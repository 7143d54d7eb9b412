"""Credentials leaving the machine: key and token files uploaded or piped to the network,
the environment piped to the network, and credential files read into the agent's context.

Reading a private key or a `.env` file is `ask`, not `allow`: what an agent reads goes into
its transcript, which is sent to a model provider, so a human should agree to it first.
Listing a folder or using a key (`ssh -i key`) is not reading it and stays allowed.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from handrail.guard.model import Verdict
from handrail.guard.words import expand_home, operands

if TYPE_CHECKING:
    from handrail.guard.model import GuardContext, Invocation

FAMILY = "secrets"
RULES = {
    "secrets.upload": "a credential file sent to the network",
    "secrets.environment-upload": "the environment (env, printenv) piped to the network",
    "secrets.read": "reading a credential file or printing a token into the agent's context",
}
SENDERS = frozenset(
    {"curl", "wget", "nc", "ncat", "netcat", "socat", "scp", "sftp", "ftp", "rsync", "telnet"}
    | {"http", "https", "xh", "ssh", "mail", "sendmail", "mutt", "aws", "gsutil", "rclone"}
    | {"dig", "nslookup", "host", "drill", "ping", "gh"}  # DNS names and gists carry data too
)
READERS = frozenset(
    {"cat", "tac", "less", "more", "head", "tail", "bat", "batcat", "nl", "base64", "xxd"}
    | {"od", "hexdump", "strings", "grep", "rg", "egrep", "awk", "sed", "cut", "sort", "jq"}
    | {"yq", "gpg", "openssl", "tar", "zip", "gzip", "cp", "python", "python3", "node", "view"}
    | {"vim", "vi", "nano", "emacs", "code", "type", "Get-Content", "uniq", "column", "pbcopy"}
)
ENVIRONMENT_DUMPS = frozenset({"env", "printenv", "set", "export", "declare", "compgen"})
# Folders that are all keys and tokens, and files elsewhere that hold them.
_SECRET_FOLDERS = (".ssh", ".aws", ".kube", ".gnupg", ".docker", ".azure", ".config/gcloud")
_SECRET_FILES = (
    ".ssh/id_", ".aws/credentials", ".kube/config", ".netrc", ".docker/config.json",
    ".git-credentials", ".pgpass", ".npmrc", ".pypirc", ".config/gcloud/", ".azure/",
    "application_default_credentials.json", ".gnupg/", ".vault-token", ".config/gh/hosts.yml",
)  # fmt: skip
_SECRET_NAMES = ("id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "credentials.json", "kubeconfig")
_SECRET_SUFFIXES = (".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".tfvars")
_HARMLESS_ENV = (".example", ".sample", ".template", ".dist", ".defaults")


def is_secret_path(word: str, context: GuardContext) -> bool:
    """Does this word name a file that holds credentials?"""
    path = expand_home(word.removeprefix("@").lstrip("<"), context.home).rstrip("/")
    name = posixpath.basename(path)
    if name.endswith(".pub") or not name:
        return False
    if name == ".env" or (name.startswith(".env.") and not name.endswith(_HARMLESS_ENV)):
        return True
    if name.endswith(_SECRET_SUFFIXES) or name in _SECRET_NAMES:
        return True
    home = context.home.rstrip("/") + "/" if context.home else None
    relative = path[len(home) :] if home and path.startswith(home) else path
    if relative.rstrip("/") in _SECRET_FOLDERS:
        return True
    return any(relative.startswith(secret) or f"/{secret}" in path for secret in _SECRET_FILES) or (
        path in ("/etc/shadow", "/etc/gshadow", "/etc/sudoers")
    )


_CURL_UPLOADS = frozenset(
    {"-d", "--data", "--data-binary", "--data-urlencode", "--data-ascii", "--json", "-F"}
    | {"--form", "--form-string", "-T", "--upload-file"}
)
_COPY_VALUE_OPTIONS = frozenset({"-i", "-F", "-P", "-o", "-e", "-l", "-S", "-J", "-c", "-p"})


def uploaded_words(invocation: Invocation) -> list[str]:
    """The arguments naming what a network program sends (not the keys it authenticates with)."""
    args, name = invocation.args, invocation.program
    sent = [target for operator, target in invocation.redirects if operator == "<"]
    if name == "curl":
        for index, arg in enumerate(args):
            option, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
            if option in _CURL_UPLOADS:
                value = value if equals else (args[index + 1] if index + 1 < len(args) else "")
                sent += [value.partition("@")[2], value.partition("<")[2], value]
            elif arg.startswith("-d@"):
                sent.append(arg[2:])
    elif name == "wget":
        sent += [a.partition("=")[2] for a in args if a.startswith(("--post-file", "--body-file"))]
    elif name in ("http", "https", "xh"):
        sent += [a.partition("@")[2] for a in args if "@" in a]
    elif name == "gh" and args[:2] == ("gist", "create"):
        sent += operands(args[2:], frozenset({"-d", "--desc", "-f", "--filename"}))
    elif name in ("scp", "sftp", "rsync", "rclone", "gsutil", "aws", "mail", "mutt"):
        sent += operands(args, _COPY_VALUE_OPTIONS)
        sent += [args[i + 1] for i, a in enumerate(args[:-1]) if a in ("-a", "--attach")]
    return [word for word in sent if word]


def _secret_in(words: list[str], context: GuardContext) -> str | None:
    return next((w.lstrip("@<") for w in words if is_secret_path(w, context)), None)


def _reads_secret(invocation: Invocation, context: GuardContext) -> str | None:
    if invocation.program not in READERS:
        return None
    inputs = [target for operator, target in invocation.redirects if operator == "<"]
    read = operands(invocation.args)[:-1] if invocation.program == "cp" else invocation.args
    return _secret_in([*read, *inputs], context)


_SECRET_VARIABLE_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "ACCESS_KEY")
_SECRET_VARIABLE_WORDS += ("PRIVATE_KEY", "CREDENTIAL", "AUTH")


def _secret_variable(words: list[str]) -> str | None:
    """`$GITHUB_TOKEN` inside what is sent (a header that authenticates is not sent data)."""
    for word in words:
        for part in word.split("$")[1:]:
            name = part.lstrip("{").split("}")[0]
            name = "".join(c for c in name if c.isalnum() or c == "_")
            if _secret_name(name):
                return name
    return None


def _secret_name(name: str) -> bool:
    return any(marker in name.upper() for marker in _SECRET_VARIABLE_WORDS)


def _dumps_environment(invocation: Invocation) -> bool:
    if invocation.program in ("env", "printenv"):
        return not invocation.args or all(
            "=" not in a and a.startswith("-") for a in invocation.args
        )
    return invocation.program in ("set", "export", "declare") and invocation.args in ((), ("-p",))


def judge(invocation: Invocation, context: GuardContext) -> Verdict | None:
    sent = _sending(invocation, context) if invocation.program in SENDERS else None
    if sent is not None:
        return sent
    shown = f"`{invocation.source}`"
    printed = _printed_credential(invocation)
    if printed is not None:
        return Verdict(
            "ask", "secrets.read", f"{shown} prints {printed} into the agent's transcript"
        )
    secret = _reads_secret(invocation, context)
    if secret is not None:
        what = f"the credential file {secret}"
        return Verdict("ask", "secrets.read", f"{shown} reads {what} into the agent's transcript")
    return None


# Commands whose output is a credential: the program, the words its arguments start with, and
# what it prints.
_TOKEN_PRINTERS = (
    ("gh", ("auth", "token"), "the GitHub token"),
    ("glab", ("auth", "token"), "the GitLab token"),
    ("gcloud", ("auth", "print-access-token"), "a Google Cloud access token"),
    ("gcloud", ("auth", "print-identity-token"), "a Google Cloud identity token"),
    ("gcloud", ("auth", "application-default", "print-access-token"), "a Google Cloud token"),
    ("az", ("account", "get-access-token"), "an Azure access token"),
    ("aws", ("configure", "export-credentials"), "the AWS access keys"),
    ("vault", ("print", "token"), "the Vault token"),
)
_UNPRINTED_FORMATS = (None, "name", "wide")


def _printed_credential(invocation: Invocation) -> str | None:
    """What credential the command prints to its output, when that output is the transcript
    (not `$(…)` feeding another command, nor a file)."""
    into_file = any(operator in (">", ">>") for operator, _ in invocation.redirects)
    if into_file or {"$(", "`"} & set(invocation.via):
        return None
    program, args = invocation.program, invocation.args
    for name, lead, what in _TOKEN_PRINTERS:
        if program == name and args[: len(lead)] == lead:
            return what
    if program == "aws" and args[:2] == ("configure", "get") and _secret_name("".join(args[2:3])):
        return f"the AWS setting {args[2]}"
    if program == "printenv":
        variable = next((a for a in args if not a.startswith("-") and _secret_name(a)), None)
        return None if variable is None else f"the secret variable {variable}"
    if program in ("kubectl", "oc") and "get" in args and _names_secret(args):
        return None if _output_format(args) in _UNPRINTED_FORMATS else "the secret's values"
    return None


def _names_secret(args: tuple[str, ...]) -> bool:
    return any(a in ("secret", "secrets") or a.startswith(("secret/", "secrets/")) for a in args)


def _output_format(args: tuple[str, ...]) -> str | None:
    """kubectl's `-o FORMAT`, `-oFORMAT`, `--output=FORMAT`."""
    for index, arg in enumerate(args):
        if arg in ("-o", "--output") and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--output="):
            return arg.partition("=")[2]
        if arg.startswith("-o") and len(arg) > 2:
            return arg[2:].lstrip("=")
    return None


def _sending(invocation: Invocation, context: GuardContext) -> Verdict | None:
    sent = uploaded_words(invocation)
    shown = f"`{invocation.source}`"
    variable = _secret_variable(sent)
    if variable is not None:
        return _leak(f"{shown} sends the secret variable ${variable} over the network")
    secret = _secret_in(sent, context)
    if secret is not None:
        return _leak(f"{shown} sends the credential file {secret} over the network")
    for source in (*invocation.upstream, *invocation.feeds):
        leaked = _reads_secret(source, context)
        if leaked is not None:
            return _leak(f"the credential file {leaked} is sent over the network by {shown}")
        if _dumps_environment(source):
            return _leak(
                f"`{source.source}` sends every environment variable (tokens included) to {shown}",
                "secrets.environment-upload",
            )
    return None


def _leak(reason: str, rule: str = "secrets.upload") -> Verdict:
    return Verdict("deny", rule, reason)
