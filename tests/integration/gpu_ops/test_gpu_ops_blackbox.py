# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Black-box tests: ``ansible localhost -m mlinfra.gpu.nvidia_mig|gpu_health`` against a fake nvidia-smi that keeps
MIG state in a JSON file and logs every argv it receives (fake_nvidia_smi.py)."""

from __future__ import absolute_import, division, print_function

import json
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
HEALTH = os.path.join(ROOT, "tests", "unit", "fixtures", "health")

pytestmark = pytest.mark.integration

CHANGING = ("-cgi", "-dgi", "-dci", "-cci", "-mig", "--gpu-reset")

# Profile tables of the recorded A30 (535.183.01) and H100 NVL (560.35.03) -lgip/-lgipp outputs; ci_id is the default
# compute-instance profile (A30 -lcip, A100 guide's -cgi -C outputs).
A30 = [
    {"name": "1g.6gb", "id": 14, "total": 4, "memory": "5.81", "sm": 14, "dec": 1, "enc": 0, "ce": 1, "jpeg": 0,
     "ofa": 0, "starts": [0, 1, 2, 3], "size": 1, "ci_id": 0},
    {"name": "1g.6gb+me", "id": 21, "total": 1, "memory": "5.81", "sm": 14, "dec": 1, "enc": 0, "ce": 1, "jpeg": 1,
     "ofa": 1, "starts": [0, 1, 2, 3], "size": 1, "ci_id": 0},
    {"name": "2g.12gb", "id": 5, "total": 2, "memory": "11.69", "sm": 28, "dec": 2, "enc": 0, "ce": 2, "jpeg": 0,
     "ofa": 0, "starts": [0, 2], "size": 2, "ci_id": 1},
    {"name": "2g.12gb+me", "id": 6, "total": 1, "memory": "11.69", "sm": 28, "dec": 2, "enc": 0, "ce": 2, "jpeg": 1,
     "ofa": 1, "starts": [0, 2], "size": 2, "ci_id": 1},
    {"name": "4g.24gb", "id": 0, "total": 1, "memory": "23.44", "sm": 56, "dec": 4, "enc": 0, "ce": 4, "jpeg": 1,
     "ofa": 1, "starts": [0], "size": 4, "ci_id": 2},
]
H100_NVL = [
    {"name": "1g.12gb", "id": 19, "total": 7, "memory": "10.75", "sm": 16, "dec": 1, "enc": 0, "ce": 1, "jpeg": 1,
     "ofa": 0, "starts": [0, 1, 2, 3, 4, 5, 6], "size": 1, "ci_id": 0},
    {"name": "1g.12gb+me", "id": 20, "total": 1, "memory": "10.75", "sm": 16, "dec": 1, "enc": 0, "ce": 1, "jpeg": 1,
     "ofa": 1, "starts": [0, 1, 2, 3, 4, 5, 6], "size": 1, "ci_id": 0},
    {"name": "1g.24gb", "id": 15, "total": 4, "memory": "21.62", "sm": 26, "dec": 1, "enc": 0, "ce": 1, "jpeg": 1,
     "ofa": 0, "starts": [0, 2, 4, 6], "size": 2, "ci_id": 0},
    {"name": "2g.24gb", "id": 14, "total": 3, "memory": "21.62", "sm": 32, "dec": 2, "enc": 0, "ce": 2, "jpeg": 2,
     "ofa": 0, "starts": [0, 2, 4], "size": 2, "ci_id": 1},
    {"name": "3g.47gb", "id": 9, "total": 2, "memory": "46.38", "sm": 60, "dec": 3, "enc": 0, "ce": 3, "jpeg": 3,
     "ofa": 0, "starts": [0, 4], "size": 4, "ci_id": 2},
    {"name": "4g.47gb", "id": 5, "total": 1, "memory": "46.38", "sm": 64, "dec": 4, "enc": 0, "ce": 4, "jpeg": 4,
     "ofa": 0, "starts": [0], "size": 4, "ci_id": 3},
    {"name": "7g.94gb", "id": 0, "total": 1, "memory": "93.12", "sm": 132, "dec": 7, "enc": 0, "ce": 8, "jpeg": 7,
     "ofa": 1, "starts": [0], "size": 8, "ci_id": 4},
]


def _ci(gpu, gi):
    return [{"id": 0, "uuid": "MIG-%08d-0000-0000-0000-%012d" % (gpu, gi)}]


def two_gpus(**gpu0):
    a30 = {"index": 0, "name": "NVIDIA A30", "uuid": "GPU-1e44b340-5807-0dbe-62e6-343a6b8b8bcd",
           "bus": "00000000:0B:00.0", "mode": "Enabled", "pending": "Enabled", "profiles": A30,
           "gis": [{"id": 3, "profile": 14, "start": 0, "cis": _ci(0, 3)},
                   {"id": 4, "profile": 14, "start": 1, "cis": _ci(0, 4)},
                   {"id": 2, "profile": 5, "start": 2, "cis": _ci(0, 2)}], "processes": []}
    a30.update(gpu0)
    nvl = {"index": 1, "name": "NVIDIA H100 NVL", "uuid": "GPU-00000000-0000-0000-0000-000000000001",
           "bus": "00000001:00:00.0", "mode": "Enabled", "pending": "Enabled", "profiles": H100_NVL, "gis": [],
           "processes": []}
    return {"gpus": [a30, nvl]}


# gpu_health options that point at each fake tool (a real journalctl or dmesg of the test host must not answer).
TOOL_OPTIONS = {"journalctl": "journalctl_path", "dmesg": "dmesg_path", "dcgmi": "dcgmi_path",
                "nv-fabricmanager": "fabricmanager_path", "amd-smi": "amd_smi_path", "rocm-smi": "rocm_smi_path"}


def run_module(tmp_path, module, args, state=None, check=False, expect_rc=0, tools=None, verbose=False, nvidia=True):
    bin_dir = tmp_path / "bin"
    if not bin_dir.exists():
        bin_dir.mkdir()
    state_file = tmp_path / "state.json"
    if state is not None:
        state_file.write_text(json.dumps(state))
    if nvidia:
        smi = bin_dir / "nvidia-smi"
        smi.write_text('#!/bin/sh\nexec "%s" "%s" --state "%s" "$@"\n' % (sys.executable, os.path.join(
            HERE, "fake_nvidia_smi.py"), state_file))
        smi.chmod(0o755)
    for name, text in (tools or {}).items():
        path = bin_dir / name
        path.write_text(text)
        path.chmod(0o755)
        args = dict(args, **{TOOL_OPTIONS[name]: str(path)})
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(bin_dir), os.path.dirname(sys.executable), "/usr/bin", "/bin"])
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, ".build", "collections"))
    env["ANSIBLE_LOCALHOST_WARNING"] = "false"
    env["ANSIBLE_INVENTORY_UNPARSED_WARNING"] = "false"
    ansible = shutil.which("ansible") or pytest.fail("the ansible CLI is not on PATH (scripts/setup.sh puts .venv there)")
    cmd = [ansible, "localhost", "-m", module, "-a", json.dumps(args), "-o", "--diff",
           "-e", "ansible_python_interpreter=%s" % sys.executable] + (["--check"] if check else []) + (
        ["-vvv"] if verbose else [])  # the callbacks keep ``diff`` in the printed result from verbosity 3 on
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          check=False)
    assert proc.returncode == expect_rc, proc.stdout + proc.stderr
    line = [text for text in proc.stdout.splitlines() if text.startswith("localhost")][0]
    return json.loads(line.split("=>", 1)[1])


def changing_log(tmp_path):
    log = tmp_path / "state.json.log"
    if not log.exists():
        return []
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    log.write_text("")
    return [call for call in calls if any(flag in call for flag in CHANGING)]


LAYOUT = {"gpus": [{"devices": [0], "mig_devices": {"2g.12gb": 2}},
                   {"devices": ["00000001:00:00.0"], "mig_devices": {"3g.47gb": 1, "1g.12gb": 3}}]}
EXPECTED_COMMANDS = [
    ["mig", "-i", "0", "-gi", "3", "-ci", "0", "-dci"], ["mig", "-i", "0", "-gi", "3", "-dgi"],
    ["mig", "-i", "0", "-gi", "4", "-ci", "0", "-dci"], ["mig", "-i", "0", "-gi", "4", "-dgi"],
    ["mig", "-i", "0", "-cgi", "5", "-C"],
    ["mig", "-i", "1", "-cgi", "9", "-C"], ["mig", "-i", "1", "-cgi", "19", "-C"],
    ["mig", "-i", "1", "-cgi", "19", "-C"], ["mig", "-i", "1", "-cgi", "19", "-C"],
]


def test_check_mode_plans_and_changes_nothing(tmp_path):
    result = run_module(tmp_path, "mlinfra.gpu.nvidia_mig", LAYOUT, state=two_gpus(), check=True, verbose=True)
    assert changing_log(tmp_path) == []
    assert result["changed"] is True
    assert [op["argv"] for op in result["plan"]] == EXPECTED_COMMANDS
    assert result["diff"]["after"] == {"gpu0": {"mig": "enabled", "instances": ["2g.12gb", "2g.12gb"]},
                                       "gpu1": {"mig": "enabled", "instances": ["1g.12gb", "1g.12gb", "1g.12gb",
                                                                                "3g.47gb"]}}


def test_apply_in_order_then_idempotent(tmp_path):
    result = run_module(tmp_path, "mlinfra.gpu.nvidia_mig", LAYOUT, state=two_gpus())
    assert changing_log(tmp_path) == EXPECTED_COMMANDS
    assert result["changed"] is True
    assert [(d["gpu"], d["profile"], d["gi_id"]) for d in result["mig_devices"]] == [
        (0, "2g.12gb", 1), (0, "2g.12gb", 2), (1, "3g.47gb", 1), (1, "1g.12gb", 2), (1, "1g.12gb", 3),
        (1, "1g.12gb", 4)]
    assert result["mig_devices"][0]["uuid"] == "MIG-00000000-0000-0000-0000-000000000001"
    again = run_module(tmp_path, "mlinfra.gpu.nvidia_mig", LAYOUT)
    assert changing_log(tmp_path) == []
    assert again["changed"] is False and again["plan"] == []


def test_named_layout_with_mig_parted_keys(tmp_path):
    args = {"layouts": {"all-1g": [{"devices": "all", "device-filter": ["A30"], "mig-enabled": True,
                                    "mig-devices": {"1g.6gb": 4}}]}, "layout": "all-1g"}
    run_module(tmp_path, "mlinfra.gpu.nvidia_mig", args, state=two_gpus(gis=[]))
    assert changing_log(tmp_path) == [["mig", "-i", "0", "-cgi", "14", "-C"]] * 4


def test_layout_that_does_not_fit_is_refused_before_any_change(tmp_path):
    args = {"gpus": [{"devices": [1], "mig_devices": {"4g.47gb": 1, "3g.47gb": 2}}]}
    result = run_module(tmp_path, "mlinfra.gpu.nvidia_mig", args, state=two_gpus(), expect_rc=2)
    assert changing_log(tmp_path) == []
    assert result["msg"].startswith("GPU 1 (NVIDIA H100 NVL, 0001:00:00.0) cannot hold the layout 3g.47gb x2, "
                                    "4g.47gb x1; its profiles: 1g.12gb (id 19, 7/7 free)")


def test_busy_instance_is_refused_unless_forced(tmp_path):
    state = two_gpus(processes=[{"gi": 3, "ci": 0, "pid": 4242, "name": "python3"}])
    result = run_module(tmp_path, "mlinfra.gpu.nvidia_mig", LAYOUT, state=state, expect_rc=2)
    assert changing_log(tmp_path) == []
    assert result["msg"] == ("GPU 0 (NVIDIA A30, 0000:0b:00.0): refusing to destroy GPU instance(s) with running "
                             "processes: GI 3 (1g.6gb): pid 4242 python3; stop them or set force=true")
    result = run_module(tmp_path, "mlinfra.gpu.nvidia_mig", dict(LAYOUT, force=True), expect_rc=2)
    assert changing_log(tmp_path) == [["mig", "-i", "0", "-gi", "3", "-ci", "0", "-dci"]]
    assert result["msg"] == ("GPU 0: nvidia-smi mig -i 0 -gi 3 -ci 0 -dci failed (rc=19): Unable to destroy compute "
                             "instance ID  0 from GPU  0 GPU instance ID  3: In use by another client")


def test_pending_mode_is_reported_then_reset_when_allowed(tmp_path):
    state = two_gpus(mode="Disabled", pending="Disabled", gis=[], pending_on_change=True)
    args = {"gpus": [{"devices": [0], "mig_devices": ["4g.24gb"]}]}
    result = run_module(tmp_path, "mlinfra.gpu.nvidia_mig", args, state=state)
    assert changing_log(tmp_path) == [["-i", "0", "-mig", "1"]]
    assert (result["reset_required"], result["deferred"]) == ([0], [0])
    result = run_module(tmp_path, "mlinfra.gpu.nvidia_mig", dict(args, allow_reset=True))
    assert changing_log(tmp_path) == [["--gpu-reset", "-i", "0"], ["mig", "-i", "0", "-cgi", "0", "-C"]]
    assert (result["reset_required"], result["deferred"]) == ([], [])
    assert [d["profile"] for d in result["mig_devices"]] == ["4g.24gb"]


def test_disable_destroys_instances_first(tmp_path):
    run_module(tmp_path, "mlinfra.gpu.nvidia_mig", {"gpus": [{"devices": [0], "mig_enabled": False}]},
               state=two_gpus())
    assert changing_log(tmp_path) == [
        ["mig", "-i", "0", "-gi", "2", "-ci", "0", "-dci"], ["mig", "-i", "0", "-gi", "2", "-dgi"],
        ["mig", "-i", "0", "-gi", "3", "-ci", "0", "-dci"], ["mig", "-i", "0", "-gi", "3", "-dgi"],
        ["mig", "-i", "0", "-gi", "4", "-ci", "0", "-dci"], ["mig", "-i", "0", "-gi", "4", "-dgi"],
        ["-i", "0", "-mig", "0"]]


# ---------------------------------------------------------------------------------------------------- health

HEALTHY = {"driver_version": "590.48.01", "persistence_mode": "Enabled", "temperature.gpu": "42",
           "ecc.mode.current": "Enabled", "ecc.errors.uncorrected.volatile.total": "0",
           "ecc.errors.uncorrected.aggregate.total": "0", "remapped_rows.correctable": "0",
           "remapped_rows.uncorrectable": "0", "remapped_rows.pending": "No", "remapped_rows.failure": "No",
           "pcie.link.gen.current": "5", "pcie.link.gen.max": "5", "pcie.link.width.current": "16",
           "pcie.link.width.max": "16", "clocks_event_reasons.gpu_idle": "Active",
           "clocks_event_reasons.sw_power_cap": "Not Active", "clocks_event_reasons.hw_slowdown": "Not Active",
           "clocks_event_reasons.hw_thermal_slowdown": "Not Active",
           "clocks_event_reasons.hw_power_brake_slowdown": "Not Active",
           "clocks_event_reasons.sw_thermal_slowdown": "Not Active"}


def _cat(path, rc=0):
    return '#!/bin/sh\ncat "%s"\nexit %d\n' % (path, rc)


def test_health_healthy_and_sick_gpus(tmp_path):
    state = two_gpus()
    state["gpus"][0]["bus"] = "00000000:10:1C.0"  # the A100 bus of the recorded Xid 63 line
    state["gpus"][0]["query"] = dict(HEALTHY, **{"remapped_rows.correctable": "1", "remapped_rows.pending": "Yes"})
    state["gpus"][1]["query"] = HEALTHY
    tools = {"journalctl": _cat(os.path.join(HEALTH, "xid__510.73.08__a100_xid63.log")),
             "dcgmi": _cat(os.path.join(HEALTH, "dcgmi_diag_r3__4.0.0__a16.txt")),
             "dmesg": "#!/bin/sh\nexit 1\n", "nv-fabricmanager": "#!/bin/sh\nexit 1\n"}
    result = run_module(tmp_path, "mlinfra.gpu.gpu_health", {"dcgm_diag_level": 3}, state=state, tools=tools,
                        check=True)
    assert result["changed"] is False
    assert result["healthy"] is False
    assert result["failing"] == {"gpu0": ["row_remap", "xid"]}
    assert result["reason"] == "gpu0: row_remap, xid"
    assert [g["healthy"] for g in result["gpus"]] == [False, True]
    assert result["dcgm"]["version"] == "4.0.0"
    log = [json.loads(line) for line in (tmp_path / "state.json.log").read_text().splitlines()]
    assert not [call for call in log if any(flag in call for flag in CHANGING)]


def test_health_of_a_healthy_node_and_bad_threshold(tmp_path):
    state = two_gpus()
    for gpu in state["gpus"]:
        gpu["query"] = HEALTHY
    tools = {"journalctl": "#!/bin/sh\necho 'kernel: Linux version 6.1.0'\n", "dmesg": "#!/bin/sh\nexit 1\n",
             "nv-fabricmanager": "#!/bin/sh\necho 'Fabric Manager version is : 590.48.01'\n"}
    result = run_module(tmp_path, "mlinfra.gpu.gpu_health", {"dcgm_diag_level": 0}, state=state, tools=tools)
    assert result["healthy"] is True and result["failing"] == {}
    checks = dict((c["check"], c["status"]) for c in result["gpus"][1]["checks"])
    assert checks == {"ecc": "pass", "retired_pages": "skip", "row_remap": "pass", "pcie_link": "pass",
                      "temperature": "pass", "throttle": "pass", "persistence_mode": "pass", "fabric_manager": "pass",
                      "nvlink": "skip", "xid": "pass", "dcgm_diag": "skip"}
    result = run_module(tmp_path, "mlinfra.gpu.gpu_health", {"thresholds": {"temp_warn": 80}}, expect_rc=2)
    assert result["msg"].startswith("unknown threshold 'temp_warn'; known: ")


def test_fleet_playbook_drains_the_unhealthy_node(tmp_path):
    state = two_gpus()
    state["gpus"][0]["bus"] = "00000000:10:1C.0"
    state["gpus"][0]["query"] = dict(HEALTHY, **{"remapped_rows.pending": "Yes"})
    state["gpus"][1]["query"] = HEALTHY
    (tmp_path / "state.json").write_text(json.dumps(state))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tools = {"nvidia-smi": '#!/bin/sh\nexec "%s" "%s" --state "%s" "$@"\n' % (
        sys.executable, os.path.join(HERE, "fake_nvidia_smi.py"), tmp_path / "state.json"),
        "journalctl": _cat(os.path.join(HEALTH, "xid__510.73.08__a100_xid63.log")),
        "scontrol": '#!/bin/sh\nprintf "%%s\\n" "$*" >> "%s"\n' % (tmp_path / "scontrol.log")}
    for name, text in tools.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, ".build", "collections"))
    playbook = shutil.which("ansible-playbook") or pytest.fail("the ansible-playbook CLI is not on PATH")
    extra = {"mlinfra_gpu_hosts": "localhost", "ansible_become": False, "gpu_health_drain": True,
             "gpu_health_dcgm_level": 0, "gpu_health_scontrol": str(bin_dir / "scontrol"),
             "gpu_health_nvidia_smi_path": str(bin_dir / "nvidia-smi"),
             "gpu_health_journalctl_path": str(bin_dir / "journalctl"), "gpu_health_node_name": "gpu-node-07",
             "ansible_python_interpreter": sys.executable, "ansible_connection": "local"}
    proc = subprocess.run([playbook, "-i", "localhost,", os.path.join(ROOT, "playbooks", "gpu_health.yml"),
                           "-e", json.dumps(extra)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr  # the unhealthy host ends failed
    assert (tmp_path / "scontrol.log").read_text() == (
        "update nodename=gpu-node-07 state=drain reason=gpu_health: gpu0: row_remap, xid\n")


# ---------------------------------------------------------------------------------------------------- AMD health

AMD_FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "health", "amd")
AMD_STATIC = os.path.join(ROOT, "tests", "unit", "fixtures", "gpu", "amd")


def test_health_of_an_amd_only_node_with_amd_smi(tmp_path):
    log = tmp_path / "amd-smi.log"
    fake = '#!/bin/sh\nexec "%s" "%s" --log "%s" --metric "%s" --static "%s" "$@"\n' % (
        sys.executable, os.path.join(HERE, "fake_amd_smi.py"), log,
        os.path.join(AMD_FIXTURES, "amd-smi_metric_json__rocm7_envelope__schema_sick.json"),
        os.path.join(AMD_STATIC, "amd-smi_static_json__MI350X__rocm7_envelope__derived.json"))
    tools = {"amd-smi": fake, "journalctl": "#!/bin/sh\necho 'kernel: Linux version 6.8.0'\n",
             "dmesg": "#!/bin/sh\nexit 1\n"}
    result = run_module(tmp_path, "mlinfra.gpu.gpu_health", {"dcgm_diag_level": 0}, tools=tools, check=True,
                        nvidia=False)
    assert (result["changed"], result["healthy"], result["reason"]) == (
        False, False, "amd0: ecc, pcie_link, temperature, throttle")
    gpu = result["gpus"][0]
    assert (gpu["vendor"], gpu["name"], gpu["pci_bus_id"], gpu["warnings"]) == (
        "amd", "AMD Instinct MI350X", "0000:05:00.0", ["pcie_replay"])
    assert [json.loads(line) for line in log.read_text().splitlines()] == [["metric", "--json"], ["static", "--json"]]


def test_health_of_an_amd_node_with_rocm_smi_only(tmp_path):
    tools = {"rocm-smi": _cat(os.path.join(AMD_STATIC, "rocm-smi_a_json__MI250__rocm6__wandb_fixture.json")),
             "journalctl": "#!/bin/sh\necho 'kernel: Linux version 6.8.0'\n", "dmesg": "#!/bin/sh\nexit 1\n"}
    result = run_module(tmp_path, "mlinfra.gpu.gpu_health", {"dcgm_diag_level": 0}, tools=tools, nvidia=False)
    assert (result["healthy"], result["failing"]) == (True, {})
    assert [(c["check"], c["status"]) for c in result["gpus"][0]["checks"]] == [
        ("ecc", "skip"), ("pcie_link", "skip"), ("pcie_replay", "warn"), ("temperature", "pass"), ("throttle", "skip")]
    result = run_module(tmp_path, "mlinfra.gpu.gpu_health", {"rocm_smi_path": str(tmp_path / "bin" / "dmesg")},
                        nvidia=False, expect_rc=2)
    assert result["msg"] == "AMD GPUs not readable: rocm-smi -a rc=1 without output"
