"""Which Redis channel each message goes on, and which channels a node listens to.

Both Redis adapters name their channels after a prefix (``key``, ``channelPrefix``; both default
to ``socket.io``) and the namespace, with ``#`` as separator: one adapter, and one set of
channels, per namespace. A namespace name holding ``#`` would make the names ambiguous, as in
Node.

Classic ``@socket.io/redis-adapter`` (pub/sub: ``PUBLISH``, ``SUBSCRIBE``, ``PSUBSCRIBE``):

============================  ==============================================================
``key#nsp#``                  broadcasts to everyone, or to several rooms (``PSUBSCRIBE
                              key#nsp#*`` receives it and every room channel)
``key#nsp#room#``             a broadcast to exactly one room (a socket id counts as one)
``key-request#nsp#``          requests (``SUBSCRIBE``)
``key-response#nsp#``         responses (``SUBSCRIBE``), unless
                              ``publishOnSpecificResponseChannel``, which sends them to
``key-response#nsp#<uid>#``   the requester's own channel; a node subscribes to both anyway.
                              A server-side emit's answer always takes the shared one.
============================  ==============================================================

Sharded adapter (Redis 7 sharded pub/sub: ``SPUBLISH``, ``SSUBSCRIBE``; no patterns):

==============================  ============================================================
``prefix#nsp#``                 every message but responses
``prefix#nsp#<uid>#``           responses to node ``uid``
``prefix#nsp#room#``            a broadcast without acks to exactly one room, when the
                                subscription mode allows it (see :class:`SubscriptionMode`)
==============================  ============================================================
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Final

from sio_core.cluster.messages import RESPONSE_TYPES, Broadcast, ClusterMessage
from sio_core.errors import LocalProtocolError

NODE_SOCKET_ID_LENGTH: Final = 20
"""Node's socket ids are 20 characters: the sharded adapter takes any such room for one."""


@dataclasses.dataclass(frozen=True, slots=True)
class Publication:
    """``payload`` to publish on ``channel`` (``PUBLISH`` or, sharded, ``SPUBLISH``)."""

    channel: str
    payload: bytes


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Subscriptions:
    """What a node listens to for one namespace.

    :param patterns: for ``PSUBSCRIBE`` (classic only).
    :param channels: for ``SUBSCRIBE``, or ``SSUBSCRIBE`` when ``sharded``.
    """

    patterns: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    sharded: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class ClassicChannels:
    """The channels of one namespace in the classic format."""

    key: str
    nsp: str

    @property
    def broadcast(self) -> str:
        """Broadcasts to everyone or to several rooms."""
        return f"{self.key}#{self.nsp}#"

    @property
    def request(self) -> str:
        """Requests, to every node."""
        return f"{self.key}-request#{self.nsp}#"

    @property
    def response(self) -> str:
        """Responses, shared by every node."""
        return f"{self.key}-response#{self.nsp}#"

    def room(self, room: str) -> str:
        """A broadcast to exactly ``room``."""
        return f"{self.broadcast}{room}#"

    def response_for(self, uid: str) -> str:
        """Responses to node ``uid`` alone (``publishOnSpecificResponseChannel``)."""
        return f"{self.response}{uid}#"

    def subscriptions(self, uid: str) -> Subscriptions:
        """What node ``uid`` listens to: every broadcast channel by pattern, then the others."""
        return Subscriptions(
            patterns=(f"{self.broadcast}*",),
            channels=(self.request, self.response, self.response_for(uid)),
        )

    def room_of(self, channel: str) -> str | None:
        """The room a broadcast channel is for; ``None`` for the namespace-wide one.

        A node with no local member of that room can drop the message undecoded, as Node does.
        """
        if not channel.startswith(self.broadcast):
            return None
        return channel[len(self.broadcast) : -1] or None


class SubscriptionMode(str, enum.Enum):
    """How the sharded adapter spreads one-room broadcasts over channels (Node's option)."""

    STATIC = "static"
    """Everything on the namespace channel: two channels per namespace."""
    DYNAMIC = "dynamic"
    """Node's default: a channel per public room (not a socket id) the node has members in."""
    DYNAMIC_PRIVATE = "dynamic-private"
    """A channel per room, socket ids included."""


@dataclasses.dataclass(frozen=True, slots=True)
class ShardedChannels:
    """The channels of one namespace in the sharded adapter."""

    prefix: str
    nsp: str
    mode: SubscriptionMode = SubscriptionMode.DYNAMIC

    @property
    def main(self) -> str:
        """Every message but responses and one-room broadcasts."""
        return f"{self.prefix}#{self.nsp}#"

    def room(self, room: str) -> str:
        """A broadcast to exactly ``room``, in the dynamic modes."""
        return f"{self.main}{room}#"

    def response_for(self, uid: str) -> str:
        """Responses to node ``uid``."""
        return f"{self.main}{uid}#"

    def subscriptions(self, uid: str) -> Subscriptions:
        """What node ``uid`` always listens to; room channels come and go (:meth:`room`)."""
        return Subscriptions(channels=(self.main, self.response_for(uid)), sharded=True)

    def subscribes_to_room(self, room: str, *, is_socket_id: bool) -> bool:
        """Whether a node listens to :meth:`room` while it has members in ``room``.

        :param is_socket_id: ``room`` is the id of one of this node's sockets (Node checks its
            own sockets here, but only the length of the name when publishing).
        """
        if self.mode is SubscriptionMode.DYNAMIC:
            return not is_socket_id
        return self.mode is SubscriptionMode.DYNAMIC_PRIVATE

    def channel_for(self, message: ClusterMessage, requester: str | None = None) -> str:
        """Where ``message`` is published; a response goes to its ``requester``.

        A broadcast with acks stays on the main channel: each node must answer with its client
        count, whether or not it has members in the room.
        """
        if isinstance(message, RESPONSE_TYPES):
            if requester is None:
                raise LocalProtocolError("a response needs the requester's uid")
            return self.response_for(requester)
        if isinstance(message, Broadcast) and self._uses_room_channel(message):
            return self.room(message.selection.rooms[0])
        return self.main

    def _uses_room_channel(self, message: Broadcast) -> bool:
        rooms = message.selection.rooms
        if message.request_id is not None or len(rooms) != 1:
            return False
        if self.mode is SubscriptionMode.DYNAMIC:
            return len(rooms[0]) != NODE_SOCKET_ID_LENGTH
        return self.mode is SubscriptionMode.DYNAMIC_PRIVATE
