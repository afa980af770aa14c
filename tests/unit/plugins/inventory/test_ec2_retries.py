"""EC2 throttling through botocore's real retry handler, against a local EC2 query endpoint on 127.0.0.1.

The endpoint answers ``RequestLimitExceeded`` (HTTP 503 with the EC2 XML error body) a few times, then the
DescribeInstances / DescribeInstanceTypes bodies recorded from moto (tests/unit/fixtures/inventory/README.md).
"""
import random

import pytest
from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader

from ansible_collections.mlinfra.gpu.plugins.plugin_utils._ec2 import Ec2GpuSource, Ec2SourceError, instance_hostvars
from local_servers import EC2_THROTTLED, RecordedEc2, ec2, isolated_aws  # noqa: F401  pylint: disable=unused-import
from test_inventory_plugins import load_plugin

PAGES = RecordedEc2.PAGES
TYPES = RecordedEc2.TYPES
TOKEN = RecordedEc2.TOKEN
CREDS = RecordedEc2.CREDS
pytestmark = pytest.mark.usefixtures("isolated_aws")


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
