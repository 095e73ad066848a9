#!/usr/bin/env python3
"""moto (an AWS emulator) on loopback with IAM enforced, holding one secret and the principals the
Secrets Manager tests sign with.

The server is started with INITIAL_NO_AUTH_ACTION_COUNT=0 (its environment must say so), so moto checks
the SigV4 signature and the IAM policies of every call. moto has no root credentials: every call must be
signed by the access key of an IAM user (or an assumed role) that exists inside moto. The bootstrap
therefore lifts the check for exactly three calls (POST /moto-api/reset-auth with "3", which lets the next
three calls through unauthenticated and counts them): CreateUser, PutUserPolicy and CreateAccessKey of an
`admin` user allowed everything. Every later call, setup included, is signed by admin and checked.

Principals written to the ready file:
  reader   IAM user whose policy allows secretsmanager:GetSecretValue (moto evaluates Secrets Manager
           actions against the resource "*", so a policy naming the secret's ARN would allow nothing there)
  nobody   IAM user allowed only secretsmanager:ListSecrets
  session  credentials (with a session token) of the role `reader-role` assumed by admin, whose policy
           allows GetSecretValue; moto checks the token against the session but not its expiry

usage: moto_secrets.py --ready-file PATH [--tls-cert CERT --tls-key KEY --ca CA]
The ready file (written once everything exists, renamed into place) has one "key value" line each:
port, secret_id, secret_value, reader_id, reader_secret, nobody_id, nobody_secret, session_id,
session_secret, session_token, session_expiration, and json_secret_id / json_secret_key: a second secret
holding {"authKey": "<json_secret_key>"}, the form the Tailscale extension reads.
"""
import argparse
import json
import os
import secrets
import sys
import urllib.request

if os.environ.get("INITIAL_NO_AUTH_ACTION_COUNT") != "0":
    sys.exit("moto_secrets.py: start me with INITIAL_NO_AUTH_ACTION_COUNT=0")

import boto3  # noqa: E402  (after the check: moto reads the variable when imported)
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "123456789012"
SECRET_ID = "tsproxy/tailscale-auth-key"
JSON_SECRET_ID = "tsproxy/tailscale-json"


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--ca")
    args = parser.parse_args()

    tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
    server = make_server("127.0.0.1", 0, DomainDispatcherApplication(create_backend_app), threaded=True,
                         ssl_context=tls)
    port = server.server_port
    endpoint = ("https://localhost:%d" if tls else "http://127.0.0.1:%d") % port
    import threading
    threading.Thread(target=server.serve_forever, daemon=True).start()

    # Exactly three calls pass unauthenticated; the fourth is checked again.
    context = None
    if tls:
        import ssl
        context = ssl.create_default_context(cafile=args.ca)
    reset = urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"3", method="POST",
                                   headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(reset, context=context).read()
    client_args = dict(endpoint_url=endpoint, region_name=REGION, verify=args.ca if tls else None)
    anonymous = boto3.client("iam", aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap",
                             **client_args)
    anonymous.create_user(UserName="admin")
    anonymous.put_user_policy(UserName="admin", PolicyName="everything", PolicyDocument=policy(allow("*")))
    admin_key = anonymous.create_access_key(UserName="admin")["AccessKey"]
    admin = dict(aws_access_key_id=admin_key["AccessKeyId"], aws_secret_access_key=admin_key["SecretAccessKey"],
                 **client_args)
    iam = boto3.client("iam", **admin)
    # From here on every call is checked: prove it before relying on it.
    try:
        anonymous.list_users()
        sys.exit("moto_secrets.py: an unsigned call got through; IAM is not enforced")
    except anonymous.exceptions.ClientError:
        pass

    # Characters that need escaping in JSON, and UTF-8, so the client's unescaping is exercised.
    value = "tskey-auth-" + secrets.token_urlsafe(24) + '"\\\u00e9'
    sm = boto3.client("secretsmanager", **admin)
    sm.create_secret(Name=SECRET_ID, SecretString=value)
    sm.create_secret(Name="tsproxy/other", SecretString="other-" + secrets.token_urlsafe(8))
    json_key = "tskey-auth-" + secrets.token_urlsafe(24)
    sm.create_secret(Name=JSON_SECRET_ID, SecretString=json.dumps({"authKey": json_key}))

    def user(name, statements):
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName=name + "-policy", PolicyDocument=policy(*statements))
        return iam.create_access_key(UserName=name)["AccessKey"]

    reader = user("reader", [allow("secretsmanager:GetSecretValue")])
    nobody = user("nobody", [allow("secretsmanager:ListSecrets")])

    iam.create_role(RoleName="reader-role", AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:user/admin" % ACCOUNT}, "Action": "sts:AssumeRole"}))
    iam.put_role_policy(RoleName="reader-role", PolicyName="read", PolicyDocument=policy(
        allow("secretsmanager:GetSecretValue")))
    session = boto3.client("sts", **admin).assume_role(
        RoleArn="arn:aws:iam::%s:role/reader-role" % ACCOUNT, RoleSessionName="tsproxy-test",
        DurationSeconds=900)["Credentials"]

    lines = {
        "port": port,
        "secret_id": SECRET_ID,
        "secret_value": value,
        "reader_id": reader["AccessKeyId"],
        "reader_secret": reader["SecretAccessKey"],
        "nobody_id": nobody["AccessKeyId"],
        "nobody_secret": nobody["SecretAccessKey"],
        "session_id": session["AccessKeyId"],
        "session_secret": session["SecretAccessKey"],
        "session_token": session["SessionToken"],
        "session_expiration": session["Expiration"].isoformat(),
        "json_secret_id": JSON_SECRET_ID,
        "json_secret_key": json_key,
    }
    temporary = args.ready_file + ".tmp"
    with open(temporary, "w", encoding="utf-8") as out:
        for key, item in lines.items():
            out.write("%s %s\n" % (key, item))
    os.rename(temporary, args.ready_file)
    print("moto_secrets: ready on %s" % endpoint, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
