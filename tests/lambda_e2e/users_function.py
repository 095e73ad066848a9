#!/usr/bin/env python3
"""A user's own function that reaches the tailnet through tsproxy's layer, as a team would write it:
Python's standard library only, a Runtime API loop and a handler that fetches with urllib, which takes
tailscaled's HTTP proxy from HTTP_PROXY/NO_PROXY (as TailscaleLambdaExtension.addToFunction sets them).

The handler fetches the URL named by the request's x-fetch header and answers 200 with the body it got
and its status in x-fetch-status, or 502 with the error."""
import http.client
import json
import os
import urllib.error
import urllib.request

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
BASE = "/2018-06-01/runtime"


def handler(event):
    url = event.get("headers", {}).get("x-fetch", "")
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return {"statusCode": 200, "headers": {"x-fetch-status": str(response.status)},
                    "body": response.read().decode()}
    except (urllib.error.URLError, OSError) as e:
        return {"statusCode": 502, "body": f"cannot fetch {url}: {e}"}


def main():
    conn = http.client.HTTPConnection(API)
    while True:
        conn.request("GET", f"{BASE}/invocation/next")
        response = conn.getresponse()
        event = json.loads(response.read())
        request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
        result = json.dumps(handler(event), separators=(",", ":")).encode()
        conn.request("POST", f"{BASE}/invocation/{request_id}/response", body=result)
        conn.getresponse().read()


if __name__ == "__main__":
    main()
