"""Record real EC2 query-protocol response bodies from moto for the unit tests (tests/unit/fixtures/inventory/).

Starts moto in-process (``mock_aws``), creates a small fleet with awkward tags (template-looking, XML-escaped,
non-ASCII, empty values, no tags at all, a stopped instance), then calls DescribeInstances with MaxResults=5 (two
pages) and DescribeInstanceTypes, and writes each HTTP response body exactly as botocore received it (captured in a
``before-parse`` hook, before any parsing). Instance ids, addresses and times are moto's random ones.

Run from the repository root:  . scripts/lib.sh; ensure_venv; python bench/inventory/record_ec2_responses.py
"""
import os
import sys

import boto3
from moto import mock_aws

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "unit", "fixtures", "inventory")
FLEET = [  # (instance type, count, tags, stop afterwards)
    ("p5.48xlarge", 1, {"Name": "{{ lookup('pipe','id') }} & <x>", "team": "research"}, False),
    ("g5.xlarge", 2, {"Name": "\u00e9quipe-inf\u00e9rence", "empty": "", "team": "inference"}, False),
    ("t3.micro", 1, {"team": "web"}, True),
    ("g4dn.xlarge", 1, {}, False),
    ("g6e.xlarge", 1, {"Name": "l40s-box"}, False),
    ("m5.large", 1, {"team": "web"}, False),
    ("p4d.24xlarge", 1, {"team": "research"}, False),
]  # 7 reservations: moto pages DescribeInstances by reservation


def main():
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    bodies = []
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        for itype, count, tags, stop in FLEET:
            spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}] if tags else []
            ids = [i["InstanceId"] for i in ec2.run_instances(ImageId="ami-12c6146b", InstanceType=itype, MinCount=count,
                                                              MaxCount=count, TagSpecifications=spec)["Instances"]]
            if stop:
                ec2.stop_instances(InstanceIds=ids)

        def keep(response_dict, **kwargs):
            bodies.append(response_dict["body"])
        ec2.meta.events.register("before-parse.ec2.*", keep)
        page = ec2.describe_instances(MaxResults=5)
        ec2.describe_instances(MaxResults=5, NextToken=page["NextToken"])
        ec2.describe_instance_types(InstanceTypes=sorted(set(f[0] for f in FLEET)))
    names = ["ec2_moto_describe_instances_paged_1.xml", "ec2_moto_describe_instances_paged_2.xml",
             "ec2_moto_describe_instance_types.xml"]
    for name, body in zip(names, bodies):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(body)
        sys.stdout.write("%s: %d bytes\n" % (name, len(body)))


if __name__ == "__main__":
    main()
