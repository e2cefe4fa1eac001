"""Hypothesis strategies for what travels between cluster nodes, shared by the property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.strategies import blobs

# Text a JavaScript string and UTF-8 both hold (msgpack refuses lone surrogates).
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
client_keys = texts.filter(lambda key: key != "_placeholder")
"""Map keys a Socket.IO client can be sent too ("_placeholder" is the protocol's own)."""


def values(*, binary: bool, keys: st.SearchStrategy[str] = texts) -> st.SearchStrategy[Any]:
    """What an application sends; bytes only where the format keeps them as bytes."""
    leaves = scalars | blobs(8) if binary else scalars
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=12,
    )
