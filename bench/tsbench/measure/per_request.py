"""Per-request overhead: sequential keep-alive requests through one warm function, each timed by
tsproxy-local's handoff_to_response_ms; and the runtime's RSS before and after them."""

import time

from ..clients import HttpClient
from ..config import PER_REQUEST_SIZES, SYSTEMS
from ..log import log
from ..procfs import proc_status
from ..samples import series


def sequential(rig, em, name, n, warmup, expect=None):
    """Warm-up (excluded) then n sequential keep-alive requests; handoffs from tsproxy-local's log, and nginx's
    counters around the measured requests. Every answer must be `expect` (default: the file `name`)."""
    client = HttpClient(em.port)
    headers = rig.peers.routing_headers()
    if expect is None:
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


def handover_floor(rig, relay):
    """The floor of handing a 1 MiB buffered answer to the Runtime API: the null bootstrap answers every invocation
    with the 1 MiB body's base64 payload (zero bytes), nothing fetched or encoded; timed as tsproxy's runs are.
    A pipelined tsproxy takes max(this, the relay's fetch) plus its own cost."""
    size = len(rig.peers.expected["1m"])
    log(f"[{relay}] hand-over floor: the null bootstrap answering {size} bytes, base64")
    em = rig.emulator("null-bootstrap", relay, env={"NULL_BOOTSTRAP_BODY_BYTES": str(size)})
    em.start()
    em.wait_init()
    out = sequential(rig, em, "1m", rig.cfg["n_1m"], rig.cfg["warmup"], expect=bytes(size))
    em.stop()
    return out
