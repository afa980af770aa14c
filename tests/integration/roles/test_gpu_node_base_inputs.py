"""Bad input to mlinfra.gpu.gpu_node_base: a clear error that names the value, before anything changes.

The role runs against localhost in check mode (so a mistake in these tests cannot touch the machine), and
each case asserts the message and that the play recap shows no change. The last cases run the whole role in
check mode on this (Debian) machine and read one value of its report.
"""
import json
import os

import pytest

from role_harness import run_play

PLAY = """
- hosts: localhost
  connection: local
  gather_facts: true
  roles:
    - mlinfra.gpu.gpu_node_base
"""


def run_role(tmp_path, extra_vars, callback="ansible.builtin.default"):
    return run_play(tmp_path, PLAY, extra_vars, callback=callback)


def assert_failed_unchanged(proc, *needles):
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    for needle in needles:
        assert needle in out, "%r not in output:\n%s" % (needle, out)
    assert "changed=0" in out, out
    assert "Traceback" not in out, out


@pytest.mark.integration
def test_unsupported_os_names_the_os_and_the_supported_list(tmp_path):
    proc = run_role(tmp_path, {"gpu_node_base_supported_os": {"Debian": ["11"], "Ubuntu": ["24"]}})
    assert_failed_unchanged(proc, "is not supported", "Supported: Debian 11, Ubuntu 24",
                            "gpu_node_base_allow_unsupported_os")


@pytest.mark.integration
def test_wrong_type_is_refused_by_the_argument_spec(tmp_path):
    proc = run_role(tmp_path, {"gpu_node_base_time_sync": "sometimes"})
    assert_failed_unchanged(proc, "gpu_node_base_time_sync", "sometimes")


@pytest.mark.integration
def test_unknown_choice_is_refused(tmp_path):
    proc = run_role(tmp_path, {"gpu_node_base_sysctl_apply": "maybe"})
    assert_failed_unchanged(proc, "gpu_node_base_sysctl_apply", "maybe")


@pytest.mark.integration
def test_bad_sysctl_name_is_named(tmp_path):
    proc = run_role(tmp_path, {"gpu_node_base_sysctl_extra": {"vm.max map count": 1}})
    assert_failed_unchanged(proc, "'vm.max map count'", "is not a valid kernel parameter setting")


@pytest.mark.integration
def test_ca_entry_with_both_content_and_src_is_refused(tmp_path):
    proc = run_role(tmp_path, {"gpu_node_base_ca_certificates": [
        {"name": "corp", "content": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----", "src": "/tmp/x.pem"}]})
    assert_failed_unchanged(proc, "entry 'corp' is not valid", "exactly one of 'content'")


@pytest.mark.integration
def test_limits_entry_missing_a_key_is_refused(tmp_path):
    proc = run_role(tmp_path, {"gpu_node_base_limits": [{"domain": "*", "type": "-", "item": "memlock"}]})
    assert_failed_unchanged(proc, "value")


def report_value(proc, key):
    """The value of gpu_node_base_report[key] that the role's last task set, from the JSON callback's output."""
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    tasks = json.loads(proc.stdout)["plays"][0]["tasks"]
    report = [t for t in tasks if t["task"]["name"].endswith("Report what the node has")]
    assert len(report) == 1, [t["task"]["name"] for t in tasks]
    return report[0]["hosts"]["localhost"]["ansible_facts"]["gpu_node_base_report"][key]


@pytest.mark.integration
def test_check_mode_reports_whether_the_sources_would_change(tmp_path):
    # observed before the run: the role's source file is what the run would add
    would_add = not os.path.exists("/etc/apt/sources.list.d/mlinfra-gpu-nonfree.sources")
    proc = run_role(tmp_path, {"gpu_node_base_time_servers": ["127.0.0.1"]}, callback="ansible.builtin.json")
    assert report_value(proc, "sources_changed") is would_add


@pytest.mark.integration
def test_unmanaged_sources_never_change(tmp_path):
    proc = run_role(tmp_path, {"gpu_node_base_manage_sources": False, "gpu_node_base_time_servers": ["127.0.0.1"]},
                    callback="ansible.builtin.json")
    assert report_value(proc, "sources_changed") is False
