"""slurmrestd client retries: a local slurmrestd on 127.0.0.1 that fails N times, then answers a recorded response."""
import os
import re
import socket

import pytest
from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader

from ansible_collections.mlinfra.gpu.plugins.plugin_utils import _slurm
from ansible_collections.mlinfra.gpu.plugins.plugin_utils._slurm import SlurmRestClient, SlurmSourceError, nodes_from_raw
from local_servers import slurmrestd
from test_inventory_plugins import load_plugin

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "inventory")
with open(os.path.join(FIXTURES, "slurm_24.11_rest_v0.0.42_nodes.json"), "rb") as _f:
    NODES_2411 = _f.read()
with open(os.path.join(FIXTURES, "slurm_22.05_rest_v0.0.38_bad_token.json"), "rb") as _f:
    BAD_TOKEN_2205 = _f.read()
OK = (200, NODES_2411)
BAD_GATEWAY = (502, b"<html><body><h1>502 Bad Gateway</h1></body></html>")
UNAVAILABLE = (503, b"Service Unavailable")
GATEWAY_TIMEOUT = (504, b"Gateway Timeout")


def client(server, **kwargs):
    args = dict(url=server.url, user="root", token="tok", api_version="v0.0.42", timeout=2, retries=3,
                retry_backoff=0.01, retry_max_time=10)
    args.update(kwargs)
    return SlurmRestClient(**args)


@pytest.mark.parametrize("failure", [BAD_GATEWAY, UNAVAILABLE, GATEWAY_TIMEOUT, "reset"], ids=["502", "503", "504", "reset"])
def test_transient_failure_then_answer(failure):
    with slurmrestd([failure, failure, OK]) as server:
        raw = client(server).get_nodes()
    assert len(server.requests) == 3
    assert [r["headers"]["x-slurm-user-name"] for r in server.requests] == ["root"] * 3
    assert raw["api_version"] == "v0.0.42" and len(nodes_from_raw(raw)) == 11


def test_timeout_then_answer():
    with slurmrestd([("hang", 4), OK]) as server:
        raw = client(server, timeout=1.5).get_nodes()
    assert len(server.requests) == 2
    assert len(raw["data"]["nodes"]) == 11


def test_auto_probing_does_not_retry_404():
    """v0.0.42 is not served (404: next version), v0.0.41 fails once (503: retried), then answers."""
    with slurmrestd([UNAVAILABLE, OK], version="v0.0.41") as server:
        raw = client(server, api_version="auto").get_nodes()
    assert [r["path"] for r in server.requests] == ["/slurm/v0.0.42/nodes", "/slurm/v0.0.41/nodes", "/slurm/v0.0.41/nodes"]
    assert raw["api_version"] == "v0.0.41"


def test_gives_up_after_the_retries_naming_the_url():
    with slurmrestd([UNAVAILABLE]) as server:
        with pytest.raises(SlurmSourceError) as error:
            client(server, retries=2).get_nodes()
        url = server.url
    assert len(server.requests) == 3
    assert re.sub(r" in \d+\.\ds ", " in Ts ", str(error.value)) == (
        url + "/slurm/v0.0.42/nodes: gave up after 3 attempt(s) in Ts (retries=2, retry_max_time=10): HTTP 503 Service Unavailable")


def test_zero_retries_tries_once():
    with slurmrestd(["reset"]) as server:
        with pytest.raises(SlurmSourceError, match=r"gave up after 1 attempt\(s\) .*: ConnectionResetError: "):
            client(server, retries=0).get_nodes()
    assert len(server.requests) == 1


@pytest.mark.parametrize("answer", [(500, BAD_TOKEN_2205), (401, b"Authentication failure"), (404, b"")],
                         ids=["500-bad-token", "401", "404-fixed-version"])
def test_other_http_errors_are_not_retried(answer):
    with slurmrestd([answer, OK]) as server:
        with pytest.raises(SlurmSourceError):
            client(server).get_nodes()
    assert len(server.requests) == 1


def test_refused_connection_is_not_retried():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps = []
    rest = SlurmRestClient("http://127.0.0.1:%d" % port, "root", "tok", api_version="v0.0.42", sleep=sleeps.append)
    with pytest.raises(SlurmSourceError, match=r"^cannot reach slurmrestd at http://127.0.0.1:\d+: .*Connection refused"):
        rest.get_nodes()
    assert sleeps == []


class Clock:
    """A fake clock that moves by the sleeps and by ``per_request`` seconds per request."""

    def __init__(self, per_request=0.0):
        self.now = 100.0
        self.per_request = per_request
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def time(self):
        return self.now


class Failing:
    def __init__(self, clock, status=503):
        self.clock, self.status, self.calls = clock, status, 0

    def __call__(self, url, method, headers, timeout, validate_certs):
        self.calls += 1
        self.clock.now += self.clock.per_request
        raise _slurm.HTTPError(url, self.status, "x", {}, None)


@pytest.mark.parametrize("retries, backoff, max_time, per_request, sleeps", [
    (3, 1.0, 60, 0.0, [1.0, 2.0, 4.0]),          # bounded by the count
    (10, 1.0, 60, 0.0, [1.0, 2.0, 4.0, 8.0, 16.0]),  # 31 s slept; the next 32 s would pass 60 s
    (10, 1.0, 7, 0.0, [1.0, 2.0, 4.0]),          # 3 s slept + 4 s = exactly 7 s: still allowed
    (10, 1.0, 6, 0.0, [1.0, 2.0]),               # 3 s slept + 4 s = 7 s > 6 s
    (10, 1.0, 7, 1.0, [1.0, 2.0]),               # 3 s slept + 3 s in requests + 4 s > 7 s
    (10, 1.0, 6, 2.0, [1.0]),                    # 1 s slept + 4 s in requests + 2 s > 6 s
    (10, 1.0, 3, 0.0, [1.0, 2.0]),               # 1 s slept + 2 s = exactly 3 s
    (2, 0.5, 60, 0.0, [0.5, 1.0]),
    (0, 1.0, 60, 0.0, []),
])
def test_backoff_doubles_and_is_bounded(retries, backoff, max_time, per_request, sleeps):
    clock = Clock(per_request)
    opener = Failing(clock)
    rest = SlurmRestClient("http://slurm:6820", "root", "tok", api_version="v0.0.40", opener=opener, retries=retries,
                           retry_backoff=backoff, retry_max_time=max_time, sleep=clock.sleep, clock=clock.time)
    with pytest.raises(SlurmSourceError, match=r"gave up after %d attempt\(s\)" % (len(sleeps) + 1)):
        rest.get_nodes()
    assert clock.sleeps == sleeps
    assert opener.calls == len(sleeps) + 1


@pytest.mark.parametrize("name, value", [("retries", -1), ("retry_backoff", -0.5), ("retry_max_time", "soon"),
                                         ("retries", True)])
def test_bad_retry_settings(name, value):
    with pytest.raises(SlurmSourceError) as error:
        SlurmRestClient("http://slurm:6820", "root", "tok", **{name: value})
    assert str(error.value) == "%s must be a number of at least 0, got %r" % (name, value)


SLURM = "plugin: mlinfra.gpu.slurm\ntoken: tok\napi_version: v0.0.42\n"


def parse(tmp_path, text):
    path = tmp_path / "r.slurm.yml"
    path.write_text(text)
    inventory = InventoryData()
    load_plugin("slurm").parse(inventory, DataLoader(), str(path), cache=False)
    return inventory


def test_plugin_retries_with_its_options(tmp_path):
    with slurmrestd([UNAVAILABLE, "reset", OK]) as server:
        inventory = parse(tmp_path, SLURM + "url: %s\nuser: root\nretries: 2\nretry_backoff: 0.01\n" % server.url)
    assert len(server.requests) == 3
    assert sorted(h.name for h in inventory.groups["slurm_down"].get_hosts()) == ["gpu-a100-04"]


def test_plugin_gives_up_with_a_clear_error(tmp_path):
    with slurmrestd([BAD_GATEWAY]) as server:
        with pytest.raises(AnsibleParserError) as error:
            parse(tmp_path, SLURM + "url: %s\nuser: root\nretries: 1\nretry_backoff: 0.01\n" % server.url)
        url = server.url
    assert len(server.requests) == 2
    text = str(error.value)
    assert re.sub(r" in \d+\.\ds ", " in Ts ", text) == (
        "slurm inventory (slurmrestd %s): %s/slurm/v0.0.42/nodes: gave up after 2 attempt(s) in Ts (retries=1, "
        "retry_max_time=60.0): HTTP 502 <html><body><h1>502 Bad Gateway</h1></body></html>" % (url, url))


def test_plugin_rejects_negative_retries(tmp_path):
    with pytest.raises(AnsibleParserError) as error:
        parse(tmp_path, SLURM + "url: http://127.0.0.1:1\nuser: root\nretries: -1\n")
    assert str(error.value) == "slurm inventory (slurmrestd http://127.0.0.1:1): retries must be a number of at least 0, got -1"


def test_user_never_falls_back_to_USER(tmp_path, monkeypatch):
    monkeypatch.delenv("SLURM_REST_USER", raising=False)
    monkeypatch.setenv("USER", "someone-else")
    with pytest.raises(AnsibleParserError) as error:
        parse(tmp_path, SLURM + "url: http://127.0.0.1:1\n")
    assert str(error.value) == (
        "slurm inventory (slurmrestd http://127.0.0.1:1): no user name for X-SLURM-USER-NAME: set the option 'user' or "
        "the environment variable SLURM_REST_USER to the user the JWT token was made for ($USER is not used)")


def test_user_from_SLURM_REST_USER(tmp_path, monkeypatch):
    monkeypatch.setenv("SLURM_REST_USER", "svc-ansible")
    monkeypatch.setenv("USER", "someone-else")
    with slurmrestd([OK]) as server:
        parse(tmp_path, SLURM + "url: %s\n" % server.url)
    assert [r["headers"]["x-slurm-user-name"] for r in server.requests] == ["svc-ansible"]


class Sequence:
    """An opener that raises or answers from a list, one item per request."""

    def __init__(self, items):
        self.items, self.calls = list(items), 0

    def __call__(self, url, method, headers, timeout, validate_certs):
        self.calls += 1
        item = self.items.pop(0)
        if isinstance(item, Exception):
            raise item
        return item


class Answer:
    def __init__(self, body):
        self.body = body

    def getcode(self):
        return 200

    def read(self):
        return self.body


@pytest.mark.parametrize("failure", [
    _slurm.URLError(ConnectionResetError(104, "Connection reset by peer")),  # reset while sending: urllib wraps it
    _slurm.URLError(socket.timeout("timed out")),                            # connect timeout: wrapped too
    ConnectionResetError(104, "Connection reset by peer"),                    # reset while reading: raised as is
    TimeoutError("The read operation timed out"),
], ids=["urlerror-reset", "urlerror-timeout", "reset", "timeout"])
def test_wrapped_and_bare_transient_errors_are_retried(failure):
    opener = Sequence([failure, Answer(NODES_2411)])
    rest = SlurmRestClient("http://slurm:6820", "root", "tok", api_version="v0.0.42", opener=opener, sleep=lambda s: None)
    assert len(rest.get_nodes()["data"]["nodes"]) == 11
    assert opener.calls == 2


@pytest.mark.parametrize("failure, why", [
    (_slurm.URLError(ConnectionRefusedError(111, "Connection refused")), "[Errno 111] Connection refused"),
    (_slurm.URLError(socket.gaierror(-2, "Name or service not known")), "[Errno -2] Name or service not known"),
])
def test_configuration_errors_are_not_retried(failure, why):
    opener = Sequence([failure, Answer(NODES_2411)])
    rest = SlurmRestClient("http://slurm:6820", "root", "tok", api_version="v0.0.42", opener=opener, sleep=lambda s: None)
    with pytest.raises(SlurmSourceError) as error:
        rest.get_nodes()
    assert str(error.value) == "cannot reach slurmrestd at http://slurm:6820: " + why
    assert opener.calls == 1
