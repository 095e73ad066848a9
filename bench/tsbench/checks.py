"""The completeness check of a run: every metric present and finite, every output file written. It never
looks at how good a number is."""

import math
import os

from . import own_cost_report, samples
from .config import (BREAKDOWN_SYSTEMS, COLD_START_SYSTEMS, MEMORY_SIZE_BODIES, MEMORY_SIZE_CONCURRENCY, MEMORY_SIZES_MB,
                     PER_REQUEST_SIZES, START_PHASES, SYSTEMS)
from .stats import get


def finite(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def memory_size_checks(res):
    """Every memory size measured with the runtime and its relay inside a group whose limit the kernel reads back
    as set; or a recorded reason why no group could be made (a skip, not a missing metric)."""
    ms = res.get("memory_size")
    if ms is None:
        return [("memory_size", None)]
    if "skipped" in ms:
        return [("memory_size.skipped: " + ms["skipped"], 1 if ms["skipped"] else None)]
    checks = []
    period = get(ms, "cgroup", "period_us")
    by_mb = {z["memory_mb"]: z for z in ms.get("sizes", [])}
    for mb in MEMORY_SIZES_MB:
        z = by_mb.get(mb, {})
        pre = f"memory_size.{mb}mb."
        checks.append((pre + "runtime_and_relay_in_group", 1 if z.get("runtime_and_relay_in_group") else None))
        checks.append((pre + "limit_read_back==quota/period",
                       1 if z and z["limit_read_back"] == [z["quota_us"], period] else None))
        for name in MEMORY_SIZE_BODIES:
            d = get(z, "per_request", name) or {}
            for k in ("p50", "p99", "mean_billed_ms"):
                checks.append((pre + f"per_request.{name}.{k}", d.get(k)))
            for arch in ("x86_64", "arm64"):
                checks.append((pre + f"per_request.{name}.cost_per_million_usd.{arch}",
                               get(d, "cost_per_million_usd", arch)))
            checks.append((pre + f"per_request.{name}.errors==0", 0 if d.get("errors") == 0 else None))
        want = [(1, name) for name in MEMORY_SIZE_BODIES] + [(c, MEMORY_SIZE_BODIES[0])
                                                              for c in MEMORY_SIZE_CONCURRENCY if c > 1]
        for conc, name in want:
            t = [x for x in z.get("throughput", []) if x["concurrency"] == conc and x["body"] == name]
            ok = t and t[0]["requests"] > 0 and t[0]["errors_total"] == 0 and not t[0]["non_200_by_status"]
            checks.append((pre + f"throughput.c{conc}.{name}.req_per_s (no errors)", t[0]["req_per_s"] if ok else None))
            # CFS accounting saw the group run: the processes measured were really inside it.
            checks.append((pre + f"throughput.c{conc}.{name}.cfs_periods>0", 1 if t and t[0]["periods"] > 0 else None))
    return checks


def missing_metrics(res, out_dir, plots):
    checks = memory_size_checks(res)
    for name in PER_REQUEST_SIZES:
        checks.append((f"direct_nginx_keepalive.{name}.p50", get(res, "direct_nginx_keepalive", name, "p50")))
    if "microsocks" not in res.get("relays", {}):
        checks.append(("relays.microsocks", None))
    for relay, rr in res.get("relays", {}).items():
        pre = f"relays.{relay}."
        for s, _ in COLD_START_SYSTEMS:
            for k in ("init_duration_ms", "spawn_to_first_200_ms", "first_handoff_ms"):
                for p in ("p50", "p90"):
                    checks.append((pre + f"cold_start.{s}.{k}.{p}", get(rr, "cold_start", s, k, p)))
            checks.append((pre + f"cold_start.{s}.failures==0",
                           0 if get(rr, "cold_start", s, "failures") == 0 else None))
        for s, _ in BREAKDOWN_SYSTEMS:
            checks.append((pre + f"start_breakdown.{s}.spawn_to_main_ms.p50",
                           get(rr, "start_breakdown", s, "spawn_to_main_ms", "p50")))
        for phase in START_PHASES:
            checks.append((pre + f"start_breakdown.tsproxy-static.{phase}_ms.p50",
                           get(rr, "start_breakdown", "tsproxy-static", f"{phase}_ms", "p50")))
        for w in ("with", "without"):
            checks.append((pre + f"prewarm.{w}.first_handoff.p50", get(rr, "prewarm", w, "first_handoff_ms", "p50")))
        for name in PER_REQUEST_SIZES:
            for s, _ in SYSTEMS:
                for p in ("p50", "p90", "p99"):
                    checks.append((pre + f"per_request.{s}.{name}.{p}", get(rr, "per_request", s, name, p)))
                checks.append((pre + f"per_request.{s}.{name}.errors==0",
                               0 if get(rr, "per_request", s, name, "errors") == 0 else None))
            if name == "1m":
                for p in ("p50", "p99"):
                    checks.append((pre + f"handover_floor.{p}", get(rr, "handover_floor", p)))
                checks.append((pre + "handover_floor.errors==0",
                               0 if get(rr, "handover_floor", "errors") == 0 else None))
            for b in ("fresh_socks5_per_request", "warm_socks5_pool"):
                for p in ("p50", "p99"):
                    checks.append((pre + f"baselines.{b}.{name}.{p}", get(rr, "baselines", b, name, p)))
                checks.append((pre + f"baselines.{b}.{name}.failures==0",
                               0 if get(rr, "baselines", b, name, "failures") == 0 else None))
        for s, _ in SYSTEMS:
            for k in ("idle_rss_mib", "peak_rss_mib"):
                checks.append((pre + f"memory.{s}.{k}", get(rr, "memory", s, k)))
        v = rr.get("variants", {})
        want = {("tsproxy", 1), ("tsproxy", 8), ("tsproxy", 64), ("node", 1), ("node", 8), ("node", 64),
                ("tsproxy pool off", 8), ("tsproxy max idle 64", 64), ("tsproxy 2 threads", 8),
                ("tsproxy 2 threads", 64)}
        if "skipped" not in v.get("io_uring", {"skipped": 1}):
            want.add(("tsproxy io_uring", 8))
            for name in ("100b", "10k"):
                for p in ("p50", "p99"):
                    checks.append((pre + f"variants.io_uring.{name}.{p}", get(v, "io_uring", name, p)))
        for s, c in sorted(want):
            t = [x for x in rr.get("throughput", []) if x["system"] == s and x["concurrency"] == c]
            ok = t and t[0]["requests"] > 0
            checks.append((pre + f"throughput.{s}.c{c}.req_per_s", t[0]["req_per_s"] if ok else None))
            if s in ("tsproxy", "tsproxy 2 threads") and c > 1:
                checks.append((pre + f"throughput.{s}.c{c}.cpu_ms_per_request",
                               t[0].get("cpu_ms_per_request") if ok else None))
        for p in ("p50", "p99"):
            checks.append((pre + f"variants.pool_off.100b.{p}", get(v, "pool_off", "100b", p)))
        for k in ("idle_timeout_250ms", "idle_timeout_4000ms"):
            checks.append((pre + f"variants.idle_gap.{k}.p50", get(v, "idle_gap", k, "p50")))
        for s, _ in SYSTEMS:
            for k in ("ttfb_ms_median", "peak_rss_mib"):
                checks.append((pre + f"streaming.{s}.{k}", get(rr, "streaming", s, k)))
        checks.append((pre + "streaming.tsproxy.complete", 1 if get(rr, "streaming", "tsproxy", "complete") else None))
    checks.append(("micro.benchmarks", len(get(res, "micro", "benchmarks") or []) or None))
    for r in res.get("ratios", []):
        checks.append((f"ratio.{r['relay']}.{r['key']}", r["ratio"]))
    for t in res.get("targets", []):
        checks.append((f"target.{t['relay']}.{t['key']}", t["value"]))
    for k in ("cpu_model", "kernel", "distro", "compiler", "node", "nginx", "git_commit"):
        checks.append((f"machine.{k}", 1 if get(res, "machine", k) else None))
    checks.extend(own_cost_report.missing(res))
    missing = [name for name, value in checks if not finite(value)]
    for fname in [samples.FILE_NAME, "results.json", "results.md"] + [p for _, p in plots]:
        path = os.path.join(out_dir, fname)
        if not os.path.isfile(path) or os.path.getsize(path) == 0:
            missing.append(f"file {fname}")
    return missing, len(checks)

