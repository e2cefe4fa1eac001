"""Fixtures for the cluster node tests: servers in cluster mode on one in-memory Redis.

Every test runs once per Node format (``classic`` and ``sharded``) unless it asks for one.
Nodes ``a`` and ``b`` (and ``c`` when a test asks for it) are servers on a
:class:`~sio_core.testing.ClusterBus`, each in its own harness with its own clock; nothing
moves between them until ``bus.flush()``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# With --import-mode=importlib nothing puts this folder on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster_nodes import FORMATS, Node

from sio_core.cluster import ClusterFormat
from sio_core.testing import ClusterBus


@pytest.fixture(params=sorted(FORMATS))
def format_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def cluster_format(format_name: str) -> ClusterFormat:
    return FORMATS[format_name]


@pytest.fixture
def bus() -> ClusterBus:
    return ClusterBus()


@pytest.fixture
def a(bus: ClusterBus, cluster_format: ClusterFormat) -> Node:
    return Node(bus, "a", cluster_format)


@pytest.fixture
def b(bus: ClusterBus, cluster_format: ClusterFormat, a: Node) -> Node:
    return Node(bus, "b", cluster_format)


@pytest.fixture
def c(bus: ClusterBus, cluster_format: ClusterFormat, b: Node) -> Node:
    return Node(bus, "c", cluster_format)
