#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: storage_plan
short_description: Decide what mlinfra.gpu.storage_mounts formats and mounts on a host, changing nothing
version_added: 0.1.0
description:
  - Checks the role's input (absolute mount points, known filesystem types, devices, sizes, modes, mount points
    given once across scratch, network, object storage and tmpfs) and refuses the first bad value, naming it and
    what would work.
  - Reads each scratch device with C(lsblk --json -O -b), C(blkid -p -o export) and C(wipefs -n --json) under
    C(LANG=C), and decides per scratch entry nothing to do, format (the C(wipefs)/C(mdadm)/C(mkfs) commands), or
    refuses a device that carries a filesystem, partition table, RAID or LVM signature or is mounted (unless that
    entry has C(force=true)), and a set of devices that changed under an existing array or btrfs filesystem.
  - Reads C(/etc/fstab), C(/proc/filesystems) and asks C(modprobe -n) whether the kernel can mount each network
    filesystem; refuses a required network mount it cannot do, and a mount point that already has an fstab line
    the role did not write (the role keeps its own record of the lines it wrote, O(record)).
author:
  - mlinfra.gpu maintainers (@mlinfra)
extends_documentation_fragment:
  - mlinfra.gpu.attributes.read_only
options:
  scratch:
    description: C(storage_mounts_scratch) of the role.
    type: list
    elements: raw
    default: []
  network:
    description: C(storage_mounts_network) of the role.
    type: list
    elements: raw
    default: []
  object:
    description: C(storage_mounts_object) of the role; the keys are never returned.
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: Mount point., type: raw}
      bucket: {description: Bucket., type: raw}
      endpoint: {description: Endpoint URL., type: raw}
      region: {description: Region., type: raw}
      access_key: {description: Access key (never returned or logged)., type: raw}
      secret_key: {description: Secret key (never returned or logged)., type: raw}
      options: {description: More s3fs options., type: raw}
      path_style: {description: Path-style requests., type: raw}
      state: {description: mounted or absent., type: raw}
  tmpfs:
    description: C(storage_mounts_tmpfs) of the role.
    type: list
    elements: raw
    default: []
  shm_size:
    description: C(storage_mounts_shm_size) of the role; empty leaves C(/dev/shm) as it is.
    type: str
    default: ""
  mount:
    description: C(storage_mounts_mount); false writes network fstab lines without mounting them.
    type: bool
    default: true
  family:
    description: OS family (C(ansible_facts.os_family)); package names are Enterprise Linux's for V(RedHat).
    type: str
    default: Debian
  record:
    description: The role's record of the mount points whose fstab lines it wrote (JSON list); missing is none.
    type: path
    default: /etc/mlinfra/storage_mounts.json
"""

EXAMPLES = r"""
- name: Decide
  mlinfra.gpu.storage_plan:
    scratch:
      - {path: /scratch, devices: [/dev/nvme1n1], fstype: xfs}
    tmpfs:
      - {path: /tmp/fast, size: 8g}
  register: decision
"""

RETURN = r"""
input:
  description: The input checked and completed with the defaults (object storage keys left out).
  returned: success
  type: dict
scratch:
  description: Per scratch mount point, the decision.
  returned: success
  type: dict
  sample:
    /scratch:
      path: /scratch
      action: format
      steps: [[mkfs.xfs, -q, -m, "uuid=8d6b2a4e-1f0c-4c86-9a52-3f7d1c2b9e10", /dev/nvme1n1]]
      source: UUID=8d6b2a4e-1f0c-4c86-9a52-3f7d1c2b9e10
      uuid: 8d6b2a4e-1f0c-4c86-9a52-3f7d1c2b9e10
      fstype: xfs
      array: ""
plan:
  description: fstab mounts (src, path, fstype, opts, dump, passno, state, kind), s3fs units, notes, client
    packages, and the mount points the role owns after this run.
  returned: success
  type: dict
"""

import json
import os
import uuid

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlinfra.gpu.plugins.module_utils._storage_plan import (
    PlanError, check_input, kernel_fs, md_name, parse_filesystems, parse_fstab, plan, plan_scratch)
from ansible_collections.mlinfra.gpu.plugins.module_utils._storage_probe import probe

C = dict(LANG="C", LC_ALL="C")


def _read(path, default=""):
    if not os.path.exists(path):
        return default
    with open(path) as handle:
        return handle.read()


def main():
    object_keys = ("path", "bucket", "endpoint", "region", "access_key", "secret_key", "options", "path_style",
                   "state")
    module = AnsibleModule(
        argument_spec=dict(
            scratch=dict(type="list", elements="raw", default=[]),
            network=dict(type="list", elements="raw", default=[]),
            object=dict(type="list", elements="dict", default=[], options=dict(
                (key, dict(type="raw", no_log=key.endswith("_key"))) for key in object_keys)),
            tmpfs=dict(type="list", elements="raw", default=[]),
            shm_size=dict(type="str", default=""),
            mount=dict(type="bool", default=True),
            record=dict(type="path", default="/etc/mlinfra/storage_mounts.json"),
            family=dict(type="str", default="Debian"),
        ),
        supports_check_mode=True,
    )
    params = module.params

    def run(argv):
        return module.run_command(argv, environ_update=C)

    try:
        checked = check_input(dict(scratch=params["scratch"], network=params["network"], object=params["object"],
                                   tmpfs=params["tmpfs"], shm_size=params["shm_size"]))
        scratch = {}
        for entry in checked["scratch"]:
            array = md_name(entry["path"])
            array_probe = probe(array, run) if os.path.exists(array) else None
            scratch[entry["path"]] = plan_scratch(entry, [probe(device, run) for device in entry["devices"]],
                                                  str(uuid.uuid4()), array_probe)
        filesystems = parse_filesystems(_read("/proc/filesystems"))
        modprobe = module.get_bin_path("modprobe")
        loadable = [kernel_fs(entry["fstype"]) for entry in checked["network"]
                    if modprobe and run([modprobe, "-n", "-q", "fs-" + kernel_fs(entry["fstype"])])[0] == 0]
        kernel = dict(release=os.uname()[2], filesystems=filesystems, loadable=loadable)
        owned = json.loads(_read(params["record"], "[]"))
        result = plan(checked, scratch, kernel, params["mount"], parse_fstab(_read("/etc/fstab")), owned,
                      params["family"])
    except PlanError as exc:
        module.fail_json(msg=str(exc))
    for entry in checked["object"]:
        entry.pop("access_key", None)
        entry.pop("secret_key", None)
    module.exit_json(changed=False, input=checked, scratch=scratch, plan=result)


if __name__ == "__main__":
    main()
