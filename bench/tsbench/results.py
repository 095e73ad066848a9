"""results.json computed from samples.json alone: summaries of every measurement, then the Node/tsproxy ratios
and the targets."""

import math
import statistics

from . import own_cost_report
from .config import LABEL_OF, LAMBDA_PRICING, MIB, RELAY_NOTE
from .stats import cdf, get, kib_to_mib, ratio, summarize


def measured(s):
    """The values of a series that a measurement produced (null where it gave nothing)."""
    return [v for v in s["values"] if v is not None]


def upstream_delta(nginx):
    """What nginx accepted and served between two stub_status readings, less the second reading itself."""
    before, after = nginx["before"], nginx["after"]
    return {"connections": after["connections"] - before["connections"] - 1,
            "requests": after["requests"] - before["requests"] - 1}


def wrk_rate(report):
    return report["requests"] / (report["duration_us"] / 1e6) if report["duration_us"] else None


def direct_nginx(d):
    report = d["report"]
    p = report["percentiles_us"]
    return {"n": report["requests"], "p50": p["50"] / 1000, "p90": p["90"] / 1000, "p99": p["99"] / 1000,
            "max": report["latency_max_us"] / 1000, "errors": sum(report["errors"].values()), "tool": d["tool"]}


def fetch(report):
    lat, pool = report["latency_us"], report["pool"]
    return {"n": report["requests"], "failures": report["failures"], "last_status": report["last_status"],
            "p50": lat["p50"] / 1000.0, "p90": lat["p90"] / 1000.0, "p99": lat["p99"] / 1000.0,
            "max": lat["max"] / 1000.0, "pool_hits": pool["hits"] if pool else None,
            "connections_opened": pool["opened"] if pool else None}


def cold_start(s):
    statuses, bodies_ok = s["status"]["values"], s["body_ok"]["values"]
    return {"runs": len(statuses),
            "init_duration_ms": summarize(measured(s["init_duration_ms"])),
            "spawn_to_ready_ms": summarize(measured(s["spawn_to_ready_ms"])),
            "spawn_to_first_200_ms": summarize(measured(s["spawn_to_first_200_ms"])),
            "first_handoff_ms": summarize(measured(s["first_handoff_ms"])),
            "failures": sum(1 for status, ok in zip(statuses, bodies_ok) if status != 200 or not ok)}


def start_breakdown(s):
    """Each series of the start timeline runs summarized, per bootstrap (None where it reports nothing)."""
    return {system: {key: summarize(measured(values)) for key, values in by_key.items()} for system, by_key in s.items()}


def sequential(s, with_cdf=False):
    handoffs = measured(s["handoff_to_response_ms"])
    d = summarize(handoffs) or {}
    d.update({"errors": s["errors"], "client_roundtrip_ms": summarize(measured(s["client_roundtrip_ms"])),
              "upstream": upstream_delta(s["nginx"])})
    if with_cdf:
        d["cdf_ms"] = cdf(handoffs)
    return d


def per_request(s):
    return {system: {name: sequential(runs, with_cdf=name in ("100b", "10k")) for name, runs in by_size.items()}
            for system, by_size in s.items()}


def memory(s):
    out = {}
    for system, m in s.items():
        idle, after = m["idle_kib"] or {}, m["after_requests_kib"] or {}
        out[system] = {"idle_rss_mib": kib_to_mib(idle.get("VmRSS")), "peak_rss_mib": kib_to_mib(after.get("VmHWM")),
                       "rss_after_requests_mib": kib_to_mib(after.get("VmRSS"))}
    return out


def variants(s):
    io_uring = s["io_uring"]
    if "skipped" not in io_uring:
        backend = ("io_uring" if io_uring["runtime_exe"].endswith("bootstrap-uring")
                   else "epoll (io_uring refused: fell back)")
        io_uring = {"backend": backend, **{name: sequential(io_uring[name]) for name in ("100b", "10k")}}
    gaps = {}
    for key, g in s["idle_gap"].items():
        d = summarize(measured(g["handoff_to_response_ms"])) or {}
        d.update({"upstream": upstream_delta(g["nginx"]), "idle_timeout_ms": g["idle_timeout_ms"],
                  "gap_ms": g["gap_ms"]})
        gaps[key] = d
    return {"pool_off": {"100b": sequential(s["pool_off"]["100b"])}, "io_uring": io_uring, "idle_gap": gaps}


def prewarm(s):
    return {k: cold_start(v) for k, v in s.items()}


def cpu_ms_per_request(t, requests):
    """The runtime's user+system CPU time over the wrk run, per request (None in runs from before it was read)."""
    cpu = t.get("runtime_cpu_s") or {}
    if cpu.get("before") is None or cpu.get("after") is None or not requests:
        return None
    return round((cpu["after"] - cpu["before"]) * 1000.0 / requests, 4)


def throughput(rows):
    out = []
    for t in rows:
        w = t["wrk"]
        report = w["report"]
        p = report["percentiles_us"]
        out.append({"system": t["system"], "concurrency": t["concurrency"], "wrk_connections": w["connections"],
                    "wrk_threads": w["threads"], "seconds": w["seconds"], "body": t["body"],
                    "req_per_s": wrk_rate(report), "requests": report["requests"], "errors": report["errors"],
                    "errors_total": sum(report["errors"].values()),
                    "latency_ms": {"p50": p["50"] / 1000, "p90": p["90"] / 1000, "p99": p["99"] / 1000},
                    "upstream": upstream_delta(t["nginx"]), "non_200_by_status": t["non_200_by_status"],
                    "upstream_errors": t["upstream_errors"], "waited_for_port_space_s": t["waited_for_port_space_s"],
                    "peak_rss_mib": kib_to_mib((t["runtime_end_kib"] or {}).get("VmHWM")), "env": t["env"],
                    "cpu_ms_per_request": cpu_ms_per_request(t, report["requests"])})
    return out


def streaming(s):
    out = {"file": s["file"], "bytes": s["bytes"]}
    for system, d in s["by_system"].items():
        c = d["curl"]
        runs = []
        for code, size, ttfb, total in zip(c["http_code"]["values"], c["size_download"]["values"],
                                           c["time_starttransfer"]["values"], c["time_total"]["values"]):
            runs.append({"status": code, "bytes": size, "ttfb_ms": ttfb * 1000, "total_ms": total * 1000,
                         "mib_per_s": (size / MIB) / total if total > 0 and size else 0.0})
        end = d["runtime_end_kib"] or {}
        hwm = max(filter(None, [end.get("VmHWM"), d["sampled_peak_hwm_kib"]]), default=None)
        out[system] = {
            "runs": runs, "complete": all(r["status"] == 200 and r["bytes"] == s["bytes"] for r in runs),
            "status": runs[-1]["status"],
            "ttfb_ms_median": statistics.median([r["ttfb_ms"] for r in runs]),
            "total_ms_median": statistics.median([r["total_ms"] for r in runs]),
            "mib_per_s_median": statistics.median([r["mib_per_s"] for r in runs]),
            "idle_rss_mib": kib_to_mib((d["idle_kib"] or {}).get("VmRSS")),
            "peak_rss_mib": kib_to_mib(hwm), "runtime_alive_after": bool(end),
            "tsproxy_local_peak_rss_mib": kib_to_mib((d["tsproxy_local_end_kib"] or {}).get("VmHWM")),
        }
    return out


def micro(output, min_time):
    keep = ("name", "iterations", "real_time", "cpu_time", "time_unit", "bytes_per_second", "items_per_second")
    return {"context": {k: output["context"].get(k) for k in ("num_cpus", "mhz_per_cpu", "cpu_scaling_enabled",
                                                              "library_build_type")},
            "min_time": min_time,
            "benchmarks": [{k: b[k] for k in keep if k in b} for b in output["benchmarks"]]}


def ratios(relays):
    rows = []

    def add(key, relay, label, node, ts, target=None, unit="ms"):
        q = ratio(node, ts)
        rows.append({"key": key, "relay": relay, "metric": label, "unit": unit, "tsproxy": ts, "node": node,
                     "ratio": q, "target_ratio": target,
                     "pass": None if target is None else (q is not None and q >= target)})

    for relay, rr in relays.items():
        pr, mem, cs = rr["per_request"], rr["memory"], rr["cold_start"]
        add("cold_start_init", relay, "cold start: init (exec → first next), median",
            get(cs, "node", "init_duration_ms", "p50"), get(cs, "tsproxy", "init_duration_ms", "p50"), 50)
        add("cold_start_first_200", relay, "cold start: spawn → first 200, median",
            get(cs, "node", "spawn_to_first_200_ms", "p50"), get(cs, "tsproxy", "spawn_to_first_200_ms", "p50"))
        if "tsproxy-static" in cs:
            add("cold_start_init_static", relay, "cold start, static bootstrap: init (exec → first next), median",
                get(cs, "node", "init_duration_ms", "p50"), get(cs, "tsproxy-static", "init_duration_ms", "p50"), 50)
            add("cold_start_first_200_static", relay, "cold start, static bootstrap: spawn → first 200, median",
                get(cs, "node", "spawn_to_first_200_ms", "p50"),
                get(cs, "tsproxy-static", "spawn_to_first_200_ms", "p50"))
        for name in ("100b", "10k"):
            for p in ("p50", "p99"):
                add(f"per_request_{name}_{p}", relay, f"per-request overhead {LABEL_OF[name]} {p}",
                    get(pr, "node", name, p), get(pr, "tsproxy", name, p), 10)
        add("per_request_1m_p50", relay, "per-request overhead 1 MiB p50", get(pr, "node", "1m", "p50"),
            get(pr, "tsproxy", "1m", "p50"))
        add("idle_rss", relay, "idle RSS", get(mem, "node", "idle_rss_mib"), get(mem, "tsproxy", "idle_rss_mib"),
            unit="MiB")
        add("peak_rss", relay, "peak RSS after the per-request runs", get(mem, "node", "peak_rss_mib"),
            get(mem, "tsproxy", "peak_rss_mib"), unit="MiB")
    return rows


def above_floor(cs, key):
    """How much longer than the null bootstrap the static bootstrap takes, median against median (ms)."""
    static, null = get(cs, "tsproxy-static", key, "p50"), get(cs, "null", key, "p50")
    return None if static is None or null is None else round(static - null, 3)


def pipelined_target(relay, rr):
    """A 1 MiB buffered answer takes no longer than the slower of its two transfers (fetching it through the relay,
    handing its payload to the Runtime API) plus 10%: the two overlap instead of adding up."""
    tsproxy = get(rr, "per_request", "tsproxy", "1m", "p50")
    slower = max(get(rr, "baselines", "warm_socks5_pool", "1m", "p50") or 0.0, get(rr, "handover_floor", "p50") or 0.0)
    value = round(tsproxy / slower, 3) if tsproxy is not None and slower > 0 else None
    return {"relay": relay, "key": "buffered_1m_over_slower_transfer",
            "target": "1 MiB buffered p50 within 10% of max(relay fetch, Runtime API hand-over) (p50s)",
            "value": value, "unit": "×", "pass": value is not None and value <= 1.10}


def targets(relays, ratio_rows):
    out = []
    for row in ratio_rows:
        if row["target_ratio"] is not None:
            out.append({"relay": row["relay"], "key": row["key"],
                        "target": f"{row['metric']}: Node/tsproxy ≥ {row['target_ratio']}×",
                        "value": row["ratio"], "unit": "×", "pass": row["pass"]})
    for relay, rr in relays.items():
        if "null" in rr["cold_start"]:
            floor = above_floor(rr["cold_start"], "init_duration_ms")
            out.append({"relay": relay, "key": "cold_start_static_over_null",
                        "target": "static bootstrap init within 0.5 ms of the null bootstrap (medians)",
                        "value": floor, "unit": "ms", "pass": floor is not None and floor <= 0.5})
        if "handover_floor" in rr:
            out.append(pipelined_target(relay, rr))
        idle = get(rr, "memory", "tsproxy", "idle_rss_mib")
        out.append({"relay": relay, "key": "idle_rss", "target": "tsproxy idle RSS ≤ 8 MB (taken as 8 MiB)",
                    "value": idle, "unit": "MiB", "pass": idle is not None and idle <= 8.0})
        st = rr["streaming"]
        peak = get(st, "tsproxy", "peak_rss_mib")
        out.append({"relay": relay, "key": "stream_peak_rss",
                    "target": f"{LABEL_OF[st['file']]} streamed, tsproxy peak RSS ≤ 32 MB (32 MiB)",
                    "value": peak, "unit": "MiB",
                    "pass": peak is not None and peak <= 32.0 and bool(get(st, "tsproxy", "complete"))})
    return out


# --- Which memory size ---------------------------------------------------------------------------------------

def cost_per_million(memory_mb, billed_ms):
    """USD per million requests at each architecture's price: duration (GB-seconds, 1 GB = 1,024 MB) + requests."""
    if billed_ms is None:
        return None
    p = LAMBDA_PRICING
    gb_s = memory_mb / 1024.0 * billed_ms / 1000.0
    return {arch: round(1e6 * gb_s * price + p["usd_per_million_requests"], 4)
            for arch, price in p["usd_per_gb_second"].items()}


def billed_ms(handoffs):
    """Each invocation's duration rounded up to the billing granularity, averaged."""
    g = LAMBDA_PRICING["billing_granularity_ms"]
    return statistics.fmean(math.ceil(v / g) * g for v in handoffs) if handoffs else None


def group_cpu(d, requests):
    """Runtime + relay CPU ms per request, and the share of the quota periods in which the group was throttled."""
    cpu = d["cpu_s"]
    spent = [c["after"] - c["before"] for c in cpu.values() if c["before"] is not None and c["after"] is not None]
    before, after = d["cpu_stat"]["before"], d["cpu_stat"]["after"]
    periods = after["nr_periods"] - before["nr_periods"]
    return {"cpu_ms_per_request": round(sum(spent) * 1000.0 / requests, 4) if requests and spent else None,
            "throttled_periods": after["nr_throttled"] - before["nr_throttled"], "periods": periods,
            "throttled_share": round((after["nr_throttled"] - before["nr_throttled"]) / periods, 4) if periods else 0.0}


def memory_size(s):
    if "skipped" in s:
        return {"skipped": s["skipped"]}
    sizes = []
    for z in s["sizes"]:
        bodies = {}
        for name, r in z["per_request"].items():
            handoffs = measured(r["handoff_to_response_ms"])
            d = summarize(handoffs) or {}
            billed = billed_ms(handoffs)
            d.update({"errors": r["errors"], "upstream": upstream_delta(r["nginx"]), "mean_billed_ms": billed,
                      "cost_per_million_usd": cost_per_million(z["memory_mb"], billed),
                      **group_cpu(r, len(handoffs))})
            bodies[name] = d
        tput = []
        for t in z["throughput"]:
            report = t["wrk"]["report"]
            p = report["percentiles_us"]
            tput.append({"concurrency": t["concurrency"], "body": t["body"], "env": t["env"],
                         "seconds": t["wrk"]["seconds"], "req_per_s": wrk_rate(report), "requests": report["requests"],
                         "errors_total": sum(report["errors"].values()), "non_200_by_status": t["non_200_by_status"],
                         "upstream_errors": t["upstream_errors"], "upstream": upstream_delta(t["nginx"]),
                         "latency_ms": {"p50": p["50"] / 1000, "p99": p["99"] / 1000},
                         **group_cpu(t, report["requests"])})
        in_group = z["relay_in_group"] and all(r["in_group"] for r in z["runtimes_in_group"])
        sizes.append({"memory_mb": z["memory_mb"], "cpu_share": z["cpu_share"], "quota_us": z["quota_us"],
                      "limit_read_back": z["limit_read_back"], "runtime_and_relay_in_group": in_group,
                      "per_request": bodies, "throughput": tput})
    return {"cgroup": s["cgroup"], "mb_per_vcpu": s["mb_per_vcpu"], "relay": s["relay"], "bodies": s["bodies"],
            "parameters": s["parameters"], "pricing": LAMBDA_PRICING, "sizes": sizes}


def from_samples(samples, plot_files):
    run = samples["run"]
    relays = {}
    for relay, s in samples["relays"].items():
        relays[relay] = {"cold_start": {system: cold_start(v) for system, v in s["cold_start"].items()},
                         "baselines": {kind: {name: fetch(r) for name, r in by_size.items()}
                                       for kind, by_size in s["baselines"].items()},
                         "per_request": per_request(s["per_request"]), "memory": memory(s["memory"]),
                         "variants": variants(s["variants"]), "prewarm": prewarm(s["prewarm"]),
                         "throughput": throughput(s["throughput"]), "streaming": streaming(s["streaming"])}
        if "handover_floor" in s:
            relays[relay]["handover_floor"] = sequential(s["handover_floor"])
        if "own_cost" in s:
            relays[relay]["own_cost"] = own_cost_report.summary(s["own_cost"])
        if "start_breakdown" in s:
            relays[relay]["start_breakdown"] = start_breakdown(s["start_breakdown"])
    ratio_rows = ratios(relays)
    return {"mode": run["mode"], "date": run["date"], "loadavg_start": run["loadavg_start"], "machine": run["machine"],
            "parameters": run["parameters"], "relay_notes": {k: RELAY_NOTE[k] for k in samples["relays"]},
            "direct_nginx_keepalive": {name: direct_nginx(d) for name, d in samples["direct_nginx_keepalive"].items()},
            "relays": relays, "micro": micro(samples["micro"], run["parameters"]["micro_min_time"]),
            "loadavg_end": run["loadavg_end"], "wall_time_s": run["wall_time_s"], "ratios": ratio_rows,
            "targets": targets(relays, ratio_rows), "plots": list(plot_files),
            **({"memory_size": memory_size(samples["memory_size"])} if "memory_size" in samples else {})}
