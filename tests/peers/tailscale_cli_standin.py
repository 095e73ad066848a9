#!/usr/bin/env python3
"""Stands in for the tailscale CLI next to tailscaled_standin.py (run as tailscaled), for the extension's tests.

    tailscale --socket=PATH up --authkey=KEY|file:PATH [--hostname=H] [--advertise-tags=T,...]
              [--exit-node=IP] [--exit-node-allow-lan-access] [--accept-routes]
    tailscale --socket=PATH set --exit-node=IP|NAME [--exit-node-allow-lan-access]
    tailscale --socket=PATH ping [--tsmp] [--c=N] [--timeout=DURATION] [--until-direct=BOOL] IP|NAME
    tailscale --socket=PATH logout

Each command does what tailscale's cmd/tailscale/cli does, on the same LocalAPI paths: `up` reads a
"file:" key (trimmed), requires --advertise-tags for an OAuth client secret (tskey-client-...) and checks
its attributes, watches the IPN bus, POSTs /localapi/v0/start and exits 0 once the state is Running, or
prints "backend error: ..." and exits 1; `set` resolves a node name from the peers of the status (a
name is unknown before login) and PATCHes the prefs; `ping` exits 0 at a --tsmp pong, while a disco
pong (the default), relayed as every pong here is, costs a second and, with the default
--until-direct=true, fails ("direct connection not established"), as in the real CLI; `logout` POSTs
/localapi/v0/logout. It cannot reach tailscaled: "failed to connect to local
tailscaled". Every invocation's argv is appended to $TSPROXY_STANDIN_RECORD (event "cli"), so tests can
check that the key never was on a command line.
"""

import json
import os
import socket
import sys
import time
from urllib.parse import parse_qsl

_record_path = os.environ.get("TSPROXY_STANDIN_RECORD")


def record(event, **fields):
    if _record_path:
        with open(_record_path, "a") as f:
            f.write(json.dumps(dict(event=event, t=time.clock_gettime(time.CLOCK_MONOTONIC) * 1000.0, **fields)) + "\n")


def fail(message):
    print(message, file=sys.stderr, flush=True)
    sys.exit(1)


class LocalApi:
    def __init__(self, path):
        self.path = path

    def connect(self, timeout=None):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(self.path)
        except OSError:
            fail("failed to connect to local tailscaled; it doesn't appear to be running")
        return s

    def request(self, method, target, body=None, timeout=None):
        s = self.connect(timeout)
        data = json.dumps(body).encode() if body is not None else b""
        s.sendall(f"{method} {target} HTTP/1.1\r\nHost: local-tailscaled.sock\r\nContent-Length: {len(data)}\r\n\r\n"
                  .encode() + data)
        answer = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
        s.close()
        head, _, payload = answer.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1]) if head else 0
        return status, payload

    def status(self):
        status, payload = self.request("GET", "/localapi/v0/status")
        if status != 200:
            fail(f"status: {status}")
        return json.loads(payload)


def parse_flags(args):
    """Go's flag package: --name=value, --name value, -name; booleans without a value."""
    flags, rest = {}, []
    booleans = {"exit-node-allow-lan-access", "accept-routes", "until-direct", "tsmp"}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and len(arg) > 1:
            name, eq, value = arg.lstrip("-").partition("=")
            if not eq:
                if name in booleans:
                    value = "true"
                else:
                    i += 1
                    value = args[i]
            flags[name] = value
        else:
            rest.append(arg)
        i += 1
    return flags, rest


def duration_seconds(text):
    for unit, scale in (("ms", 0.001), ("s", 1.0), ("m", 60.0)):
        if text.endswith(unit):
            return float(text[:-len(unit)]) * scale
    return float(text)


def resolve(api, host):
    try:
        socket.inet_pton(socket.AF_INET, host)
        return host
    except OSError:
        pass
    st = api.status()
    for peer in (st.get("Peer") or {}).values():
        if host in (peer["HostName"], peer["DNSName"], peer["DNSName"].rstrip(".")):
            return peer["TailscaleIPs"][0]
    if st.get("BackendState") != "Running":
        fail("cannot resolve exit node by hostname while Tailscale is starting up; please use its Tailscale IP address instead")
    fail(f"invalid value {host!r} for --exit-node; must be IP or unique node name")


def up(api, flags):
    key = flags.get("authkey", flags.get("auth-key", ""))
    if key.startswith("file:"):
        with open(key[len("file:"):]) as f:
            key = f.read().strip()
    tags = [t for t in flags.get("advertise-tags", "").split(",") if t]
    if key.startswith("tskey-client-"):
        if not tags:
            fail("oauth authkeys require --advertise-tags")
        secret, _, attributes = key.partition("?")
        parsed = dict(parse_qsl(attributes))
        for name in parsed:
            if name not in ("ephemeral", "preauthorized", "baseURL"):
                fail(f"unknown attribute {name!r}")
        record("oauth", attributes=parsed)
        key = secret
    prefs = {"WantRunning": True, "Hostname": flags.get("hostname", ""), "AdvertiseTags": tags,
             "RouteAll": flags.get("accept-routes") == "true",
             "ExitNodeIP": flags.get("exit-node", ""),
             "ExitNodeAllowLANAccess": flags.get("exit-node-allow-lan-access") == "true"}
    if prefs["ExitNodeIP"]:
        resolve(api, prefs["ExitNodeIP"])  # a name fails here before login, as in tailscale
    api.status()
    watch = api.connect()
    watch.sendall(b"GET /localapi/v0/watch-ipn-bus HTTP/1.1\r\nHost: local-tailscaled.sock\r\n\r\n")
    stream = watch.makefile("rb")
    while stream.readline() not in (b"\r\n", b""):
        pass  # the answer's head
    stream.readline()  # the state before the login
    status, _ = api.request("POST", "/localapi/v0/start", {"AuthKey": key, "UpdatePrefs": prefs})
    if status != 200:
        fail(f"start: {status}")
    for line in stream:
        note = json.loads(line)
        if note.get("ErrMessage"):
            fail(f"backend error: {note['ErrMessage']}")
        if note.get("State") == 6:  # Running
            return
        if note.get("State") == 3:
            print("\nTo approve your machine, visit (as admin):\n\n\thttps://login.tailscale.com/admin/machines\n",
                  file=sys.stderr, flush=True)
    fail("tailscaled went away")


def set_prefs(api, flags):
    prefs = {}
    if "exit-node" in flags:
        prefs["ExitNodeIP"] = resolve(api, flags["exit-node"]) if flags["exit-node"] else ""
    if "exit-node-allow-lan-access" in flags:
        prefs["ExitNodeAllowLANAccess"] = flags["exit-node-allow-lan-access"] == "true"
    status, payload = api.request("PATCH", "/localapi/v0/prefs", prefs)
    if status != 200:
        fail(payload.decode(errors="replace"))


def ping(api, flags, rest):
    if len(rest) != 1:
        fail("usage: tailscale ping <hostname-or-IP>")
    if api.status().get("BackendState") not in ("Running", "Starting"):
        fail("Tailscale is stopped.")
    ip = resolve(api, rest[0])
    count = int(flags.get("c", "10"))
    timeout = duration_seconds(flags.get("timeout", "5s"))
    until_direct = flags.get("until-direct", "true") == "true"
    tsmp = flags.get("tsmp") == "true"
    any_pong = False
    for n in range(1, count + 1):
        try:
            kind = "TSMP" if tsmp else "disco"
            status, payload = api.request("POST", f"/localapi/v0/ping?ip={ip}&type={kind}", timeout=timeout)
        except socket.timeout:
            print(f'ping "{ip}" timed out', flush=True)
            if n == count:
                fail("no reply") if not any_pong else sys.exit(0)
            continue
        pong = json.loads(payload)
        any_pong = True
        print(f"pong from {pong['NodeName']} ({ip}) via DERP({pong['DERPRegionCode']}) in 12ms", flush=True)
        if tsmp or (pong.get("Endpoint") and until_direct):
            return
        time.sleep(1)  # what the real CLI does after a disco pong
        if n == count:
            if until_direct:
                fail("direct connection not established")
            return


def main():
    args = sys.argv[1:]
    record("cli", argv=args)
    socket_path = "/var/run/tailscale/tailscaled.sock"
    while args and args[0].startswith("--socket"):
        arg = args.pop(0)
        socket_path = arg.split("=", 1)[1] if "=" in arg else args.pop(0)
    if not args:
        fail("usage: tailscale [--socket=PATH] <command>")
    command, rest = args[0], args[1:]
    flags, positional = parse_flags(rest)
    api = LocalApi(socket_path)
    if command == "up":
        up(api, flags)
    elif command == "set":
        set_prefs(api, flags)
    elif command == "ping":
        ping(api, flags, positional)
    elif command == "logout":
        status, _ = api.request("POST", "/localapi/v0/logout")
        if status != 204:
            fail(f"logout: {status}")
    else:
        fail(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
