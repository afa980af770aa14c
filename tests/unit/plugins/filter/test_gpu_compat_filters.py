# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compatibility knowledge base and its filters."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mlinfra.gpu.plugins.filter.gpu_compat import FilterModule
from ansible_collections.mlinfra.gpu.plugins.module_utils import gpu_compat, gpu_compat_data
from ansible_collections.mlinfra.gpu.plugins.module_utils.gpu_catalog import architectures

F = FilterModule().filters()


@pytest.mark.parametrize("cuda, driver", [
    ("13.2", "595.45.04"), ("13.2.2", "595.71.05"), ("13.1", "590.44.01"), ("13.0", "580.65.06"), ("13", "580.65.06"),
    ("12.9.1", "575.57.08"), ("12.8", "570.26"), ("12.8.1", "570.124.06"), ("12.6.2", "560.35.03"),
    ("12.4", "550.54.14"), ("12.2", "535.54.03"), ("12.0", "525.60.13"), ("11.8", "520.61.05"), ("11.4.4", "470.82.01"),
    ("11.0", "450.51.05"), (12.4, "550.54.14"), ("12.4.9", "550.54.15"),
])
def test_cuda_min_driver(cuda, driver):
    assert F["cuda_min_driver"](cuda) == driver


def test_every_table_row_round_trips_and_names_its_source():
    for cuda, driver, source in gpu_compat_data.CUDA_MIN_DRIVER:
        assert gpu_compat.driver_supports_cuda(driver, cuda) and source.startswith("NVIDIA CUDA Toolkit")
    for row in gpu_compat_data.DRIVER_BRANCHES:
        assert row["source"] and row["type"] in ("lts", "production")
    for arch, row in gpu_compat_data.ARCHITECTURE_SUPPORT.items():
        assert arch in architectures("nvidia") and row["source"]


@pytest.mark.parametrize("driver, cuda, expected", [
    ("590.48.01", "13.1", True), ("580.95.05", "13.1", False), ("535.104.05", "12.2", True),
    ("535.104.05", "12.4", False), ("570.26", "12.8", True), ("570.25", "12.8", False),
])
def test_driver_supports_cuda(driver, cuda, expected):
    assert F["driver_supports_cuda"](driver, cuda) is expected


def test_minor_version_compatibility():
    assert F["driver_supports_cuda"]("535.104.05", "12.8", minor_compat=True) is True
    assert F["driver_supports_cuda"]("520.61.05", "12.0", minor_compat=True) is False


def test_driver_max_cuda_matches_the_captures():
    # nvidia-smi in the captures: 590.48.01 -> CUDA 13.1, 595.71.05 -> 13.2 (refdata 04 / 01)
    assert F["driver_max_cuda"]("590.48.01") == "13.1" and F["driver_max_cuda"]("595.71.05") == "13.2"
    assert F["driver_max_cuda"]("400.1") is None


@pytest.mark.parametrize("bad", ["abc", "12.x", "", None, True, "1.2.3.4.5"])
def test_bad_versions_raise_a_filter_error_naming_the_value(bad):
    with pytest.raises(AnsibleFilterError) as info:
        F["cuda_min_driver"](bad)
    assert repr(bad) in str(info.value) and "expected a CUDA version" in str(info.value)
    with pytest.raises(AnsibleFilterError) as info:
        F["driver_supports_cuda"](bad, "12.4")
    assert "expected a driver version" in str(info.value)


def test_unknown_cuda_release_is_an_error():
    with pytest.raises(AnsibleFilterError, match="unknown CUDA version '12.7'"):
        F["cuda_min_driver"]("12.7")


@pytest.mark.parametrize("gpus, flavour", [
    ([{"vendor": "nvidia", "name": "NVIDIA H100 80GB HBM3", "architecture": "hopper"}], "open"),
    ([{"pci_device_id": "10de:1eb8"}], "open"),
    (["Tesla V100-SXM2-16GB"], "proprietary"),
    ([{"name": "NVIDIA B200"}, {"name": "NVIDIA B200"}], "open"),
    ({"devices": [{"vendor": "amd", "name": "AMD Instinct MI300X"}]}, None),
    ([], None),
])
def test_gpu_kernel_module(gpus, flavour):
    assert F["gpu_kernel_module"](gpus) == flavour


def test_gpu_kernel_module_conflict_and_unknown():
    with pytest.raises(AnsibleFilterError, match="blackwell need the open modules, volta cannot"):
        F["gpu_kernel_module"](["B200", "V100"])
    with pytest.raises(AnsibleFilterError, match="cannot tell the architecture"):
        F["gpu_kernel_module"]([{"name": "Mystery Card"}])
    with pytest.raises(AnsibleFilterError, match="expected a list of GPU facts"):
        F["gpu_kernel_module"]("H100")


@pytest.mark.parametrize("gpus, branch_type, branch", [
    (["H100"], None, "620"), (["V100"], None, "580"), (["Tesla K80"], None, "470"), (["H100", "P100"], None, "580"),
    (["B200"], "production", "595"), (["T4"], "lts", "620"), ([{"architecture": "blackwell"}, "V100"], None, "580"),
])
def test_gpu_newest_driver_branch(gpus, branch_type, branch):
    assert F["gpu_newest_driver_branch"](gpus, branch_type) == branch


def test_gpu_model_filter():
    assert F["gpu_model"]("NVIDIA H100 80GB HBM3") == "h100" and F["gpu_model"]("") is None


@pytest.mark.parametrize("gpus, branch, supported, oldest, newest, unsupported", [
    (["NVIDIA B200"], "535", False, 570, None, ["NVIDIA B200 (blackwell)"]),
    (["NVIDIA B200"], "570", True, 570, None, []),
    ([{"vendor": "nvidia", "name": "NVIDIA H100 80GB HBM3", "architecture": "hopper"}], "535", True, 525, None, []),
    ([{"name": "NVIDIA H100 80GB HBM3", "architecture": "hopper"}], "520.61.05", False, 525, None,
     ["NVIDIA H100 80GB HBM3 (hopper)"]),
    (["Tesla P100-PCIE-16GB"], 590, False, None, 580, ["Tesla P100-PCIE-16GB (pascal)"]),
    (["Tesla V100-SXM2-16GB", "Tesla V100-SXM2-16GB"], "580", True, None, 580, []),
    (["NVIDIA B200", "Tesla V100-SXM2-16GB"], "580", True, 570, 580, []),
    (["NVIDIA B200", "Tesla V100-SXM2-16GB"], "595", False, 570, 580, ["Tesla V100-SXM2-16GB (volta)"]),
    ({"devices": [{"vendor": "amd", "name": "AMD Instinct MI300X"}]}, "535", True, None, None, []),
    ([], "470", True, None, None, []),
])
def test_gpu_driver_branch_support(gpus, branch, supported, oldest, newest, unsupported):
    assert F["gpu_driver_branch_support"](gpus, branch) == {
        "supported": supported, "oldest": oldest, "newest": newest, "unsupported": unsupported}


@pytest.mark.parametrize("gpus, newest, next_supported", [
    (["H100"], 620, True),            # no last branch: 620 is only the newest branch in the table
    (["T4"], 620, True),
    (["V100"], 580, False),           # Volta ends with R580
    (["Tesla K80"], 470, False),      # Kepler ends with R470
    (["B200", "V100"], 580, False),
])
def test_gpu_driver_branch_support_agrees_with_the_newest_branch(gpus, newest, next_supported):
    assert F["gpu_newest_driver_branch"](gpus) == str(newest)
    assert F["gpu_driver_branch_support"](gpus, newest)["supported"] is True
    assert F["gpu_driver_branch_support"](gpus, newest + 1)["supported"] is next_supported


def test_gpu_driver_branch_support_bad_input():
    with pytest.raises(AnsibleFilterError, match="expected a driver branch or version"):
        F["gpu_driver_branch_support"](["H100"], "r580")
    with pytest.raises(AnsibleFilterError, match="cannot tell the architecture"):
        F["gpu_driver_branch_support"]([{"name": "Mystery Card"}], "580")


@pytest.mark.parametrize("gpus, answer", [
    (["NVIDIA B200"], "required"),
    ([{"name": "NVIDIA GH200 480GB", "architecture": "hopper"}], "required"),
    ([{"vendor": "nvidia", "name": "NVIDIA H100 80GB HBM3", "architecture": "hopper"}], "recommended"),
    ([{"name": "NVIDIA A100-SXM4-80GB", "architecture": "ampere"}, "T4"], "recommended"),
    (["Tesla V100-SXM2-16GB"], "unsupported"),
    (["Tesla P100-PCIE-16GB", "T4"], "unsupported"),
    ({"devices": [{"vendor": "amd", "name": "AMD Instinct MI300X"}]}, None),
    ([], None),
])
def test_gpu_open_modules(gpus, answer):
    assert F["gpu_open_modules"](gpus) == answer


def test_gpu_open_modules_conflict():
    with pytest.raises(AnsibleFilterError, match="no kernel module flavour fits"):
        F["gpu_open_modules"](["B200", "V100"])


def test_framework_builds_filter_jax_series():
    assert [(r["series"], r["builds"]) for r in F["framework_builds"]("jax")] == [
        ("0.8", ["cpu", "cuda12", "cuda13"]), ("0.7", ["cpu", "cuda12", "cuda13"]), ("0.6", ["cpu", "cuda12"]),
        ("0.5", ["cpu", "cuda12"]), ("0.4", ["cpu", "cuda12"])]


def test_framework_builds_filter_refuses_unknown_framework():
    with pytest.raises(AnsibleFilterError, match="^mlinfra.gpu.framework_builds: unknown framework 'mxnet'"):
        F["framework_builds"]("mxnet")
