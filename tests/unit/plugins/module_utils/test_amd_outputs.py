# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AMD GPUs as amd-smi and rocm-smi report them on real hosts (fixtures/gpu/amd, sources in SOURCES.md):
architecture from the gfx target, one model token whichever tool answered, the driver version a version."""

from __future__ import absolute_import, division, print_function

import os
import sys

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _amd_smi
from ansible_collections.mlinfra.gpu.plugins.module_utils._gpu_facts import collect

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "gpu")
RX7800XT = "amd-smi_static_json__RX7800XT__rocm7_envelope__ajean39_excerpt.txt"
PHOENIX = "rocm-smi_json__Radeon780M_Phoenix3__rocm6.2.4__systeminformation960_excerpt.json"
MI250X = "rocm-smi_showproductname_json__MI250X__rocm_smi_lib_issue159.json"
KEYS = ("vendor", "name", "model", "pci_bus_id", "pci_device_id", "architecture", "gfx_target", "compute_capability")


def _text(name):
    with open(os.path.join(FIX, "amd", name)) as handle:
        return handle.read()


def _facts(tmp_path, tool, text, pci=()):
    sys.path.insert(0, os.path.join(FIX, "..", "..", "..", "integration", "gpu_facts"))
    from make_sysfs import make_tree  # pylint: disable=import-error
    make_tree(str(tmp_path), list(pci))
    calls = []

    def run(cmd):
        calls.append(cmd[0])
        return 0, text, ""
    tools = {"amd_smi": "/opt/rocm/bin/amd-smi"} if tool == "amd-smi" else {"rocm_smi": "/opt/rocm/bin/rocm-smi"}
    facts = collect(run, lambda path: None, sysfs_root=str(tmp_path), **tools)
    assert calls == [tools.popitem()[1]]
    return facts


def _device(facts):
    return tuple(facts["devices"][0][key] for key in KEYS)


def test_amd_smi_rx7800xt_behind_python_warnings(tmp_path):
    facts = _facts(tmp_path, "amd-smi", _text(RX7800XT))
    assert _device(facts) == ("amd", "AMD Radeon RX 7800 XT", "rx7800xt", "0000:03:00.0", "1002:747e", "rdna3",
                              "gfx1101", None)
    assert facts["sources"] == ["amd-smi"] and facts["amd_driver"] == {"loaded": True, "version": None, "error": None}


def test_the_tool_name_beats_the_pci_row_it_merges_with(tmp_path):
    # pci.ids gives 1002:747e as "Radeon RX 7700 XT / 7800 XT": the tool (and the revision, 0xc8) say 7800 XT
    pci = [("0000:03:00.0", "0x1002", "0x747e", "0x030000", "0")]
    facts = _facts(tmp_path, "amd-smi", _text(RX7800XT), pci)
    assert facts["count"] == 1 and facts["sources"] == ["pci", "amd-smi"]
    assert _device(facts) == ("amd", "AMD Radeon RX 7800 XT", "rx7800xt", "0000:03:00.0", "1002:747e", "rdna3",
                              "gfx1101", None)


def test_rocm_smi_apu_names_its_chip_only(tmp_path):
    facts = _facts(tmp_path, "rocm-smi", _text(PHOENIX))
    assert _device(facts) == ("amd", "Phoenix3", None, "0000:c4:00.0", "1002:1900", "rdna3", "gfx1103", None)
    assert facts["amd_driver"] == {"loaded": True, "version": None, "error": None}


def test_rocm_smi_family_board_name_resolved_by_revision(tmp_path):
    facts = _facts(tmp_path, "rocm-smi", _text(MI250X))
    assert _device(facts) == ("amd", "AMD INSTINCT MI200 (MCM) OAM LC MBA HPE C2", "mi250x", None, "1002:7408",
                              "cdna2", "gfx90a", None)


@pytest.mark.parametrize("name, revision", [
    (RX7800XT, "c8"), (PHOENIX, "01"), (MI250X, "00"),
    ("rocm-smi_a_json__MI250__rocm6__wandb_fixture.json", "01"), ("rocm-smi_a_json__MI250__rocm5__wandb_fixture.json", None),
])
def test_revision_is_read_from_both_tools(name, revision):
    text = _text(name)
    devices = _amd_smi.parse_amd_smi(text) if name.startswith("amd-smi") else _amd_smi.parse_rocm_smi(text)[0]
    assert devices[0]["pci_revision"] == revision


def _driver_rows():
    with open(os.path.join(FIX, "amd", "amd_driver_versions__real.txt")) as handle:
        rows = [line.split("\t") for line in handle.read().splitlines() if line and not line.startswith("#")]
    return [(printed, None if version == "-" else version) for printed, version in rows]


@pytest.mark.parametrize("printed, version", _driver_rows())
def test_driver_version_stays_a_version(printed, version):
    assert _amd_smi.driver_version(printed) == version


def test_driver_version_of_a_kernel_banner_inside_amd_smi_json():
    # the amd-smi static JSON of ROCm/rocm-systems#2987 (MI350X) as it reads on a host with the inbox driver, where
    # amd-smi gives the kernel banner of k8s-device-plugin#157 as driver.version
    banner = [printed for printed, _version in _driver_rows() if printed.startswith("Linuxversion")][0]
    text = _text("amd-smi_static_json__MI350X__rocm7_envelope__derived.json").replace('"6.18.3"', '"%s"' % banner)
    assert _amd_smi.parse_amd_smi_driver(text) == "6.8.0"


@pytest.mark.parametrize("value, device_id", [
    ("0x74a1", "1002:74a1"), ("74A1", "1002:74a1"), (29857, "1002:74a1"), ("29857", "1002:74a1"),
    ("29857(0x74a1)", "1002:74a1"), ("0xc34", "1002:0c34"), ("N/A", None), ("", None), (None, None), (True, None),
    (0, None), ("0x", None), (70000, None),
])
def test_device_id_in_hex_and_decimal(value, device_id):
    assert _amd_smi._device_id(value) == device_id


@pytest.mark.parametrize("value, revision", [
    ("0xc8", "c8"), ("C8", "c8"), ("0x1", "01"), (200, "c8"), ("N/A", None), (None, None), (300, None), (False, None),
    ("0x100", None),
])
def test_revision_forms(value, revision):
    assert _amd_smi._revision(value) == revision


def test_rocm_smi_rx7900xt_with_vram(tmp_path):
    facts = _facts(tmp_path, "rocm-smi", _text("rocm-smi_json__RX7900XT__marimo9237.json"))
    device = facts["devices"][0]
    assert _device(facts) == ("amd", "Radeon RX 7900 XT", "rx7900xt", None, "1002:744c", "rdna3", "gfx1100", None)
    assert repr(device["memory_mib"]) == "20464"  # 21458059264 B, an int
    devices, driver = _amd_smi.parse_rocm_smi(_text("rocm-smi_json__RX7900XT__marimo9237.json"))
    assert (devices[0]["pci_revision"], devices[0]["uuid"], driver) == ("cc", None, None)


def test_output_without_json_is_refused():
    with pytest.raises(ValueError, match="no JSON in the output: 'WARNING: No JSON data to report'"):
        _amd_smi.parse_rocm_smi(_text("rocm-smi_json__no_data__legacy-rocm-build4374.txt"))
    with pytest.raises(ValueError, match="no JSON in the output: ''"):
        _amd_smi.parse_amd_smi(None)
    with pytest.raises(ValueError, match="no JSON in the output: '%s'$" % ("x" * 200)):
        _amd_smi.parse_amd_smi("x" * 300)


def test_amd_smi_one_gpu_asked_vram_and_index():
    # DERIVED from the real MI308X entry (ROCm/amdsmi CHANGELOG): as `amd-smi static -g 1 --json` gives one GPU
    # without the list, with the vram section amd-smi's JSON carries ({"value": N, "unit": "MB"}, MB being MiB)
    import json
    entry = json.loads(_text("amd-smi_static_json__MI308X__rocm6_list__derived.json"))[0]
    entry.update({"gpu": 1, "vram": {"type": "HBM", "size": {"value": 196592, "unit": "MB"}}})
    devices = _amd_smi.parse_amd_smi(json.dumps(entry))
    assert [(d["index"], d["memory_mib"], d["pci_device_id"], d["pci_revision"]) for d in devices] == [
        (1, 196592, "1002:74a2", "00")]
    entry.update({"gpu": "N/A", "vram": {"size": {"value": "N/A", "unit": "MB"}}})
    listed = _amd_smi.parse_amd_smi(json.dumps(["N/A", entry]))
    assert [(d["index"], d["memory_mib"]) for d in listed] == [(0, None)]
    entry["vram"] = {"size": {"value": 192, "unit": "GB"}}
    assert _amd_smi.parse_amd_smi(json.dumps({"gpu_data": [entry]}))[0]["memory_mib"] is None
    assert _amd_smi.parse_amd_smi('{"gpu_data": "N/A"}') == []


@pytest.mark.parametrize("value, device_id", [(1, "1002:0001"), (0xffff, "1002:ffff"), (0x10000, None), (-1, None),
                                              ("0x10000", None)])
def test_device_id_bounds(value, device_id):
    assert _amd_smi._device_id(value) == device_id


@pytest.mark.parametrize("value, revision", [(0, "00"), (255, "ff"), (256, None), (-1, None), ("ff", "ff"),
                                             ("0x0", "00")])
def test_revision_bounds(value, revision):
    assert _amd_smi._revision(value) == revision
