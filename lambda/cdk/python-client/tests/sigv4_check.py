"""Recomputes a received request's SigV4 signature with botocore, as a Function URL with AWS_IAM would
check it: the headers named in SignedHeaders, the path and query as received, the body's SHA-256.

As a module: signature_matches(...). As a script: reads JSON requests
[{"method", "path", "headers": [[name, value], ...], "body_b64", "secret_key", "region"}] on stdin and
prints a JSON list of booleans.
"""

import base64
import datetime
import hashlib
import json
import re
import sys

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_AUTH = re.compile(r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                   r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$")


class _At(SigV4Auth):
    def __init__(self, credentials, service, region, timestamp):
        super().__init__(credentials, service, region)
        self._timestamp = timestamp

    def add_auth(self, request):
        request.context["timestamp"] = self._timestamp
        self._modify_request_before_signing(request)
        canonical = self.canonical_request(request)
        request.headers["Authorization"] = self._expected(canonical, request)

    def _expected(self, canonical, request):
        string_to_sign = self.string_to_sign(request, canonical)
        return ("AWS4-HMAC-SHA256 Credential=" + self.scope(request) + ", SignedHeaders="
                + self.signed_headers(self.headers_to_sign(request)) + ", Signature="
                + self.signature(string_to_sign, request))


def signature_matches(method, path, headers, body, secret_key, region, service="lambda"):
    values = {}
    for name, value in headers:
        values.setdefault(name.lower(), []).append(value)
    auth = _AUTH.match(values.get("authorization", [""])[0])
    if not auth or auth.group(3) != region or auth.group(4) != service:
        return False
    signed = auth.group(5).split(";")
    if any(name not in values for name in signed):
        return False
    amz_date = values["x-amz-date"][0]
    datetime.datetime.strptime(amz_date, SIGV4_TIMESTAMP)
    # A signed x-amz-content-sha256 replaces the body's hash in the canonical request; a strict check also
    # holds it against the body received.
    claimed = values.get("x-amz-content-sha256")
    if claimed and claimed[0] != hashlib.sha256(body).hexdigest():
        return False
    kept = {name: ",".join(values[name]) for name in signed}
    request = AWSRequest(method=method, url=f"http://{kept['host']}{path}", data=body, headers=kept)
    token = kept.get("x-amz-security-token")
    _At(Credentials(auth.group(1), secret_key, token), service, region, amz_date).add_auth(request)
    return request.headers["Authorization"] == values["authorization"][0]


if __name__ == "__main__":
    out = []
    for r in json.load(sys.stdin):
        out.append(signature_matches(r["method"], r["path"], r["headers"], base64.b64decode(r["body_b64"]),
                                     r["secret_key"], r["region"]))
    print(json.dumps(out))
