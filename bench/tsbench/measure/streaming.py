"""Streaming a large body in response_stream mode: curl's time to first byte and total time, and the runtime's
peak RSS while it streams."""

from ..clients import HttpClient, run_curl
from ..config import LABEL_OF, SIZE_OF, SYSTEMS
from ..log import log
from ..procfs import RssSampler, proc_status
from ..samples import series


def large_body(rig, relay):
    c = rig.cfg
    name = c["stream_file"]
    out = {"file": name, "bytes": SIZE_OF[name], "by_system": {}}
    for system, bootstrap in SYSTEMS:
        log(f"[{relay}] streaming: {system}, response_stream, {LABEL_OF[name]}")
        em = rig.emulator(bootstrap, relay, mode="response_stream")
        em.start()
        em.wait_init()
        idle = proc_status(em.child_pid)
        sampler = RssSampler(em.child_pid)
        sampler.start()
        client = HttpClient(em.port)
        client.get("/100b", rig.peers.routing_headers())  # warm the pool: TTFB of a warm function
        client.close()
        curl = {"http_code": series("HTTP status", []), "size_download": series("B", []),
                "time_starttransfer": series("s", []), "time_total": series("s", [])}
        for _ in range(c["stream_runs"] if system == "tsproxy" else 1):
            for key, value in run_curl(f"{em.url}/{name}", rig.peers.routing_headers()).items():
                curl[key]["values"].append(value)
        runtime_end = proc_status(em.child_pid)
        sampler.stop()
        local_end = proc_status(em.proc.pid)
        em.stop()
        out["by_system"][system] = {"curl": curl, "idle_kib": idle, "runtime_end_kib": runtime_end,
                       "sampled_peak_hwm_kib": sampler.peak_hwm, "tsproxy_local_end_kib": local_end}
    return out
