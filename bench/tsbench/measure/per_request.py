"""Per-request overhead: sequential keep-alive requests through one warm function, each timed by
tsproxy-local's handoff_to_response_ms; and the runtime's RSS before and after them."""

import time

from ..clients import HttpClient
from ..config import PER_REQUEST_SIZES, SYSTEMS
from ..log import log
from ..procfs import proc_status
from ..samples import series


def sequential(rig, em, name, n, warmup):
    """Warm-up (excluded) then n sequential keep-alive requests; handoffs from tsproxy-local's log, and nginx's
    counters around the measured requests."""
    client = HttpClient(em.port)
    headers = rig.peers.routing_headers()
    expect = rig.peers.expected[name]
    errors = 0
    for _ in range(warmup):
        status, _, body, _ = client.get("/" + name, headers)
        errors += status != 200 or body != expect
    ids, client_ms = [], []
    before = rig.peers.nginx_counters()
    for _ in range(n):
        status, rid, body, dt = client.get("/" + name, headers)
        if status != 200 or body != expect:
            errors += 1
        if rid:
            ids.append(rid)
        client_ms.append(dt * 1000)
    after = rig.peers.nginx_counters()
    client.close()
    return {"handoff_to_response_ms": series("ms", em.handoffs(ids)), "client_roundtrip_ms": series("ms", client_ms),
            "errors": errors, "nginx": {"before": before, "after": after}}


def per_system(rig, relay):
    """(the sequential runs per system and body size, the runtime's memory per system)."""
    c = rig.cfg
    out, memory = {}, {}
    for system, bootstrap in SYSTEMS:
        log(f"[{relay}] per-request overhead: {system}")
        em = rig.emulator(bootstrap, relay)
        em.start()
        em.wait_init()
        time.sleep(0.5)
        idle = proc_status(em.child_pid)
        out[system] = {}
        for name in PER_REQUEST_SIZES:
            n = c["n_1m"] if name == "1m" else c["n_small"]
            out[system][name] = sequential(rig, em, name, n, c["warmup"])
        after = proc_status(em.child_pid)
        em.stop()
        memory[system] = {"idle_kib": idle, "after_requests_kib": after}
    return out, memory
