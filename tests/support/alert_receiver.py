"""A real HTTP receiver on loopback for alert tests and the alert bench (no tests here):
it records every POST and answers with scripted status codes; `DeadReceiver` accepts
connections and never answers, like a hung webhook."""
from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """`codes` are answered in turn (then 200); `posts` holds (path, parsed JSON body)."""

    def __init__(self, codes: list[int] | None = None):
        self.codes = list(codes or [])
        self.posts: list[tuple[str, dict]] = []
        self.got_post = threading.Event()
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer._lock:
                    code = outer.codes.pop(0) if outer.codes else 200
                    outer.posts.append((self.path, json.loads(body or b"{}")))
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                outer.got_post.set()

            def log_message(self, *args) -> None:  # keep the test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "hook", credentials: str = "") -> str:
        return f"json://{credentials}127.0.0.1:{self.port}/{path}"

    def titles(self) -> list[str]:
        return [body.get("title", "") for _, body in self.posts]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class DeadReceiver:
    """A listening socket whose connections are accepted and then left unanswered."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)  # never read, never answered

    def url(self, read_timeout_s: float = 2.0) -> str:
        return f"json://127.0.0.1:{self.port}/hook?cto=2&rto={read_timeout_s:g}"

    def close(self) -> None:
        self._closed.set()
        self.sock.close()
        for conn in self.held:
            conn.close()


def refused_port() -> int:
    """A loopback port nothing listens on: connections to it are refused."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
