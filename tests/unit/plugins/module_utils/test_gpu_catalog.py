# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""normalize_model vocabulary over names from every source the collection meets."""

from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils.gpu_catalog import (
    PCI_DEVICES, lookup_pci, model_architecture, model_compute_capability, normalize_model, pci_key,
)


@pytest.mark.parametrize("name, model", [
    ("NVIDIA H100 80GB HBM3", "h100"), ("GH100 [H200 SXM 141GB]", "h200"), ("NVIDIA H100 NVL", "h100"),
    ("Tesla V100-SXM2-16GB", "v100"), ("Tesla V100S PCIe 32GB", "v100s"), ("NVIDIA A100-SXM4-80GB", "a100"),
    ("NVIDIA A100 80GB PCIe", "a100"), ("A10G", "a10g"), ("NVIDIA L40S", "l40s"), ("L4", "l4"), ("Tesla T4", "t4"),
    ("T4g", "t4"), ("NVIDIA GeForce RTX 2080 SUPER", "rtx2080super"), ("GeForce RTX 2080", "rtx2080"),
    ("NVIDIA GeForce RTX 3060 Laptop GPU", "rtx3060"), ("NVIDIA RTX 6000 Ada Generation", "rtx6000ada"),
    ("RTX PRO 6000 Blackwell Server Edition", "rtxpro6000"), ("RTX PRO Server 6000", "rtxpro6000"),
    ("NVIDIA B200", "b200"), ("HGX GB200", "gb200"), ("NVIDIA GB10", "gb10"), ("GH200 120GB / 480GB", "gh200"),
    ("AMD Instinct MI300X", "mi300x"), ("AMD Instinct MI300X VF", "mi300x"), ("MI308X", "mi308x"),
    ("AMD INSTINCT MI250 (MCM) OAM AC MBA", "mi250"), ("Instinct MI250X/MI250", "mi250x"),
    ("nvidia_h100_80gb_hbm3", "h100"), ("a100-sxm4-80gb", "a100"), ("NVIDIA H100 80GB HBM3 MIG 1g.10gb", "h100"),
    ("Quadro RTX 4000", "rtx4000"), ("NVIDIA TITAN V", "titanv"), (None, None), ("", None), (42, None),
    # AMD, every form a tool prints (issue 8): amd-smi cuts the market name before its closing bracket
    ("AMD Radeon RX 6600 (Navi 23", "rx6600"), ("Navi 23 [Radeon RX 6600/6600 XT/6600M]", "rx6600"),
    ("AMD Radeon RX 6600", "rx6600"), ("Radeon RX 6600", "rx6600"), ("RX 6600", "rx6600"),
    ("Navi 23 [Radeon RX 6600/6600 XT", "rx6600"), ("AMD Radeon RX 7900 XTX", "rx7900xtx"),
    ("AMD Radeon PRO W7900", "w7900"), ("Radeon Pro W7900 Dual Slot", "w7900"), ("AMD Radeon Pro W6800", "w6800"),
    ("Radeon Pro V520/V540", "v520"), ("Radeon Pro VII/Radeon Instinct MI50", "vii"), ("AMD Radeon 780M", "radeon780m"),
    ("RX 9070/9070 XT", "rx9070"), ("Radeon RX 5500/5500M / Pro 5500M", "rx5500"), ("Radeon Pro 5500M", "pro5500m"),
    ("Radeon Pro 5600 XT", "pro5600xt"),  # LLVM's name of a gfx1010 part
    ("AMD INSTINCT MI200 (MCM) OAM LC MBA HPE C2", "mi200"), ("Arcturus GL-XL [AMD Instinct MI100]", "mi100"),
    ("AMD Instinct MI300X MI300A", "mi300x"),  # the first Instinct model a board name gives
    ("Tesla PG503-216", None), ("Tesla GV100 SXM2-16GB SKU 890", "gv100"),  # pci.ids board codes end the model
    ("Radeon 880M XT", "radeon880mxt"),
    # a device id or a chip printed instead of a name is no model
    ("0x738c", None), ("Navi 23", None), ("Phoenix3", None), ("Navi32 GL-XL", None), ("GH100", None),
    ("AMD Radeon Graphics", None), ("Radeon Pro", None), ("TU102GL", None), ("Navi 31 XTX", None), ("GA106M", None),
    ("GV100 Engineering Sample", "gv100engineeringsample"), ("STRIX RTX 3080", "strixrtx3080"),
])
def test_normalize_model(name, model):
    assert normalize_model(name) == model


def test_ec2_names_all_map_to_a_known_architecture():
    path = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "gpu", "aws_gpu_names.txt")
    with open(path) as handle:
        names = [line.split("\t") for line in handle.read().splitlines() if line and not line.startswith("#")]
    assert len(names) >= 10
    for manufacturer, name, model in names:
        assert normalize_model(name) == model
        if manufacturer == "NVIDIA":
            assert model_architecture(name), name


def test_catalogue_rows_are_consistent():
    for key, (chip, name, _mem) in PCI_DEVICES.items():
        info = lookup_pci(key)
        assert info["architecture"], key
        assert (info["compute_capability"] is None) == (info["vendor"] == "amd") == (info["gfx_target"] is not None), key
        if info["model"] is None:  # a chip-only pci.ids name ("Phoenix3"), a generic one ("Radeon Pro/Radeon Instinct")
            assert name in ("Radeon Pro/Radeon Instinct", "Radeon Graphics / Radeon 8050S Graphics / Radeon 8060S Graphics") \
                or name.startswith(chip), key
        else:
            assert model_architecture(info["model"]) == info["architecture"], key
    assert lookup_pci("0x10DE", "0x2330")["memory_mib"] == 80 * 1024
    assert lookup_pci("8086:2e12") is None and lookup_pci("garbage") is None and lookup_pci("10de:2330:00") is None
    assert pci_key("0x10DE", "0x1") == "10de:0001" and pci_key("10de", " 2330 ") == "10de:2330"
    assert model_compute_capability("A100") == "8.0" and model_compute_capability("RTX PRO 6000") == "12.0"
