"""The own cost per request (measure/own_cost.py) in results.json, results.md and the completeness check: CPU µs
per request and system calls per invocation, by system and by system call."""

from .measure.own_cost import OWN_COST_SYSTEMS


def summary(s):
    """results.json's own_cost of one relay, from its samples."""
    out = {}
    for system, d in s.items():
        n = d["requests"]
        cpu = d["runtime_cpu_s"]
        cpu_us = None
        if n and cpu.get("before") is not None and cpu.get("after") is not None:
            cpu_us = round((cpu["after"] - cpu["before"]) * 1e6 / n, 2)
        switches = d.get("context_switches") or {}
        per_switch = None
        if n and switches.get("before") is not None and switches.get("after") is not None:
            per_switch = round((switches["after"] - switches["before"]) / n, 2)
        row = {"requests": n, "errors": d["errors"], "cpu_us_per_request": cpu_us,
               "context_switches_per_request": per_switch}
        st = d["strace"]
        if "skipped" in st:
            row["syscalls"] = {"skipped": st["skipped"]}
        else:
            per = {name: round(c["calls"] / st["requests"], 3) for name, c in st["syscalls"].items()}
            failed = {name: round(c["errors"] / st["requests"], 3) for name, c in st["syscalls"].items() if c["errors"]}
            row["syscalls"] = {"requests": st["requests"], "errors": st["errors"],
                               "per_invocation": dict(sorted(per.items(), key=lambda kv: (-kv[1], kv[0]))),
                               "failed_per_invocation": failed,
                               "total_per_invocation": round(sum(per.values()), 3)}
        out[system] = row
    return out


def _fmt(v, digits=1):
    return "—" if v is None else f"{v:.{digits}f}"


def markdown(res, table):
    """The results.md section (empty when the run has no own-cost measurement)."""
    relays = {relay: rr["own_cost"] for relay, rr in res.get("relays", {}).items() if "own_cost" in rr}
    if not relays:
        return []
    L = ["## Own cost per request\n",
         "What one keep-alive 100 B invocation costs the runtime process itself: user + system CPU time "
         "(/proc/PID/stat, over the timed series) and system calls by name (`strace -f -c` attached to the "
         "runtime over a second series, so its slowdown stays out of the CPU figure). The null bootstrap only "
         "answers the Runtime API: it is the floor.\n"]
    rows = []
    for relay, oc in relays.items():
        for system, d in oc.items():
            sc = d["syscalls"]
            rows.append([relay, system, f"{d['requests']:,}", _fmt(d["cpu_us_per_request"]),
                         _fmt(d.get("context_switches_per_request"), 2),
                         "skipped" if "skipped" in sc else _fmt(sc["total_per_invocation"]), d["errors"]])
    L.append(table(["relay", "system", "requests", "CPU µs / request", "context switches / request",
                    "syscalls / invocation", "errors"], rows))
    for relay, oc in relays.items():
        traced = {system: d["syscalls"] for system, d in oc.items() if "skipped" not in d["syscalls"]}
        if not traced:
            skipped = next(iter(oc.values()))["syscalls"]["skipped"]
            L.append(f"System calls through {relay}: not counted: {skipped}.\n")
            continue
        names = sorted({n for sc in traced.values() for n, calls in sc["per_invocation"].items() if calls >= 0.005},
                       key=lambda n: (-max(sc["per_invocation"].get(n, 0) for sc in traced.values()), n))
        rows = []
        for name in names:
            cells = []
            for sc in traced.values():
                calls = sc["per_invocation"].get(name)
                failed = sc["failed_per_invocation"].get(name)
                cells.append(_fmt(calls, 2) + (f" ({_fmt(failed, 2)} failed)" if failed else ""))
            rows.append([f"`{name}`"] + cells)
        rows.append(["**total**"] + [_fmt(sc["total_per_invocation"], 2) for sc in traced.values()])
        L.append(f"System calls per invocation through {relay} (calls rarer than once in 200 invocations, such as "
                 "a connection's set-up, are in results.json only):\n")
        L.append(table(["system call"] + list(traced), rows))
    return L


def missing(res):
    """(name, value) pairs for the completeness check: CPU per request and, unless strace was absent, the
    system call total of every system on every relay, and no failed request."""
    checks = []
    for relay, rr in res.get("relays", {}).items():
        oc = rr.get("own_cost", {})
        for system, _ in OWN_COST_SYSTEMS:
            pre = f"relays.{relay}.own_cost.{system}."
            d = oc.get(system, {})
            checks.append((pre + "cpu_us_per_request", d.get("cpu_us_per_request")))
            checks.append((pre + "context_switches_per_request", d.get("context_switches_per_request")))
            checks.append((pre + "errors==0", 0 if d.get("errors") == 0 else None))
            sc = d.get("syscalls", {})
            if "skipped" not in sc:
                checks.append((pre + "syscalls.total_per_invocation", sc.get("total_per_invocation")))
                checks.append((pre + "syscalls.errors==0", 0 if sc.get("errors") == 0 else None))
    return checks

