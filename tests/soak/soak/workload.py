"""What a soak sends and what each answer must be. Invocation i is planned from i alone (a seeded generator),
so a run can be repeated exactly: mixed sizes from 100 B to 1 MiB, some request bodies, some through the
streaming function, and every `fault_every`-th invocation a fault with its documented answer (README, "Fault
matrix")."""

import http.client
import random
import socket
import threading

LOOPBACK = "127.0.0.1"
PATTERN = bytes(i % 256 for i in range(1 << 20))  # the upstream's /soak bytes: byte i is i % 256

# (bytes, weight): mostly small, as proxied API calls are, with a tail of large ones.
SIZES = [(100, 40), (1024, 25), (10 * 1024, 20), (100 * 1024, 10), (1 << 20, 5)]
POST_SHARE = 0.2  # of the ordinary invocations, this share sends a body of the chosen size
STREAM_SHARE = 0.25  # and this share goes to the RESPONSE_STREAM function

# The injected faults, in turn, and what each must get (status, ts-error-name), or a stream cut short.
FAULTS = [
    ("refused", {"buffered": (502, "Socks5ConnectionRefused"), "response_stream": (502, "Socks5ConnectionRefused")}),
    ("reset", {"buffered": (502, "ConnectionClosed"), "response_stream": (502, "ConnectionClosed")}),
    ("cut", {"buffered": (502, "HttpTruncated"), "response_stream": (200, "cut")}),
]


class Invocation:
    __slots__ = ("index", "mode", "method", "path", "port", "body", "size", "fault", "expect")


def plan(index, fault_every, upstream_port, refused_port):
    rng = random.Random(index)
    inv = Invocation()
    inv.index = index
    inv.body = b""
    inv.port = upstream_port
    if fault_every and index % fault_every == fault_every - 1:
        kind, expected = FAULTS[(index // fault_every) % len(FAULTS)]
        inv.fault = kind
        inv.mode = "response_stream" if (index // (fault_every * len(FAULTS))) % 2 else "buffered"
        inv.expect = expected[inv.mode]
        inv.method = "GET"
        inv.size = 0
        if kind == "refused":
            inv.path, inv.port = "/soak?n=100", refused_port
        elif kind == "reset":
            inv.path = "/reset-before-head"
        else:
            inv.path = "/reset-mid-body?n=65536"
        return inv
    inv.fault = None
    inv.expect = (200, None)
    inv.mode = "response_stream" if rng.random() < STREAM_SHARE else "buffered"
    inv.size = rng.choices([s for s, _ in SIZES], weights=[w for _, w in SIZES])[0]
    if rng.random() < POST_SHARE:
        inv.method, inv.body, inv.path = "POST", PATTERN[: inv.size], "/soak?n=100"
    else:
        inv.method, inv.path = "GET", f"/soak?n={inv.size}"
    return inv


class Tally:
    """What the invocations got, shared by the workers."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ok = 0
        self.faults_as_documented = {}  # fault kind -> count
        self.unexpected = []  # (index, what happened), the first few kept whole
        self.unexpected_count = 0
        self.request_ids = set()
        self.trace_ids = set()
        self.duplicate_ids = 0
        self.body_bytes = 0

    def record_ok(self, request_id, trace_id, nbytes):
        with self.lock:
            self.ok += 1
            self.body_bytes += nbytes
            self._ids(request_id, trace_id)

    def record_fault(self, kind, request_id):
        with self.lock:
            self.faults_as_documented[kind] = self.faults_as_documented.get(kind, 0) + 1
            self._ids(request_id, None)

    def _ids(self, request_id, trace_id):
        if request_id is not None:
            if request_id in self.request_ids:
                self.duplicate_ids += 1
            self.request_ids.add(request_id)
        if trace_id is not None:
            if trace_id in self.trace_ids:
                self.duplicate_ids += 1
            self.trace_ids.add(trace_id)

    def record_unexpected(self, inv, what):
        with self.lock:
            self.unexpected_count += 1
            if len(self.unexpected) < 20:
                self.unexpected.append({"index": inv.index, "mode": inv.mode, "path": inv.path, "what": what})


class Client:
    """One worker's keep-alive connections, one per function."""

    def __init__(self, ports):
        self.ports = ports
        self.conns = {}

    def _conn(self, mode):
        c = self.conns.get(mode)
        if c is None:
            c = http.client.HTTPConnection(LOOPBACK, self.ports[mode], timeout=60)
            c.connect()
            c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.conns[mode] = c
        return c

    def drop(self, mode):
        c = self.conns.pop(mode, None)
        if c is not None:
            c.close()

    def close(self):
        for mode in list(self.conns):
            self.drop(mode)

    def send(self, inv, tally):
        headers = {"ts-target-ip": LOOPBACK, "ts-target-port": str(inv.port)}
        if inv.body:
            headers["content-type"] = "application/octet-stream"
        conn = self._conn(inv.mode)
        try:
            conn.request(inv.method, inv.path, body=inv.body or None, headers=headers)
            r = conn.getresponse()
        except (OSError, http.client.HTTPException) as e:
            self.drop(inv.mode)
            return tally.record_unexpected(inv, f"no response: {e!r}")
        request_id = r.getheader("x-amzn-RequestId")
        status, name = r.status, r.getheader("ts-error-name")
        try:
            body = r.read()
        except (OSError, http.client.HTTPException) as e:
            self.drop(inv.mode)
            if inv.expect == (200, "cut") and status == 200 and name is None:
                return tally.record_fault(inv.fault, request_id)
            return tally.record_unexpected(inv, f"status {status}, then the body broke: {e!r}")
        if r.will_close:
            self.drop(inv.mode)
        if inv.fault is not None:
            if (status, name) == inv.expect and r.getheader("ts-error-message"):
                return tally.record_fault(inv.fault, request_id)
            return tally.record_unexpected(inv, f"got {status} {name!r}, expected {inv.expect}")
        if status != 200 or name is not None:
            return tally.record_unexpected(inv, f"got {status} {name!r}: {body[:200]!r}")
        expected_body = PATTERN[: 100 if inv.method == "POST" else inv.size]
        if body != expected_body:
            return tally.record_unexpected(inv, f"a body of {len(body)} bytes, not the {len(expected_body)} expected")
        if r.getheader("x-echo-body-length") != str(len(inv.body)):
            return tally.record_unexpected(inv, f"the upstream got {r.getheader('x-echo-body-length')} body bytes")
        trace_id = r.getheader("x-echo-trace-id")
        if not trace_id or not trace_id.startswith("Root=1-"):
            return tally.record_unexpected(inv, f"the upstream got no X-Ray trace id ({trace_id!r})")
        tally.record_ok(request_id, trace_id, len(body) + len(inv.body))
