"""The fast DescribeInstances reader against botocore's own parser: same responses, identical hostvars.

The responses are real moto bodies (tests/unit/fixtures/inventory/README.md) served over HTTP on 127.0.0.1 to a real
boto3 client, so each path runs exactly as in production: the only difference is the ``fast_parse`` switch.
"""
import re

import botocore
import pytest

from ansible_collections.mlinfra.gpu.plugins.plugin_utils._ec2 import Ec2GpuSource, fast_parser_refusal, instance_hostvars
from local_servers import RecordedEc2, ec2, isolated_aws  # noqa: F401  pylint: disable=unused-import

PAGE_1 = RecordedEc2.PAGE_1
PAGE_2 = RecordedEc2.PAGE_2
SINGLE = RecordedEc2.SINGLE
TYPES = RecordedEc2.TYPES
TOKEN = RecordedEc2.TOKEN
CREDS = RecordedEc2.CREDS
# The pinned botocore is one the reader was tested with; the tests also run under others (docs/inventory.md).
TESTED_BOTOCORE = fast_parser_refusal(botocore.__version__) is None
pytestmark = pytest.mark.usefixtures("isolated_aws")


def fetch(pages, fast):
    """Raw data, hostvars by instance id, the source and its log, for ``pages`` served to a real client."""
    log = []
    with ec2({"DescribeInstances": [pages], "DescribeInstanceTypes": [(200, TYPES)]}) as server:
        source = Ec2GpuSource(["us-east-1"], endpoint_url=server.url, credentials=CREDS, max_attempts=1,
                              fast_parse=fast, log=log.append, page_size=5)
        raw = source.fetch()
    region = raw["regions"]["us-east-1"]
    hostvars = dict((i["InstanceId"], instance_hostvars(i, "us-east-1", region["instance_types"].get(i["InstanceType"])))
                    for i in region["instances"])
    return raw, hostvars, source, log


PAGED = RecordedEc2.PAGES


@pytest.mark.parametrize("pages, count", [(PAGED, 8), ({None: (200, SINGLE)}, 4)], ids=["two-pages", "one-page"])
def test_both_paths_give_identical_hostvars(pages, count):
    fast_raw, fast, fast_source, fast_log = fetch(pages, True)
    slow_raw, slow, slow_source, slow_log = fetch(pages, False)
    assert slow_source.hooks == []
    assert slow_log == ["ec2_gpu: fast_parser is false: using botocore's parser"]
    if TESTED_BOTOCORE:
        assert [(h.fast, h.slow) for h in fast_source.hooks] == [(len(pages), 0)]
        assert fast_log == ["ec2_gpu: DescribeInstances pages read by the fast reader: %d, by botocore's parser: 0"
                            % len(pages)]
    else:
        assert fast_source.hooks == [] and fast_log == ["ec2_gpu: " + fast_parser_refusal(botocore.__version__)]
    assert len(fast) == count
    assert fast == slow
    assert fast_raw == slow_raw  # the cache holds the same data too


def test_the_recorded_fleet_as_both_paths_read_it():
    """One exact expectation per awkward instance, so 'identical' cannot mean 'identically wrong'."""
    _raw, fast, _source, _log = fetch(PAGED, True)
    by_name = dict((h["ec2_tags"].get("Name"), h) for h in fast.values() if h["ec2_tags"].get("Name"))
    assert sorted(by_name) == ["l40s-box", "{{ lookup('pipe','id') }} & <x>", "\u00e9quipe-inf\u00e9rence"]
    assert by_name["\u00e9quipe-inf\u00e9rence"]["ec2_tags"] == {"Name": "\u00e9quipe-inf\u00e9rence", "empty": "",
                                                                 "team": "inference"}
    stopped = [h for h in fast.values() if h["ec2_state"] == "stopped"]
    assert [(h["ec2_instance_type"], h["ec2_public_ip_address"], h["ec2_public_dns_name"]) for h in stopped] == [
        ("t3.micro", None, None)]
    untagged = [h for h in fast.values() if not h["ec2_tags"]]
    assert [(h["ec2_instance_type"], h["gpu_models"], h["gpu_count"]) for h in untagged] == [("g4dn.xlarge", ["t4"], 1)]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$", by_name["l40s-box"]["ec2_launch_time"])


def test_untested_botocore_uses_botocores_parser(monkeypatch):
    expected = fetch(PAGED, True)[1]
    monkeypatch.setattr(botocore, "__version__", "1.45.0")
    _raw, hostvars, source, log = fetch(PAGED, True)
    assert source.hooks == []
    assert log == ["ec2_gpu: botocore 1.45.0 is not a version the fast DescribeInstances reader was tested with "
                   "(1.35.16 to before 1.45.0): using botocore's parser"]
    assert hostvars == expected


@pytest.mark.skipif(not TESTED_BOTOCORE, reason="the fast reader does not run on this botocore")
def test_unexpected_page_falls_back_to_botocore():
    """A first page the reader does not expect (another root element) goes to botocore; the second stays fast."""
    expected = fetch(PAGED, True)[1]
    odd = PAGE_1.replace(b"<DescribeInstancesResponse ", b"<DescribeInstancesResult ").replace(
        b"</DescribeInstancesResponse>", b"</DescribeInstancesResult>")
    _raw, hostvars, source, log = fetch({None: (200, odd), TOKEN: (200, PAGE_2)}, True)
    assert [(h.fast, h.slow) for h in source.hooks] == [(1, 1)]
    assert log == ["ec2_gpu: fast DescribeInstances reader: UnexpectedResponse: root element is DescribeInstancesResult, "
                   "not DescribeInstancesResponse; botocore's parser reads this page",
                   "ec2_gpu: DescribeInstances pages read by the fast reader: 1, by botocore's parser: 1"]
    assert hostvars == expected
