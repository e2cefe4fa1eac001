"""Hypothesis strategies shared by the property tests of every directory."""

from __future__ import annotations

from hypothesis import strategies as st


def blobs(max_size: int | None = None) -> st.SearchStrategy[bytes]:
    """Bytes drawn as integers. Under ``python -bb``, hypothesis's example cache may compare the
    draws of two runs, ``""`` against ``b""`` (both hash to 0), and the BytesWarning would fail a
    test that draws text or bytes at the same place; lists of integers never compare so."""
    return st.lists(st.integers(0, 255), max_size=max_size).map(bytes)
