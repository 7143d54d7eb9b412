"""grimp over a tree known from git's listing, reading only the files that import something.

`grimp.build_graph` walks real package directories and reads every module, so every file of the
tree would have to be written out first. Creating thousands of files costs more than grimp's
analysis on many disks, and when a head's graph is derived from its base's only the changed
files need reading. So grimp's own module finder walks our listing of the tree (its rules for
what is a module stay grimp's), and grimp's scanner reads just the files worth reading, written
to a scratch directory: an empty file imports nothing, so it is listed but never written.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from grimp.adaptors.filesystem import FileSystem
from grimp.adaptors.modulefinder import ModuleFinder
from grimp.application.scanning import scan_imports
from grimp.exceptions import SourceSyntaxError

if TYPE_CHECKING:
    from grimp.application.ports.modulefinder import FoundPackage, ModuleFile


class _ListedFileSystem(FileSystem):
    """A real directory as grimp sees it when walking: the files of a listing (repository
    paths under `root`), whether or not they were written out. Reads go to the disk."""

    def __init__(self, root: str, paths: list[str]) -> None:
        self.children: dict[str, tuple[set[str], list[str]]] = {}
        for path in paths:
            directory, name = posixpath.split(f"{root}/{path}")
            self._entry(directory)[1].append(name)
            while directory != root:
                parent, child = posixpath.split(directory)
                self._entry(parent)[0].add(child)
                directory = parent

    def _entry(self, directory: str) -> tuple[set[str], list[str]]:
        return self.children.setdefault(directory, (set(), []))

    def walk(self, directory_name: str) -> Iterator[tuple[str, list[str], list[str]]]:
        """Top down, like os.walk: the caller may prune the directory list in place."""
        if directory_name not in self.children:
            return
        subdirectories, files = self.children[directory_name]
        directories = sorted(subdirectories)
        yield directory_name, directories, sorted(files)
        for directory in directories:
            yield from self.walk(posixpath.join(directory_name, directory))

    def get_mtime(self, file_name: str) -> float:
        return 0.0  # grimp's cache is not used: nothing compares modification times


class Tree:
    """The Python files of a tree (repository path → content) for grimp to scan."""

    def __init__(self, sources: dict[str, bytes], scratch: Path) -> None:
        self.sources = sources
        self.root = scratch.as_posix()
        for path, text in sources.items():
            if text:
                target = scratch / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(text)
        self.file_system = _ListedFileSystem(self.root, list(sources))

    def path_of(self, file_name: str) -> str:
        return posixpath.relpath(file_name, self.root)

    def edges(self, packages: dict[str, str]) -> tuple[set[tuple[str, str]], dict[str, int]]:
        """The file-to-file imports among the modules of `packages` (name → repository
        directory), leaving out imports under `if TYPE_CHECKING:`; and the files grimp could not
        parse, with the line at fault (0 when unknown). Those stay importable; their own
        imports are unknown."""
        finder = ModuleFinder()
        found: set[FoundPackage] = {
            finder.find_package(name, f"{self.root}/{directory}", self.file_system)
            for name, directory in packages.items()
        }
        file_of = {
            module_file.module.name: self._file(package, module_file)
            for package in found
            for module_file in package.module_files
        }
        to_scan = {
            module_file
            for package in found
            for module_file in package.module_files
            if self.sources[file_of[module_file.module.name]]
        }
        failed: dict[str, int] = {}
        while True:
            try:
                scanned = scan_imports(
                    to_scan,
                    found_packages=found,
                    include_external_packages=False,
                    exclude_type_checking_imports=True,
                )
                break
            except SourceSyntaxError as exc:
                path = self.path_of(exc.filename)
                failed[path] = exc.lineno or 0
                to_scan = {m for m in to_scan if file_of[m.module.name] != path}
        edges = {
            (file_of[module_file.module.name], file_of[direct.imported.name])
            for module_file, imports in scanned.items()
            for direct in imports
            if direct.imported.name in file_of
        }
        return edges, failed

    def _file(self, package: FoundPackage, module_file: ModuleFile) -> str:
        """`pkg.mod` is pkg/mod/__init__.py (a package wins, as in Python) or else pkg/mod.py."""
        base = posixpath.join(
            self.path_of(package.directory), *module_file.module.name.split(".")[1:]
        )
        return f"{base}/__init__.py" if f"{base}/__init__.py" in self.sources else f"{base}.py"
