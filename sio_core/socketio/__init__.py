"""The Socket.IO v5 layer. Underscored modules are internal: use :class:`sio_core.SocketServer`
and the events from :mod:`sio_core.events`. Two modules are public on purpose:
:mod:`~sio_core.socketio.packets`, the packet codec and the parser seam (to plug in another
parser), and :mod:`~sio_core.socketio.msgpack_parser`, the other parser Node offers. The
messages the nodes of a cluster exchange are Node's, in :mod:`sio_core.cluster`."""
