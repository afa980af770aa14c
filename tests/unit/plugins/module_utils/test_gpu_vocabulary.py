# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One GPU vocabulary: the catalogue's tables agree with each other, with pci.ids / amdgpu.ids and with the
compatibility data; everything else (compat, filters, inventory helpers) answers from the catalogue."""

from __future__ import absolute_import, division, print_function

import os
import re

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mlinfra.gpu.plugins.filter.gpu_compat import FilterModule
from ansible_collections.mlinfra.gpu.plugins.module_utils import gpu_catalog as cat
from ansible_collections.mlinfra.gpu.plugins.module_utils import gpu_compat_data as data
from ansible_collections.mlinfra.gpu.plugins.plugin_utils._gpuhost import gpu_hostvars, vendor_for

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "gpu")
F = FilterModule().filters()


def _lines(*parts):
    with open(os.path.join(FIX, *parts)) as handle:
        return [line for line in handle.read().splitlines() if line and not line.startswith("#")]


def _pci_ids_rows():
    rows = {}
    for name in ("pci_ids_gpu_extract.txt", "pci_ids_radeon_geforce_extract.txt"):
        for line in _lines("pci", name):
            key, text = line.split(None, 1)
            rows[key] = text
    return rows


def _cc(value):
    return tuple(int(part) for part in value.split("."))


def test_compute_capability_ranges_are_ordered_and_disjoint():
    ranges = [(_cc(low), _cc(high)) for _arch, low, high in cat.NVIDIA_ARCHITECTURES]
    assert all(low <= high for low, high in ranges)
    assert all(ranges[i][1] < ranges[i + 1][0] for i in range(len(ranges) - 1))


def test_every_chip_names_one_architecture_of_its_vendor():
    vendors = dict((row[0], cat.VENDOR_NAMES[key.split(":")[0]]) for key, row in cat.PCI_DEVICES.items())
    for chip, capability in cat.CHIPS.items():
        arch = cat.capability_architecture(capability)
        assert arch is not None, chip
        assert cat.architecture_vendor(arch) == vendors[chip], chip
        if vendors[chip] == "amd":
            assert capability in cat.GFX_TARGETS, chip


def test_architectures_per_vendor():
    assert cat.architectures("nvidia")[0] == "kepler" and cat.architectures("amd")[-1] == "rdna4"
    assert cat.architectures("intel") == () and cat.architecture_vendor("xe") is None
    assert cat._chip_named("Strix Halo") == "Strix Halo" and cat._chip_named("Aqua Vanjaram 950") == "Aqua Vanjaram 950"


def test_compat_refuses_what_is_no_gpu_fact():
    message = r"expected a GPU fact \(a dict with 'architecture', 'pci_device_id' or 'name'\), got 42"
    with pytest.raises(AnsibleFilterError, match=message):
        F["gpu_kernel_module"]([42])
    assert F["driver_max_cuda"]("590.44.01") == "13.1" and F["driver_max_cuda"]("590.44.00") == "13.0"


def test_gfx_targets_name_amd_architectures_only():
    assert set(cat.GFX_TARGETS.values()) == set(cat.AMD_ARCHITECTURES)
    assert not set(cat.AMD_ARCHITECTURES) & set(cat.architectures("nvidia"))


def test_every_catalogue_row_has_the_chip_and_names_pci_ids_gives():
    rows = _pci_ids_rows()
    for key, (chip, name, _mem) in cat.PCI_DEVICES.items():
        assert key in rows, key
        pci_chip = re.split(r"[\[/]", rows[key])[0]
        squashed, ours = re.sub(r"[^a-z0-9]", "", pci_chip.lower()), re.sub(r"[^a-z0-9]", "", chip.lower())
        assert squashed.startswith(ours) or ours.startswith(squashed), (key, pci_chip, chip)
        theirs = set(cat.normalize_model(alt) for alt in cat._alternatives(rows[key])) - set([None])
        mine = set(cat.normalize_model(alt) for alt in cat._alternatives(name)) - set([None])
        assert mine <= theirs, (key, mine, theirs)


def test_no_two_tables_give_one_token_different_answers():
    for token, chip in cat.MODELS.items():
        value = cat._family(token)
        if value is None:
            continue
        if cat.architecture_vendor(value):  # the rule names the architecture only
            assert value == cat.capability_architecture(cat.CHIPS[chip]), (token, chip, value)
        else:
            assert value == cat.CHIPS[chip], (token, chip, value)
    for key, (chip, name, _mem) in cat.PCI_DEVICES.items():
        for alternative in cat._alternatives(name):
            token = cat.normalize_model(alternative)
            if token:
                assert cat.CHIPS[cat.MODELS[token]] == cat.CHIPS[chip], (key, token)


def test_family_rules_point_at_known_architectures():
    for pattern, value in cat.FAMILY_RULES:
        arch = value if cat.architecture_vendor(value) else cat.capability_architecture(value)
        assert arch in cat.architectures("nvidia") + cat.AMD_ARCHITECTURES, pattern


def test_compatibility_data_speaks_the_catalogue_vocabulary():
    assert sorted(data.ARCHITECTURE_SUPPORT) == sorted(cat.architectures("nvidia"))
    for model in data.OPEN_REQUIRED_MODELS:
        assert cat.normalize_model(model) == model and cat.model_vendor(model) == "nvidia", model
        assert data.ARCHITECTURE_SUPPORT[cat.model_architecture(model)]["open_modules"] != "required", model


def test_market_names_are_the_amdgpu_ids_lines():
    expected = {}
    for line in _lines("amd", "amdgpu_ids_extract.txt"):
        device, revision, name = [part.strip() for part in line.split(",", 2)]
        expected.setdefault("1002:" + device.lower(), {}).setdefault(revision.lower(), name)
    assert cat.MARKET_NAMES == expected
    for key, names in cat.MARKET_NAMES.items():
        chip = cat.PCI_DEVICES[key][0]
        for name in names.values():
            capability = cat.model_capability(name)
            assert capability in (None, cat.CHIPS[chip]), (key, name)


@pytest.mark.parametrize("name, arch, capability", [
    ("GeForce GTX 1080 Ti", "pascal", "6.1"), ("gtx1080ti", "pascal", "6.1"), ("Tesla P100-PCIE-16GB", "pascal", "6.0"),
    ("Tesla P40", "pascal", "6.1"), ("GH100", "hopper", "9.0"), ("NVIDIA GH200 480GB", "hopper", "9.0"),
    ("NVIDIA A100-SXM4-80GB", "ampere", "8.0"), ("A10G", "ampere", "8.6"), ("NVIDIA B300", "blackwell", "10.3"),
    ("NVIDIA GB10", "blackwell", "12.1"), ("rtx4070ti", "ada", "8.9"), ("Tesla K80", "kepler", "3.7"),
    ("AMD Radeon RX 6600 (Navi 23", "rdna2", None), ("AMD Radeon RX 7800 XT", "rdna3", None),
    ("Radeon RX 9070 XT", "rdna4", None), ("AMD Radeon PRO W7900", "rdna3", None), ("rx6650xt", "rdna2", None),
    ("rx7650gre", "rdna3", None), ("AMD Instinct MI300X", "cdna3", None), ("Navi 23", "rdna2", None),
    ("Radeon RX 5300", "rdna1", None), ("STRIX RTX 3080", None, None), ("Navi32 GL-XL", "rdna3", None),
    ("Phoenix3", "rdna3", None), ("mystery 9000", None, None), ("", None, None), (None, None, None), (42, None, None),
])
def test_architecture_and_compute_capability_of_names(name, arch, capability):
    assert (cat.model_architecture(name), cat.model_compute_capability(name)) == (arch, capability)


@pytest.mark.parametrize("printed, target, arch", [
    ("gfx1032", "gfx1032", "rdna2"), ("gfx90a:sramecc+:xnack-", "gfx90a", "cdna2"), ("gfx9010", "gfx90a", "cdna2"),
    ("GFX942", "gfx942", "cdna3"), ("amdgcn-amd-amdhsa--gfx942:sramecc+:xnack-", "gfx942", "cdna3"),
    ("gfx950", "gfx950", "cdna4"), ("gfx908", "gfx908", "cdna"), ("gfx906:xnack-", "gfx906", "gcn5"),
    ("gfx1030", "gfx1030", "rdna2"), ("gfx1101", "gfx1101", "rdna3"), ("gfx1151", "gfx1151", "rdna3.5"),
    ("gfx1201", "gfx1201", "rdna4"), ("gfx9012", "gfx90c", "gcn5"), ("90010", "gfx90a", "cdna2"),
    (110001, "gfx1101", "rdna3"), ("100302", "gfx1032", "rdna2"), ("gfx1250", "gfx1250", None),
    ("gfx10310", "gfx103a", None), ("gfx90", "gfx90", None), ("gfx8010", "gfx8010", None), ("1", None, None),
    ("N/A", None, None), ("", None, None), (None, None, None), (True, None, None),
    ("991600", None, None), ("90015", "gfx90f", None), ("90016", None, None), ("gfx10ff", "gfx10ff", None),
    ("gfx1017", "gfx1017", None), ("91500", "gfx9f0", None), ("90017", None, None),
])
def test_gfx_targets_in_every_printed_form(printed, target, arch):
    assert (cat.normalize_gfx_target(printed), cat.gfx_architecture(printed)) == (target, arch)


@pytest.mark.parametrize("name, pci, revision, model", [
    ("AMD Radeon RX 7800 XT", "1002:747e", "0xc8", "rx7800xt"),  # amd-smi (nathaninline/ajean#39)
    ("Navi 32 [Radeon RX 7700 XT / 7800 XT]", "1002:747e", "0xc8", "rx7800xt"),  # pci.ids form, same card
    ("Navi 32 [Radeon RX 7700 XT / 7800 XT]", "1002:747e", "ff", "rx7700xt"),
    ("Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]", "1002:744c", "c8", "rx7900xtx"),
    ("AMD Radeon RX 6600 (Navi 23", "1002:73ff", "c7", "rx6600"),
    ("Navi 23 [Radeon RX 6600/6600 XT/6600M]", "1002:73ff", "0xc7", "rx6600"),
    ("AMD INSTINCT MI200 (MCM) OAM LC MBA HPE C2", "1002:7408", "0x00", "mi250x"),  # rocm_smi_lib#159: a family
    ("AMD INSTINCT MI250 (MCM) OAM AC MBA", "1002:740c", "0x01", "mi250"),  # the board name is the more specific
    ("0x738c", "1002:738c", None, "mi100"), ("Phoenix3", "1002:15bf", "0xc5", "radeon740m"),
    ("Phoenix3", "1002:1900", "0x01", None), (None, "1002:744c", None, "rx7900xt"), (None, None, None, None),
    ("NVIDIA A16", "10de:25b6", "a1", "a16"), (None, "10de:25b6", None, "a2"),
    ("NVIDIA Graphics Device", "10de:2901", None, "b200"),  # nvidia-smi on a GPU its name table lacks
])
def test_device_model_is_the_same_whichever_tool_answered(name, pci, revision, model):
    assert cat.device_model(name, pci, revision) == model


def test_every_model_of_a_pci_ids_name_reaches_its_chip():
    assert cat._alternatives("Navi 22 [Radeon RX 6700/6700 XT/6750 XT / 6800M/6850M XT]") == [
        "Radeon RX 6700", "Radeon RX 6700 XT", "Radeon RX 6750 XT", "Radeon RX 6800M", "Radeon RX 6850M XT"]
    assert cat._alternatives("GH200 120GB / 480GB") == ["GH200 120GB", "480GB"]
    assert cat._alternatives("Navi 23 [Radeon RX 6650 XT / 6700S / 6800S]") == [
        "Radeon RX 6650 XT", "Radeon RX 6700S", "Radeon RX 6800S"]
    assert cat._alternatives("Instinct MI25/MI25x2/V340/V320") == ["Instinct MI25", "MI25x2", "V340", "V320"]
    # amdgpu.ids names of 1002:73df (rev c1, c2) as amd-smi prints them
    assert [cat.model_capability(n) for n in ("AMD Radeon RX 6700 XT", "AMD Radeon RX 6800M")] == ["gfx1031"] * 2


def test_market_name_lookup():
    assert cat.market_name("1002:744C", "0xCC") == "AMD Radeon RX 7900 XT"
    assert cat.market_name("0x1002:0x743f", "c3") == "AMD Radeon RX 6500"  # first of two lines wins, as in libdrm
    assert cat.market_name("1002:744c", "0x01") is None and cat.market_name("1002:744c", None) is None
    assert cat.market_name(None, "c8") is None and cat.market_name("744c", "c8") is None
    assert cat.market_name("1002:744c", "0x1c8") is None and cat.market_name("1002:7448", "0") == "AMD Radeon Pro W7900"
    assert cat.market_name("1002:744c:00", "c8") is None and cat.lookup_pci("10de", "0x12330") is None


@pytest.mark.parametrize("name, vendor", [
    ("nvidia_h100_80gb_hbm3", "nvidia"), ("Tesla T4", "nvidia"), ("a10g", "nvidia"), ("GH100", "nvidia"),
    ("mi300x", "amd"), ("AMD Instinct MI300X", "amd"), ("Radeon Pro V520", "amd"), ("rx7900xtx", "amd"),
    ("w7900", "amd"), ("gaudi2", None), ("", None), (None, None),
])
def test_vendor_comes_from_the_catalogue(name, vendor):
    assert cat.model_vendor(name) == vendor
    assert vendor_for(name) == vendor


def test_inventory_helpers_use_the_same_tokens():
    hostvars = gpu_hostvars([{"name": "AMD Radeon RX 6600 (Navi 23", "count": 2},
                             {"name": "Navi 23 [Radeon RX 6600/6600 XT/6600M]", "count": 1}])
    assert hostvars == {"gpu_count": 3, "gpu_models": ["rx6600"], "gpu_vendor": "amd", "gpu_memory_mib": None}


@pytest.mark.parametrize("gpus, answer", [
    (["GH100"], "recommended"), (["H100"], "recommended"), ([{"name": "NVIDIA H200", "pci_device_id": "10de:2335"}],
                                                            "recommended"),
    (["GH200 120GB / 480GB"], "required"), ([{"pci_device_id": "10de:2342"}], "required"),
    ([{"model": "gh200", "architecture": "hopper"}], "required"),
    (["B200"], "required"), (["AMD Instinct MI300X", "H100"], "recommended"), (["AMD Radeon RX 7900 XTX"], None),
    ([{"gfx_target": "gfx1100"}], None), ([{"model": "gh200"}], "required"), ([{"model": "h100"}], "recommended"),
    ({"devices": [{"vendor": "amd", "name": "Radeon RX 7900 XTX"}, {"vendor": "nvidia", "name": "NVIDIA B200"}]},
     "required"),
])
def test_open_modules_from_the_one_vocabulary(gpus, answer):
    assert F["gpu_open_modules"](gpus) == answer


def test_nvswitch_names():
    assert cat.nvswitch_name("10de:22a3") == "H100 NVSwitch" and cat.nvswitch_name("10DE:1AF1") == "A100 NVSwitch"
    assert cat.nvswitch_name("10de:2330") is None and cat.nvswitch_name(None) is None


def test_nvswitches_are_named_in_the_facts(tmp_path):
    import sys
    sys.path.insert(0, os.path.join(FIX, "..", "..", "..", "integration", "gpu_facts"))
    from make_sysfs import hgx_devices, make_tree  # pylint: disable=import-error
    from ansible_collections.mlinfra.gpu.plugins.module_utils._gpu_facts import collect
    make_tree(str(tmp_path), hgx_devices(2, 2) + [("0000:99:00.0", "0x10de", "0x9999", "0x068000", "0")])
    facts = collect(lambda cmd: (0, "", ""), lambda path: None, sysfs_root=str(tmp_path), query_tools=False)
    assert [(s["pci_bus_id"], s["name"]) for s in facts["nvswitches"]] == [
        ("0000:05:00.0", "H100 NVSwitch"), ("0000:06:00.0", "H100 NVSwitch"), ("0000:99:00.0", None)]
