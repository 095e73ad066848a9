"""The processes a soak runs on, all on loopback: microsocks standing in for tailscaled's SOCKS5 listener, the
misbehaving upstream (tests/peers), and one tsproxy-local per invoke mode, each running the bootstrap. Every
process is stopped by its PID."""

import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request

from .procfs import children_named

LOOPBACK = "127.0.0.1"
PEERS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "peers")
# A state a process must reach (a port, a ready line) comes within this bound or the soak fails.
STATE_BOUND_S = 30.0
# Larger than what an invocation loop keeps between invocations (128 KiB per buffer).
CANONICAL_LARGE_BODY = bytes(i % 256 for i in range(256 * 1024))


class SoakError(Exception):
    pass


def wait_for(predicate, what, bound_s=STATE_BOUND_S):
    end = time.monotonic() + bound_s
    while not predicate():
        if time.monotonic() > end:
            raise SoakError(f"timed out waiting for {what}")
        time.sleep(0.005)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def accepts(port):
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1):
            return True
    except OSError:
        return False


def child_env(extra):
    """This environment without anything that would reconfigure tsproxy or Lambda, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TSPROXY_", "AWS_LAMBDA_", "_X_AMZN"))}
    env.pop("DEBUG", None)
    env.update(extra)
    return env


class Processes:
    def __init__(self, work):
        self.work = work
        self.procs = []

    def spawn(self, argv, log_name, env=None):
        log = open(os.path.join(self.work, log_name), "ab")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                             start_new_session=True)
        log.close()
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
                except ProcessLookupError:
                    pass
        self.procs.clear()


class Emulator:
    """tsproxy-local in one invoke mode with the bootstrap as its runtime."""

    def __init__(self, procs, local_bin, bootstrap_bin, mode, concurrency, socks_port):
        self.mode = mode
        self.log_path = os.path.join(procs.work, f"local-{mode}.log")
        env = child_env({"TSPROXY_SOCKS5_ADDRESS": f"{LOOPBACK}:{socks_port}",
                         # The upstream stands in for a tailnet machine on loopback, refused unless named.
                         "TSPROXY_ALLOWED_TARGETS": f"{LOOPBACK}:*",
                         "TSPROXY_INVOKE_MODE": mode,
                         "TSPROXY_TAILSCALE_SOCKET": "none"})
        argv = [local_bin, "--port", "0", "--runtime-port", "0", "--invoke-mode", mode, "--max-concurrency",
                str(concurrency), "--timeout-ms", "30000", "--", bootstrap_bin]
        self.proc = procs.spawn(argv, os.path.basename(self.log_path), env)
        ready = {}

        def read_ready():
            with open(self.log_path, "rb") as f:
                for line in f:
                    if b'"event":"ready"' in line:
                        ready.update(json.loads(line))
                        return True
            if self.proc.poll() is not None:
                raise SoakError(f"tsproxy-local ({mode}) exited: {self.tail()}")
            return False

        wait_for(read_ready, f"tsproxy-local ({mode}) to be ready")
        self.port = int(ready["url"].rsplit(":", 1)[1])
        self.runtime_api = ready["runtime_api"]
        pids = []
        wait_for(lambda: pids.extend(children_named(self.proc.pid, "bootstrap")) or pids, "the runtime to start")
        self.runtime_pid = pids[0]

    def tail(self, n=3000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def stats(self):
        with urllib.request.urlopen(f"http://{self.runtime_api}/local/stats", timeout=10) as r:
            return json.loads(r.read())

    def runtime_alive(self):
        return self.proc.poll() is None and os.path.exists(f"/proc/{self.runtime_pid}") and \
            children_named(self.proc.pid, "bootstrap") == [self.runtime_pid]


class Stack:
    def __init__(self, work, local_bin, bootstrap_bin, concurrency):
        self.concurrency = concurrency
        self.procs = Processes(work)
        try:
            self._start(work, local_bin, bootstrap_bin, concurrency)
        except BaseException:
            self.procs.stop_all()
            raise

    def _start(self, work, local_bin, bootstrap_bin, concurrency):
        for _ in range(3):  # another process may take the free port first
            self.socks_port = free_port()
            socks = self.procs.spawn(["microsocks", "-i", LOOPBACK, "-p", str(self.socks_port)], "microsocks.log")
            try:
                wait_for(lambda: socks.poll() is not None or accepts(self.socks_port), "microsocks")
            except SoakError:
                pass
            if socks.poll() is None and accepts(self.socks_port):
                break
        else:
            raise SoakError("microsocks did not start")
        port_file = os.path.join(work, "upstream.port")
        self.procs.spawn(["python3", os.path.join(PEERS_DIR, "misbehaving_upstream.py"), "--quiet", "--port", "0",
                          "--port-file", port_file], "upstream.log", child_env({"PYTHONDONTWRITEBYTECODE": "1"}))
        wait_for(lambda: os.path.exists(port_file), "the upstream's port")
        with open(port_file) as f:
            self.upstream_port = int(f.read())
        self.refused_port = free_port()  # nothing listens there: the SOCKS5 listener's dial is refused
        self.emulators = {mode: Emulator(self.procs, local_bin, bootstrap_bin, mode, concurrency, self.socks_port)
                          for mode in ("buffered", "response_stream")}

    def upstream_control(self, target):
        with urllib.request.urlopen(f"http://{LOOPBACK}:{self.upstream_port}{target}", timeout=10) as r:
            return json.loads(r.read()) if target.startswith("/__held") else r.read()

    def busy_every_loop(self, key, body=b""):
        """Every invocation loop of both runtimes busy at once with a request the upstream holds (so each loop
        serves exactly one, on a connection of its own), then all released together. Returns how many."""
        results = []

        def one(mode):
            c = http.client.HTTPConnection(LOOPBACK, self.emulators[mode].port, timeout=60)
            headers = {"ts-target-ip": LOOPBACK, "ts-target-port": str(self.upstream_port)}
            if body:
                headers["content-type"] = "application/octet-stream"
            try:
                c.request("POST" if body else "GET", f"/hold?key={key}", body=body or None, headers=headers)
                r = c.getresponse()
                results.append((r.status, r.read()))
            finally:
                c.close()

        threads = [threading.Thread(target=one, args=(mode,)) for mode in self.emulators
                   for _ in range(self.concurrency)]
        for t in threads:
            t.start()
        wanted = len(threads)
        wait_for(lambda: self.upstream_control(f"/__held?key={key}")["held"] == wanted, "every loop to be busy")
        self.upstream_control(f"/__release?key={key}")
        for t in threads:
            t.join()
        if any(r != (200, b"released") for r in results):
            raise SoakError(f"a request that kept every loop busy failed: {results}")
        return wanted

    def canonical_state(self, key):
        """Brings both runtimes to the same state every time, so that readings compare like with like:
        each loop keeps the buffers of its last invocation up to a limit (runtime/proxy_handler.hpp), so
        first every loop serves a request larger than that limit (and releases them), then a small one;
        afterwards each loop holds exactly one idle upstream connection. Returns the invocations it took."""
        return self.busy_every_loop(f"{key}-large", CANONICAL_LARGE_BODY) + self.busy_every_loop(f"{key}-small")

    def settle(self):
        """Waits until every invocation loop of both runtimes is back in its `next` and nothing is in flight."""
        for e in self.emulators.values():
            def idle():
                s = e.stats()
                return s["in_flight"] == 0 and s["queued"] == 0 and s["next_waiting"] == self.concurrency
            wait_for(idle, f"the {e.mode} runtime to be idle")

    def stop(self):
        self.procs.stop_all()
