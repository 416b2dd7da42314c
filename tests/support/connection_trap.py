"""A local listener that stands in as the HTTP(S) proxy, so any request meant for a real venue is
counted here instead of leaving the machine (mainnet guard tests)."""
from __future__ import annotations

import socket
import threading


class ConnectionTrap:
    """A TCP listener that counts and closes every connection (used as the proxy for all URLs)."""

    def __init__(self):
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self):
        self._sock.close()
