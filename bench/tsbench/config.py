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
