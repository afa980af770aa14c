"""Tiny HTTP servers on 127.0.0.1 for the retry tests: a scripted slurmrestd and a scripted EC2 query endpoint.

Each server runs in a thread on a free port, records every request it gets (so tests count them) and answers from a
script: a list of actions consumed one per request, the last one repeated. Actions:

- ``(status, body)``: an HTTP answer;
- ``"reset"``: close the connection with a TCP reset before answering (what a restarting proxy does);
- ``("hang", seconds)``: answer nothing for that long, then close (a client timeout).
"""
import os
import re
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "inventory")


def fixture_bytes(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


class RecordedEc2:
    """The EC2 bodies recorded from moto (tests/unit/fixtures/inventory/README.md)."""
    PAGE_1 = fixture_bytes("ec2_moto_describe_instances_paged_1.xml")
    PAGE_2 = fixture_bytes("ec2_moto_describe_instances_paged_2.xml")
    SINGLE = fixture_bytes("ec2_moto_describe_instances_page1.xml")
    TYPES = fixture_bytes("ec2_moto_describe_instance_types.xml")
    TOKEN = re.search(rb"<nextToken>([^<]+)</nextToken>", PAGE_1).group(1).decode()
    PAGES = {None: (200, PAGE_1), TOKEN: (200, PAGE_2)}  # DescribeInstances answers by NextToken
    CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture
def isolated_aws(monkeypatch, tmp_path):
    """Only the credentials a test gives: no profile, config file or instance metadata of this machine."""
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                 "AWS_ENDPOINT_URL_EC2", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


# The EC2 query API's throttling answer (HTTP 503), as documented in the EC2 API reference ("Error codes").
EC2_THROTTLED = (503, b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>RequestLimitExceeded</Code>'
                      b'<Message>Request limit exceeded.</Message></Error></Errors>'
                      b'<RequestID>5a8ab8a6-1f0e-4c57-9d6b-000000000000</RequestID></Response>')


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep pytest output clean
        pass

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        action = self.server.owner.record_and_pick(self.command, self.path, dict(self.headers), body)
        if action == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if isinstance(action, tuple) and action[0] == "hang":
            self.server.owner.stop_event.wait(action[1])
            self.close_connection = True
            return
        status, payload = action
        self.send_response(status)
        self.send_header("Content-Type", "text/xml" if payload.lstrip().startswith(b"<") else "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve

    def finish(self):
        try:
            super().finish()
        except OSError:  # the socket was reset on purpose
            pass


class ScriptedServer:
    """``answer(method, path, params)`` returns the action for one request; ``requests`` lists what came in."""

    def __init__(self, answer):
        self.answer = answer
        self.requests = []
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def record_and_pick(self, method, path, headers, body):
        parsed = urlparse(path)
        params = dict((k, v[0]) for k, v in parse_qs(body.decode("utf-8") if method == "POST" else parsed.query).items())
        with self.lock:
            self.requests.append({"method": method, "path": parsed.path, "params": params,
                                  "headers": dict((k.lower(), v) for k, v in headers.items())})
            return self.answer(method, parsed.path, params)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


class Script:
    """Actions consumed one per call; the last one is repeated."""

    def __init__(self, actions):
        self.actions = list(actions)

    def next(self):
        return self.actions.pop(0) if len(self.actions) > 1 else self.actions[0]


def slurmrestd(actions, version="v0.0.42"):
    """A slurmrestd that serves ``GET /slurm/<version>/nodes`` from ``actions`` and 404 for other versions."""
    script = Script(actions)

    def answer(method, path, params):
        if method == "GET" and path == "/slurm/%s/nodes" % version:
            return script.next()
        return 404, b"Unable find requested URL."
    return ScriptedServer(answer)


def ec2(scripts):
    """An EC2 query endpoint; ``scripts`` maps an Action to its actions. A DescribeInstances action may be a dict
    from NextToken (None for the first page) to the answer, for paginated answers."""
    by_action = dict((action, Script(actions)) for action, actions in scripts.items())

    def answer(method, path, params):
        action = by_action[params.get("Action")].next()
        if isinstance(action, dict):
            return action[params.get("NextToken")]
        return action
    return ScriptedServer(answer)
