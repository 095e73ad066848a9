"""The Google Benchmark micro suite (bench/micro): its JSON output as printed."""

import json
import subprocess

from ..config import BenchError
from ..log import log


def suite(rig):
    log("microbenchmarks")
    argv = [rig.bin["micro"], "--benchmark_format=json"]
    if rig.cfg["micro_min_time"]:
        argv.append(f"--benchmark_min_time={rig.cfg['micro_min_time']}")
    r = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise BenchError(f"micro bench failed: {r.stderr}")
    return json.loads(r.stdout)
