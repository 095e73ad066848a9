#!/usr/bin/env bash
# Self-check of the node-proxy baseline, loopback only:
#   microsocks (SOCKS5) + python http.server (target, a 100-byte binary file) + an inline fake
#   Lambda Runtime API that execs ./bootstrap, feeds it Function URL events (payload 2.0) and checks
#   the responses. Also measures cold start (exec of bootstrap -> its first GET /next) over RUNS
#   fresh processes and the node process's VmRSS/VmHWM after the requests of each run.
# Then, if a built tsproxy-local exists under build/*/lambda/local/, runs the baseline under it and
# fetches the file through its Function URL listener with curl (skip with SKIP_TSPROXY_LOCAL=1).
# Env: RUNS (default 5), REQUESTS per run (default 10, >= 2), KEEP_TMP=1 keeps the temp dir.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
RUNS="${RUNS:-5}"
REQUESTS="${REQUESTS:-10}"

if [ ! -d "$HERE/node_modules/socks-proxy-agent" ]; then
  echo "selftest: node_modules missing: run 'npm ci --omit=dev' in $HERE first" >&2
  exit 2
fi
for tool in microsocks python3 node curl; do
  command -v "$tool" >/dev/null || { echo "selftest: '$tool' not found" >&2; exit 2; }
done

TMP="$(mktemp -d)"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "selftest: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_port() {
  local port=$1 i
  for i in $(seq 1 100); do
    if python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.2).close()' "$port" 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  echo "selftest: nothing listening on 127.0.0.1:$port" >&2
  return 1
}

# Target content: 100 bytes that are not valid UTF-8, so any text round-trip would show.
mkdir -p "$TMP/www"
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 37 + 11) % 256 for i in range(100)))' > "$TMP/www/file.bin"

SOCKS_PORT="$(free_port)"
microsocks -i 127.0.0.1 -p "$SOCKS_PORT" > "$TMP/microsocks.log" 2>&1 &
PIDS+=($!)
UP_PORT="$(free_port)"
python3 -m http.server "$UP_PORT" --bind 127.0.0.1 --directory "$TMP/www" > "$TMP/upstream.log" 2>&1 &
PIDS+=($!)
wait_port "$SOCKS_PORT"
wait_port "$UP_PORT"

cat > "$TMP/fake_runtime_api.py" <<'PY'
import base64, json, os, queue, signal, statistics, subprocess, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

bootstrap, up_port, socks_addr, file_path = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
runs, requests = int(sys.argv[5]), int(sys.argv[6])
expected = open(file_path, "rb").read()

def event(req_id, headers, path="/file.bin", query="ignored=1"):
    now = int(time.time() * 1000)
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous", "apiId": "selftest", "domainName": "selftest.lambda-url.us-east-1.on.aws",
            "domainPrefix": "selftest",
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                     "userAgent": "selftest"},
            "requestId": req_id, "routeKey": "$default", "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()), "timeEpoch": now,
        },
        "isBase64Encoded": False,
    }

def file_event(req_id):
    return event(req_id, {
        "ts-target-ip": "127.0.0.1", "ts-target-port": up_port,
        "host": "selftest.lambda-url.us-east-1.on.aws", "x-amz-date": "20240101T000000Z",
        "authorization": "AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0",
        "accept": "*/*", "user-agent": "selftest",
    })

def missing_port_event(req_id):
    return event(req_id, {"ts-target-ip": "127.0.0.1", "accept": "*/*"})

class Fake:
    def __init__(self, events):
        self.events = queue.Queue()
        for e in events:
            self.events.put(e)
        self.total = len(events)
        self.responses = {}
        self.done = threading.Event()
        self.stop = threading.Event()
        self.first_next = None
        self.served_at = {}
        self.latency = {}
        self.errors = []
        self.lock = threading.Lock()

def make_handler(fake):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without TCP_NODELAY, Nagle + delayed ACK add
        # ~40 ms per reply on the keep-alive connection, which would be the fake's cost, not node's.
        disable_nagle_algorithm = True
        def log_message(self, *a):
            pass
        def _reply(self, code, body=b"{}", headers=None):
            self.send_response(code)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def do_GET(self):
            if self.path != "/2018-06-01/runtime/invocation/next":
                return self._reply(404)
            t = time.monotonic()
            with fake.lock:
                if fake.first_next is None:
                    fake.first_next = t
            while not fake.stop.is_set():
                try:
                    ev = fake.events.get(timeout=0.1)
                    break
                except queue.Empty:
                    continue
            else:
                self.close_connection = True  # shutting down: drop the long poll unanswered
                return
            rid = ev["requestContext"]["requestId"]
            body = json.dumps(ev).encode()
            fake.served_at[rid] = time.monotonic()
            self._reply(200, body, {
                "Lambda-Runtime-Aws-Request-Id": rid,
                "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 30000),
                "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:000000000000:function:selftest",
                "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
            })
        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n)
            parts = self.path.split("/")
            # /2018-06-01/runtime/invocation/{id}/response|error, /2018-06-01/runtime/init/error
            if self.path.endswith("/init/error"):
                fake.errors.append(("init", body.decode(errors="replace")))
                self._reply(202)
                fake.done.set()
                return
            if len(parts) == 6 and parts[3] == "invocation" and parts[5] in ("response", "error"):
                rid = parts[4]
                fake.latency[rid] = time.monotonic() - fake.served_at.get(rid, time.monotonic())
                if parts[5] == "error":
                    fake.errors.append((rid, body.decode(errors="replace")))
                fake.responses[rid] = body
                self._reply(202)
                if len(fake.responses) >= fake.total:
                    fake.done.set()
                return
            self._reply(404)
    return H

class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # The runtime is killed while its next long poll is open: resets are expected then.
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)

def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:", "Name:")):
                k, v = line.split(":", 1)
                out[k] = v.strip()
    return out

def one_run(run):
    ids = [f"run{run}-req{i}" for i in range(requests)]
    events = [file_event(ids[0]), missing_port_event(ids[1])] + [file_event(i) for i in ids[2:]]
    fake = Fake(events)
    server = QuietServer(("127.0.0.1", 0), make_handler(fake))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ)
    env["AWS_LAMBDA_RUNTIME_API"] = f"127.0.0.1:{server.server_address[1]}"
    env["TSPROXY_SOCKS5_ADDRESS"] = socks_addr
    env.pop("DEBUG", None)
    t0 = time.monotonic()
    proc = subprocess.Popen([bootstrap], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        if not fake.done.wait(30):
            raise SystemExit(f"run {run}: timed out, {len(fake.responses)}/{fake.total} responses")
        if proc.poll() is not None:
            raise SystemExit(f"run {run}: bootstrap exited early ({proc.returncode})")
        status = proc_status(proc.pid)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        fake.stop.set()
        server.shutdown()
        server.server_close()
    if fake.errors:
        raise SystemExit(f"run {run}: runtime reported errors: {fake.errors}")
    if out.strip():
        raise SystemExit(f"run {run}: bootstrap printed to stdout without DEBUG: {out[:300]!r}")
    if status.get("Name") != "node":
        raise SystemExit(f"run {run}: pid {proc.pid} is {status.get('Name')!r}, not node (bootstrap must exec)")
    for rid in [ids[0]] + ids[2:]:
        r = json.loads(fake.responses[rid])
        if r.get("statusCode") != 200 or r.get("isBase64Encoded") is not True:
            raise SystemExit(f"run {run}: {rid}: unexpected response {r}")
        got = base64.b64decode(r["body"])
        if got != expected:
            raise SystemExit(f"run {run}: {rid}: body mismatch ({len(got)} bytes, want {len(expected)})")
    r = json.loads(fake.responses[ids[1]])
    if r.get("statusCode") != 400 or "ts-error-name" not in r.get("headers", {}) \
            or "ts-error-message" not in r.get("headers", {}):
        raise SystemExit(f"run {run}: missing-header request: unexpected response {r}")
    warm = sorted(fake.latency[i] for i in ids[2:]) or [fake.latency[ids[0]]]
    return {
        "cold_start_ms": round((fake.first_next - t0) * 1000, 1),
        "first_request_ms": round(fake.latency[ids[0]] * 1000, 2),
        "warm_request_median_ms": round(statistics.median(warm) * 1000, 2),
        "requests": requests,
        "VmRSS": status.get("VmRSS"), "VmHWM": status.get("VmHWM"),
    }

results = []
for run in range(1, runs + 1):
    res = one_run(run)
    results.append(res)
    print(f"run {run}: " + json.dumps(res), flush=True)
cold = [r["cold_start_ms"] for r in results]
kb = lambda s: int(s.split()[0])
print(json.dumps({
    "ok": True,
    "cold_start_ms": {"min": min(cold), "median": statistics.median(cold), "max": max(cold)},
    "VmRSS_kB_max": max(kb(r["VmRSS"]) for r in results),
    "VmHWM_kB_max": max(kb(r["VmHWM"]) for r in results),
}), flush=True)
PY

echo "selftest: microsocks 127.0.0.1:$SOCKS_PORT, upstream 127.0.0.1:$UP_PORT, $RUNS runs x $REQUESTS requests"
python3 "$TMP/fake_runtime_api.py" "$HERE/bootstrap" "$UP_PORT" "127.0.0.1:$SOCKS_PORT" \
  "$TMP/www/file.bin" "$RUNS" "$REQUESTS"

# Optional: the same round trip under the project's own emulator.
LOCAL_BIN=""
if [ "${SKIP_TSPROXY_LOCAL:-0}" != 1 ]; then
  for cand in "$REPO/build/local/lambda/local/tsproxy-local" "$REPO"/build/*/lambda/local/tsproxy-local; do
    if [ -x "$cand" ]; then LOCAL_BIN="$cand"; break; fi
  done
fi
if [ -z "$LOCAL_BIN" ]; then
  echo "selftest: tsproxy-local: skipped (SKIP_TSPROXY_LOCAL=1 or no built binary)"
else
  mkfifo "$TMP/local.out"
  TSPROXY_SOCKS5_ADDRESS="127.0.0.1:$SOCKS_PORT" "$LOCAL_BIN" --port 0 --bind 127.0.0.1 -- "$HERE/bootstrap" \
    > "$TMP/local.out" 2> "$TMP/local.err" &
  PIDS+=($!)
  exec 3< "$TMP/local.out"
  URL=""
  while IFS= read -r -t 20 line <&3; do
    URL="$(printf '%s' "$line" | python3 -c 'import json,sys
try:
    d = json.loads(sys.stdin.read())
except ValueError:
    sys.exit(0)
if d.get("event") == "ready": print(d["url"])')"
    [ -n "$URL" ] && break
  done
  # Keep draining the emulator's stdout so it never blocks on a full pipe.
  cat <&3 > "$TMP/local.rest" &
  PIDS+=($!)
  exec 3<&-
  if [ -z "$URL" ]; then
    echo "selftest: tsproxy-local gave no ready line; stderr:" >&2
    cat "$TMP/local.err" >&2
    exit 1
  fi
  curl -sS --max-time 20 -o "$TMP/via-local.bin" -w '%{http_code}\n' \
    -H "ts-target-ip: 127.0.0.1" -H "ts-target-port: $UP_PORT" "$URL/file.bin?dropped=1" > "$TMP/local.code"
  code="$(cat "$TMP/local.code")"
  if [ "$code" != 200 ] || ! cmp -s "$TMP/via-local.bin" "$TMP/www/file.bin"; then
    echo "selftest: tsproxy-local round trip failed: HTTP $code, $(wc -c < "$TMP/via-local.bin") bytes" >&2
    tail -n 20 "$TMP/local.err" >&2
    exit 1
  fi
  echo "selftest: tsproxy-local ($LOCAL_BIN): HTTP 200, 100 bytes identical"
fi
echo "selftest: PASS"
