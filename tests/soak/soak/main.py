"""Command line and the order of a soak run: per concurrency, a fresh stack, a warm-up, then the rest of the
invocations in ten segments. After the warm-up and after every segment, once both runtimes are idle, their
memory is read as the load left it (the working set), then again in a canonical state (Stack.canonical_state)
together with their descriptors: growth is judged on those, which compare like with like. Exit status 0 only
when every check passed."""

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time

from . import report
from .procfs import open_fds, tcp_peers, vm_rss_kib
from .stack import Stack, SoakError
from .workload import Client, Tally, plan

# Growth of the runtime's resident memory from the end of the warm-up to the end of the run, at most.
RSS_GROWTH_LIMIT_KIB = 1000
SEGMENTS = 10


def parse_args(argv):
    p = argparse.ArgumentParser(prog="tests/soak/run", description=__doc__.splitlines()[0])
    p.add_argument("--build-dir", default="build/release", help="where tsproxy-local and bootstrap were built")
    p.add_argument("--local", help="tsproxy-local (default: in --build-dir)")
    p.add_argument("--bootstrap", help="the runtime (default: in --build-dir)")
    p.add_argument("--count", type=int, default=100_000, help="invocations per concurrency, warm-up included")
    p.add_argument("--warmup", type=int, default=2_000, help="the first invocations, before the baseline reading")
    p.add_argument("--concurrency", default="1,16", help="comma-separated AWS_LAMBDA_MAX_CONCURRENCY values")
    p.add_argument("--fault-every", type=int, default=50, help="every N-th invocation is a fault (0: none)")
    p.add_argument("--results", help="write the results as JSON here")
    p.add_argument("--markdown", help="write the results as a Markdown table here")
    p.add_argument("--keep-work", action="store_true", help="keep the logs of the processes")
    args = p.parse_args(argv)
    if args.warmup >= args.count:
        p.error("--warmup must be smaller than --count")
    return args


def binary(given, build_dir, *parts):
    path = given or os.path.join(build_dir, *parts)
    if not os.access(path, os.X_OK):
        raise SoakError(f"{path} is missing: build the release preset first")
    return path


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reading(stack, after, started):
    out = {"after": after, "elapsed_s": round(time.monotonic() - started, 3), "runtimes": {}}
    for mode, e in stack.emulators.items():
        peers = tcp_peers(e.runtime_pid)
        api_port = int(e.runtime_api.rsplit(":", 1)[1])
        out["runtimes"][mode] = {
            "vm_rss_kib": vm_rss_kib(e.runtime_pid),
            "fds": open_fds(e.runtime_pid),
            "upstream_connections": peers.get(stack.socks_port, 0),
            "runtime_api_connections": peers.get(api_port, 0),
            "cpu_s": cpu_seconds(e.runtime_pid),
        }
    return out


def run_segment(clients, tally, lo, hi, args, stack):
    lock = threading.Lock()
    counter = [lo]

    def work(client):
        while True:
            with lock:
                i = counter[0]
                counter[0] += 1
            if i >= hi:
                return
            client.send(plan(i, args.fault_every, stack.upstream_port, stack.refused_port), tally)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def soak(args, concurrency, build_dir, work):
    stack = Stack(work, binary(args.local, build_dir, "lambda", "local", "tsproxy-local"),
                  binary(args.bootstrap, build_dir, "lambda", "runtime", "bootstrap"), concurrency)
    try:
        pids = {mode: e.runtime_pid for mode, e in stack.emulators.items()}
        ports = {mode: e.port for mode, e in stack.emulators.items()}
        clients = [Client(ports) for _ in range(concurrency)]
        tally = Tally()
        started = time.monotonic()
        bounds = [0, args.warmup] + [args.warmup + (args.count - args.warmup) * (k + 1) // SEGMENTS
                                     for k in range(SEGMENTS)]
        readings = []
        scaffolding = 0  # the invocations that bring the runtimes to their canonical state, outside the count
        for lo, hi in zip(bounds, bounds[1:]):
            if hi > lo:
                run_segment(clients, tally, lo, hi, args, stack)
            stack.settle()
            working_set = reading(stack, hi, started)
            scaffolding += stack.canonical_state(f"reading-{hi}")
            stack.settle()
            readings.append(reading(stack, hi, started))
            readings[-1]["working_set"] = working_set["runtimes"]
            print(f"  concurrency {concurrency}: {hi} invocations, "
                  + ", ".join(f"{m} RSS {r['vm_rss_kib']} KiB fds {r['fds']}"
                              for m, r in readings[-1]["runtimes"].items()), file=sys.stderr, flush=True)
        wall = time.monotonic() - started
        for c in clients:
            c.close()
        alive = {mode: e.runtime_alive() and e.runtime_pid == pids[mode] for mode, e in stack.emulators.items()}
    finally:
        stack.stop()
    result = evaluate(args, concurrency, tally, readings, wall, alive)
    result["canonical_state_invocations"] = scaffolding
    return result


def evaluate(args, concurrency, tally, readings, wall, alive):
    faults = sum(1 for i in range(args.count) if args.fault_every and i % args.fault_every == args.fault_every - 1)
    warm, end = readings[0], readings[-1]
    checks = {
        "every ordinary invocation succeeded": tally.ok == args.count - faults and tally.unexpected_count == 0,
        "every injected fault got its documented answer": sum(tally.faults_as_documented.values()) == faults,
        "a fresh request id for each invocation": len(tally.request_ids) == args.count and tally.duplicate_ids == 0,
        "a fresh X-Ray trace id for each proxied invocation": len(tally.trace_ids) == tally.ok,
        "the runtimes are the processes they were": all(alive.values()),
    }
    runtimes = {}
    for mode in warm["runtimes"]:
        w, e = warm["runtimes"][mode], end["runtimes"][mode]
        growth = e["vm_rss_kib"] - w["vm_rss_kib"]
        runtimes[mode] = {
            "rss_after_warmup_kib": w["vm_rss_kib"], "rss_end_kib": e["vm_rss_kib"], "rss_growth_kib": growth,
            "rss_range_kib": [min(r["runtimes"][mode]["vm_rss_kib"] for r in readings),
                              max(r["runtimes"][mode]["vm_rss_kib"] for r in readings)],
            # As the load left it, each loop still keeping its last invocation's buffers.
            "working_set_rss_range_kib": [min(r["working_set"][mode]["vm_rss_kib"] for r in readings),
                                          max(r["working_set"][mode]["vm_rss_kib"] for r in readings)],
            "fds_after_warmup": w["fds"], "fds_end": e["fds"],
            "fds_range": [min(r["runtimes"][mode]["fds"] for r in readings),
                          max(r["runtimes"][mode]["fds"] for r in readings)],
            # The segments' own invocations only: from each canonical reading to the next working-set one.
            "cpu_ms_per_invocation_after_warmup":
                round(1000 * sum(b["working_set"][mode]["cpu_s"] - a["runtimes"][mode]["cpu_s"]
                                 for a, b in zip(readings, readings[1:])) / max(1, args.count - args.warmup), 4),
        }
        checks[f"{mode}: RSS growth after warm-up under {RSS_GROWTH_LIMIT_KIB} KiB"] = growth < RSS_GROWTH_LIMIT_KIB
        checks[f"{mode}: descriptors constant"] = e["fds"] == w["fds"]
    return {
        "concurrency": concurrency, "invocations": args.count, "warmup": args.warmup, "faults_injected": faults,
        "ok": tally.ok, "faults_as_documented": tally.faults_as_documented,
        "unexpected": tally.unexpected_count, "unexpected_examples": tally.unexpected,
        "wall_s": round(wall, 2), "invocations_per_s": round(args.count / wall, 1),
        "body_mib": round(tally.body_bytes / (1 << 20), 1),
        "runtimes": runtimes, "readings": readings, "checks": checks, "passed": all(checks.values()),
    }


def main(argv):
    args = parse_args(argv)
    build_dir = os.path.abspath(args.build_dir)
    results = []
    work = tempfile.mkdtemp(prefix="tsproxy-soak-")
    try:
        for c in [int(x) for x in args.concurrency.split(",")]:
            print(f"soak: {args.count} invocations at concurrency {c}", file=sys.stderr, flush=True)
            work_c = os.path.join(work, f"c{c}")
            os.makedirs(work_c)
            results.append(soak(args, c, build_dir, work_c))
    except SoakError as e:
        print(f"soak: {e}", file=sys.stderr)
        return 2
    finally:
        if args.keep_work:
            print(f"soak: logs kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    doc = {"format": "tsproxy-soak/1", "fault_every": args.fault_every, "results": results}
    if args.results:
        with open(args.results, "w") as f:
            json.dump(doc, f, indent=1)
    table = report.markdown(doc)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table)
    print(table)
    for r in results:
        for name, ok in r["checks"].items():
            if not ok:
                print(f"soak: FAILED at concurrency {r['concurrency']}: {name}", file=sys.stderr)
        for u in r["unexpected_examples"]:
            print(f"soak: unexpected at concurrency {r['concurrency']}: {u}", file=sys.stderr)
    return 0 if all(r["passed"] for r in results) else 1
