"""Network baselines without Lambda: keep-alive straight to nginx (wrk), and tsproxy's engine alone
(tsproxy-fetch) through a relay, with a fresh SOCKS5 connection per request and with its warm pool."""

from ..clients import run_fetch, run_wrk
from ..config import PER_REQUEST_SIZES
from ..emulator import child_env
from ..log import log


def direct_nginx(rig):
    log("baseline: keep-alive wrk -c1 straight to nginx")
    return {name: {"tool": "wrk -t1 -c1", "report": run_wrk(rig.work, rig.peers.url(name), 1, rig.cfg["direct_secs"])}
            for name in PER_REQUEST_SIZES}


def socks(rig, relay):
    log(f"[{relay}] baseline: tsproxy-fetch, fresh SOCKS5 connection per request and warm pool")
    c = rig.cfg
    out = {"fresh_socks5_per_request": {}, "warm_socks5_pool": {}}
    for name in PER_REQUEST_SIZES:
        n = c["n_1m"] if name == "1m" else c["n_small"]
        out["fresh_socks5_per_request"][name] = fetch(rig, relay, name, n, pool=False)
        out["warm_socks5_pool"][name] = fetch(rig, relay, name, min(n, c["n_variant"]), pool=True)
    return out


def fetch(rig, relay, name, count, pool):
    env = child_env(rig.peers.relays[relay], {"TSPROXY_POOL": "true" if pool else "off"})
    return run_fetch(rig.bin["tsproxy-fetch"], env, rig.peers.url(name), count)
