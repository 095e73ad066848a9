import datetime
import socket
import threading
import unittest
from unittest import mock

from botocore.credentials import RefreshableCredentials

from scripted_server import RESET_AFTER_READ, RESET_BEFORE_READ, ScriptedServer
from tsproxy_client import ProxyTarget, TailscaleProxyClient
from tsproxy_client.retry_policy import RetryPolicy, is_retryable_answer

THROTTLED = (429, [("x-amzn-ErrorType", "TooManyRequestsException")])
FRONT_END_502 = (502, [("content-type", "application/json")])
PROXY_502 = (502, [("ts-error-name", "Socks5TargetUnreachable"), ("ts-error-message", "unreachable")])


class RetriesTest(unittest.TestCase):
    def serve(self, *script):
        server = ScriptedServer(script)
        self.addCleanup(server.close)
        return server

    def client(self, server, **kw):
        args = dict(region="eu-west-1", credentials=("AKIDEXAMPLE", "secret"), timeout=5, max_attempts=3)
        args.update(kw)
        client = TailscaleProxyClient(server.url, ProxyTarget(ip="100.64.0.5", port=8080), **args)
        self.addCleanup(client.close)
        self.waits = []
        client.sleep = self.waits.append
        return client

    def test_get_reset_before_the_request_was_read_is_replayed(self):
        server = self.serve(RESET_BEFORE_READ, RESET_BEFORE_READ)
        self.assertEqual(self.client(server).request("GET", "/").status_code, 200)
        self.assertEqual((server.attempts, server.connections), (3, 3))

    def test_post_whose_bytes_were_written_is_not_replayed(self):
        for step in (RESET_BEFORE_READ, RESET_AFTER_READ):
            with self.subTest(step=step):
                server = self.serve(step, step)
                with self.assertRaises(OSError):
                    self.client(server).request("POST", "/", body=b"charge once")
                self.assertEqual(server.attempts, 1)

    def test_get_reset_after_the_request_was_read_is_replayed(self):
        server = self.serve(RESET_AFTER_READ)
        self.assertEqual(self.client(server).request("GET", "/").status_code, 200)
        self.assertEqual(server.attempts, 2)

    def test_post_that_never_connected_is_sent_again(self):
        # Bound but not listening: the connection is refused before a byte was written.
        closed_port = socket.socket()
        closed_port.bind(("127.0.0.1", 0))
        self.addCleanup(closed_port.close)
        client = self.client(mock.Mock(url=f"http://127.0.0.1:{closed_port.getsockname()[1]}"))
        with self.assertRaises(ConnectionRefusedError):
            client.request("POST", "/", body=b"x")
        self.assertEqual(len(self.waits), 2)

    def test_throttled_get_is_retried_until_answered(self):
        server = self.serve(THROTTLED)
        response = self.client(server).request("GET", "/")
        self.assertEqual((response.status_code, response.text()), (200, "ok"))
        self.assertEqual(server.attempts, 2)
        self.assertEqual(len(self.waits), 1)

    def test_throttled_post_is_returned(self):
        server = self.serve(THROTTLED)
        self.assertEqual(self.client(server).request("POST", "/", body=b"x").status_code, 429)
        self.assertEqual(server.attempts, 1)

    def test_front_end_5xx_is_retried_up_to_max_attempts(self):
        server = self.serve(FRONT_END_502, FRONT_END_502, FRONT_END_502, FRONT_END_502)
        self.assertEqual(self.client(server).request("GET", "/").status_code, 502)
        self.assertEqual(server.attempts, 3)
        server = self.serve(FRONT_END_502, FRONT_END_502)
        self.assertEqual(self.client(server, max_attempts=1).request("GET", "/").status_code, 502)
        self.assertEqual(server.attempts, 1)

    def test_tsproxy_answers_are_not_retried(self):
        server = self.serve(PROXY_502, (429, []))
        response = self.client(server).request("GET", "/")
        self.assertEqual(response.proxy_error.name, "Socks5TargetUnreachable")
        self.assertEqual(self.client(server).request("GET", "/").status_code, 429)  # not Lambda's throttling
        self.assertEqual(server.attempts, 2)

    def test_one_connection_for_sequential_calls_from_several_threads(self):
        server = self.serve()
        client = self.client(server)
        for _ in range(5):
            client.request("GET", "/")
            client.request("POST", "/", body=b"x")
        with client.stream("GET", "/") as s:
            self.assertEqual(b"".join(s.iter_bytes()), b"ok")
        for _ in range(3):
            t = threading.Thread(target=client.request, args=("PUT", "/"), kwargs={"body": b"y"})
            t.start()
            t.join(10)
        self.assertEqual((server.attempts, server.connections), (14, 1))

    def test_a_response_closed_early_closes_its_connection(self):
        server = self.serve()
        client = self.client(server)
        client.stream("GET", "/").close()
        client.request("GET", "/")
        self.assertEqual(server.connections, 2)

    def test_refreshable_credentials_are_refreshed_per_request(self):
        keys = iter(["AKID1", "AKID2", "AKID3"])

        def refresh():
            # Inside botocore's advisory window (15 min), outside its mandatory one: refreshed at every use.
            expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=12)
            return {"access_key": next(keys), "secret_key": "s", "token": None, "expiry_time": expiry.isoformat()}

        server = self.serve()
        client = self.client(server, credentials=RefreshableCredentials.create_from_metadata(refresh(), refresh, "test"))
        client.request("GET", "/")
        client.request("GET", "/")
        used = [dict(h)["authorization"].split("Credential=")[1].split("/")[0] for _, _, h in server.received]
        self.assertEqual(used, ["AKID2", "AKID3"])

    def test_one_botocore_session_per_client(self):
        server = self.serve()
        frozen = mock.Mock(access_key="AKID", secret_key="s", token=None)
        with mock.patch("botocore.session.Session") as session:
            session.return_value.get_credentials.return_value.get_frozen_credentials.return_value = frozen
            client = self.client(server, credentials=None)
            client.request("GET", "/")
            client.request("GET", "/")
        self.assertEqual(session.call_count, 1)
        self.assertEqual(session.return_value.get_credentials.call_count, 1)
        self.assertEqual(session.return_value.get_credentials.return_value.get_frozen_credentials.call_count, 2)


class RetryPolicyTest(unittest.TestCase):
    def test_full_jitter_bounds_double_up_to_the_cap(self):
        policy = RetryPolicy(max_attempts=6, base_delay=0.1, max_delay=0.5)
        upper = lambda low, high: high  # noqa: E731
        self.assertEqual([round(policy.delay(n, upper), 3) for n in range(1, 6)], [0.1, 0.2, 0.4, 0.5, 0.5])
        self.assertEqual(policy.delay(3, lambda low, high: low), 0.0)

    def test_retryable_answers(self):
        self.assertTrue(is_retryable_answer(429, [("x-amzn-errortype", "TooManyRequestsException")]))
        self.assertFalse(is_retryable_answer(429, []))
        self.assertTrue(is_retryable_answer(503, []))
        self.assertFalse(is_retryable_answer(504, [("ts-error-name", "RequestDeadline")]))
        self.assertFalse(is_retryable_answer(404, []))


if __name__ == "__main__":
    unittest.main()
