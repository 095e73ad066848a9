#!/usr/bin/env python3
"""Signs generated requests with botocore's SigV4Auth and prints one JSON object per line.

The requests are what a caller could put on the wire: random methods; paths with UTF-8, reserved
characters, dot segments, repeated slashes and percent-escapes; query strings encoded the way AWS's SDKs
encode them, with repeated names, empty values and names without '='; headers with odd spacing; binary
bodies; long-term keys and session credentials. tests/aws/sigv4_crosscheck_test.cpp signs each one with
tsproxy's signer and expects botocore's Authorization header byte for byte.

usage: botocore_sign.py --count N --seed S
"""
import argparse
import base64
import datetime
import hashlib
import json
import random
import string
from unittest import mock
from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"]
SERVICES = ["lambda", "secretsmanager", "execute-api", "service"]
# Characters a path segment may hold, including ones every encoder treats differently.
SEGMENT_CHARS = string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@ %" + "é€ሴ😀/?#"
QUERY_CHARS = string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/? %" + "é€ሴ"
HEADER_VALUE_CHARS = string.ascii_letters + string.digits + "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


class RecordingSigV4(SigV4Auth):
    """SigV4Auth that keeps the canonical request it signed, to show where a mismatch starts."""

    def canonical_request(self, request):
        self.recorded = super().canonical_request(request)
        return self.recorded


def random_text(rng, alphabet, low, high):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))


def random_path(rng):
    segments = []
    for _ in range(rng.randint(0, 5)):
        roll = rng.random()
        if roll < 0.1:
            segments.append(rng.choice([".", "..", ""]))
            continue
        raw = random_text(rng, SEGMENT_CHARS, 1, 8)
        # Encoders differ in what they leave alone; the wire form is whatever the caller's encoder made.
        safe = rng.choice(["", "!$&'()*+,;=:@", "~", "-._~"])
        segments.append(quote(raw, safe=safe))
    path = "/" + "/".join(segments)
    if rng.random() < 0.2:
        path += "/"
    if rng.random() < 0.1:
        path = "/" + path
    return path


def random_query(rng):
    if rng.random() < 0.3:
        return ""
    names = [random_text(rng, QUERY_CHARS, 1, 6) for _ in range(rng.randint(1, 3))]
    pieces = []
    for _ in range(rng.randint(1, 6)):
        name = quote(rng.choice(names), safe="-_.~")
        roll = rng.random()
        if roll < 0.15:
            pieces.append(name)  # no '='
        elif roll < 0.3:
            pieces.append(name + "=")  # empty value
        else:
            pieces.append(name + "=" + quote(random_text(rng, QUERY_CHARS, 1, 10), safe="-_.~"))
    return "&".join(pieces)


def odd_spacing(rng, value):
    words = value.split(" ")
    spaced = ""
    for i, word in enumerate(words):
        if i:
            spaced += rng.choice([" ", "  ", "   ", "\t", " \t "])
        spaced += word
    return rng.choice(["", " ", "  ", "\t"]) + spaced + rng.choice(["", " ", "\t", "  "])


def random_headers(rng, host, body):
    headers = [("Host", host)]
    used = {"host"}
    for _ in range(rng.randint(0, 5)):
        name = rng.choice(["X-Custom-", "x-amz-meta-", "Content-", "X-"]) + random_text(
            rng, string.ascii_letters + string.digits + "-", 1, 8)
        if name.lower() in used or name.lower().startswith("content-length"):
            continue
        used.add(name.lower())
        words = [random_text(rng, HEADER_VALUE_CHARS, 0, 6) for _ in range(rng.randint(1, 4))]
        headers.append((name, odd_spacing(rng, " ".join(words))))
    if rng.random() < 0.3:
        headers.append(("Content-Type", rng.choice(["application/json", "application/octet-stream",
                                                    "text/plain; charset=utf-8"])))
    if rng.random() < 0.15:
        value = hashlib.sha256(body).hexdigest() if rng.random() < 0.5 else "UNSIGNED-PAYLOAD"
        headers.append(("X-Amz-Content-SHA256", value))
    rng.shuffle(headers)
    return headers


def random_credentials(rng):
    key = "AKIA" + random_text(rng, string.ascii_uppercase + string.digits, 16, 16)
    secret = random_text(rng, string.ascii_letters + string.digits + "/+", 40, 40)
    token = ""
    if rng.random() < 0.4:
        key = "ASIA" + key[4:]
        token = base64.b64encode(rng.randbytes(rng.randint(40, 300))).decode()
    return key, secret, token


def one_case(rng):
    method = rng.choice(METHODS)
    path = random_path(rng)
    query = random_query(rng)
    host = rng.choice(["example.amazonaws.com", "abc123.lambda-url.us-east-1.on.aws", "127.0.0.1:9000"])
    body = b"" if rng.random() < 0.3 else rng.randbytes(rng.randint(1, 300))
    headers = random_headers(rng, host, body)
    key, secret, token = random_credentials(rng)
    region = rng.choice(REGIONS)
    service = rng.choice(SERVICES)
    when = datetime.datetime(2015, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(
        seconds=rng.randint(0, 20 * 365 * 86400))

    url = "https://" + host + path + ("?" + query if query else "")
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    auth = RecordingSigV4(Credentials(key, secret, token or None), service, region)
    with mock.patch("botocore.auth.get_current_datetime", return_value=when.replace(tzinfo=None)):
        auth.add_auth(request)
    return {
        "method": method,
        "path": path,
        "query": query,
        "headers": headers,
        "body": base64.b64encode(body).decode(),
        "access_key_id": key,
        "secret_access_key": secret,
        "session_token": token,
        "region": region,
        "service": service,
        "amz_date": request.headers["X-Amz-Date"],
        "authorization": request.headers["Authorization"],
        "canonical_request": auth.recorded,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    for _ in range(args.count):
        print(json.dumps(one_case(rng), ensure_ascii=False))


if __name__ == "__main__":
    main()
