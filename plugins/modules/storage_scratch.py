#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: storage_scratch
short_description: Format one scratch mount's devices (mkfs, mdadm RAID0 or btrfs raid0), only when that is safe
version_added: 0.1.0
description:
  - Reads the devices again right before acting (C(lsblk), C(blkid -p), C(wipefs -n) under C(LANG=C)) and decides
    as mlinfra.gpu.storage_plan does; formats only empty devices, or devices of an entry with C(force=true)
    (their signatures wiped first with C(wipefs --all)). Never formats a mounted device.
  - Refuses, naming the device and what blkid and wipefs found, a device that carries anything without
    C(force=true), and a set of devices that changed under an existing array or btrfs filesystem.
  - A device that already carries the wanted filesystem (or the array and its filesystem) is left as it is.
author:
  - mlinfra.gpu maintainers (@mlinfra)
attributes:
  check_mode:
    support: full
    description: Reports the commands it would run.
  diff_mode:
    support: none
    description: The change is a new filesystem; RV(decision) says which commands make it.
options:
  entry:
    description: One entry of C(storage_mounts_scratch) (path, devices, fstype, raid, mkfs_options, force...).
    type: dict
    required: true
  uuid:
    description: UUID the new filesystem gets (so that the fstab line is known before formatting); empty picks one.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Format /scratch when its device is empty
  mlinfra.gpu.storage_scratch:
    entry: {path: /scratch, devices: [/dev/nvme1n1], fstype: xfs}
  register: formatted
"""

RETURN = r"""
decision:
  description: The decision (action none/format/absent, steps, source for fstab, uuid, array).
  returned: success
  type: dict
  sample:
    path: /scratch
    action: none
    steps: []
    source: UUID=8d6b2a4e-1f0c-4c86-9a52-3f7d1c2b9e10
    uuid: 8d6b2a4e-1f0c-4c86-9a52-3f7d1c2b9e10
    fstype: xfs
    array: ""
"""

import os
import uuid

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlinfra.gpu.plugins.module_utils._storage_plan import (
    PlanError, check_scratch, md_name, plan_scratch)
from ansible_collections.mlinfra.gpu.plugins.module_utils._storage_probe import probe

C = dict(LANG="C", LC_ALL="C")


def main():
    module = AnsibleModule(
        argument_spec=dict(entry=dict(type="dict", required=True), uuid=dict(type="str", default="")),
        supports_check_mode=True,
    )

    def run(argv):
        return module.run_command(argv, environ_update=C)

    try:
        entry = check_scratch(0, module.params["entry"])
        array = md_name(entry["path"])
        decision = plan_scratch(entry, [probe(device, run) for device in entry["devices"]],
                                module.params["uuid"] or str(uuid.uuid4()),
                                probe(array, run) if os.path.exists(array) else None)
    except PlanError as exc:
        module.fail_json(msg=str(exc))
    changed = decision["action"] == "format"
    if changed and not module.check_mode:
        for argv in decision["steps"]:
            rc, out, err = run(argv)
            if rc != 0:
                module.fail_json(msg="storage_mounts: scratch %s: '%s' failed (rc %d): %s"
                                 % (entry["path"], " ".join(argv), rc, (err or out).strip()), decision=decision)
    module.exit_json(changed=changed, decision=decision)


if __name__ == "__main__":
    main()
