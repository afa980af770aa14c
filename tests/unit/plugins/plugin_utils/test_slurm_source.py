"""Unit tests of the Slurm source: GRES parsing, state derivation, text/JSON node parsing and the two clients."""
import io
import json
import os

import pytest
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError

from ansible_collections.mlinfra.gpu.plugins.plugin_utils._slurm import (
    SlurmCliClient,
    SlurmRestClient,
    SlurmSourceError,
    gres_gpus,
    node_hostvars,
    node_state,
    nodes_from_raw,
    parse_gres,
    parse_scontrol_oneliner,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "inventory")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


@pytest.mark.parametrize("text, expected", [
    ("gpu:a100:8", [{"name": "gpu", "type": "a100", "count": 8, "extra": None}]),
    ("gpu:8", [{"name": "gpu", "type": None, "count": 8, "extra": None}]),
    ("gpu:2", [{"name": "gpu", "type": None, "count": 2, "extra": None}]),
    ("gpu:a100:8(S:0-1)", [{"name": "gpu", "type": "a100", "count": 8, "extra": "S:0-1"}]),
    ("gpu:a40:1(S:0,2,4,6,8,10)", [{"name": "gpu", "type": "a40", "count": 1, "extra": "S:0,2,4,6,8,10"}]),
    ("gpu:a100:4,gpu:v100:2", [{"name": "gpu", "type": "a100", "count": 4, "extra": None},
                               {"name": "gpu", "type": "v100", "count": 2, "extra": None}]),
    ("gpu:(null):4(IDX:0-3)", [{"name": "gpu", "type": None, "count": 4, "extra": "IDX:0-3"}]),
    ("gpu:tesla:3(IDX:0,2-3)", [{"name": "gpu", "type": "tesla", "count": 3, "extra": "IDX:0,2-3"}]),
    ("gpu:h100:8,nic:mlx5:4,bandwidth:lustre:4G", [
        {"name": "gpu", "type": "h100", "count": 8, "extra": None},
        {"name": "nic", "type": "mlx5", "count": 4, "extra": None},
        {"name": "bandwidth", "type": "lustre", "count": 4 * 1024 ** 3, "extra": None}]),
    ("mps:400,gpu:1", [{"name": "mps", "type": None, "count": 400, "extra": None},
                       {"name": "gpu", "type": None, "count": 1, "extra": None}]),
    ("gpu", [{"name": "gpu", "type": None, "count": 1, "extra": None}]),
    ("gpu:nvidia_h100_80gb_hbm3:1", [{"name": "gpu", "type": "nvidia_h100_80gb_hbm3", "count": 1, "extra": None}]),
    ("(null)", []),
    ("", []),
    ("N/A", []),
    (None, []),
])
def test_parse_gres_forms(text, expected):
    assert parse_gres(text) == expected


def test_parse_gres_bad_count_is_an_error():
    with pytest.raises(SlurmSourceError, match="count"):
        parse_gres("gpu:a100:many")
    with pytest.raises(SlurmSourceError, match="not a string"):
        parse_gres(8)


def test_gres_gpus_ignores_other_gres():
    assert gres_gpus("nic:mlx5:4,gpu:a100:4,gpu:v100:2(S:0)") == [{"name": "a100", "count": 4}, {"name": "v100", "count": 2}]
    assert gres_gpus("nic:2") == []


@pytest.mark.parametrize("base, flags, expected", [
    ("IDLE", [], "idle"),
    ("mixed", [], "mixed"),
    ("IDLE", ["DRAIN"], "drained"),
    ("UNKNOWN", ["DRAIN", "NOT_RESPONDING"], "drained"),
    ("MIXED", ["DRAIN"], "draining"),
    ("ALLOCATED", ["DRAIN"], "draining"),
    ("IDLE", ["DRAIN", "COMPLETING"], "draining"),
    ("DOWN", ["DRAIN"], "down"),
    ("DOWN", ["NOT_RESPONDING"], "down"),
    ("IDLE", ["POWERED_DOWN"], "powered_down"),
    (None, [], "unknown"),
])
def test_node_state(base, flags, expected):
    assert node_state(base, flags) == expected


def _by_name(nodes):
    return dict((n["name"], node_hostvars(n)) for n in nodes)


def _assert_22_05_cluster(hosts):
    """The same real 22.05 cluster, whichever way it was read."""
    assert sorted(hosts) == ["cpu-01", "cpu-02", "cpu-03", "gpu-a100-01", "gpu-a100-02", "gpu-a100-03", "gpu-a100-04",
                             "gpu-h100-01", "gpu-mix-01", "gpu-untyped-01"]
    mix = hosts["gpu-mix-01"]
    assert mix["gpu_count"] == 6 and mix["gpu_models"] == ["a100", "v100"] and mix["gpu_vendor"] == "nvidia"
    assert mix["slurm_state"] == "idle" and mix["slurm_cpus"] == 32 and mix["slurm_real_memory_mb"] == 256000
    assert mix["slurm_gres"] == "gpu:a100:4,gpu:v100:2" and mix["slurm_partitions"] == ["gpu"]
    assert hosts["gpu-h100-01"]["slurm_partitions"] == ["gpu", "h100"]
    assert hosts["gpu-h100-01"]["gpu_models"] == ["h100"]
    untyped = hosts["gpu-untyped-01"]
    assert untyped["gpu_count"] == 2 and untyped["gpu_models"] == [] and untyped["gpu_vendor"] is None
    assert hosts["cpu-01"]["slurm_state"] == "mixed"
    assert hosts["cpu-01"]["gpu_count"] == 0 and hosts["cpu-01"]["gpu_models"] == []
    assert hosts["cpu-02"]["slurm_state"] == "drained" and hosts["cpu-02"]["slurm_reason"] == "maint"
    drained = hosts["gpu-a100-03"]
    assert drained["slurm_state"] == "drained"
    assert drained["slurm_reason"] == "bad {{ lookup('pipe','id') }} dimm"
    assert "drain" in drained["slurm_state_flags"]
    down = hosts["gpu-a100-04"]
    assert down["slurm_state"] == "down" and down["slurm_reason"] == "gpu fell off bus"
    assert down["slurm_address"] == "127.0.0.1" and down["gpu_memory_mib"] is None


def test_scontrol_oneliner_fixture():
    raw = {"format": "text", "data": fixture("slurm_22.05_scontrol_oneliner.txt")}
    _assert_22_05_cluster(_by_name(nodes_from_raw(raw)))


def test_rest_v0038_fixture():
    raw = {"format": "json", "data": json.loads(fixture("slurm_22.05_rest_v0.0.38_nodes.json"))}
    _assert_22_05_cluster(_by_name(nodes_from_raw(raw)))


def test_sinfo_json_2205_fixture():
    raw = {"format": "json", "data": json.loads(fixture("slurm_22.05_sinfo.json"))}
    _assert_22_05_cluster(_by_name(nodes_from_raw(raw)))


def test_v0041_shape_fixture():
    raw = {"format": "json", "data": json.loads(fixture("slurm_24.11_shape_v0.0.41_nodes.json"))}
    hosts = _by_name(nodes_from_raw(raw))
    assert hosts["gpu-a100-03"]["slurm_state"] == "drained"
    assert hosts["gpu-mix-01"]["gpu_models"] == ["a100", "v100"]
    sock = hosts["gpu-h100-sock"]
    assert sock["gpu_count"] == 8 and sock["gpu_models"] == ["h100"] and sock["slurm_state"] == "mixed"
    assert sock["slurm_partitions"] == ["gpu", "h100"]
    a40 = hosts["gpu-a40-1"]
    assert a40["gpu_count"] == 1 and a40["gpu_models"] == ["a40"] and a40["slurm_cpus"] == 12
    assert a40["slurm_state"] == "idle" and a40["slurm_state_flags"] == ["dynamic_norm"]
    busy = hosts["gpu-drain-busy"]
    assert busy["slurm_state"] == "draining" and busy["gpu_count"] == 4 and busy["slurm_reason"] == "xid 79"


def test_rest_v0042_real_2411_fixture():
    raw = {"format": "json", "data": json.loads(fixture("slurm_24.11_rest_v0.0.42_nodes.json"))}
    hosts = _by_name(nodes_from_raw(raw))
    assert len(hosts) == 11
    h100 = hosts["gpu-h100-01"]
    assert h100["gpu_count"] == 8 and h100["gpu_models"] == ["h100"] and h100["slurm_partitions"] == ["gpu", "h100"]
    assert hosts["gpu-l40s-01"]["gpu_models"] == ["l40s"] and hosts["gpu-l40s-01"]["slurm_cpus"] == 48
    assert hosts["gpu-mix-01"]["gpu_count"] == 6 and hosts["gpu-mix-01"]["slurm_state"] == "idle"
    assert hosts["cpu-01"]["slurm_state"] == "mixed" and hosts["cpu-02"]["slurm_state"] == "drained"
    assert hosts["gpu-a100-03"]["slurm_state"] == "drained"
    assert hosts["gpu-a100-03"]["slurm_state_flags"] == ["drain", "not_responding"]
    assert hosts["gpu-a100-04"]["slurm_state"] == "down" and hosts["gpu-a100-04"]["slurm_reason"] == "gpu fell off the bus"
    assert hosts["gpu-untyped-01"]["gpu_count"] == 2 and hosts["gpu-untyped-01"]["slurm_real_memory_mb"] == 64000


def test_oneliner_reason_with_equals_and_stamp():
    line = ("NodeName=n1 CPUTot=4 Gres=gpu:a100:1(S:0) NodeAddr=10.0.0.1 NodeHostName=h1 RealMemory=100 State=IDLE+DRAIN "
            "Partitions=a,b Reason=fan=broken Comment=x [admin@2025-01-01T00:00:00]")
    fields = parse_scontrol_oneliner(line)[0]
    assert fields["Reason"] == "fan=broken Comment=x [admin@2025-01-01T00:00:00]"
    node = nodes_from_raw({"format": "text", "data": line})[0]
    assert node["reason"] == "fan=broken Comment=x"
    assert node["partitions"] == ["a", "b"] and node["base_state"] == "idle" and node["state_flags"] == ["DRAIN"]


def test_oneliner_garbage_is_an_error():
    with pytest.raises(SlurmSourceError, match="unexpected line"):
        nodes_from_raw({"format": "text", "data": "slurm_load_node error: Unable to contact slurm controller"})


@pytest.mark.parametrize("raw, match", [
    ({"format": "json", "data": {"meta": {}}}, "no 'nodes' list"),
    ({"format": "json", "data": {"nodes": [{"state": "idle"}]}}, "no name"),
    ({"format": "xml", "data": ""}, "unknown raw data"),
])
def test_malformed_json_nodes(raw, match):
    with pytest.raises(SlurmSourceError, match=match):
        nodes_from_raw(raw)


class FakeResponse:
    def __init__(self, status, body):
        self.status = status
        self.body = body

    def getcode(self):
        return self.status

    def read(self):
        return self.body


class FakeOpener:
    """Answers per API version: {version: (status, body) or exception}."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, url, method, headers, timeout, validate_certs):
        self.calls.append((url, headers))
        version = url.split("/slurm/")[1].split("/")[0]
        status, body = self.answers.get(version, (404, b"Unable find requested URL."))
        if isinstance(status, Exception):
            raise status
        if status >= 400:
            raise HTTPError(url, status, "error", {}, io.BytesIO(body))
        return FakeResponse(status, body)


def rest(opener, **kwargs):
    args = dict(url="http://127.0.0.1:6820/", user="ansible", token="tok", opener=opener)
    args.update(kwargs)
    return SlurmRestClient(**args)


def test_rest_auto_probes_versions_until_found():
    body = fixture("slurm_22.05_rest_v0.0.38_nodes.json").encode()
    opener = FakeOpener({"v0.0.38": (200, body)})
    raw = rest(opener).get_nodes()
    assert raw["api_version"] == "v0.0.38" and len(raw["data"]["nodes"]) == 10
    assert [c[0] for c in opener.calls][-1] == "http://127.0.0.1:6820/slurm/v0.0.38/nodes"
    assert len(opener.calls) == 5  # v0.0.42 .. v0.0.38
    assert opener.calls[0][1]["X-SLURM-USER-TOKEN"] == "tok" and opener.calls[0][1]["X-SLURM-USER-NAME"] == "ansible"


def test_rest_fixed_version_404_is_an_error():
    with pytest.raises(SlurmSourceError, match="HTTP 404"):
        rest(FakeOpener({}), api_version="v0.0.40").get_nodes()


def test_rest_no_version_found():
    with pytest.raises(SlurmSourceError, match="serves none of the node APIs"):
        rest(FakeOpener({})).get_nodes()


def test_rest_bad_token_2205_is_clear():
    body = fixture("slurm_22.05_rest_v0.0.38_bad_token.json").encode()
    with pytest.raises(SlurmSourceError, match=r"HTTP 500, errors: Unspecified error \(error -1\).*bad or expired JWT"):
        rest(FakeOpener({"v0.0.38": (500, body)}), api_version="v0.0.38").get_nodes()


def test_rest_401_and_403():
    with pytest.raises(SlurmSourceError, match="HTTP 401 Authentication failure - authentication failed"):
        rest(FakeOpener({"v0.0.38": (401, b"Authentication failure")}), api_version="v0.0.38").get_nodes()
    with pytest.raises(SlurmSourceError, match="HTTP 403.*permission denied"):
        rest(FakeOpener({"v0.0.41": (403, b"")})).get_nodes()


def test_rest_v0041_error_objects():
    body = json.dumps({"nodes": [], "errors": [{"description": "Unable to query nodes", "error_number": 1007,
                                                "error": "Protocol authentication error", "source": "x"}]}).encode()
    with pytest.raises(SlurmSourceError, match=r"Unable to query nodes \(error 1007\)"):
        rest(FakeOpener({"v0.0.41": (200, body)})).get_nodes()


def test_rest_unreachable():
    opener = FakeOpener({"v0.0.42": (URLError(ConnectionRefusedError(111, "Connection refused")), None)})
    with pytest.raises(SlurmSourceError, match="cannot reach slurmrestd at http://127.0.0.1:6820.*Connection refused"):
        rest(opener).get_nodes()


def test_rest_not_json():
    with pytest.raises(SlurmSourceError, match="not JSON"):
        rest(FakeOpener({"v0.0.42": (200, b"<html>proxy</html>")})).get_nodes()
    with pytest.raises(SlurmSourceError, match="no 'nodes' list"):
        rest(FakeOpener({"v0.0.42": (200, b'{"meta": {}}')})).get_nodes()
    with pytest.raises(SlurmSourceError, match="expected a JSON object"):
        rest(FakeOpener({"v0.0.42": (200, b"[]")})).get_nodes()


@pytest.mark.parametrize("kwargs, match", [
    ({"url": None}, "no slurmrestd URL"),
    ({"url": "slurm:6820"}, "must start with http"),
    ({"token": ""}, "no JWT token"),
    ({"user": ""}, "no user name"),
    ({"api_version": "v9"}, "api_version must be"),
])
def test_rest_bad_configuration(kwargs, match):
    with pytest.raises(SlurmSourceError, match=match):
        rest(FakeOpener({}), **kwargs)


class FakeRunner:
    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, args):
        self.calls.append(args)
        return self.answers["json" if "--json" in args else "text"]


def test_cli_auto_falls_back_to_text_on_2205():
    runner = FakeRunner({"json": (1, "", "scontrol: unrecognized option '--json'\n"),
                         "text": (0, fixture("slurm_22.05_scontrol_oneliner.txt"), "")})
    raw = SlurmCliClient(runner=runner).get_nodes()
    assert raw["format"] == "text"
    assert runner.calls == [["scontrol", "--json", "show", "node"], ["scontrol", "show", "node", "--oneliner"]]
    _assert_22_05_cluster(_by_name(nodes_from_raw(raw)))


def test_cli_json():
    runner = FakeRunner({"json": (0, fixture("slurm_24.11_shape_v0.0.41_nodes.json"), "")})
    raw = SlurmCliClient(scontrol="/opt/slurm/bin/scontrol", runner=runner).get_nodes()
    assert raw["format"] == "json" and len(nodes_from_raw(raw)) == 13


def test_cli_errors():
    down = (1, "", "slurm_load_node error: Unable to contact slurm controller (connect failure)\n")
    with pytest.raises(SlurmSourceError, match=r"scontrol show node --oneliner failed \(rc=1\): .*Unable to contact"):
        SlurmCliClient(cli_format="text", runner=FakeRunner({"text": down})).get_nodes()
    with pytest.raises(SlurmSourceError, match="scontrol --json show node failed"):
        SlurmCliClient(cli_format="auto", runner=FakeRunner({"json": down})).get_nodes()
    with pytest.raises(SlurmSourceError, match="not JSON"):
        SlurmCliClient(cli_format="json", runner=FakeRunner({"json": (0, "oops", "")})).get_nodes()
    with pytest.raises(SlurmSourceError, match="cli_format must be"):
        SlurmCliClient(cli_format="yaml")


def test_cli_missing_binary():
    with pytest.raises(SlurmSourceError, match="cannot run /nonexistent/scontrol"):
        SlurmCliClient(scontrol="/nonexistent/scontrol", cli_format="text").get_nodes()


# ---- issue 9: what no test noticed (FAIL and MAINT states, K/M/T/P GRES counts, v0.0.40+ number objects)

@pytest.mark.parametrize("base, flags, expected", [
    ("IDLE", ["FAIL"], "fail"),
    ("ALLOCATED", ["FAIL"], "fail"),
    ("DOWN", ["FAIL"], "fail"),
    ("IDLE", ["MAINT"], "maint"),
    ("MIXED", ["MAINT"], "maint"),
    ("IDLE", ["FAIL", "MAINT"], "fail"),
    ("IDLE", ["DRAIN", "FAIL"], "drained"),
    ("ALLOCATED", ["DRAIN", "MAINT"], "draining"),
    ("IDLE", ["MAINT", "POWERED_DOWN"], "maint"),
    ("DOWN", ["POWERED_DOWN"], "down"),
    ("MIXED", ["POWERED_DOWN"], "mixed"),
    ("ALLOCATED", ["COMPLETING"], "allocated"),
    ("idle", ["drain"], "drained"),
    ("Mixed", ["Drain"], "draining"),
    ("FUTURE", [], "future"),
])
def test_node_state_fail_maint_and_case(base, flags, expected):
    assert node_state(base, flags) == expected


@pytest.mark.parametrize("state, flags, expected_state, expected_flags", [
    ("IDLE+FAIL", None, "fail", ["fail"]),                      # scontrol --oneliner text
    ("MIXED+MAINT+RESERVED", None, "maint", ["maint", "reserved"]),
    ("idle", ["MAINT", "RESERVED"], "maint", ["maint", "reserved"]),  # v0.0.37/38: state + state_flags
    (["ALLOCATED", "FAIL"], None, "fail", ["fail"]),            # v0.0.40+: a list
    (["DOWN", "DRAIN", "FAIL"], None, "down", ["drain", "fail"]),
    (["MAINT"], None, "maint", ["maint"]),                      # no base state at all: unknown + MAINT
    (["IDLE", "DRAIN"], ["DRAIN"], "drained", ["drain"]),       # a flag in both places counts once
])
def test_states_from_each_source_shape(state, flags, expected_state, expected_flags):
    node = {"name": "n1", "state": state, "gres": "gpu:a100:1"}
    if flags is not None:
        node["state_flags"] = flags
    hv = node_hostvars(nodes_from_raw({"format": "json", "data": {"nodes": [node]}})[0])
    assert (hv["slurm_state"], hv["slurm_state_flags"]) == (expected_state, expected_flags)


@pytest.mark.parametrize("text, count", [
    ("gpu:a100:1K", 1024), ("gpu:a100:2k", 2048), ("mps:3M", 3 * 1024 ** 2), ("shard:4m", 4 * 1024 ** 2),
    ("bandwidth:lustre:5G", 5 * 1024 ** 3), ("bandwidth:lustre:6T", 6 * 1024 ** 4), ("license:7t", 7 * 1024 ** 4),
    ("bandwidth:gpfs:8P", 8 * 1024 ** 5), ("x:9p", 9 * 1024 ** 5), ("gpu:0", 0), ("gpu:a100:10", 10),
])
def test_gres_count_suffixes(text, count):
    assert [g["count"] for g in parse_gres(text)] == [count]


@pytest.mark.parametrize("text, expected", [
    ("gpu:1X", [{"name": "gpu", "type": "1X", "count": 1, "extra": None}]),  # not a count: a type
    ("gpu:K", [{"name": "gpu", "type": "K", "count": 1, "extra": None}]),
    ("gpu: 2 ", [{"name": "gpu", "type": None, "count": 2, "extra": None}]),
    ("gpu:h100:2(S:0-1),(null),nic:1", [{"name": "gpu", "type": "h100", "count": 2, "extra": "S:0-1"},
                                        {"name": "nic", "type": None, "count": 1, "extra": None}]),
    ("gpu:a:b:3", [{"name": "gpu", "type": "a:b", "count": 3, "extra": None}]),
    ("gpu:N/A:2", [{"name": "gpu", "type": None, "count": 2, "extra": None}]),
    ("(S:0)", []),
])
def test_gres_edge_forms(text, expected):
    assert parse_gres(text) == expected


@pytest.mark.parametrize("bad", ["gpu:a100:1X", "gpu:a100:", "gpu:a100:-1", "gpu:a100:1.5", "gpu:a40:1(S:0,2))"])
def test_gres_bad_counts(bad):
    with pytest.raises(SlurmSourceError) as error:
        parse_gres(bad)
    assert str(error.value) == "cannot read the count in GRES item %r" % bad


# Number objects recorded in slurm_24.11_rest_v0.0.42_nodes.json (boot_time of cpu-01, reason_changed_at of cpu-01,
# free_mem of cpu-03) plus the "infinite" form of the same data_parser type (refdata 05_slurm.txt 5D).
@pytest.mark.parametrize("value, expected", [
    ({"set": True, "infinite": False, "number": 1795889499}, 1795889499),
    ({"set": True, "infinite": False, "number": 0}, 0),
    ({"set": False, "infinite": False, "number": 0}, None),
    ({"set": True, "infinite": True, "number": 0}, None),
    ({"set": False, "infinite": True, "number": 5}, None),
    ({"number": 64}, 64),
    ({"set": True, "infinite": False}, None),
    ({"set": True, "infinite": False, "number": "96"}, 96),
    (64, 64), ("128", 128), ("", None), ("n/a", None), (None, None), (True, None), (False, None), (12.0, 12),
    ([1], None),
])
def test_numbers_of_every_rest_version(value, expected):
    node = nodes_from_raw({"format": "json", "data": {"nodes": [{"name": "n1", "cpus": value, "real_memory": value}]}})[0]
    assert (node["cpus"], node["real_memory"]) == (expected, expected)


def test_recorded_2411_number_objects_and_nulls():
    data = json.loads(fixture("slurm_24.11_rest_v0.0.42_nodes.json"))
    cpu3 = [n for n in data["nodes"] if n["name"] == "cpu-03"][0]
    node = dict(cpu3, cpus=cpu3["free_mem"], real_memory=cpu3["boot_time"])
    parsed = nodes_from_raw({"format": "json", "data": {"nodes": [node]}})[0]
    assert (parsed["cpus"], parsed["real_memory"]) == (None, cpu3["boot_time"]["number"])
    assert cpu3["free_mem"] == {"set": False, "infinite": False, "number": 0}


@pytest.mark.parametrize("field, value, expected", [
    ("address", "(null)", ""), ("address", "N/A", ""), ("address", None, ""), ("address", " (NULL) ", ""),
    ("hostname", "n1.example", "n1.example"), ("reason", ["a", "b"], "a,b"), ("gres", 5, "5"),
])
def test_text_fields(field, value, expected):
    node = nodes_from_raw({"format": "json", "data": {"nodes": [{"name": "n1", field: value}]}})[0]
    assert node[field] == expected


@pytest.mark.parametrize("value, expected", [
    ("gpu,cpu", ["gpu", "cpu"]), (["gpu", "", "cpu"], ["gpu", "cpu"]), ("", []), (None, []), ("(null)", []),
    ("a,,b", ["a", "b"]), ([], []),
])
def test_partitions(value, expected):
    node = nodes_from_raw({"format": "json", "data": {"nodes": [{"name": "n1", "partitions": value}]}})[0]
    assert node["partitions"] == expected


def test_oneliner_without_reason_and_blank_lines():
    text = "\n  \nNodeName=n1 Arch=x86_64 CPUTot=4 RealMemory=100 State=IDLE Partitions=gpu Gres=gpu:2\n\n"
    nodes = nodes_from_raw({"format": "text", "data": text})
    assert nodes == [{"name": "n1", "address": "", "hostname": "", "base_state": "idle", "state_flags": [],
                      "partitions": ["gpu"], "cpus": 4, "real_memory": 100, "gres": "gpu:2", "reason": ""}]


@pytest.mark.parametrize("errors, expected", [
    ([{"description": "Unable to query nodes", "error_number": 1007}], "Unable to query nodes (error 1007)"),
    ([{"error": "Protocol authentication error", "errno": 5}], "Protocol authentication error (error 5)"),
    ([{"description": "", "error": "only error"}], "only error"),
    ([{"source": "x"}], '{"source": "x"}'),
    (["plain text"], "plain text"),
    ([{"description": "a", "error_number": 0}, "b"], "a (error 0); b"),
])
def test_rest_error_objects(errors, expected):
    body = json.dumps({"nodes": [], "errors": errors}).encode()
    with pytest.raises(SlurmSourceError) as error:
        rest(FakeOpener({"v0.0.42": (200, body)}), api_version="v0.0.42").get_nodes()
    assert str(error.value) == "slurmrestd http://127.0.0.1:6820/slurm/v0.0.42/nodes: HTTP 200, errors: " + expected


def test_rest_error_on_5xx_with_nodes_has_no_token_hint():
    body = json.dumps({"nodes": [{"name": "n1"}], "errors": [{"description": "partial"}]}).encode()
    with pytest.raises(SlurmSourceError) as error:
        rest(FakeOpener({"v0.0.42": (500, body)}), api_version="v0.0.42").get_nodes()
    assert str(error.value) == "slurmrestd http://127.0.0.1:6820/slurm/v0.0.42/nodes: HTTP 500, errors: partial"


def test_rest_http_error_without_errors():
    with pytest.raises(SlurmSourceError) as error:
        rest(FakeOpener({"v0.0.42": (400, b'{"meta": {}}')}), api_version="v0.0.42").get_nodes()
    assert str(error.value) == 'slurmrestd http://127.0.0.1:6820/slurm/v0.0.42/nodes: HTTP 400 {"meta": {}}'


def test_cli_json_errors_and_shapes():
    with pytest.raises(SlurmSourceError) as error:
        SlurmCliClient(cli_format="json", runner=FakeRunner({"json": (0, '{"nodes": [], "errors": ["boom"]}', "")})).get_nodes()
    assert str(error.value) == "scontrol --json show node reported errors: boom"
    with pytest.raises(SlurmSourceError) as error:
        SlurmCliClient(cli_format="json", runner=FakeRunner({"json": (0, '{"meta": {}}', "")})).get_nodes()
    assert str(error.value) == "scontrol --json show node: malformed JSON: no 'nodes' list"
    runner = FakeRunner({"json": (1, "", "scontrol: invalid option -- 'json'\n"), "text": (0, "", "")})
    with pytest.raises(SlurmSourceError) as error:
        SlurmCliClient(cli_format="json", runner=runner).get_nodes()
    assert str(error.value) == "scontrol --json show node failed (rc=1): scontrol: invalid option -- 'json'"
    assert SlurmCliClient(cli_format="auto", runner=runner).get_nodes() == {"format": "text", "data": ""}
    assert SlurmCliClient(cli_format="text", runner=FakeRunner({"text": (1, "", "")}), timeout=5).timeout == 5


def test_cli_failure_without_output():
    with pytest.raises(SlurmSourceError) as error:
        SlurmCliClient(cli_format="text", runner=FakeRunner({"text": (2, "", "  ")})).get_nodes()
    assert str(error.value) == "scontrol show node --oneliner failed (rc=2): no error output"


def test_cli_runs_with_env_and_timeout(tmp_path):
    script = tmp_path / "scontrol"
    script.write_text("#!/bin/sh\necho \"NodeName=$SLURM_CONF_NODE State=IDLE\"\n")
    script.chmod(0o755)
    raw = SlurmCliClient(str(script), cli_format="text", env={"SLURM_CONF_NODE": "n9"}).get_nodes()
    assert raw == {"format": "text", "data": "NodeName=n9 State=IDLE\n"}
    slow = tmp_path / "slow"
    slow.write_text("#!/bin/sh\nsleep 5\n")
    slow.chmod(0o755)
    with pytest.raises(SlurmSourceError) as error:
        SlurmCliClient(str(slow), cli_format="text", timeout=0.2).get_nodes()
    assert str(error.value) == "%s show node --oneliner timed out after 0.2s" % slow


# ---- exact messages and boundaries (each case kills a mutant the cases above let live)

def test_gres_list_with_spaces_after_commas():
    assert parse_gres("gpu:a100:4, gpu:v100:2, nic:1") == [
        {"name": "gpu", "type": "a100", "count": 4, "extra": None}, {"name": "gpu", "type": "v100", "count": 2, "extra": None},
        {"name": "nic", "type": None, "count": 1, "extra": None}]


def test_oneliner_garbage_message_is_cut_at_120_characters():
    line = "slurm_load_node error: " + "x" * 200
    with pytest.raises(SlurmSourceError) as error:
        nodes_from_raw({"format": "text", "data": line})
    assert str(error.value) == "unexpected line in scontrol output (expected NodeName=...): %r" % line[:120]


def test_json_node_without_name_message():
    with pytest.raises(SlurmSourceError) as error:
        nodes_from_raw({"format": "json", "data": {"nodes": [{"state": ["IDLE"], "reason": "r" * 300}]}})
    text = json.dumps({"state": ["IDLE"], "reason": "r" * 300})[:200]
    assert str(error.value) == "malformed node entry (no name): " + text


@pytest.mark.parametrize("status, hint", [(501, True), (505, True), (500, True), (499, False)])
def test_rest_token_hint_on_any_5xx_without_nodes(status, hint):
    body = json.dumps({"nodes": [], "errors": [{"description": "Unspecified error", "error_number": -1}]}).encode()
    with pytest.raises(SlurmSourceError) as error:
        rest(FakeOpener({"v0.0.42": (status, body)}), api_version="v0.0.42").get_nodes()
    expected = "slurmrestd http://127.0.0.1:6820/slurm/v0.0.42/nodes: HTTP %d, errors: Unspecified error (error -1)" % status
    if hint:
        expected += " (slurmrestd 22.05 answers a bad or expired JWT token this way: check the token and user)"
    assert str(error.value) == expected


@pytest.mark.parametrize("status", [404, 409, 422, 400])
def test_rest_http_error_with_a_nodes_list_is_still_an_error(status):
    with pytest.raises(SlurmSourceError) as error:
        rest(FakeOpener({"v0.0.42": (status, b'{"nodes": []}')}), api_version="v0.0.42").get_nodes()
    assert str(error.value) == 'slurmrestd http://127.0.0.1:6820/slurm/v0.0.42/nodes: HTTP %d {"nodes": []}' % status


def test_rest_200_with_nodes_is_data():
    raw = rest(FakeOpener({"v0.0.42": (200, b'{"nodes": [{"name": "n1"}]}')}), api_version="v0.0.42").get_nodes()
    assert raw == {"format": "json", "api_version": "v0.0.42", "data": {"nodes": [{"name": "n1"}]}}


def test_cli_not_json_message_is_cut_at_200_characters():
    out = "<" * 300
    with pytest.raises(SlurmSourceError) as error:
        SlurmCliClient(cli_format="json", runner=FakeRunner({"json": (0, out, "")})).get_nodes()
    assert str(error.value) == "scontrol --json show node printed something that is not JSON: %r" % out[:200]


def test_cli_killed_by_a_signal_is_a_failure():
    runner = FakeRunner({"json": (-9, "", ""), "text": (-15, "", "Terminated\n")})
    with pytest.raises(SlurmSourceError) as error:
        SlurmCliClient(cli_format="json", runner=runner).get_nodes()
    assert str(error.value) == "scontrol --json show node failed (rc=-9): no error output"
    with pytest.raises(SlurmSourceError) as error:
        SlurmCliClient(cli_format="text", runner=runner).get_nodes()
    assert str(error.value) == "scontrol show node --oneliner failed (rc=-15): Terminated"


def test_cli_auto_falls_back_only_on_an_unknown_option():
    runner = FakeRunner({"json": (-2, "", "scontrol: unrecognized option '--json'\n"), "text": (0, "", "")})
    assert SlurmCliClient(cli_format="auto", runner=runner).get_nodes() == {"format": "text", "data": ""}
    runner = FakeRunner({"json": (0, '{"nodes": []}', "scontrol: unknown option noise\n")})
    assert SlurmCliClient(cli_format="auto", runner=runner).get_nodes() == {"format": "json", "data": {"nodes": []}}
    assert runner.calls == [["scontrol", "--json", "show", "node"]]


def test_cli_error_output_is_cut_at_500_characters():
    err = "e" * 600
    with pytest.raises(SlurmSourceError) as error:
        SlurmCliClient(cli_format="text", runner=FakeRunner({"text": (1, "", err)})).get_nodes()
    assert str(error.value) == "scontrol show node --oneliner failed (rc=1): " + "e" * 500


def test_rest_body_that_is_not_bytes():
    """An opener (a proxy library, a test double) may hand back text or nothing instead of bytes."""
    assert rest(FakeOpener({"v0.0.42": (200, '{"nodes": []}')}), api_version="v0.0.42").get_nodes()["data"] == {"nodes": []}
    with pytest.raises(SlurmSourceError) as error:
        rest(FakeOpener({"v0.0.42": (200, None)}), api_version="v0.0.42").get_nodes()
    assert str(error.value) == "slurmrestd http://127.0.0.1:6820/slurm/v0.0.42/nodes: HTTP 200, response is not JSON: ''"


def test_gres_stray_closing_paren_does_not_swallow_the_next_item():
    assert parse_gres("gpu:x)y:1,nic:2") == [{"name": "gpu", "type": "x)y", "count": 1, "extra": None},
                                             {"name": "nic", "type": None, "count": 2, "extra": None}]


def test_gres_nested_parens_keep_their_commas():
    with pytest.raises(SlurmSourceError) as error:
        parse_gres("gpu:a:1(S:(0),1),nic:1")
    assert str(error.value) == "cannot read the count in GRES item 'gpu:a:1(S:(0),1)'"


def test_rest_client_defaults():
    client = SlurmRestClient("http://slurm:6820", "root", "tok")
    assert (client.api_version, client.timeout, client.validate_certs, client.retries, client.retry_backoff,
            client.retry_max_time) == ("auto", 30, True, 3, 1.0, 60)


def test_rest_url_message():
    with pytest.raises(SlurmSourceError) as error:
        SlurmRestClient("slurm:6820", "root", "tok")
    assert str(error.value) == "url must start with http:// or https://, got 'slurm:6820'"


def test_rest_http_error_body_is_cut_at_200_characters():
    body = b'{"nodes": [], "pad": "' + b"p" * 300 + b'"}'
    with pytest.raises(SlurmSourceError) as error:
        rest(FakeOpener({"v0.0.42": (418, body)}), api_version="v0.0.42").get_nodes()
    assert str(error.value) == "slurmrestd http://127.0.0.1:6820/slurm/v0.0.42/nodes: HTTP 418 " + body.decode()[:200]


def test_rest_no_nodes_list_message():
    with pytest.raises(SlurmSourceError) as error:
        rest(FakeOpener({"v0.0.42": (200, b'{"meta": {}}')}), api_version="v0.0.42").get_nodes()
    assert str(error.value) == "slurmrestd http://127.0.0.1:6820/slurm/v0.0.42/nodes: malformed response: no 'nodes' list"


def test_cli_real_command_failing(tmp_path):
    script = tmp_path / "scontrol"
    script.write_text("#!/bin/sh\necho 'slurm_load_node error: Unable to contact slurm controller' >&2\nexit 3\n")
    script.chmod(0o755)
    with pytest.raises(SlurmSourceError) as error:
        SlurmCliClient(str(script), cli_format="text").get_nodes()
    assert str(error.value) == "%s show node --oneliner failed (rc=3): slurm_load_node error: Unable to contact slurm controller" % script


def test_cli_client_defaults():
    client = SlurmCliClient()
    assert (client.scontrol, client.cli_format, client.timeout, client.env) == ("scontrol", "auto", 60, None)


def test_rest_not_json_message_is_cut_at_200_characters():
    body = b"<html>" + b"h" * 300
    with pytest.raises(SlurmSourceError) as error:
        rest(FakeOpener({"v0.0.42": (200, body)}), api_version="v0.0.42").get_nodes()
    assert str(error.value) == "slurmrestd http://127.0.0.1:6820/slurm/v0.0.42/nodes: HTTP 200, response is not JSON: %r" % (
        body.decode()[:200])


def test_rest_auth_failure_message_is_cut_at_200_characters():
    body = b"Authentication failure " + b"a" * 300
    with pytest.raises(SlurmSourceError) as error:
        rest(FakeOpener({"v0.0.42": (401, body)}), api_version="v0.0.42").get_nodes()
    assert str(error.value) == (
        "slurmrestd http://127.0.0.1:6820/slurm/v0.0.42/nodes: HTTP 401 %s - authentication failed or permission denied "
        "for user 'ansible' (check the JWT token and user)" % body.decode()[:200])


def test_cli_format_message():
    with pytest.raises(SlurmSourceError) as error:
        SlurmCliClient(cli_format="yaml")
    assert str(error.value) == "cli_format must be auto, json or text, got 'yaml'"
