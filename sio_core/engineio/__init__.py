"""The Engine.IO v4 layer. Its modules are internal: use :class:`sio_core.EngineServer`, and the
events from :mod:`sio_core.events`."""
