#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: apt_branch_plan
short_description: Plan the apt changes that put a set of packages at one version branch
version_added: 0.1.0
description:
  - Reads the package state (C(dpkg-query) for installed versions and holds, C(apt-cache policy) for what the
    sources offer), both under C(LANG=C), and returns what to install (C(name=version)), remove, hold and release
    so that O(packages) are installed at O(branch) and the other packages matching O(managed) are gone.
  - Changes nothing itself; the caller applies the plan with M(ansible.builtin.apt) and
    M(ansible.builtin.dpkg_selections). Packages installed at the branch are kept at their version.
  - Fails, before anything changes, when a source lacks the branch of a package, naming the versions offered.
  - In check mode a package apt does not know yet (its source is added in the same run) is planned for
    installation without a version and listed in RV(plan.unverified) instead of failing.
author:
  - mlinfra.gpu maintainers (@mlinfra)
attributes:
  check_mode:
    support: full
    description: The module only reads; it changes nothing.
  diff_mode:
    support: full
    description: Returns the installed versions before and the planned ones after.
options:
  packages:
    description: Names to have installed at O(branch).
    type: list
    elements: str
    required: true
  branch:
    description: Upstream version prefix, such as V(580) for C(580.95.05-1).
    type: str
    required: true
  managed:
    description: C(dpkg-query) patterns of the packages this plan owns; installed ones that are not in O(packages) or
      not at O(branch) are removed.
    type: list
    elements: str
    default: []
  hold:
    description: Whether O(packages) should be held (V(false) releases their holds).
    type: bool
    default: true
  include_url:
    description: Versions must come from a source under this URL (for example NVIDIA's repository).
    type: str
  exclude_url:
    description: Versions from a source under this URL are not chosen.
    type: str
notes:
  - Debian family only; needs C(dpkg-query) and C(apt-cache).
"""

EXAMPLES = r"""
- name: Plan driver branch 580 from NVIDIA's repository
  mlinfra.gpu.apt_branch_plan:
    packages: [nvidia-driver-cuda, nvidia-kernel-open-dkms]
    branch: "580"
    managed: [nvidia-driver-cuda, nvidia-kernel-open-dkms, nvidia-kernel-dkms]
    include_url: https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64
  register: driver_apt

- name: Install the planned versions in one transaction
  ansible.builtin.apt:
    name: "{{ driver_apt.plan.install }}"
  when: driver_apt.plan.install | length > 0
"""

RETURN = r"""
plan:
  description: What to change.
  returned: success
  type: dict
  contains:
    install:
      description: C(name=version) to install (a bare name for RV(plan.unverified) ones).
      type: list
      elements: str
      sample: [nvidia-driver-cuda=580.95.05-1]
    remove:
      description: Installed managed packages that leave.
      type: list
      elements: str
      sample: [nvidia-kernel-dkms, nvidia-fabricmanager-535]
    release:
      description: Held packages whose hold must be released (before the install and removal).
      type: list
      elements: str
      sample: [nvidia-fabricmanager-535]
    hold:
      description: Packages to hold after the install.
      type: list
      elements: str
      sample: [nvidia-driver-cuda]
    versions:
      description: Version each package has after the plan (null for unverified ones).
      type: dict
      sample: {nvidia-driver-cuda: 580.95.05-1}
    unverified:
      description: Packages apt does not know yet (check mode only).
      type: list
      elements: str
      sample: []
    version:
      description: Upstream version of the first package after the plan, empty when unverified.
      type: str
      sample: 580.95.05
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlinfra.gpu.plugins.module_utils import _apt_state
from ansible_collections.mlinfra.gpu.plugins.module_utils._driver_plan import PlanError, plan_packages


def _run(module, argv, ok=(0,)):
    rc, out, err = module.run_command(argv, environ_update=_apt_state.C_LOCALE)
    if rc not in ok:
        module.fail_json(msg="%s failed (rc %d): %s" % (" ".join(argv[:2]), rc, err.strip() or out.strip()), cmd=argv)
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            packages=dict(type="list", elements="str", required=True),
            branch=dict(type="str", required=True),
            managed=dict(type="list", elements="str", default=[]),
            hold=dict(type="bool", default=True),
            include_url=dict(type="str"),
            exclude_url=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    dpkg = module.get_bin_path("dpkg-query", required=True)
    apt_cache = module.get_bin_path("apt-cache", required=True)
    names = list(p["managed"]) + [n for n in p["packages"] if n not in p["managed"]]
    # rc 1: some pattern matched nothing (normal); the matches are still printed
    try:
        installed = _apt_state.parse_dpkg_query(_run(module, [dpkg, "-W", "-f", _apt_state.DPKG_FORMAT] + names, ok=(0, 1)))
        policy = _apt_state.parse_policy(_run(module, [apt_cache, "policy"] + p["packages"]))
        plan = plan_packages(p["packages"], p["branch"], policy, installed, p["managed"], hold=p["hold"],
                             include=p["include_url"], exclude=p["exclude_url"], check_mode=module.check_mode)
    except (ValueError, PlanError) as exc:
        module.fail_json(msg=str(exc))
    plan["version"] = _apt_state.upstream(plan["versions"].get(p["packages"][0])) or ""
    result = dict(changed=False, plan=plan)
    if module._diff:
        before = sorted("%s=%s" % (n, s["version"]) for n, s in installed.items() if s["installed"])
        after = sorted(set(b for b in before if b.split("=")[0] not in plan["remove"]
                           and b.split("=")[0] not in plan["versions"])
                       | set("%s=%s" % (n, v or "?") for n, v in plan["versions"].items())
                       | set("%s=?" % n for n in plan["unverified"]))
        result["diff"] = dict(before="\n".join(before) + "\n", after="\n".join(after) + "\n")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
