#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ml_frameworks_plan
short_description: Decide the framework build, pip requirements and sources of each mlinfra.gpu.ml_frameworks environment
version_added: 0.1.0
description:
  - For each environment (C(name), C(framework) V(torch)/V(jax)/V(tensorflow)/V(none), C(version), C(build)
    V(auto)/V(cpu)/C(cuda<X.Y>)/C(rocm<X.Y>), C(packages), C(state)) returns the build, why it was chosen, the pip
    requirement lines, pip's source arguments, the environment's path and a sha256 of the resolved specification.
  - V(auto) takes the newest CUDA build of that framework version that the NVIDIA driver runs (the CUDA ceiling of
    the driver from the collection's compatibility data; JAX's own driver floor for its C(cuda12)/C(cuda13) wheels),
    the newest ROCm build on AMD GPUs, the CPU build without a GPU. An explicit build wins when the framework
    publishes it and the driver runs it.
  - Refuses, naming the values and what would fit, an unknown framework, a malformed version or build, a build the
    framework version does not publish, a CUDA build newer than the driver runs. Reads and changes nothing on the host.
  - The table is the filter mlinfra.gpu.framework_builds.
author:
  - mlinfra.gpu maintainers (@mlinfra)
extends_documentation_fragment:
  - mlinfra.gpu.attributes.read_only
options:
  envs:
    description: The environments (the layout of the role's C(ml_frameworks_envs)).
    type: list
    elements: raw
    required: true
  gpu_facts:
    description: GPU facts in the layout of C(ansible_facts.gpu) (mlinfra.gpu.gpu_facts).
    type: dict
    default: {}
  driver_version:
    description: The NVIDIA driver version to decide for (the planned one); empty is the driver of O(gpu_facts).
    type: str
    default: ""
  sources:
    description: C(index_url), C(extra_index_urls), C(ca_file), C(wheelhouse) (a directory on the node; pip then uses
      no index at all), C(pytorch_index) (base of PyTorch's per-build indexes).
    type: dict
    default: {}
  root:
    description: Directory that holds the environments.
    type: str
    default: /opt/mlinfra/envs
seealso:
  - module: mlinfra.gpu.gpu_facts
"""

EXAMPLES = r"""
- name: Decide
  mlinfra.gpu.ml_frameworks_plan:
    envs:
      - {name: torch, framework: torch, version: "2.6.0", build: auto, packages: [numpy]}
    gpu_facts: "{{ ansible_facts.gpu }}"
  register: decision
"""

RETURN = r"""
plan:
  description: The host as seen (C(vendor), C(driver), C(cuda_ceiling), C(gpus)) and one entry per environment.
  returned: success
  type: dict
  sample:
    host: {vendor: nvidia, driver: 550.90.07, cuda_ceiling: "12.4", gpus: 8}
    envs:
      - name: torch
        state: present
        path: /opt/mlinfra/envs/torch
        framework: torch
        version: 2.6.0
        build: cuda12.4
        reason: "auto: the newest CUDA build of torch 2.6.0 that driver 550.90.07 runs"
        requirements: [torch==2.6.0, numpy]
        framework_index: https://download.pytorch.org/whl/cu124
        pip_args: [--index-url, https://download.pytorch.org/whl/cu124, --extra-index-url, https://pypi.org/simple]
        spec_hash: 2f0c...
        expect_gpu: true
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlinfra.gpu.plugins.module_utils._frameworks_plan import PlanError, plan


def main():
    module = AnsibleModule(
        argument_spec=dict(
            envs=dict(type="list", elements="raw", required=True),
            gpu_facts=dict(type="dict", default={}),
            driver_version=dict(type="str", default=""),
            sources=dict(type="dict", default={}),
            root=dict(type="str", default="/opt/mlinfra/envs"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        result = plan(p["envs"], p["gpu_facts"], p["sources"], p["root"], p["driver_version"])
    except PlanError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, plan=result)


if __name__ == "__main__":
    main()
