import http.client
import http.server
import threading
import unittest

from botocore.credentials import Credentials

from sigv4_check import signature_matches
from tsproxy_client import DiagnoseRefused, ProxyTarget, TailscaleProxyClient, region_from_url

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
RECEIVED = []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _handle(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        RECEIVED.append((self.command, self.path, [(k.lower(), v) for k, v in self.headers.items()], body))
        route = self.path.split("?")[0]
        if self.headers.get("ts-diagnose") == "true":
            self._diagnose()
        elif route == "/echo":
            self.send_response(201)
            self.send_header("content-type", "application/octet-stream")
            self.send_header("set-cookie", "a=1")
            self.send_header("set-cookie", "b=2")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif route == "/proxy-error":
            payload = b'{"error":"TargetNotAllowed","message":"not in the allow-list"}'
            self.send_response(403)
            self.send_header("ts-error-name", "TargetNotAllowed")
            self.send_header("ts-error-message", "not in the allow-list")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        elif route in ("/stream", "/cut"):
            self.send_response(200)
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            for piece in (b"one,", b"two"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
            if route == "/stream":
                self.wfile.write(b"0\r\n\r\n")
            self.close_connection = True
        else:
            self.send_response(404)
            self.send_header("content-length", "0")
            self.end_headers()

    def _diagnose(self):
        """As tsproxy answers ts-diagnose: true (docs/PROTOCOLS.md 1.6): a diagnosis for the target on port
        8080, 403 DiagnoseNotAllowed for one on port 8081, and, for one on 8082, the target's own answer, as
        a tsproxy that predates ts-diagnose forwards the request."""
        port = self.headers.get("ts-target-port")
        if port == "8081":
            payload = b'{"error":"DiagnoseNotAllowed","message":"diagnosis is off for this caller"}'
            self.send_response(403)
            self.send_header("ts-error-name", "DiagnoseNotAllowed")
            self.send_header("ts-error-message", "diagnosis is off for this caller")
        elif port == "8082":
            payload = b"<html>the target</html>"
            self.send_response(200)
        else:
            payload = b'{"target":"http://100.64.0.5:8080","ping":{"result":"ok","verdict":"pong"},"result":"ok"}'
            self.send_response(200)
            self.send_header("ts-diagnose", "true")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _handle


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.url = f"http://127.0.0.1:{cls.server.server_address[1]}"

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def client(self, **kw):
        args = dict(region="eu-west-1", credentials=("AKIDEXAMPLE", SECRET), timeout=5)
        args.update(kw)
        return TailscaleProxyClient(self.url, ProxyTarget(ip="100.64.0.5", port=8080), **args)

    def test_post_binary_body_and_query_verifies(self):
        RECEIVED.clear()
        body = bytes((i * 7) & 0xFF for i in range(4096))
        resp = self.client().request("POST", "/echo", query={"q": "a b", "r": ["1", "2"]},
                                     headers={"content-type": "application/octet-stream"}, body=body)
        self.assertEqual(resp.status_code, 201)
        self.assertIsNone(resp.proxy_error)
        self.assertEqual(resp.body, body)
        self.assertEqual([v for k, v in resp.headers if k == "set-cookie"], ["a=1", "b=2"])
        method, path, headers, received = RECEIVED[0]
        self.assertEqual(path, "/echo?q=a%20b&r=1&r=2")
        self.assertEqual(received, body)
        self.assertTrue(signature_matches(method, path, headers, received, SECRET, "eu-west-1"))
        self.assertFalse(signature_matches(method, path, headers, received, "other", "eu-west-1"))
        self.assertFalse(signature_matches(method, path, headers, received + b"x", SECRET, "eu-west-1"))

    def test_session_token_credentials(self):
        RECEIVED.clear()
        self.client(credentials=Credentials("AKIDEXAMPLE", SECRET, "TOKEN")).request("GET", "/echo")
        method, path, headers, body = RECEIVED[0]
        self.assertIn(("x-amz-security-token", "TOKEN"), headers)
        self.assertTrue(signature_matches(method, path, headers, body, SECRET, "eu-west-1"))

    def test_proxy_error_told_from_target_response(self):
        p = self.client().request("GET", "/proxy-error")
        self.assertEqual((p.proxy_error.name, p.proxy_error.message, p.proxy_error.status_code),
                         ("TargetNotAllowed", "not in the allow-list", 403))
        self.assertEqual(p.json()["error"], "TargetNotAllowed")
        t = self.client().request("GET", "/nothing")
        self.assertEqual(t.status_code, 404)
        self.assertIsNone(t.proxy_error)

    def test_streamed_read_and_cut_stream(self):
        with self.client().stream("GET", "/stream") as s:
            self.assertEqual(s.status_code, 200)
            self.assertEqual(b"".join(s.iter_bytes(2)), b"one,two")
        with self.client().stream("GET", "/cut") as s:
            with self.assertRaises(http.client.IncompleteRead):
                b"".join(s.iter_bytes())

    def test_diagnose_sends_ts_diagnose_signed_and_returns_the_diagnosis(self):
        RECEIVED.clear()
        diagnosis = self.client().diagnose()
        self.assertEqual(diagnosis["ping"]["verdict"], "pong")
        self.assertEqual(diagnosis["result"], "ok")
        method, path, headers, body = RECEIVED[0]
        self.assertEqual((method, path), ("GET", "/"))
        self.assertIn(("ts-diagnose", "true"), headers)
        self.assertIn(("ts-target-ip", "100.64.0.5"), headers)
        self.assertIn("ts-diagnose", dict(headers)["authorization"], "ts-diagnose is signed")
        self.assertTrue(signature_matches(method, path, headers, body, SECRET, "eu-west-1"))
        RECEIVED.clear()
        self.client().request("GET", "/echo")
        self.assertNotIn("ts-diagnose", dict(RECEIVED[0][2]), "only diagnose() asks for a diagnosis")

    def test_diagnose_refused_or_not_understood_raises(self):
        with self.assertRaises(DiagnoseRefused) as refused:
            self.client().diagnose(ProxyTarget(ip="100.64.0.5", port=8081))
        self.assertEqual((refused.exception.error.name, refused.exception.status_code), ("DiagnoseNotAllowed", 403))
        with self.assertRaises(DiagnoseRefused) as forwarded:
            self.client().diagnose(ProxyTarget(ip="100.64.0.5", port=8082))
        self.assertIsNone(forwarded.exception.error)
        self.assertIn("does not know ts-diagnose", str(forwarded.exception))

    def test_region(self):
        self.assertEqual(region_from_url("https://abc.lambda-url.us-east-2.on.aws/"), "us-east-2")
        self.assertIsNone(region_from_url("http://127.0.0.1:9000"))


if __name__ == "__main__":
    unittest.main()
