# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""gpu_compat over hosts the single-GPU tests never show: mixed generations, non-NVIDIA devices first, MIG on a
later GPU. Device dicts are gpu_facts devices with the names nvidia-smi prints (captures, refdata 01/03) and the
PCI ids of pci.ids (refdata 03B). Expected branches: gpu_compat_data (refdata 04)."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import gpu_compat

H100 = {"vendor": "nvidia", "name": "NVIDIA H100 80GB HBM3", "pci_device_id": "10de:2330", "architecture": "hopper"}
B200 = {"vendor": "nvidia", "name": "NVIDIA B200", "pci_device_id": "10de:2901", "architecture": "blackwell"}
K80 = {"vendor": "nvidia", "name": "Tesla K80", "architecture": "kepler"}
V100 = {"vendor": "nvidia", "name": "Tesla V100-SXM2-16GB", "pci_device_id": "10de:1db1", "architecture": "volta"}
T4 = {"vendor": "nvidia", "name": "Tesla T4", "pci_device_id": "10de:1eb8", "architecture": "turing"}
MI300X = {"vendor": "amd", "name": "AMD Instinct MI300X", "pci_device_id": "1002:74a1", "architecture": "cdna3"}


@pytest.mark.parametrize("gpus, branch, expected", [
    # Hopper + Blackwell: the lower bound is Blackwell's R570, not Hopper's R525.
    ([H100, B200], "560", {"supported": False, "oldest": 570, "newest": None, "unsupported": ["NVIDIA B200 (blackwell)"]}),
    ([B200, H100], "570", {"supported": True, "oldest": 570, "newest": None, "unsupported": []}),
    ([H100, B200], "520", {"supported": False, "oldest": 570, "newest": None,
                           "unsupported": ["NVIDIA H100 80GB HBM3 (hopper)", "NVIDIA B200 (blackwell)"]}),
    # Kepler + Volta: the upper bound is Kepler's R470, not Volta's R580.
    ([V100, K80], "535", {"supported": False, "oldest": None, "newest": 470, "unsupported": ["Tesla K80 (kepler)"]}),
    ([K80, V100], "470", {"supported": True, "oldest": None, "newest": 470, "unsupported": []}),
    ([K80, V100], "590", {"supported": False, "oldest": None, "newest": 470,
                          "unsupported": ["Tesla K80 (kepler)", "Tesla V100-SXM2-16GB (volta)"]}),
    # The same GPU twice is named once.
    ([K80, dict(K80)], "580", {"supported": False, "oldest": None, "newest": 470, "unsupported": ["Tesla K80 (kepler)"]}),
    # A non-NVIDIA device listed first: the label is the NVIDIA GPU's, never the AMD one's.
    ({"devices": [MI300X, B200]}, "535", {"supported": False, "oldest": 570, "newest": None,
                                          "unsupported": ["NVIDIA B200 (blackwell)"]}),
    ([MI300X, K80], "580", {"supported": False, "oldest": None, "newest": 470, "unsupported": ["Tesla K80 (kepler)"]}),
    # Turing has neither bound.
    ([T4], "470", {"supported": True, "oldest": None, "newest": None, "unsupported": []}),
    # One device dict (a fact of one GPU) is read as that GPU; a name without a dict is its own label.
    (B200, "535", {"supported": False, "oldest": 570, "newest": None, "unsupported": ["NVIDIA B200 (blackwell)"]}),
    ([{"vendor": "nvidia", "architecture": "blackwell"}], "535",
     {"supported": False, "oldest": 570, "newest": None, "unsupported": ["blackwell (blackwell)"]}),
])
def test_driver_branch_support_on_mixed_hosts(gpus, branch, expected):
    assert gpu_compat.driver_branch_support(gpus, branch) == expected


@pytest.mark.parametrize("gpus, branch_type, expected", [
    ([H100, B200], None, 620),
    ([H100, B200], "production", 595),
    ([K80, V100], None, 470),
    ([V100, K80], "production", None),     # R470 is LTS: no production branch drives a Kepler
    ([MI300X, K80], None, 470),
    ({"devices": [MI300X]}, "lts", 620),   # no NVIDIA GPU: the newest branch of that type
    ([T4], "production", 595),
])
def test_newest_driver_branch_on_mixed_hosts(gpus, branch_type, expected):
    assert gpu_compat.newest_driver_branch(gpus, branch_type) == expected


def test_newest_driver_branch_rejects_an_unknown_type():
    with pytest.raises(ValueError) as info:
        gpu_compat.newest_driver_branch([H100], "beta")
    assert str(info.value) == "expected branch_type 'lts', 'production' or None, got 'beta'"


@pytest.mark.parametrize("gpus, flavour, requirement", [
    ([B200, H100], "open", "required"),      # Blackwell requires them, Hopper takes them: the host requires them
    ([H100, B200], "open", "required"),
    ([H100, T4], "open", "recommended"),
    ([MI300X, H100], "open", "recommended"),
    ([{"vendor": "nvidia", "name": "NVIDIA GH200 480GB", "architecture": "hopper"}, H100], "open", "required"),
    ([T4, V100], "proprietary", "unsupported"),
    ([MI300X], None, None),
])
def test_open_modules_on_mixed_hosts(gpus, flavour, requirement):
    assert (gpu_compat.recommended_kernel_module(gpus), gpu_compat.open_modules_requirement(gpus)) == (flavour, requirement)


def test_open_modules_conflict_names_both_sides():
    with pytest.raises(ValueError) as info:
        gpu_compat.recommended_kernel_module([V100, H100, B200, K80])
    assert str(info.value) == ("no kernel module flavour fits this host: blackwell need the open modules, "
                               "kepler, volta cannot use them")


@pytest.mark.parametrize("device, expected", [
    ({"architecture": "Hopper"}, "hopper"),                         # the fact's own key wins (lower-cased)
    ({"pci_device_id": "10de:2901", "name": "Tesla K80"}, "blackwell"),  # then the PCI id
    ({"pci_device_id": "10de:ffff", "name": "Tesla K80"}, "kepler"),     # then the name
    ({"model": "v100"}, "volta"),
    ({"name": "Mystery Card"}, None),
    ("NVIDIA B200", "blackwell"),
])
def test_device_architecture_order(device, expected):
    assert gpu_compat.device_architecture(device) == expected


def test_device_architecture_rejects_other_types():
    with pytest.raises(ValueError) as info:
        gpu_compat.device_architecture(42)
    assert str(info.value) == "expected a GPU fact (a dict with 'architecture', 'pci_device_id' or 'name'), got 42"


def test_unknown_architecture_is_refused_by_name():
    with pytest.raises(ValueError) as info:
        gpu_compat.newest_driver_branch([{"vendor": "nvidia", "architecture": "rubin"}])
    assert str(info.value).startswith("unknown NVIDIA architecture 'rubin' (known: kepler, maxwell, ")


@pytest.mark.parametrize("cuda, driver", [
    ("12.6.1", "560.35.03"), ("12.6.3", "560.35.05"), ("12.6.0", "560.28.03"), ("12.6", "560.28.03"),
    ("12.9.7", "575.57.08"), ("13.0.1", "580.82.07"), ("10.2", "440.33"), ("10.2.89", "440.33"),
    ("11.0.1", "450.51.05"),   # before the table's first 11.0 row (11.0.2): the GA floor
])
def test_cuda_min_driver_patch_releases(cuda, driver):
    assert gpu_compat.cuda_min_driver(cuda) == driver


@pytest.mark.parametrize("driver, cuda, minor_compat, expected", [
    ("525.60.13", "12.8", True, True), ("525.60.12", "12.8", True, False),
    ("580.65.06", "13.0", False, True), ("580.65.05", "13.0", False, False),
    ("580", "13.2", True, True), ("575.57.08", "13.2", True, False),
])
def test_driver_supports_cuda_at_the_floor(driver, cuda, minor_compat, expected):
    assert gpu_compat.driver_supports_cuda(driver, cuda, minor_compat=minor_compat) is expected


def test_minor_compat_unknown_major_names_the_known_ones():
    with pytest.raises(ValueError) as info:
        gpu_compat.cuda_minor_compat_driver("10.2")
    assert str(info.value) == "no minor-version compatibility data for CUDA '10.2' (known majors: 11, 12, 13)"


@pytest.mark.parametrize("driver, cuda", [("410.48", "10.0"), ("575.57.08", "12.9"), ("620.1", "13.2")])
def test_driver_max_cuda_at_the_floor(driver, cuda):
    assert gpu_compat.driver_max_cuda(driver) == cuda


@pytest.mark.parametrize("value, expected", [
    ("v12.4", (12, 4)), (" 590.48.01 ", (590, 48, 1)), (12.4, (12, 4)), (580, (580,)), ("1.2.3.4", (1, 2, 3, 4)),
])
def test_parse_version(value, expected):
    assert gpu_compat.parse_version(value) == expected


def test_unknown_cuda_release_names_every_known_one():
    with pytest.raises(ValueError) as info:
        gpu_compat.cuda_min_driver("12.7")
    assert str(info.value) == ("unknown CUDA version '12.7': the table knows 10.0, 10.1, 10.2, 11.0, 11.1, 11.2, 11.3, "
                               "11.4, 11.5, 11.6, 11.7, 11.8, 12.0, 12.1, 12.2, 12.3, 12.4, 12.5, 12.6, 12.8, 12.9, "
                               "13.0, 13.1, 13.2")


def test_cuda_version_with_a_build_number():
    # parse_version takes up to four parts; anything past major.minor.patch does not lower the floor
    assert gpu_compat.cuda_min_driver("12.8.1.0") == "570.124.06"


@pytest.mark.parametrize("gpus, flavour", [
    ({"name": "Tesla V100-SXM2-16GB"}, "proprietary"),      # one GPU fact with a name only
    ({"architecture": "volta"}, "proprietary"),             # ... with an architecture only
    ({"count": 0, "devices": []}, None),                    # the gpu facts dict of a host without GPU
])
def test_one_gpu_dict_or_the_facts_dict(gpus, flavour):
    assert gpu_compat.recommended_kernel_module(gpus) == flavour


@pytest.mark.parametrize("gpus, unsupported", [
    ({"name": "Tesla K80"}, ["Tesla K80 (kepler)"]), ({"architecture": "kepler"}, ["kepler (kepler)"])])
def test_branch_support_of_one_gpu_dict(gpus, unsupported):
    assert gpu_compat.driver_branch_support(gpus, "535")["unsupported"] == unsupported


def test_no_branch_drives_blackwell_and_kepler_together():
    assert gpu_compat.newest_driver_branch([B200, K80]) is None


def test_branch_support_takes_a_full_driver_version():
    assert gpu_compat.driver_branch_support([B200], "570.124.06")["supported"] is True
    assert gpu_compat.driver_branch_support([B200], "565.57.01")["supported"] is False
