# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads what is on block devices for mlinfra.gpu.storage_plan and mlinfra.gpu.storage_scratch (private): runs
lsblk, blkid and wipefs through a given run(argv) -> (rc, out, err) (the module's run_command under LANG=C) and
hands their outputs to the parsers of _storage_plan."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.mlinfra.gpu.plugins.module_utils._storage_plan import (
    PlanError, parse_blkid, parse_lsblk, parse_wipefs)


def probe(device, run, exists=os.path.exists, realpath=os.path.realpath):
    """{device, exists, blkid, wipefs, mountpoints, children} of one device (a /dev/disk/by-id link is followed)."""
    if not exists(device):
        return {"device": device, "exists": False}
    real = realpath(device)
    rc, out, err = run(["lsblk", "--json", "-O", "-b", real])
    if rc != 0:
        raise PlanError("storage_mounts: lsblk could not read %s (%s): %s" % (device, real, err.strip()))
    nodes = parse_lsblk(out)
    node = nodes.get(real, {})
    mountpoints = list(node.get("mountpoints", []))
    for child in node.get("children", []):
        mountpoints += nodes.get(child, {}).get("mountpoints", [])
    # blkid -p exits 2 when it finds nothing: an empty device, not an error
    rc, out, err = run(["blkid", "-p", "-o", "export", real])
    if rc not in (0, 2):
        raise PlanError("storage_mounts: blkid -p could not read %s (%s): %s" % (device, real, err.strip()))
    blkid = parse_blkid(out)
    rc, out, err = run(["wipefs", "-n", "--json", real])
    if rc != 0:
        raise PlanError("storage_mounts: wipefs -n could not read %s (%s): %s" % (device, real, err.strip()))
    return {"device": device, "exists": True, "blkid": blkid, "wipefs": parse_wipefs(out),
            "mountpoints": mountpoints, "children": node.get("children", [])}
