import datetime
import unittest

from botocore.credentials import Credentials

from sigv4_check import signature_matches
from tsproxy_client import ProxyMetric, ProxyTarget, RequestError, build_signed_request, encode_path, encode_query

NOW = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
URL = "https://abcdefg.lambda-url.eu-west-1.on.aws"
TARGET = ProxyTarget(ip="100.64.0.5", port=8080)


def build(**kw):
    args = dict(url=URL, region="eu-west-1", credentials=CREDS, target=TARGET, now=NOW)
    args.update(kw)
    return build_signed_request(**args)


class RequestBuilderTest(unittest.TestCase):
    def test_routing_and_signing_headers(self):
        r = build(metric=ProxyMetric("orders", "client", "a"))
        h = dict(r.headers)
        self.assertEqual(h["ts-target-ip"], "100.64.0.5")
        self.assertEqual(h["ts-target-port"], "8080")
        self.assertNotIn("ts-https", h)
        self.assertEqual(h["ts-metric-service"], "orders")
        self.assertEqual(h["ts-metric-dimension-name"], "client")
        self.assertEqual(h["ts-metric-dimension-value"], "a")
        self.assertEqual(h["host"], "abcdefg.lambda-url.eu-west-1.on.aws")
        self.assertEqual(h["x-amz-date"], "20240102T030405Z")
        self.assertNotIn("x-amz-content-sha256", h)
        self.assertTrue(h["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/eu-west-1/lambda/aws4_request, "))
        self.assertNotIn("content-type", h)
        self.assertNotIn("content-length", h)
        self.assertEqual((r.scheme, r.host, r.port, r.method, r.path), ("https", "abcdefg.lambda-url.eu-west-1.on.aws", 443, "GET", "/"))

    def test_target_host_and_https(self):
        h = dict(build(target=ProxyTarget(host="db.tailnet.ts.net", ip="100.64.0.9", port=443, https=False)).headers)
        self.assertEqual((h["ts-target-host"], h["ts-target-ip"], h["ts-https"]), ("db.tailnet.ts.net", "100.64.0.9", "false"))

    def test_target_headers_move_to_their_ts_names(self):
        h = build(headers={"Authorization": "Bearer t", "Host": "api.internal", "X-Amz-Date": "d",
                           "X-Amz-Content-Sha256": "s", "Accept": "text/plain"}).headers
        d = dict(h)
        self.assertEqual(d["ts-authorization"], "Bearer t")
        self.assertEqual(d["ts-host"], "api.internal")
        self.assertEqual(d["ts-x-amz-date"], "d")
        self.assertEqual(d["ts-x-amz-content-sha256"], "s")
        self.assertEqual(d["accept"], "text/plain")
        self.assertTrue(d["authorization"].startswith("AWS4-HMAC-SHA256"))
        self.assertEqual(d["host"], "abcdefg.lambda-url.eu-west-1.on.aws")

    def test_refused_headers(self):
        for headers, message in [
            ({"x-amz-security-token": "t"}, "never forwards"),
            ({"ts-target-ip": "1.2.3.4"}, "tsproxy's own header"),
            ({"x-a": "a\r\nb: c"}, "CR, LF or NUL"),
            ({"bad name": "x"}, "invalid header name"),
            ({"Authorization": "a", "ts-authorization": "b"}, "given twice"),
        ]:
            with self.assertRaisesRegex(RequestError, message):
                build(headers=headers)
        with self.assertRaisesRegex(RequestError, "ip or a host"):
            build(target=ProxyTarget(port=80))
        with self.assertRaisesRegex(RequestError, "not 1-65535"):
            build(target=ProxyTarget(ip="1.2.3.4", port=70000))
        with self.assertRaisesRegex(RequestError, "query is given too"):
            build(path="/a?b=1", query="c=2")

    def test_query_and_path_encoding(self):
        self.assertEqual(encode_query("b=2&a=x y&a=1+1&flag&e=%C3%BC"), "b=2&a=x%20y&a=1%2B1&flag&e=%C3%BC")
        self.assertEqual(encode_query({"z": "1", "a": ["2", "3"]}), "z=1&a=2&a=3")
        self.assertEqual(encode_query([("k", "v/w"), ("k", "")]), "k=v%2Fw&k=")
        self.assertEqual(encode_path("a b/ü#x;y"), "/a%20b/%C3%BC%23x;y")
        self.assertEqual(build(path="/p?b=2&a=1").path, "/p?b=2&a=1")

    def test_body_framing_and_hash(self):
        body = bytes(range(256))
        d = dict(build(method="post", body=body).headers)
        self.assertEqual(d["content-length"], "256")
        self.assertIn("content-length;", d["authorization"])
        self.assertEqual(dict(build(method="POST").headers)["content-length"], "0")

    def test_a_value(self):
        self.assertEqual(build(method="PUT", body="x"), build(method="PUT", body="x"))

    def test_signature_verifies_and_breaks_when_anything_changes(self):
        r = build(method="POST", path="/a b", query="x=1&y=%2F", headers={"X-Thing": "1"}, body=b"\x00\xff")
        args = (r.method, r.path, list(r.headers), r.body, CREDS.secret_key, "eu-west-1")
        self.assertTrue(signature_matches(*args))
        self.assertFalse(signature_matches(r.method, r.path, list(r.headers), b"\x00\xfe", CREDS.secret_key, "eu-west-1"))
        self.assertFalse(signature_matches(r.method, r.path + "&z=1", list(r.headers), r.body, CREDS.secret_key, "eu-west-1"))
        tampered = [(k, "2" if k == "x-thing" else v) for k, v in r.headers]
        self.assertFalse(signature_matches(r.method, r.path, tampered, r.body, CREDS.secret_key, "eu-west-1"))
        self.assertFalse(signature_matches(*args[:4], "wrong", "eu-west-1"))

    def test_session_token_is_sent_and_signed(self):
        r = build(credentials=Credentials("AKID", "SECRET", "TOKEN"))
        d = dict(r.headers)
        self.assertEqual(d["x-amz-security-token"], "TOKEN")
        self.assertIn("x-amz-security-token", d["authorization"])
        self.assertTrue(signature_matches(r.method, r.path, list(r.headers), r.body, "SECRET", "eu-west-1"))


if __name__ == "__main__":
    unittest.main()
