# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Black-box tests: ``ansible localhost -m mlinfra.gpu.gpu_facts`` with fake tools on PATH and a fake sysfs."""

from __future__ import absolute_import, division, print_function

import json
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
CAPTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "gpu", "nvidia")
AMD = os.path.join(ROOT, "tests", "unit", "fixtures", "gpu", "amd")
sys.path.insert(0, HERE)

from make_sysfs import hgx_devices, make_tree  # noqa: E402  pylint: disable=wrong-import-position

# The ansible CLI comes from .venv (scripts/setup.sh); without it these tests cannot run, and that is a failure.
pytestmark = pytest.mark.integration


def _wrapper(bin_dir, name, script, fixture):
    path = os.path.join(bin_dir, name)
    with open(path, "w") as handle:
        target = os.path.join(HERE, script)
        handle.write('#!/bin/sh\nexec "%s" "%s" --fixture "%s" "$@"\n' % (sys.executable, target, fixture))
    os.chmod(path, 0o755)


def run_module(tmp_path, devices=(), nvidia=None, amd=None, proc_version=None, args="", expect_rc=0, check=False):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if nvidia:
        _wrapper(str(bin_dir), "nvidia-smi", "fake_nvidia_smi.py", nvidia)
    if amd:
        _wrapper(str(bin_dir), "amd-smi", "fake_amd_smi.py", amd)
    make_tree(str(tmp_path / "sys"), devices)
    proc = tmp_path / "proc" / "driver" / "nvidia"
    proc.mkdir(parents=True)
    if proc_version:
        (proc / "version").write_text(proc_version)
    env = dict(os.environ)
    # Only our bin dir plus the interpreter's: a real nvidia-smi/amd-smi on the test host must not leak in.
    env["PATH"] = os.pathsep.join([str(bin_dir), os.path.dirname(sys.executable), "/usr/bin", "/bin"])
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, ".build", "collections"))
    env["ANSIBLE_LOCALHOST_WARNING"] = "false"
    env["ANSIBLE_INVENTORY_UNPARSED_WARNING"] = "false"
    module_args = "sysfs_root=%s proc_root=%s %s" % (tmp_path / "sys", tmp_path / "proc", args)
    ansible = shutil.which("ansible") or pytest.fail("the ansible CLI is not on PATH (scripts/setup.sh puts .venv there)")
    cmd = [ansible, "localhost", "-m", "mlinfra.gpu.gpu_facts", "-a", module_args, "-o",
           "-e", "ansible_python_interpreter=%s" % sys.executable] + (["--check"] if check else [])
    proc_run = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              check=False)
    assert proc_run.returncode == expect_rc, proc_run.stdout + proc_run.stderr
    line = [text for text in proc_run.stdout.splitlines() if text.startswith("localhost")][0]
    return json.loads(line.split("=>", 1)[1])


def test_h100_mig_capture_with_pci_and_procfs(tmp_path):
    result = run_module(
        tmp_path, devices=[("0000:00:09.0", "0x10de", "0x2330", "0x030200", "0")] + hgx_devices(0, 0),
        nvidia=os.path.join(CAPTURES, "linux-x86_64__nvidia-h100-mig__590.48.01"),
        proc_version="NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  590.48.01  Release Build  "
                     "(dvs-builder@U16)  Thu Oct 10 12:15:00 UTC 2024\n")
    gpu = result["ansible_facts"]["gpu"]
    assert result["changed"] is False
    assert gpu["count"] == 1 and gpu["vendors"] == ["nvidia"]
    device = gpu["devices"][0]
    assert device["name"] == "NVIDIA H100 80GB HBM3"
    assert device["pci_bus_id"] == "0000:00:09.0" and device["pci_device_id"] == "10de:2330"
    assert device["memory_mib"] == 81559 and device["mig_mode"] == "enabled"
    assert device["architecture"] == "hopper" and device["compute_capability"] == "9.0"
    assert device["uuid"].startswith("GPU-") and device["numa_node"] == 0
    assert gpu["driver"] == {"loaded": True, "version": "590.48.01", "kernel_module": "open", "cuda_version": "13.1",
                             "error": None}
    assert gpu["sources"] == ["pci", "procfs", "nvidia-smi"]
    assert gpu["nvswitch_count"] == 0


def test_old_driver_retries_without_unknown_fields(tmp_path):
    result = run_module(tmp_path, devices=[("0000:0c:00.0", "0x10de", "0x1e81", "0x030000", "-1")],
                        nvidia=os.path.join(HERE, "fixtures", "old_driver"))
    device = result["ansible_facts"]["gpu"]["devices"][0]
    assert device["name"] == "NVIDIA GeForce RTX 2080 SUPER"
    assert device["memory_mib"] == 8192 and device["uuid"].startswith("GPU-")
    assert device["compute_capability"] == "7.5"  # from the catalogue: the old driver has no compute_cap
    assert device["mig_mode"] is None and device["numa_node"] is None
    driver = result["ansible_facts"]["gpu"]["driver"]
    assert driver["version"] == "595.71.05" and driver["cuda_version"] == "13.2"  # header fallback


@pytest.mark.parametrize("fixture, text", [("not_working", "couldn't communicate"),
                                           ("version_mismatch", "Driver/library version mismatch")])
def test_driver_installed_but_not_working(tmp_path, fixture, text):
    result = run_module(tmp_path, devices=hgx_devices(8, 4), nvidia=os.path.join(HERE, "fixtures", fixture),
                        proc_version="NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.173.02  Tue Jun 23 "
                                     "08:38:17 UTC 2026\n")
    gpu = result["ansible_facts"]["gpu"]
    assert gpu["count"] == 8 and gpu["nvswitch_count"] == 4
    assert gpu["driver"]["loaded"] is False and text in gpu["driver"]["error"]
    assert gpu["driver"]["kernel_module"] == "proprietary" and gpu["driver"]["version"] == "580.173.02"
    assert all(d["name"] == "H100 SXM5 80GB" and d["uuid"] is None for d in gpu["devices"])
    assert [d["index"] for d in gpu["devices"]] == list(range(8))


def test_no_gpu(tmp_path):
    gpu = run_module(tmp_path, devices=hgx_devices(0, 0))["ansible_facts"]["gpu"]
    assert gpu["count"] == 0 and gpu["devices"] == [] and gpu["driver"]["loaded"] is False and gpu["sources"] == []


def test_amd_mi350x(tmp_path):
    gpu = run_module(tmp_path, devices=[("0000:05:00.0", "0x1002", "0x75a0", "0x120000", "0")],
                     amd=os.path.join(AMD, "amd-smi_static_json__MI350X__rocm7_envelope__derived.json"),
                     )["ansible_facts"]["gpu"]
    assert gpu["vendors"] == ["amd"] and gpu["sources"] == ["pci", "amd-smi"]
    device = gpu["devices"][0]
    assert device["name"] == "AMD Instinct MI350X" and device["gfx_target"] == "gfx950"
    assert device["architecture"] == "cdna4" and device["model"] == "mi350x"
    assert gpu["amd_driver"]["version"] == "6.18.3"


def test_real_error_fails_with_context(tmp_path):
    fixture = tmp_path / "broken"
    fixture.mkdir()
    (fixture / "error.txt").write_text("Segmentation fault\n")
    (fixture / "rc").write_text("139\n")
    result = run_module(tmp_path, nvidia=str(fixture), expect_rc=2)
    assert result["rc"] == 139 and "ansible_facts" not in result
    assert "--query-gpu=" in result["msg"] and "Segmentation fault" in result["msg"]


def test_check_mode_and_pci_only(tmp_path):
    gpu = run_module(tmp_path, devices=hgx_devices(16, 4), nvidia=os.path.join(HERE, "fixtures", "not_working"),
                     args="query_tools=false", check=True)["ansible_facts"]["gpu"]
    assert gpu["count"] == 16 and gpu["nvswitch_count"] == 4 and gpu["driver"]["error"] is None
    assert sorted(set(d["numa_node"] for d in gpu["devices"])) == [0, 1]
