"""Only values that could carry a template are unsafe; ansible_host, numbers, booleans and plain names stay plain.

The same expectations hold on ansible-core 2.19 (data tagging: trust) and on 2.18 and older (``wrap_var``): the
``ansible-inventory --list`` shape is the one AWX imports, so it is checked through the real CLI.
"""
import json
import os
import subprocess
import sys

import pytest

from ansible_collections.mlinfra.gpu.plugins.plugin_utils import _unsafe
from ansible_collections.mlinfra.gpu.plugins.plugin_utils._unsafe import can_carry_template, unsafe
from local_servers import RecordedEc2, ec2

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "inventory")
BIN = os.path.dirname(sys.executable)
DATA_TAGGING = _unsafe.trust_as_template is not None  # ansible-core 2.19+


def is_unsafe(value):
    """Would ansible-core refuse to template this string?"""
    if DATA_TAGGING:
        from ansible.template import is_trusted_as_template
        return not is_trusted_as_template(value)
    from ansible.utils.unsafe_proxy import AnsibleUnsafe
    return isinstance(value, AnsibleUnsafe)


@pytest.mark.parametrize("text, carries", [
    ("10.0.0.5", False), ("gpu-a100-01", False), ("", False), ("bad dimm (see #12)", False), ("100%", False),
    ("{{ lookup('pipe', 'id') }}", True), ("{% if x %}", True), ("{# c #}", True), ("a}b", True), ("a{b", True),
    ("#jinja2:variable_start_string:'[[', variable_end_string:']]'\n[[ lookup('pipe','id') ]]", True),
    (" #jinja2: not a header", False),
])
def test_can_carry_template(text, carries):
    assert can_carry_template(text) is carries


def test_unsafe_marks_only_template_carrying_strings():
    value = unsafe({"ansible_host": "10.0.0.5", "n": 8, "ok": True, "none": None, "mem": 1.5,
                    "reason": "bad {{ x }}", "header": "#jinja2:x:1\ny", "models": ["a100", "{{ y }}"],
                    "pair": ("p", "{z}"), "tags": {"Name": "{{ lookup('pipe', 'id') }}", "team": "ml"}})
    assert value == {"ansible_host": "10.0.0.5", "n": 8, "ok": True, "none": None, "mem": 1.5,
                     "reason": "bad {{ x }}", "header": "#jinja2:x:1\ny", "models": ["a100", "{{ y }}"],
                     "pair": ("p", "{z}"), "tags": {"Name": "{{ lookup('pipe', 'id') }}", "team": "ml"}}
    assert [is_unsafe(value[k]) for k in ("ansible_host", "reason", "header")] == [False, True, True]
    assert [is_unsafe(v) for v in value["models"]] == [False, True]
    assert [is_unsafe(v) for v in value["pair"]] == [False, True] and isinstance(value["pair"], tuple)
    assert [is_unsafe(value["tags"][k]) for k in ("Name", "team")] == [True, False]
    assert [type(value[k]) for k in ("n", "ok", "mem")] == [int, bool, float]


def test_template_carrying_dict_keys_before_2_19():
    key = "{{ k }}"
    result = unsafe({key: "v"})
    (got,) = result
    assert got == key
    from ansible.utils.unsafe_proxy import AnsibleUnsafe
    assert isinstance(got, AnsibleUnsafe) is (not DATA_TAGGING)


def test_plain_strings_template_to_themselves_and_unsafe_ones_are_not_templated():
    from ansible.template import Templar
    from ansible.parsing.dataloader import DataLoader
    variables = unsafe({"host": "10.0.0.5", "reason": "bad {{ 7 * 6 }} dimm"})
    templar = Templar(loader=DataLoader(), variables=variables)
    template = "{{ host }} / {{ reason }}"
    if DATA_TAGGING:
        from ansible.template import trust_as_template
        template = trust_as_template(template)
    assert templar.template(template) == "10.0.0.5 / bad {{ 7 * 6 }} dimm"


def run_inventory(path, extra_env=None):
    collections = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or os.path.join(ROOT, ".build", "collections")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_INVENTORY_ENABLED="mlinfra.gpu.slurm,mlinfra.gpu.ec2_gpu",
               ANSIBLE_INVENTORY_UNPARSED_FAILED="true", ANSIBLE_NOCOLOR="1", **(extra_env or {}))
    proc = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", str(path), "--list"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["_meta"]["hostvars"]


def test_slurm_list_output_shape(tmp_path):
    scontrol = tmp_path / "scontrol"
    scontrol.write_text("#!/bin/sh\ncat '%s'\n" % os.path.join(FIXTURES, "slurm_22.05_scontrol_oneliner.txt"))
    scontrol.chmod(0o755)
    config = tmp_path / "slurm.yml"
    config.write_text("plugin: mlinfra.gpu.slurm\nsource: cli\ncli_format: text\nscontrol_path: %s\n" % scontrol)
    hv = run_inventory(config)["gpu-a100-03"]
    assert hv == {
        "ansible_host": "127.0.0.1", "gpu_count": 8, "gpu_memory_mib": None, "gpu_models": ["a100"],
        "gpu_vendor": "nvidia", "slurm_address": "127.0.0.1", "slurm_cpus": 64, "slurm_gres": "gpu:a100:8",
        "slurm_hostname": "gpu-a100-03", "slurm_partitions": ["gpu"], "slurm_real_memory_mb": 512000,
        "slurm_reason": {"__ansible_unsafe": "bad {{ lookup('pipe','id') }} dimm"}, "slurm_state": "drained",
        "slurm_state_flags": ["drain", "not_responding"]}


def test_ec2_list_output_shape(tmp_path):
    with ec2({"DescribeInstances": [(200, RecordedEc2.SINGLE)], "DescribeInstanceTypes": [(200, RecordedEc2.TYPES)]}) as server:
        config = tmp_path / "t.ec2_gpu.yml"
        config.write_text("plugin: mlinfra.gpu.ec2_gpu\nregions: [us-east-1]\nendpoint_url: %s\nmax_attempts: 1\n"
                          "hostnames: [private-dns-name]\n" % server.url)
        hostvars = run_inventory(config, {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                                          "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.devnull,
                                          "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    tagged = [hv for hv in hostvars.values() if "Name" in hv["ec2_tags"]]
    assert [hv["ec2_tags"] for hv in tagged] == [{"Name": {"__ansible_unsafe": "{{ lookup('pipe','id') }} & <x>"}, "team": "ml"}] * 2
    hv = tagged[0]
    assert isinstance(hv["ansible_host"], str) and hv["ansible_host"] == hv["ec2_public_ip_address"]
    plain = dict((k, v) for k, v in hv.items() if k not in ("ec2_tags",))
    assert [k for k, v in sorted(plain.items()) if not isinstance(v, (str, int, list, type(None)))] == []
    assert (hv["gpu_models"], hv["gpu_count"], hv["ec2_vcpus"]) == (["h100"], 8, 192)
