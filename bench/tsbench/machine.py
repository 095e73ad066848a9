"""The description of the machine, the build and the tool versions a run measured with."""

import os
import platform
import re
import socket
import subprocess

from .config import REPO
from .processes import find_tool


def cmd_out(argv, stderr=False, cwd=None):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30, cwd=cwd)
    except (OSError, subprocess.SubprocessError):
        return ""
    return ((r.stderr if stderr else r.stdout) or "").strip()


def describe(build_dir, danted_bin, uring):
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info["cpu_cores_online"] = os.cpu_count()
    info["cpu_cores_usable"] = len(os.sched_getaffinity(0))
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    info["memory_mib"] = int(line.split()[1]) // 1024
    except OSError:
        pass
    info["kernel"] = platform.release()
    info["arch"] = platform.machine()
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    info["distro"] = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    compiler, build_type = "", ""
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_CXX_COMPILER:"):
                    compiler = (cmd_out([line.split("=", 1)[1].strip(), "--version"]).splitlines() or [""])[0]
                elif line.startswith("CMAKE_BUILD_TYPE:"):
                    build_type = line.split("=", 1)[1].strip()
    except OSError:
        pass
    info["compiler"] = compiler
    info["build_type"] = build_type
    info["build_dir"] = os.path.relpath(build_dir, REPO)
    info["node"] = cmd_out(["node", "--version"])
    info["nginx"] = cmd_out([find_tool("nginx"), "-v"], stderr=True)
    info["microsocks"] = "microsocks " + (cmd_out(["dpkg-query", "-W", "-f=${Version}", "microsocks"]) or "?")
    if danted_bin:
        v = re.search(r"v(\d+(?:\.\d+)+)", cmd_out([danted_bin, "-v"]) + cmd_out([danted_bin, "-v"], True))
        info["danted"] = "danted " + (v.group(1) if v else "?")
    info["wrk"] = " ".join((cmd_out(["wrk", "-v"]).splitlines() or [""])[0].split()[:2])
    info["curl"] = " ".join((cmd_out(["curl", "--version"]).splitlines() or [""])[0].split()[:2])
    info["python"] = platform.python_version()
    info["gnuplot"] = cmd_out(["gnuplot", "--version"])
    info["io_uring_build"] = uring
    commit = cmd_out(["git", "rev-parse", "HEAD"], cwd=REPO)
    dirty = cmd_out(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO)
    info["git_commit"] = (commit + ("-dirty" if dirty else "")) if commit else "unknown"
    info["hostname"] = socket.gethostname()
    return info
