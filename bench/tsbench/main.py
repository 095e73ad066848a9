"""Command line: a live run (measure, save samples.json, report from it) or --report-from (report only)."""

import argparse
import datetime
import os
import re
import shutil
import signal
import socket
import sys
import tempfile

from . import live, samples
from .checks import missing_metrics
from .config import REPO, BenchError
from .log import log
from .markdown import fmt, fmt_ratio, pass_mark
from .plots import PLOTS
from .processes import find_tool
from .report import write_report
from .rig import Rig


def parse_args():
    ap = argparse.ArgumentParser(prog="bench/run", description="End-to-end benchmark of tsproxy against the "
                                 "Node.js baseline, in one run (see bench/README.md).")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--smoke", action="store_true", help="tiny sample counts; check that every metric is produced")
    mode.add_argument("--report-from", metavar="DIR",
                      help="measure nothing: rebuild results.json, results.md and the plots from DIR/samples.json "
                           "(into --out, default DIR itself)")
    ap.add_argument("--out", help="output directory (default: bench/results/<date>-<host>; smoke: a temp dir)")
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build", "release"),
                    help="CMake build directory with the binaries (default build/release)")
    ap.add_argument("--static-build-dir", default=os.path.join(REPO, "build", "lambda-x86_64"),
                    help="build directory of the static Lambda bootstrap measured in the cold start "
                         "(default build/lambda-x86_64)")
    ap.add_argument("--keep-work", action="store_true",
                    help="keep the temporary work directory (logs, configs, gnuplot scripts)")
    return ap.parse_args()


def default_out_dir(smoke):
    if smoke:
        return tempfile.mkdtemp(prefix="tsproxy-bench-smoke-")
    host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname() or "") or "local"
    return os.path.join(REPO, "bench", "results", f"{datetime.date.today().isoformat()}-{host}")


def measure_and_report(args, out_dir):
    rig = Rig(args.build_dir, args.static_build_dir, args.smoke)
    try:
        doc = live.measure(rig)
        os.makedirs(out_dir, exist_ok=True)
        samples.save(doc, out_dir)
        # Reported from the file just written, exactly as --report-from would.
        return write_report(samples.load(out_dir), out_dir, rig.work)
    except BenchError:
        if args.keep_work:
            print(f"bench/run: work dir kept: {rig.work}", file=sys.stderr)
        raise
    finally:
        rig.cleanup(args.keep_work)


def report_from(args, out_dir):
    if not find_tool("gnuplot"):
        print("bench/run: missing tool: gnuplot (toolchain/install-deps installs it)", file=sys.stderr)
        raise SystemExit(2)
    run_dir = os.path.abspath(args.report_from)
    doc = samples.load(run_dir)
    os.makedirs(out_dir, exist_ok=True)
    if out_dir != run_dir:
        shutil.copyfile(os.path.join(run_dir, samples.FILE_NAME), os.path.join(out_dir, samples.FILE_NAME))
    work = tempfile.mkdtemp(prefix="tsproxy-bench-report-")
    try:
        return write_report(doc, out_dir, work)
    finally:
        if args.keep_work:
            log(f"work dir kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main():
    args = parse_args()

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    if args.out:
        out_dir = os.path.abspath(args.out)
    elif args.report_from:
        out_dir = os.path.abspath(args.report_from)
    else:
        out_dir = default_out_dir(args.smoke)
    try:
        res = report_from(args, out_dir) if args.report_from else measure_and_report(args, out_dir)
    except BenchError as e:
        print(f"bench/run: {e}", file=sys.stderr)
        return 1

    missing, total = missing_metrics(res, out_dir, PLOTS)
    log(f"results in {out_dir} (wall time {res['wall_time_s']:.0f} s)")
    for row in res["ratios"]:
        log(f"  [{row['relay']}] {row['metric']}: tsproxy {fmt(row['tsproxy'])} node {fmt(row['node'])} "
            f"ratio {fmt_ratio(row['ratio'])} {pass_mark(row['pass'])}")
    for t in res["targets"]:
        if t["unit"] != "×":
            log(f"  [{t['relay']}] target {t['target']}: {fmt(t['value'])} {pass_mark(t['pass'])}")
    if missing:
        print(f"bench/run: {len(missing)} of {total} metrics missing or invalid:", file=sys.stderr)
        for m in missing:
            print(f"  - {m}", file=sys.stderr)
        return 1
    log(f"all {total} metrics produced")
    return 0
