"""mlinfra.gpu.storage_mounts: scratch filesystems mounted by UUID from their devices, network, tmpfs and /dev/shm
mounts with the role's fstab lines, object storage through running s3fs units with root-only credentials, nothing
left of a mount asked to be absent, and the role's record of its fstab lines.

What the host should have comes from the role's own functions (_storage_plan): check_input completes the entries with
the role's defaults, and the fstab line of each mount is the one the role writes (scratch_mount, fstab_line,
tmpfs_mount); the host's fstab is read with the role's parser.
"""

import json

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _storage_plan

ROLE = "storage_mounts"
KINDS = ("scratch", "network", "object", "tmpfs")
SUFFIX = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


@pytest.fixture(scope="module")
def wanted(node, role_vars):
    """The role's input as the role completes it (paths normalised, defaults filled in)."""
    settings = {kind: role_vars["storage_mounts_%s" % kind] for kind in KINDS}
    settings["shm_size"] = role_vars["storage_mounts_shm_size"]
    try:
        return _storage_plan.check_input(settings)
    except _storage_plan.PlanError as exc:
        pytest.fail("%s: storage_mounts variables: the role would refuse them: %s" % (node.name, exc))


@pytest.fixture(scope="module")
def fstab(node):
    """{mount point: [its lines' fields]} of the host's /etc/fstab (the role's parser)."""
    lines = {}
    for line in _storage_plan.parse_fstab(node.host.file("/etc/fstab").content_string):
        lines.setdefault(line["path"].rstrip("/") or "/", []).append(line["line"].split())
    return lines


def entries(node, wanted, kind, state="mounted"):
    """The entries of one kind in a state; the calling test is skipped, with the reason, when there are none."""
    found = [entry for entry in wanted[kind] if entry["state"] == state]
    if not found:
        pytest.skip("%s: no storage_mounts_%s entry with state %s" % (node.name, kind, state))
    return found


def line_fields(line):
    return [line["src"], line["path"], line["fstype"], line["opts"], line["dump"], line["passno"]]


def fstab_problem(fstab, line):
    """'' when fstab has exactly the role's line for the mount point, else what is wrong."""
    found = fstab.get(line["path"], [])
    if found != [line_fields(line)]:
        return "%s: fstab has %s, the role writes %s" % (line["path"], found or "no line", [line_fields(line)])
    return ""


def resolve(node, path):
    return node.run("readlink", "-f", path).stdout.strip()


def test_scratch_mounted(node, wanted, fstab):
    """Each scratch filesystem is mounted from its devices with its type, and fstab mounts it by its UUID."""
    problems = []
    for entry in entries(node, wanted, "scratch"):
        mount = node.host.mount_point(entry["path"])
        if not mount.exists:
            problems.append("%s is not mounted" % entry["path"])
            continue
        if mount.filesystem != entry["fstype"]:
            problems.append("%s is %s, not %s" % (entry["path"], mount.filesystem, entry["fstype"]))
        devices = [resolve(node, device) for device in entry["devices"]]
        if entry["raid"] == "none" and resolve(node, mount.device) != devices[0]:
            problems.append("%s is mounted from %s, not %s" % (entry["path"], mount.device, entry["devices"][0]))
        uuid = node.run("blkid", "-s", "UUID", "-o", "value", mount.device).stdout.strip()
        problems.append(fstab_problem(fstab, _storage_plan.scratch_mount(entry, {"source": "UUID=%s" % uuid})))
    problems = [problem for problem in problems if problem]
    node.check(problems == [], "scratch mounts", "; ".join(problems))


def test_scratch_directories(node, wanted):
    """Owner, group and mode of each mounted scratch directory, where the entry gives them."""
    given = [entry for entry in entries(node, wanted, "scratch") if entry["owner"] or entry["group"] or entry["mode"]]
    if not given:
        pytest.skip("%s: no scratch entry sets owner, group or mode" % node.name)
    wrong = {}
    for entry in given:
        found = node.host.file(entry["path"])
        have = (found.user, found.group, "%04o" % found.mode)
        want = (entry["owner"] or have[0], entry["group"] or have[1], "%04o" % int(str(entry["mode"] or have[2]), 8))
        if have != want:
            wrong[entry["path"]] = "%s:%s %s (expected %s:%s %s)" % (have + want)
    node.check(wrong == {}, "scratch directories", wrong)


def test_network_fstab_lines(node, wanted, fstab):
    problems = [fstab_problem(fstab, _storage_plan.fstab_line(entry["src"], entry["path"], entry["fstype"],
                                                              entry["opts"]))
                for entry in entries(node, wanted, "network")]
    problems = [problem for problem in problems if problem]
    node.check(problems == [], "network fstab lines", "; ".join(problems))


def test_network_mounted(node, role_vars, wanted):
    """Each network filesystem the kernel can mount is mounted (unless storage_mounts_mount is false)."""
    listed = entries(node, wanted, "network")
    if not role_vars["storage_mounts_mount"]:
        pytest.skip("%s: storage_mounts_mount is false (fstab lines only)" % node.name)
    kernel = _storage_plan.parse_filesystems(node.host.file("/proc/filesystems").content_string)
    able = [entry for entry in listed if entry["required"] or _storage_plan.kernel_fs(entry["fstype"]) in kernel]
    if not able:
        pytest.skip("%s: this kernel cannot mount %s, and those mounts are not required"
                    % (node.name, ", ".join("%s (%s)" % (entry["path"], entry["fstype"]) for entry in listed)))
    wrong = {}
    for entry in able:
        mount = node.host.mount_point(entry["path"])
        if not (mount.exists and mount.filesystem == entry["fstype"]):
            wrong[entry["path"]] = mount.filesystem if mount.exists else "not mounted"
    node.check(wrong == {}, "network mounts", "expected %s: %s" % (", ".join(
        "%s %s" % (entry["path"], entry["fstype"]) for entry in able), wrong))


def tmpfs_bytes(size, page, total_pages):
    """The size a tmpfs gets for size= (the kernel's rule: a percentage of RAM, else bytes, in whole pages)."""
    number, unit = (size[:-1], size[-1].lower()) if size[-1] in "kKmMgGtT%" else (size, "")
    if unit == "%":
        wanted = int(number) * page * total_pages // 100
    else:
        wanted = int(number) * SUFFIX[unit]
    return -(-wanted // page) * page


def test_tmpfs_mounts(node, wanted, fstab):
    """Each tmpfs (and /dev/shm when storage_mounts_shm_size is set) is mounted at its size, with the role's line."""
    listed = [(entry["path"], entry["size"], entry["mode"]) for entry in wanted["tmpfs"] if entry["state"] == "mounted"]
    if wanted["shm_size"]:
        listed.append(("/dev/shm", wanted["shm_size"], "1777"))
    if not listed:
        pytest.skip("%s: no storage_mounts_tmpfs entry and no storage_mounts_shm_size" % node.name)
    page = int(node.run("getconf", "PAGESIZE").stdout)
    meminfo = dict(line.split(":", 1) for line in node.host.file("/proc/meminfo").content_string.splitlines())
    total_pages = int(meminfo["MemTotal"].split()[0]) * 1024 // page
    problems = []
    for path, size, mode in listed:
        problems.append(fstab_problem(fstab, _storage_plan.tmpfs_mount(path, size, mode)))
        mount = node.host.mount_point(path)
        if not (mount.exists and mount.filesystem == "tmpfs"):
            problems.append("%s is not a mounted tmpfs" % path)
            continue
        blocks, block_size = node.run("stat", "-f", "-c", "%b %S", path).stdout.split()
        have, want = int(blocks) * int(block_size), tmpfs_bytes(str(size), page, total_pages)
        if have != want:
            problems.append("%s holds %d bytes, size=%s is %d" % (path, have, size, want))
    problems = [problem for problem in problems if problem]
    node.check(problems == [], "tmpfs mounts", "; ".join(problems))


def test_object_storage(node, wanted):
    """Each bucket is mounted through its running, enabled s3fs unit; the keys are in a root-only file."""
    problems = []
    for entry in entries(node, wanted, "object"):
        planned = _storage_plan.plan_object(entry)
        unit = node.host.service(planned["unit"])
        if not (unit.is_running and unit.is_enabled):
            problems.append("%s: unit %s running %s, enabled %s" % (entry["path"], planned["unit"], unit.is_running,
                                                                    unit.is_enabled))
        mount = node.host.mount_point(entry["path"])
        if not (mount.exists and mount.filesystem == "fuse.s3fs"):
            found = mount.filesystem if mount.exists else "not mounted"
            problems.append("%s: not mounted through s3fs (%s)" % (entry["path"], found))
        secret = node.host.file(planned["passwd_file"])
        if not (secret.exists and (secret.user, secret.group, secret.mode) == ("root", "root", 0o600)):
            problems.append("%s: %s is not root:root 0600 (%s)" % (
                entry["path"], planned["passwd_file"],
                "%s:%s %04o" % (secret.user, secret.group, secret.mode) if secret.exists else "missing"))
    node.check(problems == [], "object storage", "; ".join(problems))


def test_absent_mounts_gone(node, wanted, fstab):
    """A mount asked to be absent is not mounted; the role's fstab line and s3fs unit for it are gone."""
    absent = [(kind, entry) for kind in KINDS for entry in wanted[kind] if entry["state"] == "absent"]
    if not absent:
        pytest.skip("%s: no storage_mounts entry with state absent" % node.name)
    problems = []
    for kind, entry in absent:
        if node.host.mount_point(entry["path"]).exists:
            problems.append("%s is mounted" % entry["path"])
        if kind == "object":
            unit = "/etc/systemd/system/" + _storage_plan.unit_name(entry["path"])
            if node.host.file(unit).exists:
                problems.append("%s exists" % unit)
        elif entry["path"] in fstab:
            problems.append("fstab has %s" % fstab[entry["path"]])
    node.check(problems == [], "absent mounts", "; ".join(problems))


def test_record(node, role_vars, wanted):
    """The role's record lists every mount point whose fstab line it wrote, and none it was asked to remove."""
    lines = [entry for kind in ("scratch", "network", "tmpfs") for entry in wanted[kind]]
    if not lines and not wanted["shm_size"]:
        pytest.skip("%s: the role writes no fstab line here (no scratch, network or tmpfs mount)" % node.name)
    record = node.host.file(role_vars["storage_mounts_record"])
    node.check(record.exists, "record", "%s does not exist" % role_vars["storage_mounts_record"])
    owned = set(json.loads(record.content_string))
    present = set(entry["path"] for entry in lines if entry["state"] == "mounted")
    present |= {"/dev/shm"} if wanted["shm_size"] else set()
    absent = set(entry["path"] for entry in lines if entry["state"] == "absent")
    node.check(present <= owned and not absent & owned, "record %s" % role_vars["storage_mounts_record"],
               "lists %s; should list %s and none of %s" % (sorted(owned), sorted(present), sorted(absent)))
