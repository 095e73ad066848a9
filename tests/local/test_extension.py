#!/usr/bin/env python3
"""A tiny Lambda extension for tsproxy-local's tests: registers for INVOKE and SHUTDOWN and appends
every event it receives, one JSON object per line, to $TSPROXY_TEST_EXTENSION_LOG; exits on SHUTDOWN."""
import http.client
import json
import os
import sys

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
OUT = os.environ["TSPROXY_TEST_EXTENSION_LOG"]

conn = http.client.HTTPConnection(API)
conn.request("POST", "/2020-01-01/extension/register", body=json.dumps({"events": ["INVOKE", "SHUTDOWN"]}),
             headers={"Lambda-Extension-Name": os.path.basename(sys.argv[0])})
response = conn.getresponse()
response.read()
identifier = response.getheader("Lambda-Extension-Identifier")
while True:
    conn.request("GET", "/2020-01-01/extension/event/next", headers={"Lambda-Extension-Identifier": identifier})
    response = conn.getresponse()
    event = json.loads(response.read())
    with open(OUT, "a") as f:
        f.write(json.dumps(event) + "\n")
    if event.get("eventType") == "SHUTDOWN":
        sys.exit(0)
