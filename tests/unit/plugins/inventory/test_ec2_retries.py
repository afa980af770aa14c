"""EC2 throttling through botocore's real retry handler, against a local EC2 query endpoint on 127.0.0.1.

The endpoint answers ``RequestLimitExceeded`` (HTTP 503 with the EC2 XML error body) a few times, then the
DescribeInstances / DescribeInstanceTypes bodies recorded from moto (tests/unit/fixtures/inventory/README.md).
"""
import os
import random
import re

import pytest
from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader

from ansible_collections.mlinfra.gpu.plugins.plugin_utils._ec2 import Ec2GpuSource, Ec2SourceError, instance_hostvars
from local_servers import EC2_THROTTLED, ec2
from test_inventory_plugins import load_plugin

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "inventory")


def body(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


PAGE_1 = body("ec2_moto_describe_instances_paged_1.xml")
PAGE_2 = body("ec2_moto_describe_instances_paged_2.xml")
TYPES = body("ec2_moto_describe_instance_types.xml")
TOKEN = re.search(rb"<nextToken>([^<]+)</nextToken>", PAGE_1).group(1).decode()
PAGES = {None: (200, PAGE_1), TOKEN: (200, PAGE_2)}
CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(autouse=True)
def no_aws_config(monkeypatch, tmp_path):
    """Only the credentials given here: no profile, config file or instance metadata of this machine."""
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                 "AWS_ENDPOINT_URL_EC2", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(autouse=True)
def short_jitter(monkeypatch):
    """botocore's backoff is random * 2**attempt seconds; a small fixed random keeps each wait real but short."""
    monkeypatch.setattr(random, "random", lambda: 0.02)


def actions(server):
    return [r["params"]["Action"] for r in server.requests]


def hostvars_by_id(raw):
    region = raw["regions"]["us-east-1"]
    return dict((i["InstanceId"], instance_hostvars(i, "us-east-1", region["instance_types"].get(i["InstanceType"])))
                for i in region["instances"])


@pytest.mark.parametrize("mode", ["standard", "adaptive", "legacy"])
def test_throttled_twice_then_answered(mode):
    with ec2({"DescribeInstances": [EC2_THROTTLED, EC2_THROTTLED, PAGES], "DescribeInstanceTypes": [(200, TYPES)]}) as server:
        source = Ec2GpuSource(["us-east-1"], endpoint_url=server.url, credentials=CREDS, max_attempts=3, retry_mode=mode,
                              page_size=5)
        raw = source.fetch()
    assert actions(server) == ["DescribeInstances"] * 4 + ["DescribeInstanceTypes"]
    assert [r["params"].get("NextToken") for r in server.requests[:4]] == [None, None, None, TOKEN]
    hosts = hostvars_by_id(raw)
    assert len(hosts) == 8
    p5 = [h for h in hosts.values() if h["ec2_instance_type"] == "p5.48xlarge"][0]
    assert dict((k, v) for k, v in p5.items() if not k.endswith(("_id", "address", "dns_name", "launch_time"))) == {
        "gpu_count": 8, "gpu_models": ["h100"], "gpu_vendor": "nvidia", "gpu_memory_mib": 81920,
        "ec2_instance_type": "p5.48xlarge", "ec2_region": "us-east-1", "ec2_availability_zone": "us-east-1a",
        "ec2_state": "running", "ec2_architecture": "x86_64", "ec2_vcpus": 192, "ec2_memory_mib": 2097152,
        "ec2_tags": {"Name": "{{ lookup('pipe','id') }} & <x>", "team": "research"}}
    assert sorted(h["ec2_instance_type"] for h in hosts.values() if h["gpu_count"]) == [
        "g4dn.xlarge", "g5.xlarge", "g5.xlarge", "g6e.xlarge", "p4d.24xlarge", "p5.48xlarge"]


def test_describe_instance_types_is_retried_too():
    with ec2({"DescribeInstances": [PAGES], "DescribeInstanceTypes": [EC2_THROTTLED, (200, TYPES)]}) as server:
        raw = Ec2GpuSource(["us-east-1"], endpoint_url=server.url, credentials=CREDS, max_attempts=2,
                           retry_mode="standard", page_size=5).fetch()
    assert actions(server) == ["DescribeInstances", "DescribeInstances", "DescribeInstanceTypes", "DescribeInstanceTypes"]
    assert raw["regions"]["us-east-1"]["instance_types"]["g6e.xlarge"]["GpuInfo"]["Gpus"][0]["Name"] == "L40S"


def test_max_attempts_counts_the_first_request():
    with ec2({"DescribeInstances": [EC2_THROTTLED]}) as server:
        source = Ec2GpuSource(["us-east-1"], endpoint_url=server.url, credentials=CREDS, max_attempts=3,
                              retry_mode="standard")
        with pytest.raises(Ec2SourceError) as error:
            source.fetch()
    assert len(server.requests) == 3
    assert str(error.value) == ("region us-east-1: DescribeInstances failed: throttled after all retries "
                                "(RequestLimitExceeded: Request limit exceeded.)")


def test_retry_budget_exceeded_is_an_inventory_error(tmp_path):
    with ec2({"DescribeInstances": [EC2_THROTTLED]}) as server:
        path = tmp_path / "t.ec2_gpu.yml"
        path.write_text("plugin: mlinfra.gpu.ec2_gpu\nregions: [us-east-1]\nendpoint_url: %s\naws_access_key_id: testing\n"
                        "aws_secret_access_key: testing\nmax_attempts: 2\nretry_mode: standard\n" % server.url)
        plugin = load_plugin("ec2_gpu")
        with pytest.raises(AnsibleParserError) as error:
            plugin.parse(InventoryData(), DataLoader(), str(path), cache=False)
    assert len(server.requests) == 2
    assert str(error.value) == ("ec2_gpu inventory: region us-east-1: DescribeInstances failed: throttled after all "
                                "retries (RequestLimitExceeded: Request limit exceeded.)")
