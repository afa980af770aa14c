"""Unit tests of the EC2 source (stubbed boto3 client) and of the shared GPU hostvars helper."""
import datetime
import json
import os

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from botocore.parsers import ResponseParserError

from ansible_collections.mlinfra.gpu.plugins.plugin_utils import _ec2
from ansible_collections.mlinfra.gpu.plugins.plugin_utils._ec2 import (
    botocore_version,
    fast_parser_refusal,
    Ec2GpuSource,
    Ec2SourceError,
    FastInstancesParser,
    UnexpectedResponse,
    _filters,
    _slim_instance,
    parse_describe_instances_xml,
    gpus_of_type,
    instance_hostvars,
    pick,
)
from ansible_collections.mlinfra.gpu.plugins.plugin_utils._gpuhost import gpu_groups, gpu_hostvars, model_token, vendor_for

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "inventory")
with open(os.path.join(FIXTURES, "ec2_instance_types_gpu_extract.json")) as _f:
    EXTRACT = json.load(_f)


def type_info(name):
    """The extract in DescribeInstanceTypes form (it flattens VCpuInfo.DefaultVCpus)."""
    info = dict(EXTRACT[name])
    info["VCpuInfo"] = {"DefaultVCpus": info.pop("VCpuInfo.DefaultVCpus", None)}
    return info


def slim_type(name):
    info = type_info(name)
    return {"GpuInfo": info.get("GpuInfo"), "VCpus": info["VCpuInfo"]["DefaultVCpus"],
            "MemoryMiB": info["MemoryInfo"]["SizeInMiB"]}


@pytest.mark.parametrize("itype, count, models, vendor, memory", [
    ("p4d.24xlarge", 8, ["a100"], "nvidia", 40960),
    ("p4de.24xlarge", 8, ["a100"], "nvidia", 81920),
    ("p5.48xlarge", 8, ["h100"], "nvidia", 81920),
    ("p5e.48xlarge", 8, ["h200"], "nvidia", 144384),
    ("p6-b200.48xlarge", 8, ["b200"], "nvidia", 183359),
    ("g5.xlarge", 1, ["a10g"], "nvidia", 22888),
    ("g4dn.xlarge", 1, ["t4"], "nvidia", 16384),
    ("g6.xlarge", 1, ["l4"], "nvidia", 22888),
    ("g6e.xlarge", 1, ["l40s"], "nvidia", 45776),
    ("g4ad.xlarge", 1, ["v520"], "amd", 8192),
    ("p3dn.24xlarge", 8, ["v100"], "nvidia", 32768),
])
def test_gpu_hostvars_from_refdata_types(itype, count, models, vendor, memory):
    hv = gpu_hostvars(gpus_of_type(slim_type(itype)))
    assert hv == {"gpu_count": count, "gpu_models": models, "gpu_vendor": vendor, "gpu_memory_mib": memory}
    assert gpu_groups(hv) == ["gpu", "gpu_" + models[0]]


def test_no_gpu_type_and_unknown_type():
    assert gpu_hostvars(gpus_of_type({"GpuInfo": None, "VCpus": 2})) == {
        "gpu_count": 0, "gpu_models": [], "gpu_vendor": None, "gpu_memory_mib": None}
    assert gpu_hostvars(gpus_of_type(None))["gpu_count"] == 0
    assert gpu_groups({"gpu_count": 0, "gpu_models": []}) == []


def test_model_token_and_vendor():
    assert model_token("nvidia_h100_80gb_hbm3") == "h100"
    assert model_token("1080ti") == "1080ti"
    assert model_token("Some GPU/X") is not None and model_token(None) is None
    assert vendor_for("mi300x") == "amd" and vendor_for("a100") == "nvidia" and vendor_for("tesla") == "nvidia"
    assert vendor_for("weird") is None
    mixed = gpu_hostvars([{"name": "a100", "count": 1}, {"name": "mi250", "count": 1}])
    assert mixed["gpu_vendor"] is None and mixed["gpu_models"] == ["a100", "mi250"]


def test_filters_tags_states():
    assert _filters({"instance-type": ["p5.48xlarge", "g5.xlarge"], "vpc-id": "vpc-1"}, {"team": "ml"}, ["running"]) == [
        {"Name": "instance-type", "Values": ["p5.48xlarge", "g5.xlarge"]},
        {"Name": "vpc-id", "Values": ["vpc-1"]},
        {"Name": "tag:team", "Values": ["ml"]},
        {"Name": "instance-state-name", "Values": ["running"]},
    ]
    # an explicit state filter wins over instance_states
    assert _filters({"instance-state-name": "stopped"}, None, ["running"]) == [{"Name": "instance-state-name", "Values": ["stopped"]}]


INSTANCE = {"InstanceId": "i-1", "InstanceType": "p5.48xlarge", "State": {"Name": "running"},
            "Placement": {"AvailabilityZone": "us-east-1a"}, "PrivateIpAddress": "10.0.0.5", "PrivateDnsName": "ip-10-0-0-5",
            "PublicDnsName": "", "LaunchTime": datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
            "Tags": [{"Key": "Name", "Value": "trainer-{{ 7 * 7 }}"}, {"Key": "team", "Value": "ml"}],
            "BlockDeviceMappings": [{"DeviceName": "/dev/sda1"}]}


class StubPaginator:
    def __init__(self, pages, calls):
        self.pages = pages
        self.calls = calls

    def paginate(self, **kwargs):
        self.calls.append(("paginate", kwargs))
        if isinstance(self.pages, Exception):
            raise self.pages
        return iter(self.pages)


class StubClient:
    def __init__(self, pages, types, calls):
        self.pages, self.types, self.calls = pages, types, calls

    def get_paginator(self, name):
        assert name == "describe_instances"
        return StubPaginator(self.pages, self.calls)

    def describe_instance_types(self, InstanceTypes):
        self.calls.append(("describe_instance_types", list(InstanceTypes)))
        unknown = [t for t in InstanceTypes if t not in self.types]
        if unknown:
            raise ClientError({"Error": {"Code": "InvalidInstanceType", "Message": "do not exist: %s" % unknown}},
                              "DescribeInstanceTypes")
        return {"InstanceTypes": [self.types[t] for t in InstanceTypes]}


class StubSession:
    def __init__(self, client, region="us-east-1"):
        self._client, self.region_name, self.client_calls = client, region, []

    def client(self, service, region_name, endpoint_url, config):
        self.client_calls.append((service, region_name, endpoint_url, config.retries))
        return self._client


def make_source(pages, types=None, **kwargs):
    calls = []
    client = StubClient(pages, types or {}, calls)
    session = StubSession(client)
    source = Ec2GpuSource(kwargs.pop("regions", ["us-east-1"]), session_factory=lambda **creds: session, **kwargs)
    return source, calls, session


def test_fetch_paginates_and_fetches_each_type_once():
    instances = [dict(INSTANCE, InstanceId="i-%d" % i, InstanceType=("p5.48xlarge" if i % 2 else "t3.micro"))
                 for i in range(5)]
    pages = [{"Reservations": [{"Instances": instances[:3]}]}, {"Reservations": [{"Instances": instances[3:]}]}]
    types = {"p5.48xlarge": type_info("p5.48xlarge"), "t3.micro": {"InstanceType": "t3.micro", "VCpuInfo": {"DefaultVCpus": 2},
                                                                   "MemoryInfo": {"SizeInMiB": 1024}}}
    source, calls, session = make_source(pages, types, endpoint_url="http://127.0.0.1:5000", max_attempts=4,
                                         retry_mode="standard")
    raw = source.fetch()
    json.dumps(raw)  # the cache must be able to store it
    region = raw["regions"]["us-east-1"]
    assert [i["InstanceId"] for i in region["instances"]] == ["i-0", "i-1", "i-2", "i-3", "i-4"]
    assert [c for c in calls if c[0] == "describe_instance_types"] == [("describe_instance_types", ["p5.48xlarge", "t3.micro"])]
    assert session.client_calls == [("ec2", "us-east-1", "http://127.0.0.1:5000", {"total_max_attempts": 4, "mode": "standard"})]
    assert region["instances"][0]["LaunchTime"] == "2025-01-02T03:04:05+00:00"
    assert "BlockDeviceMappings" not in region["instances"][0]
    assert region["instance_types"]["t3.micro"] == {"GpuInfo": None, "VCpus": 2, "MemoryMiB": 1024}


def test_unknown_instance_type_is_asked_one_by_one():
    pages = [{"Reservations": [{"Instances": [dict(INSTANCE, InstanceType="p3.2xlarge"), INSTANCE]}]}]
    source, calls, _session = make_source(pages, {"p5.48xlarge": type_info("p5.48xlarge")})
    types = source.fetch()["regions"]["us-east-1"]["instance_types"]
    assert types["p3.2xlarge"] is None and types["p5.48xlarge"]["GpuInfo"]["Gpus"][0]["Name"] == "H100"


@pytest.mark.parametrize("error, match", [
    (ClientError({"Error": {"Code": "AuthFailure", "Message": "AWS was not able to validate the provided access credentials"}},
                 "DescribeInstances"), "region us-east-1: DescribeInstances failed: permission denied or bad credentials"),
    (ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "You are not authorized"}}, "DescribeInstances"),
     "permission denied"),
    (ClientError({"Error": {"Code": "RequestLimitExceeded", "Message": "Request limit exceeded."}}, "DescribeInstances"),
     "throttled after all retries"),
    (ClientError({"Error": {"Code": "InvalidParameterValue", "Message": "The filter 'bogus' is invalid"}}, "DescribeInstances"),
     "InvalidParameterValue: The filter 'bogus' is invalid"),
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:1/"), "Could not connect to the endpoint URL"),
    (NoCredentialsError(), "Unable to locate credentials"),
    (ResponseParserError("Unable to parse response, invalid XML received"), "DescribeInstances failed: malformed response"),
])
def test_fetch_errors_name_region_and_cause(error, match):
    source, _calls, _session = make_source(error)
    with pytest.raises(Ec2SourceError, match=match):
        source.fetch()


def test_no_region():
    source, _calls, session = make_source([], regions=[])
    session.region_name = None
    with pytest.raises(Ec2SourceError, match="no regions"):
        source.fetch()


def test_instance_hostvars_and_pick():
    source, _c, _s = make_source([{"Reservations": [{"Instances": [INSTANCE]}]}], {"p5.48xlarge": type_info("p5.48xlarge")})
    region = source.fetch()["regions"]["us-east-1"]
    inst = region["instances"][0]
    hv = instance_hostvars(inst, "us-east-1", region["instance_types"]["p5.48xlarge"])
    assert hv["gpu_count"] == 8 and hv["gpu_models"] == ["h100"] and hv["gpu_memory_mib"] == 81920
    assert hv["ec2_instance_id"] == "i-1" and hv["ec2_instance_type"] == "p5.48xlarge" and hv["ec2_region"] == "us-east-1"
    assert hv["ec2_state"] == "running" and hv["ec2_availability_zone"] == "us-east-1a"
    assert hv["ec2_private_ip_address"] == "10.0.0.5" and hv["ec2_public_ip_address"] is None
    assert hv["ec2_public_dns_name"] is None and hv["ec2_vcpus"] == 192 and hv["ec2_memory_mib"] == 2097152
    assert hv["ec2_tags"] == {"Name": "trainer-{{ 7 * 7 }}", "team": "ml"}
    assert pick(inst, hv["ec2_tags"], ["tag:Name", "instance-id"]) == "trainer-{{ 7 * 7 }}"
    assert pick(inst, hv["ec2_tags"], ["public-dns-name", "private-dns-name"]) == "ip-10-0-0-5"
    assert pick(inst, hv["ec2_tags"], ["tag:missing", "public-ip-address"]) is None


def _xml(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def _botocore_parse(body):
    import botocore.session
    from botocore.parsers import create_parser
    op = botocore.session.get_session().get_service_model("ec2").operation_model("DescribeInstances")
    return create_parser("ec2").parse({"body": body, "headers": {}, "status_code": 200}, op.output_shape)


def test_fast_xml_parser_matches_botocore_on_moto_response():
    body = _xml("ec2_moto_describe_instances_page1.xml")
    fast, token = parse_describe_instances_xml(body)
    slow = [_slim_instance(i) for r in _botocore_parse(body)["Reservations"] for i in r["Instances"]]
    assert token is None and len(fast) == 4
    for a, b in zip(fast, slow):
        a, b = dict(a), dict(b)
        assert (a.pop("Tags", None) or []) == (b.pop("Tags", None) or [])
        assert a == b
    assert fast[0]["Tags"][0] == {"Key": "Name", "Value": "{{ lookup('pipe','id') }} & <x>"}
    assert sorted(i["State"] for i in fast) == ["running", "running", "running", "stopped"]
    assert {"Key": "empty", "Value": ""} in fast[3]["Tags"]


def test_fast_parser_hook_keeps_next_token_and_leaves_errors_alone():
    body = _xml("ec2_moto_describe_instances_page1.xml").replace(b"</reservationSet>", b"</reservationSet><nextToken>a&amp;b</nextToken>")
    hook = FastInstancesParser()
    response, custom = {"status_code": 200, "body": body, "headers": {}}, {}
    hook(response_dict=response, customized_response_dict=custom)
    assert len(custom["MlinfraSlimInstances"]) == 4
    parsed = _botocore_parse(response["body"])
    assert parsed["NextToken"] == "a&b" and parsed.get("Reservations", []) == []
    error = {"status_code": 503, "body": b"<Response><Errors><Error><Code>RequestLimitExceeded</Code></Error></Errors></Response>"}
    custom = {}
    hook(response_dict=dict(error), customized_response_dict=custom)
    assert custom == {}
    html = {"status_code": 200, "body": b"<!doctype html><html>"}
    hook(response_dict=html, customized_response_dict=custom)
    assert custom == {} and html["body"] == b"<!doctype html><html>"


# ---- exact values the tests above let slip (each kills a mutant)

def test_gpus_of_type_exact():
    assert gpus_of_type(slim_type("p5.48xlarge")) == [{"name": "H100", "count": 8, "memory_mib": 81920, "vendor": "nvidia"}]
    assert gpus_of_type(slim_type("g4ad.xlarge")) == [
        {"name": "Radeon Pro V520", "count": 1, "memory_mib": 8192, "vendor": "amd"}]
    other = {"GpuInfo": {"Gpus": [{"Name": "X1", "Manufacturer": "Xilinx", "Count": 2}, {"Name": "Y"}]}}
    assert gpus_of_type(other) == [{"name": "X1", "count": 2, "memory_mib": None, "vendor": None},
                                   {"name": "Y", "count": 0, "memory_mib": None, "vendor": None}]
    unknown_name = {"GpuInfo": {"Gpus": [{"Name": "Z9", "Manufacturer": "NVIDIA", "Count": 1}]}}
    assert gpu_hostvars(gpus_of_type(unknown_name))["gpu_vendor"] == "nvidia"


def test_source_defaults():
    source = Ec2GpuSource(["us-east-1"])
    assert (source.max_attempts, source.retry_mode, source.timeout, source.fast_parse, source.page_size) == (
        10, "adaptive", 60, True, 1000)
    assert source.filters == [{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}]
    assert (source.endpoint_url, source.credentials, source.hooks) == (None, {}, [])


def test_missing_boto3_is_a_clear_error(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(Ec2SourceError) as error:
        Ec2GpuSource(["us-east-1"]).fetch()
    assert str(error.value) == "the Python library boto3 is required on the controller (pip install boto3)"


def test_fast_reader_ignores_other_placement_fields():
    """A dedicated-host instance has more placement fields (affinity, hostId) after the zone: only the zone is read."""
    body = _xml("ec2_moto_describe_instances_page1.xml").replace(
        b"<availabilityZone>us-east-1a</availabilityZone></placement>",
        b"<availabilityZone>us-east-1a</availabilityZone><affinity>default</affinity><hostId>h-0a1b2c3d4e5f60718</hostId>"
        b"</placement>", 1)
    fast, _token = parse_describe_instances_xml(body)
    slow = [_slim_instance(i) for r in _botocore_parse(body)["Reservations"] for i in r["Instances"]]
    assert [i["AvailabilityZone"] for i in fast] == [i["AvailabilityZone"] for i in slow] == ["us-east-1a"] * 4


# ---- the fast reader's guard and fallbacks (pure: no server)

SINGLE = _xml("ec2_moto_describe_instances_page1.xml")


@pytest.mark.parametrize("kwargs, why", [
    ({"response_dict": {"status_code": 200, "body": SINGLE}}, "botocore passed no response_dict/customized_response_dict"),
    ({"response_dict": {"status_code": 200, "body": SINGLE.decode()}, "customized_response_dict": {}},
     "the body is str, not bytes"),
    ({"response_dict": {"status_code": 200, "body": b"<!doctype html><html>"}, "customized_response_dict": {}},
     "ParseError: "),
    ({"response_dict": {"status_code": 200, "body": SINGLE.replace(b"<instanceId>", b"<instanceID>").replace(
        b"</instanceId>", b"</instanceID>")}, "customized_response_dict": {}},
     "UnexpectedResponse: an instance without instanceId"),
])
def test_hook_leaves_unexpected_input_to_botocore(kwargs, why):
    log = []
    hook = FastInstancesParser(log.append)
    before = dict(kwargs["response_dict"])
    hook(**kwargs)
    assert (hook.fast, hook.slow) == (0, 1)
    assert kwargs["response_dict"] == before and kwargs.get("customized_response_dict", {}) == {}
    assert len(log) == 1 and log[0].startswith("ec2_gpu: fast DescribeInstances reader: " + why)
    assert log[0].endswith("; botocore's parser reads this page")


def test_hook_leaves_error_responses_alone_without_counting():
    hook = FastInstancesParser()
    response = {"status_code": 503, "body": b"<Response><Errors><Error><Code>RequestLimitExceeded</Code></Error></Errors></Response>"}
    custom = {}
    hook(response_dict=response, customized_response_dict=custom)
    assert (hook.fast, hook.slow, custom) == (0, 0, {})


@pytest.mark.parametrize("text, expected", [
    ("1.44.8", (1, 44, 8)), ("1.45.0rc1", (1, 45)), ("2", (2,)), ("dev", ()), ("1.31.0.dev3", (1, 31, 0)),
])
def test_botocore_version(text, expected):
    assert botocore_version(text) == expected


@pytest.mark.parametrize("version, allowed", [
    ("1.34.162", False), ("1.35.15", False), ("1.35.16", True), ("1.40.0", True), ("1.44.8", True), ("1.44.999", True),
    ("1.45.0", False), ("2.0.0", False), ("1.45", False), ("1.36", True), ("1.35", False), ("1.45.0rc1", False),
    ("", False),
])
def test_fast_parser_version_guard(version, allowed):
    assert (fast_parser_refusal(version) is None) is allowed


def test_guard_range_is_the_documented_one():
    assert _ec2.FAST_PARSER_BOTOCORE == ((1, 35, 16), (1, 45, 0))


@pytest.mark.parametrize("error, message", [
    (ResponseParserError("Unable to parse response (not well-formed), invalid XML received: " + "x" * 400),
     "region us-east-1: DescribeInstanceTypes failed: malformed response: Unable to parse response (not well-formed), "
     "invalid XML received: " + "x" * (300 - 66)),
    (ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "You are not authorized"}}, "DescribeInstanceTypes"),
     "region us-east-1: DescribeInstanceTypes failed: permission denied or bad credentials (UnauthorizedOperation: "
     "You are not authorized)"),
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:1/"),
     'region us-east-1: DescribeInstanceTypes failed: EndpointConnectionError: Could not connect to the endpoint URL: '
     '"http://127.0.0.1:1/"'),
])
def test_describe_instance_types_errors(monkeypatch, error, message):
    def broken(self, InstanceTypes):
        raise error
    monkeypatch.setattr(StubClient, "describe_instance_types", broken)
    source, _calls, _session = make_source([{"Reservations": [{"Instances": [INSTANCE]}]}], {})
    with pytest.raises(Ec2SourceError) as caught:
        source.fetch()
    assert str(caught.value) == message


def test_more_than_100_types_are_asked_in_chunks_of_100():
    instances = [dict(INSTANCE, InstanceId="i-%d" % n, InstanceType="t%03d.large" % n) for n in range(201)]
    types = dict(("t%03d.large" % n, {"InstanceType": "t%03d.large" % n}) for n in range(201) if n != 200)
    source, calls, _session = make_source([{"Reservations": [{"Instances": instances}]}], types)
    raw = source.fetch()["regions"]["us-east-1"]["instance_types"]
    asked = [len(c[1]) for c in calls if c[0] == "describe_instance_types"]
    assert asked == [100, 100, 1]
    assert len(raw) == 201 and raw["t200.large"] is None and raw["t000.large"] == {"GpuInfo": None, "VCpus": None,
                                                                                   "MemoryMiB": None}


def test_state_filter_is_added_next_to_other_filters():
    assert _filters({"availability-zone": "us-east-1a"}, None, ["running"]) == [
        {"Name": "availability-zone", "Values": ["us-east-1a"]}, {"Name": "instance-state-name", "Values": ["running"]}]
    assert _filters({"vpc-id": "v"}, None, []) == [{"Name": "vpc-id", "Values": ["v"]}]


@pytest.mark.parametrize("root", [b"DescribeInstanceStatusResponse", b"Response", b"A"])
def test_other_root_elements_are_unexpected(root):
    with pytest.raises(UnexpectedResponse) as error:
        parse_describe_instances_xml(b"<" + root + b"/>")
    assert str(error.value) == "root element is %s, not DescribeInstancesResponse" % root.decode()


def test_fallback_message_is_cut_at_200_characters():
    log = []
    FastInstancesParser(log.append)(response_dict={"status_code": 200, "body": b"<" + b"A" * 250 + b"/>"},
                                    customized_response_dict={})
    why = ("root element is " + "A" * 250 + ", not DescribeInstancesResponse")[:200]
    assert log == ["ec2_gpu: fast DescribeInstances reader: UnexpectedResponse: %s; botocore's parser reads this page" % why]


def test_hook_without_a_status_code_leaves_the_page_alone():
    custom = {}
    hook = FastInstancesParser()
    hook(response_dict={"body": SINGLE}, customized_response_dict=custom)
    assert (hook.fast, hook.slow, custom) == (0, 0, {})


def test_reservation_group_set_items_are_not_instances():
    """EC2-Classic era reservations list security groups in the reservation's groupSet (items, like instances)."""
    body = SINGLE.replace(b"<groupSet/><instancesSet>",
                          b"<groupSet><item><groupId>sg-1</groupId><groupName>default</groupName></item></groupSet>"
                          b"<instancesSet>", 1)
    assert body != SINGLE
    fast, _token = parse_describe_instances_xml(body)
    slow = [_slim_instance(i) for r in _botocore_parse(body)["Reservations"] for i in r["Instances"]]
    assert [i["InstanceId"] for i in fast] == [i["InstanceId"] for i in slow] and len(fast) == 4


def test_bad_profile_is_a_clear_error(monkeypatch, tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile other]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with pytest.raises(Ec2SourceError) as error:
        Ec2GpuSource(["us-east-1"], credentials={"profile_name": "nope"}).fetch()
    assert str(error.value) == "cannot create an AWS session: The config profile (nope) could not be found"


def test_describe_instances_malformed_message_is_cut_at_300_characters():
    error = ResponseParserError("Unable to parse response: " + "y" * 400)
    source, _calls, _session = make_source(error)
    with pytest.raises(Ec2SourceError) as caught:
        source.fetch()
    assert str(caught.value) == "region us-east-1: DescribeInstances failed: malformed response: " + str(error)[:300]


@pytest.mark.parametrize("text, expected", [
    ("2025-01-02T03:04:05.000Z", "2025-01-02T03:04:05+00:00"), ("2025-01-02T03:04:05Z", "2025-01-02T03:04:05+00:00"),
    ("yesterday", "yesterday"),
])
def test_launch_time_forms(text, expected):
    assert _ec2._iso(text) == expected


def test_no_regions_given_means_the_sessions():
    assert Ec2GpuSource(None).regions == [] and Ec2GpuSource(("a", "b")).regions == ["a", "b"]
