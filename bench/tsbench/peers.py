"""The peers tsproxy talks to, on free loopback ports: nginx serving generated files, and the SOCKS5 relays
(microsocks, danted) standing in for tailscaled's listener."""

import http.client
import os
import subprocess
import time

from .config import FILES, LOOPBACK, BenchError
from .processes import children_of, find_tool, free_port, kill_if_named, wait_for_port


class Peers:
    """Stopped with the rest of the harness's processes (Processes.stop_all); danted, whose workers may outlive
    it, by stop_dante."""

    def __init__(self, procs, work):
        self.procs = procs
        self.work = work
        self.docroot = os.path.join(work, "docroot")
        self.expected = {}  # file name -> body, for the files small enough to compare every response with
        self.relays = {}  # name -> port, in measuring order
        self.nginx_port = None
        self.danted = None

    def generate_files(self):
        os.makedirs(self.docroot)
        # Printable ASCII (a text API response): tsproxy returns valid UTF-8 as a plain JSON string.
        line = b"tsproxy benchmark body 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\n"
        chunk = (line * (1024 * 1024 // len(line) + 1))[:1024 * 1024]
        for name, size, _ in FILES:
            path = os.path.join(self.docroot, name)
            with open(path, "wb") as f:
                left = size
                while left > 0:
                    n = min(left, len(chunk))
                    f.write(chunk[:n])
                    left -= n
            if size <= 1024 * 1024:
                with open(path, "rb") as f:
                    self.expected[name] = f.read()

    def _start_with_retry(self, what, make_argv, log_path):
        # The port is free when chosen but may be taken before the server binds it: retry on another.
        for _ in range(5):
            port = free_port()
            p = self.procs.spawn(make_argv(port), stdout=subprocess.DEVNULL, stderr=open(log_path, "ab"))
            if wait_for_port(port, p):
                return p, port
            self.procs.stop(p)
        raise BenchError(f"{what} did not start (log: {log_path})")

    def start_microsocks(self):
        _, port = self.spawn_microsocks("microsocks.log")
        self.relays["microsocks"] = port

    def spawn_microsocks(self, log_name):
        """A microsocks of its own on a free port, not one of the shared relays: (process, port)."""
        return self._start_with_retry("microsocks", lambda port: ["microsocks", "-i", LOOPBACK, "-p", str(port)],
                                      os.path.join(self.work, log_name))

    def start_dante(self, danted):
        d = os.path.join(self.work, "dante")
        os.makedirs(d)

        def argv(port):
            conf = os.path.join(d, "danted.conf")
            with open(conf, "w") as f:
                f.write(f"logoutput: {d}/danted.log\ninternal: {LOOPBACK} port = {port}\nexternal: {LOOPBACK}\n"
                        "socksmethod: none\nclientmethod: none\n")
                # danted refuses to start as root without these (as tests/support/dante_server.cpp does).
                if os.geteuid() == 0:
                    f.write("user.privileged: root\nuser.unprivileged: root\n")
                f.write("client pass { from: 127.0.0.0/8 to: 0/0 log: error }\n"
                        "socks pass {\n  from: 0/0 to: 0.0.0.0/0\n  log: error\n  command: connect\n}\n")
            return [danted, "-f", conf, "-N", "1", "-p", os.path.join(d, "danted.pid")]

        self.danted, port = self._start_with_retry("danted", argv, os.path.join(d, "stderr.log"))
        self.relays["dante"] = port

    def stop_dante(self):
        if self.danted is None:
            return
        kids = children_of(self.danted.pid)
        self.procs.stop(self.danted)
        time.sleep(0.1)
        for k in kids:
            kill_if_named(k, "danted")
        self.danted = None

    def start_nginx(self):
        d = os.path.join(self.work, "nginx")
        os.makedirs(d)

        def argv(port):
            conf = os.path.join(d, "nginx.conf")
            with open(conf, "w") as f:
                f.write(f"""pid {d}/nginx.pid;
error_log {d}/error.log warn;
worker_processes 1;
events {{ worker_connections 4096; }}
http {{
  client_body_temp_path {d}/client_body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  server {{
    listen {LOOPBACK}:{port};
    root {self.docroot};
    location = /nginx_status {{ stub_status; }}
  }}
}}
""")
            return [find_tool("nginx"), "-p", d + "/", "-c", conf, "-e", os.path.join(d, "error.log"),
                    "-g", "daemon off; master_process off;"]

        _, self.nginx_port = self._start_with_retry("nginx", argv, os.path.join(d, "stderr.log"))

    def nginx_counters(self):
        """Accepted connections and requests from stub_status; this fetch itself adds one of each."""
        c = http.client.HTTPConnection(LOOPBACK, self.nginx_port, timeout=10)
        c.request("GET", "/nginx_status", headers={"Connection": "close"})
        text = c.getresponse().read().decode()
        c.close()
        nums = text.splitlines()[2].split()
        return {"connections": int(nums[0]), "requests": int(nums[2])}

    def routing_headers(self):
        return {"ts-target-ip": LOOPBACK, "ts-target-port": str(self.nginx_port)}

    def url(self, name):
        return f"http://{LOOPBACK}:{self.nginx_port}/{name}"
