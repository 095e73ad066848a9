"""samples.json: everything a run observed, from which results.json, results.md and the plots are computed.

A list of samples is {"unit": ..., "values": [...]} (values may be null where a measurement gave nothing); a
single reading carries its unit in its name (_ms, _s, _kib); the reports of wrk (µs), tsproxy-fetch (µs) and
Google Benchmark are kept as the tools print them, since they give no individual samples. "run" holds the
run's metadata: mode, date, machine and versions, parameters, load average, wall time.
"""

import json
import os

from .config import BenchError

FILE_NAME = "samples.json"
FORMAT = "tsproxy-bench-samples/1"


def series(unit, values):
    return {"unit": unit, "values": list(values)}


def save(doc, out_dir):
    path = os.path.join(out_dir, FILE_NAME)
    with open(path, "w") as f:
        json.dump({"format": FORMAT, **doc}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    return path


def load(run_dir):
    path = os.path.join(run_dir, FILE_NAME)
    if not os.path.isfile(path):
        raise BenchError(f"{path} does not exist: only a run of bench/run that saved its raw samples can be "
                           "rebuilt (results written before samples.json existed cannot)")
    with open(path) as f:
        doc = json.load(f)
    if doc.get("format") != FORMAT:
        raise BenchError(f"{path}: format {doc.get('format')!r}, this bench/run reads {FORMAT!r}")
    return doc
