"""Starting and stopping the harness's processes (each by its PID), finding the tools it runs and free loopback
ports."""

import os
import shutil
import signal
import socket
import subprocess
import time

from .config import LOOPBACK


class Processes:
    """Every process the harness starts, stopped by PID (SIGTERM, then SIGKILL after a grace period)."""

    def __init__(self):
        self.procs = []

    def spawn(self, argv, **kw):
        kw.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.Popen(argv, **kw)
        self.procs.append(p)
        return p

    def stop(self, p, timeout=10.0):
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            except ProcessLookupError:
                pass
        if p in self.procs:
            self.procs.remove(p)

    def stop_all(self):
        for p in reversed(list(self.procs)):
            self.stop(p, timeout=5.0)


def children_of(pid):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            out.append(int(entry))
    return out


def kill_if_named(pid, expected_name):
    """Kills a grandchild (a bootstrap, a danted worker) that outlived its parent, after checking it is ours."""
    if not pid:
        return
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().decode(errors="replace")
    except OSError:
        return
    if expected_name in cmd:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.01)
    return False


def find_tool(name):
    """PATH first, then /usr/sbin (danted and nginx live there and it is not on every user's PATH)."""
    found = shutil.which(name)
    if found:
        return found
    return f"/usr/sbin/{name}" if os.access(f"/usr/sbin/{name}", os.X_OK) else None
