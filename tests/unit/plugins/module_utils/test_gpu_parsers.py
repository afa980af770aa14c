# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers over every real sample in tests/unit/fixtures/gpu (copied from refdata, see SOURCES.md)."""

from __future__ import absolute_import, division, print_function

import glob
import os
import re

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _amd_smi, _nvidia_smi as smi, _pci
from ansible_collections.mlinfra.gpu.plugins.module_utils._gpu_facts import ToolError, collect, query_nvidia
from ansible_collections.mlinfra.gpu.plugins.module_utils.gpu_catalog import lookup_pci, normalize_model

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "gpu")
CAPTURES = sorted(glob.glob(os.path.join(FIX, "nvidia", "*__*")))
ZERO_UUID = "GPU-00000000-0000-0000-0000-000000000000"  # the collector masked every UUID this way
# Expected per capture, read from the capture files (query.csv row, version.txt, list.txt):
# name, memory MiB, MIG mode, CUDA version, bus id (sysfs form of "00000000:0C:00.0"), PCI id (from "0x1E8110DE"),
# compute capability.
EXPECTED = {
    "linux-x86_64__nvidia-geforce-rtx-2080-super__595.71.05": (
        "NVIDIA GeForce RTX 2080 SUPER", 8192, None, "13.2", "0000:0c:00.0", "10de:1e81", "7.5"),
    "linux-x86_64__nvidia-geforce-rtx-2080-super__610.57.04": (
        "NVIDIA GeForce RTX 2080 SUPER", 8192, None, "13.3", "0000:0c:00.0", "10de:1e81", "7.5"),
    "linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01": (
        "NVIDIA H100 80GB HBM3", 81559, "disabled", "13.1", "0000:00:09.0", "10de:2330", "9.0"),
    "linux-x86_64__nvidia-h100-mig__590.48.01": (
        "NVIDIA H100 80GB HBM3", 81559, "enabled", "13.1", "0000:00:09.0", "10de:2330", "9.0"),
    "windows-x86_64__nvidia-geforce-rtx-2080-super__591.86": (
        "NVIDIA GeForce RTX 2080 SUPER", 8192, None, "13.1", "0000:0c:00.0", "10de:1e81", "7.5"),
    "windows-x86_64__nvidia-geforce-rtx-2080-super__610.62": (
        "NVIDIA GeForce RTX 2080 SUPER", 8192, None, "13.3", "0000:0c:00.0", "10de:1e81", "7.5"),
}


def _expected_device(capture):
    name, memory, mig, _cuda, bus, pci_id, capability = EXPECTED[os.path.basename(capture)]
    return {"index": 0, "vendor": "nvidia", "name": name, "uuid": ZERO_UUID, "pci_bus_id": bus, "pci_device_id": pci_id,
            "compute_capability": capability, "memory_mib": memory, "mig_mode": mig,
            "driver_version": os.path.basename(capture).rsplit("__", 1)[1]}


def _text(*parts):
    with open(os.path.join(FIX, *parts)) as handle:
        return handle.read()


def test_every_capture_is_covered():
    assert sorted(os.path.basename(c) for c in CAPTURES) == sorted(EXPECTED)


@pytest.mark.parametrize("capture", CAPTURES, ids=os.path.basename)
@pytest.mark.parametrize("section", ["query.csv", "query_load.csv"])
def test_capture_query_csv_with_header_and_units(capture, section):
    rows = smi.parse_query_csv(_text(capture, section))
    assert len(rows) == 1
    assert smi.device_from_query(rows[0]) == _expected_device(capture)


@pytest.mark.parametrize("capture", CAPTURES, ids=os.path.basename)
def test_capture_versions_and_header(capture):
    cuda = EXPECTED[os.path.basename(capture)][3]
    driver = os.path.basename(capture).rsplit("__", 1)[1]
    version = smi.parse_version(_text(capture, "version.txt"))
    assert (version["driver_version"], version["cuda_version"]) == (driver, cuda)
    assert smi.parse_header(_text(capture, "table.txt")) == {"driver_version": driver, "cuda_version": cuda}


@pytest.mark.parametrize("capture", CAPTURES, ids=os.path.basename)
def test_capture_noheader_nounits_in_our_field_order(capture):
    """The module's own call: the capture's columns in QUERY_FIELDS order, no header, no units, as nvidia-smi
    prints them for ``--format=csv,noheader,nounits``. The projection reads the raw text, not the parser."""
    header, row = _text(capture, "query.csv").splitlines()[:2]
    columns = dict(zip([h.split(" [")[0].strip() for h in header.split(", ")], row.split(", ")))
    line = ", ".join(re.sub(r" (MiB|%|W|MHz)$", "", columns[f].strip()) for f in smi.QUERY_FIELDS)
    rows = smi.parse_query_csv(line + "\n", smi.QUERY_FIELDS)
    assert [smi.device_from_query(r) for r in rows] == [_expected_device(capture)]


def test_snippets_headers_noheader_and_missing_values():
    l40s = [smi.device_from_query(r) for r in smi.parse_query_csv(_text("snippets", "l40s_x8_header.csv"))]
    assert len(l40s) == 8 and l40s[6]["pci_bus_id"] == "0000:e3:00.0" and l40s[7]["memory_mib"] == 46068
    mixed = smi.parse_query_csv(_text("snippets", "volta_ada_header.csv"))
    expected = [("NVIDIA TITAN V", "7.0"), ("NVIDIA RTX 5880 Ada Generation", "8.9")]
    assert [(r["name"], r["compute_cap"]) for r in mixed] == expected
    pg500 = smi.parse_query_csv(_text("snippets", "v100_pg500_noheader.csv"), ["name", "memory.total", "pci.device_id"])
    assert smi.device_from_query(pg500[0])["pci_device_id"] == "10de:1df0"
    assert smi.device_from_query(pg500[0])["memory_mib"] == 32768
    nvl = smi.parse_query_csv(_text("snippets", "h100nvl_noheader.csv"), ["name", "pci.device_id"])
    assert smi.normalize_device_id(nvl[0]["pci.device_id"]) == "10de:2321" and normalize_model(nvl[0]["name"]) == "h100"
    fields = ["power.limit", "power.min_limit", "power.max_limit", "memory.total", "vbios_version", "driver_version",
              "name", "gpu_uuid", "power.draw", "temperature.gpu", "temperature.memory", "clocks.current.graphics",
              "clocks.sm", "clocks.mem", "utilization.gpu", "utilization.memory", "fan.speed",
              "pcie.link.width.current", "pstate"]
    old = smi.parse_query_csv(_text("snippets", "rtx2080_440_noheader_nounits.csv"), fields)[0]
    device = smi.device_from_query(old)
    assert device["name"] == "GeForce RTX 2080" and device["memory_mib"] == 7979 and device["driver_version"] == "440.64"
    assert device["uuid"] == "GPU-22b2c6ac-2d49-4863-197c-9c469071178a" and old["temperature.memory"] is None
    t4_fields = ["name", "memory.total", "compute_cap", "driver_version"]
    t4 = smi.parse_query_csv(_text("snippets", "t4_noheader.csv"), t4_fields)
    assert smi.device_from_query(t4[0])["memory_mib"] == 15360 and normalize_model(t4[0]["name"]) == "t4"
    gb10 = smi.device_from_query(smi.parse_query_csv(_text("snippets", "gb10_header.csv"))[0])
    assert gb10["name"] == "NVIDIA GB10" and gb10["memory_mib"] is None
    ns = smi.parse_query_csv(_text("snippets", "not_supported_noheader_nounits.csv"), list("abcdefg"))[0]
    assert ns["e"] is None and ns["d"] == "44"


def test_errors_are_recognised():
    assert smi.invalid_fields(_text("snippets", "err_invalid_field_470.txt")) == ["compute_cap"]
    assert "communicate" in smi.driver_not_working(_text("snippets", "err_no_driver.txt"))
    assert "mismatch" in smi.driver_not_working(_text("snippets", "err_version_mismatch.txt"))
    assert smi.driver_not_working(_text("snippets", "err_invalid_field_470.txt")) is None


@pytest.mark.parametrize("value, expected", [
    ("00000000:18:00.0", "0000:18:00.0"), ("0000000F:01:00.0", "000f:01:00.0"), ("3E3F8E05:00:00.0", "3e3f8e05:00:00.0"),
    ("0000:E3:00.0", "0000:e3:00.0"), ("18:00.0", "0000:18:00.0"), ("[N/A]", None), ("garbage", None)])
def test_normalize_bus_id(value, expected):
    assert smi.normalize_bus_id(value) == expected


def test_query_retry_drops_fields_an_old_driver_rejects():
    calls = []

    def run(cmd):
        calls.append(cmd)
        fields = cmd[1].split("=", 1)[1].split(",")
        for bad in ("compute_cap", "mig.mode.current"):
            if bad in fields:
                return 2, 'Field "%s" is not a valid field to query.\n' % bad, ""
        values = {"index": "0", "uuid": "GPU-22b2c6ac-2d49-4863-197c-9c469071178a", "pci.bus_id": "00000000:0A:00.0",
                  "pci.device_id": "0x1E8210DE", "memory.total": "7979", "driver_version": "440.64",
                  "name": "GeForce RTX 2080"}
        return 0, ", ".join(values[f] for f in fields) + "\n", ""

    devices, fields, error = query_nvidia(run, "nvidia-smi")
    assert len(calls) == 3 and "compute_cap" not in fields and error is None
    assert devices[0]["pci_bus_id"] == "0000:0a:00.0" and devices[0]["compute_capability"] is None
    assert devices[0]["memory_mib"] == 7979


def test_query_real_error_raises_with_context():
    with pytest.raises(ToolError) as info:
        query_nvidia(lambda cmd: (139, "", "Segmentation fault"), "/usr/bin/nvidia-smi")
    assert "rc=139" in str(info.value) and "/usr/bin/nvidia-smi --query-gpu=index" in str(info.value)


def test_proc_files():
    assert smi.parse_proc_version(_text("proc", "version_proprietary_580.txt"))["kernel_module"] == "proprietary"
    opened = smi.parse_proc_version(_text("proc", "version_open_565.txt"))
    assert opened["version"] == "565.57.01" and opened["kernel_module"] == "open"
    assert smi.parse_proc_version(_text("proc", "version_jetson.txt"))["version"] == "35.3.1"
    assert smi.parse_proc_version("") is None and smi.parse_proc_version(None) is None


def test_amd_smi_shapes():
    listed = _amd_smi.parse_amd_smi(_text("amd", "amd-smi_list_json__shape.json"))
    assert listed[0]["pci_bus_id"] == "0000:c4:00.0" and listed[0]["uuid"] == "00ff1586-0000-1000-8000-000000000000"
    mi350 = _amd_smi.parse_amd_smi(_text("amd", "amd-smi_static_json__MI350X__rocm7_envelope__derived.json"))
    assert mi350[0]["name"] == "AMD Instinct MI350X" and mi350[0]["pci_device_id"] == "1002:75a0"
    assert mi350[0]["gfx_target"] == "gfx950"
    mi308 = _amd_smi.parse_amd_smi(_text("amd", "amd-smi_static_json__MI308X__rocm6_list__derived.json"))
    assert normalize_model(mi308[0]["name"]) == "mi308x" and mi308[0]["pci_device_id"] == "1002:74a2"


@pytest.mark.parametrize("json_file, bus, uuid", [
    ("rocm-smi_a_json__MI250__rocm5__wandb_fixture.json", "0000:2f:00.0", "0x719d230578348e8c"),
    ("rocm-smi_a_json__MI250__rocm6__wandb_fixture.json", "0000:29:00.0", "0x1f9de0957d137942"),
])
def test_rocm_smi_rocm5_and_rocm6_keys(json_file, bus, uuid):
    devices, driver = _amd_smi.parse_rocm_smi(_text("amd", json_file))
    assert len(devices) == 1 and devices[0]["pci_bus_id"] == bus and devices[0]["pci_device_id"] == "1002:740c"
    assert normalize_model(devices[0]["name"]) == "mi250" and devices[0]["uuid"] == uuid
    assert driver == "6.2.4"  # "Driver version" of the "system" card in both captures


def test_rocm_smi_showproductname_mi250x():
    devices, _driver = _amd_smi.parse_rocm_smi(_text("amd", "rocm-smi_showproductname_json__MI250X__rocm_smi_lib_issue159.json"))
    assert devices[0]["pci_device_id"] == "1002:7408" and devices[0]["gfx_target"] == "gfx90a"


def test_every_pci_id_of_the_extract_classifies_and_the_catalogue_agrees():
    lines = [line for line in _text("pci", "pci_ids_gpu_extract.txt").splitlines() if re.match(r"^[0-9a-f]{4}:", line)]
    assert len(lines) > 150
    for line in lines:
        key, name = line.split(None, 1)
        info = lookup_pci(key)
        if info is None:
            continue
        assert info["architecture"], key
        if "[" in name:
            bracket = name[name.index("[") + 1:name.rindex("]")]
            models = set(normalize_model(alt) for alt in bracket.split("/")) - set([None])
            assert not models or info["model"] in models, (key, bracket, info["model"])
    assert _pci.classify("0x10de", "0x068000") == "nvswitch" and _pci.classify("0x1002", "0x120000") == "gpu"
    assert _pci.classify("0x10de", "0x040300") is None and _pci.classify("0x1022", "0x030000") is None


def test_collect_16_gpus_4_nvswitches(tmp_path):
    import sys
    sys.path.insert(0, os.path.join(FIX, "..", "..", "..", "integration", "gpu_facts"))
    from make_sysfs import hgx_devices, make_tree  # pylint: disable=import-error
    make_tree(str(tmp_path), hgx_devices(16, 4))
    facts = collect(lambda cmd: (0, "", ""), lambda path: None, sysfs_root=str(tmp_path))
    assert facts["count"] == 16 and facts["nvswitch_count"] == 4 and facts["vendors"] == ["nvidia"]
    assert all(d["architecture"] == "hopper" and d["compute_capability"] == "9.0" for d in facts["devices"])
    assert [d["index"] for d in facts["devices"]] == list(range(16))
