"""A request's query reads as the standard library reads it, whatever the client sent."""

from __future__ import annotations

from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from sio_core.http import HttpRequest

# Queries made of the characters that matter to the parse, and of any others.
query_text = st.text(alphabet=st.sampled_from("&=%+;ab9 é")) | st.text()


@given(query_text)
def test_query_is_what_parse_qsl_reads_with_blank_values_kept(query: str) -> None:
    request = HttpRequest.from_target("GET", f"/socket.io/?{query}")
    expected = dict(parse_qsl(request.query_string, keep_blank_values=True))
    assert request.query() == expected


def test_engine_io_query_is_split_into_its_parameters() -> None:
    request = HttpRequest.from_target("GET", "/socket.io/?EIO=4&transport=polling&t=Nx1&sid=")
    assert request.query() == {"EIO": "4", "transport": "polling", "t": "Nx1", "sid": ""}
