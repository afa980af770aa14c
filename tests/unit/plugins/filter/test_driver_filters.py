# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mlinfra.gpu.cuda_refusals and mlinfra.gpu.upstream_version."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mlinfra.gpu.plugins.filter.driver import FilterModule

REFUSALS = FilterModule().filters()["cuda_refusals"]
UPSTREAM = FilterModule().filters()["upstream_version"]


@pytest.mark.parametrize("versions, driver, branch, expected", [
    (["12.8", "13.0"], "", "535", ["CUDA 12.8 needs NVIDIA driver 570.26 or newer",
                                   "CUDA 13.0 needs NVIDIA driver 580.65.06 or newer"]),
    (["12.2"], "", "535", []),
    (["13.1"], "1:580.95.05-1", "", ["CUDA 13.1 needs NVIDIA driver 590.44.01 or newer"]),
    (["11.8"], "535.309.01-0+deb12u1", "535", []),
    (["13.1"], None, None, []),
    ([], "580.95.05", "", []),
])
def test_cuda_refusals(versions, driver, branch, expected):
    assert REFUSALS(versions, driver, branch) == expected


def test_a_bad_version_is_a_filter_error():
    with pytest.raises(AnsibleFilterError) as err:
        REFUSALS(["twelve"], "580.95.05")
    assert str(err.value).startswith("mlinfra.gpu.cuda_refusals: ")


@pytest.mark.parametrize("version, expected", [
    ("1:580.95.05-1", "580.95.05"), ("580.95.05-1", "580.95.05"), ("535.261.03-1~deb12u1", "535.261.03"),
    ("580.95.05", "580.95.05"), ("", ""), (" 550.163.01-2 ", "550.163.01"),
])
def test_upstream_version(version, expected):
    assert UPSTREAM(version) == expected


def test_upstream_version_of_a_number_is_refused():
    with pytest.raises(AnsibleFilterError) as info:
        UPSTREAM(580)
    assert str(info.value) == "mlinfra.gpu.upstream_version: expected a version string, got 580"
