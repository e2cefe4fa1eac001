"""The browser tests' helpers (``browser_procs.py``) sit beside this file; with
--import-mode=importlib nothing puts them on sys.path, and the test modules import them by name."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
