"""Throughput through the Function URL: wrk with as many connections as the emulator's max concurrency."""

from ..clients import run_wrk
from ..log import log
from ..procfs import cpu_seconds, proc_status

WRK_THREADS = 1
BODY = "100b"


def configurations(uring):
    """(label, bootstrap, concurrency, extra environment) in measuring order. `tsproxy` runs one event-loop
    thread; `tsproxy 2 threads` two (TSPROXY_THREADS), each with its share of the loops and its own pool."""
    one = {"TSPROXY_THREADS": "1"}
    two = {"TSPROXY_THREADS": "2"}
    configs = [("tsproxy", "bootstrap", 1, {}), ("tsproxy", "bootstrap", 8, one), ("tsproxy", "bootstrap", 64, one),
               ("tsproxy 2 threads", "bootstrap", 8, two), ("tsproxy 2 threads", "bootstrap", 64, two),
               ("node", "node-bootstrap", 1, {}), ("node", "node-bootstrap", 8, {}),
               ("node", "node-bootstrap", 64, {}),
               ("tsproxy pool off", "bootstrap", 8, {"TSPROXY_POOL": "false", **one}),
               ("tsproxy max idle 64", "bootstrap", 64, {"TSPROXY_POOL_MAX_IDLE_PER_TARGET": "64", **one})]
    if uring:
        configs.insert(3, ("tsproxy io_uring", "bootstrap-uring", 8, {}))
    return configs


def sweep(rig, relay):
    c = rig.cfg
    rows = []
    for label, bootstrap, conc, env in configurations(rig.uring):
        # Only danted binds its outgoing sockets (and so runs out of ports first); microsocks never needed it.
        waited = rig.wait_for_port_space() if relay == "dante" else 0.0
        log(f"[{relay}] throughput: {label}, concurrency {conc}" +
            (f" (waited {waited:.0f} s for TIME_WAIT sockets to expire)" if waited >= 1 else ""))
        em = rig.emulator(bootstrap, relay, concurrency=conc, env=env)
        em.start()
        em.wait_init()
        url = f"{em.url}/{BODY}"
        if c["wrk_warm_secs"]:
            run_wrk(rig.work, url, conc, c["wrk_warm_secs"], rig.peers.routing_headers(), WRK_THREADS)
        before = rig.peers.nginx_counters()
        cpu_before = cpu_seconds(em.child_pid)
        report = run_wrk(rig.work, url, conc, c["wrk_secs"], rig.peers.routing_headers(), WRK_THREADS)
        cpu_after = cpu_seconds(em.child_pid)
        after = rig.peers.nginx_counters()
        runtime_end = proc_status(em.child_pid)
        em.stop()
        em.poll_log()
        rows.append({"system": label, "concurrency": conc, "env": env, "body": BODY,
                     "wrk": {"threads": WRK_THREADS, "connections": conc, "seconds": c["wrk_secs"], "report": report},
                     "nginx": {"before": before, "after": after}, "non_200_by_status": em.statuses,
                     "upstream_errors": em.errors, "waited_for_port_space_s": waited, "runtime_end_kib": runtime_end,
                     "runtime_cpu_s": {"before": cpu_before, "after": cpu_after}})
        errors = sum(report["errors"].values())
        if errors:
            log(f"  warning: {errors} errors: {report['errors']} {em.statuses} {em.errors}")
    return rows
