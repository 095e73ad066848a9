"""Keep-alive connections to one Function URL origin, shared by the threads of one client.

A connection is lent to one request at a time and comes back only once its response was read to the end
and the server keeps it open; an idle one the server closed meanwhile is dropped at the next lend.
"""

from __future__ import annotations

import http.client
import select
import ssl
import threading
from typing import List, Optional, Tuple


def _closed_by_peer(connection: http.client.HTTPConnection) -> bool:
    # An idle keep-alive socket is readable only when the server closed it (or sent bytes it should not).
    sock = connection.sock
    if sock is None:
        return True
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])


class ConnectionPool:
    def __init__(self, scheme: str, host: str, port: int, timeout: float,
                 ssl_context: Optional[ssl.SSLContext] = None, max_idle: int = 10):
        self.scheme = scheme
        self.host = host
        self.port = port
        self.timeout = timeout
        self.max_idle = max_idle
        self._ssl_context = ssl_context
        self._idle: List[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._closed = False

    def acquire(self) -> Tuple[http.client.HTTPConnection, bool]:
        """A connection, and whether it is already open (else `connect()` opens it: nothing sent yet)."""
        with self._lock:
            while self._idle:
                connection = self._idle.pop()
                if not _closed_by_peer(connection):
                    return connection, True
                connection.close()
        if self.scheme == "https":
            context = self._ssl_context or ssl.create_default_context()
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=context), False
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout), False

    def release(self, connection: http.client.HTTPConnection) -> None:
        """Gives back a connection whose last response was read to the end."""
        with self._lock:
            if not self._closed and connection.sock is not None and len(self._idle) < self.max_idle:
                self._idle.append(connection)
                return
        connection.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
