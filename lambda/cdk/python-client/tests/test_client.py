import http.client
import http.server
import threading
import unittest

from botocore.credentials import Credentials

from sigv4_check import signature_matches
from tsproxy_client import ProxyTarget, TailscaleProxyClient, region_from_url

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
        if route == "/echo":
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

    def test_region(self):
        self.assertEqual(region_from_url("https://abc.lambda-url.us-east-2.on.aws/"), "us-east-2")
        self.assertIsNone(region_from_url("http://127.0.0.1:9000"))


if __name__ == "__main__":
    unittest.main()
