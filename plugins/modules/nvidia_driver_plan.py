#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: nvidia_driver_plan
short_description: Decide NVIDIA driver branch, kernel-module flavour, fabric manager and packages
version_added: 0.1.0
description:
  - The decision of the M(mlinfra.gpu.nvidia_driver) role's C(validate) step, from GPU facts, the user's settings
    and the platform's package names. Reads nothing on the host and changes nothing.
  - The branch for V(auto) is the distribution's branch (O(source=distro)) or the newest LTS branch that drives every
    GPU (O(source=nvidia), filter P(mlinfra.gpu.gpu_newest_driver_branch#filter)); the flavour for V(auto) is
    P(mlinfra.gpu.gpu_kernel_module#filter)'s, within what the distribution can install.
  - Refuses, naming the GPU, the branch and what would work, a branch that cannot drive every GPU, a flavour the
    GPUs cannot use or the distribution cannot install, and fabric manager from a source without it.
author:
  - mlinfra.gpu maintainers (@mlinfra)
extends_documentation_fragment:
  - mlinfra.gpu.attributes.read_only
options:
  source:
    description: V(distro) or V(nvidia); must be a key of C(packages) in O(platform).
    type: str
    required: true
  branch:
    description: V(auto) or a three-digit driver branch such as V(580).
    type: str
    default: auto
  kernel_module:
    description: Kernel-module flavour.
    type: str
    choices: [auto, open, proprietary]
    default: auto
  fabricmanager:
    description: V(auto) (when C(nvswitch_count) of O(gpu_facts) is above zero), V(true) or V(false).
    type: str
    default: auto
  headless:
    description: Leave out the packages of kind C(full) (X11 stack).
    type: bool
    default: true
  gpu_facts:
    description: GPU facts in the layout of C(ansible_facts.gpu) (M(mlinfra.gpu.gpu_facts)); C(devices) and
      C(nvswitch_count) are read.
    type: dict
    default: {}
  platform:
    description:
      - The platform's values (the role's C(vars/) files).
      - C(name) (for messages), C(distro_branch), C(distro_any_branch), C(distro_modules), C(distro_modules_note),
        and C(packages), a dict per source of the kinds C(base), C(open), C(proprietary), C(full), C(fabricmanager),
        lists of names in which C({branch}) and C({open}) (V(-open) for open modules) are filled in, or a dict
        lowest branch -> list for names that changed between branches.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Decide what to install
  mlinfra.gpu.nvidia_driver_plan:
    source: nvidia
    branch: auto
    gpu_facts: "{{ ansible_facts.gpu }}"
    platform:
      name: Debian 12
      distro_branch: "535"
      packages:
        nvidia:
          base: [nvidia-driver-cuda, nvidia-smi]
          open: [nvidia-kernel-open-dkms]
          proprietary: [nvidia-kernel-dkms]
          full: [nvidia-driver]
          fabricmanager: {"0": ["nvidia-fabricmanager-{branch}"], "580": [nvidia-fabricmanager]}
  register: plan
"""

RETURN = r"""
plan:
  description: The decision.
  returned: success
  type: dict
  contains:
    source:
      description: The source.
      type: str
      sample: nvidia
    branch:
      description: The driver branch.
      type: str
      sample: "580"
    kernel_module:
      description: V(open) or V(proprietary).
      type: str
      sample: open
    fabricmanager:
      description: Whether fabric manager is installed.
      type: bool
      sample: true
    packages:
      description: Package names to install, in order (the first is the one whose version is the driver's).
      type: list
      elements: str
      sample: [nvidia-driver-cuda, nvidia-smi, nvidia-kernel-open-dkms, nvidia-fabricmanager]
    managed:
      description: dpkg-query patterns of every package of the source the role manages, at any branch or flavour.
      type: list
      elements: str
      sample: [nvidia-driver-cuda, nvidia-fabricmanager-*, nvidia-fabricmanager]
    gpus:
      description: Number of NVIDIA GPUs in O(gpu_facts).
      type: int
      sample: 8
    nvswitches:
      description: Number of NVSwitches in O(gpu_facts).
      type: int
      sample: 4
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlinfra.gpu.plugins.module_utils._driver_plan import PlanError, choose


def main():
    module = AnsibleModule(
        argument_spec=dict(
            source=dict(type="str", required=True),
            branch=dict(type="str", default="auto"),
            kernel_module=dict(type="str", default="auto", choices=["auto", "open", "proprietary"]),
            fabricmanager=dict(type="str", default="auto"),
            headless=dict(type="bool", default=True),
            gpu_facts=dict(type="dict", default={}),
            platform=dict(type="dict", required=True),
        ),
        supports_check_mode=True,
    )
    settings = dict((key, module.params[key]) for key in ("source", "branch", "kernel_module", "fabricmanager", "headless"))
    try:
        plan = choose(settings, module.params["gpu_facts"], module.params["platform"])
    except PlanError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, plan=plan)


if __name__ == "__main__":
    main()
