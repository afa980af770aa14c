# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""storage_mounts decisions (_storage_plan) over lsblk/blkid/wipefs outputs recorded from loop devices on Debian 12
and 13 (tests/unit/fixtures/storage/SOURCES.md)."""

from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _storage_plan as sp

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "storage")
RELEASES = ["debian12", "debian13"]
UUID = "0f4c1b3e-2a6d-4e5f-8a9b-1c2d3e4f5a6b"


def text(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def probe(release, name, device=None, **extra):
    """A probe as _storage_probe makes it, from the recorded outputs of one device."""
    real = text("%s-devices.txt" % release).split()[
        ["empty", "ext4", "xfs", "btrfs-a", "btrfs-b", "gpt", "lvm", "md"].index(name)]
    node = sp.parse_lsblk(text("%s-lsblk-%s.json" % (release, name)))[real]
    found = {"device": device or real, "exists": True, "blkid": sp.parse_blkid(text("%s-blkid-%s.txt" % (release, name))),
             "wipefs": sp.parse_wipefs(text("%s-wipefs-%s.json" % (release, name))),
             "mountpoints": node["mountpoints"], "children": node["children"]}
    found.update(extra)
    return found


def scratch(**kw):
    raw = {"path": "/scratch", "devices": ["/dev/nvme1n1"]}
    raw.update(kw)
    return sp.check_scratch(0, raw)


def refusal(function, *args):
    with pytest.raises(sp.PlanError) as caught:
        function(*args)
    return str(caught.value)


# ---------------------------------------------------------------------------------------------------------------
# parsers


@pytest.mark.parametrize("release", RELEASES)
def test_blkid_of_an_empty_device_is_nothing(release):
    assert sp.parse_blkid(text("%s-blkid-empty.txt" % release)) == {}


def test_blkid_ext4_with_label():
    assert sp.parse_blkid(text("debian12-blkid-ext4.txt")) == {
        "DEVNAME": "/dev/loop1", "LABEL": "data", "UUID": "958d2d87-a7de-432e-8a94-cbc74cb21332", "VERSION": "1.0",
        "BLOCK_SIZE": "1024", "TYPE": "ext4", "USAGE": "filesystem"}


def test_blkid_unescapes_the_lvm_version():
    assert sp.parse_blkid(text("debian13-blkid-lvm.txt"))["VERSION"] == "LVM2 001"


def test_wipefs_gpt_lists_both_headers_and_the_protective_mbr():
    assert sp.parse_wipefs(text("debian13-wipefs-gpt.json")) == [
        {"type": "gpt", "offset": "0x200", "uuid": None, "label": None},
        {"type": "gpt", "offset": "0x13fffe00", "uuid": None, "label": None},
        {"type": "PMBR", "offset": "0x1fe", "uuid": None, "label": None}]


@pytest.mark.parametrize("release", RELEASES)
def test_wipefs_of_an_empty_device(release):
    assert sp.parse_wipefs(text("%s-wipefs-empty.json" % release)) == []


def test_wipefs_empty_output():
    assert sp.parse_wipefs("\n") == []


def test_lsblk_three_devices():
    assert sp.parse_lsblk(text("debian12-lsblk-three.json")) == {
        "/dev/loop0": {"type": "loop", "size": 335544320, "mountpoints": [], "children": []},
        "/dev/loop1": {"type": "loop", "size": 335544320, "mountpoints": [], "children": []},
        "/dev/loop2": {"type": "loop", "size": 335544320, "mountpoints": [], "children": []}}


@pytest.mark.parametrize("release", RELEASES)
def test_lsblk_mounted(release):
    assert sp.parse_lsblk(text("%s-lsblk-xfs-mounted.json" % release))["/dev/loop2"]["mountpoints"] == ["/mnt/x"]


def test_lsblk_children_flattened():
    # a partitioned disk in lsblk's layout (partition nodes could not be recorded here, see SOURCES.md)
    tree = ('{"blockdevices": [{"name": "nvme1n1", "path": "/dev/nvme1n1", "type": "disk", "size": 10, '
            '"mountpoints": [null], "children": [{"name": "nvme1n1p1", "type": "part", "size": 4, '
            '"mountpoint": "/boot"}]}]}')
    assert sp.parse_lsblk(tree) == {
        "/dev/nvme1n1": {"type": "disk", "size": 10, "mountpoints": [], "children": ["/dev/nvme1n1p1"]},
        "/dev/nvme1n1p1": {"type": "part", "size": 4, "mountpoints": ["/boot"], "children": []}}


def test_filesystems_of_this_kernel():
    assert sp.parse_filesystems("nodev\tsysfs\n\text4\n\n\txfs\nnodev\tfuse\n") == ["sysfs", "ext4", "xfs", "fuse"]


def test_fstab_entries_skip_comments_and_blank_lines():
    fstab = "# my disks\n\nUUID=1 / ext4 defaults 0 1\n  # indented comment\n/dev/sdb1 /data\n"
    assert sp.parse_fstab(fstab) == [
        {"src": "UUID=1", "path": "/", "fstype": "ext4", "opts": "defaults", "line": "UUID=1 / ext4 defaults 0 1"},
        {"src": "/dev/sdb1", "path": "/data", "fstype": "", "opts": "", "line": "/dev/sdb1 /data"}]


def test_fstab_single_field_line_is_not_an_entry():
    assert sp.parse_fstab("garbage\n") == []


# ---------------------------------------------------------------------------------------------------------------
# findings


@pytest.mark.parametrize("release", RELEASES)
def test_empty_device_has_no_findings(release):
    assert sp.findings(probe(release, "empty")) == []


def test_findings_of_ext4():
    assert sp.findings(probe("debian12", "ext4")) == [
        "blkid: TYPE=ext4 UUID=958d2d87-a7de-432e-8a94-cbc74cb21332 LABEL=data", "wipefs -n: ext4 at 0x438"]


def test_findings_of_gpt():
    assert sp.findings(probe("debian13", "gpt")) == [
        "blkid: PTTYPE=gpt", "wipefs -n: gpt at 0x200, gpt at 0x13fffe00, PMBR at 0x1fe"]


def test_findings_of_a_mounted_partitioned_device():
    found = probe("debian12", "empty", mountpoints=["/a", "/b"], children=["/dev/loop0p1"])
    assert sp.findings(found) == ["mounted at /a, /b", "partitions /dev/loop0p1"]


# ---------------------------------------------------------------------------------------------------------------
# scratch decisions


@pytest.mark.parametrize("release", RELEASES)
def test_empty_device_is_formatted_xfs(release):
    entry = scratch(devices=["/dev/loop0"])
    assert sp.plan_scratch(entry, [probe(release, "empty")], UUID) == {
        "path": "/scratch", "fstype": "xfs", "array": "", "action": "format", "uuid": UUID,
        "source": "UUID=" + UUID, "steps": [["mkfs.xfs", "-q", "-m", "uuid=" + UUID, "/dev/loop0"]]}


def test_empty_device_ext4_with_options():
    entry = scratch(fstype="ext4", mkfs_options="-E nodiscard", devices=["/dev/loop0"])
    assert sp.plan_scratch(entry, [probe("debian12", "empty")], UUID)["steps"] == [
        ["mkfs.ext4", "-q", "-U", UUID, "-E", "nodiscard", "/dev/loop0"]]


def test_device_with_the_wanted_filesystem_is_left_alone():
    entry = scratch(devices=["/dev/loop2"])
    assert sp.plan_scratch(entry, [probe("debian12", "xfs")], UUID) == {
        "path": "/scratch", "fstype": "xfs", "array": "", "action": "none", "steps": [],
        "uuid": "183f2ddc-8021-47db-a03b-f278cb96afd0", "source": "UUID=183f2ddc-8021-47db-a03b-f278cb96afd0"}


def test_device_with_the_wanted_filesystem_mounted_at_its_path_is_left_alone():
    entry = scratch(devices=["/dev/loop2"])
    decision = sp.plan_scratch(entry, [probe("debian12", "xfs", mountpoints=["/scratch"])], UUID)
    assert (decision["action"], decision["uuid"]) == ("none", "183f2ddc-8021-47db-a03b-f278cb96afd0")


def test_device_with_the_wanted_filesystem_mounted_elsewhere_is_refused():
    entry = scratch(devices=["/dev/loop2"], force=True)
    message = refusal(sp.plan_scratch, entry, [probe("debian12", "xfs", mountpoints=["/mnt/x"])], UUID)
    assert message == ("storage_mounts: scratch /scratch: /dev/loop2 already carries xfs but is mounted at /mnt/x; "
                       "unmount it first. Nothing was changed.")


@pytest.mark.parametrize("name", ["ext4", "gpt", "lvm"])
def test_device_with_something_on_it_is_refused(name):
    entry = scratch(devices=["/dev/x"])
    message = refusal(sp.plan_scratch, entry, [probe("debian13", name, device="/dev/x")], UUID)
    assert message.startswith("storage_mounts: scratch /scratch: /dev/x is not empty (blkid: ")


def test_ext4_refusal_names_what_blkid_and_wipefs_found():
    entry = scratch(devices=["/dev/loop1"])
    assert refusal(sp.plan_scratch, entry, [probe("debian12", "ext4")], UUID) == (
        "storage_mounts: scratch /scratch: /dev/loop1 is not empty (blkid: TYPE=ext4 "
        "UUID=958d2d87-a7de-432e-8a94-cbc74cb21332 LABEL=data; wipefs -n: ext4 at 0x438); a device is formatted only "
        "when it is empty, or with force: true on that entry (which destroys what is on it). Nothing was changed.")


def test_forced_device_is_wiped_then_formatted():
    entry = scratch(devices=["/dev/loop1"], force=True)
    assert sp.plan_scratch(entry, [probe("debian12", "ext4")], UUID)["steps"] == [
        ["wipefs", "--all", "--quiet", "/dev/loop1"], ["mkfs.xfs", "-q", "-m", "uuid=" + UUID, "/dev/loop1"]]


def test_forced_ext4_to_ext4_is_still_left_alone():
    entry = scratch(devices=["/dev/loop1"], fstype="ext4", force=True)
    assert sp.plan_scratch(entry, [probe("debian12", "ext4")], UUID)["action"] == "none"


def test_mounted_device_is_never_formatted_even_forced():
    entry = scratch(devices=["/dev/loop1"], force=True)
    assert refusal(sp.plan_scratch, entry, [probe("debian12", "ext4", mountpoints=["/home"])], UUID) == (
        "storage_mounts: scratch /scratch: /dev/loop1 is mounted at /home; it is never formatted while mounted, "
        "even with force: true (unmount it first). Nothing was changed.")


def test_device_with_partitions_of_the_wanted_type_is_not_taken_as_formatted():
    entry = scratch(devices=["/dev/loop2"])
    found = probe("debian12", "xfs", children=["/dev/loop2p1"])
    assert refusal(sp.plan_scratch, entry, [found], UUID).startswith(
        "storage_mounts: scratch /scratch: /dev/loop2 is not empty (partitions /dev/loop2p1; blkid: TYPE=xfs")


def test_missing_device_is_refused():
    entry = scratch(devices=["/dev/disk/by-id/nvme-gone"])
    assert refusal(sp.plan_scratch, entry, [{"device": "/dev/disk/by-id/nvme-gone", "exists": False}], UUID) == (
        "storage_mounts: scratch /scratch: device /dev/disk/by-id/nvme-gone does not exist on this host (see lsblk, "
        "or ls -l /dev/disk/by-id). Nothing was changed.")


def test_absent_touches_no_device():
    entry = scratch(devices=["/dev/loop1"], state="absent")
    assert sp.plan_scratch(entry, [probe("debian12", "ext4")], UUID) == {
        "path": "/scratch", "fstype": "xfs", "array": "", "steps": [], "action": "absent", "uuid": "", "source": ""}


@pytest.mark.parametrize("release", RELEASES)
def test_btrfs_raid0_over_two_empty_devices(release):
    entry = scratch(fstype="btrfs", raid="raid0", devices=["/dev/a", "/dev/b"])
    probes = [probe(release, "empty", device="/dev/a"), probe(release, "empty", device="/dev/b")]
    assert sp.plan_scratch(entry, probes, UUID)["steps"] == [
        ["mkfs.btrfs", "-q", "-U", UUID, "-d", "raid0", "/dev/a", "/dev/b"]]


@pytest.mark.parametrize("release", RELEASES)
def test_btrfs_raid0_existing_is_left_alone(release):
    entry = scratch(fstype="btrfs", raid="raid0", devices=["/dev/a", "/dev/b"])
    probes = [probe(release, "btrfs-a", device="/dev/a"), probe(release, "btrfs-b", device="/dev/b")]
    uuid = sp.parse_blkid(text("%s-blkid-btrfs-a.txt" % release))["UUID"]
    decision = sp.plan_scratch(entry, probes, UUID)
    assert (decision["action"], decision["source"]) == ("none", "UUID=" + uuid)


def test_btrfs_single_device_of_a_raid_is_a_changed_set():
    entry = scratch(fstype="btrfs", raid="raid0", devices=["/dev/a", "/dev/c"])
    probes = [probe("debian12", "btrfs-a", device="/dev/a"), probe("debian12", "empty", device="/dev/c")]
    assert refusal(sp.plan_scratch, entry, probes, UUID) == (
        "storage_mounts: scratch /scratch: the devices changed under an existing btrfs "
        "207ef65f-c16d-49a9-be15-897ceeec4f6c: it is on /dev/a, the entry lists /dev/a, /dev/c; put the same devices "
        "back, or set force: true (which destroys it). Nothing was changed.")


def test_btrfs_changed_set_forced_is_wiped_and_made_again():
    entry = scratch(fstype="btrfs", raid="raid0", devices=["/dev/a", "/dev/c"], force=True)
    probes = [probe("debian12", "btrfs-a", device="/dev/a"), probe("debian12", "empty", device="/dev/c")]
    assert sp.plan_scratch(entry, probes, UUID)["steps"] == [
        ["wipefs", "--all", "--quiet", "/dev/a"], ["mkfs.btrfs", "-q", "-U", UUID, "-d", "raid0", "/dev/a", "/dev/c"]]


def test_btrfs_member_mounted_at_its_own_path_is_fine():
    entry = scratch(fstype="btrfs", raid="raid0", devices=["/dev/a", "/dev/b"])
    probes = [probe("debian13", "btrfs-a", device="/dev/a", mountpoints=["/scratch"]),
              probe("debian13", "btrfs-b", device="/dev/b")]
    assert sp.plan_scratch(entry, probes, UUID)["action"] == "none"


def md_member(device, uuid="a1b2c3d4:e5f6a7b8:c9d0e1f2:a3b4c5d6"):
    # blkid's layout for an md member (TYPE=linux_raid_member); not recordable on this kernel (SOURCES.md)
    return {"device": device, "exists": True, "blkid": {"TYPE": "linux_raid_member", "UUID": uuid},
            "wipefs": [{"type": "linux_raid_member", "offset": "0x1000", "uuid": uuid, "label": "any:scratch"}],
            "mountpoints": [], "children": []}


def test_mdadm_raid0_over_empty_devices_not_run_here():
    entry = scratch(raid="raid0", devices=["/dev/nvme1n1", "/dev/nvme2n1"])
    probes = [probe("debian12", "empty", device="/dev/nvme1n1"), probe("debian12", "empty", device="/dev/nvme2n1")]
    assert sp.plan_scratch(entry, probes, UUID) == {
        "path": "/scratch", "fstype": "xfs", "array": "/dev/md/scratch", "action": "format", "uuid": UUID,
        "source": "UUID=" + UUID, "steps": [
            ["mdadm", "--create", "/dev/md/scratch", "--run", "--level=0", "--raid-devices=2", "--metadata=1.2",
             "--homehost=any", "/dev/nvme1n1", "/dev/nvme2n1"],
            ["mkfs.xfs", "-q", "-m", "uuid=" + UUID, "/dev/md/scratch"]]}


def test_mdadm_existing_array_with_its_filesystem_is_left_alone():
    entry = scratch(path="/data/scratch", raid="raid0", fstype="ext4", devices=["/dev/a", "/dev/b"])
    array = {"device": "/dev/md/data-scratch", "exists": True, "blkid": {"TYPE": "ext4", "UUID": "77"},
             "wipefs": [], "mountpoints": ["/data/scratch"], "children": []}
    decision = sp.plan_scratch(entry, [md_member("/dev/a"), md_member("/dev/b")], UUID, array)
    assert (decision["action"], decision["source"], decision["array"]) == ("none", "UUID=77", "/dev/md/data-scratch")


def test_mdadm_existing_array_without_filesystem_gets_one():
    entry = scratch(raid="raid0", devices=["/dev/a", "/dev/b"])
    array = {"device": "/dev/md/scratch", "exists": True, "blkid": {}, "wipefs": [], "mountpoints": [],
             "children": []}
    assert sp.plan_scratch(entry, [md_member("/dev/a"), md_member("/dev/b")], UUID, array)["steps"] == [
        ["mkfs.xfs", "-q", "-m", "uuid=" + UUID, "/dev/md/scratch"]]


def test_mdadm_array_not_assembled_is_refused():
    entry = scratch(raid="raid0", devices=["/dev/a", "/dev/b"])
    assert refusal(sp.plan_scratch, entry, [md_member("/dev/a"), md_member("/dev/b")], UUID) == (
        "storage_mounts: scratch /scratch: /dev/a, /dev/b carry array a1b2c3d4:e5f6a7b8:c9d0e1f2:a3b4c5d6 but "
        "/dev/md/scratch is not assembled; assemble it (mdadm --assemble --scan) or set force: true (which destroys "
        "it). Nothing was changed.")


def test_mdadm_member_added_is_a_changed_set():
    entry = scratch(raid="raid0", devices=["/dev/a", "/dev/b", "/dev/c"])
    probes = [md_member("/dev/a"), md_member("/dev/b"), probe("debian12", "empty", device="/dev/c")]
    assert refusal(sp.plan_scratch, entry, probes, UUID) == (
        "storage_mounts: scratch /scratch: the devices changed under an existing array "
        "a1b2c3d4:e5f6a7b8:c9d0e1f2:a3b4c5d6: it is on /dev/a, /dev/b, the entry lists /dev/a, /dev/b, /dev/c; put "
        "the same devices back, or set force: true (which destroys it). Nothing was changed.")


def test_mdadm_changed_set_forced_wipes_and_creates():
    entry = scratch(raid="raid0", devices=["/dev/a", "/dev/c"], force=True)
    probes = [md_member("/dev/a"), probe("debian12", "empty", device="/dev/c")]
    assert sp.plan_scratch(entry, probes, UUID)["steps"][:2] == [
        ["wipefs", "--all", "--quiet", "/dev/a"],
        ["mdadm", "--create", "/dev/md/scratch", "--run", "--level=0", "--raid-devices=2", "--metadata=1.2",
         "--homehost=any", "/dev/a", "/dev/c"]]


def test_md_name_of_nested_and_root_paths():
    assert (sp.md_name("/data/scratch"), sp.md_name("/")) == ("/dev/md/data-scratch", "/dev/md/root")


# ---------------------------------------------------------------------------------------------------------------
# input


@pytest.mark.parametrize("raw, message", [
    ({"path": "scratch", "devices": ["/dev/a"]},
     "storage_mounts: storage_mounts_scratch[0] path 'scratch' is not an absolute path; use a path such as /scratch. "
     "Nothing was changed."),
    ({"path": "/s", "devices": ["/dev/a"], "fstype": "zfs"},
     "storage_mounts: storage_mounts_scratch /s fstype 'zfs' is not one of xfs, ext4, btrfs. Nothing was changed."),
    ({"path": "/s", "devices": ["/dev/a"], "raid": "raid1"},
     "storage_mounts: storage_mounts_scratch /s raid 'raid1' is not one of none, raid0. Nothing was changed."),
    ({"path": "/s", "devices": []},
     "storage_mounts: storage_mounts_scratch /s has no devices; list one or more block devices such as "
     "/dev/nvme1n1. Nothing was changed."),
    ({"path": "/s", "devices": ["nvme1n1"]},
     "storage_mounts: storage_mounts_scratch /s device 'nvme1n1' is not a device path; use /dev/... or "
     "/dev/disk/by-id/... Nothing was changed."),
    ({"path": "/s", "devices": ["/dev/a", "/dev/a"], "raid": "raid0"},
     "storage_mounts: storage_mounts_scratch /s lists a device twice: /dev/a, /dev/a. Nothing was changed."),
    ({"path": "/s", "devices": ["/dev/a", "/dev/b"]},
     "storage_mounts: storage_mounts_scratch /s has 2 devices and raid 'none'; set raid: raid0 to stripe them, or "
     "give each device an entry of its own. Nothing was changed."),
    ({"path": "/s", "devices": ["/dev/a"], "raid": "raid0"},
     "storage_mounts: storage_mounts_scratch /s has raid 'raid0' over one device; list two or more, or set raid: "
     "none. Nothing was changed."),
    ({"path": "/s", "devices": ["/dev/a"], "mode": "755x"},
     "storage_mounts: storage_mounts_scratch /s mode '755x' is not an octal mode; use a quoted octal string such as "
     "'0755'. Nothing was changed."),
    ({"path": "/s", "devices": ["/dev/a"], "state": "present"},
     "storage_mounts: storage_mounts_scratch /s state 'present' is not one of mounted, absent. Nothing was changed."),
    ({"path": "/s", "device": ["/dev/a"]},
     "storage_mounts: storage_mounts_scratch[0] has unknown key(s) device; known keys: path, devices, fstype, raid, "
     "mkfs_options, mount_options, owner, group, mode, force, state. Nothing was changed."),
    ("/scratch",
     "storage_mounts: storage_mounts_scratch[0] is not a mapping; each entry is a mapping with keys path, devices, "
     "fstype, raid, mkfs_options, mount_options, owner, group, mode, force, state. Nothing was changed."),
])
def test_scratch_input_refused(raw, message):
    assert refusal(sp.check_scratch, 0, raw) == message


def test_scratch_defaults():
    assert sp.check_scratch(0, {"path": "/scratch/", "devices": "/dev/a", "mode": None}) == {
        "path": "/scratch", "devices": ["/dev/a"], "fstype": "xfs", "raid": "none", "mkfs_options": [],
        "mount_options": "defaults,nofail", "owner": "", "group": "", "mode": "", "force": False, "state": "mounted"}


def test_scratch_mount_options_as_list_and_mode():
    entry = sp.check_scratch(0, {"path": "/s", "devices": ["/dev/a"], "mount_options": ["noatime", "nofail"],
                                 "mode": "1777"})
    assert (entry["mount_options"], entry["mode"]) == ("noatime,nofail", "1777")


@pytest.mark.parametrize("kind, raw, message", [
    ("network", {"path": "/data", "fstype": "nfs4"},
     "storage_mounts: storage_mounts_network /data has no src; it is required. Nothing was changed."),
    ("network", {"path": "/data", "src": "s:/e", "fstype": " "},
     "storage_mounts: storage_mounts_network /data has no fstype; it is required. Nothing was changed."),
    ("network", {"path": "/data", "src": "/dev/a", "fstype": "xfs"},
     "storage_mounts: storage_mounts_network /data fstype 'xfs' is local; use storage_mounts_scratch or "
     "storage_mounts_tmpfs. Nothing was changed."),
    ("object", {"path": "/s3", "endpoint": "http://x", "access_key": "a", "secret_key": "b"},
     "storage_mounts: storage_mounts_object /s3 has no bucket; it is required. Nothing was changed."),
    ("object", {"path": "/s3", "bucket": "b", "endpoint": "http://x", "access_key": "a"},
     "storage_mounts: storage_mounts_object /s3 has no secret_key; it is required. Nothing was changed."),
    ("object", {"path": "/s3", "bucket": "b", "endpoint": "127.0.0.1:9000", "access_key": "a", "secret_key": "b"},
     "storage_mounts: storage_mounts_object /s3 endpoint '127.0.0.1:9000' is not a URL; use http(s)://host[:port]. "
     "Nothing was changed."),
    ("tmpfs", {"path": "/fast"},
     "storage_mounts: storage_mounts_tmpfs /fast has no size; it is required. Nothing was changed."),
    ("tmpfs", {"path": "/fast", "size": "16 GB"},
     "storage_mounts: storage_mounts_tmpfs /fast size '16 GB' is not a tmpfs size; use a number with k, m, g or % "
     "such as 16g or 50%. Nothing was changed."),
    ("tmpfs", {"path": "/fast", "size": "1g", "mode": "rwx"},
     "storage_mounts: storage_mounts_tmpfs /fast mode 'rwx' is not an octal mode; use a quoted octal string such as "
     "'0755'. Nothing was changed."),
])
def test_other_input_refused(kind, raw, message):
    assert refusal(sp.check_input, {kind: [raw]}) == message


def test_object_absent_needs_no_credentials():
    assert sp.check_input({"object": [{"path": "/s3", "bucket": "b", "state": "absent"}]})["object"] == [
        {"path": "/s3", "bucket": "b", "region": "us-east-1", "options": [], "path_style": False, "state": "absent"}]


def test_network_defaults_and_client_package():
    assert sp.check_input({"network": [{"path": "/data", "src": "nas:/e", "fstype": "nfs4"}]})["network"] == [
        {"path": "/data", "src": "nas:/e", "fstype": "nfs4", "opts": "defaults,_netdev", "state": "mounted",
         "required": True, "package": "nfs-common"}]


def test_network_user_package_kept():
    entry = sp.check_input({"network": [{"path": "/l", "src": "m@tcp:/fs", "fstype": "lustre",
                                         "package": "lustre-client-utils", "required": False}]})["network"][0]
    assert (entry["package"], entry["required"]) == ("lustre-client-utils", False)


def test_shm_size_refused():
    assert refusal(sp.check_input, {"shm_size": "big"}) == (
        "storage_mounts: storage_mounts_shm_size size 'big' is not a tmpfs size; use a number with k, m, g or % such "
        "as 16g or 50%. Nothing was changed.")


def test_list_expected():
    assert refusal(sp.check_input, {"tmpfs": {"path": "/x"}}) == (
        "storage_mounts: storage_mounts_tmpfs is not a list; give a list of mappings. Nothing was changed.")


def test_duplicate_mount_point_across_lists():
    settings = {"scratch": [{"path": "/data", "devices": ["/dev/a"]}],
                "network": [{"path": "/data/", "src": "nas:/e", "fstype": "nfs"}]}
    assert refusal(sp.check_input, settings) == (
        "storage_mounts: mount point /data is given twice (storage_mounts_scratch and storage_mounts_network); each "
        "path can be mounted once. Nothing was changed.")


def test_duplicate_dev_shm_with_shm_size():
    settings = {"shm_size": "8g", "tmpfs": [{"path": "/dev/shm", "size": "1g"}]}
    assert refusal(sp.check_input, settings) == (
        "storage_mounts: mount point /dev/shm is given twice (storage_mounts_shm_size and storage_mounts_tmpfs); each "
        "path can be mounted once. Nothing was changed.")


def test_duplicate_object_and_tmpfs():
    settings = {"object": [{"path": "/x", "bucket": "b", "state": "absent"}], "tmpfs": [{"path": "/x", "size": "1g"}]}
    assert refusal(sp.check_input, settings) == (
        "storage_mounts: mount point /x is given twice (storage_mounts_object and storage_mounts_tmpfs); each path "
        "can be mounted once. Nothing was changed.")


def test_device_under_two_scratch_mounts():
    settings = {"scratch": [{"path": "/a", "devices": ["/dev/x"]}, {"path": "/b", "devices": ["/dev/x"]}]}
    assert refusal(sp.check_input, settings) == (
        "storage_mounts: device /dev/x is listed under scratch /a and /b; a device belongs to one mount. Nothing was "
        "changed.")


def test_nothing_given_is_nothing():
    assert sp.check_input({}) == {"scratch": [], "network": [], "object": [], "tmpfs": [], "shm_size": ""}


# ---------------------------------------------------------------------------------------------------------------
# mounts

KERNEL = {"release": "6.18.44", "filesystems": sp.parse_filesystems(
    "nodev\tsysfs\nnodev\ttmpfs\n\text4\n\txfs\n\tbtrfs\nnodev\tfuse\n"), "loadable": []}


def network(**kw):
    raw = {"path": "/data", "src": "nas:/export", "fstype": "nfs4", "opts": "hard,nconnect=8,_netdev"}
    raw.update(kw)
    return sp.check_network(0, raw)


def test_nfs_on_a_kernel_without_nfs_is_refused_when_required():
    assert refusal(sp.plan_network, network(), KERNEL, True) == (
        "storage_mounts: network /data (nfs4 from nas:/export): this kernel (6.18.44) cannot mount nfs4: 'nfs4' is "
        "not in /proc/filesystems and modprobe finds no module fs-nfs4. Use a kernel with that client (package "
        "nfs-common gives the mount helper), or set required: false on this mount or storage_mounts_mount: false to "
        "write the fstab line without mounting. Nothing was changed.")


def test_nfs_not_required_is_written_not_mounted():
    assert sp.plan_network(network(required=False), KERNEL, True) == {
        "fstab": {"src": "nas:/export", "path": "/data", "fstype": "nfs4", "opts": "hard,nconnect=8,_netdev",
                  "dump": "0", "passno": "0"},
        "mount": False,
        "note": "this kernel (6.18.44) cannot mount nfs4: 'nfs4' is not in /proc/filesystems and modprobe finds no "
                "module fs-nfs4; fstab line written, not mounted"}


def test_nfs_with_mount_false_is_written_not_mounted():
    assert sp.plan_network(network(), KERNEL, False)["mount"] is False


def test_nfs_loadable_mounts():
    kernel = dict(KERNEL, loadable=["nfs4"])
    assert sp.plan_network(network(), kernel, True) == {
        "fstab": {"src": "nas:/export", "path": "/data", "fstype": "nfs4", "opts": "hard,nconnect=8,_netdev",
                  "dump": "0", "passno": "0"}, "mount": True, "note": ""}


def test_mount_false_says_why():
    kernel = dict(KERNEL, filesystems=["nfs"])
    assert sp.plan_network(network(fstype="nfs"), kernel, False) == {
        "fstab": {"src": "nas:/export", "path": "/data", "fstype": "nfs", "opts": "hard,nconnect=8,_netdev",
                  "dump": "0", "passno": "0"}, "mount": False, "note": "storage_mounts_mount is false"}


def test_absent_network_needs_no_kernel_support():
    assert sp.plan_network(network(state="absent"), KERNEL, True)["note"] == ""


@pytest.mark.parametrize("fstype, name", [("cephfs", "ceph"), ("fuse.sshfs", "fuse"), ("lustre", "lustre"),
                                          ("nfs", "nfs")])
def test_kernel_names(fstype, name):
    assert sp.kernel_fs(fstype) == name


def test_fuse_type_mounts_here():
    assert sp.plan_network(network(fstype="fuse.sshfs", src="u@h:/d"), KERNEL, True)["mount"] is True


def obj(**kw):
    raw = {"path": "/s3/data", "bucket": "ml", "endpoint": "http://127.0.0.1:18433", "access_key": "AK",
           "secret_key": "SECRET"}
    raw.update(kw)
    return sp.check_object(0, raw)


def test_s3fs_unit_keeps_credentials_off_the_command_line():
    assert sp.plan_object(obj(path_style=True, options=["uid=1000"])) == {
        "path": "/s3/data", "unit": "mlinfra-s3fs-s3-data.service", "passwd_file": "/etc/mlinfra/s3fs/s3-data.passwd",
        "state": "mounted",
        "exec_start": "/usr/bin/s3fs ml /s3/data -f -o passwd_file=/etc/mlinfra/s3fs/s3-data.passwd "
                      "-o url=http://127.0.0.1:18433 -o endpoint=us-east-1 -o allow_other -o mp_umask=0022 "
                      "-o use_path_request_style -o uid=1000"}


def test_s3fs_virtual_host_style_and_region():
    assert "use_path_request_style" not in sp.s3fs_argv(obj(region="eu-west-1"))
    assert sp.s3fs_argv(obj(region="eu-west-1"))[8:10] == ["-o", "endpoint=eu-west-1"]


def test_s3fs_absent_has_no_command():
    assert sp.plan_object(sp.check_object(0, {"path": "/", "bucket": "b", "state": "absent"})) == {
        "path": "/", "unit": "mlinfra-s3fs-root.service", "passwd_file": "/etc/mlinfra/s3fs/root.passwd",
        "exec_start": "", "state": "absent"}


def test_tmpfs_line():
    assert sp.tmpfs_mount("/fast", "8g", "1777") == {
        "src": "tmpfs", "path": "/fast", "fstype": "tmpfs", "opts": "size=8g,mode=1777,nosuid,nodev", "dump": "0",
        "passno": "0"}


def test_tmpfs_line_without_mode():
    assert sp.tmpfs_mount("/fast", "50%", "")["opts"] == "size=50%,nosuid,nodev"


USER_FSTAB = sp.parse_fstab("# user\nUUID=1 / ext4 defaults 0 1\nnas:/home /home nfs defaults 0 0\n")


def whole(owned=(), fstab=None, **settings):
    fstab = USER_FSTAB if fstab is None else fstab
    checked = sp.check_input(settings)
    decisions = dict((entry["path"], {"source": "UUID=" + UUID, "action": "format", "array": ""})
                     for entry in checked["scratch"])
    return sp.plan(checked, decisions, KERNEL, True, fstab, list(owned))


def test_whole_plan():
    result = whole(scratch=[{"path": "/scratch", "devices": ["/dev/a"], "owner": "ml", "mode": "0775"}],
                   network=[{"path": "/data", "src": "nas:/e", "fstype": "nfs4", "required": False}],
                   tmpfs=[{"path": "/fast", "size": "1g"}], shm_size="16g",
                   object=[{"path": "/s3", "bucket": "b", "endpoint": "http://h", "access_key": "a",
                            "secret_key": "s"}])
    assert result == {
        "mounts": [
            {"src": "UUID=" + UUID, "path": "/scratch", "fstype": "xfs", "opts": "defaults,nofail", "dump": "0",
             "passno": "0", "state": "mounted", "kind": "scratch", "owner": "ml", "group": "", "mode": "0775"},
            {"src": "nas:/e", "path": "/data", "fstype": "nfs4", "opts": "defaults,_netdev", "dump": "0",
             "passno": "0", "state": "present", "kind": "network", "package": "nfs-common"},
            {"src": "tmpfs", "path": "/fast", "fstype": "tmpfs", "opts": "size=1g,mode=1777,nosuid,nodev",
             "dump": "0", "passno": "0", "state": "mounted", "kind": "tmpfs"},
            {"src": "tmpfs", "path": "/dev/shm", "fstype": "tmpfs", "opts": "size=16g,mode=1777,nosuid,nodev",
             "dump": "0", "passno": "0", "state": "mounted", "kind": "shm"}],
        "objects": [{"path": "/s3", "unit": "mlinfra-s3fs-s3.service", "passwd_file": "/etc/mlinfra/s3fs/s3.passwd",
                     "state": "mounted",
                     "exec_start": "/usr/bin/s3fs b /s3 -f -o passwd_file=/etc/mlinfra/s3fs/s3.passwd -o url=http://h "
                                   "-o endpoint=us-east-1 -o allow_other -o mp_umask=0022"}],
        "notes": ["/data: this kernel (6.18.44) cannot mount nfs4: 'nfs4' is not in /proc/filesystems and modprobe "
                  "finds no module fs-nfs4; fstab line written, not mounted"],
        "packages": ["nfs-common", "xfsprogs"],
        "owned": ["/data", "/dev/shm", "/fast", "/scratch"]}


def test_packages_of_a_raid_on_enterprise_linux():
    checked = sp.check_input({"scratch": [{"path": "/s", "devices": ["/dev/a", "/dev/b"], "raid": "raid0",
                                           "fstype": "ext4"}, {"path": "/t", "devices": ["/dev/c"]}],
                              "network": [{"path": "/d", "src": "n:/e", "fstype": "nfs", "required": False}]})
    decisions = {"/s": {"action": "format", "array": "/dev/md/s", "source": "UUID=1"},
                 "/t": {"action": "none", "array": "", "source": "UUID=2"}}
    assert sp.plan(checked, decisions, KERNEL, True, [], [], "RedHat")["packages"] == [
        "e2fsprogs", "mdadm", "nfs-utils"]


def test_scratch_passno_ext4():
    result = whole(scratch=[{"path": "/s", "devices": ["/dev/a"], "fstype": "ext4"}])
    assert result["mounts"][0]["passno"] == "2"


def test_user_line_at_a_mount_point_is_refused():
    with pytest.raises(sp.PlanError) as caught:
        whole((), USER_FSTAB, network=[{"path": "/home", "src": "nas:/h", "fstype": "nfs", "required": False}])
    assert str(caught.value) == (
        "storage_mounts: /etc/fstab already has a line for /home that this role did not write: 'nas:/home /home nfs "
        "defaults 0 0'; remove it yourself or choose another path (the role never changes lines it did not write). "
        "Nothing was changed.")


def test_own_line_at_a_mount_point_is_fine():
    fstab = USER_FSTAB + sp.parse_fstab("tmpfs /fast tmpfs size=1g 0 0")
    assert whole(["/fast"], fstab, tmpfs=[{"path": "/fast", "size": "2g"}])["owned"] == ["/fast"]


def test_absent_removes_only_owned_lines_and_forgets_them():
    result = whole(["/fast", "/other"], tmpfs=[{"path": "/fast", "size": "1g", "state": "absent"},
                                               {"path": "/home", "size": "1g", "state": "absent"}])
    assert ([line["state"] for line in result["mounts"]], result["owned"]) == (["absent", "skip"], ["/other"])


def test_network_the_kernel_can_mount_is_mounted():
    checked = sp.check_input({"network": [{"path": "/d", "src": "n:/e", "fstype": "nfs"}]})
    kernel = dict(KERNEL, filesystems=["nfs"])
    assert sp.plan(checked, {}, kernel, True, [], [])["mounts"][0]["state"] == "mounted"


def test_network_written_not_mounted_is_present():
    checked = sp.check_input({"network": [{"path": "/d", "src": "n:/e", "fstype": "nfs"}]})
    kernel = dict(KERNEL, filesystems=["nfs"])
    assert sp.plan(checked, {}, kernel, False, [], [])["mounts"][0]["state"] == "present"


def test_absent_network_drops_its_package():
    result = whole(["/data"], network=[{"path": "/data", "src": "nas:/e", "fstype": "nfs", "state": "absent"}])
    assert (result["packages"], result["mounts"][0]["state"]) == ([], "absent")
