"""One tsproxy-local (the Lambda emulator) running a bootstrap: tsproxy's, its io_uring build or the Node
baseline's. Its ready line gives the Function URL; its stderr JSON log gives init, each invocation's
handoff_to_response_ms and the runtime's PID."""

import json
import os
import select
import subprocess
import threading
import time

from .config import LOOPBACK, BenchError
from .processes import kill_if_named


def child_env(relay_port, extra=None):
    """The harness's environment without anything that would reconfigure tsproxy, Lambda or Node."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TSPROXY_", "AWS_LAMBDA_", "_X_AMZN")) and k not in ("DEBUG", "NODE_OPTIONS")}
    env["TSPROXY_SOCKS5_ADDRESS"] = f"{LOOPBACK}:{relay_port}"
    # The bench's peers stand in for tailnet machines on loopback, which tsproxy refuses unless named.
    env["TSPROXY_ALLOWED_TARGETS"] = f"{LOOPBACK}:*"
    if extra:
        env.update(extra)
    return env


class Emulator:
    def __init__(self, procs, tsproxy_local, bootstrap, relay_port, mode, concurrency, env, log_path, out_path):
        self.procs = procs
        self.tsproxy_local = tsproxy_local
        self.bootstrap = bootstrap
        self.relay_port = relay_port
        self.mode = mode
        self.concurrency = concurrency
        self.env = dict(env)
        self.log_path = log_path
        self.out_path = out_path
        self.offset = 0
        self.pending = b""
        self.invokes = {}
        self.statuses = {}  # non-200 invocation statuses -> count
        self.errors = {}  # bootstrap's "upstream failed" error names -> count
        self.child_pid = None
        self.init_ms = None
        # The cold-start breakdown: when the bootstrap was spawned and init ended (tsproxy-local's monotonic
        # clock), and the bootstrap's own start timeline (logged at debug level).
        self.spawned_at_ns = None
        self.init_done_ns = None
        self.start_timeline = None

    def start(self):
        # No freezing between invocations: what the emulator's freeze and thaw cost is not Lambda's, and it
        # would be counted as the runtime's.
        argv = [self.tsproxy_local, "--port", "0", "--invoke-mode", self.mode,
                "--max-concurrency", str(self.concurrency), "--timeout-ms", "120000", "--freeze", "off",
                "--", self.bootstrap]
        env = child_env(self.relay_port, {"TSPROXY_INVOKE_MODE": self.mode, **self.env})
        err = open(self.log_path, "wb")
        self.t_spawn = time.perf_counter()
        self.proc = self.procs.spawn(argv, env=env, stdout=subprocess.PIPE, stderr=err, bufsize=0)
        err.close()
        line = self._read_line(10.0)
        self.t_ready = time.perf_counter()
        ready = json.loads(line)
        self.url = ready["url"]
        self.port = int(self.url.rsplit(":", 1)[1])
        threading.Thread(target=self._drain, daemon=True).start()

    def _read_line(self, timeout):
        fd = self.proc.stdout.fileno()
        buf = b""
        end = time.monotonic() + timeout
        while b"\n" not in buf:
            left = end - time.monotonic()
            if left <= 0:
                raise BenchError(f"tsproxy-local did not print its ready line: {self.tail()}")
            if select.select([fd], [], [], min(left, 0.1))[0]:
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise BenchError(f"tsproxy-local closed stdout: {self.tail()}")
                buf += chunk
        return buf.split(b"\n", 1)[0].decode()

    def _drain(self):
        with open(self.out_path, "ab") as f:
            while True:
                try:
                    chunk = os.read(self.proc.stdout.fileno(), 65536)
                except (OSError, ValueError):
                    return
                if not chunk:
                    return
                f.write(chunk)

    def tail(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-2000:].decode(errors="replace")
        except OSError:
            return ""

    def poll_log(self):
        with open(self.log_path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        self.offset += len(data)
        lines = (self.pending + data).split(b"\n")
        self.pending = lines.pop()
        for raw in lines:
            try:
                e = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(e, dict):
                continue
            msg = e.get("msg")
            if msg == "runtime_start" and self.child_pid is None:
                self.child_pid = e.get("pid")
                self.spawned_at_ns = e.get("spawned_at_monotonic_ns")
            elif msg == "init" and self.init_ms is None:
                self.init_ms = e.get("init_duration_ms")
                self.init_done_ns = e.get("monotonic_ns")
            elif msg == "start timeline" and self.start_timeline is None:
                self.start_timeline = e
            elif msg == "invoke" and "status" in e:  # tsproxy-local's line, not the extension's
                self.invokes[e.get("request_id")] = e.get("handoff_to_response_ms")
                if e.get("status") != 200:
                    key = str(e.get("status"))
                    self.statuses[key] = self.statuses.get(key, 0) + 1
            elif msg == "upstream failed":
                key = str(e.get("error"))
                self.errors[key] = self.errors.get(key, 0) + 1

    def wait_init(self, timeout=30.0):
        end = time.monotonic() + timeout
        while True:
            self.poll_log()
            if self.init_ms is not None and self.child_pid:
                return self.init_ms
            if self.proc.poll() is not None or time.monotonic() > end:
                raise BenchError(f"no init line from tsproxy-local ({self.bootstrap}): {self.tail()}")
            time.sleep(0.002)

    def wait_start_timeline(self, timeout=30.0):
        """The bootstrap's start timeline line (it must run with AWS_LAMBDA_LOG_LEVEL=DEBUG)."""
        end = time.monotonic() + timeout
        while True:
            self.poll_log()
            if self.start_timeline is not None:
                return self.start_timeline
            if self.proc.poll() is not None or time.monotonic() > end:
                raise BenchError(f"no start timeline from {self.bootstrap}: {self.tail()}")
            time.sleep(0.002)

    def handoffs(self, ids, timeout=30.0):
        end = time.monotonic() + timeout
        while True:
            self.poll_log()
            if all(i in self.invokes for i in ids):
                return [self.invokes[i] for i in ids]
            if time.monotonic() > end:
                missing = sum(1 for i in ids if i not in self.invokes)
                raise BenchError(f"{missing} invoke lines missing from tsproxy-local's log: {self.tail()}")
            time.sleep(0.005)

    def stop(self):
        self.procs.stop(self.proc)
        kill_if_named(self.child_pid, os.path.basename(self.bootstrap))
        try:
            self.proc.stdout.close()
        except OSError:
            pass
