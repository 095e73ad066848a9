"""A CPU-limited control group standing in for a Lambda function's CPU share: cgroup v2 `cpu.max` where the cpu
controller is enabled for the children of the cgroup2 root, else the cgroup v1 cpu controller's CFS quota and
period. Chosen at run time; where neither is usable, `detect` says why and the caller records the reason.

A group holds the processes that share the function's CPU (the runtime and the relay standing in for tailscaled)
and is removed on leaving its `with` block, whatever happened inside: processes still in it go back to the parent
group first."""

import os
import time

# CFS bandwidth period of every group, in µs. Lambda does not publish its own. The one public description of its
# throttling speaks of a share of each 100 ms slice ("1/8th of a CPU ... 12.5 ms of CPU in a 100 ms time slice":
# github.com/pwrdrvr/lambda-dispatch issue 246), which is also the kernel's default period. A request that runs out
# of its quota waits for the next slice, so the period shapes the tail at small sizes (128 MB: 7.2 ms per 100 ms).
PERIOD_US = 100000
MIN_QUOTA_US = 1000  # the kernel refuses a smaller quota (v1 and v2 alike)
GROUP_PREFIX = "tsproxy-bench-"


def _mounts():
    with open("/proc/self/mounts") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 4:
                yield parts[1], parts[2], parts[3].split(",")


def _own_path(controller):
    """This process's group in the v1 hierarchy of the controller named, or in the v2 one (controller None)."""
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, names, path = line.rstrip("\n").split(":", 2)
            if (controller is None and names == "") or (controller is not None and controller in names.split(",")):
                return path
    return None


def _read(path):
    with open(path) as f:
        return f.read().strip()


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def quota_us(share, period_us=PERIOD_US):
    return round(period_us * share)


class Backend:
    """Where the groups are made (`base`) and how their limit is written: version 2 or 1."""

    def __init__(self, version, base, period_us=PERIOD_US):
        self.version = version
        self.base = base
        self.period_us = period_us

    def describe(self):
        return {"cgroup": f"v{self.version}", "interface": "cpu.max" if self.version == 2 else
                "cpu.cfs_quota_us/cpu.cfs_period_us", "base": self.base, "period_us": self.period_us}

    def group(self, tag, share):
        return Group(self, tag, share)


def _v2_base():
    for mount, fstype, _ in _mounts():
        if fstype != "cgroup2":
            continue
        try:
            enabled = _read(os.path.join(mount, "cgroup.subtree_control")).split()
        except OSError:
            return None, f"cgroup2 at {mount}: cgroup.subtree_control unreadable"
        if "cpu" not in enabled:
            return None, f"cgroup2 at {mount}: the cpu controller is not enabled for its children"
        if not os.access(mount, os.W_OK):
            return None, f"cgroup2 at {mount}: not writable"
        return mount, None
    return None, "no cgroup2 mount"


def _v1_base():
    for mount, fstype, options in _mounts():
        if fstype != "cgroup" or "cpu" not in options:
            continue
        own = _own_path("cpu") or "/"
        base = os.path.normpath(os.path.join(mount, own.lstrip("/")))
        if not os.path.isfile(os.path.join(base, "cpu.cfs_quota_us")):
            return None, f"cgroup v1 cpu at {base}: no cpu.cfs_quota_us (CFS bandwidth control not built in)"
        if not os.access(base, os.W_OK):
            return None, f"cgroup v1 cpu at {base}: not writable (not root?)"
        return base, None
    return None, "no cgroup v1 cpu hierarchy"


def detect():
    """(Backend, None) for the first usable interface, v2 first; (None, why neither is usable)."""
    base, why2 = _v2_base()
    if base:
        return Backend(2, base), None
    base, why1 = _v1_base()
    if base:
        return Backend(1, base), None
    return None, f"{why2}; {why1}"


def remove_stale(backend):
    """Removes empty groups left by an earlier run of this harness that was killed before its cleanup."""
    removed = []
    try:
        names = os.listdir(backend.base)
    except OSError:
        return removed
    for name in names:
        if not name.startswith(GROUP_PREFIX):
            continue
        owner = name[len(GROUP_PREFIX):].split("-", 1)[0]
        if owner.isdigit() and os.path.exists(f"/proc/{owner}"):
            continue  # a live run's group
        try:
            os.rmdir(os.path.join(backend.base, name))
            removed.append(name)
        except OSError:
            pass
    return removed


class Group:
    """One child group limited to `share` of a CPU. Use as a context manager: created on entry, removed on exit."""

    def __init__(self, backend, tag, share):
        self.backend = backend
        self.share = share
        self.quota_us = quota_us(share, backend.period_us)
        self.name = f"{GROUP_PREFIX}{os.getpid()}-{tag}"
        self.path = os.path.join(backend.base, self.name)
        self.pids = []

    def __enter__(self):
        if self.quota_us < MIN_QUOTA_US:
            raise OSError(f"quota {self.quota_us} µs below the kernel's minimum {MIN_QUOTA_US} µs: "
                          f"lengthen the period ({self.backend.period_us} µs)")
        os.mkdir(self.path)
        try:
            if self.backend.version == 2:
                _write(os.path.join(self.path, "cpu.max"), f"{self.quota_us} {self.backend.period_us}")
            else:
                _write(os.path.join(self.path, "cpu.cfs_period_us"), str(self.backend.period_us))
                _write(os.path.join(self.path, "cpu.cfs_quota_us"), str(self.quota_us))
        except OSError:
            self.remove()
            raise
        return self

    def __exit__(self, *exc):
        self.remove()
        return False

    def limit(self):
        """The limit as the kernel reads it back: (quota µs, period µs)."""
        if self.backend.version == 2:
            quota, period = _read(os.path.join(self.path, "cpu.max")).split()
            return int(quota), int(period)
        return (int(_read(os.path.join(self.path, "cpu.cfs_quota_us"))),
                int(_read(os.path.join(self.path, "cpu.cfs_period_us"))))

    def add(self, pid):
        """Moves a process (all its threads; threads and children it starts later stay in the group)."""
        _write(os.path.join(self.path, "cgroup.procs"), str(pid))
        self.pids.append(pid)

    def holds(self, pid):
        """Whether the kernel places the process in this group (/proc/<pid>/cgroup)."""
        want = "/" + self.name
        try:
            with open(f"/proc/{pid}/cgroup") as f:
                lines = f.read().splitlines()
        except OSError:
            return False
        for line in lines:
            _, names, path = line.split(":", 2)
            ours = names == "" if self.backend.version == 2 else "cpu" in names.split(",")
            if ours and path.endswith(want):
                return True
        return False

    def stat(self):
        """cpu.stat as the kernel gives it (v1: nr_periods, nr_throttled, throttled_time in ns; v2: usage_usec,
        nr_periods, nr_throttled, throttled_usec, ...)."""
        out = {}
        for line in _read(os.path.join(self.path, "cpu.stat")).splitlines():
            key, value = line.split()
            out[key] = int(value)
        return out

    def remove(self):
        """Moves whatever is still in the group to the parent, then removes the group (retried briefly: a process
        just killed may leave it a moment later)."""
        if not os.path.isdir(self.path):
            return
        parent_procs = os.path.join(self.backend.base, "cgroup.procs")
        for attempt in range(50):
            try:
                left = _read(os.path.join(self.path, "cgroup.procs")).split()
            except OSError:
                left = []
            for pid in left:
                try:
                    _write(parent_procs, pid)
                except OSError:
                    pass  # exited meanwhile
            try:
                os.rmdir(self.path)
                return
            except FileNotFoundError:
                return
            except OSError:
                if attempt == 49:
                    raise
                time.sleep(0.02)
