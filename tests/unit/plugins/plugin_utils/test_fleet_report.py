# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report model (plugin_utils/_fleet_report.py): records, majority and drift, summary, sources.

GPU facts come from _gpu_facts.collect replaying the recorded nvidia-smi captures and /proc/driver/nvidia/version
files under tests/unit/fixtures/gpu (sources in SOURCES.md)."""

from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils._gpu_facts import collect
from ansible_collections.mlinfra.gpu.plugins.plugin_utils import _fleet_report as fr

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "gpu")
H100_590 = os.path.join(FIX, "nvidia", "linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01")
RTX_595 = os.path.join(FIX, "nvidia", "linux-x86_64__nvidia-geforce-rtx-2080-super__595.71.05")
RTX_610 = os.path.join(FIX, "nvidia", "linux-x86_64__nvidia-geforce-rtx-2080-super__610.57.04")
PROC_OPEN = os.path.join(FIX, "proc", "version_open_565.txt")
PROC_PROPRIETARY = os.path.join(FIX, "proc", "version_proprietary_580.txt")
SMI = "/usr/bin/nvidia-smi"


def _read(path):
    with open(path) as handle:
        return handle.read()


def _unit(value):
    for unit in (" MiB", " W", " MHz", " %"):
        if value.endswith(unit):
            return value[:-len(unit)]
    return value


def gpu_facts(capture, proc=None):
    """ansible_facts.gpu as gpu_facts builds it from a capture (query.csv, version.txt) and a proc version file."""
    header, row = _read(os.path.join(capture, "query.csv")).splitlines()[:2]
    columns = dict(zip([h.split(" [")[0].strip() for h in header.split(", ")], [v.strip() for v in row.split(", ")]))

    def run(argv):
        if argv[1].startswith("--query-gpu="):
            fields = argv[1].split("=", 1)[1].split(",")
            return 0, ", ".join(_unit(columns[field]) for field in fields) + "\n", ""
        return 0, _read(os.path.join(capture, "version.txt")), ""

    def read(path):
        return _read(proc) if proc and path.endswith("driver/nvidia/version") else None

    return collect(run, read, sysfs_root="/nonexistent", proc_root="/proc", nvidia_smi=SMI)


EMPTY_RECORD = {
    "host": "login1", "groups": ["ungrouped"], "has_gpu_facts": False, "simulated": False, "gpu_count": 0,
    "gpus_by_model": {}, "models": [], "driver": None, "driver_branch": None, "cuda": None, "kernel_module": None,
    "driver_loaded": False, "nvswitch_count": 0, "runtime": None, "cuda_toolkit": None, "frameworks": {},
    "storage": [], "healthy": None, "unhealthy_gpus": [], "reboot_required": False, "reboot_reasons": [],
}


def test_a_host_record_from_recorded_h100_facts_and_the_roles_results():
    raw = {
        "host": "train1", "groups": ["all", "training", "gpu"], "gpu": gpu_facts(H100_590, PROC_OPEN),
        "nvidia_driver": {"branch": "580", "kernel_module": "proprietary", "version": "580.1.1",
                          "reboot_required": True, "reboot_reasons": ["loaded module 570.86.15, installed 590.48.01"]},
        "container_runtime": {"engine": "docker", "engine_version": "", "toolkit_version": "1.17.8"},
        "cuda_toolkit": {"versions": ["12.8", "13.0"]},
        "frameworks": [{"name": "torch", "framework": "torch", "version": "2.7.1", "build": "cu128"}],
        "storage": [{"path": "/scratch", "fstype": "ext4"}],
        "health": {"healthy": True, "gpus": [{"index": 0, "healthy": True, "failing": []}], "failing": {}},
    }
    assert fr.host_record(raw) == {
        "host": "train1", "groups": ["training", "gpu"], "has_gpu_facts": True, "simulated": False, "gpu_count": 1,
        "gpus_by_model": {"NVIDIA H100 80GB HBM3": 1}, "models": ["NVIDIA H100 80GB HBM3"], "driver": "590.48.01",
        "driver_branch": "590", "cuda": "13.1", "kernel_module": "open", "driver_loaded": True, "nvswitch_count": 0,
        "runtime": "docker, toolkit 1.17.8", "cuda_toolkit": "12.8, 13.0", "frameworks": {"torch": "2.7.1 (cu128)"},
        "storage": ["/scratch (ext4)"], "healthy": True, "unhealthy_gpus": [], "reboot_required": True,
        "reboot_reasons": ["loaded module 570.86.15, installed 590.48.01"],
    }


def test_a_record_of_recorded_r610_facts_with_the_proprietary_modules():
    record = fr.host_record({"host": "ws1", "groups": [], "gpu": gpu_facts(RTX_610, PROC_PROPRIETARY)})
    assert (record["driver"], record["driver_branch"], record["cuda"], record["kernel_module"], record["models"]) == (
        "610.57.04", "610", "13.3", "proprietary", ["NVIDIA GeForce RTX 2080 SUPER"])


def test_a_host_without_facts_has_an_empty_record():
    assert fr.host_record({"host": "login1"}) == EMPTY_RECORD


def test_the_driver_status_fills_what_the_facts_lack():
    record = fr.host_record({"host": "n", "gpu": {"count": 0, "devices": []},
                             "nvidia_driver": {"branch": "580", "kernel_module": "open", "version": "",
                                               "reboot_required": False}})
    assert (record["driver"], record["driver_branch"], record["cuda"], record["kernel_module"],
            record["has_gpu_facts"]) == (None, "580", None, "open", True)


def test_the_driver_status_version_gives_branch_and_cuda_from_the_catalogue():
    record = fr.host_record({"host": "n", "nvidia_driver": {"version": "580.65.06"}})
    assert (record["driver"], record["driver_branch"], record["cuda"]) == ("580.65.06", "580", "13.0")


def test_a_simulated_host_with_nvswitches_and_unnamed_gpus():
    gpu = {"simulated": True, "nvswitch_count": 4, "devices": [{"name": "NVIDIA H100"}, {"name": None}, {}],
           "driver": {"loaded": True}}
    record = fr.host_record({"host": "demo", "gpu": gpu})
    assert (record["simulated"], record["nvswitch_count"], record["gpus_by_model"], record["models"],
            record["driver_loaded"]) == (True, 4, {"NVIDIA H100": 1, "unknown": 2}, ["NVIDIA H100", "unknown"], True)


@pytest.mark.parametrize("simulated, expected", [("8 x H100 (recorded)", True), ("", False), (None, False)])
def test_the_site_label_of_recorded_hardware_marks_the_host_simulated(simulated, expected):
    assert fr.host_record({"host": "demo", "gpu": {"devices": []}, "simulated": simulated})["simulated"] is expected


@pytest.mark.parametrize("driver, version, expected", [
    ({"cuda_version": "12.9"}, "575.57.08", "12.9"),   # the driver's own answer wins
    ({"cuda_version": 13.1}, None, "13.1"),
    ({}, "575.57.08", "12.9"),                          # else the catalogue's ceiling
    ({}, "not-a-version", None),
    ({}, "300.1", None),                                # older than any CUDA release the catalogue knows
    ({}, None, None),
    ({}, "", None),
])
def test_cuda_ceiling(driver, version, expected):
    assert fr.cuda_ceiling(driver, version) == expected


@pytest.mark.parametrize("status, expected", [
    ({"engine": "docker", "engine_version": "27.5.1", "toolkit_version": "1.17.8"}, "docker 27.5.1, toolkit 1.17.8"),
    ({"engine": "containerd", "version": "2.1.3", "engine_version": "2.0"}, "containerd 2.1.3"),
    ({"engine": "podman"}, "podman"),
    ({"engine": "", "toolkit_version": "1.17.8"}, None),
    ({}, None),
])
def test_runtime(status, expected):
    assert fr.host_record({"host": "n", "container_runtime": status})["runtime"] == expected


@pytest.mark.parametrize("value, expected", [
    ([{"framework": "none", "version": "1"}, {"framework": "tensorflow"}, {"version": "1.0"}, "junk",
      {"framework": "torch", "version": "2.7.1", "build": "cu128"},
      {"framework": "torch", "version": "2.5.1", "build": "cu124"},
      {"framework": "torch", "version": "2.7.1", "build": "cu128"},
      {"framework": "jax", "version": "0.6.2"}],
     {"torch": "2.5.1 (cu124), 2.7.1 (cu128)", "jax": "0.6.2"}),
    ({"envs": [{"framework": "jax", "version": "0.6.2", "build": ""}]}, {"jax": "0.6.2"}),
    ({"other": []}, {}),
    (None, {}),
    ("torch", {}),
])
def test_frameworks(value, expected):
    assert fr.frameworks(value) == expected


@pytest.mark.parametrize("value, expected", [
    ([{"fstype": "nfs4"}, "junk", {"path": "/scratch", "fstype": "ext4"}, {"mount_point": "/data"}],
     ["/scratch (ext4)", "/data"]),
    ({"mounts": [{"path": "/mnt/s3", "fstype": "fuse.s3fs"}]}, ["/mnt/s3 (fuse.s3fs)"]),
    ({"other": 1}, []),
    (None, []),
])
def test_storage(value, expected):
    assert fr.storage(value) == expected


def test_unhealthy_gpus_nvidia_amd_and_node_checks():
    health = {"healthy": False, "failing": {"gpu1": ["ecc"], "amd0": ["pcie_link"], "node": ["xid_unlisted_gpu"]},
              "gpus": [{"index": 0, "name": "NVIDIA H100", "healthy": True, "failing": []},
                       {"index": 1, "name": "NVIDIA H100", "healthy": False, "failing": ["ecc", "row_remap"]},
                       {"index": 0, "vendor": "amd", "name": "MI300X", "healthy": False, "failing": ["pcie_link"]},
                       {"index": 2, "name": "NVIDIA H100"}, {"index": 3, "name": "NVIDIA H100", "healthy": 0}]}
    record = fr.host_record({"host": "n", "health": health})
    assert (record["healthy"], record["unhealthy_gpus"]) == (False, [
        {"gpu": "gpu1", "name": "NVIDIA H100", "failing": ["ecc", "row_remap"]},
        {"gpu": "amd0", "name": "MI300X", "failing": ["pcie_link"]},
        {"gpu": "node", "name": None, "failing": ["xid_unlisted_gpu"]}])


@pytest.mark.parametrize("value, expected", [
    (None, None), ("", None), ([], None), ({}, None), (0, "0"), (13.1, "13.1"), ("590", "590"), (["a"], "['a']"),
])
def test_text(value, expected):
    assert fr._text(value) == expected


def test_a_health_verdict_that_is_not_a_bool_is_unknown():
    assert fr.host_record({"host": "n", "health": {"healthy": "no"}})["healthy"] is None


def test_a_reboot_status_of_its_own_adds_to_the_drivers():
    record = fr.host_record({"host": "n", "nvidia_driver": {"reboot_required": False, "reboot_reasons": []},
                             "reboot": {"required": True, "reasons": ["kernel 6.1.0-40 installed"]}})
    assert (record["reboot_required"], record["reboot_reasons"]) == (True, ["kernel 6.1.0-40 installed"])


@pytest.mark.parametrize("values, expected", [
    (["590", "590", "610"], ("590", False)),
    (["610", None, "590", "590", None], ("590", False)),
    (["590", "610"], (None, True)),
    (["590", "610", "590", "610", "550"], (None, True)),
    (["590"], ("590", False)),
    ([None, None], (None, False)),
    ([], (None, False)),
])
def test_majority(values, expected):
    assert fr.majority(values) == expected


def _rec(host, **values):
    record = dict(EMPTY_RECORD, host=host)
    record.update(values)
    return record


def test_a_group_table_marks_the_host_that_differs_from_the_majority():
    records = [_rec("a", driver_branch="590", cuda="13.1", kernel_module="open", frameworks={"torch": "2.7.1"}),
               _rec("b", driver_branch="590", cuda="13.1", kernel_module="open", frameworks={"torch": "2.5.1"}),
               _rec("c", driver_branch="610", cuda="13.2", kernel_module="open", frameworks={"jax": "0.6.2"}),
               _rec("d", driver_branch=None, kernel_module="proprietary", runtime="docker 27.5.1")]
    assert fr.group_table("training", records) == {
        "name": "training", "hosts": ["a", "b", "c", "d"],
        "majority": {"driver_branch": "590", "cuda": "13.1", "kernel_module": "open", "runtime": "docker 27.5.1",
                     "framework:jax": "0.6.2", "framework:torch": None},
        "ties": ["framework:torch"],
        "drift": {"c": ["driver_branch", "cuda"], "d": ["kernel_module"], "a": ["framework:torch"],
                  "b": ["framework:torch"]},
    }


def test_a_group_where_every_host_agrees_has_no_drift():
    records = [_rec("a", driver_branch="590"), _rec("b", driver_branch="590")]
    assert (fr.group_table("g", records)["drift"], fr.group_table("g", records)["ties"]) == ({}, [])


def _raw(host, groups, capture, proc, **extra):
    raw = {"host": host, "groups": groups, "gpu": gpu_facts(capture, proc)}
    raw.update(extra)
    return raw


def test_the_report_of_a_small_fleet():
    raws = [
        _raw("train2", ["all", "training"], H100_590, PROC_OPEN),
        _raw("train1", ["training"], H100_590, PROC_OPEN,
             nvidia_driver={"reboot_required": True, "reboot_reasons": ["module 580 loaded"]}),
        _raw("train3", ["training"], RTX_610, PROC_PROPRIETARY,
             health={"healthy": False, "gpus": [{"index": 0, "name": "RTX", "healthy": False, "failing": ["ecc"]}],
                     "failing": {"gpu0": ["ecc"], "node": ["dcgm_diag"]}}),
        _raw("ws1", ["workstations"], RTX_595, None, frameworks=[{"framework": "jax", "version": "0.6.2"}]),
        {"host": "login1", "groups": ["all"]},
    ]
    report = fr.build_report(raws)
    assert report["summary"] == {
        "hosts": 5, "gpus": 4,
        "gpus_by_model": {"NVIDIA H100 80GB HBM3": 2, "NVIDIA GeForce RTX 2080 SUPER": 2},
        "drivers": {"590.48.01": 2, "610.57.04": 1, "595.71.05": 1}, "cuda": {"13.1": 2, "13.3": 1, "13.2": 1},
        "kernel_modules": {"open": 2, "proprietary": 1}, "runtimes": {}, "frameworks": {"jax": {"0.6.2": 1}},
        "hosts_drifting": 1, "unhealthy_gpus": 1, "hosts_unhealthy": 1, "reboots_pending": 1,
        "hosts_without_gpu_facts": ["login1"],
    }
    assert [record["host"] for record in report["hosts"]] == ["login1", "train1", "train2", "train3", "ws1"]
    assert [(table["name"], table["hosts"]) for table in report["groups"]] == [
        ("training", ["train1", "train2", "train3"]), ("ungrouped", ["login1"]), ("workstations", ["ws1"])]
    assert report["drift"] == [
        {"group": "training", "host": "train3", "field": "driver_branch", "value": "610", "majority": "590"},
        {"group": "training", "host": "train3", "field": "cuda", "value": "13.3", "majority": "13.1"},
        {"group": "training", "host": "train3", "field": "kernel_module", "value": "proprietary", "majority": "open"},
    ]
    assert report["problems"] == {
        "unhealthy": [{"host": "train3", "gpu": "gpu0", "name": "RTX", "failing": ["ecc"]},
                      {"host": "train3", "gpu": "node", "name": None, "failing": ["dcgm_diag"]}],
        "reboots": [{"host": "train1", "reasons": ["module 580 loaded"]}],
    }


def test_the_groups_option_orders_and_limits_the_tables():
    raws = [{"host": "a", "groups": ["x", "y"]}, {"host": "b", "groups": ["y"]}]
    report = fr.build_report(raws, groups=["y", "missing", "x"])
    assert [(table["name"], table["hosts"]) for table in report["groups"]] == [("y", ["a", "b"]), ("x", ["a"])]


def test_a_framework_drift_entry_reads_the_frameworks_version():
    raws = [{"host": h, "groups": ["g"], "frameworks": [{"framework": "torch", "version": v}]}
            for h, v in (("a", "2.7.1"), ("b", "2.7.1"), ("c", "2.5.1"))]
    assert fr.build_report(raws)["drift"] == [
        {"group": "g", "host": "c", "field": "framework:torch", "value": "2.5.1", "majority": "2.7.1"}]


def test_sources_defaults_and_overrides():
    merged = fr.sources({"frameworks": "my_envs", "storage": ["a", "b"]})
    assert merged == dict(fr.DEFAULT_SOURCES, frameworks=["my_envs"], storage=["a", "b"])
    assert fr.sources() == fr.DEFAULT_SOURCES
    assert fr.sources()["container_runtime"] is not fr.DEFAULT_SOURCES["container_runtime"]


def test_an_unknown_source_is_refused_naming_it_and_the_known_ones():
    with pytest.raises(ValueError) as err:
        fr.sources({"framework": "x"})
    assert str(err.value) == ("fleet_report: unknown source 'framework'; known: container_runtime, cuda_toolkit, "
                              "frameworks, health, nvidia_driver, reboot, simulated, storage")


def test_raw_host_reads_the_facts_groups_and_the_first_defined_source():
    variables = {"group_names": ["training"], "ansible_facts": {"gpu": {"count": 0}},
                 "container_runtime_status": None, "container_runtime_plan": {"engine": "docker"},
                 "gpu_health_result": {"healthy": True}}
    raw = fr.raw_host("n1", variables, fr.sources())
    assert raw == {"host": "n1", "groups": ["training"], "gpu": {"count": 0}, "nvidia_driver": None,
                   "container_runtime": {"engine": "docker"}, "cuda_toolkit": None, "health": {"healthy": True},
                   "frameworks": None, "storage": None, "reboot": None, "simulated": None}


def test_raw_host_without_any_variable():
    assert fr.raw_host("n1", {}, {"health": ["x"]}) == {"host": "n1", "groups": [], "gpu": None, "health": None}
