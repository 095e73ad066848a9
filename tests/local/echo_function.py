#!/usr/bin/env python3
"""A fake Lambda function for tsproxy-local's tests: a stdlib-only Runtime API loop.

By rawPath:
  /fail           posts /error (Lambda-Runtime-Function-Error-Type: Function.TestError)
  /sleep          sleeps past the deadline, then answers (too late)
  /slow           sleeps 1 s, then echoes
  /together?n=N&wait_ms=W
                  waits (up to W ms, default 30 s) until N invocations are inside the function at once,
                  then echoes; answers 504 if they never were (proves the emulator ran them concurrently)
  /custom         a structured result: 201, headers, two cookies, text body
  /binary-result  a structured result with a base64 body of all 256 byte values
  /plain          a result without statusCode ({"plain": true})
  /big?bytes=N    (streaming) N bytes of a repeating pattern, in 64 KiB pieces
  /stream-error   (streaming) some body, then error trailers
  anything else   echoes the event: buffered as the body of a 200 result, or streamed in pieces
                  when TSPROXY_INVOKE_MODE=response_stream
Environment: AWS_LAMBDA_MAX_CONCURRENCY=N runs N loops at once; TSPROXY_TEST_INIT_ERROR=1 posts
/init/error instead of serving, once an invocation is queued (asked at GET /local/stats); TSPROXY_TEST_GRANDCHILD_PID=path starts `sleep 300` and writes its pid.
"""
import base64
import http.client
import json
import os
import subprocess
import sys
import threading
import time

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
BASE = "/2018-06-01/runtime"
STREAMING = os.environ.get("TSPROXY_INVOKE_MODE") == "response_stream"
PRELUDE_TYPE = "application/vnd.awslambda.http-integration-response"


_barriers = {}
_barriers_lock = threading.Lock()


def barrier(parties):
    with _barriers_lock:
        return _barriers.setdefault(parties, threading.Barrier(parties))


def local_stats():
    conn = http.client.HTTPConnection(API)
    conn.request("GET", "/local/stats")
    stats = json.loads(conn.getresponse().read())
    conn.close()
    return stats


def log(*parts):
    print("echo_function:", *parts, file=sys.stderr, flush=True)


def post(conn, path, body, headers=None):
    conn.request("POST", path, body=body, headers=headers or {})
    response = conn.getresponse()
    response.read()
    return response.status


def post_streamed(conn, request_id, prelude, pieces, trailers=None):
    """Posts a streamed response: chunked body = prelude, 8 NULs, then the pieces; optional trailers."""
    conn.putrequest("POST", f"{BASE}/invocation/{request_id}/response", skip_accept_encoding=True)
    conn.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.putheader("Content-Type", PRELUDE_TYPE)
    if trailers:
        conn.putheader("Trailer", ", ".join(trailers))
    conn.endheaders()

    def chunk(data):
        if data:
            conn.send(b"%x\r\n" % len(data) + data + b"\r\n")

    chunk(json.dumps(prelude).encode() + b"\0" * 8)
    for piece in pieces:
        chunk(piece)
    end = b"0\r\n"
    for name, value in (trailers or {}).items():
        end += f"{name}: {value}\r\n".encode()
    conn.send(end + b"\r\n")
    response = conn.getresponse()
    response.read()
    return response.status


def big_pieces(total):
    pattern = bytes(range(256)) * 256  # 64 KiB
    sent = 0
    while sent < total:
        n = min(len(pattern), total - sent)
        yield pattern[:n]
        sent += n


def handle(conn, request_id, deadline_ms, event_bytes):
    event = json.loads(event_bytes)
    path = event.get("rawPath", "")
    query = event.get("queryStringParameters") or {}
    if path == "/fail":
        body = json.dumps({"errorMessage": "failed on purpose", "errorType": "TestError", "stackTrace": []})
        return post(conn, f"{BASE}/invocation/{request_id}/error", body,
                    {"Lambda-Runtime-Function-Error-Type": "Function.TestError", "Content-Type": "application/json"})
    if path == "/sleep":
        time.sleep(max(0.0, deadline_ms / 1000.0 - time.time()) + 0.5)
    if path == "/slow":
        time.sleep(1.0)
    if path == "/together":
        try:
            barrier(int(query.get("n", "2"))).wait(timeout=int(query.get("wait_ms", "30000")) / 1000)
        except threading.BrokenBarrierError:
            result = {"statusCode": 504, "body": "the invocations never ran together"}
            return post(conn, f"{BASE}/invocation/{request_id}/response", json.dumps(result))
    if path == "/custom":
        result = {"statusCode": 201, "headers": {"content-type": "text/plain", "x-test": "yes"},
                  "cookies": ["a=1; Path=/", "b=2; HttpOnly"], "body": "custom body", "isBase64Encoded": False}
        return post(conn, f"{BASE}/invocation/{request_id}/response", json.dumps(result))
    if path == "/binary-result":
        result = {"statusCode": 200, "headers": {"content-type": "application/octet-stream"},
                  "body": base64.b64encode(bytes(range(256))).decode(), "isBase64Encoded": True}
        return post(conn, f"{BASE}/invocation/{request_id}/response", json.dumps(result))
    if path == "/plain":
        return post(conn, f"{BASE}/invocation/{request_id}/response", json.dumps({"plain": True}))
    if STREAMING:
        prelude = {"statusCode": 200, "headers": {"content-type": "application/json", "x-streamed": "yes"},
                   "cookies": ["s=1", "t=2"]}
        if path == "/big":
            return post_streamed(conn, request_id, {"statusCode": 200, "headers": {"content-type": "application/octet-stream"}},
                                 big_pieces(int(query.get("bytes", "1048576"))))
        if path == "/stream-error":
            error = base64.b64encode(json.dumps({"errorMessage": "broke mid-stream", "errorType": "Boom"}).encode()).decode()
            return post_streamed(conn, request_id, prelude, [b"partial body " * 10],
                                 {"Lambda-Runtime-Function-Error-Type": "Function.Boom",
                                  "Lambda-Runtime-Function-Error-Body": error})

        def pieces():
            third = max(1, len(event_bytes) // 3)
            for i in range(0, len(event_bytes), third):
                yield event_bytes[i:i + third]
                time.sleep(0.02)
        return post_streamed(conn, request_id, prelude, pieces())
    result = {"statusCode": 200, "headers": {"content-type": "application/json"},
              "body": event_bytes.decode(), "isBase64Encoded": False}
    return post(conn, f"{BASE}/invocation/{request_id}/response", json.dumps(result))


def loop():
    conn = http.client.HTTPConnection(API)
    while True:
        conn.request("GET", f"{BASE}/invocation/next")
        response = conn.getresponse()
        event = response.read()
        request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
        deadline_ms = int(response.getheader("Lambda-Runtime-Deadline-Ms"))
        status = handle(conn, request_id, deadline_ms, event)
        if status != 202:
            log("result for", request_id, "answered", status)


def main():
    grandchild = os.environ.get("TSPROXY_TEST_GRANDCHILD_PID")
    if grandchild:
        child = subprocess.Popen(["sleep", "300"])
        with open(grandchild, "w") as f:
            f.write(str(child.pid))
    if os.environ.get("TSPROXY_TEST_INIT_ERROR") == "1":
        # Fails init only once the test's request is queued, so that request is the one to see it.
        deadline = time.monotonic() + 30
        while local_stats()["queued"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        conn = http.client.HTTPConnection(API)
        body = json.dumps({"errorMessage": "cannot start", "errorType": "Runtime.TestInitError", "stackTrace": []})
        post(conn, f"{BASE}/init/error", body, {"Lambda-Runtime-Function-Error-Type": "Runtime.TestInitError"})
        sys.exit(1)
    threads = [threading.Thread(target=loop, daemon=True)
               for _ in range(int(os.environ.get("AWS_LAMBDA_MAX_CONCURRENCY", "1")))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
