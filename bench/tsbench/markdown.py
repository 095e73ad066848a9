"""results.md: the tables, computed from results.json's content."""

import os

from . import own_cost_report
from .config import COLD_START_SYSTEMS, LABEL_OF, MIB, PER_REQUEST_SIZES, SYSTEMS
from .results import above_floor
from .stats import get, ratio


# The rows of the start breakdown: a series of the start timeline runs and what it covers.
START_BREAKDOWN_ROWS = (
    ("spawn_to_main_ms", "spawn → main(): fork, exec, the binary's pages, static initialisation"),
    ("io_backend_ms", "io_uring probe (io_uring builds only)"),
    ("configuration_ms", "configuration read and checked"),
    ("runtime_built_ms", "event loop, pool and dial policy built"),
    ("threads_started_ms", "event-loop threads beyond the first"),
    ("first_next_ms", "event loop start → first `GET /next` written"),
    ("first_next_to_init_end_ms", "first `next` written → tsproxy-local ends init"),
    ("main_to_init_end_ms", "main() → init end"),
    ("init_duration_ms", "init (tsproxy-local's clock, as above)"),
    ("minor_faults_before_main", "minor page faults before main() (count)"),
    ("minor_faults_to_first_next", "minor page faults up to the first `next` (count)"),
)


def start_breakdown(res, relays):
    L = []
    for relay in relays:
        bd = res["relays"][relay].get("start_breakdown")
        if not bd:
            continue
        runs = get(bd, "tsproxy-static", "init_duration_ms", "n")
        L.append(f"Where the static bootstrap's start goes, through {relay} ({runs} runs each, at debug log level so "
                 "the bootstrap logs its start timeline once its first `next` is written; tsproxy-local stamps the "
                 "spawn and the end of init on the same monotonic clock). Medians and p90 in ms; the null "
                 "bootstrap only reports when main() was entered:\n")
        rows = [[label, fmt(get(bd, "tsproxy-static", key, "p50")), fmt(get(bd, "tsproxy-static", key, "p90")),
                 fmt(get(bd, "null", key, "p50")), fmt(get(bd, "null", key, "p90"))]
                for key, label in START_BREAKDOWN_ROWS]
        L.append(table(["phase", "static median", "static p90", "null median", "null p90"], rows))
    return L


def fmt(v, unit=""):
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}{unit}"
    a = abs(v)
    if a == 0:
        s = "0"
    elif a < 1:
        s = f"{v:.3f}"
    elif a < 100:
        s = f"{v:.2f}"
    else:
        s = f"{v:,.0f}"
    return s + unit


def fmt_ratio(v):
    return "—" if v is None else (f"{v:.2f}×" if v < 10 else f"{v:.1f}×" if v < 100 else f"{v:,.0f}×")


def pass_mark(p):
    return "—" if p is None else ("**PASS**" if p else "**FAIL**")


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out) + "\n"


def memory_size_section(ms):
    """Which memory size: latency, throughput and cost per million requests at each size's CPU share."""
    L = ["## Which memory size\n"]
    if "skipped" in ms:
        L.append(f"Not measured: {ms['skipped']}.\n")
        return L
    cg, pr, p = ms["cgroup"], ms["pricing"], ms["parameters"]
    L.append(f"Lambda gives a function CPU in proportion to its memory ({ms['mb_per_vcpu']:,} MB = one vCPU). The "
             f"runtime (`bootstrap`) and a {ms['relay']} of its own (standing in for tailscaled, which shares the "
             f"function's CPU) run in one control group limited to that share ({cg['cgroup']} "
             f"`{cg['interface']}`, period {cg['period_us'] / 1000:g} ms); tsproxy-local, nginx and the clients "
             "run outside it. Latency: tsproxy-local's `handoff_to_response_ms` (the stand-in for Lambda's "
             f"duration) of sequential keep-alive requests, {p['warmup']} warm-up requests excluded, concurrency 1. "
             f"`req/s c1`: `wrk -t1 -c1 -d {p['wrk_secs']}s` on the same function. Cost per million requests: the "
             "mean of the durations each rounded up to "
             f"{pr['billing_granularity_ms']} ms × memory × the {pr['region']} price per GB-second, plus "
             f"${pr['usd_per_million_requests']:.2f} per million requests ([{pr['source']}]({pr['source']}), read "
             f"{pr['read_on']}); arm64 applies its price to durations measured on this x86_64 machine.\n")
    rows = []
    for z in ms["sizes"]:
        c1 = {t["body"]: t for t in z["throughput"] if t["concurrency"] == 1}
        for name, d in z["per_request"].items():
            cost = d.get("cost_per_million_usd") or {}
            rows.append([f"{z['memory_mb']:,}", f"{z['cpu_share']:.3f}", LABEL_OF[name], fmt(d.get("n")),
                         fmt(d.get("p50")), fmt(d.get("p99")), fmt(get(c1, name, "req_per_s")),
                         fmt(d.get("mean_billed_ms")), fmt(cost.get("x86_64")), fmt(cost.get("arm64"))])
    L.append(table(["memory MB", "CPU share (vCPU)", "body", "n", "p50 ms", "p99 ms", "req/s c1", "mean billed ms",
                    "$ per million x86_64", "$ per million arm64"], rows))
    rows = []
    for z in ms["sizes"]:
        for t in z["throughput"]:
            rows.append([f"{z['memory_mb']:,}", t["concurrency"], LABEL_OF[t["body"]], fmt(t["req_per_s"]),
                         fmt(t["latency_ms"]["p50"]), fmt(t["latency_ms"]["p99"]), fmt(t["errors_total"]),
                         fmt(t["cpu_ms_per_request"]), fmt(t["throttled_share"])])
    L.append("Throughput through the Function URL (`wrk -t1 -c N`, `--max-concurrency N`; N > 1 with "
             "`TSPROXY_THREADS=1`). `CPU ms/req`: the runtime's and the relay's user + system time over the run, "
             "per request; `throttled`: the share of the group's CFS periods in which it ran out of quota.\n")
    L.append(table(["memory MB", "concurrency", "body", "req/s", "p50 ms", "p99 ms", "errors", "CPU ms/req",
                    "throttled"], rows))
    return L


def write_markdown(res, out_dir, plots):
    m = res["machine"]
    relays = list(res["relays"])
    p = res["parameters"]
    L = []
    L.append(f"# tsproxy benchmark — {res['date'][:10]} on `{m.get('hostname')}` ({res['mode']} run)\n")
    L.append("Produced by `bench/run" + (" --smoke" if res["mode"] == "smoke" else "") +
             "`; every number is in [results.json](results.json), every raw sample in [samples.json](samples.json). "
             f"Wall time {res['wall_time_s']:.0f} s.\n")
    L.append("## Machine\n")
    L.append(table(["", ""], [
        ["CPU", f"{m.get('cpu_model')} — {m.get('cpu_cores_usable')} usable cores"],
        ["memory", f"{m.get('memory_mib'):,} MiB"], ["kernel / distro", f"{m.get('kernel')} / {m.get('distro')}"],
        ["compiler / build", f"{m.get('compiler')} / {m.get('build_type')} (`{m.get('build_dir')}`)"],
        ["node / nginx", f"{m.get('node')} / {m.get('nginx')}"],
        ["SOCKS5 relays", f"{m.get('microsocks')}" + (f", {m.get('danted')}" if m.get("danted") else "")],
        ["wrk / curl", f"{m.get('wrk')} / {m.get('curl')}"],
        ["git commit", f"`{m.get('git_commit')}`"],
        ["load average at start / end", f"{res['loadavg_start'][0]:.2f} / {res['loadavg_end'][0]:.2f}"],
    ]))
    L.append("Everything (the client, tsproxy-local, the runtime, the SOCKS5 relay, nginx, wrk) shares these "
             "cores over loopback, so absolute numbers are not Lambda figures; the ratios are the point.\n")
    L.append("**Two SOCKS5 relays.** tailscaled's SOCKS5 listener is not available on loopback, so a relay "
             "stands in for it. The brief's relay is microsocks: it copies in 1 KiB read/write steps on "
             "sockets without TCP_NODELAY, so once a response needs more than one write, its last piece waits "
             "in the kernel (Nagle) for the ACK of the previous one, and a receiver that delays its ACK (Linux: "
             "up to 40 ms on a keep-alive connection in request/response rhythm) stalls the response ~40 ms. "
             "tsproxy's engine sets TCP_QUICKACK before each upstream read that continues an answer, so its warm pooled connections "
             "do not wait for that ACK. tailscaled (Go: TCP_NODELAY on by default, 32 KiB copies) does not "
             "hold data like this at all; every measurement that goes through a relay is run through both "
             "microsocks and danted, and both are reported.\n")

    L.append("## Headline: Node baseline / tsproxy\n")
    rows = []
    for r in res["ratios"]:
        u = " " + r["unit"]
        rows.append([r["metric"], r["relay"], fmt(r["tsproxy"], u), fmt(r["node"], u), fmt_ratio(r["ratio"]),
                     f"≥ {r['target_ratio']}×" if r["target_ratio"] else "—", pass_mark(r["pass"])])
    L.append(table(["metric", "relay", "tsproxy", "node", "node / tsproxy", "target", "pass/fail"], rows))
    L.append("### Targets\n")
    L.append(table(["target", "relay", "measured", "pass/fail"],
                   [[t["target"], t["relay"],
                     fmt(t["value"], " " + t["unit"]) if t["unit"] != "×" else fmt_ratio(t["value"]),
                     pass_mark(t["pass"])] for t in res["targets"]]))

    L.append("## Cold start\n")
    L.append("Each run spawns a fresh `tsproxy-local -- BOOTSTRAP`, reads its ready "
             "line and at once sends one GET of the 100 B file (tsproxy-local holds it until init ends). `init` "
             "is tsproxy-local's `init_duration_ms`: exec of the bootstrap → its first `GET /next`. `spawn → "
             "first 200` is the client's clock from starting tsproxy-local to the complete 200 response "
             "(emulator start-up + bootstrap exec + init + the first invocation, on a cold SOCKS5 connection). "
             "`first handoff` is that first invocation's handoff_to_response_ms. "
             f"{p['cold_runs']} runs per runtime and relay, after one discarded warm-up spawn (the page cache is "
             "warm; a real Lambda cold start also loads the package). Runtimes: `tsproxy` is the release "
             "build's bootstrap (dynamically linked, as the tests run it), `tsproxy-static` the deployable one "
             "from the `lambda-x86_64` preset (the bootstrap in the function zip), `null` a static C program "
             "that only answers the Runtime API with an empty 200 (the floor of any runtime under this "
             "emulator; its first 200 fetches nothing), `node` the Node.js design tsproxy replaces.\n")
    rows = []
    for relay in relays:
        cs = res["relays"][relay]["cold_start"]
        for system in [s for s, _ in COLD_START_SYSTEMS if s in cs]:
            for key, label in (("init_duration_ms", "init"), ("spawn_to_ready_ms", "spawn → ready line"),
                               ("spawn_to_first_200_ms", "spawn → first 200"),
                               ("first_handoff_ms", "first handoff")):
                s = cs[system][key] or {}
                rows.append([relay, system, label, fmt(s.get("p50")), fmt(s.get("p90")), fmt(s.get("max"))])
    L.append(table(["relay", "runtime", "ms", "median", "p90", "max"], rows))
    rows = []
    for relay in relays:
        cs = res["relays"][relay]["cold_start"]
        if "null" in cs and "tsproxy-static" in cs:
            rows.append([relay, fmt(above_floor(cs, "init_duration_ms")), fmt(above_floor(cs, "spawn_to_first_200_ms")),
                         fmt_ratio(ratio(get(cs, "node", "init_duration_ms", "p50"),
                                         get(cs, "tsproxy-static", "init_duration_ms", "p50")))])
    if rows:
        L.append("The static bootstrap against the floor (median minus the null bootstrap's median; the first 200 "
                 "also includes tsproxy's cold SOCKS5 connection and the upstream fetch) and against Node:\n")
        L.append(table(["relay", "init over null, ms", "first 200 over null, ms", "Node/static init"], rows))
    L.extend(start_breakdown(res, relays))
    rows = []
    for relay in relays:
        pw = res["relays"][relay]["prewarm"]
        for k, label in (("without", "no prewarm"), ("with", "`TSPROXY_PREWARM=127.0.0.1:<nginx port>`")):
            rows.append([relay, label, pw[k]["runs"], fmt(get(pw, k, "first_handoff_ms", "p50")),
                         fmt(get(pw, k, "first_handoff_ms", "max")), fmt(get(pw, k, "init_duration_ms", "p50"))])
    L.append("First request sent 100 ms after init (tsproxy), with and without prewarming:\n")
    L.append(table(["relay", "configuration", "runs", "first handoff median ms", "max ms", "init median ms"], rows))

    L.append("## Per-request overhead\n")
    L.append("tsproxy and node rows: tsproxy-local's `handoff_to_response_ms` (event written to the runtime's "
             "`next` → response POST complete: event parsing, the upstream exchange through SOCKS5, encoding "
             "and the POST), for sequential requests from one keep-alive client (Python `http.client`, "
             f"TCP_NODELAY), {p['warmup']} warm-up requests per size excluded, buffered mode, concurrency 1, a "
             "text body (valid UTF-8: tsproxy returns the 100 B and 10 KiB ones as a JSON string and hands 1 MiB "
             "over base64 while it arrives; the Node baseline base64s everything). Baselines from the same run: `wrk -t1 -c1` keep-alive straight to nginx, and "
             "`tsproxy-fetch` (the engine alone, no Lambda) through the relay with a fresh SOCKS5 connection "
             "per request (`TSPROXY_POOL=off`) and with its warm pool; for 1 MiB also the hand-over alone: the "
             "null bootstrap answering every invocation with a payload of that body's base64 size, nothing "
             "fetched. tsproxy hands a body of 64 KiB or more over while it arrives, base64, so its 1 MiB "
             "handoff is measured against the slower of the warm-pool fetch and the hand-over (Targets). "
             "`upstream conns`: connections nginx accepted during the measured requests.\n")
    rows = []
    for relay in relays:
        rr = res["relays"][relay]
        bl, pr = rr["baselines"], rr["per_request"]
        for name in PER_REQUEST_SIZES:
            series = [("nginx direct, keep-alive (wrk)", res["direct_nginx_keepalive"][name]),
                      ("fresh SOCKS5 per request (tsproxy-fetch, pool off)", bl["fresh_socks5_per_request"][name]),
                      ("warm SOCKS5 pool (tsproxy-fetch)", bl["warm_socks5_pool"][name]),
                      ("**tsproxy** handoff", pr["tsproxy"][name]), ("**node** handoff", pr["node"][name])]
            if name == "1m" and "handover_floor" in rr:
                series.insert(3, ("Runtime API hand-over alone (null bootstrap, the base64 payload)",
                                  rr["handover_floor"]))
            for label, d in series:
                up = get(d, "upstream", "connections")
                if up is None:
                    up = d.get("connections_opened")
                rows.append([relay, LABEL_OF[name], label, fmt(d.get("n")), fmt(d.get("p50")), fmt(d.get("p90")),
                             fmt(d.get("p99")), fmt(d.get("max")), fmt(up)])
    L.append(table(["relay", "body", "series", "n", "p50 ms", "p90 ms", "p99 ms", "max ms", "upstream conns"], rows))
    rows = []
    for relay in relays:
        pr = res["relays"][relay]["per_request"]
        for system, _ in SYSTEMS:
            for name in PER_REQUEST_SIZES:
                c = pr[system][name]["client_roundtrip_ms"] or {}
                rows.append([relay, system, LABEL_OF[name], fmt(c.get("p50")), fmt(c.get("p99")),
                             fmt(pr[system][name]["errors"])])
    L.append("Client-side round trip through the Function URL (Python client; informative):\n")
    L.append(table(["relay", "runtime", "body", "p50 ms", "p99 ms", "errors"], rows))

    L.append("## Variants (tsproxy): pool on/off, epoll/io_uring, pool idle timeout\n")
    rows = []
    for relay in relays:
        rr = res["relays"][relay]
        pr, v = rr["per_request"], rr["variants"]

        def row(label, body, d):
            rows.append([relay, label, body, fmt(d.get("n")), fmt(d.get("p50")), fmt(d.get("p90")), fmt(d.get("p99")),
                         fmt(get(d, "upstream", "connections"))])
        row("epoll (default), pool on", "100 B", pr["tsproxy"]["100b"])
        row("epoll, `TSPROXY_POOL=false`", "100 B", v["pool_off"]["100b"])
        if "skipped" not in v["io_uring"]:
            row(f"io_uring build (ran: {v['io_uring']['backend']})", "100 B", v["io_uring"]["100b"])
            row("epoll (default), pool on", "10 KiB", pr["tsproxy"]["10k"])
            row(f"io_uring build (ran: {v['io_uring']['backend']})", "10 KiB", v["io_uring"]["10k"])
        for d in v["idle_gap"].values():
            row(f"{d['gap_ms']} ms idle before each request, `TSPROXY_POOL_IDLE_TIMEOUT_MS={d['idle_timeout_ms']}`",
                "100 B", d)
    L.append(table(["relay", "configuration", "body", "n", "p50 ms", "p90 ms", "p99 ms", "upstream conns"], rows))

    L.append("## Throughput\n")
    L.append(f"`wrk -t1 -c N -d {p['wrk_secs']}s` against the Function URL (100 B body) with `--max-concurrency N` "
             f"(= `AWS_LAMBDA_MAX_CONCURRENCY`), after a {p['wrk_warm_secs']} s warm-up. The Node runtime serves "
             "one invocation at a time whatever N (like the AWS Node.js runtime); tsproxy-local queues the "
             "rest. `upstream conns` / `upstream reqs`: what nginx accepted and served meanwhile. Before each "
             "danted run (and before each relay's sequential phases) the harness waits, up to 75 s, until fewer "
             "than 8,000 sockets are in TIME_WAIT: connection churn (Node, pool off, a pool smaller than the "
             "concurrency) otherwise exhausts the ephemeral ports, and danted, which binds its outgoing sockets, "
             "then answers `network unreachable` (microsocks does not bind, and copes).\n")
    rows = []
    for relay in relays:
        for t in res["relays"][relay]["throughput"]:
            causes = ", ".join(f"{k} ×{v}" for k, v in (t.get("upstream_errors") or {}).items())
            rows.append([relay, t["system"], t["concurrency"], fmt(t["req_per_s"]), fmt(t["latency_ms"]["p50"]),
                         fmt(t["latency_ms"]["p99"]), fmt(t["errors_total"]) + (f" ({causes})" if causes else ""),
                         fmt(t["upstream"]["connections"]),
                         fmt(t["upstream"]["requests"]), fmt(t["peak_rss_mib"]), fmt(t.get("cpu_ms_per_request"))])
    L.append(table(["relay", "runtime", "concurrency", "req/s", "p50 ms", "p99 ms", "errors", "upstream conns",
                    "upstream reqs", "runtime peak RSS MiB", "runtime CPU ms/req"], rows))
    rows = []
    for relay in relays:
        for conc in (8, 64):
            for system, threads in (("tsproxy", 1), ("tsproxy 2 threads", 2)):
                t = [x for x in res["relays"][relay]["throughput"] if x["system"] == system and x["concurrency"] == conc]
                if not t:
                    continue
                cpu = t[0].get("cpu_ms_per_request")
                rows.append([relay, conc, threads, fmt(t[0]["req_per_s"]), fmt(cpu),
                             fmt(None if not cpu else round(1000.0 / cpu)), fmt(t[0]["latency_ms"]["p50"]),
                             fmt(t[0]["latency_ms"]["p99"])])
    if rows:
        L.append("Event-loop threads (`TSPROXY_THREADS`), 1 against 2. `runtime CPU ms/req` is the runtime's user + "
                 "system time (/proc/<pid>/stat, all threads) over the wrk run divided by the requests; its inverse "
                 "is what one vCPU could serve if the runtime had it to itself. On this 2-core machine the relay, "
                 "nginx, wrk and tsproxy-local share the same cores, so a second thread can add little throughput "
                 "here; the CPU per request is the number that carries over to a Managed Instances environment "
                 "with vCPUs to spare.\n")
        L.append(table(["relay", "concurrency", "threads", "req/s", "runtime CPU ms/req", "req/s per vCPU (from CPU)",
                        "p50 ms", "p99 ms"], rows))

    L.append("## Streaming\n")
    name = res["relays"][relays[0]]["streaming"]["file"]
    L.append(f"`--invoke-mode response_stream` (and `TSPROXY_INVOKE_MODE=response_stream`): GET of {LABEL_OF[name]} "
             f"with curl after one warm-up request ({p['stream_runs']} runs for tsproxy, medians); TTFB is curl's "
             "`time_starttransfer`; peak RSS is the runtime process's VmHWM (sampled every 10 ms and at the "
             "end). The Node baseline cannot stream: it buffers and base64s the whole body, and the emulator's "
             "6 MB buffered-response limit turns that into an error; its peak RSS is what buffering cost.\n")
    rows = []
    for relay in relays:
        st = res["relays"][relay]["streaming"]
        for system, _ in SYSTEMS:
            d = st[system]
            rows.append([relay, system, d["status"], fmt(d["complete"]), fmt(d["ttfb_ms_median"]),
                         fmt(d["total_ms_median"]), fmt(d["mib_per_s_median"]), fmt(d["idle_rss_mib"]),
                         fmt(d["peak_rss_mib"]), fmt(d["tsproxy_local_peak_rss_mib"])])
    L.append(table(["relay", "runtime", "status", "complete", "TTFB ms", "total ms", "MiB/s", "idle RSS MiB",
                    "peak RSS MiB", "tsproxy-local peak MiB"], rows))

    if "memory_size" in res:
        L.extend(memory_size_section(res["memory_size"]))

    L.append("## Memory\n")
    rows = []
    for relay in relays:
        mem = res["relays"][relay]["memory"]
        for system, _ in SYSTEMS:
            rows.append([relay, system, fmt(mem[system]["idle_rss_mib"]), fmt(mem[system]["peak_rss_mib"]),
                         fmt(mem[system]["rss_after_requests_mib"])])
    L.append(table(["relay", "runtime", "idle RSS MiB (after init, before any request)",
                    "peak RSS MiB (VmHWM after the per-request runs)", "RSS MiB after the runs"], rows))

    L.extend(own_cost_report.markdown(res, table))

    mi = res["micro"]
    L.append("## Microbenchmarks\n")
    L.append("`tsproxy_micro_bench` (Google Benchmark; library build type "
             f"{mi['context'].get('library_build_type')}" +
             (f", `--benchmark_min_time={mi['min_time']}`" if mi["min_time"] else "") + ").\n")
    rows = []
    for b in mi["benchmarks"]:
        bps = b.get("bytes_per_second")
        rows.append([f"`{b['name']}`", fmt(b["real_time"]) + " " + b["time_unit"],
                     fmt(b["cpu_time"]) + " " + b["time_unit"], fmt(bps / MIB) + " MiB/s" if bps else "—"])
    L.append(table(["benchmark", "real time", "CPU time", "throughput"], rows))

    L.append("## Plots\n")
    for title, fname in plots:
        L.append(f"### {title}\n\n![{title}]({fname})\n")
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write("\n".join(L))

