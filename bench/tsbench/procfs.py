"""Readings from /proc: a process's memory and CPU time, and the machine's TIME_WAIT sockets."""

import os
import threading
import time


def cpu_seconds(pid):
    """User + system CPU time a process has used so far, all its threads together (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # After the command name: state is field 3, utime 14 and stime 15 (1-based), in clock ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status(pid):
    """VmRSS / VmHWM of a process in KiB (None when it is gone)."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0])
    except OSError:
        return None
    return out


def time_wait_sockets():
    """Loopback sockets in TIME_WAIT (they hold ephemeral ports for 60 s)."""
    n = 0
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                next(f, None)
                n += sum(1 for line in f if line.split()[3] == "06")
        except OSError:
            pass
    return n


def wait_for_port_space(limit=8000, max_wait=75.0):
    """Waits until few TIME_WAIT sockets remain, so a connection-churning run does not exhaust ephemeral ports
    (danted binds its outgoing sockets explicitly and fails first). Returns the seconds waited."""
    t0 = time.monotonic()
    while time_wait_sockets() > limit and time.monotonic() - t0 < max_wait:
        time.sleep(1.0)
    return time.monotonic() - t0


class RssSampler(threading.Thread):
    """Samples VmHWM of a process every 10 ms, so a peak is known even if the process dies."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_hwm = None
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            st = proc_status(self.pid)
            if st and st.get("VmHWM"):
                self.peak_hwm = max(self.peak_hwm or 0, st["VmHWM"])
            self._stop_event.wait(0.01)

    def stop(self):
        self._stop_event.set()
        self.join()
