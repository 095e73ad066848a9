"""The test rig a live run measures on: the binaries under test, the processes started, the work directory,
the peers, and emulators started on demand."""

import os
import shutil
import subprocess
import sys
import tempfile

from .config import BUILD_COMMAND, FULL, NODE_DIR, SMOKE, STATIC_BUILD_COMMAND, BenchError
from .emulator import Emulator
from .log import log
from .peers import Peers
from .processes import Processes, find_tool
from .procfs import wait_for_port_space


class Rig:
    def __init__(self, build_dir, static_build_dir, smoke):
        self.cfg = SMOKE if smoke else FULL
        self.smoke = smoke
        self.build = os.path.abspath(build_dir)
        self.bin = {
            "tsproxy-local": os.path.join(self.build, "lambda", "local", "tsproxy-local"),
            "bootstrap": os.path.join(self.build, "lambda", "runtime", "bootstrap"),
            "bootstrap-uring": os.path.join(self.build, "lambda", "runtime", "bootstrap-uring"),
            "bootstrap-static": os.path.join(os.path.abspath(static_build_dir), "lambda", "runtime", "bootstrap"),
            "null-bootstrap": os.path.join(self.build, "bench", "null-bootstrap"),
            "tsproxy-fetch": os.path.join(self.build, "engine", "tsproxy-fetch"),
            "micro": os.path.join(self.build, "bench", "tsproxy_micro_bench"),
            "node-bootstrap": os.path.join(NODE_DIR, "bootstrap"),
        }
        self.procs = Processes()
        self.work = tempfile.mkdtemp(prefix="tsproxy-bench-")
        self.peers = Peers(self.procs, self.work)
        self.emulators_started = 0
        self.uring = False
        self.danted_bin = None

    def check_prerequisites(self):
        for keys, command in ((("tsproxy-local", "bootstrap", "tsproxy-fetch", "micro", "null-bootstrap"), BUILD_COMMAND),
                              (("bootstrap-static",), STATIC_BUILD_COMMAND)):
            missing = [k for k in keys if not os.access(self.bin[k], os.X_OK)]
            for k in missing:
                print(f"bench/run: missing {self.bin[k]}", file=sys.stderr)
            if missing:
                print(f"bench/run: build first: {command}", file=sys.stderr)
                raise SystemExit(2)
        tools = ["microsocks", "nginx", "wrk", "curl", "gnuplot", "node", "npm"]
        absent = [t for t in tools if not find_tool(t)]
        if absent:
            print(f"bench/run: missing tools: {', '.join(absent)} (toolchain/install-deps installs them)",
                  file=sys.stderr)
            raise SystemExit(2)
        self.uring = os.access(self.bin["bootstrap-uring"], os.X_OK)
        self.danted_bin = find_tool("danted")
        if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "socks-proxy-agent")):
            log("node baseline: npm ci --omit=dev")
            r = subprocess.run(["npm", "ci", "--omit=dev", "--no-audit", "--no-fund"], cwd=NODE_DIR)
            if r.returncode != 0:
                raise BenchError("npm ci --omit=dev failed in bench/baselines/node-proxy")

    def start_peers(self):
        self.peers.generate_files()
        self.peers.start_nginx()
        self.peers.start_microsocks()
        if self.danted_bin:
            self.peers.start_dante(self.danted_bin)

    def stop_processes(self):
        """danted first (its workers may outlive it), then every process started, by PID."""
        self.peers.stop_dante()
        self.procs.stop_all()

    def emulator(self, bootstrap, relay, mode="buffered", concurrency=1, env=None, relay_port=None):
        """A tsproxy-local running the bootstrap named (a key of self.bin) through the relay named (or the relay
        listening on relay_port); not started."""
        self.emulators_started += 1
        n = self.emulators_started
        port = relay_port if relay_port is not None else self.peers.relays[relay]
        return Emulator(self.procs, self.bin["tsproxy-local"], self.bin[bootstrap], port, mode,
                        concurrency, env or {}, os.path.join(self.work, f"local-{n}.log"),
                        os.path.join(self.work, f"local-{n}.out"))

    def wait_for_port_space(self):
        # A smoke run churns little: it only waits when the ports are nearly exhausted (say, right after a full run).
        return wait_for_port_space(limit=20000 if self.smoke else 8000)

    def cleanup(self, keep_work):
        self.stop_processes()
        if not keep_work:
            shutil.rmtree(self.work, ignore_errors=True)
