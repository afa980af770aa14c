# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decisions of the driver/CUDA roles (_driver_plan), over the platform values the role ships and real apt output."""

from __future__ import absolute_import, division, print_function

import copy
import os

import pytest
import yaml

from ansible_collections.mlinfra.gpu.plugins.module_utils import _apt_state
from ansible_collections.mlinfra.gpu.plugins.module_utils._driver_plan import (
    PlanError, choose, cuda_refusals, managed_patterns, package_names, plan_packages,
)

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "..", "fixtures", "apt")


def _roles_dir():
    """roles/ of the checkout (also from a partial copy of the tree below it, as scripts/mutation.sh makes)."""
    path = HERE
    while not os.path.isdir(os.path.join(path, "roles", "nvidia_driver")) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return os.path.join(path, "roles")


REPO12 = "http://127.0.0.1:18439/cuda/repos/debian12/x86_64"


def role_vars(*names):
    """The platform values as the role ships them (roles/nvidia_driver/vars)."""
    merged = {}
    for name in names:
        with open(os.path.join(_roles_dir(), "nvidia_driver", "vars", name + ".yml")) as handle:
            merged.update(yaml.safe_load(handle))
    return merged


def platform(name, *files):
    values = role_vars(*files)
    return {"name": name, "distro_branch": values.get("nvidia_driver__distro_branch", ""),
            "distro_any_branch": values.get("nvidia_driver__distro_any_branch", False),
            "distro_modules": values.get("nvidia_driver__distro_modules"),
            "distro_modules_note": values.get("nvidia_driver__distro_modules_note", ""),
            "packages": values["nvidia_driver__packages"]}


DEB12 = platform("Debian 12", "Debian", "Debian_12")
DEB13 = platform("Debian 13", "Debian", "Debian_13")
UBUNTU = platform("Ubuntu 24", "Ubuntu")
EL9 = platform("RedHat 9", "RedHat")
A100 = {"count": 1, "nvswitch_count": 0, "devices": [{"vendor": "nvidia", "name": "NVIDIA A100-SXM4-80GB",
                                                      "architecture": "ampere"}]}
H100X8 = {"count": 8, "nvswitch_count": 4, "devices": [{"vendor": "nvidia", "name": "NVIDIA H100 80GB HBM3",
                                                        "architecture": "hopper"}] * 8}


def settings(**kw):
    base = {"source": "distro", "branch": "auto", "kernel_module": "auto", "fabricmanager": "auto", "headless": True}
    base.update(kw)
    return base


def refusal(*args):
    with pytest.raises(PlanError) as err:
        choose(*args)
    return str(err.value)


def test_debian12_distro_a100_gets_535_proprietary():
    assert choose(settings(), A100, DEB12) == {
        "source": "distro", "branch": "535", "kernel_module": "proprietary", "fabricmanager": False,
        "packages": ["nvidia-smi", "nvidia-persistenced", "libcuda1", "firmware-nvidia-gsp", "nvidia-kernel-dkms"],
        "managed": ["nvidia-smi", "nvidia-persistenced", "libcuda1", "firmware-nvidia-gsp", "nvidia-open-kernel-dkms",
                    "nvidia-kernel-dkms", "nvidia-driver"],
        "gpus": 1, "nvswitches": 0}


def test_debian13_distro_a100_gets_550_open():
    plan = choose(settings(), A100, DEB13)
    assert (plan["branch"], plan["kernel_module"], plan["packages"][-1]) == ("550", "open", "nvidia-open-kernel-dkms")


def test_nvidia_source_eight_h100_with_nvswitches_gets_newest_lts_open_and_fabric_manager():
    plan = choose(settings(source="nvidia"), H100X8, DEB12)
    assert plan["branch"] == "620"
    assert plan["packages"] == ["nvidia-driver-cuda", "nvidia-smi", "nvidia-persistenced", "libcuda1",
                                "nvidia-kernel-open-dkms", "nvidia-fabricmanager"]
    assert (plan["gpus"], plan["nvswitches"], plan["fabricmanager"]) == (8, 4, True)


def test_fabric_manager_of_a_branch_before_580_has_the_branch_in_its_name():
    plan = choose(settings(source="nvidia", branch="535"), H100X8, DEB12)
    assert plan["packages"][-1] == "nvidia-fabricmanager-535"
    assert "nvidia-fabricmanager-*" in plan["managed"] and "nvidia-fabricmanager" in plan["managed"]


def test_ubuntu_names_carry_branch_and_flavour():
    plan = choose(settings(branch="570", headless=False), A100, UBUNTU)
    assert plan["packages"] == ["nvidia-utils-570-server", "nvidia-headless-570-server-open",
                                "nvidia-driver-570-server-open"]
    assert plan["managed"] == ["nvidia-utils-*-server", "nvidia-headless-*-server-open", "nvidia-headless-*-server",
                               "nvidia-driver-*-server*", "nvidia-fabricmanager-*"]


def test_rhel_has_no_distro_source():
    assert refusal(settings(), A100, EL9) == \
        "nvidia_driver: source 'distro' is not possible on RedHat 9: expected one of nvidia."


def test_auto_flavour_without_gpus_follows_the_branch():
    assert choose(settings(source="nvidia", branch="535"), {}, DEB12)["kernel_module"] == "proprietary"
    assert choose(settings(source="nvidia", branch="560"), {}, DEB12)["kernel_module"] == "open"
    assert choose(settings(source="nvidia", branch="559"), {}, DEB12)["kernel_module"] == "proprietary"


def test_pascal_gets_proprietary_and_amd_devices_are_ignored():
    facts = {"devices": [{"vendor": "amd", "name": "MI300X", "architecture": "cdna3"},
                         {"vendor": "nvidia", "name": "Tesla P100-PCIE-16GB", "architecture": "pascal"}]}
    plan = choose(settings(source="nvidia"), facts, DEB13)
    assert (plan["branch"], plan["kernel_module"], plan["gpus"]) == ("580", "proprietary", 1)


@pytest.mark.parametrize("args, message", [
    ((settings(branch="58o"), A100, DEB12),
     "nvidia_driver: nvidia_driver_branch '58o' is not a branch; expected 'auto' or a three-digit driver branch such as '580'."),
    ((settings(source="nvidia-ppa"), A100, DEB12),
     "nvidia_driver: source 'nvidia-ppa' is not possible on Debian 12: expected one of distro, nvidia."),
    ((settings(branch="580"), A100, DEB12),
     "nvidia_driver: Debian 12 packages driver branch 535, not 580; set nvidia_driver_branch to '535' or 'auto', "
     "or use nvidia_driver_source 'nvidia' for other branches."),
    ((settings(), {"devices": [{"name": "NVIDIA B200", "architecture": "blackwell"}]}, DEB12),
     "nvidia_driver: driver branch 535 does not support NVIDIA B200 (blackwell): they need branch 570 or newer; set "
     "nvidia_driver_branch accordingly (nvidia_driver_source 'nvidia' for branches the distribution does not package). "
     "Nothing was installed."),
    ((settings(source="nvidia", branch="590"), {"devices": [{"name": "Tesla P100-PCIE-16GB", "architecture": "pascal"}]}, DEB12),
     "nvidia_driver: driver branch 590 does not support Tesla P100-PCIE-16GB (pascal): the newest branch that supports "
     "all of them is 580; set nvidia_driver_branch accordingly (nvidia_driver_source 'nvidia' for branches the "
     "distribution does not package). Nothing was installed."),
    ((settings(source="nvidia", branch="580", kernel_module="proprietary"),
      {"devices": [{"name": "NVIDIA GH200 480GB", "architecture": "hopper"}]}, DEB12),
     "nvidia_driver: proprietary kernel modules of branch 580 cannot drive NVIDIA GH200 480GB: these GPUs require the "
     "open modules; set nvidia_driver_kernel_module to open or auto. Nothing was installed."),
    ((settings(source="nvidia", branch="580", kernel_module="open"),
      {"devices": [{"name": "Tesla V100", "architecture": "volta"}]}, DEB12),
     "nvidia_driver: open kernel modules of branch 580 cannot drive Tesla V100: Kepler, Maxwell, Pascal and Volta GPUs "
     "need the proprietary modules; set nvidia_driver_kernel_module to proprietary or auto. Nothing was installed."),
    ((settings(fabricmanager=True), A100, DEB12),
     "nvidia_driver: fabric manager is needed (asked for) but Debian 12 does not package it; use nvidia_driver_source "
     "'nvidia'. Nothing was installed."),
    ((settings(), H100X8, DEB13),
     "nvidia_driver: fabric manager is needed (4 NVSwitches) but Debian 13 does not package it; use "
     "nvidia_driver_source 'nvidia'. Nothing was installed."),
    ((settings(fabricmanager="maybe"), A100, DEB12),
     "nvidia_driver: nvidia_driver_fabricmanager is 'maybe', expected auto, true or false."),
    ((settings(), {"devices": [{"name": "Mystery GPU"}]}, DEB12),
     "nvidia_driver: cannot tell the architecture of GPU {'name': 'Mystery GPU'}: give 'architecture' or a known "
     "name/PCI id. Nothing was installed."),
    ((settings(source="nvidia"), {"devices": [{"name": "B200", "architecture": "blackwell"},
                                              {"name": "K80", "architecture": "kepler"}]}, DEB12),
     "nvidia_driver: driver branch (none: no LTS branch fits) does not support B200 (blackwell): no branch "
     "supports all of them together; set nvidia_driver_branch accordingly (nvidia_driver_source 'nvidia' for "
     "branches the distribution does not package). Nothing was installed."),
])
def test_refusals_name_the_value_and_what_works(args, message):
    assert refusal(*args) == message


def test_debian12_open_is_refused_with_the_reason():
    message = refusal(settings(kernel_module="open"), A100, DEB12)
    assert message.startswith("nvidia_driver: open kernel modules of branch 535 cannot be installed from Debian 12's "
                              "packages: bookworm's nvidia-open-kernel-dkms 535.261.03 depends on firmware-nvidia-gsp "
                              "(= 535.261.03)")
    assert message.endswith("; set nvidia_driver_kernel_module to proprietary, or use nvidia_driver_source 'nvidia'. "
                            "Nothing was installed.")


def test_debian12_distro_with_a_gpu_that_requires_open_is_refused():
    facts = {"devices": [{"name": "NVIDIA GH200 480GB", "architecture": "hopper"}]}
    assert refusal(settings(), facts, DEB12).startswith(
        "nvidia_driver: open kernel modules of branch 535 cannot be installed from Debian 12's packages")


def test_ubuntu_distro_any_branch_is_accepted():
    assert choose(settings(branch="550"), A100, UBUNTU)["branch"] == "550"


def test_package_names_dedupe_and_kinds():
    pkgs = {"base": ["a", "b"], "open": ["b", "o-{branch}{open}"], "full": ["f"], "fabricmanager": {"600": ["fm"]}}
    assert package_names(pkgs, "580", "open", False, True) == ["a", "b", "o-580-open", "f"]
    assert package_names(pkgs, "600", "open", True, True) == ["a", "b", "o-600-open", "fm"]
    assert managed_patterns(pkgs) == ["a", "b", "o-**", "f", "fm"]


# --- plan_packages over real apt output ---------------------------------------------------------------------------

def real(release, policy_name, dpkg_name=None):
    with open(os.path.join(FIX, "debian%s-%s" % (release, policy_name))) as handle:
        policy = _apt_state.parse_policy(handle.read())
    installed = {}
    if dpkg_name:
        with open(os.path.join(FIX, "debian%s-%s" % (release, dpkg_name))) as handle:
            installed = _apt_state.parse_dpkg_query(handle.read())
    return policy, installed


NV_WANTED_580 = ["nvidia-driver-cuda", "nvidia-smi", "nvidia-persistenced", "libcuda1", "nvidia-kernel-open-dkms",
                 "nvidia-fabricmanager"]
NV_MANAGED = ["nvidia-driver-cuda", "nvidia-smi", "nvidia-persistenced", "libcuda1", "nvidia-kernel-open-dkms",
              "nvidia-kernel-dkms", "nvidia-driver", "nvidia-fabricmanager-*", "nvidia-fabricmanager"]


def test_upgrade_from_held_535_to_580_from_the_repository():
    policy, installed = real("12", "policy-repo-installed.C.txt", "dpkg-query.C.txt")
    plan = plan_packages(NV_WANTED_580, "580", policy, installed, NV_MANAGED, include=REPO12)
    assert plan == {
        "install": ["%s=580.95.05-1" % name for name in NV_WANTED_580],
        "remove": [], "release": ["nvidia-smi"], "hold": NV_WANTED_580,
        "versions": dict((name, "580.95.05-1") for name in NV_WANTED_580), "unverified": []}


def test_535_kept_when_installed_and_the_repository_chosen_over_debian():
    policy, installed = real("12", "policy-repo-installed.C.txt", "dpkg-query.C.txt")
    wanted = ["nvidia-smi", "nvidia-persistenced", "libcuda1", "nvidia-fabricmanager-535"]
    plan = plan_packages(wanted, "535", policy, installed, NV_MANAGED, include=REPO12)
    assert plan["install"] == ["libcuda1=535.274.02-1", "nvidia-fabricmanager-535=535.274.02-1"]
    assert plan["versions"]["nvidia-smi"] == "535.274.02-1"
    assert plan["hold"] == ["nvidia-persistenced", "libcuda1", "nvidia-fabricmanager-535"]
    assert (plan["remove"], plan["release"]) == ([], [])


def test_distro_source_takes_debians_newest_of_the_branch_not_the_repositorys():
    policy, installed = real("12", "policy-repo-installed.C.txt", "dpkg-query.C.txt")
    plan = plan_packages(["nvidia-smi", "libcuda1"], "535", policy, installed, ["nvidia-smi", "libcuda1"],
                         exclude=REPO12)
    assert plan["install"] == ["nvidia-smi=535.309.01-0+deb12u1", "libcuda1=535.309.01-0+deb12u1"]
    assert plan["release"] == ["nvidia-smi"]


def test_leaving_packages_are_removed_and_released_and_hold_off_releases_the_rest():
    installed = {"nvidia-fabricmanager-535": {"version": "535.274.02-1", "want": "hold", "installed": True, "held": True},
                 "nvidia-kernel-dkms": {"version": "580.95.05-1", "want": "install", "installed": True, "held": False},
                 "nvidia-smi": {"version": "580.95.05-1", "want": "hold", "installed": True, "held": True},
                 "nvidia-driver": {"version": "580.95.05-1", "want": "install", "installed": False, "held": False},
                 "unrelated": {"version": "1", "want": "hold", "installed": True, "held": True}}
    policy = real("12", "policy-repo-installed.C.txt")[0]
    plan = plan_packages(["nvidia-smi"], "580", policy, installed, NV_MANAGED, hold=False, include=REPO12)
    assert plan == {"install": [], "remove": ["nvidia-fabricmanager-535", "nvidia-kernel-dkms"],
                    "release": ["nvidia-fabricmanager-535", "nvidia-smi"], "hold": [],
                    "versions": {"nvidia-smi": "580.95.05-1"}, "unverified": []}


def test_a_branch_no_source_offers_is_refused_naming_what_is_offered():
    policy, installed = real("12", "policy-repo.C.txt")
    with pytest.raises(PlanError) as err:
        plan_packages(["nvidia-driver-cuda", "nvidia-smi"], "620", policy, installed, [], include=REPO12)
    assert str(err.value) == (
        "nvidia_driver: no package source offers branch 620 of nvidia-driver-cuda (offered: 580.95.05-1, 535.274.02-1); "
        "nvidia-smi (offered: 580.95.05-1, 535.309.01-0+deb12u1, 535.274.02-1, 535.261.03-1) from " + REPO12
        + "; check nvidia_driver_branch and the package sources. Nothing was changed.")


def test_debian13_distro_branch_550_and_the_repository_is_not_a_debian_source():
    policy = real("13", "policy-repo.C.txt")[0]
    plan = plan_packages(["nvidia-smi"], "550", policy, {}, [], exclude=REPO12.replace("12", "13"))
    assert plan["install"] == ["nvidia-smi=550.163.01-2"]
    with pytest.raises(PlanError) as err:
        plan_packages(["nvidia-smi"], "550", policy, {}, [], include=REPO12.replace("12", "13"))
    assert str(err.value).startswith("nvidia_driver: no package source offers branch 550 of nvidia-smi (offered: ")


def test_unknown_package_fails_outside_check_mode_and_is_unverified_in_check_mode():
    policy = real("12", "policy-unknown.C.txt")[0]
    with pytest.raises(PlanError) as err:
        plan_packages(["no-such-package-mlinfra"], "535", policy, {}, [])
    assert str(err.value) == ("nvidia_driver: no package source offers branch 535 of no-such-package-mlinfra "
                              "(offered: none); check nvidia_driver_branch and the package sources. Nothing was changed.")
    plan = plan_packages(["no-such-package-mlinfra", "nvidia-smi"], "535", policy, {}, [], check_mode=True)
    assert plan["install"] == ["nvidia-smi=535.309.01-0+deb12u1", "no-such-package-mlinfra"]
    assert plan["unverified"] == ["no-such-package-mlinfra"]
    assert plan["versions"] == {"nvidia-smi": "535.309.01-0+deb12u1"}
    assert plan["hold"] == []


def test_check_mode_holds_only_what_dpkg_knows():
    policy, installed = real("12", "policy-repo-installed.C.txt", "dpkg-query.C.txt")
    wanted = ["nvidia-smi", "nvidia-persistenced", "libcuda1"]
    plan = plan_packages(wanted, "535", policy, installed, wanted, include=REPO12, check_mode=True)
    assert plan["hold"] == ["nvidia-persistenced"]
    assert plan_packages(wanted, "535", policy, installed, wanted, include=REPO12)["hold"] == \
        ["nvidia-persistenced", "libcuda1"]


def test_check_mode_does_not_excuse_a_known_package_without_the_branch():
    policy = real("12", "policy-distro.C.txt")[0]
    with pytest.raises(PlanError):
        plan_packages(["nvidia-smi"], "550", policy, {}, [], check_mode=True)


def test_planning_does_not_touch_its_inputs():
    policy, installed = real("12", "policy-repo-installed.C.txt", "dpkg-query.C.txt")
    before = copy.deepcopy((policy, installed))
    plan_packages(NV_WANTED_580, "580", policy, installed, NV_MANAGED, include=REPO12)
    assert (policy, installed) == before


# --- CUDA against the planned driver ------------------------------------------------------------------------------

@pytest.mark.parametrize("versions, driver, branch, expected", [
    (["13.0"], None, "535", ["CUDA 13.0 needs NVIDIA driver 580.65.06 or newer"]),
    (["13.0"], None, "580", []),
    (["12.8", "13.1"], "580.95.05", None, ["CUDA 13.1 needs NVIDIA driver 590.44.01 or newer"]),
    (["12.8", "13.1"], "580.95.05", "620", ["CUDA 13.1 needs NVIDIA driver 590.44.01 or newer"]),
    (["12.2"], "535.54.02", None, ["CUDA 12.2 needs NVIDIA driver 535.54.03 or newer"]),
    (["12.2"], "535.54.03", None, []),
    (["13.1"], None, None, []),
    (["12.4"], None, "550", []),
    (["12.4"], None, "549", ["CUDA 12.4 needs NVIDIA driver 550.54.14 or newer"]),
])
def test_cuda_refusals(versions, driver, branch, expected):
    assert cuda_refusals(versions, driver, branch) == expected


def test_an_empty_list_of_distribution_flavours_restricts_nothing():
    plat = dict(DEB13, distro_modules=[])
    assert choose(settings(kernel_module="open"), A100, plat)["kernel_module"] == "open"
    assert choose(settings(), {"devices": [{"name": "Tesla V100", "architecture": "volta"}]}, plat)["kernel_module"] \
        == "proprietary"
