"""The `[docs]` section of handrail.toml: which docs to check and what is never ours."""

from __future__ import annotations

import msgspec

from handrail.globs import compile_globs

# Vendored code and change logs: the first is not ours, the second names removed things on
# purpose.
DEFAULT_IGNORE = (
    "node_modules/",
    "vendor/",
    "third_party/",
    "site-packages/",
    ".venv/",
    "venv/",
    ".tox/",
    "CHANGELOG*",
    "CHANGES*",
    "HISTORY*",
    "NEWS*",
    "RELEASE*",
    "**/changelog/",
    "**/changelogs/",
    "**/release-notes/",
    "**/release_notes/",
)


class DocsSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """`roots`: git-style globs of the docs to check; `ignore`: globs left out (added to the
    vendored and change-log defaults); `external`: name prefixes that are never this
    repository's (`boto3.`, `--aws-`); `fail_on_changed`: exit 1 on `changed` verdicts too."""

    roots: list[str] = msgspec.field(
        default_factory=lambda: ["README*", "docs/", "doc/", "*.md", "*.markdown", "*.rst"]
    )
    ignore: list[str] = []
    external: list[str] = []
    fail_on_changed: bool = False

    def selects(self, paths: list[str]) -> list[str]:
        """The documents among `paths` these settings ask to check."""
        from handrail.docs.extract import is_document

        roots = compile_globs(self.roots)
        ignored = compile_globs([*DEFAULT_IGNORE, *self.ignore])
        return [
            path
            for path in paths
            if is_document(path) and roots.match_file(path) and not ignored.match_file(path)
        ]
