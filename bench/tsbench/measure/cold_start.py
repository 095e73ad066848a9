"""Cold start: a fresh tsproxy-local and runtime per run, timed from the spawn to the first response; where the
static bootstrap's start goes, phase by phase, beside the null bootstrap's; and the first request after an idle
pause, with and without TSPROXY_PREWARM."""

import time

from ..clients import HttpClient
from ..config import BREAKDOWN_SYSTEMS, COLD_START_SYSTEMS, LOOPBACK, NULL_SYSTEM, START_PHASES
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


def each_system(rig, relay, systems, what, measure):
    """measure(system, bootstrap) for each of systems, cold_runs runs each."""
    out = {}
    for system, bootstrap in systems:
        log(f"[{relay}] {what}: {system} x{rig.cfg['cold_runs']}")
        out[system] = measure(system, bootstrap)
    return out


def per_system(rig, relay):
    return each_system(rig, relay, COLD_START_SYSTEMS, "cold start", lambda system, bootstrap: runs(
        rig, bootstrap, relay, rig.cfg["cold_runs"], expected_body=b"" if system == NULL_SYSTEM else None))


def ms_between(from_ns, to_ns):
    return (to_ns - from_ns) / 1e6


def timeline_runs(rig, bootstrap, relay, count):
    """count+1 spawns (the first discarded) at debug log level, each until its init ends and its start timeline is
    logged; one value per run in each series: spawn → main() and main() → init end (tsproxy-local's clocks and the
    bootstrap's), each phase the bootstrap stamps (START_PHASES, when it logs them), its first `next` → init end,
    and the page faults before main() and up to the first `next`."""
    keys = (("spawn_to_main_ms", "main_to_init_end_ms", "init_duration_ms", "first_next_to_init_end_ms")
            + tuple(f"{phase}_ms" for phase in START_PHASES))
    samples = {key: series("ms", []) for key in keys}
    samples["minor_faults_before_main"] = series("page faults", [])
    samples["minor_faults_to_first_next"] = series("page faults", [])
    for i in range(count + 1):
        em = rig.emulator(bootstrap, relay, env={"AWS_LAMBDA_LOG_LEVEL": "DEBUG"})
        em.start()
        em.wait_init()
        line = em.wait_start_timeline()
        em.stop()
        if i == 0:
            continue
        entered = line["main_entered_monotonic_ns"]
        values = {"spawn_to_main_ms": ms_between(em.spawned_at_ns, entered),
                  "main_to_init_end_ms": ms_between(entered, em.init_done_ns), "init_duration_ms": em.init_ms,
                  "minor_faults_before_main": line.get("minor_faults_before_main"),
                  "minor_faults_to_first_next": line.get("minor_faults_to_first_next")}
        phases = [line.get(f"{phase}_ms") for phase in START_PHASES]
        if None not in phases:
            values.update({f"{phase}_ms": ms for phase, ms in zip(START_PHASES, phases)})
            values["first_next_to_init_end_ms"] = values["main_to_init_end_ms"] - sum(phases)
        for key, value in values.items():
            samples[key]["values"].append(value)
    return samples


def breakdown(rig, relay):
    return each_system(rig, relay, BREAKDOWN_SYSTEMS, "start timeline",
                       lambda _, bootstrap: timeline_runs(rig, bootstrap, relay, rig.cfg["cold_runs"]))


def prewarm(rig, relay):
    log(f"[{relay}] first request 100 ms after init, with and without TSPROXY_PREWARM")
    n = rig.cfg["prewarm_runs"]
    return {"without": runs(rig, "bootstrap", relay, n, delay_after_init=0.1),
            "with": runs(rig, "bootstrap", relay, n, delay_after_init=0.1,
                         env={"TSPROXY_PREWARM": f"{LOOPBACK}:{rig.peers.nginx_port}"})}
