"""The cluster formats stand alone: stdlib, msgpack and sio_core.errors, nothing of the layers.

The server's Socket.IO layer uses this package, never the other way round, so that the codecs
can be tested (and moved, or renamed around) on their own.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import sio_core.cluster

PACKAGE = Path(sio_core.cluster.__file__).parent
ALLOWED = {"__future__", "msgpack", "sio_core.errors", "sio_core.cluster"}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _allowed(module: str) -> bool:
    top = module.split(".")[0]
    if top in sys.stdlib_module_names:
        return True
    return any(module == name or module.startswith(f"{name}.") for name in ALLOWED)


def test_the_cluster_package_imports_only_the_stdlib_msgpack_and_sio_core_errors() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) >= 8
    strays = {
        f"{path.name}: {module}"
        for path in modules
        for module in _imports(path)
        if not _allowed(module)
    }
    assert strays == set()
