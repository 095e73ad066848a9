"""The runtime's own cost per request: what one keep-alive 100 B invocation costs the runtime process itself,
in CPU time (user + system, from /proc/PID/stat) and in system calls by name (strace -f -c attached to it),
for tsproxy's bootstrap and the null bootstrap (the floor: a Runtime API loop and nothing else) side by side.

The CPU and the system calls are measured in two separate series of requests: strace slows every system
call down, so CPU time read while it is attached would be strace's as much as the runtime's."""

import os
import signal
import subprocess
import time

from ..clients import HttpClient
from ..config import NULL_SYSTEM, BenchError
from ..log import log
from ..processes import find_tool
from ..procfs import cpu_seconds

# system name in the results, the key of its bootstrap in Rig.bin
OWN_COST_SYSTEMS = (("tsproxy", "bootstrap"), (NULL_SYSTEM, "null-bootstrap"))
# Requests per series (one series timed by CPU, one traced); the warm-up before each is not counted.
OWN_COST_REQUESTS = {"full": 10000, "smoke": 20}
OWN_COST_WARMUP = {"full": 200, "smoke": 3}
# The system name under which a bootstrap given with --baseline-bootstrap (say, an older commit's) is measured.
BASELINE_SYSTEM = "tsproxy-baseline"


def requests(rig, em, count, expected_body):
    """count sequential keep-alive GETs of the 100 B file; the number that did not come back as expected."""
    client = HttpClient(em.port)
    headers = rig.peers.routing_headers()
    errors = 0
    for _ in range(count):
        status, _, body, _ = client.get("/100b", headers)
        errors += status != 200 or body != expected_body
    client.close()
    return errors


def context_switches(pid):
    """Voluntary + involuntary context switches of all of a process's threads so far (None when it is gone):
    each wait for the network that blocks costs the runtime a switch out and back in."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                total += sum(int(line.split()[1]) for line in f
                             if line.split(":")[0] in ("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"))
    except OSError:
        return None
    return total


def traced_by(pid, tracer):
    """Whether every thread of pid is traced by tracer (strace attaches thread by thread)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                tracer_line = next((line for line in f if line.startswith("TracerPid:")), "")
        except OSError:
            return False
        if tracer_line.split()[1:] != [str(tracer)]:
            return False
    return True


def parse_strace_summary(text):
    """strace -c -U name,calls,errors output: {syscall: {"calls": n, "errors": n}}."""
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) not in (2, 3) or not parts[1].isdigit() or parts[0] == "total":
            continue
        out[parts[0]] = {"calls": int(parts[1]), "errors": int(parts[2]) if len(parts) == 3 else 0}
    return out


def traced(rig, em, count, expected_body, out_path):
    """Attaches strace -f -c to the runtime, sends count requests, detaches; the system calls counted."""
    strace = find_tool("strace")
    proc = rig.procs.spawn([strace, "-f", "-c", "-U", "name,calls,errors", "-o", out_path, "-p", str(em.child_pid)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.monotonic() + 10.0
    while not traced_by(em.child_pid, proc.pid):
        if proc.poll() is not None or time.monotonic() > end:
            rig.procs.stop(proc)
            raise BenchError(f"strace could not attach to the runtime (PID {em.child_pid})")
        time.sleep(0.005)
    errors = requests(rig, em, count, expected_body)
    # SIGINT makes strace detach and write its summary.
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30.0)
    finally:
        rig.procs.stop(proc)
    with open(out_path) as f:
        summary = parse_strace_summary(f.read())
    if not summary:
        raise BenchError(f"strace wrote no summary to {out_path}")
    return {"requests": count, "errors": errors, "syscalls": summary}


def one_system(rig, relay, system, bootstrap):
    mode = "smoke" if rig.smoke else "full"
    n, warmup = OWN_COST_REQUESTS[mode], OWN_COST_WARMUP[mode]
    expected = b"" if system == NULL_SYSTEM else rig.peers.expected["100b"]
    em = rig.emulator(bootstrap, relay)
    em.start()
    try:
        em.wait_init()
        errors = requests(rig, em, warmup, expected)
        before, switches_before = cpu_seconds(em.child_pid), context_switches(em.child_pid)
        errors += requests(rig, em, n, expected)
        after, switches_after = cpu_seconds(em.child_pid), context_switches(em.child_pid)
        out = {"requests": n, "warmup": warmup, "errors": errors, "runtime_cpu_s": {"before": before, "after": after},
               "context_switches": {"before": switches_before, "after": switches_after}}
        if find_tool("strace"):
            requests(rig, em, warmup, expected)
            out["strace"] = traced(rig, em, n, expected, os.path.join(rig.work, f"strace-{relay}-{system}.txt"))
        else:
            out["strace"] = {"skipped": "strace is not installed (toolchain/install-deps installs it)"}
    finally:
        em.stop()
    return out


def per_system(rig, relay):
    """{system: CPU before/after the timed series, and the traced series' system call counts}."""
    systems = list(OWN_COST_SYSTEMS)
    if "baseline-bootstrap" in rig.bin:
        systems.insert(1, (BASELINE_SYSTEM, "baseline-bootstrap"))
    out = {}
    for system, bootstrap in systems:
        log(f"[{relay}] own cost per request: {system} x{OWN_COST_REQUESTS['smoke' if rig.smoke else 'full']}")
        out[system] = one_system(rig, relay, system, bootstrap)
    return out
