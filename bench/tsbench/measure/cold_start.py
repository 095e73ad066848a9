"""Cold start: a fresh tsproxy-local and runtime per run, timed from the spawn to the first response; and the
first request after an idle pause, with and without TSPROXY_PREWARM."""

import time

from ..clients import HttpClient
from ..config import COLD_START_SYSTEMS, LOOPBACK, NULL_SYSTEM
from ..log import log
from ..samples import series


def runs(rig, bootstrap, relay, count, env=None, delay_after_init=None, expected_body=None):
    """count+1 spawns (the first, a page-cache warm-up, discarded); one value per run in each series. The
    answer must be expected_body (default: the 100 B file, fetched through the relay)."""
    if expected_body is None:
        expected_body = rig.peers.expected["100b"]
    samples = {"init_duration_ms": series("ms", []), "spawn_to_ready_ms": series("ms", []),
               "spawn_to_first_200_ms": series("ms", []), "first_handoff_ms": series("ms", []),
               "status": series("HTTP status", []), "body_ok": series("boolean", [])}
    for i in range(count + 1):
        em = rig.emulator(bootstrap, relay, env=env)
        em.start()
        if delay_after_init is not None:
            em.wait_init()
            time.sleep(delay_after_init)
        client = HttpClient(em.port)
        status, rid, body, _ = client.get("/100b", rig.peers.routing_headers())
        t_first = time.perf_counter()
        client.close()
        em.wait_init()
        first = em.handoffs([rid])[0] if rid else None
        em.stop()
        if i == 0:
            continue
        for key, value in (("init_duration_ms", em.init_ms), ("spawn_to_ready_ms", (em.t_ready - em.t_spawn) * 1000),
                           ("spawn_to_first_200_ms", (t_first - em.t_spawn) * 1000), ("first_handoff_ms", first),
                           ("status", status), ("body_ok", body == expected_body)):
            samples[key]["values"].append(value)
    return samples


def per_system(rig, relay):
    out = {}
    for system, bootstrap in COLD_START_SYSTEMS:
        log(f"[{relay}] cold start: {system} x{rig.cfg['cold_runs']}")
        out[system] = runs(rig, bootstrap, relay, rig.cfg["cold_runs"],
                           expected_body=b"" if system == NULL_SYSTEM else None)
    return out


def prewarm(rig, relay):
    log(f"[{relay}] first request 100 ms after init, with and without TSPROXY_PREWARM")
    n = rig.cfg["prewarm_runs"]
    return {"without": runs(rig, "bootstrap", relay, n, delay_after_init=0.1),
            "with": runs(rig, "bootstrap", relay, n, delay_after_init=0.1,
                         env={"TSPROXY_PREWARM": f"{LOOPBACK}:{rig.peers.nginx_port}"})}
