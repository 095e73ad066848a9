"""A live run: every measurement, in order, on a fresh rig; returns the samples document."""

import datetime
import os
import time

from . import machine
from .log import log
from .measure import baselines, cold_start, micro, own_cost, per_request, streaming, throughput, variants
from .measure import memory_size


def measure(rig):
    t0 = time.monotonic()
    rig.check_prerequisites()
    run = {"mode": "smoke" if rig.smoke else "full",
           "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "loadavg_start": os.getloadavg(), "machine": machine.describe(rig.build, rig.danted_bin, rig.uring),
           "parameters": dict(rig.cfg)}
    log(f"work dir {rig.work}")
    rig.start_peers()
    log(f"nginx 127.0.0.1:{rig.peers.nginx_port}, relays " +
        ", ".join(f"{k} 127.0.0.1:{v}" for k, v in rig.peers.relays.items()))
    doc = {"run": run, "direct_nginx_keepalive": baselines.direct_nginx(rig), "relays": {}}
    for relay in rig.peers.relays:
        rr = doc["relays"][relay] = {}
        rr["cold_start"] = cold_start.per_system(rig, relay)
        rr["start_breakdown"] = cold_start.breakdown(rig, relay)
        rr["baselines"] = baselines.socks(rig, relay)
        rig.wait_for_port_space()
        rr["per_request"], rr["memory"] = per_request.per_system(rig, relay)
        rr["handover_floor"] = per_request.handover_floor(rig, relay)
        rig.wait_for_port_space()
        rr["own_cost"] = own_cost.per_system(rig, relay)
        rr["variants"] = variants.tsproxy_variants(rig, relay)
        rr["prewarm"] = cold_start.prewarm(rig, relay)
        rr["throughput"] = throughput.sweep(rig, relay)
        rr["streaming"] = streaming.large_body(rig, relay)
    # Which memory size: the runtime and a relay of its own at each Lambda memory size's CPU share.
    rig.wait_for_port_space()
    doc["memory_size"] = memory_size.sweep(rig)
    rig.stop_processes()
    doc["micro"] = micro.suite(rig)
    run["loadavg_end"] = os.getloadavg()
    run["wall_time_s"] = time.monotonic() - t0
    return doc
