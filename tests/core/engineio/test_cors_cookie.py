"""CORS headers (Node's ``cors`` package rules) and the ``io`` cookie carrying the sid."""

from __future__ import annotations

from typing import Any

import pytest

from sio_core.config import CookieOptions, CorsOptions
from sio_core.http import HttpResponse
from sio_core.testing import Harness

HANDSHAKE = "/engine.io/?EIO=4&transport=polling"
PAGE = ("Origin", "https://app.example")


def answer(harness: Harness, method: str, target: str, **options: Any) -> HttpResponse:
    response = harness.response(harness.request(method, target, **options))
    assert response is not None, "the request is held"
    return response


def header_values(response: HttpResponse, name: str) -> list[str]:
    return [value for key, value in response.headers if key.lower() == name]


# -- CORS on ordinary answers -----------------------------------------------------------------


def test_no_cors_headers_without_cors_options(harness: Harness) -> None:
    response = answer(harness, "GET", HANDSHAKE, headers=[PAGE])
    assert not any(key.lower().startswith("access-control-") for key, _ in response.headers)


def test_any_origin_is_allowed_with_star(make_harness: Any) -> None:
    harness = make_harness(cors=CorsOptions(origins="*"))
    response = answer(harness, "GET", HANDSHAKE, headers=[PAGE])
    assert response.header("access-control-allow-origin") == "*"
    assert response.header("vary") is None


def test_listed_origin_is_reflected_with_vary(make_harness: Any) -> None:
    harness = make_harness(cors=CorsOptions(origins=("https://other", "https://app.example")))
    response = answer(harness, "GET", HANDSHAKE, headers=[PAGE])
    assert response.header("access-control-allow-origin") == "https://app.example"
    assert header_values(response, "vary") == ["Origin"]


def test_unlisted_origin_gets_no_allow_origin_but_vary(make_harness: Any) -> None:
    harness = make_harness(cors=CorsOptions(origins=("https://other",)))
    response = answer(harness, "GET", HANDSHAKE, headers=[PAGE])
    assert response.header("access-control-allow-origin") is None
    assert header_values(response, "vary") == ["Origin"]


def test_origins_true_reflects_any_origin(make_harness: Any) -> None:
    harness = make_harness(cors=CorsOptions(origins=True))
    response = answer(harness, "GET", HANDSHAKE, headers=[PAGE])
    assert response.header("access-control-allow-origin") == "https://app.example"
    assert header_values(response, "vary") == ["Origin"]


def test_origins_false_disables_the_origin_headers(make_harness: Any) -> None:
    harness = make_harness(cors=CorsOptions(origins=False))
    response = answer(harness, "GET", HANDSHAKE, headers=[PAGE])
    assert response.header("access-control-allow-origin") is None
    assert response.header("vary") is None


def test_credentials_add_allow_credentials(make_harness: Any) -> None:
    harness = make_harness(cors=CorsOptions(origins=True, credentials=True))
    response = answer(harness, "GET", HANDSHAKE, headers=[PAGE])
    assert response.header("access-control-allow-credentials") == "true"


def test_no_allow_credentials_by_default(make_harness: Any) -> None:
    harness = make_harness(cors=CorsOptions())
    response = answer(harness, "GET", HANDSHAKE, headers=[PAGE])
    assert response.header("access-control-allow-credentials") is None


def test_exposed_headers_are_announced_on_actual_requests(make_harness: Any) -> None:
    harness = make_harness(cors=CorsOptions(exposed_headers=("X-A", "X-B")))
    response = answer(harness, "GET", HANDSHAKE, headers=[PAGE])
    assert response.header("access-control-expose-headers") == "X-A,X-B"


def test_post_and_poll_answers_carry_cors_headers(make_harness: Any) -> None:
    harness = make_harness(cors=CorsOptions(origins="*"))
    client = harness.polling_client()
    post = answer(harness, "POST", client.url, body="4x", headers=[PAGE])
    poll_id = harness.request("GET", client.url, headers=[PAGE])
    assert harness.core.send(client.sid, "y")
    harness.pump()
    poll = harness.response(poll_id)
    assert poll is not None
    assert post.header("access-control-allow-origin") == "*"
    assert poll.header("access-control-allow-origin") == "*"


@pytest.mark.parametrize(
    ("target", "status"),
    [
        pytest.param("/engine.io/?EIO=4", 400, id="unknown-transport"),
        pytest.param("/engine.io/?EIO=4&transport=polling&sid=nope", 400, id="unknown-sid"),
        pytest.param("/engine.io/?EIO=3&transport=polling", 400, id="bad-version"),
    ],
)
def test_error_answers_carry_cors_headers(make_harness: Any, target: str, status: int) -> None:
    harness = make_harness(cors=CorsOptions(origins=True, credentials=True))
    response = answer(harness, "GET", target, headers=[PAGE])
    assert response.status == status
    assert response.header("access-control-allow-origin") == "https://app.example"
    assert response.header("access-control-allow-credentials") == "true"


def test_forbidden_answer_carries_cors_headers(make_harness: Any) -> None:
    harness = make_harness(cors=CorsOptions(), allow_request=lambda request: False)
    response = answer(harness, "GET", HANDSHAKE, headers=[PAGE])
    assert response.status == 403
    assert response.header("access-control-allow-origin") == "*"


def test_too_large_answer_carries_cors_headers(make_harness: Any) -> None:
    harness = make_harness(cors=CorsOptions())
    client = harness.polling_client()
    response = answer(harness, "POST", client.url, headers=[PAGE], body_too_large=True)
    assert response.status == 413
    assert response.header("access-control-allow-origin") == "*"


# -- preflight --------------------------------------------------------------------------------

PREFLIGHT_HEADERS = [PAGE, ("Access-Control-Request-Method", "POST")]


def test_preflight_is_answered_204_with_allowed_methods(make_harness: Any) -> None:
    harness = make_harness(cors=CorsOptions())
    response = answer(harness, "OPTIONS", HANDSHAKE, headers=PREFLIGHT_HEADERS)
    assert (response.status, response.body) == (204, b"")
    assert response.header("access-control-allow-methods") == "GET,HEAD,PUT,PATCH,POST,DELETE"
    assert response.header("access-control-allow-origin") == "*"
    assert response.header("content-length") == "0"


def test_preflight_follows_configured_methods(make_harness: Any) -> None:
    harness = make_harness(cors=CorsOptions(methods=("GET", "POST")))
    response = answer(harness, "OPTIONS", HANDSHAKE, headers=PREFLIGHT_HEADERS)
    assert response.header("access-control-allow-methods") == "GET,POST"


def test_preflight_reflects_requested_headers_with_vary(make_harness: Any) -> None:
    harness = make_harness(cors=CorsOptions())
    headers = [*PREFLIGHT_HEADERS, ("Access-Control-Request-Headers", "content-type,x-token")]
    response = answer(harness, "OPTIONS", HANDSHAKE, headers=headers)
    assert response.header("access-control-allow-headers") == "content-type,x-token"
    assert "Access-Control-Request-Headers" in header_values(response, "vary")


def test_preflight_announces_configured_headers_and_max_age(make_harness: Any) -> None:
    harness = make_harness(cors=CorsOptions(allowed_headers=("X-Token",), max_age=600))
    response = answer(harness, "OPTIONS", HANDSHAKE, headers=PREFLIGHT_HEADERS)
    assert response.header("access-control-allow-headers") == "X-Token"
    assert response.header("access-control-max-age") == "600"


def test_preflight_opens_no_session(make_harness: Any) -> None:
    harness = make_harness(cors=CorsOptions())
    answer(harness, "OPTIONS", HANDSHAKE, headers=PREFLIGHT_HEADERS)
    assert harness.app_events == []
    assert harness.core.next_deadline() is None


def test_preflight_for_an_existing_session_leaves_it_untouched(make_harness: Any) -> None:
    harness = make_harness(cors=CorsOptions())
    client = harness.polling_client()
    response = answer(harness, "OPTIONS", client.url, headers=PREFLIGHT_HEADERS)
    assert response.status == 204
    assert client.send("4still open").status == 200


# -- the sid cookie ---------------------------------------------------------------------------


def test_no_cookie_by_default(harness: Harness) -> None:
    assert answer(harness, "GET", HANDSHAKE).header("set-cookie") is None


def test_polling_handshake_sets_the_io_cookie(make_harness: Any) -> None:
    harness = make_harness(cookie=CookieOptions())
    response = answer(harness, "GET", HANDSHAKE)
    assert (
        response.header("set-cookie") == "io=id1_________________; Path=/; HttpOnly; SameSite=Lax"
    )


def test_websocket_handshake_puts_the_cookie_in_the_accept_headers(make_harness: Any) -> None:
    harness = make_harness(cookie=CookieOptions())
    ws = harness.open_websocket("/engine.io/?EIO=4&transport=websocket")
    assert ws.headers == (
        ("set-cookie", "io=id1_________________; Path=/; HttpOnly; SameSite=Lax"),
    )


def test_cookie_is_set_on_the_handshake_only(make_harness: Any) -> None:
    harness = make_harness(cookie=CookieOptions())
    client = harness.polling_client()
    post = client.send("4x")
    harness.core.send(client.sid, "y")
    poll = answer(harness, "GET", client.url)
    assert (post.header("set-cookie"), poll.header("set-cookie")) == (None, None)


def test_cookie_options_shape_the_cookie(make_harness: Any) -> None:
    options = CookieOptions(
        name="sid",
        path="/app",
        http_only=False,
        same_site="Strict",
        secure=True,
        max_age=60,
        domain="example.com",
    )
    harness = make_harness(cookie=options)
    cookie = answer(harness, "GET", HANDSHAKE).header("set-cookie")
    assert cookie is not None
    first, *attributes = cookie.split("; ")
    assert first == "sid=id1_________________"
    assert sorted(attributes) == sorted(
        ["Path=/app", "Domain=example.com", "Max-Age=60", "Secure", "SameSite=Strict"]
    )


def test_cookie_without_path_or_same_site_omits_them(make_harness: Any) -> None:
    harness = make_harness(cookie=CookieOptions(path=None, same_site=None))
    assert (
        answer(harness, "GET", HANDSHAKE).header("set-cookie")
        == "io=id1_________________; HttpOnly"
    )


def test_cookie_and_cors_headers_travel_together(make_harness: Any) -> None:
    harness = make_harness(
        cookie=CookieOptions(), cors=CorsOptions(origins=True, credentials=True)
    )
    response = answer(harness, "GET", HANDSHAKE, headers=[PAGE])
    assert response.header("set-cookie") is not None
    assert response.header("access-control-allow-credentials") == "true"
