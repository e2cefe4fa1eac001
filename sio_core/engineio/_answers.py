"""The HTTP answers of an Engine.IO server: error bodies, payloads, CORS and the sid cookie.

Pure functions from options and a request to headers or a complete :class:`HttpResponse`, so the
request routing in :mod:`sio_core.engineio._server` reads as a list of decisions.
"""

from __future__ import annotations

import dataclasses
import json
import zlib

from sio_core.config import CookieOptions, CorsOptions
from sio_core.errors import EngineErrorCode
from sio_core.http import HttpRequest, HttpResponse

Headers = tuple[tuple[str, str], ...]

TEXT_PLAIN = "text/plain; charset=UTF-8"


def error_response(code: EngineErrorCode, message: str | None, extra: Headers) -> HttpResponse:
    """The JSON error body Node sends: ``{"code": 1, "message": "Session ID unknown"}``."""
    error = {"code": int(code), "message": message or code.message}
    body = json.dumps(error, separators=(",", ":")).encode()
    return _response(code.http_status, "application/json", body, extra)


def bad_request(extra: Headers) -> HttpResponse:
    """Engine.IO's 400 ``Bad request``: a request the protocol does not allow where it came."""
    return error_response(EngineErrorCode.BAD_REQUEST, None, extra)


def payload_response(
    payload: str, extra: Headers, encoding: str | None = None, threshold: int = 0
) -> HttpResponse:
    """The answer to a long-polling GET, compressed with ``encoding`` past ``threshold`` bytes."""
    body = payload.encode("utf-8")
    if encoding is None or len(body) < threshold:
        return _response(200, TEXT_PLAIN, body, extra)
    compressed = compress(body, encoding)
    return _response(200, TEXT_PLAIN, compressed, (("content-encoding", encoding), *extra))


def compress(body: bytes, encoding: str) -> bytes:
    """gzip or deflate (zlib format, as HTTP means it), with no timestamp in the header."""
    wbits = 31 if encoding == "gzip" else 15
    compressor = zlib.compressobj(wbits=wbits)
    return compressor.compress(body) + compressor.flush()


def choose_encoding(request: HttpRequest, enabled: bool) -> str | None:
    """The compression a polling answer may use: gzip, else deflate, if the client accepts it."""
    if not enabled:
        return None
    accepted = request.header("accept-encoding") or ""
    offered = {part.split(";")[0].strip().lower() for part in accepted.split(",")}
    for encoding in ("gzip", "deflate"):
        if encoding in offered:
            return encoding
    return None


@dataclasses.dataclass(frozen=True, slots=True)
class HeldGet:
    """A long-polling GET waiting for output, with what its answer needs to know."""

    request_id: int
    headers: Headers
    encoding: str | None = None

    def respond(self, payload: str, threshold: int) -> HttpResponse:
        """The answer carrying ``payload``."""
        return payload_response(payload, self.headers, self.encoding, threshold)


def ok_response(extra: Headers) -> HttpResponse:
    """The answer to an accepted POST; text/html, as Node does, to avoid download dialogs."""
    return _response(200, "text/html", b"ok", extra)


def status_response(status: int, extra: Headers) -> HttpResponse:
    """An answer with no body (413, 404, 204...)."""
    return HttpResponse(status=status, headers=(("content-length", "0"), *extra))


def _response(status: int, content_type: str, body: bytes, extra: Headers) -> HttpResponse:
    headers = (("content-type", content_type), ("content-length", str(len(body))), *extra)
    return HttpResponse(status=status, headers=headers, body=body)


def cors_headers(options: CorsOptions | None, request: HttpRequest) -> Headers:
    """The CORS headers for any answer, following the rules of Node's ``cors`` package."""
    if options is None:
        return ()
    headers = list(_origin_headers(options, request.header("origin")))
    if options.credentials:
        headers.append(("access-control-allow-credentials", "true"))
    if is_preflight(options, request):
        headers.extend(_preflight_headers(options, request))
    elif options.exposed_headers:
        headers.append(("access-control-expose-headers", ",".join(options.exposed_headers)))
    return tuple(headers)


def is_preflight(options: CorsOptions | None, request: HttpRequest) -> bool:
    """An OPTIONS request answered by the CORS policy itself (204), never by Engine.IO."""
    return options is not None and request.method == "OPTIONS"


def _origin_headers(options: CorsOptions, origin: str | None) -> Headers:
    allowed = options.origins
    if allowed == "*":
        return (("access-control-allow-origin", "*"),)
    if allowed is False:
        return ()
    reflect = allowed is True or (origin is not None and origin in allowed)
    if reflect and origin is not None:
        return (("access-control-allow-origin", origin), ("vary", "Origin"))
    return (("vary", "Origin"),)


def _preflight_headers(options: CorsOptions, request: HttpRequest) -> Headers:
    headers = [("access-control-allow-methods", ",".join(options.methods))]
    if options.allowed_headers is not None:
        headers.append(("access-control-allow-headers", ",".join(options.allowed_headers)))
    else:
        asked = request.header("access-control-request-headers")
        if asked:
            headers.extend(
                (
                    ("access-control-allow-headers", asked),
                    ("vary", "Access-Control-Request-Headers"),
                )
            )
    if options.max_age is not None:
        headers.append(("access-control-max-age", str(options.max_age)))
    return tuple(headers)


def cookie_header(options: CookieOptions | None, sid: str) -> Headers:
    """The ``Set-Cookie`` header carrying the sid, when the cookie is configured."""
    if options is None:
        return ()
    parts = [f"{options.name}={sid}"]
    if options.path is not None:
        parts.append(f"Path={options.path}")
    if options.domain is not None:
        parts.append(f"Domain={options.domain}")
    if options.max_age is not None:
        parts.append(f"Max-Age={options.max_age}")
    if options.http_only:
        parts.append("HttpOnly")
    if options.secure:
        parts.append("Secure")
    if options.same_site is not None:
        parts.append(f"SameSite={options.same_site}")
    return (("set-cookie", "; ".join(parts)),)
