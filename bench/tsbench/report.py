"""A run's report (results.json, results.md, the plots) built from its samples document alone: a live run
builds it from the samples.json it has just written, --report-from from one written before."""

import json
import os

from . import results
from .markdown import write_markdown
from .plots import PLOTS, make_plots


def write_report(samples, out_dir, work):
    res = results.from_samples(samples, [fname for _, fname in PLOTS])
    make_plots(res, samples, out_dir, work)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(res, f, indent=1, ensure_ascii=False)
        f.write("\n")
    write_markdown(res, out_dir, PLOTS)
    return res
