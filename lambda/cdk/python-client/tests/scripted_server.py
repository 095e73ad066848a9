"""A loopback HTTP/1.1 server that plays a script, one step per request that arrives: reset the connection
as the request's first bytes arrive, reset it after reading the whole request, or answer (status,
headers); once the script is played, it answers 200 "ok". It counts connections and attempts (requests
whose bytes arrived), so that tests assert what reached the server. Keep-alive unless an answer says
`connection: close`."""

import socket
import struct
import threading

RESET_BEFORE_READ = "reset-before-read"
RESET_AFTER_READ = "reset-after-read"


def _reset(conn: socket.socket) -> None:
    # SO_LINGER 0: close() sends RST instead of FIN.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


class ScriptedServer:
    def __init__(self, script=()):
        self.script = list(script)
        self.connections = 0
        self.attempts = 0
        self.received = []  # (method, path, headers) of every request read whole
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._accepting = threading.Thread(target=self._accept_loop, daemon=True)
        self._accepting.start()

    def close(self) -> None:
        self._listener.close()

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _next_step(self):
        with self._lock:
            self.attempts += 1
            return self.script.pop(0) if self.script else (200, [])

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        pending = b""
        try:
            while True:
                if not pending:
                    pending = conn.recv(65536)
                    if not pending:
                        return conn.close()
                step = self._next_step()
                if step == RESET_BEFORE_READ:
                    return _reset(conn)
                while b"\r\n\r\n" not in pending:
                    more = conn.recv(65536)
                    if not more:
                        return conn.close()
                    pending += more
                head, _, pending = pending.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = [(k.strip().lower(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:])]
                length = int(dict(headers).get("content-length", "0"))
                while len(pending) < length:
                    more = conn.recv(65536)
                    if not more:
                        return conn.close()
                    pending += more
                pending = pending[length:]
                with self._lock:
                    self.received.append((method, path, headers))
                if step == RESET_AFTER_READ:
                    return _reset(conn)
                status, answer_headers = step
                body = b"ok"
                lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in answer_headers] + [f"content-length: {len(body)}"]
                conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
                if ("connection", "close") in answer_headers:
                    return conn.close()
        except OSError:
            conn.close()
