# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mlinfra.gpu.cuda_refusals."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mlinfra.gpu.plugins.filter.driver import FilterModule

REFUSALS = FilterModule().filters()["cuda_refusals"]


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
