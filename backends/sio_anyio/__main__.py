"""``python -m sio_anyio module:io --host 127.0.0.1 --port 3000 --backend trio``."""

from __future__ import annotations

from sio_anyio._cli import main

if __name__ == "__main__":
    main()
