# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_pci over sysfs trees written from real `lspci -nn` lines (refdata 03C) and the kernel's sysfs formats.

The kernel writes ``vendor``/``device`` as "0x%04x", ``class`` as "0x%06x" and ``numa_node`` as "%d", -1 when the
platform has no NUMA information (drivers/pci/pci-sysfs.c); ``driver`` is a symlink to the bound driver.
"""

from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _pci
from ansible_collections.mlinfra.gpu.plugins.module_utils.gpu_catalog import lookup_pci

# (bdf, vendor, device, class, numa_node, driver) -- from refdata 03C lspci lines:
HOST = [
    # "01:00.0 VGA compatible controller [0300]: NVIDIA Corporation GA102 [GeForce RTX 3080] [10de:2206]"
    ("0000:01:00.0", "0x10de", "0x2206", "0x030000", "-1", "nvidia"),
    # its HDMI audio function: NVIDIA, class 0x0403 -> not a GPU (refdata 3A: "Exclude ... 0x0403")
    ("0000:01:00.1", "0x10de", "0x1aef", "0x040300", "-1", "snd_hda_intel"),
    # "03:00.0 Bridge [0680]: NVIDIA Corporation GH100 [10de:22a3]" (NVSwitch)
    ("0000:03:00.0", "0x10de", "0x22a3", "0x068000", "0", None),
    # "41:00.0 3D controller [0302]: NVIDIA Corporation GH100 [H100 PCIe] [10de:2331]", Kernel driver in use: vfio-pci
    ("0000:41:00.0", "0x10de", "0x2331", "0x030200", "1", "vfio-pci"),
    # "85:00.0 Processing accelerators [1200]: ... [AMD/ATI] Aqua Vanjaram [Instinct MI300X] [1002:74a1]"
    ("0000:85:00.0", "0x1002", "0x74a1", "0x120000", "1", "amdgpu"),
    # "0000:9a:00.0 3D controller [0302]: NVIDIA Corporation GH100 [H200 SXM 141GB] [10de:2335]"
    ("0000:9a:00.0", "0x10de", "0x2335", "0x030200", "1", None),
    # AMD CPU function (0x1022 is AMD CPUs/chipset, not GPUs: refdata 3A)
    ("0000:00:18.0", "0x1022", "0x14ad", "0x060000", "-1", None),
]


def _tree(root, rows):
    base = os.path.join(root, "bus", "pci", "devices")
    drivers = os.path.join(root, "bus", "pci", "drivers")
    for bdf, vendor, device, pci_class, numa, driver in rows:
        path = os.path.join(base, bdf)
        os.makedirs(path)
        for name, value in (("vendor", vendor), ("device", device), ("class", pci_class), ("numa_node", numa)):
            with open(os.path.join(path, name), "w") as handle:
                handle.write(value + "\n")
        if driver:
            os.makedirs(os.path.join(drivers, driver), exist_ok=True)
            os.symlink(os.path.join("..", "..", "drivers", driver), os.path.join(path, "driver"))
    return str(root)


def test_scan_a_mixed_host(tmp_path):
    gpus, switches = _pci.scan(_tree(tmp_path, HOST))
    got = [(g["pci_bus_id"], g["vendor"], g["pci_device_id"], g["pci_class"], g["numa_node"], g["kernel_driver"])
           for g in gpus]
    assert got == [
        ("0000:01:00.0", "nvidia", "10de:2206", "0x030000", None, "nvidia"),
        ("0000:41:00.0", "nvidia", "10de:2331", "0x030200", 1, "vfio-pci"),
        ("0000:85:00.0", "amd", "1002:74a1", "0x120000", 1, "amdgpu"),
        ("0000:9a:00.0", "nvidia", "10de:2335", "0x030200", 1, None),
    ]
    assert [(s["pci_bus_id"], s["pci_device_id"], s["numa_node"], s["name"]) for s in switches] == [
        ("0000:03:00.0", "10de:22a3", 0, "H100 NVSwitch")]


def test_scan_without_sysfs(tmp_path):
    assert _pci.scan(str(tmp_path / "missing")) == ([], [])


def test_scan_counts_an_nvswitch_the_catalogue_does_not_know(tmp_path):
    rows = [("0000:05:00.0", "0x10de", "0x22ff", "0x068000", "0", None)]
    gpus, switches = _pci.scan(_tree(tmp_path, rows))
    assert gpus == [] and [(s["pci_device_id"], s["name"]) for s in switches] == [("10de:22ff", None)]


@pytest.mark.parametrize("vendor, pci_class, kind", [
    ("0x10de", "0x030000", "gpu"), ("0x10de", "0x030200", "gpu"), ("0x1002", "0x038000", "gpu"),
    ("0x1002", "0x120000", "gpu"), ("0x10de", "0x068000", "nvswitch"),
    ("0x10de", "0x040300", None),   # NVIDIA HDMI audio
    ("0x10de", "0x0c0330", None),   # NVIDIA "TU104 USB 3.1 Host Controller" [10de:1ad8] of Turing cards (pci.ids)
    ("0x10de", "0x0c8000", None),   # NVIDIA "TU104 USB Type-C UCSI Controller" [10de:1ad9] (pci.ids)
    ("0x1002", "0x068000", None),   # an NVSwitch is NVIDIA's only
    ("0x1022", "0x030000", None),   # 0x1022 is AMD's CPU vendor id, not its GPU one
    ("0x8086", "0x030000", None),   # Intel graphics: not a vendor the collection drives
    (None, "0x030200", None), ("0x10de", None, None),
])
def test_classify(vendor, pci_class, kind):
    assert _pci.classify(vendor, pci_class) == kind


@pytest.mark.parametrize("numa, expected", [("-1", None), ("0", 0), ("1", 1), ("7", 7), ("", None), ("x", None)])
def test_numa_node(numa, expected):
    device = _pci.device_from_pci("0000:41:00.0", {"vendor": "0x10de", "device": "0x2331", "class": "0x030200",
                                                   "numa_node": numa})
    assert device["numa_node"] == expected


def test_device_from_pci_fields():
    device = _pci.device_from_pci("0000:9A:00.0", {"vendor": "0x10de", "device": "0x2335", "class": "0x030200",
                                                   "numa_node": "1", "driver": "nvidia"})
    # names and architecture come from the catalogue (gpu_catalog's own tests own them), the rest from sysfs
    info = lookup_pci("10de:2335")
    assert info["architecture"] == "hopper"
    keys = ("name", "model", "architecture", "compute_capability", "gfx_target", "memory_mib")
    catalogue = dict((key, info.get(key)) for key in keys)
    assert device == dict(catalogue, vendor="nvidia", uuid=None, pci_bus_id="0000:9a:00.0", pci_device_id="10de:2335",
                          pci_class="0x030200", mig_mode=None, numa_node=1, kernel_driver="nvidia")


def test_device_from_pci_of_an_id_the_catalogue_does_not_know():
    device = _pci.device_from_pci("0000:05:00.0", {"vendor": "0x10de", "device": "0x22ff", "class": "0x068000"})
    assert device == {
        "vendor": "nvidia", "name": None, "model": None, "uuid": None, "pci_bus_id": "0000:05:00.0",
        "pci_device_id": "10de:22ff", "pci_class": "0x068000", "architecture": None, "compute_capability": None,
        "gfx_target": None, "memory_mib": None, "mig_mode": None, "numa_node": None, "kernel_driver": None}


def test_read_function_skips_missing_files(tmp_path):
    path = tmp_path / "0000:01:00.0"
    path.mkdir()
    (path / "vendor").write_text("0x10de\n")
    (path / "class").write_text("0x030000\n")
    assert _pci.read_function(str(path)) == {"vendor": "0x10de", "class": "0x030000"}
