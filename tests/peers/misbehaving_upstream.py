#!/usr/bin/env python3
"""A deliberately misbehaving HTTP/1.1 origin for tsproxy's integration tests.

Built on raw sockets (not http.server) because several endpoints must break the protocol at the byte
level: wrong framing, resets mid-body, garbage status lines, folded headers. Connections are kept
alive, one thread per connection, and every endpoint is selected by path (query string allowed).

Endpoints (HEAD gets the same head with no body; unknown paths get 404):
  /echo                      200 echoing the request body (Content-Length or chunked request bodies),
                             x-echo-method, x-echo-target (raw request-target) and x-echo-headers
                             (base64 of a JSON array of [name, value] pairs, as received, in order).
  /bytes?n=N                 N bytes, byte i = i % 256, Content-Length.
  /chunked?n=N&chunk=K       the same bytes in K-byte chunks with `;ext=1` and trailer `x-trailer: yes`.
  /close-delimited?n=N       no Content-Length, no Transfer-Encoding, no Connection header; N bytes, close.
  /close-after?n=N           200 "request K\n"; the N-th request on a connection carries
                             `Connection: close` and the connection is really closed.
  /reset-before-head         reads the request, then RST before any response byte.
  /reset-mid-head            sends half a response head (`HTTP/1.1 200 OK`, part of a header name), then RST.
  /reset-mid-body?n=N        declares Content-Length N, sends N/2 bytes, then RST (SO_LINGER 0).
  /stall-mid-body?n=N        declares Content-Length N, sends N/2 bytes, then holds the socket until the client
                             closes it.
  /truncated-chunked?n=N     chunked, N/2 bytes in 1 KiB chunks, then a clean close (FIN) with no last chunk.
  /slow-headers?ms=M         waits M ms, then 200 "ok".
  /slow-body?ms=M&n=N        head at once, then N bytes, one per M ms.
  /slow-head?ms=M            a slow-loris head: `200 ok` with Content-Length, one byte of the head per M ms
                             (default 1000); stops at the first failed write.
  /garbage-status            `HTTP/1.1 abc nonsense` and close.
  /huge-head?n=N             200 "ok" whose head carries one x-huge header of N bytes (default 70000).
  /many-headers?n=N          200 "ok" with N x-many-K headers (default 200).
  /never                     reads the request, never answers, holds the socket until the client closes.
  /ignore-body               reads only the request head, never the body, never answers; holds the socket
                             (unread bytes and all) until the client closes it or 60 s pass.
  /status?code=C             status C with body "status C\n" (no body for 1xx, 204, 304).
  /set-cookies               three Set-Cookie and two x-multi headers.
  /interim                   100 Continue, 103 Early Hints (with Link), then 200 "ok".
  /obs-fold                  a header value continued on the next line (obsolete line folding).
  /conflicting-length        Content-Length: 5 and Content-Length: 6, body "hello!", close.
  /cl-and-te                 Content-Length: 3 and Transfer-Encoding: chunked with body "hello"
                             (chunked framing is the valid one); the connection stays open.
  /big?n=N                   N bytes (pattern as /bytes) written 64 KiB at a time, Content-Length.
  /big-chunked?n=N           the same in 64 KiB chunks.
  /early-answer?code=C       status C (default 413) "too large" with Connection: close, sent after reading
                             only the head; then the connection is reset with the body unread
                             (SO_LINGER 0). With close=unread: once the 413 has reached the peer's kernel and
                             body bytes lie unread, a plain close(), which the kernel turns into a reset.
                             With keep=1: no Connection: close; the connection is then held with the body
                             unread (as /ignore-body) until the client closes it.
  /smuggle?shape=S           a canned response with doubtful framing (SMUGGLE_SHAPES below), then close
                             unless the shape says keep-alive.
  /idle-then?key=K&do=D      200 "idle K" with keep-alive; then, once K is released (/__release), while the
                             connection lies idle: D=close closes it (FIN), D=garbage sends an unsolicited
                             response on it. Counted in /__stats as idle_actions once done.
  /hold?key=K                held (the head not sent) until /__release?key=K, then 200 "released";
                             504 if no release comes within ms=M (default 60000).
  /__held?key=K              JSON {"held": H}: how many /hold requests for K are waiting now.
  /__release?key=K           releases every /hold for K, waiting or still to come; 200 "released N".
  /__stats                   JSON {"accepted_connections": A, "requests": R, "tls_accepted": T,
                             "idle_actions": I} (see below).
  /soak?n=N                  N pattern bytes (as /bytes) for GET; for a request with a body, the body's
                             length must be N (else 400). x-echo-trace-id carries the X-Amzn-Trace-Id received.

With --tls-cert/--tls-key the same endpoints are also served over TLS on a second port (--tls-port-file);
tls_accepted counts the TLS handshakes that completed there, and control requests stay on the plain port.

Accounting: every accepted TCP connection counts, except a connection whose first request is a
control request (/__stats, /__held, /__release), so asking never disturbs the answer. Control
requests are never counted as requests. The accept loop is a single thread, so any connection whose connect() completed
before the control connection's did is already counted when /__stats answers.
"""

import argparse
import base64
import fcntl
import json
import os
import select
import signal
import socket
import ssl
import struct
import sys
import termios
import threading
import time
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

MAX_HEAD_BYTES = 64 * 1024
BLOCK = bytes(i % 256 for i in range(64 * 1024))  # 64 KiB is a multiple of 256, so blocks tile.

_stats_lock = threading.Lock()
_accepted = 0
_control = 0
_requests = 0
_tls_accepted = 0
_idle_actions = 0
_quiet = False

_holds = threading.Condition()
_held = {}  # key -> /hold requests waiting now
_released = set()  # keys released for good


class ClientGone(Exception):
    """The peer closed or reset; the connection thread just ends."""


class BadRequest(Exception):
    def __init__(self, status, why):
        super().__init__(why)
        self.status = status


def log(message):
    if not _quiet:
        print(message, flush=True)


def pattern(n):
    """n bytes of the i % 256 pattern without building more than n bytes."""
    full, rest = divmod(n, len(BLOCK))
    return BLOCK * full + BLOCK[:rest]


class Request:
    def __init__(self, method, target, version, headers, body):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers  # list of (name, value) str pairs, as received
        self.body = body
        split = urlsplit(target)
        self.path = split.path
        self.query = {k: v[-1] for k, v in parse_qs(split.query).items()}

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def header_tokens(self, name):
        name = name.lower()
        tokens = []
        for k, v in self.headers:
            if k.lower() == name:
                tokens += [t.strip().lower() for t in v.split(",") if t.strip()]
        return tokens

    def int_param(self, name, default):
        try:
            return int(self.query.get(name, default))
        except ValueError:
            return default

    def wants_keep_alive(self):
        tokens = self.header_tokens("connection")
        if self.version == "HTTP/1.0":
            return "keep-alive" in tokens
        return "close" not in tokens


class Connection:
    """Buffered reads on one socket; requests may be pipelined, so leftovers stay in buf."""

    def __init__(self, sock, serial):
        self.sock = sock
        self.serial = serial
        self.buf = bytearray()
        self.requests = 0

    def _fill(self):
        # microsocks relays in 1 KiB steps without TCP_NODELAY, so its second step waits for our ACK of the
        # first: acknowledge at once (Linux clears the flag after a while, so set it before every read).
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except OSError:
            pass
        data = self.sock.recv(65536)
        if not data:
            raise ClientGone()
        self.buf += data

    def read_line(self, limit):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[: i + 2]
                return line
            if len(self.buf) > limit:
                raise BadRequest(431, "line too long")
            self._fill()

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise ClientGone() from e

    def read_request(self):
        """Returns the next Request, or None on a clean close between requests."""
        # RFC 9112 2.2: ignore empty lines before a request line.
        while True:
            try:
                line = self.read_line(MAX_HEAD_BYTES)
            except ClientGone:
                if self.buf:
                    raise
                return None
            if line:
                break
        parts = line.decode("latin-1").split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise BadRequest(400, "bad request line")
        method, target, version = parts
        headers = []
        head_bytes = len(line)
        while True:
            hl = self.read_line(MAX_HEAD_BYTES)
            head_bytes += len(hl) + 2
            if head_bytes > MAX_HEAD_BYTES:
                raise BadRequest(431, "head too large")
            if not hl:
                break
            name, sep, value = hl.decode("latin-1").partition(":")
            if not sep or not name or name != name.strip():
                raise BadRequest(400, "bad header line")
            headers.append((name, value.strip(" \t")))
        req = Request(method, target, version, headers, b"")
        if req.path in ("/early-answer", "/ignore-body"):
            return req  # answered (or held) from the head alone; the body is never read
        chunked = "chunked" in req.header_tokens("transfer-encoding")
        length = req.header("content-length")
        expects_body = chunked or (length is not None and length.strip() != "0")
        if expects_body and "100-continue" in req.header_tokens("expect"):
            # Without this curl stalls a second before sending large bodies.
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        if chunked:
            req.body = self._read_chunked()
        elif length is not None:
            try:
                n = int(length)
            except ValueError:
                raise BadRequest(400, "bad content-length")
            req.body = self.read_exact(n)
        return req

    def _read_chunked(self):
        body = bytearray()
        while True:
            size_line = self.read_line(4096).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise BadRequest(400, "bad chunk size")
            if size == 0:
                while self.read_line(MAX_HEAD_BYTES):  # trailers, discarded
                    pass
                return bytes(body)
            body += self.read_exact(size)
            if self.read_exact(2) != b"\r\n":
                raise BadRequest(400, "bad chunk end")


def reason(code):
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Unknown"


def head_bytes(code, headers, keep_alive=True):
    lines = [f"HTTP/1.1 {code} {reason(code)}"]
    lines += [f"{k}: {v}" for k, v in headers]
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(conn, req, code, body=b"", headers=(), keep_alive=True):
    """A complete Content-Length response; returns whether to keep the connection."""
    keep_alive = keep_alive and req.wants_keep_alive()
    all_headers = list(headers)
    no_body = code < 200 or code in (204, 304)
    if not no_body:
        all_headers.append(("Content-Length", str(len(body))))
    data = head_bytes(code, all_headers, keep_alive)
    if req.method != "HEAD" and not no_body:
        data += body
    conn.send(data)
    return keep_alive


def octets():
    return [("Content-Type", "application/octet-stream")]


# --- endpoints: each returns True to keep the connection open ---


def h_echo(conn, req):
    pairs = [[k, v] for k, v in req.headers]
    encoded = base64.b64encode(json.dumps(pairs).encode("utf-8")).decode("ascii")
    headers = octets() + [
        ("x-echo-method", req.method),
        ("x-echo-target", req.target),
        ("x-echo-headers", encoded),
    ]
    return respond(conn, req, 200, req.body, headers)


def h_bytes(conn, req):
    return respond(conn, req, 200, pattern(max(0, req.int_param("n", 1024))), octets())


def h_chunked(conn, req):
    n = max(0, req.int_param("n", 1024))
    chunk = max(1, req.int_param("chunk", 100))
    headers = octets() + [("Transfer-Encoding", "chunked"), ("Trailer", "x-trailer")]
    keep = req.wants_keep_alive()
    conn.send(head_bytes(200, headers, keep))
    if req.method == "HEAD":
        return keep
    data = pattern(n)
    out = bytearray()
    for off in range(0, n, chunk):
        piece = data[off : off + chunk]
        out += b"%x;ext=1\r\n" % len(piece) + piece + b"\r\n"
        if len(out) >= 65536:
            conn.send(bytes(out))
            out.clear()
    out += b"0\r\nx-trailer: yes\r\n\r\n"
    conn.send(bytes(out))
    return keep


def h_close_delimited(conn, req):
    n = max(0, req.int_param("n", 1024))
    # Deliberately no Connection: close either, so only the close ends the body.
    conn.send(head_bytes(200, octets()))
    if req.method != "HEAD":
        conn.send(pattern(n))
    return False


def h_close_after(conn, req):
    n = req.int_param("n", 1)
    body = f"request {conn.requests}\n".encode()
    return respond(conn, req, 200, body, [("Content-Type", "text/plain")], keep_alive=conn.requests < n)


def unsent_bytes(sock):
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]


def reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def h_reset_mid_body(conn, req):
    n = max(2, req.int_param("n", 1024))
    conn.send(head_bytes(200, octets() + [("Content-Length", str(n))]))
    conn.send(pattern(n // 2))
    wait_until_sent(conn.sock)
    reset(conn.sock)
    raise ClientGone()


def h_stall_mid_body(conn, req):
    n = max(2, req.int_param("n", 1024))
    conn.send(head_bytes(200, octets() + [("Content-Length", str(n))]))
    conn.send(pattern(n // 2))
    h_never(conn, req)


def wait_until_sent(sock, bound_s=2):
    """An RST discards unsent data, so wait until the peer's kernel has everything we wrote."""
    deadline = time.monotonic() + bound_s
    while unsent_bytes(sock) and time.monotonic() < deadline:
        time.sleep(0.001)


def h_reset_before_head(conn, req):
    reset(conn.sock)
    raise ClientGone()


def h_reset_mid_head(conn, req):
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Len")
    wait_until_sent(conn.sock)
    reset(conn.sock)
    raise ClientGone()


def h_truncated_chunked(conn, req):
    n = max(2, req.int_param("n", 4096))
    conn.send(head_bytes(200, octets() + [("Transfer-Encoding", "chunked")]))
    data = pattern(n // 2)
    for off in range(0, len(data), 1024):
        piece = data[off : off + 1024]
        conn.send(b"%x\r\n" % len(piece) + piece + b"\r\n")
    return False  # a clean close (FIN) where the last chunk should be


def h_slow_head(conn, req):
    ms = max(0, req.int_param("ms", 1000))
    data = head_bytes(200, [("Content-Type", "text/plain"), ("Content-Length", "2")], req.wants_keep_alive())
    for i in range(len(data)):
        time.sleep(ms / 1000)
        conn.send(data[i : i + 1])
    conn.send(b"ok")
    return req.wants_keep_alive()


def h_ignore_body(conn, req):
    # Watch for the client's close without reading: the body stays in the kernel's buffers.
    poller = select.poll()
    poller.register(conn.sock, select.POLLRDHUP | select.POLLHUP | select.POLLERR)
    poller.poll(60000)
    return False


# /smuggle shapes: name -> (raw response, whether the connection stays open afterwards).
SMUGGLE_SHAPES = {
    # Both framings; chunked is the valid one (RFC 9112 6.1), in either order.
    "cl-te": (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"5\r\nhello\r\n0\r\n\r\n", True),
    "te-cl": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
              b"5\r\nhello\r\n0\r\n\r\n", True),
    # Repeated but equal lengths are one length (RFC 9110 8.6).
    "duplicate-cl": (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", True),
    "cl-list": (b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello", True),
    "conflicting-cl": (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", False),
    "conflicting-cl-list": (b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello!", False),
    "negative-cl": (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nhello", False),
    "plus-cl": (b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello", False),
    "overflowing-cl": (b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551621\r\n\r\nhello", False),
    "space-before-colon": (b"HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello", True),
    "negative-chunk": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", False),
    "overflowing-chunk": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"10000000000000005\r\nhello\r\n0\r\n\r\n", False),
    "chunked-not-last": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, identity\r\n\r\n"
                         b"5\r\nhello\r\n0\r\n\r\n", False),
    "chunked-twice": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"5\r\nhello\r\n0\r\n\r\n", False),
    "te-in-http10": (b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", False),
    # A whole second response behind the first: whoever reuses the connection would read it as theirs.
    "extra-response": (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
                       b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nsmuggled!", True),
}


def h_huge_head(conn, req):
    value = "h" * max(0, req.int_param("n", 70000))
    return respond(conn, req, 200, b"ok", [("Content-Type", "text/plain"), ("x-huge", value)])


def h_many_headers(conn, req):
    headers = [(f"x-many-{i}", str(i)) for i in range(max(0, req.int_param("n", 200)))]
    return respond(conn, req, 200, b"ok", [("Content-Type", "text/plain")] + headers)


def h_smuggle(conn, req):
    shape = SMUGGLE_SHAPES.get(req.query.get("shape", ""))
    if shape is None:
        return respond(conn, req, 404, b"unknown shape\n", [("Content-Type", "text/plain")])
    data, keep = shape
    conn.send(data)
    return keep


def h_idle_then(conn, req):
    global _idle_actions
    key = req.query.get("key", "")
    action = req.query.get("do", "close")
    respond(conn, req, 200, f"idle {key}".encode(), [("Content-Type", "text/plain")])
    deadline = time.monotonic() + 60
    with _holds:
        while key not in _released and time.monotonic() < deadline:
            _holds.wait(timeout=max(0.0, deadline - time.monotonic()))
    if action == "garbage":
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nstale\n")
        keep = True
    else:
        conn.sock.shutdown(socket.SHUT_WR)
        keep = False
    with _stats_lock:
        _idle_actions += 1
    return keep


def h_soak(conn, req):
    n = max(0, req.int_param("n", 100))
    if req.body and req.body != pattern(len(req.body)):
        return respond(conn, req, 400, b"request body is not the pattern\n", [("Content-Type", "text/plain")])
    headers = octets() + [
        ("x-echo-trace-id", req.header("x-amzn-trace-id") or ""),
        ("x-echo-body-length", str(len(req.body))),
    ]
    return respond(conn, req, 200, pattern(n), headers)


def h_slow_headers(conn, req):
    time.sleep(max(0, req.int_param("ms", 1000)) / 1000)
    return respond(conn, req, 200, b"ok", [("Content-Type", "text/plain")])


def h_slow_body(conn, req):
    ms = max(0, req.int_param("ms", 100))
    n = max(0, req.int_param("n", 10))
    keep = req.wants_keep_alive()
    conn.send(head_bytes(200, octets() + [("Content-Length", str(n))], keep))
    if req.method == "HEAD":
        return keep
    for b in pattern(n):
        time.sleep(ms / 1000)
        conn.send(bytes([b]))
    return keep


def h_garbage_status(conn, req):
    conn.send(b"HTTP/1.1 abc nonsense\r\n\r\n")
    return False


def h_never(conn, req):
    while True:
        conn._fill()  # raises ClientGone once the client closes
        conn.buf.clear()


def h_status(conn, req):
    code = req.int_param("code", 200)
    if not 100 <= code <= 999:
        code = 400
    return respond(conn, req, code, f"status {code}\n".encode(), [("Content-Type", "text/plain")])


def h_set_cookies(conn, req):
    headers = [
        ("Content-Type", "text/plain"),
        ("Set-Cookie", "a=1; Path=/"),
        ("Set-Cookie", "b=2; HttpOnly"),
        ("Set-Cookie", "c=3; Expires=Wed, 21 Oct 2037 07:28:00 GMT"),
        ("x-multi", "one"),
        ("x-multi", "two"),
    ]
    return respond(conn, req, 200, b"cookies\n", headers)


def h_interim(conn, req):
    conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
    conn.send(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n")
    return respond(conn, req, 200, b"ok", [("Content-Type", "text/plain")])


def h_obs_fold(conn, req):
    keep = req.wants_keep_alive()
    head = head_bytes(200, [("Content-Type", "text/plain"), ("Content-Length", "2")], keep)
    # Insert the folded header just before the blank line ending the head.
    head = head[:-2] + b"x-folded: first\r\n  second\r\n\r\n"
    conn.send(head if req.method == "HEAD" else head + b"ok")
    return keep


def h_conflicting_length(conn, req):
    conn.send(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
        + (b"" if req.method == "HEAD" else b"hello!")
    )
    return False


def h_cl_and_te(conn, req):
    conn.send(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        + (b"" if req.method == "HEAD" else b"5\r\nhello\r\n0\r\n\r\n")
    )
    return req.wants_keep_alive()


def h_big(conn, req):
    n = max(0, req.int_param("n", 1 << 20))
    keep = req.wants_keep_alive()
    conn.send(head_bytes(200, octets() + [("Content-Length", str(n))], keep))
    if req.method != "HEAD":
        full, rest = divmod(n, len(BLOCK))
        for _ in range(full):
            conn.send(BLOCK)
        if rest:
            conn.send(BLOCK[:rest])
    return keep


def h_big_chunked(conn, req):
    n = max(0, req.int_param("n", 1 << 20))
    keep = req.wants_keep_alive()
    conn.send(head_bytes(200, octets() + [("Transfer-Encoding", "chunked")], keep))
    if req.method != "HEAD":
        full, rest = divmod(n, len(BLOCK))
        framed = b"%x\r\n" % len(BLOCK) + BLOCK + b"\r\n"
        for _ in range(full):
            conn.send(framed)
        if rest:
            conn.send(b"%x\r\n" % rest + BLOCK[:rest] + b"\r\n")
        conn.send(b"0\r\n\r\n")
    return keep


def h_early_answer(conn, req):
    # Like a server refusing a body too large: answer from the head, then close with the body unread,
    # so the client's kernel gets a reset while it is still sending.
    code = req.int_param("code", 413)
    keep = req.query.get("keep") == "1"
    conn.send(head_bytes(code, [("Content-Type", "text/plain"), ("Content-Length", "9")], keep_alive=keep)
              + b"too large")
    if keep:
        return h_ignore_body(conn, req)
    if req.query.get("close") == "unread":
        # A plain close() as most servers do: Linux answers it with a reset rather than a FIN when received
        # bytes lie unread (tcp_close's data_was_unread, net/ipv4/tcp.c), and discards what is still unsent.
        wait_until_sent(conn.sock)
        wait_until_readable(conn.sock)
        conn.sock.close()
    else:
        reset(conn.sock)
    raise ClientGone()


def wait_until_readable(sock, bound_s=5):
    """Waits (bounded) until bytes the peer sent lie unread in the socket."""
    select.select([sock], [], [], bound_s)


def h_hold(conn, req):
    key = req.query.get("key", "")
    deadline = time.monotonic() + max(0, req.int_param("ms", 60000)) / 1000
    with _holds:
        _held[key] = _held.get(key, 0) + 1
        while key not in _released and time.monotonic() < deadline:
            _holds.wait(timeout=max(0.0, deadline - time.monotonic()))
        _held[key] -= 1
        released = key in _released
    if not released:
        return respond(conn, req, 504, b"never released\n", [("Content-Type", "text/plain")])
    return respond(conn, req, 200, b"released", [("Content-Type", "text/plain")])


def h_held(conn, req):
    with _holds:
        body = json.dumps({"held": _held.get(req.query.get("key", ""), 0)})
    return respond(conn, req, 200, body.encode() + b"\n", [("Content-Type", "application/json")])


def h_release(conn, req):
    key = req.query.get("key", "")
    with _holds:
        _released.add(key)
        n = _held.get(key, 0)
        _holds.notify_all()
    return respond(conn, req, 200, f"released {n}".encode(), [("Content-Type", "text/plain")])


def h_stats(conn, req):
    with _stats_lock:
        body = json.dumps({"accepted_connections": _accepted - _control, "requests": _requests,
                           "tls_accepted": _tls_accepted, "idle_actions": _idle_actions})
    return respond(conn, req, 200, body.encode() + b"\n", [("Content-Type", "application/json")])


def h_not_found(conn, req):
    return respond(conn, req, 404, b"not found\n", [("Content-Type", "text/plain")])


ROUTES = {
    "/echo": h_echo,
    "/bytes": h_bytes,
    "/chunked": h_chunked,
    "/close-delimited": h_close_delimited,
    "/close-after": h_close_after,
    "/reset-before-head": h_reset_before_head,
    "/reset-mid-head": h_reset_mid_head,
    "/reset-mid-body": h_reset_mid_body,
    "/stall-mid-body": h_stall_mid_body,
    "/truncated-chunked": h_truncated_chunked,
    "/slow-head": h_slow_head,
    "/ignore-body": h_ignore_body,
    "/smuggle": h_smuggle,
    "/huge-head": h_huge_head,
    "/many-headers": h_many_headers,
    "/idle-then": h_idle_then,
    "/soak": h_soak,
    "/slow-headers": h_slow_headers,
    "/slow-body": h_slow_body,
    "/garbage-status": h_garbage_status,
    "/never": h_never,
    "/status": h_status,
    "/set-cookies": h_set_cookies,
    "/interim": h_interim,
    "/obs-fold": h_obs_fold,
    "/conflicting-length": h_conflicting_length,
    "/cl-and-te": h_cl_and_te,
    "/big": h_big,
    "/big-chunked": h_big_chunked,
    "/early-answer": h_early_answer,
    "/hold": h_hold,
    "/__held": h_held,
    "/__release": h_release,
    "/__stats": h_stats,
}


def serve_connection(sock, serial):
    global _control, _requests
    conn = Connection(sock, serial)
    try:
        while True:
            try:
                req = conn.read_request()
            except BadRequest as e:
                log(f"conn {serial}: bad request: {e}")
                conn.send(head_bytes(e.status, [("Content-Length", "0")], keep_alive=False))
                return
            if req is None:
                return
            conn.requests += 1
            with _stats_lock:
                if req.path.startswith("/__"):
                    if conn.requests == 1:
                        _control += 1
                else:
                    _requests += 1
            log(f"conn {serial} req {conn.requests}: {req.method} {req.target}")
            if not ROUTES.get(req.path, h_not_found)(conn, req):
                return
    except (ClientGone, OSError):
        pass
    finally:
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        sock.close()


def write_port_file(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def listen_on(port):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    return listener


_serial_lock = threading.Lock()
_serial = 0


def next_serial():
    global _serial
    with _serial_lock:
        _serial += 1
        return _serial


def serve_tls_connection(context, sock, serial):
    global _tls_accepted
    sock.settimeout(10)  # a client that never finishes its handshake does not hold the thread forever
    try:
        tls = context.wrap_socket(sock, server_side=True)
    except (OSError, ssl.SSLError) as e:
        log(f"tls conn {serial}: handshake failed: {e}")
        sock.close()
        return
    tls.settimeout(None)
    with _stats_lock:
        _tls_accepted += 1
    serve_connection(tls, serial)


def tls_accept_loop(listener, context):
    while True:
        sock, _ = listener.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve_tls_connection, args=(context, sock, next_serial()), daemon=True).start()


def main():
    global _accepted, _quiet
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the bound port here (atomically) once listening")
    parser.add_argument("--tls-cert", help="also serve TLS with this certificate (PEM) ...")
    parser.add_argument("--tls-key", help="... and this key")
    parser.add_argument("--tls-port-file", help="write the TLS port here, before --port-file is written")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args()
    _quiet = args.quiet

    # sys.exit in the handler unwinds the main thread out of accept(); connection threads are
    # daemons, so the process ends without waiting for idle keep-alive clients.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        tls_listener = listen_on(0)
        tls_port = tls_listener.getsockname()[1]
        threading.Thread(target=tls_accept_loop, args=(tls_listener, context), daemon=True).start()
        if args.tls_port_file:
            write_port_file(args.tls_port_file, tls_port)
        print(f"listening with TLS on 127.0.0.1:{tls_port}", flush=True)

    listener = listen_on(args.port)
    port = listener.getsockname()[1]
    if args.port_file:
        write_port_file(args.port_file, port)
    print(f"listening on 127.0.0.1:{port}", flush=True)

    try:
        while True:
            sock, _ = listener.accept()
            with _stats_lock:
                _accepted += 1
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=serve_connection, args=(sock, next_serial()), daemon=True).start()
    except SystemExit:
        print("exiting on SIGTERM", flush=True)
    finally:
        listener.close()


if __name__ == "__main__":
    main()
