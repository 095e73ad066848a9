#!/usr/bin/env python3
"""Stands in for the tailscale CLI next to tailscaled_standin.py (run as tailscaled), for the extension's tests.

    tailscale --socket=PATH up --authkey=KEY|file:PATH [--hostname=H] [--advertise-tags=T,...]
              [--exit-node=IP] [--exit-node-allow-lan-access] [--accept-routes]
    tailscale --socket=PATH set --exit-node=IP|NAME [--exit-node-allow-lan-access]
    tailscale --socket=PATH ping [--tsmp] [--c=N] [--timeout=DURATION] [--until-direct=BOOL] IP|NAME
    tailscale --socket=PATH logout

Each command does what tailscale's cmd/tailscale/cli (tailscale/tailscale@v1.102.3) does, on the same
LocalAPI paths, with the same messages on stderr and exit code 1 for every error (cmd/tailscale/tailscale.go:22-25):
  up      reads a "file:" key (trimmed); resolves --exit-node as `set` does (a name fails before login:
          there are no peers yet); for an OAuth client secret (tskey-client-...) requires
          --advertise-tags and checks its attributes as feature/oauthkey does; watches the IPN bus,
          POSTs /localapi/v0/start and exits 0 once the state is Running, or prints "backend error: ..."
  set     --exit-node=IP|NAME: an IP as it is (checked against the peers once Running), a name matched
          against each peer's DNSName only (base name, FQDN, FQDN without its dot; any case), never its
          OS HostName; the prefs get the peer's first Tailscale IP (PATCH /localapi/v0/prefs)
  ping    needs Running or Starting; an IP as it is, else a peer by MagicDNS base name (any case) or by
          its exact DNSName with the final dot, else the host's DNS (here: TSPROXY_STANDIN_DNS, as the
          tailscaled stand-in reads it; "error looking up IP of ..." for any other name); exits 0 at a
          --tsmp pong, while a disco pong (the default), relayed as every pong here is, costs a second
          and, with the default --until-direct=true, fails ("direct connection not established")
  logout  POSTs /localapi/v0/logout
It cannot reach tailscaled: "failed to connect to local tailscaled". Every invocation's argv is appended
to $TSPROXY_STANDIN_RECORD (event "cli"), so tests can check that the key never was on a command line.
"""

import json
import os
import socket
import sys
import time

_record_path = os.environ.get("TSPROXY_STANDIN_RECORD")
TS = "tailscale/tailscale@v1.102.3"  # what the citations below refer to


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


def go_quote(text):
    """Go's %q (strconv.Quote) of a string, as the CLI's messages quote names and values."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\a\b\f\n\r\t\v":
            out.append("\\" + "abfnrtv"["\a\b\f\n\r\t\v".index(ch)])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def is_ip(text):
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, text)
            return True
        except OSError:
            pass
    return False


def equal_fold(a, b):
    return a.lower() == b.lower()  # strings.EqualFold, for the ASCII of DNS names


def has_suffix(name, suffix):
    """dnsname.HasSuffix: tailscale/tailscale@v1.102.3 util/dnsname/dnsname.go:180-186."""
    name = name[:-1] if name.endswith(".") else name
    suffix = suffix[:-1] if suffix.endswith(".") else suffix
    suffix = suffix[1:] if suffix.startswith(".") else suffix
    base = name[:-len(suffix)] if suffix and name.endswith(suffix) else name
    return len(base) < len(name) and base.endswith(".")


def trim_suffix(name, suffix):
    """dnsname.TrimSuffix: tailscale/tailscale@v1.102.3 util/dnsname/dnsname.go:191-198."""
    if has_suffix(name, suffix):
        name = name[:-1] if name.endswith(".") else name
        suffix = suffix.strip(".")
        name = name[:-len(suffix)] if suffix and name.endswith(suffix) else name
    return name[:-1] if name.endswith(".") else name


def exit_node_ip(st, arg):
    """Prefs.SetExitNodeIP -> exitNodeIPOfArg (tailscale/tailscale@v1.102.3 ipn/prefs.go:885-951), called by
    `up` (cmd/tailscale/cli/up.go:339-347) and `set` (cmd/tailscale/cli/set.go:184-193), which add "; did you
    mean --advertise-exit-node?" to the local-IP error."""
    local_ip = (f"cannot use {arg} as an exit node as it is a local IP address to this machine; "
                "did you mean --advertise-exit-node?")  # ipn/prefs.go:880, isRemoteIP 862-864
    if is_ip(arg):  # ipn/prefs.go:891-908: checked against the peers only once Running
        if arg in (st.get("TailscaleIPs") or []):
            fail(local_ip)
        if st.get("BackendState") == "Running":
            found = [ps for ps in (st.get("Peer") or {}).values() if arg in (ps.get("TailscaleIPs") or [])]
            if not found:
                fail(f"no node found in netmap with IP {arg}")
            if not found[0].get("ExitNodeOption"):
                fail(f"node {arg} is not advertising an exit node")
        return arg
    peers = (st.get("Peer") or {}).values()
    if not peers:  # ipn/prefs.go:912-915
        fail("cannot resolve exit node by hostname while Tailscale is starting up; "
             "please use its Tailscale IP address instead")
    match, ip = 0, None
    for ps in peers:  # ipn/prefs.go:916-939: the DNSName in three forms, never the OS HostName
        fqdn = ps.get("DNSName", "")
        forms = (trim_suffix(fqdn, st.get("MagicDNSSuffix", "")), fqdn, trim_suffix(fqdn, "."))
        if not any(equal_fold(arg, form) for form in forms):
            continue
        match += 1
        if not ps.get("TailscaleIPs"):
            fail(f"node {go_quote(arg)} has no Tailscale IP?")
        if not ps.get("ExitNodeOption"):
            fail(f"node {go_quote(arg)} is not advertising an exit node")
        ip = ps["TailscaleIPs"][0]
    if match == 0:  # ipn/prefs.go:940-950
        fail(f"invalid value {go_quote(arg)} for --exit-node; must be IP or peer hostname")
    if match > 1:
        fail(f"ambiguous exit node name {go_quote(arg)}")
    if ip in (st.get("TailscaleIPs") or []):
        fail(local_ip)
    return ip


def dns_or_quote_hostname(st, ps):
    """tailscale/tailscale@v1.102.3 cmd/tailscale/cli/status.go:281-292 (the xn-- display form aside)."""
    base = trim_suffix(ps.get("DNSName", ""), st.get("MagicDNSSuffix", ""))
    return base if base else f"({go_quote(ps.get('HostName', ''))})"


def host_dns(name):
    """The host's resolver, which here knows what the tailscaled stand-in's TSPROXY_STANDIN_DNS says (and
    localhost); None for any other name."""
    table = {"localhost": ["127.0.0.1", "::1"]}
    for entry in os.environ.get("TSPROXY_STANDIN_DNS", "").split(","):
        if "=" in entry:
            key, ip = entry.split("=", 1)
            table.setdefault(key.strip().lower().rstrip("."), []).append(ip.strip())
    return table.get(name.lower().rstrip("."))


def ping_target(st, arg):
    """tailscaleIPFromArg: tailscale/tailscale@v1.102.3 cmd/tailscale/cli/ping.go:195-230. An FQDN without
    its final dot matches no peer and goes to the host's DNS."""
    if is_ip(arg):
        return arg

    def match(ps):
        return equal_fold(arg, dns_or_quote_hostname(st, ps)) or arg == ps.get("DNSName")

    for ps in (st.get("Peer") or {}).values():
        if match(ps):
            if not ps.get("TailscaleIPs"):
                fail("node found but lacks an IP")
            return ps["TailscaleIPs"][0]
    own = st.get("Self") or {}
    if match(own) and own.get("TailscaleIPs"):
        print(f"{own['TailscaleIPs'][0]} is local Tailscale IP", flush=True)  # ping.go:117-119
        sys.exit(0)
    addresses = host_dns(arg)
    if addresses is None:
        fail(f"error looking up IP of {go_quote(arg)}: lookup {arg}: no such host")
    return addresses[0]


def parse_query(query):
    """Go's url.ParseQuery (Go 1.19.8 src/net/url/url.go:932-961, unescape 200-260): pieces split at "&",
    a ";" in one is an error (the last such wins), a bad %-escape the first error, "+" is a space; every
    value of a key kept in order. Returns (values, error)."""
    values, error = {}, None
    for piece in query.split("&"):
        if ";" in piece:
            error = "invalid semicolon separator in query"
            continue
        if not piece:
            continue
        key, _, value = piece.partition("=")
        try:
            key, value = query_unescape(key), query_unescape(value)
        except ValueError as e:
            error = error or str(e)
            continue
        values.setdefault(key, []).append(value)
    return values, error


def query_unescape(text):
    out, i = bytearray(), 0
    raw = text.encode()
    while i < len(raw):
        c = raw[i]
        if c == ord("%"):
            hexdigits = b"0123456789abcdefABCDEF"
            if i + 2 >= len(raw) or raw[i + 1] not in hexdigits or raw[i + 2] not in hexdigits:
                raise ValueError(f"invalid URL escape {go_quote(raw[i:i + 3].decode(errors='replace'))}")
            out.append(int(raw[i + 1:i + 3], 16))
            i += 3
            continue
        out.append(ord(" ") if c == ord("+") else c)
        i += 1
    return out.decode(errors="replace")


GO_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
            "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}


def client_secret_attributes(key, tags):
    """resolveAuthKey and parseOptionalAttributes: tailscale/tailscale@v1.102.3 feature/oauthkey/oauthkey.go:36-47
    (tags first) and 78-115 (url.ParseQuery of what follows the first "?"; only ephemeral, preauthorized,
    baseURL; booleans by strconv.ParseBool, empty meaning the default). Returns the secret and its attributes."""
    if not tags:
        fail("oauth authkeys require --advertise-tags")
    secret, _, named = key.partition("?")
    attributes, error = parse_query(named)
    if error:
        fail(error)
    for name in attributes:
        if name not in ("ephemeral", "preauthorized", "baseURL"):
            fail(f"unknown attribute {go_quote(name)}")
    for name in ("ephemeral", "preauthorized"):
        value = attributes.get(name, [""])[0]
        if value and value not in GO_BOOLS:
            fail(f"invalid attribute boolean attribute {name} value {go_quote(value)}")
    return secret, {name: values[0] for name, values in attributes.items()}


def up(api, flags):
    key = flags.get("authkey", flags.get("auth-key", ""))
    if key.startswith("file:"):
        with open(key[len("file:"):]) as f:
            key = f.read().strip()
    tags = [t for t in flags.get("advertise-tags", "").split(",") if t]
    st = api.status()
    # The prefs (and the exit node in them) come before the OAuth exchange: cmd/tailscale/cli/up.go:339-347, 641-662.
    exit_node = flags.get("exit-node", "")
    if exit_node and not exit_node.startswith("auto:"):
        exit_node = exit_node_ip(st, exit_node)  # a name fails here before login, as in tailscale
    prefs = {"WantRunning": True, "Hostname": flags.get("hostname", ""), "AdvertiseTags": tags,
             "RouteAll": flags.get("accept-routes") == "true",
             "ExitNodeIP": exit_node,
             "ExitNodeAllowLANAccess": flags.get("exit-node-allow-lan-access") == "true"}
    if key.startswith("tskey-client-"):
        key, attributes = client_secret_attributes(key, tags)
        record("oauth", attributes=attributes)
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
        prefs["ExitNodeIP"] = exit_node_ip(api.status(), flags["exit-node"]) if flags["exit-node"] else ""
    if "exit-node-allow-lan-access" in flags:
        prefs["ExitNodeAllowLANAccess"] = flags["exit-node-allow-lan-access"] == "true"
    status, payload = api.request("PATCH", "/localapi/v0/prefs", prefs)
    if status != 200:
        fail(payload.decode(errors="replace"))


def ping(api, flags, rest):
    st = api.status()
    description = running_or_starting(st)
    if description:  # printed to stdout, then exit 1: cmd/tailscale/cli/ping.go:96-105
        print(description, flush=True)
        sys.exit(1)
    if len(rest) != 1 or not rest[0]:
        fail("usage: tailscale ping <hostname-or-IP>")
    ip = ping_target(st, rest[0])
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


def running_or_starting(st):
    """None when Running or Starting, else what the CLI prints: tailscale/tailscale@v1.102.3
    cmd/tailscale/cli/status.go:262-279."""
    state = st.get("BackendState")
    if state in ("Running", "Starting"):
        return None
    if state == "NeedsLogin":
        return "Logged out." + (f"\nLog in at: {st['AuthURL']}" if st.get("AuthURL") else "")
    return {"Stopped": "Tailscale is stopped.",
            "NeedsMachineAuth": "Machine is not yet approved by tailnet admin."}.get(
                state, f"unexpected state: {state}")


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
