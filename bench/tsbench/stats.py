"""Summaries of sample lists, and safe access to nested results."""

import math
import statistics

from .config import CDF_PERCENTILES


def percentile(values, p):
    """Nearest-rank percentile (the definition tsproxy-local's /local/stats uses)."""
    if not values:
        return None
    s = sorted(values)
    rank = math.ceil(p / 100.0 * len(s))
    return s[min(max(rank, 1), len(s)) - 1]


def summarize(values):
    if not values:
        return None
    return {"n": len(values), "min": min(values), "mean": statistics.fmean(values),
            "p50": percentile(values, 50), "p90": percentile(values, 90), "p99": percentile(values, 99),
            "max": max(values)}


def cdf(values):
    return {str(p): percentile(values, p) for p in CDF_PERCENTILES} if values else None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def get(d, *keys):
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def kib_to_mib(v):
    return None if v is None else v / 1024.0
