"""The clients that generate the load: a keep-alive Python HTTP client, wrk, tsproxy-fetch and curl. Each
returns what it observed, as raw as the tool gives it."""

import http.client
import json
import os
import re
import socket
import subprocess
import time

from .config import LOOPBACK, WRK_PERCENTILES, BenchError

# wrk prints only a summary unless a script asks for more: this one prints its latency percentiles as JSON.
WRK_REPORT_LUA = r"""
done = function(summary, latency, requests)
  local parts = {}
  for _, p in ipairs(pcts) do
    parts[#parts + 1] = string.format('"%s":%d', tostring(p), latency:percentile(p))
  end
  local e = summary.errors
  io.write(string.format('BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_min_us":%d,"latency_max_us":%d,"latency_mean_us":%f,"percentiles_us":{%s}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.max, latency.mean, table.concat(parts, ",")))
end
"""


class HttpClient:
    """Sequential keep-alive HTTP/1.1 client with TCP_NODELAY (http.client)."""

    def __init__(self, port, timeout=120.0):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def _connect(self):
        self.conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=self.timeout)
        self.conn.connect()
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def get(self, path, headers):
        """(status, x-amzn-RequestId, body, seconds from sending the request to the end of the body)."""
        if self.conn is None or self.conn.sock is None:
            self._connect()
        t0 = time.perf_counter()
        self.conn.request("GET", path, headers=headers)
        r = self.conn.getresponse()
        body = r.read()
        dt = time.perf_counter() - t0
        rid = r.getheader("x-amzn-RequestId")
        if r.will_close:
            self.close()
        return r.status, rid, body, dt

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def run_wrk(work, url, connections, secs, headers=None, threads=1):
    """wrk's report: requests, duration_us, bytes, errors by kind, latency min/max/mean and percentiles (µs)."""
    lua = os.path.join(work, "report.lua")
    if not os.path.exists(lua):
        with open(lua, "w") as f:
            f.write("local pcts = {" + ", ".join(str(p) for p in WRK_PERCENTILES) + "}\n" + WRK_REPORT_LUA)
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{secs}s", "--timeout", "10s", "-s", lua]
    for k, v in (headers or {}).items():
        argv += ["-H", f"{k}: {v}"]
    argv.append(url)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=secs + 120)
    for line in r.stdout.splitlines():
        if line.startswith("BENCHJSON "):
            return json.loads(line[len("BENCHJSON "):])
    raise BenchError(f"wrk gave no report: {r.stdout}\n{r.stderr}")


def run_fetch(tsproxy_fetch, env, url, count):
    """tsproxy-fetch's report (it prints percentiles, not the individual latencies)."""
    r = subprocess.run([tsproxy_fetch, "-n", str(count), "-q", url], env=env, capture_output=True, text=True,
                       timeout=900)
    m = re.search(r"latency_us p50=([\d.]+) p90=([\d.]+) p99=([\d.]+) max=([\d.]+)", r.stdout)
    f = re.search(r"requests=(\d+) failures=(\d+) last_status=(\d+)", r.stdout)
    pl = re.search(r"pool hits=(\d+) misses=(\d+) opened=(\d+)", r.stdout)
    if not m or not f:
        raise BenchError(f"tsproxy-fetch output not understood: {r.stdout}\n{r.stderr}")
    return {"requests": int(f.group(1)), "failures": int(f.group(2)), "last_status": int(f.group(3)),
            "latency_us": dict(zip(("p50", "p90", "p99", "max"), (float(x) for x in m.groups()))),
            "pool": {"hits": int(pl.group(1)), "misses": int(pl.group(2)), "opened": int(pl.group(3))} if pl else None}


def run_curl(url, headers):
    """One GET with curl: HTTP status, bytes received, seconds to the first byte and to the end."""
    argv = ["curl", "-sS", "-o", "/dev/null", "--max-time", "300",
            "-w", "%{http_code} %{size_download} %{time_starttransfer} %{time_total}"]
    for k, v in headers.items():
        argv += ["-H", f"{k}: {v}"]
    argv.append(url)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=400)
    parts = r.stdout.split()
    if len(parts) != 4:
        raise BenchError(f"curl output not understood: {r.stdout} {r.stderr}")
    return {"http_code": int(parts[0]), "size_download": int(parts[1]), "time_starttransfer": float(parts[2]),
            "time_total": float(parts[3])}
