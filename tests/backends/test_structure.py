"""The backend's shape, read from its source: who may touch what, and how big a module may get.

The import layers themselves are import-linter's (``lint-imports``); these are the rules it
cannot see.
"""

from __future__ import annotations

import ast
import dataclasses
import typing
from pathlib import Path

import sio_anyio
from sio_anyio._options import BackendKeywords, BackendOptions, ServerKeywords

import sio_core
from sio_core.config import EngineConfig, SocketConfig

PACKAGE = Path(sio_anyio.__file__).resolve().parent
MODULES = sorted(PACKAGE.glob("*.py"))
CORE_MODULES = sorted(Path(sio_core.__file__).resolve().parent.rglob("*.py"))
MAX_LINES = 450

FRIEND_ACCESSES = {
    # The event router sequences a socket's life; the socket's half of it, dispatching to
    # its own listeners, stays private to the socket (see _router.py).
    ("_router.py", "socket._handle_now"),
    ("_router.py", "socket._deliver"),
    # A named tuple's public API is underscored so as not to clash with its fields.
    ("_redis_wire.py", "parts._replace"),
    # The admin UI is part of the backend: it reads the core's traffic counts and clients,
    # and runs its reports while the server runs, through the server's context.
    ("admin.py", "io._context"),
}


def _tree(module: Path) -> ast.Module:
    return ast.parse(module.read_text(), filename=str(module))


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _private_accesses(module: Path) -> set[tuple[str, str]]:
    """Every ``x._name`` in the module whose ``x`` is not ``self`` or ``cls``."""
    found = set()
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                found.add((module.name, f"{ast.unparse(owner)}.{node.attr}"))
    return found


def _function_level_imports(module: Path) -> list[str]:
    found = []
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found += [
                f"{module.name}:{inner.lineno}"
                for inner in ast.walk(node)
                if isinstance(inner, ast.Import | ast.ImportFrom)
            ]
    return found


def test_no_handle_reads_another_objects_private_members() -> None:
    accesses = set().union(*(_private_accesses(module) for module in MODULES))
    assert accesses == FRIEND_ACCESSES


def test_no_import_hides_in_a_function() -> None:
    assert [found for module in MODULES for found in _function_level_imports(module)] == []


def test_only_the_driver_holds_a_core() -> None:
    holders = {
        module.name
        for module in MODULES
        for node in ast.walk(_tree(module))
        if isinstance(node, ast.Attribute) and node.attr == "_core"
    }
    assert holders == {"_driver.py"}


def test_no_module_of_the_core_or_the_backend_is_longer_than_the_limit() -> None:
    lengths = {str(m): len(m.read_text().splitlines()) for m in MODULES + CORE_MODULES}
    over = {name: n for name, n in lengths.items() if n > MAX_LINES}
    assert over == {}


def _hints(owner: type) -> dict[str, object]:
    return typing.get_type_hints(owner)


def test_server_keywords_name_every_option_with_its_type() -> None:
    fields = {**_hints(EngineConfig), **_hints(SocketConfig), **_hints(BackendOptions)}
    del fields["engine"]
    assert _hints(ServerKeywords) == fields


def test_backend_keywords_name_every_backend_option_with_its_type() -> None:
    assert _hints(BackendKeywords) == _hints(BackendOptions)
    assert set(BackendKeywords.__annotations__) == {
        field.name for field in dataclasses.fields(BackendOptions)
    }
