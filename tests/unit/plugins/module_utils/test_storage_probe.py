# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_storage_probe over recorded lsblk/blkid/wipefs outputs (tests/unit/fixtures/storage), through a fake run."""

from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils._storage_plan import PlanError
from ansible_collections.mlinfra.gpu.plugins.module_utils._storage_probe import probe

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "storage")


def text(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def runner(name, rcs=None, release="debian12"):
    rcs = rcs or {}
    lsblk, name = name, name.replace("-mounted", "")
    outputs = {"lsblk": text("%s-lsblk-%s.json" % (release, lsblk)),
               "blkid": text("%s-blkid-%s.txt" % (release, name)),
               "wipefs": text("%s-wipefs-%s.json" % (release, name))}
    calls = []

    def run(argv):
        calls.append(argv)
        default = int(text("%s-blkid-%s.rc" % (release, name))) if argv[0] == "blkid" else 0
        return rcs.get(argv[0], default), outputs[argv[0]], "boom\n"
    run.calls = calls
    return run


def test_probe_follows_a_by_id_link_and_reads_an_ext4_device():
    run = runner("ext4")
    found = probe("/dev/disk/by-id/nvme-x", run, exists=lambda path: True, realpath=lambda path: "/dev/loop1")
    assert (found, run.calls) == ({
        "device": "/dev/disk/by-id/nvme-x", "exists": True,
        "blkid": {"DEVNAME": "/dev/loop1", "LABEL": "data", "UUID": "958d2d87-a7de-432e-8a94-cbc74cb21332",
                  "VERSION": "1.0", "BLOCK_SIZE": "1024", "TYPE": "ext4", "USAGE": "filesystem"},
        "wipefs": [{"type": "ext4", "offset": "0x438", "uuid": "958d2d87-a7de-432e-8a94-cbc74cb21332",
                    "label": "data"}],
        "mountpoints": [], "children": []},
        [["lsblk", "--json", "-O", "-b", "/dev/loop1"], ["blkid", "-p", "-o", "export", "/dev/loop1"],
         ["wipefs", "-n", "--json", "/dev/loop1"]])


def test_probe_of_an_empty_device_blkid_exit_2_is_nothing():
    found = probe("/dev/loop0", runner("empty"), exists=lambda path: True, realpath=lambda path: path)
    assert (found["blkid"], found["wipefs"]) == ({}, [])


def test_probe_of_a_mounted_device():
    found = probe("/dev/loop2", runner("xfs-mounted"), exists=lambda path: True, realpath=lambda path: path)
    assert found["mountpoints"] == ["/mnt/x"]


def test_probe_collects_mount_points_of_partitions():
    tree = ('{"blockdevices": [{"name": "sdb", "path": "/dev/sdb", "mountpoints": [null], "children": ['
            '{"name": "sdb1", "path": "/dev/sdb1", "mountpoints": ["/boot"]}]}]}')

    def run(argv):
        return {"lsblk": (0, tree, ""), "blkid": (0, "PTTYPE=gpt\n", ""), "wipefs": (0, "", "")}[argv[0]]
    found = probe("/dev/sdb", run, exists=lambda path: True, realpath=lambda path: path)
    assert (found["mountpoints"], found["children"]) == (["/boot"], ["/dev/sdb1"])


def test_missing_device_is_not_read():
    run = runner("empty")
    assert (probe("/dev/nvme9n1", run, exists=lambda path: False), run.calls) == (
        {"device": "/dev/nvme9n1", "exists": False}, [])


@pytest.mark.parametrize("tool, message", [
    ("lsblk", "storage_mounts: lsblk could not read /dev/loop0 (/dev/loop0): boom"),
    ("blkid", "storage_mounts: blkid -p could not read /dev/loop0 (/dev/loop0): boom"),
    ("wipefs", "storage_mounts: wipefs -n could not read /dev/loop0 (/dev/loop0): boom"),
])
def test_tool_failure_is_reported(tool, message):
    with pytest.raises(PlanError) as caught:
        probe("/dev/loop0", runner("empty", {tool: 1}), exists=lambda path: True, realpath=lambda path: path)
    assert str(caught.value) == message
