"""The size and import rules of ARCHITECTURE.md, read from the source.

import-linter (``make lint``) checks the layers; these tests check what it cannot: file and
function sizes, cycles between packages at every depth, folders it cannot see, and that the
domain uses the standard library alone.
"""

from __future__ import annotations

import sys

from tests.architecture.source import (
    MAX_FILE_LINES,
    MAX_FUNCTION_LINES,
    MIGRATIONS,
    REPOSITORY,
    describe_cycle,
    imports_of,
    internal_imports,
    long_files,
    long_functions,
    modules,
    package_cycles,
    package_folders,
)


def test_no_file_is_longer_than_the_limit_outside_migrations() -> None:
    too_long = [f"{module.relative} {lines}" for module, lines in long_files()]
    assert not too_long, f"files over {MAX_FILE_LINES} lines: {too_long}"


def test_no_function_is_longer_than_the_limit() -> None:
    too_long = [
        f"{module.relative}:{node.lineno} {node.name} {length}"
        for module, node, length in long_functions()
    ]
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines: {too_long}"


def test_no_import_cycle_between_packages() -> None:
    cycles = [line for group, edges in package_cycles() for line in describe_cycle(group, edges)]
    assert not cycles, "import cycles between packages:\n" + "\n".join(cycles)


def test_every_code_folder_is_a_package_import_linter_can_see() -> None:
    """A folder without ``__init__.py`` is a namespace package: lint-imports skips it."""
    missing = [
        folder.relative_to(REPOSITORY).as_posix()
        for folder in package_folders()
        if not (folder / "__init__.py").exists() and not folder.is_relative_to(MIGRATIONS)
    ]
    assert not missing, f"folders without __init__.py: {missing}"


def test_only_the_composition_root_imports_the_app() -> None:
    """Including the files import-linter cannot see, such as the migrations' environment."""
    allowed = ("tocsin.app", "tocsin.__main__")
    outside = [
        str(edge)
        for edge in internal_imports()
        if (edge.imported == "tocsin.app" or edge.imported.startswith("tocsin.app."))
        and not edge.importer.name.startswith(allowed)
    ]
    assert not outside, f"imports of tocsin.app from outside it: {outside}"


def test_the_domain_imports_only_the_standard_library_and_itself() -> None:
    foreign = [
        str(edge)
        for module in modules().values()
        if module.name.startswith("tocsin.domain")
        for edge in imports_of(module)
        if not edge.imported.startswith("tocsin.domain")
        and edge.imported not in sys.stdlib_module_names
    ]
    assert not foreign, f"the domain imports beyond the standard library: {foreign}"


def test_the_kernel_imports_nothing_of_tocsin_but_itself() -> None:
    outward = [
        str(edge)
        for edge in internal_imports()
        if edge.importer.name.startswith("tocsin.kernel")
        and not edge.imported.startswith("tocsin.kernel")
    ]
    assert not outward, f"the kernel imports other parts of tocsin: {outward}"


def test_the_reader_sees_every_module() -> None:
    """Guards the tests above against a reader that silently finds nothing."""
    names = modules()
    assert "tocsin.domain" in names
    assert "tocsin.app.service" in names
    assert len(internal_imports()) > 100
