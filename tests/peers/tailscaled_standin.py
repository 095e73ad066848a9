#!/usr/bin/env python3
"""Stands in for tailscaled in userspace mode: its SOCKS5 listener and its LocalAPI, as they answer.

tailscaled itself cannot run here, so this behaves like it where tsproxy can tell (tailscale's
net/socks5/socks5.go and ipn/localapi): the SOCKS5 server takes no authentication, accepts IPv4,
IPv6 and domain addresses, and answers reply 0x01 "general failure" for EVERY dial error (refused
port, unreachable host, unknown name; dials time out after 5 s) with a zero bind address, and 0x00
with the local address of its outgoing connection on success, then relays both ways. While the
backend is not Running, every CONNECT gets 0x01 too (nothing can be dialled yet).

The LocalAPI listens on a unix socket: GET /localapi/v0/status?peers=false answers a status document
with "BackendState" (tab-indented JSON, like tailscaled's encoder). Control requests for the tests go to
a second unix socket (always served): POST /__state?BackendState=Running sets the state; GET /__stats
answers {"connects": C, "failures": F, "successes": S, "by_target": {"host:port": C, ...}}.

    tailscaled_standin.py --port-file F --control-socket PATH [--state Starting] [--localapi-socket PATH]

Without --localapi-socket there is no LocalAPI at all (as when tsproxy is given no socket). Loopback only.
"""

import argparse
import json
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
from urllib.parse import parse_qs, urlsplit

_lock = threading.Lock()
_state = "Starting"
_stats = {"connects": 0, "failures": 0, "successes": 0, "by_target": {}}


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("client closed")
        data += chunk
    return data


def reply(sock, code, bound=("0.0.0.0", 0)):
    host, port = bound
    try:
        addr = b"\x01" + socket.inet_pton(socket.AF_INET, host)
    except OSError:
        addr = b"\x04" + socket.inet_pton(socket.AF_INET6, host)
    sock.sendall(b"\x05" + bytes([code]) + b"\x00" + addr + struct.pack(">H", port))


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class Socks5(socketserver.BaseRequestHandler):
    def handle(self):
        c = self.request
        try:
            version, n = read_exact(c, 2)
            methods = read_exact(c, n)
            if version != 5 or 0 not in methods:
                c.sendall(b"\x05\xff")
                return
            c.sendall(b"\x05\x00")
            _, command, _, atyp = read_exact(c, 4)
            if atyp == 1:
                host = socket.inet_ntop(socket.AF_INET, read_exact(c, 4))
            elif atyp == 4:
                host = socket.inet_ntop(socket.AF_INET6, read_exact(c, 16))
            elif atyp == 3:
                host = read_exact(c, read_exact(c, 1)[0]).decode("ascii", "replace")
            else:
                reply(c, 1)
                return
            (port,) = struct.unpack(">H", read_exact(c, 2))
        except (ConnectionError, OSError, ValueError):
            return
        if command != 1:
            reply(c, 7)  # command not supported
            return
        target = f"{host}:{port}"
        with _lock:
            _stats["connects"] += 1
            _stats["by_target"][target] = _stats["by_target"].get(target, 0) + 1
            running = _state == "Running"
        upstream = None
        if running:
            try:
                upstream = socket.create_connection((host, port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                upstream = None
        if upstream is None:
            with _lock:
                _stats["failures"] += 1
            reply(c, 1)
            return
        with _lock:
            _stats["successes"] += 1
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reply(c, 0, upstream.getsockname()[:2])
        t = threading.Thread(target=pump, args=(upstream, c), daemon=True)
        t.start()
        pump(c, upstream)
        t.join()
        upstream.close()


def http_answer(sock, status, body, content_type="application/json"):
    reason = {200: "OK", 404: "Not Found", 400: "Bad Request"}.get(status, "OK")
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    sock.sendall(head.encode() + body)


class LocalApi(socketserver.BaseRequestHandler):
    def handle(self):
        global _state
        c = self.request
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = c.recv(4096)
            if not chunk:
                return
            data += chunk
        line = data.split(b"\r\n", 1)[0].decode("latin-1")
        try:
            method, target, _ = line.split(" ", 2)
        except ValueError:
            http_answer(c, 400, b"bad request\n", "text/plain")
            return
        url = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if method == "GET" and url.path == "/localapi/v0/status" and self.server.localapi:
            with _lock:
                doc = {"Version": "1.80.0-standin", "TUN": False, "BackendState": _state,
                       "HaveNodeKey": _state == "Running", "AuthURL": "",
                       "TailscaleIPs": ["100.64.0.1"] if _state == "Running" else None,
                       "Self": {"HostName": "tsproxy", "Online": _state == "Running"}, "Health": []}
            http_answer(c, 200, json.dumps(doc, indent="\t").encode() + b"\n")
        elif method == "POST" and url.path == "/__state" and "BackendState" in query and not self.server.localapi:
            with _lock:
                _state = query["BackendState"]
            http_answer(c, 200, b"{}\n")
        elif method == "GET" and url.path == "/__stats" and not self.server.localapi:
            with _lock:
                body = json.dumps(_stats).encode()
            http_answer(c, 200, body)
        else:
            http_answer(c, 404, b"404 page not found\n", "text/plain")


class ThreadingTcp(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class ThreadingUnix(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    global _state
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port-file", required=True, help="the SOCKS5 port is written here once listening")
    ap.add_argument("--state", default="Starting", help="initial BackendState")
    ap.add_argument("--localapi-socket", help="serve the LocalAPI on this unix socket")
    ap.add_argument("--control-socket", required=True, help="serve the tests' control requests here")
    args = ap.parse_args()
    _state = args.state
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    socks = ThreadingTcp(("127.0.0.1", 0), Socks5)
    threading.Thread(target=socks.serve_forever, daemon=True).start()
    for path, is_localapi in ((args.localapi_socket, True), (args.control_socket, False)):
        if not path:
            continue
        if os.path.exists(path):
            os.unlink(path)
        server = ThreadingUnix(path, LocalApi)
        server.localapi = is_localapi
        threading.Thread(target=server.serve_forever, daemon=True).start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{socks.server_address[1]}\n")
    os.replace(tmp, args.port_file)
    print(f"socks5 on 127.0.0.1:{socks.server_address[1]}", flush=True)
    try:
        signal.pause()
    except SystemExit:
        pass


if __name__ == "__main__":
    main()
