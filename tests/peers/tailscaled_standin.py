#!/usr/bin/env python3
"""Stands in for tailscaled in userspace mode: its SOCKS5 listener and its LocalAPI, as they answer.

tailscaled itself cannot run here, so this behaves like it where tsproxy can tell (tailscale's
net/socks5/socks5.go and ipn/localapi): the SOCKS5 server takes no authentication, accepts IPv4,
IPv6 and domain addresses, and answers reply 0x01 "general failure" for EVERY dial error (refused
port, unreachable host, unknown name; dials time out after 5 s) with a zero bind address, and 0x00
with the local address of its outgoing connection on success, then relays both ways. While the
backend is not Running, every CONNECT gets 0x01 too (nothing can be dialled yet).

The LocalAPI listens on a unix socket: GET /localapi/v0/status?peers=false answers a status document
with "BackendState" (tab-indented JSON, like tailscaled's encoder); GET /localapi/v0/dns-query?name=N&type=A
answers {"Bytes": base64 DNS message, "Resolvers": null} from the names below. Names, in a CONNECT as in
dns-query, are a peer's MagicDNS name, then TSPROXY_STANDIN_DNS (name=ip,...: the host's DNS, which may
point a public name anywhere, loopback included). It runs in one of two modes.

Test peer (the runtime's tests start it directly):

    tailscaled_standin.py --port-file F --control-socket PATH [--backend-state Starting] [--localapi-socket PATH]

  The SOCKS5 listener takes a free port (written to F). Control requests for the tests go to a second
  unix socket: POST /__state?BackendState=Running sets the state; GET /__stats answers
  {"connects": C, "failures": F, "successes": S, "by_target": {"host:port": C, ...}}. Without
  --localapi-socket there is no LocalAPI at all (as when tsproxy is given no socket).

As tailscaled (the extension starts it through a launcher named tailscaled, with tailscaled's flags):

    tailscaled --tun=userspace-networking --socks5-server=HOST:PORT [--outbound-http-proxy-listen=HOST:PORT]
               --socket=PATH --state=mem: --statedir=DIR

  With --outbound-http-proxy-listen on the SOCKS5 address, the listener also serves tailscaled's outbound
  HTTP proxy (plain requests with an absolute URL, and CONNECT), told apart by the first byte.

  It starts in NoState, then NeedsLogin, like tailscaled without stored state. The LocalAPI also serves
  what tailscale_cli_standin.py (standing in for the tailscale CLI) asks, on the paths the real CLI uses:
  POST /localapi/v0/start {"AuthKey", "UpdatePrefs"} logs in (Starting, then Running or an error on the
  IPN bus); GET /localapi/v0/watch-ipn-bus streams {"State": n} and {"ErrMessage": "..."} lines;
  PATCH /localapi/v0/prefs sets the exit node; POST /localapi/v0/ping?ip=IP (also for the test peer's
  LocalAPI) answers a pong relayed through DERP (no direct endpoint) for an online peer and never for any
  other; POST /localapi/v0/logout
  logs out (NeedsLogin). Behaviour comes from the environment, which the extension passes on:
    TSPROXY_STANDIN_RECORD            append one JSON line per event (started with its pid, uid and gid,
                                      socks5_listening, localapi_listening, backend, start, running, ready,
                                      socks5_connect with its reply, socks5_failed, http_proxy with its
                                      status, prefs, ping, logout, sigterm) with "t", the CLOCK_MONOTONIC
                                      time in ms
    TSPROXY_STANDIN_VALID_KEYS        comma-separated keys that log in (default: any tskey-auth-... and
                                      tskey-client-...)
    TSPROXY_STANDIN_RUNNING_DELAY_MS  from the login to Running (default 0)
    TSPROXY_STANDIN_NEEDS_MACHINE_AUTH=1  the login stops at NeedsMachineAuth (a key that is not
                                      pre-authorized in a tailnet with device approval)
    TSPROXY_STANDIN_EXIT_AT_START=N   print an error and exit with code N at once
    TSPROXY_STANDIN_EXIT_AFTER_LOGIN_MS=N  exit with code 1 N ms after the login started
    TSPROXY_STANDIN_IGNORE_SIGTERM=1  only SIGKILL stops it
    TSPROXY_STANDIN_PEERS             comma-separated name=ip peers that answer pings (DNSName
                                      name.tailnet.ts.net., exit nodes unless named below)
    TSPROXY_STANDIN_BACKEND_DELAY_MS  LocalAPI requests are held this long after start, until the
                                      backend exists (default 0); the SOCKS5 listener is open before
    TSPROXY_STANDIN_OFFLINE_PEERS     comma-separated peer names that are offline: "Online": false with a
                                      LastSeen, no pong, and a CONNECT to them fails as an unrouted one
    TSPROXY_STANDIN_PEER_HOSTNAMES    comma-separated name=hostname: a peer's OS HostName, when not its name
    TSPROXY_STANDIN_NOT_EXIT_NODES    comma-separated peer names that do not offer to be an exit node
    TS_LOGS_DIR                       tailscaled's own: its logs folder (see state_and_logs_dirs; events
                                      statedir and logs_dir record what it found)
Loopback only.
"""

import argparse
import base64
import json
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

TAILNET_DOMAIN = "tailnet.ts.net"
SELF_IP = "100.64.0.1"  # this node's Tailscale IP

# ipn.State as tailscaled numbers it on the IPN bus.
STATES = ["NoState", "InUseOtherUser", "NeedsLogin", "NeedsMachineAuth", "Stopped", "Starting", "Running"]

_lock = threading.Condition()
_state = "Starting"
_error = None  # the last login error, for the IPN bus
_stats = {"connects": 0, "failures": 0, "successes": 0, "by_target": {}}
_prefs = {}
_record_path = None
_socks_ready = threading.Event()
_backend = threading.Event()  # set once the backend exists (TSPROXY_STANDIN_BACKEND_DELAY_MS after start)


def now_ms():
    return time.clock_gettime(time.CLOCK_MONOTONIC) * 1000.0


def record(event, t=None, **fields):
    """`t` defaults to now; a state that others can observe from a moment on is stamped with a time taken
    just before that moment, so that an observer's own time is never earlier than the record's."""
    if not _record_path:
        return
    line = json.dumps(dict(event=event, t=now_ms() if t is None else t, **fields)) + "\n"
    with open(_record_path, "a") as f:
        f.write(line)


def set_state(state, error=None):
    """Records come before the state is visible: whoever sees the state finds its record already there."""
    global _state, _error
    with _lock:
        t = now_ms()
        if state == "Running":
            record("running", t)
            if _socks_ready.is_set():
                record("ready", t)
        _state = state
        _error = error
        _lock.notify_all()


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


def is_tailnet(ip):
    """100.64.0.0/10 and fd7a:115c:a1e0::/48, the addresses Tailscale assigns (net/tsaddr)."""
    try:
        raw = socket.inet_pton(socket.AF_INET, ip)
        return raw[0] == 100 and raw[1] & 0xC0 == 64
    except OSError:
        pass
    try:
        return socket.inet_pton(socket.AF_INET6, ip)[:6] == bytes.fromhex("fd7a115ca1e0")
    except OSError:
        return False


def dial(ip, port, running):
    """tailscaled's UserDial as its SOCKS5 server uses it (tailscale/tailscale@v1.102.3
    net/tsdial/tsdial.go:587-617, each dial bounded to 5 s by net/socks5/socks5.go:209): once Running, a
    peer's address goes through netstack (cmd/tailscaled/tailscaled.go:717-722; here: the peer's port on
    loopback, bound to this node's own Tailscale IP) and an unknown tailnet address fails; every other
    address, and before Running every address at all, is dialled over the host's network
    (tsdial.go:598-616): an address outside the tailnet is reached, a tailnet one is not routed there and
    fails when the 5 s run out (TSPROXY_STANDIN_UNROUTED_DIAL_MS shortens that wait for tests).
    Returns (socket, bound address) or (None, None)."""
    if is_tailnet(ip):
        if not running:
            time.sleep(env_ms("TSPROXY_STANDIN_UNROUTED_DIAL_MS", 5000) / 1000.0)
            return None, None
        if ip not in peers().values():
            return None, None
        if ip not in online_peer_ips():
            # An offline peer: netstack's dial is never answered and ends at the SOCKS5 server's 5 s bound.
            time.sleep(env_ms("TSPROXY_STANDIN_UNROUTED_DIAL_MS", 5000) / 1000.0)
            return None, None
        ip, bound_ip = "127.0.0.1", SELF_IP
    else:
        bound_ip = None
    try:
        upstream = socket.create_connection((ip, port), timeout=5)
    except OSError:
        return None, None
    upstream.settimeout(None)
    local = upstream.getsockname()
    return upstream, ((bound_ip or local[0]), local[1])


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
        except (ConnectionError, OSError, ValueError) as e:
            # Every connection that ends before its request is logged as a failed client
            # (tailscale/tailscale@v1.102.3 net/socks5/socks5.go:131-136): a bare connect-and-close probe
            # leaves one such line in tailscaled's log per probe.
            print(f"socks5: client connection failed: {e}", flush=True)
            record("socks5_failed", error=str(e))
            return
        if command != 1:
            reply(c, 7)  # command not supported
            return
        target = f"{host}:{port}"
        with _lock:
            _stats["connects"] += 1
            _stats["by_target"][target] = _stats["by_target"].get(target, 0) + 1
            running = _state == "Running"
        dial_host = host if atyp != 3 else (lookup(host) or [None])[0]
        upstream, bound = dial(dial_host, port, running) if dial_host else (None, None)
        if upstream is None:
            with _lock:
                _stats["failures"] += 1
            record("socks5_connect", target=target, reply=1)
            reply(c, 1)
            return
        record("socks5_connect", target=target, reply=0)
        with _lock:
            _stats["successes"] += 1
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # BND is the outgoing connection's local address: tailscale/tailscale@v1.102.3
        # net/socks5/socks5.go:224-237 (0.0.0.0:0 with every failure, 563 and 664-666).
        reply(c, 0, bound)
        socks5_relay(c, upstream)


def socks5_relay(client, upstream):
    """Copies both ways until either direction ends, by EOF or by an error, then closes both connections: a
    target's reset or close mid-response reaches the client at once (tailscale/tailscale@v1.102.3
    net/socks5/socks5.go:245-260 returns on the first copy to end; the deferred Closes at :132 and :222 close
    both connections). shutdown() wakes the other copy's blocked recv."""
    ended = threading.Event()

    def copy(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        ended.set()

    threads = [threading.Thread(target=copy, args=pair, daemon=True)
               for pair in ((upstream, client), (client, upstream))]
    for t in threads:
        t.start()
    ended.wait()
    for sock in (client, upstream):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    for t in threads:
        t.join()
    upstream.close()


def relay(client, upstream):
    t = threading.Thread(target=pump, args=(upstream, client), daemon=True)
    t.start()
    pump(client, upstream)
    t.join()
    upstream.close()


class Proxies(socketserver.BaseRequestHandler):
    """tailscaled's SOCKS5 and outbound HTTP proxies on one listener, as --socks5-server and
    --outbound-http-proxy-listen with the same address give them (tailscale/tailscale@v1.102.3
    cmd/tailscaled/proxy.go:48-55): a connection goes to SOCKS5 when its first byte is 5, to the HTTP proxy
    otherwise; one that sends nothing within 15 s, or closes first, is closed without a word
    (net/proxymux/mux.go:50-84)."""

    def handle(self):
        c = self.request
        c.settimeout(15)
        try:
            first = c.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        c.settimeout(None)
        if not first:
            return
        if first[0] == 5:
            Socks5.handle(self)
        else:
            serve_http_proxy(c)


def read_head(c, limit=65536):
    """The bytes up to the blank line that ends an HTTP head, and what came after it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk or len(data) > limit:
            raise ConnectionError("no complete request head")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest


def proxy_error(c, status, reason, message, extra=""):
    """As Go's http.Error writes it (net/http/server.go Error: text/plain, nosniff, the message and a
    newline)."""
    body = (message + "\n").encode()
    c.sendall((f"HTTP/1.1 {status} {reason}\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n"
               f"X-Content-Type-Options: nosniff\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
              + body)


def proxy_dial(host, port):
    """The dial tailscaled's HTTP proxy makes with its UserDial, as the SOCKS5 server's."""
    with _lock:
        running = _state == "Running"
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        ip = host
    except OSError:
        ip = (lookup(host) or [None])[0]
    return dial(ip, port, running) if ip else (None, None)


def split_host_port(authority, default_port):
    host, sep, port = authority.rpartition(":")
    if not sep or "]" in port:
        return authority.strip("[]"), default_port
    return host.strip("[]"), int(port)


def serve_http_proxy(c):
    """tailscaled's outbound HTTP proxy (cmd/tailscaled/proxy.go:115-174). CONNECT host:port dials it:
    on failure 500 with the error in Tailscale-Connect-Error, else "HTTP/1.1 200 OK" and a relay both ways.
    Any other method needs an absolute URL (else 400 "bogus RequestURI; must be absolute URL or CONNECT")
    and goes through Go's ReverseProxy, which answers 502 when it cannot reach the target
    (net/http/httputil/reverseproxy.go, defaultErrorHandler). Here one request per connection, plain
    http:// only, bodies by Content-Length."""
    try:
        head, rest = read_head(c)
        request_line, *header_lines = head.split("\r\n")
        method, target, _version = request_line.split(" ", 2)
    except (ConnectionError, OSError, ValueError):
        return
    if method == "CONNECT":
        host, port = split_host_port(target, 443)
        upstream, _ = proxy_dial(host, port)
        if upstream is None:
            record("http_proxy", method=method, target=target, status=500)
            error = f"dial tcp {target}: connection failed"
            proxy_error(c, 500, "Internal Server Error", error, f"Tailscale-Connect-Error: {error}\r\n")
            return
        record("http_proxy", method=method, target=target, status=200)
        c.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
        if rest:
            upstream.sendall(rest)
        relay(c, upstream)
        return
    if target.startswith("/") or target == "*":
        record("http_proxy", method=method, target=target, status=400)
        proxy_error(c, 400, "Bad Request", "bogus RequestURI; must be absolute URL or CONNECT")
        return
    url = urlsplit(target)
    upstream, _ = proxy_dial(*split_host_port(url.netloc, 80)) if url.scheme == "http" else (None, None)
    if upstream is None:
        record("http_proxy", method=method, target=target, status=502)
        c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        return
    hop_by_hop = {"connection", "proxy-connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                  "te", "trailer", "transfer-encoding", "upgrade"}
    kept = [h for h in header_lines if h.split(":", 1)[0].strip().lower() not in hop_by_hop]
    length = next((int(h.split(":", 1)[1]) for h in kept if h.lower().startswith("content-length:")), 0)
    body = rest
    while len(body) < length:
        chunk = c.recv(65536)
        if not chunk:
            return
        body += chunk
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    forwarded = [f"{method} {path} HTTP/1.1", *kept, "X-Forwarded-For: 127.0.0.1", "Connection: close"]
    upstream.sendall(("\r\n".join(forwarded) + "\r\n\r\n").encode("latin-1") + body[:length])
    record("http_proxy", method=method, target=target, status=0)
    pump(upstream, c)
    upstream.close()


def http_answer(sock, status, body, content_type="application/json"):
    """As Go's net/http writes a LocalAPI handler's one Write (tailscale/tailscale@v1.102.3
    ipn/localapi/localapi.go:844-859 encodes the status in one write, no Content-Length): over 2048 bytes
    it goes out chunked, else with its Content-Length (bufferBeforeChunkingSize, Go 1.19.8
    src/net/http/server.go:336-338, 1301-1318 and 1470-1475)."""
    reason = {200: "OK", 204: "No Content", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
              405: "Method Not Allowed"}.get(status, "OK")
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
    if len(body) > 2048:
        head += "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        sock.sendall(head.encode() + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
        return
    head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    sock.sendall(head.encode() + body)


def peers():
    out = {}
    for entry in os.environ.get("TSPROXY_STANDIN_PEERS", "").split(","):
        if "=" in entry:
            name, ip = entry.split("=", 1)
            out[name.strip()] = ip.strip()
    return out


def offline_peers():
    return {name.strip() for name in os.environ.get("TSPROXY_STANDIN_OFFLINE_PEERS", "").split(",") if name.strip()}


def online_peer_ips():
    offline = offline_peers()
    return {ip for name, ip in peers().items() if name not in offline}


def host_dns():
    """TSPROXY_STANDIN_DNS (name=ip,...): what the host's DNS would answer, a public record that points
    anywhere (loopback included) among it."""
    out = {"localhost": ["127.0.0.1", "::1"]}  # the host's /etc/hosts
    for entry in os.environ.get("TSPROXY_STANDIN_DNS", "").split(","):
        if "=" in entry:
            name, ip = entry.split("=", 1)
            out.setdefault(name.strip().lower().rstrip("."), []).append(ip.strip())
    return out


def lookup(name):
    """The addresses of `name` as tailscaled finds them: a peer's MagicDNS name (its FQDN or its base
    name, any case, with or without the final dot) first, then the host's DNS; None when neither knows it.
    The SOCKS5 dialer: tailscale/tailscale@v1.102.3 net/tsdial/tsdial.go:380-394 and 402-469, names
    keyed by net/tsdial/dnsmap.go:16-18, the netmap's FQDN and short names ipn/ipnlocal/node_backend.go:141-145.
    dns-query: MagicDNS first, else forwarded upstream (net/dns/resolver/tsdns.go:420-431)."""
    name = name.lower().rstrip(".")
    for peer, ip in peers().items():
        if name in (peer.lower(), f"{peer.lower()}.{TAILNET_DOMAIN}"):
            return [ip]
    return host_dns().get(name)


def encode_name(name):
    return b"".join(bytes([len(label)]) + label.encode("ascii") for label in name.split(".") if label) + b"\0"


def dns_response(name, qtype):
    """The DNS message tailscaled's dns-query returns in "Bytes": its own query's id (1) and question
    for the name made an FQDN (tailscale/tailscale@v1.102.3 ipn/ipnlocal/local.go:938-965), then one
    record per address of the asked type; NXDOMAIN (rcode 3) for a name nobody knows."""
    addresses = lookup(name)
    family = socket.AF_INET if qtype == 1 else socket.AF_INET6
    records = []
    for ip in addresses or []:
        try:
            records.append(socket.inet_pton(family, ip))
        except OSError:
            continue  # the other family's record
    rcode = 3 if addresses is None else 0
    header = struct.pack(">HHHHHH", 1, 0x8180 | rcode, 1, len(records), 0, 0)
    question = encode_name(name) + struct.pack(">HH", qtype, 1)
    answers = b"".join(b"\xc0\x0c" + struct.pack(">HHIH", qtype, 1, 600, len(r)) + r for r in records)
    return header + question + answers


# Go's zero time.Time as encoding/json writes it: a LastSeen of a peer that is online.
ZERO_TIME = "0001-01-01T00:00:00Z"
OFFLINE_LAST_SEEN = "2026-11-30T08:15:00Z"
DERP_HOME = "fra"  # this node's and every peer's DERP home region (Relay)


def status_document(with_peers=True):
    with _lock:
        state = _state
        prefs = dict(_prefs)
    running = state == "Running"
    doc = {"Version": "1.94.2-standin", "TUN": False, "BackendState": state,
           "HaveNodeKey": running, "AuthURL": "",
           "TailscaleIPs": [SELF_IP] if running else None,
           "Self": {"HostName": prefs.get("Hostname") or "tsproxy", "Online": running,
                    "DNSName": f"{prefs.get('Hostname') or 'tsproxy'}.{TAILNET_DOMAIN}." if running else "",
                    "TailscaleIPs": [SELF_IP] if running else None, "Relay": DERP_HOME if running else ""},
           "Health": None if running else ["not in map poll"]}
    if running:
        # With a netmap: the tailnet's MagicDNS suffix, and the exit node the prefs name, once it is in the
        # netmap (tailscaled turns ExitNodeIP into ExitNodeID then, ipn/ipnlocal/local.go:2838-2867), as
        # ExitNodeStatus, even without peers (local.go:1482, 1489-1501), and ExitNode on its peer (local.go:1603).
        # A peer's DNSName is "<name>.<suffix>." (ipn/ipnstate/ipnstate.go:239-241); its HostName is the OS's.
        doc["MagicDNSSuffix"] = TAILNET_DOMAIN
        hostnames = dict(e.split("=", 1) for e in os.environ.get("TSPROXY_STANDIN_PEER_HOSTNAMES", "").split(",")
                         if "=" in e)
        no_exit = os.environ.get("TSPROXY_STANDIN_NOT_EXIT_NODES", "").split(",")
        exit_ip = prefs.get("ExitNodeIP")
        # Each peer's Online and LastSeen (ipn/ipnstate/ipnstate.go:264-275, from the netmap: ipn/ipnlocal/
        # local.go:1590-1604), CurAddr (empty without a direct path) and Relay (its DERP home region), both from
        # magicsock (wgengine/magicsock/endpoint.go:2033-2047). Without ?peers (peers=false) Peer is null:
        # ipn/localapi/localapi.go:851-855 takes StatusWithoutPeers.
        offline = offline_peers()
        doc["Peer"] = {f"nodekey:{i}": {"HostName": hostnames.get(name, name), "DNSName": f"{name}.{TAILNET_DOMAIN}.",
                                         "TailscaleIPs": [ip], "ExitNode": ip == exit_ip,
                                         "ExitNodeOption": name not in no_exit, "Online": name not in offline,
                                         "LastSeen": OFFLINE_LAST_SEEN if name in offline else ZERO_TIME,
                                         "CurAddr": "", "Relay": DERP_HOME}
                       for i, (name, ip) in enumerate(peers().items())} if with_peers else None
        for i, (name, ip) in enumerate(peers().items()):
            if ip == exit_ip:
                doc["ExitNodeStatus"] = {"ID": f"n{i}CNTRL", "Online": True, "TailscaleIPs": [f"{ip}/32"]}
    return doc


def state_and_logs_dirs(args):
    """Where tailscaled keeps its state and its logs. The state store creates its file's folder with 0700
    (store.New -> NewFileStore -> paths.MkStateDir: tailscale/tailscale@v1.102.3 ipn/store/stores.go:158-162,
    paths/paths.go:108-113), the file being --state, else <statedir>/tailscaled.state
    (cmd/tailscaled/tailscaled.go:369-376); an in-memory store ("mem:") creates nothing, nor does --statedir
    alone. A store that cannot be created leaves tailscaled running on memory with a health warning
    (tailscaled.go:694-706). The logs folder is logpolicy.LogsDir (logpolicy/logpolicy.go:210-286), never
    --statedir: $TS_LOGS_DIR if it is a directory, $STATE_DIRECTORY, the system state folder if it can be
    made, the user cache dir (unchecked), the working directory unless /, a new temporary folder. tailscaled
    writes tailscaled.log.conf there; on a read-only one it only logs why (logpolicy.go:624-634) and keeps
    running. Nothing outside $TS_LOGS_DIR is written here: the other candidates are recorded, not made."""
    state = args.state or (os.path.join(args.statedir, "tailscaled.state") if args.statedir else "")
    if state and ":" not in state.split("/")[0]:  # a file, not a store scheme like mem: or kube:
        try:
            os.makedirs(os.path.dirname(state), mode=0o700, exist_ok=True)
        except OSError as e:
            print(f"store.New failed: creating state directory: {e}; starting with in-memory store with a "
                  "health warning", flush=True)
    if args.statedir:
        exists = os.path.isdir(args.statedir)
        record("statedir", path=args.statedir, exists=exists,
               mode=f"{os.stat(args.statedir).st_mode & 0o777:04o}" if exists else None,
               writable=exists and os.access(args.statedir, os.W_OK | os.X_OK))
    logs, source = os.environ.get("TS_LOGS_DIR", ""), "TS_LOGS_DIR"
    if not (logs and os.path.isdir(logs)):
        logs, source = os.environ.get("STATE_DIRECTORY", ""), "STATE_DIRECTORY"
    if not logs:
        logs, source = state_file_dir(), "system state directory"
    if not logs:
        cache = os.environ.get("XDG_CACHE_HOME") or (os.environ["HOME"] + "/.cache" if os.environ.get("HOME") else "")
        logs, source = (os.path.join(cache, "Tailscale"), "UserCacheDir") if cache else ("", "")
    if not logs and os.getcwd() != "/":
        logs, source = os.getcwd(), "current directory"
    if not logs:
        logs, source = os.path.join(os.environ.get("TMPDIR") or "/tmp", "tailscaled-log-*"), "temp directory"
    conf = os.path.join(logs, "tailscaled.log.conf")
    warning = None
    if source == "TS_LOGS_DIR":
        try:
            with open(conf, "w") as f:
                f.write(json.dumps({"Collection": "tailnode.log.tailscale.io", "PrivateID": "0" * 64}))
        except OSError as e:
            warning = f"logpolicy.Config.Save for {conf}: {e}"
    elif not (os.path.isdir(logs) and os.access(logs, os.W_OK | os.X_OK)):
        warning = f"logpolicy.Config.Save for {conf}: open {conf}: no such file or directory or not writable"
    if warning:
        print(warning, flush=True)
    record("logs_dir", dir=logs, source=source, writable=warning is None, warning=warning)


def state_file_dir():
    """The folder of paths.DefaultTailscaledStateFile() on Linux, if MkdirAll could make it:
    tailscale/tailscale@v1.102.3 paths/paths_unix.go:23-65, logpolicy/logpolicy.go:253-260."""
    path = "/var/lib/tailscale/tailscaled.state"
    try_path = path
    for _ in range(3):
        if os.access(try_path, os.R_OK | os.W_OK):
            break
        try_path = os.path.dirname(try_path)
    else:
        if os.getuid() == 0:
            return ""
        data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.environ.get("HOME", ""), ".local/share")
        path = os.path.join(data, "tailscale", "tailscaled.state")
    folder = os.path.dirname(path)
    existing = folder
    while existing and not os.path.exists(existing):
        existing = os.path.dirname(existing)
    return folder if existing and os.access(existing, os.W_OK | os.X_OK) else ""


def valid_key(key):
    allowed = os.environ.get("TSPROXY_STANDIN_VALID_KEYS")
    if allowed:
        return key in [k.strip() for k in allowed.split(",")]
    return key.startswith("tskey-auth-") or key.startswith("tskey-client-")


def env_ms(name, default):
    value = os.environ.get(name)
    return default if value is None or value == "" else int(value)


def log_in(options):
    """What tailscaled does after Start with an auth key: Starting, then Running or a login error."""
    key = options.get("AuthKey", "")
    record("start", auth_key=key, prefs=options.get("UpdatePrefs", {}))
    with _lock:
        _prefs.update(options.get("UpdatePrefs", {}))
    if not valid_key(key):
        set_state("NeedsLogin", "invalid key: unable to validate API key")
        return
    set_state("Starting")
    exit_after = env_ms("TSPROXY_STANDIN_EXIT_AFTER_LOGIN_MS", -1)
    if exit_after >= 0:
        threading.Timer(exit_after / 1000.0, lambda: os._exit(1)).start()
    if os.environ.get("TSPROXY_STANDIN_NEEDS_MACHINE_AUTH") == "1":
        set_state("NeedsMachineAuth")
        return
    threading.Timer(env_ms("TSPROXY_STANDIN_RUNNING_DELAY_MS", 0) / 1000.0, set_state, args=("Running",)).start()


def read_request(c):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            return None
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = c.recv(4096)
        if not chunk:
            break
        body += chunk
    return method, target, headers, body


def valid_localapi_request(headers):
    """tailscale/tailscale@v1.102.3 ipn/localapi/localapi.go:249-253 and 285-306: any Referer or Origin,
    or a Host other than empty or local-tailscaled.sock, is refused (so a browser cannot be made to ask)."""
    return ("referer" not in headers and "origin" not in headers
            and headers.get("host", "") in ("", "local-tailscaled.sock"))


class LocalApi(socketserver.BaseRequestHandler):
    def handle(self):
        c = self.request
        try:
            request = read_request(c)
        except ValueError:
            http_answer(c, 400, b"bad request\n", "text/plain")
            return
        if request is None:
            return
        method, target, headers, body = request
        if self.server.localapi and not valid_localapi_request(headers):
            http_answer(c, 403, b"invalid localapi request\n", "text/plain")
            return
        if self.server.localapi:
            # Held, not refused, until the backend exists: tailscale/tailscale@v1.102.3
            # ipn/ipnserver/server.go:99-118 and 151-176 (awaitBackend has no timeout of its own).
            _backend.wait()
        url = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        localapi = self.server.localapi
        daemon = self.server.daemon
        if method == "GET" and url.path == "/localapi/v0/status" and localapi:
            # ?peers defaults to true and is read as a Go bool: ipn/localapi/localapi.go:851.
            with_peers = query.get("peers", "true").lower() not in ("0", "f", "false")
            http_answer(c, 200, json.dumps(status_document(with_peers), indent="\t").encode() + b"\n")
        elif url.path == "/localapi/v0/dns-query" and localapi:
            self.dns_query(c, method, query.get("name", ""), query.get("type", ""))
        elif method == "POST" and url.path == "/localapi/v0/start" and daemon:
            log_in(json.loads(body or b"{}"))
            http_answer(c, 200, b"")
        elif method == "GET" and url.path == "/localapi/v0/watch-ipn-bus" and daemon:
            self.watch(c)
        elif method == "PATCH" and url.path == "/localapi/v0/prefs" and daemon:
            prefs = json.loads(body or b"{}")
            with _lock:
                _prefs.update(prefs)
            record("prefs", prefs=prefs)
            http_answer(c, 200, json.dumps(_prefs).encode())
        elif method == "POST" and url.path == "/localapi/v0/ping" and localapi:
            self.ping(c, query.get("ip", ""), query.get("type", "disco"))
        elif method == "POST" and url.path == "/localapi/v0/logout" and daemon:
            record("logout")
            set_state("NeedsLogin")
            http_answer(c, 204, b"")
        elif method == "POST" and url.path == "/__state" and "BackendState" in query and not localapi:
            set_state(query["BackendState"])
            http_answer(c, 200, b"{}\n")
        elif method == "GET" and url.path == "/__stats" and not localapi:
            with _lock:
                body = json.dumps(_stats).encode()
            http_answer(c, 200, body)
        else:
            http_answer(c, 404, b"404 page not found\n", "text/plain")

    @staticmethod
    def watch(c):
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
        sent = None
        while True:
            with _lock:
                while (_state, _error) == sent:
                    _lock.wait()
                sent = (_state, _error)
                state, error = sent
            note = {"ErrMessage": error} if error else {"State": STATES.index(state) if state in STATES else 0}
            try:
                c.sendall(json.dumps(note).encode() + b"\n")
            except OSError:
                return

    @staticmethod
    def dns_query(c, method, name, kind):
        """tailscale/tailscale@v1.102.3 ipn/localapi/localapi.go:1741-1779: GET only (405), the record
        type by name in any case, A when absent (400 for an unknown one, numbers included: 1783-1816), the
        answer as apitype.DNSQueryResponse (client/tailscale/apitype/apitype.go:90-96)."""
        if method != "GET":
            http_answer(c, 405, b"only GET allowed\n", "text/plain")
            return
        qtype = {"A": 1, "AAAA": 28}.get((kind or "A").upper())
        record("dns_query", name=name, type=kind)
        if qtype is None:
            http_answer(c, 400, f"unknown DNS message type: {kind}\n".encode(), "text/plain")
            return
        answer = {"Bytes": base64.b64encode(dns_response(name, qtype)).decode(), "Resolvers": None}
        http_answer(c, 200, json.dumps(answer).encode())

    @staticmethod
    def ping(c, ip, kind):
        """tailscale/tailscale@v1.102.3 ipn/localapi/localapi.go:1263-1306 (POST only, ip and type required)
        answers ipnstate.PingResult (ipn/ipnstate/ipnstate.go:727-767) once the pong arrives; LocalBackend.Ping
        (ipn/ipnlocal/local.go:4691-4702) waits for it until the request is cancelled, so an offline peer's
        ping is never answered. The pong here is relayed through DERP: no Endpoint, a DERP region."""
        record("ping", ip=ip, type=kind)
        with _lock:
            running = _state == "Running"
        names = {v: k for k, v in peers().items()}
        if running and ip in names and ip in online_peer_ips():
            pong = {"IP": ip, "NodeIP": ip, "NodeName": names[ip], "LatencySeconds": 0.012,
                    "Endpoint": "", "DERPRegionID": 4, "DERPRegionCode": DERP_HOME}
            http_answer(c, 200, json.dumps(pong).encode())
            return
        # No pong ever: the CLI gives up at its own timeout and closes the connection.
        try:
            while c.recv(4096):
                pass
        except OSError:
            pass


class ThreadingTcp(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class ThreadingUnix(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


_socks_address = None
_http_proxy_shared = False  # --outbound-http-proxy-listen is the --socks5-server address


def open_socks5():
    host, _, port = _socks_address.rpartition(":")
    host = host.strip("[]")
    host = "127.0.0.1" if host == "localhost" else host
    with _lock:  # recorded first: connections are accepted (queued) from the listen() in the constructor on
        t = now_ms()
        record("socks5_listening", t)
        if _state == "Running":
            record("ready", t)
        socks = ThreadingTcp((host, int(port)), Proxies if _http_proxy_shared else Socks5)
        _socks_ready.set()
    threading.Thread(target=socks.serve_forever, daemon=True).start()
    return socks


def create_backend_later():
    """tailscaled serves its socket while its backend is still being built (cmd/tailscaled/tailscaled.go:595-637)."""

    def create():
        record("backend")  # before it is visible
        _backend.set()

    threading.Timer(env_ms("TSPROXY_STANDIN_BACKEND_DELAY_MS", 0) / 1000.0, create).start()


def serve_unix(path, localapi, daemon):
    if os.path.exists(path):
        os.unlink(path)
    server = ThreadingUnix(path, LocalApi)
    server.localapi = localapi
    server.daemon = daemon
    threading.Thread(target=server.serve_forever, daemon=True).start()


def run_as_tailscaled(args):
    """The extension's tailscaled: tailscaled's own flags, behaviour from TSPROXY_STANDIN_*."""
    global _socks_address, _record_path, _http_proxy_shared
    _record_path = os.environ.get("TSPROXY_STANDIN_RECORD")
    record("started", argv=sys.argv[1:], pid=os.getpid(), uid=os.getuid(), gid=os.getgid())
    code = os.environ.get("TSPROXY_STANDIN_EXIT_AT_START")
    if code:
        print("tailscaled stand-in: failing at start as asked", flush=True)
        sys.exit(int(code))
    # SIGTERM is blocked in every thread (they inherit the mask) and taken by the main thread with
    # sigwait: a handler runs only in the main thread, and a signal the kernel gives to another thread
    # would leave the main thread asleep in pause().
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    state_and_logs_dirs(args)
    set_state("NoState")
    # The SOCKS5 listener is bound before the backend is created, which LocalAPI requests wait for
    # (tailscale/tailscale@v1.102.3 cmd/tailscaled/tailscaled.go:657-659 binds it through
    # cmd/tailscaled/proxy.go:48-52 inside getLocalBackend, before NewLocalBackend at :713 and
    # SetLocalBackend at :625): once the LocalAPI answers, the listener is open.
    _socks_address = args.socks5_server
    _http_proxy_shared = args.outbound_http_proxy_listen == args.socks5_server
    open_socks5()
    t = now_ms()
    create_backend_later()
    serve_unix(args.socket, localapi=True, daemon=True)
    record("localapi_listening", t)
    set_state("NeedsLogin")
    print(f"tailscaled stand-in: LocalAPI on {args.socket}, SOCKS5 on {args.socks5_server}", flush=True)
    ignore_sigterm = os.environ.get("TSPROXY_STANDIN_IGNORE_SIGTERM") == "1"
    while True:
        signal.sigwait({signal.SIGTERM})
        if ignore_sigterm:
            record("sigterm", ignored=True)
            continue
        record("sigterm")
        print("tailscaled stand-in: SIGTERM, exiting", flush=True)
        os._exit(0)


def run_as_test_peer(args):
    global _socks_address
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # taken below, as in run_as_tailscaled
    set_state(args.backend_state)
    _socks_address = "127.0.0.1:0"
    socks = open_socks5()
    create_backend_later()
    for path, is_localapi in ((args.localapi_socket, True), (args.control_socket, False)):
        if path:
            serve_unix(path, localapi=is_localapi, daemon=False)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{socks.server_address[1]}\n")
    os.replace(tmp, args.port_file)
    print(f"socks5 on 127.0.0.1:{socks.server_address[1]}", flush=True)
    signal.sigwait({signal.SIGTERM})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # The test peer's own flags.
    ap.add_argument("--port-file", help="the SOCKS5 port is written here once listening")
    ap.add_argument("--backend-state", default="Starting", help="initial BackendState")
    ap.add_argument("--localapi-socket", help="serve the LocalAPI on this unix socket")
    ap.add_argument("--control-socket", help="serve the tests' control requests here")
    # tailscaled's flags, as the extension passes them.
    ap.add_argument("--tun")
    ap.add_argument("--socks5-server")
    ap.add_argument("--outbound-http-proxy-listen")
    ap.add_argument("--socket")
    ap.add_argument("--state")
    ap.add_argument("--statedir")
    args = ap.parse_args()
    if args.socket:
        if args.tun != "userspace-networking" or not args.socks5_server:
            ap.error("as tailscaled: --tun=userspace-networking and --socks5-server are required")
        if args.outbound_http_proxy_listen not in (None, args.socks5_server):
            ap.error("as tailscaled: --outbound-http-proxy-listen only on the --socks5-server address")
        run_as_tailscaled(args)
    elif args.port_file and args.control_socket:
        run_as_test_peer(args)
    else:
        ap.error("either --socket (as tailscaled) or --port-file and --control-socket (test peer)")


if __name__ == "__main__":
    main()
