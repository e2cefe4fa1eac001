"""Type-check the code users copy: ``examples/`` and every ``python`` block of ``docs/*.md``.

Each ``python`` block of the docs is a complete module; they are written to a temporary
directory, one file each (``docs_<page>_<n>.py``), and checked with ``examples/`` under
``mypy --strict``, against this checkout's packages. The ``pycon`` blocks are doctests, which
``pytest docs`` runs. Exits with mypy's status.

    python tools/typecheck_docs.py
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def extract(docs: Path, into: Path) -> list[Path]:
    """Write each ``python`` block of ``docs/*.md`` to a module of its own in ``into``."""
    written = []
    for page in sorted(docs.glob("*.md")):
        stem = page.stem.replace("-", "_")
        for number, code in enumerate(BLOCK.findall(page.read_text()), start=1):
            module = into / f"docs_{stem}_{number}.py"
            module.write_text(code)
            written.append(module)
    return written


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="docs-types-") as scratch:
        blocks = extract(ROOT / "docs", Path(scratch))
        print(f"type-checking examples/ and {len(blocks)} python blocks of docs/", flush=True)
        # This checkout's packages, whatever the environment has installed (mypy cannot see
        # through an editable install's import hook).
        os.environ["MYPYPATH"] = f"{ROOT}{os.pathsep}{ROOT / 'backends'}"
        status = 0
        for batch in batches([*sorted((ROOT / "examples").rglob("*.py")), *blocks]):
            report, errors, code = api.run(["--strict", *(str(path) for path in batch)])
            print(report, end="")
            print(errors, end="", file=sys.stderr)
            status = status or code
        return status


def batches(paths: list[Path]) -> list[list[Path]]:
    """Groups in which no two files share a name: mypy takes each file for a top-level module,
    and two examples may well both be called ``server.py``."""
    groups: list[list[Path]] = []
    for path in paths:
        group = next((g for g in groups if all(p.name != path.name for p in g)), None)
        if group is None:
            groups.append(group := [])
        group.append(path)
    return groups


if __name__ == "__main__":
    sys.exit(main())
