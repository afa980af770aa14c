# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What mlinfra.gpu.storage_mounts does on a host (private to the collection): pure functions behind the modules
mlinfra.gpu.storage_plan and mlinfra.gpu.storage_scratch.

Parses what `lsblk --json -O -b`, `blkid -p -o export`, `wipefs -n --json`, /etc/fstab and /proc/filesystems say
(recorded outputs: tests/unit/fixtures/storage), checks the role's input, and decides per scratch entry: nothing to
do, format (the mkfs / mdadm / btrfs argv), or refuse (the device carries something; the refusal names the device
and what blkid and wipefs found). Also the fstab line of each mount and the s3fs unit of each bucket.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

NOTHING = "Nothing was changed."
SCRATCH_FSTYPES = ("xfs", "ext4", "btrfs")
RAIDS = ("none", "raid0")
STATES = ("mounted", "absent")
_SIZE = re.compile(r"^[0-9]+[kKmMgGtT%]?$")
_MODE = re.compile(r"^0?[0-7]{3,4}$")
KEYS = {
    "scratch": ("path", "devices", "fstype", "raid", "mkfs_options", "mount_options", "owner", "group", "mode",
                "force", "state"),
    "network": ("path", "src", "fstype", "opts", "state", "required", "package"),
    "object": ("path", "bucket", "endpoint", "region", "access_key", "secret_key", "options", "path_style", "state"),
    "tmpfs": ("path", "size", "mode", "state"),
}
# fstab's sixth field: fsck at boot only where the filesystem's fsck checks anything (fsck.xfs and btrfs do not)
PASSNO = {"xfs": "0", "ext4": "2", "btrfs": "0"}
# filesystem type -> name in /proc/filesystems (and the module alias fs-NAME modprobe would load)
KERNEL_FS = {"cephfs": "ceph", "glusterfs": "fuse", "nfs": "nfs", "nfs4": "nfs4"}
# the client package of the usual network filesystems on Debian/Ubuntu (the user names it for anything else)
CLIENT_PACKAGES = {"nfs": "nfs-common", "nfs4": "nfs-common", "cephfs": "ceph-common", "glusterfs": "glusterfs-client"}
RAID_MEMBER = "linux_raid_member"
# tools a format needs, and the Enterprise Linux names of the Debian package names above
FORMAT_PACKAGES = {"xfs": "xfsprogs", "ext4": "e2fsprogs", "btrfs": "btrfs-progs"}
EL_NAMES = {"nfs-common": "nfs-utils", "ceph-common": "ceph-common", "glusterfs-client": "glusterfs-fuse"}


class PlanError(Exception):
    """A request the role refuses; str() is the whole message."""


def _fail(text):
    raise PlanError("storage_mounts: %s %s" % (text, NOTHING))


# ---------------------------------------------------------------------------------------------------------------
# Parsers of recorded outputs


def parse_blkid(text):
    """`blkid -p -o export DEV` -> {KEY: value}; blkid escapes spaces and specials with a backslash."""
    found = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            found[key] = re.sub(r"\\(.)", r"\1", value)
    return found


def parse_wipefs(text):
    """`wipefs -n --json DEV` -> [{type, offset, uuid, label}] in wipefs's order ('' for an empty output)."""
    if not text.strip():
        return []
    return [{"type": sig.get("type"), "offset": sig.get("offset"), "uuid": sig.get("uuid"),
             "label": sig.get("label")} for sig in json.loads(text).get("signatures", [])]


def _flatten(node, into):
    children = [child.get("path") or "/dev/" + child["name"] for child in node.get("children", [])]
    mountpoints = [point for point in node.get("mountpoints") or [node.get("mountpoint")] if point]
    into[node.get("path") or "/dev/" + node["name"]] = {
        "type": node.get("type"), "size": node.get("size"), "mountpoints": mountpoints, "children": children}
    for child in node.get("children", []):
        _flatten(child, into)
    return into


def parse_lsblk(text):
    """`lsblk --json -O -b [DEV...]` -> {path: {type, size, mountpoints, children}}, children flattened in too.
    lsblk's fstype/uuid come from udev's database, empty in containers: blkid -p is what says what is on a device."""
    found = {}
    for node in json.loads(text).get("blockdevices", []):
        _flatten(node, found)
    return found


def parse_filesystems(text):
    """/proc/filesystems -> the names the running kernel can mount."""
    return [line.split()[-1] for line in text.splitlines() if line.strip()]


def parse_fstab(text):
    """/etc/fstab -> [{src, path, fstype, opts, line}] for its entries (comments and blank lines skipped)."""
    entries = []
    for line in text.splitlines():
        fields = line.split()
        if fields and not fields[0].startswith("#") and len(fields) >= 2:
            entries.append({"src": fields[0], "path": fields[1], "fstype": (fields + ["", ""])[2],
                            "opts": (fields + ["", "", ""])[3], "line": line})
    return entries


# ---------------------------------------------------------------------------------------------------------------
# Input


def _norm(path):
    return path.rstrip("/") or "/"


def _words(value):
    """A list, or a string split on whitespace, as a list of strings."""
    if isinstance(value, (list, tuple)):
        return [str(word) for word in value]
    return str(value or "").split()


def _opts(value, default):
    """Mount options as fstab's comma list; a list is joined."""
    if isinstance(value, (list, tuple)):
        value = ",".join(str(word) for word in value)
    return str(value or default)


def _entry(kind, index, raw, defaults):
    if not isinstance(raw, dict):
        _fail("storage_mounts_%s[%d] is not a mapping; each entry is a mapping with keys %s."
              % (kind, index, ", ".join(KEYS[kind])))
    unknown = sorted(set(raw) - set(KEYS[kind]))
    if unknown:
        _fail("storage_mounts_%s[%d] has unknown key(s) %s; known keys: %s."
              % (kind, index, ", ".join(unknown), ", ".join(KEYS[kind])))
    entry = dict(defaults)
    entry.update(dict((key, value) for key, value in raw.items() if value is not None))
    path = str(entry.get("path") or "")
    if not path.startswith("/"):
        _fail("storage_mounts_%s[%d] path '%s' is not an absolute path; use a path such as /scratch."
              % (kind, index, path))
    entry["path"] = _norm(path)
    if entry["state"] not in STATES:
        _fail("storage_mounts_%s %s state '%s' is not one of %s."
              % (kind, entry["path"], entry["state"], ", ".join(STATES)))
    return entry


def _need(kind, entry, key):
    if not str(entry.get(key) or "").strip():
        _fail("storage_mounts_%s %s has no %s; it is required." % (kind, entry["path"], key))


def _check_mode(kind, entry):
    mode = str(entry.get("mode") or "")
    if mode and not _MODE.match(mode):
        _fail("storage_mounts_%s %s mode '%s' is not an octal mode; use a quoted octal string such as '0755'."
              % (kind, entry["path"], mode))


def check_scratch(index, raw):
    entry = _entry("scratch", index, raw, {"fstype": "xfs", "raid": "none", "mkfs_options": [],
                                           "mount_options": "defaults,nofail", "owner": "", "group": "", "mode": "",
                                           "force": False, "state": "mounted"})
    path = entry["path"]
    if entry["fstype"] not in SCRATCH_FSTYPES:
        _fail("storage_mounts_scratch %s fstype '%s' is not one of %s." % (path, entry["fstype"],
                                                                           ", ".join(SCRATCH_FSTYPES)))
    if entry["raid"] not in RAIDS:
        _fail("storage_mounts_scratch %s raid '%s' is not one of %s." % (path, entry["raid"], ", ".join(RAIDS)))
    devices = _words(entry.get("devices"))
    if not devices:
        _fail("storage_mounts_scratch %s has no devices; list one or more block devices such as /dev/nvme1n1."
              % path)
    for device in devices:
        if not device.startswith("/dev/"):
            _fail("storage_mounts_scratch %s device '%s' is not a device path; use /dev/... or /dev/disk/by-id/..."
                  % (path, device))
    if len(set(devices)) != len(devices):
        _fail("storage_mounts_scratch %s lists a device twice: %s." % (path, ", ".join(devices)))
    if entry["raid"] == "none" and len(devices) > 1:
        _fail("storage_mounts_scratch %s has %d devices and raid 'none'; set raid: raid0 to stripe them, or give "
              "each device an entry of its own." % (path, len(devices)))
    if entry["raid"] == "raid0" and len(devices) < 2:
        _fail("storage_mounts_scratch %s has raid 'raid0' over one device; list two or more, or set raid: none."
              % path)
    _check_mode("scratch", entry)
    entry.update(devices=devices, mkfs_options=_words(entry["mkfs_options"]),
                 mount_options=_opts(entry["mount_options"], "defaults,nofail"), force=bool(entry["force"]))
    return entry


def check_network(index, raw):
    entry = _entry("network", index, raw, {"opts": "defaults,_netdev", "state": "mounted", "required": True,
                                           "package": ""})
    _need("network", entry, "src")
    _need("network", entry, "fstype")
    if entry["fstype"] in SCRATCH_FSTYPES + ("tmpfs",):
        _fail("storage_mounts_network %s fstype '%s' is local; use storage_mounts_scratch or storage_mounts_tmpfs."
              % (entry["path"], entry["fstype"]))
    entry.update(opts=_opts(entry["opts"], "defaults,_netdev"), required=bool(entry["required"]),
                 package=entry["package"] or CLIENT_PACKAGES.get(entry["fstype"], ""))
    return entry


def check_object(index, raw):
    entry = _entry("object", index, raw, {"region": "us-east-1", "options": [], "path_style": False,
                                          "state": "mounted"})
    _need("object", entry, "bucket")
    if entry["state"] == "mounted":
        for key in ("endpoint", "access_key", "secret_key"):
            _need("object", entry, key)
        if not re.match(r"^https?://", str(entry["endpoint"])):
            _fail("storage_mounts_object %s endpoint '%s' is not a URL; use http(s)://host[:port]."
                  % (entry["path"], entry["endpoint"]))
    entry.update(options=_words(entry["options"]), path_style=bool(entry["path_style"]))
    return entry


def check_size(what, size):
    if not _SIZE.match(str(size)):
        _fail("%s size '%s' is not a tmpfs size; use a number with k, m, g or %% such as 16g or 50%%." % (what, size))


def check_tmpfs(index, raw):
    entry = _entry("tmpfs", index, raw, {"mode": "1777", "state": "mounted"})
    _need("tmpfs", entry, "size")
    check_size("storage_mounts_tmpfs %s" % entry["path"], entry["size"])
    _check_mode("tmpfs", entry)
    return entry


def _lists(value, kind):
    if not isinstance(value or [], list):
        _fail("storage_mounts_%s is not a list; give a list of mappings." % kind)
    return value or []


def check_input(settings):
    """The role's variables (scratch, network, object, tmpfs, shm_size) checked and completed with defaults;
    PlanError naming the first value refused and what would work."""
    checked = {"scratch": [], "network": [], "object": [], "tmpfs": []}
    checkers = {"scratch": check_scratch, "network": check_network, "object": check_object, "tmpfs": check_tmpfs}
    for kind in ("scratch", "network", "object", "tmpfs"):
        for index, raw in enumerate(_lists(settings.get(kind), kind)):
            checked[kind].append(checkers[kind](index, raw))
    shm = str(settings.get("shm_size") or "")
    if shm:
        check_size("storage_mounts_shm_size", shm)
    checked["shm_size"] = shm
    seen = {"/dev/shm": "storage_mounts_shm_size"} if shm else {}
    for kind in ("scratch", "network", "object", "tmpfs"):
        for entry in checked[kind]:
            where = "storage_mounts_%s" % kind
            if entry["path"] in seen:
                _fail("mount point %s is given twice (%s and %s); each path can be mounted once."
                      % (entry["path"], seen[entry["path"]], where))
            seen[entry["path"]] = where
    devices = {}
    for entry in checked["scratch"]:
        for device in entry["devices"]:
            if device in devices:
                _fail("device %s is listed under scratch %s and %s; a device belongs to one mount."
                      % (device, devices[device], entry["path"]))
            devices[device] = entry["path"]
    return checked


# ---------------------------------------------------------------------------------------------------------------
# Scratch decisions


def findings(probe):
    """What is on one device, as the refusal says it: [] for an empty, unmounted device without partitions.
    probe: {device, blkid (parsed), wipefs (parsed), mountpoints, children}."""
    found = []
    if probe.get("mountpoints"):
        found.append("mounted at %s" % ", ".join(probe["mountpoints"]))
    if probe.get("children"):
        found.append("partitions %s" % ", ".join(probe["children"]))
    blkid = probe.get("blkid") or {}
    shown = ["%s=%s" % (key, blkid[key]) for key in ("TYPE", "PTTYPE", "UUID", "LABEL") if key in blkid]
    if shown:
        found.append("blkid: %s" % " ".join(shown))
    if probe.get("wipefs"):
        signatures = ["%s at %s" % (sig["type"], sig["offset"]) for sig in probe["wipefs"]]
        found.append("wipefs -n: %s" % ", ".join(signatures))
    return found


def _refuse(entry, probe, why):
    _fail("scratch %s: %s %s (%s); a device is formatted only when it is empty, or with force: true on that entry "
          "(which destroys what is on it)." % (entry["path"], probe["device"], why, "; ".join(findings(probe))))


def mkfs_argv(fstype, uuid, options, devices, raid):
    """The mkfs command that makes fstype with that UUID on devices (btrfs stripes data over several)."""
    if fstype == "xfs":
        return ["mkfs.xfs", "-q", "-m", "uuid=%s" % uuid] + options + devices
    if fstype == "ext4":
        return ["mkfs.ext4", "-q", "-U", uuid] + options + devices
    stripe = ["-d", "raid0"] if raid == "raid0" else []
    return ["mkfs.btrfs", "-q", "-U", uuid] + stripe + options + devices


def md_name(path):
    """/dev/md/NAME of a scratch path's array: 'scratch' for /scratch, 'data-scratch' for /data/scratch."""
    return "/dev/md/" + (path.strip("/").replace("/", "-") or "root")


def mdadm_argv(array, devices):
    return (["mdadm", "--create", array, "--run", "--level=0", "--raid-devices=%d" % len(devices),
             "--metadata=1.2", "--homehost=any"] + devices)


def _groups(probes, type_name):
    """UUIDs of type_name (btrfs, linux_raid_member) on the probes -> devices carrying each, in order."""
    groups = {}
    for probe in probes:
        blkid = probe.get("blkid") or {}
        if blkid.get("TYPE") == type_name:
            groups.setdefault(blkid.get("UUID"), []).append(probe["device"])
    return groups


def _mounted_elsewhere(entry, probe):
    return [point for point in probe.get("mountpoints") or [] if point != entry["path"]]


def _existing(entry, probes, type_name):
    """The UUID of the filesystem/array type_name spanning exactly the entry's devices, None when there is none;
    refuses a set of devices that changed under an existing one (unless forced)."""
    groups = _groups(probes, type_name)
    names = [probe["device"] for probe in probes]
    for uuid, members in sorted(groups.items()):
        if members == names:
            return uuid
        if not entry["force"]:
            _fail("scratch %s: the devices changed under an existing %s %s: it is on %s, the entry lists %s; "
                  "put the same devices back, or set force: true (which destroys it)."
                  % (entry["path"], "array" if type_name == RAID_MEMBER else type_name, uuid, ", ".join(members),
                     ", ".join(names)))
    return None


def _wipe_or_refuse(entry, probes):
    """wipefs steps for the devices that carry anything (forced), or the refusal."""
    steps = []
    for probe in probes:
        if _mounted_elsewhere(entry, probe):
            _fail("scratch %s: %s is mounted at %s; it is never formatted while mounted, even with force: true "
                  "(unmount it first)." % (entry["path"], probe["device"], ", ".join(_mounted_elsewhere(entry, probe))))
        if findings(probe):
            if not entry["force"]:
                _refuse(entry, probe, "is not empty")
            steps.append(["wipefs", "--all", "--quiet", probe["device"]])
    return steps


def plan_scratch(entry, probes, uuid, array_probe=None):
    """Decision for one checked scratch entry. probes: one per device, in the entry's order
    ({device, exists, blkid, wipefs, mountpoints, children}); uuid: the UUID a new filesystem gets;
    array_probe: the probe of the md array (raid0 on xfs/ext4) when it exists.
    -> {path, action (none|format|absent), steps [argv], source (what fstab mounts), fstype, uuid, array}."""
    for probe in probes:
        if not probe.get("exists"):
            _fail("scratch %s: device %s does not exist on this host (see lsblk, or ls -l /dev/disk/by-id)."
                  % (entry["path"], probe["device"]))
    base = {"path": entry["path"], "fstype": entry["fstype"], "steps": [], "array": ""}
    if entry["state"] == "absent":
        return dict(base, action="absent", uuid="", source="")
    devices = [probe["device"] for probe in probes]
    md = entry["raid"] == "raid0" and entry["fstype"] != "btrfs"
    if md:
        array = md_name(entry["path"])
        base["array"] = array
        existing = _existing(entry, probes, RAID_MEMBER)
        if existing and array_probe is not None:
            probes, devices = [array_probe], [array]
        elif existing:
            _fail("scratch %s: %s carry array %s but %s is not assembled; assemble it (mdadm --assemble --scan) or "
                  "set force: true (which destroys it)." % (entry["path"], ", ".join(devices), existing, array))
    else:
        existing = _existing(entry, probes, entry["fstype"])
    current = (probes[0].get("blkid") or {}) if len(probes) == 1 else {}
    if existing and not md:
        current = {"TYPE": entry["fstype"], "UUID": existing}
    if current.get("TYPE") == entry["fstype"] and not probes[0].get("children"):
        for probe in probes:
            if _mounted_elsewhere(entry, probe):
                _fail("scratch %s: %s already carries %s but is mounted at %s; unmount it first."
                      % (entry["path"], probe["device"], entry["fstype"], ", ".join(_mounted_elsewhere(entry, probe))))
        return dict(base, action="none", uuid=current["UUID"], source="UUID=%s" % current["UUID"])
    steps = _wipe_or_refuse(entry, probes)
    if md and devices != [base["array"]]:
        steps.append(mdadm_argv(base["array"], devices))
        devices = [base["array"]]
    steps.append(mkfs_argv(entry["fstype"], uuid, entry["mkfs_options"], devices, entry["raid"]))
    return dict(base, action="format", steps=steps, uuid=uuid, source="UUID=%s" % uuid)


# ---------------------------------------------------------------------------------------------------------------
# Mounts


def fstab_line(src, path, fstype, opts, passno="0"):
    """The fields ansible.posix.mount writes (src, path, fstype, opts, dump, passno)."""
    return {"src": src, "path": path, "fstype": fstype, "opts": opts, "dump": "0", "passno": passno}


def scratch_mount(entry, decision):
    return fstab_line(decision["source"], entry["path"], entry["fstype"], entry["mount_options"],
                      PASSNO[entry["fstype"]])


def kernel_fs(fstype):
    """Name the kernel registers for a mount type ('fuse' for every FUSE type)."""
    if fstype.startswith("fuse."):
        return "fuse"
    return KERNEL_FS.get(fstype, fstype)


def plan_network(entry, kernel, mount):
    """kernel: {release, filesystems (list), loadable (list of names modprobe finds)}; mount: storage_mounts_mount.
    -> {fstab, mount (whether to mount now), note (why not, '' when it mounts)}; refuses a required mount the kernel
    cannot do."""
    name = kernel_fs(entry["fstype"])
    line = fstab_line(entry["src"], entry["path"], entry["fstype"], entry["opts"])
    able = name in kernel["filesystems"] or name in kernel["loadable"]
    if able or entry["state"] == "absent":
        return {"fstab": line, "mount": bool(mount), "note": "" if mount else "storage_mounts_mount is false"}
    why = ("this kernel (%s) cannot mount %s: '%s' is not in /proc/filesystems and modprobe finds no module fs-%s"
           % (kernel["release"], entry["fstype"], name, name))
    if mount and entry["required"]:
        _fail("network %s (%s from %s): %s. Use a kernel with that client (package %s gives the mount helper), or "
              "set required: false on this mount or storage_mounts_mount: false to write the fstab line without "
              "mounting." % (entry["path"], entry["fstype"], entry["src"], why, entry["package"] or "of the client"))
    return {"fstab": line, "mount": False, "note": why + "; fstab line written, not mounted"}


def unit_name(path):
    """systemd unit of an object-storage mount: mlinfra-s3fs-<path with / as ->.service."""
    return "mlinfra-s3fs-%s.service" % (path.strip("/").replace("/", "-") or "root")


def passwd_file(path):
    return "/etc/mlinfra/s3fs/%s.passwd" % (path.strip("/").replace("/", "-") or "root")


def s3fs_argv(entry):
    """The unit's ExecStart: the credentials come from a root-only file (passwd_file), never the command line."""
    options = ["passwd_file=%s" % passwd_file(entry["path"]), "url=%s" % entry["endpoint"],
               "endpoint=%s" % entry["region"], "allow_other", "mp_umask=0022"]
    if entry["path_style"]:
        options.append("use_path_request_style")
    argv = ["/usr/bin/s3fs", str(entry["bucket"]), entry["path"], "-f"]
    for option in options + entry["options"]:
        argv += ["-o", option]
    return argv


def plan_object(entry):
    return {"path": entry["path"], "unit": unit_name(entry["path"]), "passwd_file": passwd_file(entry["path"]),
            "exec_start": " ".join(s3fs_argv(entry)) if entry["state"] == "mounted" else "",
            "state": entry["state"]}


def tmpfs_mount(path, size, mode):
    opts = "size=%s,mode=%s,nosuid,nodev" % (size, mode) if mode else "size=%s,nosuid,nodev" % size
    return fstab_line("tmpfs", path, "tmpfs", opts)


def check_fstab(fstab, paths, owned):
    """Refuses a mount point the role would take over from a line it did not write: fstab (parsed), paths the role
    mounts, owned (paths the role wrote before, from its record)."""
    for line in fstab:
        if _norm(line["path"]) in paths and _norm(line["path"]) not in owned:
            _fail("/etc/fstab already has a line for %s that this role did not write: '%s'; remove it yourself or "
                  "choose another path (the role never changes lines it did not write)." % (line["path"], line["line"]))


def packages(checked, scratch, mounts, family):
    """Packages the plan needs: the mkfs (and mdadm) of each format, the client of each network mount, in the names
    of the OS family (Debian or RedHat)."""
    wanted = set(line["package"] for line in mounts if line.get("package") and line["state"] != "absent")
    for entry in checked["scratch"]:
        decision = scratch[entry["path"]]
        if decision["action"] == "format":
            wanted.add(FORMAT_PACKAGES[entry["fstype"]])
            if decision["array"]:
                wanted.add("mdadm")
    if family == "RedHat":
        wanted = set(EL_NAMES.get(name, name) for name in wanted)
    return sorted(wanted)


def plan(checked, scratch, kernel, mount, fstab, owned, family="Debian"):
    """The whole plan from checked input (check_input), the scratch decisions ({path: plan_scratch result}), the
    kernel's abilities, storage_mounts_mount, the parsed fstab, the paths the role owns and the OS family."""
    mounts = []
    for entry in checked["scratch"]:
        decision = scratch[entry["path"]]
        mounts.append(dict(scratch_mount(entry, decision), state=entry["state"], kind="scratch",
                           owner=entry["owner"], group=entry["group"], mode=entry["mode"]))
    notes = []
    for entry in checked["network"]:
        network = plan_network(entry, kernel, mount)
        state = entry["state"] if entry["state"] == "absent" or network["mount"] else "present"
        mounts.append(dict(network["fstab"], state=state, kind="network", package=entry["package"]))
        if network["note"]:
            notes.append("%s: %s" % (entry["path"], network["note"]))
    for entry in checked["tmpfs"]:
        mounts.append(dict(tmpfs_mount(entry["path"], entry["size"], entry["mode"]), state=entry["state"],
                           kind="tmpfs"))
    if checked["shm_size"]:
        mounts.append(dict(tmpfs_mount("/dev/shm", checked["shm_size"], "1777"), state="mounted", kind="shm"))
    check_fstab(fstab, [line["path"] for line in mounts if line["state"] != "absent"], owned)
    for line in mounts:
        if line["state"] == "absent" and line["path"] not in owned:
            line["state"] = "skip"
    objects = [plan_object(entry) for entry in checked["object"]]
    present = [line["path"] for line in mounts if line["state"] not in ("absent", "skip")]
    return {"mounts": mounts, "objects": objects, "notes": notes,
            "packages": packages(checked, scratch, mounts, family),
            "owned": sorted(set(present) | (set(owned) - set(line["path"] for line in mounts)))}
