"""The production id generator: the core never draws random numbers itself."""

from __future__ import annotations

import secrets


def new_id() -> str:
    """20 URL-safe random characters, like the Node server's sids."""
    return secrets.token_urlsafe(15)
