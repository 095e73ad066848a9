"""Paths, the generated files, the systems compared and the sample counts of a full and a smoke run."""

import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NODE_DIR = os.path.join(REPO, "bench", "baselines", "node-proxy")
BUILD_COMMAND = "cmake --preset release && cmake --build --preset release"
STATIC_BUILD_COMMAND = "cmake --preset lambda-x86_64 && cmake --build --preset lambda-x86_64"
LOOPBACK = "127.0.0.1"

# name in the docroot, size in bytes, label
FILES = [("100b", 100, "100 B"), ("10k", 10 * 1024, "10 KiB"), ("1m", 1024 * 1024, "1 MiB"),
         ("10m", 10 * 1024 * 1024, "10 MiB"), ("100m", 100 * 1024 * 1024, "100 MiB")]
SIZE_OF = {name: size for name, size, _ in FILES}
LABEL_OF = {name: label for name, _, label in FILES}
PER_REQUEST_SIZES = ["100b", "10k", "1m"]
# system name in the results, the key of its bootstrap in Rig.bin
SYSTEMS = (("tsproxy", "bootstrap"), ("node", "node-bootstrap"))
# Cold start also runs the deployable static bootstrap (the lambda-x86_64 tree) and the floor: a static C
# bootstrap that only answers the Runtime API with an empty 200 (baselines/null-bootstrap).
COLD_START_SYSTEMS = (("tsproxy", "bootstrap"), ("tsproxy-static", "bootstrap-static"), ("null", "null-bootstrap"),
                      ("node", "node-bootstrap"))
# What each runtime answers the cold-start request with: the 100 B file, except the null bootstrap's nothing.
NULL_SYSTEM = "null"
# The cold-start breakdown: the deployable bootstrap's start phase by phase, beside the null bootstrap's exec.
BREAKDOWN_SYSTEMS = (("tsproxy-static", "bootstrap-static"), ("null", "null-bootstrap"))
# The phases the bootstrap's start timeline reports after main() (lambda/runtime/start_timeline.hpp), in order.
START_PHASES = ("io_backend", "configuration", "runtime_built", "threads_started", "first_next")

FULL = dict(cold_runs=20, prewarm_runs=10, warmup=50, n_small=2000, n_1m=300, n_variant=500, direct_secs=3,
            wrk_secs=5, wrk_warm_secs=1, stream_file="100m", stream_runs=3, gap_samples=8, gap_ms=500,
            micro_min_time=None)
SMOKE = dict(cold_runs=3, prewarm_runs=2, warmup=3, n_small=20, n_1m=5, n_variant=20, direct_secs=1,
             wrk_secs=1, wrk_warm_secs=0, stream_file="10m", stream_runs=1, gap_samples=2, gap_ms=500,
             micro_min_time=0.01)

MIB = 1024.0 * 1024.0
WRK_PERCENTILES = list(range(1, 100)) + [99.5, 99.9]
CDF_PERCENTILES = list(range(1, 100)) + [99.5, 99.9]
RELAY_NOTE = {
    "microsocks": "microsocks 1.0.3: relays in 1 KiB read/write steps on sockets without TCP_NODELAY",
    "dante": "danted 1.4: relays larger chunks; no Nagle stall on loopback",
}


class BenchError(Exception):
    pass


# --- Which memory size (measure/memory_size.py) ---------------------------------------------------------------
# Lambda allocates CPU in proportion to memory; 1,769 MB is one full vCPU ("Configure Lambda function memory",
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
LAMBDA_MB_PER_VCPU = 1769
MEMORY_SIZES_MB = (128, 256, 512, 1024)
MEMORY_SIZE_BODIES = ("100b", "1m")  # per-request latency, throughput at concurrency 1 and cost: each body
MEMORY_SIZE_CONCURRENCY = (1, 8)  # 1: a standard Lambda environment; 8: the runtime's multi-concurrency (100 B)
MEMORY_SIZE_FULL = dict(warmup=20, n_small=1000, n_1m=150, wrk_secs=5, wrk_warm_secs=1)
MEMORY_SIZE_SMOKE = dict(warmup=2, n_small=10, n_1m=3, wrk_secs=1, wrk_warm_secs=0)
# Lambda prices, us-east-1, read 2026-12-07 from https://aws.amazon.com/lambda/pricing/ (first pricing tier).
# Duration is billed per GB-second (1 GB = 1,024 MB), rounded up to 1 ms.
LAMBDA_PRICING = {
    "source": "https://aws.amazon.com/lambda/pricing/",
    "read_on": "2026-12-07",
    "region": "us-east-1",
    "usd_per_gb_second": {"x86_64": 0.0000166667, "arm64": 0.0000133334},
    "usd_per_million_requests": 0.20,
    "billing_granularity_ms": 1,
}
