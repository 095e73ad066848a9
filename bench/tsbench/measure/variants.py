"""tsproxy variants: the connection pool off, the io_uring build, and the pool's idle timeout against a pause
before each request."""

import os
import time

from ..clients import HttpClient
from ..log import log
from ..samples import series
from .per_request import sequential


def tsproxy_variants(rig, relay):
    c = rig.cfg
    out = {}
    log(f"[{relay}] per-request: tsproxy with TSPROXY_POOL=false")
    em = rig.emulator("bootstrap", relay, env={"TSPROXY_POOL": "false"})
    em.start()
    em.wait_init()
    out["pool_off"] = {"100b": sequential(rig, em, "100b", c["n_variant"], c["warmup"])}
    em.stop()
    if rig.uring:
        log(f"[{relay}] per-request: tsproxy io_uring build")
        em = rig.emulator("bootstrap-uring", relay)
        em.start()
        em.wait_init()
        # Where the kernel refuses io_uring, bootstrap-uring execs the epoll build: the runtime's exe tells.
        try:
            exe = os.readlink(f"/proc/{em.child_pid}/exe")
        except OSError:
            exe = ""
        out["io_uring"] = {"runtime_exe": exe}
        for name in ("100b", "10k"):
            out["io_uring"][name] = sequential(rig, em, name, c["n_variant"], c["warmup"])
        em.stop()
    else:
        out["io_uring"] = {"skipped": "bootstrap-uring not built (TSPROXY_IO_URING=OFF)"}
    out["idle_gap"] = {f"idle_timeout_{t}ms": idle_gap(rig, relay, t) for t in (250, 4000)}
    return out


def idle_gap(rig, relay, timeout_ms):
    c = rig.cfg
    log(f"[{relay}] pool: {c['gap_ms']} ms idle before each request, TSPROXY_POOL_IDLE_TIMEOUT_MS={timeout_ms}")
    em = rig.emulator("bootstrap", relay, env={"TSPROXY_POOL_IDLE_TIMEOUT_MS": str(timeout_ms)})
    em.start()
    em.wait_init()
    client = HttpClient(em.port)
    for _ in range(3):
        client.get("/100b", rig.peers.routing_headers())
    before = rig.peers.nginx_counters()
    ids = []
    for _ in range(c["gap_samples"]):
        time.sleep(c["gap_ms"] / 1000.0)
        ids.append(client.get("/100b", rig.peers.routing_headers())[1])
    after = rig.peers.nginx_counters()
    client.close()
    handoffs = em.handoffs(ids)
    em.stop()
    return {"idle_timeout_ms": timeout_ms, "gap_ms": c["gap_ms"], "handoff_to_response_ms": series("ms", handoffs),
            "nginx": {"before": before, "after": after}}
