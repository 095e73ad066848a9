"""The PNG plots (gnuplot), from results.json's content and the raw samples."""

import os
import subprocess

from .config import LABEL_OF, PER_REQUEST_SIZES, BenchError

# (title, file) of every plot, in the order results.md shows them
PLOTS = [("Per-request latency percentiles", "latency_percentiles.png"),
         ("Per-request latency CDF", "latency_cdf.png"),
         ("Node / tsproxy ratios", "ratios.png"),
         ("Throughput", "throughput.png")]


def gnuplot_terminal():
    r = subprocess.run(["gnuplot", "-e", "set terminal pngcairo"], capture_output=True, text=True)
    if r.returncode == 0 and "unknown" not in (r.stderr or "").lower():
        return "pngcairo noenhanced font 'sans,10'"
    return "png noenhanced"


def run_gnuplot(script, work, name):
    path = os.path.join(work, name + ".gp")
    with open(path, "w") as f:
        f.write(script)
    r = subprocess.run(["gnuplot", path], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise BenchError(f"gnuplot {name}: {r.stderr}")


def make_plots(res, samples, out_dir, work):
    """Writes every plot of PLOTS to out_dir; gnuplot's data and scripts go to work."""
    term = gnuplot_terminal()
    relays = list(res["relays"])

    # 1. percentile bars: one panel per (relay, body size)
    panels = []
    for relay in relays:
        rr = res["relays"][relay]
        bl, pr = rr["baselines"], rr["per_request"]
        for name in PER_REQUEST_SIZES:
            dat = os.path.join(work, f"pct-{relay}-{name}.dat")
            with open(dat, "w") as f:
                for label, d in (("nginx direct", res["direct_nginx_keepalive"][name]),
                                 ("fresh SOCKS5", bl["fresh_socks5_per_request"][name]),
                                 ("warm SOCKS5 pool", bl["warm_socks5_pool"][name]),
                                 ("tsproxy", pr["tsproxy"][name]), ("node", pr["node"][name])):
                    f.write(f'"{label}" {d["p50"]} {d["p90"]} {d["p99"]}\n')
            panels.append(f"set title '{LABEL_OF[name]} body, relay {relay}'\n"
                          f"plot '{dat}' using 2:xtic(1) title 'p50' lc rgb '#4c72b0', '' using 3 title 'p90' "
                          f"lc rgb '#dd8452', '' using 4 title 'p99' lc rgb '#c44e52'\n")
    run_gnuplot(f"""set terminal {term} size 1500,{470 * len(relays) + 40}
set output '{os.path.join(out_dir, 'latency_percentiles.png')}'
set multiplot layout {len(relays)},3 title "Per-request latency (ms, log scale): tsproxy/node handoff_to_response vs network baselines"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set logscale y
set yrange [0.005:200]
set ylabel 'ms'
set grid ytics
set xtics rotate by -25 scale 0 font ',9'
set key top left font ',9'
{''.join(panels)}unset multiplot
""", work, "latency_percentiles")

    # 2. CDFs, one panel per relay
    panels = []
    colors = {"tsproxy": "#1f77b4", "node": "#d62728", "direct": "#2ca02c", "fresh": "#9467bd"}
    for relay in relays:
        lines = []
        for system in ("tsproxy", "node"):
            for name, dash in (("100b", 1), ("10k", 2)):
                handoffs = samples["relays"][relay]["per_request"][system][name]["handoff_to_response_ms"]
                vals = sorted(v for v in handoffs["values"] if v is not None)
                dat = os.path.join(work, f"cdf-{relay}-{system}-{name}.dat")
                with open(dat, "w") as f:
                    for i, v in enumerate(vals):
                        f.write(f"{v} {100.0 * (i + 1) / len(vals)}\n")
                lines.append(f"'{dat}' using 1:2 with lines lw 2 dt {dash} lc rgb '{colors[system]}' "
                             f"title '{system} {LABEL_OF[name]}'")
        for name, dash in (("100b", 1), ("10k", 2)):
            dat = os.path.join(work, f"cdf-direct-{name}.dat")
            with open(dat, "w") as f:
                wrk_percentiles = samples["direct_nginx_keepalive"][name]["report"]["percentiles_us"]
                for pc, v in sorted((float(k), us / 1000) for k, us in wrk_percentiles.items()):
                    f.write(f"{v} {pc}\n")
            lines.append(f"'{dat}' using 1:2 with lines lw 1.5 dt {dash} lc rgb '{colors['direct']}' "
                         f"title 'nginx direct {LABEL_OF[name]}'")
        dat = os.path.join(work, f"cdf-fresh-{relay}.dat")
        with open(dat, "w") as f:
            d = res["relays"][relay]["baselines"]["fresh_socks5_per_request"]["100b"]
            for pc in ("p50", "p90", "p99"):
                f.write(f"{d[pc]} {pc[1:]}\n")
        lines.append(f"'{dat}' using 1:2 with linespoints lw 1.5 pt 7 lc rgb '{colors['fresh']}' "
                     "title 'fresh SOCKS5 100 B (p50/p90/p99)'")
        panels.append(f"set title 'relay {relay}'\nplot " + ", ".join(lines) + "\n")
    run_gnuplot(f"""set terminal {term} size {700 * len(relays)},600
set output '{os.path.join(out_dir, 'latency_cdf.png')}'
set multiplot layout 1,{len(relays)} title "Per-request latency distribution (CDF): handoff_to_response of sequential keep-alive requests"
set logscale x
set xrange [0.005:200]
set xlabel 'latency, ms (log scale)'
set ylabel 'percentile'
set yrange [0:100]
set grid
set key bottom right font ',9'
{''.join(panels)}unset multiplot
""", work, "latency_cdf")

    # 3. ratios, one bar per relay per metric
    dat = os.path.join(work, "ratios.dat")
    metrics = []
    for r in res["ratios"]:
        if r["key"] not in metrics:
            metrics.append(r["key"])
    labels = {}
    with open(dat, "w") as f:
        for key in metrics:
            rs = [r for r in res["ratios"] if r["key"] == key]
            label = rs[0]["metric"].replace("per-request overhead ", "").replace("cold start: ", "cold ")
            label = label.replace(" (exec → first next), median", "").replace(", median", "")
            label = label.replace(" after the per-request runs", "").replace("→", "->")
            labels[key] = label
            vals = []
            for relay in relays:
                m = [r for r in rs if r["relay"] == relay]
                v = m[0]["ratio"] if m else None
                vals.append("NaN" if v is None else f"{v}")
            t = rs[0]["target_ratio"]
            f.write(f'"{label}" ' + " ".join(vals) + f' {t if t else "NaN"}\n')
    nrel = len(relays)
    using = []
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c"]
    width = 0.8 / nrel
    for i, relay in enumerate(relays):
        off = (i - (nrel - 1) / 2) * width
        using.append(f"'{dat}' using ($0+({off})):{i + 2}:({width * 0.95}) with boxes lc rgb '{palette[i]}' "
                     f"title 'node / tsproxy, relay {relay}'")
        using.append(f"'{dat}' using ($0+({off})):{i + 2}:(${i + 2} >= 10 ? sprintf('%.0f', ${i + 2}) : sprintf('%.2g', ${i + 2})) with labels offset 0,0.7 "
                     "font ',8' notitle")
    using.append(f"'{dat}' using 0:{nrel + 2}:xtic(1) with points pt 2 ps 2.5 lw 3 lc rgb '#d62728' title 'target'")
    run_gnuplot(f"""set terminal {term} size 1300,650
set output '{os.path.join(out_dir, 'ratios.png')}'
set title "Node baseline / tsproxy (above 1: tsproxy better); crosses mark the targets (50x cold start, 10x per request)"
set style fill solid 0.85 border -1
set logscale y
set yrange [0.01:1000]
set ytics ("0.01" 0.01, "0.1" 0.1, "1" 1, "10" 10, "50" 50, "100" 100, "1000" 1000)
set ylabel 'ratio (log scale)'
set grid ytics
set xtics rotate by -25 scale 0 font ',9'
set xrange [-0.6:{len(metrics) - 0.4}]
set arrow from -0.6,1 to {len(metrics) - 0.4},1 nohead lc rgb '#555555' dt 2
set key top right
plot {', '.join(using)}
""", work, "ratios")

    # 4. throughput
    lines = []
    styles = {"tsproxy": ("#1f77b4", 7), "node": ("#d62728", 5)}
    for i, relay in enumerate(relays):
        dash = 1 if i == 0 else 2
        for system in ("tsproxy", "node"):
            dat = os.path.join(work, f"tp-{relay}-{system}.dat")
            with open(dat, "w") as f:
                for t in res["relays"][relay]["throughput"]:
                    if t["system"] == system:
                        f.write(f"{t['concurrency']} {t['req_per_s']}\n")
            color, pt = styles[system]
            lines.append(f"'{dat}' using 1:2 with linespoints lw 2 dt {dash} pt {pt} lc rgb '{color}' "
                         f"title '{system}, relay {relay}'")
        dat = os.path.join(work, f"tp-{relay}-extra.dat")
        with open(dat, "w") as f:
            for t in res["relays"][relay]["throughput"]:
                if t["system"] not in ("tsproxy", "node"):
                    f.write(f'{t["concurrency"]} {t["req_per_s"]} "{t["system"].replace("tsproxy ", "")}"\n')
        lines.append(f"'{dat}' using 1:2 with points pt {4 + 2 * i} ps 1.5 lc rgb '#2ca02c' "
                     f"title 'tsproxy variants, relay {relay}'")
        lines.append(f"'{dat}' using 1:2:3 with labels left offset 1,0 font ',8' notitle")
    run_gnuplot(f"""set terminal {term} size 1100,650
set output '{os.path.join(out_dir, 'throughput.png')}'
set title "Throughput through the Function URL (wrk, 100 B body, connections = max concurrency)"
set logscale x 2
set xtics (1, 8, 64)
set xrange [0.7:128]
set logscale y
set xlabel 'AWS_LAMBDA_MAX_CONCURRENCY (wrk connections)'
set ylabel 'requests/s (log scale)'
set grid
set key below font ',9'
plot {', '.join(lines)}
""", work, "throughput")

