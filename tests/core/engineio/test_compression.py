"""HTTP compression of long-polling answers (Node's ``httpCompression``, threshold 1024 bytes)."""

from __future__ import annotations

import gzip
import zlib

import pytest

from sio_core import CountingIds, EngineConfig, EngineServer
from sio_core.testing import Harness, PollingClient


def _client(harness: Harness) -> PollingClient:
    return harness.polling_client()


def _get(harness: Harness, client: PollingClient, accept: str) -> int:
    return harness.request("GET", client.url, headers=[("Accept-Encoding", accept)])


@pytest.mark.parametrize(
    ("accept", "encoding", "inflate"),
    [
        ("gzip, deflate, br", "gzip", gzip.decompress),
        ("deflate", "deflate", zlib.decompress),
    ],
)
def test_large_payload_is_compressed_with_an_accepted_encoding(accept, encoding, inflate):
    harness = Harness(EngineServer(id_generator=CountingIds()))
    client = _client(harness)
    harness.core.send(client.sid, "x" * 2000)
    response = harness.response(_get(harness, client, accept))
    assert response.header("content-encoding") == encoding
    assert inflate(response.body) == b"4" + b"x" * 2000
    assert response.header("content-length") == str(len(response.body))


def test_payload_below_the_threshold_is_sent_as_it_is():
    harness = Harness(EngineServer(id_generator=CountingIds()))
    client = _client(harness)
    harness.core.send(client.sid, "small")
    response = harness.response(_get(harness, client, "gzip"))
    assert response.header("content-encoding") is None
    assert response.body == b"4small"


def test_client_without_accept_encoding_gets_plain_text():
    harness = Harness(EngineServer(id_generator=CountingIds()))
    client = _client(harness)
    harness.core.send(client.sid, "x" * 2000)
    response = harness.response(client.poll())
    assert response.header("content-encoding") is None


def test_compression_can_be_turned_off():
    config = EngineConfig(http_compression=False)
    harness = Harness(EngineServer(config, id_generator=CountingIds()))
    client = _client(harness)
    harness.core.send(client.sid, "x" * 2000)
    response = harness.response(_get(harness, client, "gzip"))
    assert response.header("content-encoding") is None


def test_held_get_remembers_its_encoding_until_it_is_answered():
    harness = Harness(EngineServer(id_generator=CountingIds()))
    client = _client(harness)
    request_id = _get(harness, client, "gzip")
    assert harness.response(request_id) is None
    harness.core.send(client.sid, "y" * 3000)
    harness.pump()
    assert gzip.decompress(harness.response(request_id).body) == b"4" + b"y" * 3000
