"""Readings of the runtime from /proc: resident memory, open descriptors, and its TCP connections by peer port."""

import os


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def _socket_inodes(pid):
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def tcp_peers(pid):
    """{remote port: connections} over the process's TCP sockets (listeners count under port 0)."""
    inodes = _socket_inodes(pid)
    peers = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[9] in inodes:
                        port = int(fields[2].rsplit(":", 1)[1], 16)
                        peers[port] = peers.get(port, 0) + 1
        except OSError:
            pass
    return peers


def children_named(pid, name):
    """Child processes of `pid` whose command line names `name`."""
    found = []
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        return found
    for child in children:
        try:
            with open(f"/proc/{child}/cmdline", "rb") as f:
                argv0 = f.read().split(b"\0", 1)[0].decode(errors="replace")
        except OSError:
            continue
        if name in argv0:
            found.append(child)
    return found
