# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mlinfra.gpu.in_container and its module_utils function."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mlinfra.gpu.plugins.filter.host import FilterModule
from ansible_collections.mlinfra.gpu.plugins.module_utils import _host

IN_CONTAINER = FilterModule().filters()["in_container"]


@pytest.mark.parametrize("virt_type", sorted(_host.CONTAINER_TYPES))
def test_every_container_type_is_a_container(virt_type):
    assert IN_CONTAINER({"virtualization_role": "guest", "virtualization_type": virt_type}) is True


@pytest.mark.parametrize("role, virt_type", [
    ("guest", "kvm"), ("guest", "VMware"), ("guest", "xen"), ("NA", "NA"), ("host", "kvm"),
    ("host", "openvz"), ("host", "docker"), ("guest", ""),
])
def test_machines_and_hosts_are_not_containers(role, virt_type):
    assert IN_CONTAINER({"virtualization_role": role, "virtualization_type": virt_type}) is False


def test_type_is_compared_case_insensitively():
    assert IN_CONTAINER({"virtualization_role": "guest", "virtualization_type": "Docker"}) is True


def test_the_list_holds_what_ansible_and_systemd_report():
    assert _host.CONTAINER_TYPES == frozenset([
        "container", "containerd", "docker", "lxc", "lxc-libvirt", "openvz", "podman", "pouch", "proot", "rkt",
        "systemd-nspawn", "wsl",
    ])


def test_real_facts_of_a_molecule_container():
    # ansible_facts subset of a debian:12 container under Docker (gather_facts of molecule/nvidia_driver_distro)
    facts = {"virtualization_role": "guest", "virtualization_type": "docker",
             "virtualization_tech_guest": ["container", "docker"], "virtualization_tech_host": []}
    assert IN_CONTAINER(facts) is True


@pytest.mark.parametrize("facts, sentinel", [
    ({"virtualization_type": "docker"}, "ansible_facts has no virtualization_role: gather facts"),
    ({"virtualization_role": "guest"}, "ansible_facts has no virtualization_type: gather facts"),
    ({}, "ansible_facts has no virtualization_role or virtualization_type: gather facts"),
    ("docker", "expected ansible_facts (a dict), got str"),
    (None, "expected ansible_facts (a dict), got NoneType"),
])
def test_missing_facts_are_refused(facts, sentinel):
    with pytest.raises(AnsibleFilterError) as err:
        IN_CONTAINER(facts)
    assert str(err.value).startswith("mlinfra.gpu.in_container: " + sentinel)


def test_read_text(tmp_path):
    (tmp_path / "cpulist").write_text("0-3,8\n")
    assert _host.read_text(str(tmp_path / "cpulist")) == "0-3,8\n"
    assert _host.read_text(str(tmp_path / "missing")) is None
    assert _host.read_text(str(tmp_path)) is None  # a directory
