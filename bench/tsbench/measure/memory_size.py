"""Which memory size: tsproxy at the CPU share Lambda gives each memory size (1,769 MB = one vCPU), with the
runtime and its relay (a microsocks of its own, standing in for tailscaled, which shares the function's CPU) in
one CPU-limited control group. Per size: sequential per-request latency (tsproxy-local's handoff_to_response_ms,
the stand-in for the billed duration) for a small and a large body, and wrk throughput at the function's
concurrency (1) and at the runtime's multi-concurrency. tsproxy-local, nginx and the clients stay outside the
group: they are Lambda's service, the target and the caller, not the function."""

from .. import cpu_share
from ..clients import run_wrk
from ..config import (LAMBDA_MB_PER_VCPU, MEMORY_SIZE_BODIES, MEMORY_SIZE_CONCURRENCY, MEMORY_SIZE_FULL,
                      MEMORY_SIZE_SMOKE, MEMORY_SIZES_MB)
from ..log import log
from ..procfs import cpu_seconds
from .per_request import sequential

RELAY = "microsocks"
BOOTSTRAP = "bootstrap"
# More than one concurrent invocation on a fraction of a vCPU: one event-loop thread (a second adds nothing).
MULTI_ENV = {"TSPROXY_THREADS": "1"}


def sweep(rig):
    """Every memory size in turn, or {"skipped": why} where no CPU-limiting control group can be made."""
    c = MEMORY_SIZE_SMOKE if rig.smoke else MEMORY_SIZE_FULL
    backend, why = cpu_share.detect()
    if backend is None:
        log(f"memory size: skipped: {why}")
        return {"skipped": why}
    stale = cpu_share.remove_stale(backend)
    try:
        with backend.group("probe", 0.5):
            pass
    except OSError as e:
        why = f"cannot make a CPU-limited group under {backend.base}: {e}"
        log(f"memory size: skipped: {why}")
        return {"skipped": why}
    out = {"cgroup": backend.describe(), "stale_groups_removed": stale, "mb_per_vcpu": LAMBDA_MB_PER_VCPU,
           "relay": RELAY, "bodies": list(MEMORY_SIZE_BODIES), "parameters": dict(c), "sizes": []}
    for mb in MEMORY_SIZES_MB:
        rig.wait_for_port_space()
        out["sizes"].append(one_size(rig, backend, mb, c))
    return out


def one_size(rig, backend, mb, c):
    share = mb / LAMBDA_MB_PER_VCPU
    log(f"memory size {mb} MB: {share:.4f} vCPU ({backend.describe()['cgroup']}, quota "
        f"{cpu_share.quota_us(share, backend.period_us)} µs per {backend.period_us} µs)")
    with backend.group(f"{mb}mb", share) as group:
        relay, relay_port = rig.peers.spawn_microsocks(f"microsocks-{mb}mb.log")
        try:
            group.add(relay.pid)
            d = {"memory_mb": mb, "cpu_share": share, "quota_us": group.quota_us, "limit_read_back": group.limit(),
                 "relay_pid": relay.pid, "relay_in_group": group.holds(relay.pid), "runtimes_in_group": [],
                 "per_request": {}, "throughput": []}
            em = start_in_group(rig, group, relay_port, 1, {}, d)
            try:
                for name in MEMORY_SIZE_BODIES:
                    n = c["n_1m"] if name == "1m" else c["n_small"]
                    d["per_request"][name] = with_cpu(group, (em.child_pid, relay.pid),
                                                      lambda: sequential(rig, em, name, n, c["warmup"]))
                for name in MEMORY_SIZE_BODIES:
                    d["throughput"].append(throughput(rig, group, em, relay.pid, 1, {}, name, c))
            finally:
                em.stop()
            for conc in (k for k in MEMORY_SIZE_CONCURRENCY if k > 1):
                em = start_in_group(rig, group, relay_port, conc, MULTI_ENV, d)
                try:
                    d["throughput"].append(throughput(rig, group, em, relay.pid, conc, MULTI_ENV,
                                                      MEMORY_SIZE_BODIES[0], c))
                finally:
                    em.stop()
            d["cpu_stat_end"] = group.stat()
        finally:
            rig.procs.stop(relay)
    return d


def start_in_group(rig, group, relay_port, concurrency, env, d):
    """A tsproxy-local whose runtime (not tsproxy-local itself) is moved into the group once initialised."""
    em = rig.emulator(BOOTSTRAP, RELAY, concurrency=concurrency, env=env, relay_port=relay_port)
    em.start()
    try:
        em.wait_init()
        group.add(em.child_pid)
    except BaseException:
        em.stop()
        raise
    d["runtimes_in_group"].append({"concurrency": concurrency, "pid": em.child_pid,
                                   "in_group": group.holds(em.child_pid)})
    return em


def with_cpu(group, pids, run):
    """The run's result with the group's cpu.stat and each process's CPU seconds (runtime, relay) around it."""
    stat_before, cpu_before = group.stat(), [cpu_seconds(p) for p in pids]
    r = run()
    cpu_after, stat_after = [cpu_seconds(p) for p in pids], group.stat()
    r["cpu_stat"] = {"before": stat_before, "after": stat_after}
    r["cpu_s"] = {who: {"before": b, "after": a} for who, b, a in zip(("runtime", "relay"), cpu_before, cpu_after)}
    return r


def throughput(rig, group, em, relay_pid, conc, env, body, c):
    log(f"  throughput: concurrency {conc}, {body}")
    url = f"{em.url}/{body}"
    headers = rig.peers.routing_headers()
    if c["wrk_warm_secs"]:
        run_wrk(rig.work, url, conc, c["wrk_warm_secs"], headers)

    def run():
        before = rig.peers.nginx_counters()
        report = run_wrk(rig.work, url, conc, c["wrk_secs"], headers)
        return {"report": report, "nginx": {"before": before, "after": rig.peers.nginx_counters()}}

    em.poll_log()
    statuses, errors = dict(em.statuses), dict(em.errors)
    r = with_cpu(group, (em.child_pid, relay_pid), run)
    em.poll_log()
    return {"concurrency": conc, "env": env, "body": body,
            "wrk": {"threads": 1, "connections": conc, "seconds": c["wrk_secs"], "report": r["report"]},
            "nginx": r["nginx"], "cpu_stat": r["cpu_stat"], "cpu_s": r["cpu_s"],
            "non_200_by_status": since(statuses, em.statuses), "upstream_errors": since(errors, em.errors)}


def since(before, now):
    """The counts added since `before` (the emulator counts over its whole life)."""
    return {k: v - before.get(k, 0) for k, v in now.items() if v - before.get(k, 0)}
