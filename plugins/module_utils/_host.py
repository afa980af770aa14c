# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts about the host itself that roles and playbooks decide on (private to the collection), and the one helper
the fact modules read host files with.

The one home of the list of container virtualization types: roles and playbooks reach it through the
``mlinfra.gpu.in_container`` filter, never through a copy of the list.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Values of ansible_facts.virtualization_type that mean "OS-level container" (no kernel of its own, so kernel
# modules cannot be loaded from inside). Ansible's Linux virtual facts set docker, podman, containerd, lxc,
# container (any container=... in PID 1's environment) and openvz itself, and otherwise copy the word systemd
# writes to /run/systemd/container (systemd-nspawn, lxc-libvirt, rkt, wsl, proot, pouch: systemd-detect-virt's
# container list).
CONTAINER_TYPES = frozenset([
    "container", "containerd", "docker", "lxc", "lxc-libvirt", "openvz", "podman", "pouch", "proot", "rkt",
    "systemd-nspawn", "wsl",
])


def in_container(facts):
    """True when the gathered facts describe an OS-level container guest.

    ``facts`` is ``ansible_facts`` (a mapping with ``virtualization_role`` and ``virtualization_type``; Ansible sets
    both, to ``NA`` when it finds no virtualization). ValueError when it is not a mapping or the virtual facts were
    not gathered, because answering "not a container" then would be a guess.
    """
    if not isinstance(facts, dict):
        raise ValueError("expected ansible_facts (a dict), got %s" % type(facts).__name__)
    missing = [key for key in ("virtualization_role", "virtualization_type") if key not in facts]
    if missing:
        raise ValueError("ansible_facts has no %s: gather facts with gather_subset including 'virtual'"
                         % " or ".join(missing))
    return facts["virtualization_role"] == "guest" and str(facts["virtualization_type"]).lower() in CONTAINER_TYPES


def read_text(path):
    """The text of a file (sysfs, procfs), or None when it cannot be read."""
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return None
