"""The Socket.IO v5 layer. Underscored modules are internal: use :class:`sio_core.SocketServer`
and the events from :mod:`sio_core.events`. One module is public on purpose:
:mod:`~sio_core.socketio.packets`, the packet codec and the parser seam (to plug in another
parser). The messages the nodes of a cluster exchange are Node's, in :mod:`sio_core.cluster`."""
