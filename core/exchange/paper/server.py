"""The HTTP layer: a stdlib ThreadingHTTPServer on loopback that forwards to `PaperExchange`."""
from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

log = logging.getLogger("evorisk.paper")

MAX_BODY_BYTES = 1_000_000  # Hyperliquid bodies are small; refuse anything absurd
SHUTDOWN_POLL_S = 0.05  # how often serve_forever checks for stop(); bounds stop() latency
DEFAULT_IDLE_TIMEOUT_S = 30.0  # a socket silent this long (between or inside requests) is closed
LISTEN_BACKLOG = 256  # hundreds of clients may connect at once; the stdlib default of 5 drops them
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: str
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    latency_ms: float = 0.0  # slept before the reply is written (scripted latency)
    drop: bool = False  # close the connection instead of writing the reply (the work is done)


class RequestHandlerTarget(Protocol):
    def handle_request(self, path: str, body: bytes) -> HttpReply: ...


class _Connections:
    """Open client sockets, so stop() can cut keep-alive connections like a dead server would."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def discard(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)

    def close_all(self) -> None:
        with self._lock:
            for sock in self._open:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed by the peer
            self._open.clear()


def _content_length(raw: str | None) -> int | None:
    """The declared body length; 0 when absent, None when it is not a non-negative integer."""
    if raw is None:
        return 0
    text = raw.strip()
    return int(text) if text.isdigit() else None


class _Handler(BaseHTTPRequestHandler):
    """One client connection: read a POST's body, hand it to the target, write (or drop) the reply.
    `_handler_class` binds a server's target, open-connection set and idle timeout to a subclass."""

    protocol_version = "HTTP/1.1"  # keep-alive, like the SDK's requests.Session expects
    target: RequestHandlerTarget
    connections: _Connections
    # StreamRequestHandler sets `timeout` as the socket timeout: an idle keep-alive socket, or a
    # body shorter than its Content-Length, frees its thread instead of holding it forever.
    timeout: float = DEFAULT_IDLE_TIMEOUT_S

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without NODELAY, Nagle plus the client's
        # delayed ACK adds ~40 ms to every loopback request.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connections.add(self.request)

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:  # the peer reset, or stop() cut the socket, between two requests
            log.debug("connection from %s ended abruptly", self.client_address)
            self.close_connection = True

    def finish(self) -> None:
        self.connections.discard(self.request)
        try:
            super().finish()
        except OSError:
            pass  # the socket was cut by stop()

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        body = self._read_body()
        if isinstance(body, HttpReply):
            # The body's end is unknown (or not worth reading): answer, then close the connection.
            self.close_connection = True
            self._write(body)
            return
        reply = self._reply_to(body)
        if reply.latency_ms > 0:
            time.sleep(reply.latency_ms / 1000)  # real time on purpose: it must trip client timeouts
        if reply.drop:
            self._drop_connection()
        else:
            self._write(reply)

    def _read_body(self) -> bytes | HttpReply:
        """The request's body, or the reply that refuses it."""
        length = _content_length(self.headers.get("Content-Length"))
        if length is None:
            return HttpReply(400, "Invalid Content-Length", TEXT)
        if length > MAX_BODY_BYTES:
            return HttpReply(413, "Request body too large", TEXT)
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            return HttpReply(408, "Request body shorter than its Content-Length", TEXT)
        if len(body) < length:
            return HttpReply(400, "Request body shorter than its Content-Length", TEXT)
        return body

    def _reply_to(self, body: bytes) -> HttpReply:
        try:
            return self.target.handle_request(self.path, body)
        except Exception:  # noqa: BLE001 - the boundary: record it, and still answer the client
            log.exception("paper exchange failed on a request to %s", self.path)
            return HttpReply(500, "Internal Server Error", TEXT)

    def _drop_connection(self) -> None:
        """End the connection without a reply (the work is done), as a venue that dies mid-request."""
        self.close_connection = True
        try:
            self.request.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # the client already went away

    def _write(self, reply: HttpReply) -> None:
        data = reply.body.encode("utf-8", errors="replace")
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(data)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            log.debug("client went away before the reply (timed out?)")

    def log_message(self, fmt: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), fmt % args)


def _handler_class(target: RequestHandlerTarget, connections: _Connections,
                   idle_timeout_s: float) -> type[BaseHTTPRequestHandler]:
    """A handler class bound to one server's target, open connections and idle timeout (the stdlib
    server builds a handler per connection from a class, so the binding is by subclass)."""
    return type("Handler", (_Handler,), {"target": target, "connections": connections, "timeout": idle_timeout_s})


class _Server(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG


class LoopbackServer:
    """Owns the listening socket and its serving thread."""

    def __init__(self, target: RequestHandlerTarget, host: str, port: int,
                 idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S):
        self._connections = _Connections()
        handler = _handler_class(target, self._connections, idle_timeout_s)
        self._httpd = _Server((host, port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_S},
                                        name="paper-exchange", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._connections.close_all()
        self._thread.join(timeout=5)
