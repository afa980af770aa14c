# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The single decisions of _driver_plan one by one: explicit settings, boundaries, a source's other builds."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _driver_plan
from ansible_collections.mlinfra.gpu.plugins.module_utils._driver_plan import PlanError

AMPERE = [{"vendor": "nvidia", "name": "NVIDIA A100-SXM4-80GB", "architecture": "ampere"}]
DEBIAN12 = {"name": "Debian 12", "distro_branch": "535"}
WITH_FM = {"fabricmanager": ["nvidia-fabricmanager"]}
REPO = "http://127.0.0.1:18439/cuda/repos/debian12/x86_64"
DEBIAN = "http://deb.debian.org/debian"


def test_an_explicit_branch_below_the_distributions_is_refused():
    with pytest.raises(PlanError) as err:
        _driver_plan.choose_branch("distro", "470", AMPERE, DEBIAN12)
    assert str(err.value) == ("nvidia_driver: Debian 12 packages driver branch 535, not 470; set nvidia_driver_branch to "
                              "'535' or 'auto', or use nvidia_driver_source 'nvidia' for other branches.")


def test_the_distributions_own_branch_named_explicitly_is_taken():
    assert _driver_plan.choose_branch("distro", "535", AMPERE, DEBIAN12) == "535"


@pytest.mark.parametrize("setting, switches, expected", [
    ("false", 4, False),   # turned off although NVSwitches are there
    ("true", 0, True),     # asked for without NVSwitches
    ("auto", 1, True),     # one NVSwitch is enough
    ("auto", None, False),  # facts without the count
    ("AUTO", 0, False),
])
def test_fabric_manager_settings(setting, switches, expected):
    facts = {} if switches is None else {"nvswitch_count": switches}
    assert _driver_plan.choose_fabricmanager(setting, facts, WITH_FM, DEBIAN12) is expected


def test_proprietary_names_carry_no_open_suffix():
    packages = {"base": ["nvidia-utils-{branch}-server"], "proprietary": ["nvidia-headless-{branch}-server{open}"],
                "open": ["nvidia-headless-{branch}-server{open}"]}
    assert _driver_plan.package_names(packages, "580", "proprietary", True, False) == [
        "nvidia-utils-580-server", "nvidia-headless-580-server"]
    assert _driver_plan.package_names(packages, "580", "open", True, False) == [
        "nvidia-utils-580-server", "nvidia-headless-580-server-open"]


ENTRY = {"versions": [{"version": "580.95.05-1", "urls": [REPO]},
                      {"version": "535.261.03-1", "urls": [DEBIAN + " bookworm/non-free amd64 Packages"]}]}


def test_an_installed_build_of_another_source_is_foreign():
    # the installed 535 is listed second, after a newer version of the source the plan takes
    assert _driver_plan._foreign(ENTRY, "535.261.03-1", REPO, None) is True


def test_an_installed_build_of_the_plans_source_is_not_foreign():
    assert _driver_plan._foreign(ENTRY, "580.95.05-1", REPO, None) is False


def test_a_version_no_source_lists_is_not_foreign():
    assert _driver_plan._foreign(ENTRY, "570.86.15-1", REPO, None) is False


@pytest.mark.parametrize("branch, expected", [
    ("590", []),  # a newer branch than the minimum's runs it
    ("580", []),
    ("575", ["CUDA 13.0 needs NVIDIA driver 580.65.06 or newer"]),
])
def test_cuda_against_a_branch_alone(branch, expected):
    assert _driver_plan.cuda_refusals(["13.0"], None, branch) == expected
