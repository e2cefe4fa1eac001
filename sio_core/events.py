"""Every event the core hands out: small frozen objects, named in the past tense.

The backend drains them with ``events()`` after each call it makes into the core and acts on
each one. They are declared by layer, each beside the code that emits it, and all are importable
from here:

* Engine.IO: transport events (:class:`HttpResponseReady`, the ``WebSocket*`` ones) tell the
  backend what to write; session events (:class:`SessionOpened`, :class:`MessageReceived`,
  :class:`SessionUpgraded`, :class:`SessionClosed`) say what a session did; packet events
  (:class:`PacketReceived`, :class:`PacketCreated`, :class:`SessionDrained`) are Node's
  ``socket.conn`` traffic, reported only for watched sessions.
* Socket.IO: socket events (from :class:`SocketConnecting` to :class:`SocketDisconnected`),
  ack events (:class:`AckReceived`, :class:`AckAbandoned`, :class:`BroadcastAcksCollected`),
  room events (:class:`RoomJoined`, :class:`RoomLeft`, reported only when watched), and
  cluster events (what a cluster backend publishes, what other nodes asked or answered).
"""

from __future__ import annotations

from sio_core.engineio._events import (
    Event,
    HttpResponseReady,
    MessageReceived,
    PacketCreated,
    PacketReceived,
    SessionClosed,
    SessionDrained,
    SessionOpened,
    SessionUpgraded,
    WebSocketAccepted,
    WebSocketCloseRequested,
    WebSocketDataReady,
    WebSocketReadPaused,
    WebSocketReadResumed,
)
from sio_core.socketio._events import (
    AckAbandoned,
    AckReceived,
    BroadcastAcksCollected,
    ClusterCommand,
    ClusterFetchCompleted,
    ClusterMessageRejected,
    ClusterPublish,
    ClusterSubscribe,
    ClusterUnsubscribe,
    EventReceived,
    RoomJoined,
    RoomLeft,
    ServerSideEmitAcksCollected,
    ServerSideEmitReceived,
    SocketConnected,
    SocketConnecting,
    SocketDisconnected,
    SocketDisconnecting,
    SocketErrored,
)

__all__ = [
    "AckAbandoned",
    "AckReceived",
    "BroadcastAcksCollected",
    "ClusterCommand",
    "ClusterFetchCompleted",
    "ClusterMessageRejected",
    "ClusterPublish",
    "ClusterSubscribe",
    "ClusterUnsubscribe",
    "Event",
    "EventReceived",
    "HttpResponseReady",
    "MessageReceived",
    "PacketCreated",
    "PacketReceived",
    "RoomJoined",
    "RoomLeft",
    "ServerSideEmitAcksCollected",
    "ServerSideEmitReceived",
    "SessionClosed",
    "SessionDrained",
    "SessionOpened",
    "SessionUpgraded",
    "SocketConnected",
    "SocketConnecting",
    "SocketDisconnected",
    "SocketDisconnecting",
    "SocketErrored",
    "WebSocketAccepted",
    "WebSocketCloseRequested",
    "WebSocketDataReady",
    "WebSocketReadPaused",
    "WebSocketReadResumed",
]
