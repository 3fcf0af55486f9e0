"""How ``nhigraph serve`` runs the app: uvicorn's HTTP/1.1 (h11) with read deadlines and a
connection cap, so slow or half-open clients cannot hold the server.

uvicorn closes idle keep-alive connections, but it has no deadline for a request that
has started: headers sent a byte at a time, or a body that never ends, keep a
connection (and its buffer) for as long as the client likes. ``GuardedH11Protocol``
gives each request ``api_header_timeout`` seconds for its headers and then
``api_body_timeout`` seconds for its body; a client that misses one is closed (with a
JSON 408 when no request was read yet; the app sees the client leave otherwise).
Connections beyond ``api_max_connections`` get a JSON 503 and are closed at once.
It holds no application logic.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from nhigraph.settings import Settings

log = logging.getLogger("nhigraph.api")


def _raw_json(status: int, reason: str, code: str, message: str) -> bytes:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\ncache-control: no-store\r\n"
        + ("retry-after: 1\r\n" if status == 503 else "")
        + "\r\n"
    )
    return head.encode() + body


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline per request phase and a connection cap."""

    header_timeout = 10.0
    body_timeout = 20.0
    max_connections = 256

    _deadline: asyncio.TimerHandle | None = None
    _phase: Any = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            log.warning(json.dumps({"event": "connection refused: too many connections"}))
            transport.write(
                _raw_json(
                    503,
                    "Service Unavailable",
                    "TOO_MANY_CONNECTIONS",
                    "the server has too many open connections; retry shortly",
                )
            )
            transport.close()
            return
        self._watch()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    # A deadline is armed when a phase begins (waiting for headers, then for the body) and
    # is not moved by the bytes that trickle in: that is what a slow client would exploit.
    def _watch(self) -> None:
        if self.transport.is_closing():
            self._disarm()
            return
        phase = self.conn.their_state
        if phase is self._phase:
            return
        self._phase = phase
        self._disarm()
        if phase is h11.IDLE:
            self._deadline = self.loop.call_later(self.header_timeout, self._headers_late)
        elif phase is h11.SEND_BODY:
            self._deadline = self.loop.call_later(self.body_timeout, self._body_late)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _headers_late(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a response is still being written; the next request has not begun
        log.warning(json.dumps({"event": "request headers timed out"}))
        self.transport.write(
            _raw_json(
                408,
                "Request Timeout",
                "HEADER_TIMEOUT",
                "the request's headers did not arrive in time",
            )
        )
        self.transport.close()

    def _body_late(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        log.warning(json.dumps({"event": "request body timed out"}))
        self.transport.close()  # the app, if it is reading, sees the client leave


def protocol_for(settings: Settings) -> type[GuardedH11Protocol]:
    """The protocol class with this server's deadlines and cap."""
    return type(
        "GuardedH11Protocol",
        (GuardedH11Protocol,),
        {
            "header_timeout": settings.api_header_timeout,
            "body_timeout": settings.api_body_timeout,
            "max_connections": settings.api_max_connections,
        },
    )


def server_config(
    app: Any, settings: Settings, host: str, port: int, **extra: Any
) -> uvicorn.Config:
    """uvicorn's configuration for the API: the guarded protocol, short keep-alive, no
    uvicorn access log (the app writes its own, without query text), 16 KiB of headers."""
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "http": protocol_for(settings),
        "timeout_keep_alive": settings.api_keep_alive_timeout,
        "h11_max_incomplete_event_size": 16 * 1024,
        "access_log": False,
        "log_level": "warning",
        "server_header": False,
        **extra,
    }
    return uvicorn.Config(app, **options)
