#!/usr/bin/env python3
"""A tiny Lambda extension for tsproxy-local's tests: registers for $TSPROXY_TEST_EXTENSION_EVENTS
(comma-separated, default INVOKE,SHUTDOWN) and appends every event it receives, one JSON object per
line, to $TSPROXY_TEST_EXTENSION_LOG; exits on SHUTDOWN. A refused registration is appended as
{"register_status": N, "answer": {...}} and ends it with exit code 1, as an extension that cannot
register ends."""
import http.client
import json
import os
import sys

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
OUT = os.environ["TSPROXY_TEST_EXTENSION_LOG"]

EVENTS = os.environ.get("TSPROXY_TEST_EXTENSION_EVENTS", "INVOKE,SHUTDOWN").split(",")

conn = http.client.HTTPConnection(API)
conn.request("POST", "/2020-01-01/extension/register", body=json.dumps({"events": EVENTS}),
             headers={"Lambda-Extension-Name": os.path.basename(sys.argv[0])})
response = conn.getresponse()
answer = response.read()
if response.status != 200:
    with open(OUT, "a") as f:
        f.write(json.dumps({"register_status": response.status, "answer": json.loads(answer)}) + "\n")
    sys.exit(1)
identifier = response.getheader("Lambda-Extension-Identifier")
while True:
    conn.request("GET", "/2020-01-01/extension/event/next", headers={"Lambda-Extension-Identifier": identifier})
    response = conn.getresponse()
    event = json.loads(response.read())
    with open(OUT, "a") as f:
        f.write(json.dumps(event) + "\n")
    if event.get("eventType") == "SHUTDOWN":
        sys.exit(0)
