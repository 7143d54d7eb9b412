"""Components and owners, from handrail.toml, Backstage catalog files and CODEOWNERS."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from handrail.config import Config
from handrail.errors import HandrailError
from handrail.globs import compile_globs

if TYPE_CHECKING:
    import pathspec
    from codeowners import CodeOwners

# Third-party parsers are imported where they are used, so commands that read no CODEOWNERS
# or catalog files start without them.

# Where GitHub and GitLab look, in the order they look; the first one found is used.
CODEOWNERS_LOCATIONS = (".github/CODEOWNERS", ".gitlab/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
BACKSTAGE_FILES = frozenset({"catalog-info.yaml", "catalog-info.yml"})
# Where a Backstage entity may state its criticality; Backstage itself has no standard field.
TIER_ANNOTATION = "handrail.dev/tier"


@dataclass(frozen=True)
class Component:
    """A named part of the repository, with the paths it covers."""

    name: str
    paths: tuple[str, ...]
    tier: int | None  # None: nobody said; treat as unknown, not as harmless
    owners: tuple[str, ...]
    source: str  # where it was declared, e.g. "handrail.toml" or "CODEOWNERS:12"

    @cached_property
    def _spec(self) -> pathspec.GitIgnoreSpec:
        return compile_globs(self.paths)

    def covers(self, path: str) -> bool:
        return self._spec.match_file(path)


@dataclass(frozen=True)
class OwnershipRule:
    """One CODEOWNERS line."""

    pattern: str
    owners: tuple[str, ...]
    line: int
    section: str | None


@dataclass
class Catalog:
    components: list[Component]
    codeowners_file: str | None = None
    codeowners_rules: list[OwnershipRule] = field(default_factory=list)
    _codeowners: CodeOwners | None = None

    def components_of(self, path: str) -> list[Component]:
        return [c for c in self.components if c.covers(path)]

    def codeowners_of(self, path: str) -> tuple[str, ...]:
        """Owners by CODEOWNERS' own rule: the last matching line wins."""
        if self._codeowners is None:
            return ()
        return tuple(owner for _, owner in self._codeowners.of(path))


def parse_codeowners(text: str, source: str) -> tuple[CodeOwners, list[OwnershipRule]]:
    from codeowners import CodeOwners

    try:
        parsed = CodeOwners(text)
    except ValueError as exc:
        raise HandrailError(f"{source}: {exc}") from exc
    rules = [
        OwnershipRule(pattern, tuple(owner for _, owner in owners), line, section)
        for _, pattern, owners, line, section in reversed(parsed.paths)
    ]
    return parsed, rules


def _directory_glob(pattern: str) -> str | None:
    """A CODEOWNERS pattern that names one directory, as a component path; else None."""
    bare = pattern.strip("/")
    if not bare or any(ch in bare for ch in "*?[") or not pattern.endswith("/"):
        return None
    return f"/{bare}/"


def components_from_codeowners(rules: list[OwnershipRule], source: str) -> list[Component]:
    """Each directory rule with owners becomes a component (tier unknown)."""
    found: dict[str, Component] = {}
    for rule in rules:
        glob = _directory_glob(rule.pattern)
        if glob and rule.owners:
            name = glob.strip("/").replace("/", "-")
            found[name] = Component(name, (glob,), None, rule.owners, f"{source}:{rule.line}")
    return list(found.values())


def _yaml_error(path: str, exc: Exception) -> HandrailError:
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else path
    problem = getattr(exc, "problem", None) or str(exc)
    return HandrailError(f"{where}: invalid YAML: {problem}")


def components_from_backstage(path: str, text: str) -> list[Component]:
    """`kind: Component` entities of one catalog-info.yaml; they cover its directory."""
    import yaml

    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc) from exc
    folder = posixpath.dirname(path)
    glob = f"/{folder}/" if folder else "/*"
    found = []
    for number, doc in enumerate(documents, start=1):
        if not isinstance(doc, dict) or str(doc.get("kind", "")).casefold() != "component":
            continue
        metadata = doc.get("metadata") or {}
        spec = doc.get("spec") or {}
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if not isinstance(name, str) or not name:
            raise HandrailError(f"{path}: document {number}: metadata.name is missing")
        owner = spec.get("owner") if isinstance(spec, dict) else None
        found.append(
            Component(
                name,
                (glob,),
                _backstage_tier(path, number, metadata),
                (str(owner),) if owner else (),
                path,
            )
        )
    return found


def _backstage_tier(path: str, number: int, metadata: dict[str, object]) -> int | None:
    annotations = metadata.get("annotations") or {}
    raw = annotations.get(TIER_ANNOTATION) if isinstance(annotations, dict) else None
    if raw is None:
        return None
    if str(raw) not in {"0", "1", "2", "3"}:
        raise HandrailError(
            f"{path}: document {number}: metadata.annotations.{TIER_ANNOTATION}"
            f" must be 0, 1, 2 or 3 (got {raw!r})"
        )
    return int(str(raw))


def build_catalog(config: Config, files: list[str], read: Callable[[str], bytes | None]) -> Catalog:
    """handrail.toml wins; Backstage adds components it does not name; CODEOWNERS fills in
    components only when neither declares any, and always answers "who owns this path"."""
    components = [
        Component(c.name, tuple(c.paths), c.tier, tuple(c.owners), "handrail.toml")
        for c in config.component
    ]
    names = {c.name for c in components}
    for path in sorted(f for f in files if posixpath.basename(f) in BACKSTAGE_FILES):
        raw = read(path)
        for component in components_from_backstage(path, _text(path, raw)) if raw else []:
            if component.name not in names:
                names.add(component.name)
                components.append(component)
    catalog = Catalog(components)
    tracked = set(files)
    for location in CODEOWNERS_LOCATIONS:
        raw = read(location) if location in tracked else None
        if raw is None:
            continue
        catalog._codeowners, catalog.codeowners_rules = parse_codeowners(
            _text(location, raw), location
        )
        catalog.codeowners_file = location
        if not components:
            catalog.components = components_from_codeowners(catalog.codeowners_rules, location)
        break
    return catalog


def _text(path: str, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HandrailError(f"{path}: not UTF-8 text (byte {exc.start})") from exc


# Directories whose children are the components (monorepo and package layouts).
_CONTAINERS = frozenset(
    {
        "src",
        "lib",
        "libs",
        "packages",
        "services",
        "apps",
        "cmd",
        "internal",
        "modules",
        "components",
        "plugins",
        "crates",
        "projects",
    }
)
_NOT_OURS = frozenset({"vendor", "third_party", "third-party", "node_modules", "external"})
# Rarely where an outage starts: suggested as tier 3 rather than the neutral 2.
LOW_TIER_DIRECTORIES = frozenset(
    {
        "docs",
        "doc",
        "test",
        "tests",
        "testing",
        "examples",
        "example",
        "benchmarks",
        "bench",
        "scripts",
        "tools",
        "samples",
    }
)


def directories_from_layout(files: list[str]) -> list[str]:
    """Component directories suggested by the tree: top-level folders, or the children of
    container folders such as src/ and services/. Hidden and vendored folders are left out."""
    children: dict[str, set[str]] = {}
    for path in files:
        parts = path.split("/")
        if len(parts) < 2 or parts[0].startswith(".") or parts[0] in _NOT_OURS:
            continue
        nested = children.setdefault(parts[0], set())
        if len(parts) > 2 and not parts[1].startswith("."):
            nested.add(parts[1])
    found: list[str] = []
    for top in sorted(children):
        if top in _CONTAINERS and children[top]:
            found += [f"{top}/{child}" for child in sorted(children[top])]
        else:
            found.append(top)
    return found
