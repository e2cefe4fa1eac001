"""The one error a cluster message can raise on its way in: the peer sent something malformed.

A node subscribes to channels that anyone with access to Redis can publish on, so every byte it
receives is untrusted. Decoding either returns a typed message or raises
:class:`ClusterProtocolError` saying what was wrong; the node catches it, drops the message and
counts it. Nothing else escapes the decoders, whatever the input (the property tests feed them
arbitrary bytes to hold that promise).

Encoding our own messages fails with :class:`~sio_core.errors.LocalProtocolError` instead: an
argument that no format can carry (a set, an object, an integer beyond 64 bits) is the
application's mistake, not a peer's.
"""

from __future__ import annotations

from sio_core.errors import RemoteProtocolError


class ClusterProtocolError(RemoteProtocolError):
    """A message from another node (or from anyone publishing on its channels) is malformed.

    :param message: what was wrong, for the log line of the dropped message.
    """
