"""``handshake.time`` is formatted once per second of creation: any instant gets the string
Node's ``Date.toString()`` writes (in UTC) for the second it falls in, as ``issued`` counts it
(truncated, never rounded up to the next second)."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from sio_core.socketio._socket import _js_date_string

INSTANTS = st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False)  # 1970-2100


@given(st.lists(INSTANTS, min_size=1, max_size=20))
def test_each_instant_gets_the_date_string_of_its_second(instants: list[float]) -> None:
    for instant in instants:
        moment = datetime.datetime.fromtimestamp(int(instant), tz=datetime.timezone.utc)
        expected = moment.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")
        assert _js_date_string(instant) == expected
