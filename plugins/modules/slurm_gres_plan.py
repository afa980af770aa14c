#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to mlinfra.gpu
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: slurm_gres_plan
short_description: The gres.conf lines and Gres= value of a Slurm GPU node, from its GPU facts
version_added: 0.1.0
description:
  - From the GPU facts (mlinfra.gpu.gpu_facts) gives the node's C(gres.conf) lines
    (C(Name=gpu Type=<model> File=/dev/nvidiaN Cores=<logical cores of the GPU's NUMA node>)), its C(Gres=) value
    (for example C(gpu:h100:8)) and the C(slurm.conf) line for config-less clusters.
  - Types are the collection's GPU vocabulary (the C(model) token of the facts, the same as the inventory plugins'
    C(gpu_<model>) groups). NVML names GPUs C(nvidia_h100_80gb_hbm3); Slurm accepts a substring as Type.
  - A GPU with MIG on gives one C(MultipleFiles=) line per MIG device, typed by its profile (C(1g.20gb)), with the
    GPU's device file and the two capability device files (C(/dev/nvidia-caps/nvidia-capN), minors from
    C(/proc/driver/nvidia-caps/mig-minors)); the MIG devices are read from C(nvidia-smi -L) and C(nvidia-smi).
  - With O(autodetect=nvml) the lines start with C(AutoDetect=nvml) and carry no C(Cores=); NVML adds cores and
    NVLink C(Links=).
  - Only reads; a host without NVIDIA GPU gives RV(gpus=0). Non-NVIDIA GPUs and GPUs without a model token are
    refused.
author:
  - mlinfra.gpu maintainers (@mlinfra)
extends_documentation_fragment:
  - mlinfra.gpu.attributes.read_only
options:
  gpu_facts:
    description: C(ansible_facts.gpu) of the node.
    type: dict
    required: true
  node_name:
    description: The node's name in Slurm (for the slurm.conf line).
    type: str
    required: true
  autodetect:
    description: V(off) writes every line, with C(Cores=); V(nvml) lets slurmd's NVML plugin complete them.
    type: str
    choices: ["off", nvml]
    default: "off"
  sysfs_root:
    description: Root of sysfs (NUMA CPU lists, CPU topology). For tests and rescue images.
    type: path
    default: /sys
  proc_root:
    description: Root of procfs (C(driver/nvidia-caps/mig-minors)). For tests and rescue images.
    type: path
    default: /proc
  nvidia_smi_path:
    description: Path of C(nvidia-smi), run only when a GPU has MIG on. By default searched on E(PATH).
    type: path
notes:
  - Tools run with C(LANG=C) and C(LC_ALL=C).
seealso:
  - module: mlinfra.gpu.gpu_facts
  - module: mlinfra.gpu.slurm_node
"""

EXAMPLES = r"""
- name: Describe the node's GPUs for Slurm
  mlinfra.gpu.slurm_gres_plan:
    gpu_facts: "{{ ansible_facts.gpu }}"
    node_name: "{{ inventory_hostname_short }}"
  register: gres

- name: Show the line for slurm.conf
  ansible.builtin.debug:
    msg: "{{ gres.slurm_conf_line }}"
"""

RETURN = r"""
gpus:
  description: Number of GPU resources (MIG devices count one each); 0 on a host without NVIDIA GPU.
  returned: always
  type: int
  sample: 8
gres:
  description: The node's C(Gres=) value.
  returned: always
  type: str
  sample: gpu:h100:8
gres_conf:
  description: The node's C(gres.conf) lines.
  returned: always
  type: list
  elements: str
  sample: ["Name=gpu Type=h100 File=/dev/nvidia0 Cores=0-47"]
gres_conf_configless:
  description:
    - The same lines with C(NodeName=<node>) first, for the controller's C(gres.conf) of a config-less cluster
      (slurmd then reads C(gres.conf) from the controller, not from the node).
  returned: always
  type: list
  elements: str
  sample: ["NodeName=gpu-01 Name=gpu Type=h100 File=/dev/nvidia0 Cores=0-47"]
slurm_conf_line:
  description: The node's line for C(slurm.conf) (config-less clusters).
  returned: always
  type: str
  sample: NodeName=gpu-01 Gres=gpu:h100:8
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlinfra.gpu.plugins.module_utils._host import read_text
from ansible_collections.mlinfra.gpu.plugins.module_utils._slurm_gres import (
    GresError, mig_devices, mig_needed, parse_mig_minors, plan, read_cpu_inputs)

_ENV = {"LANG": "C", "LC_ALL": "C"}


def _list_dir(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


def main():
    module = AnsibleModule(
        argument_spec=dict(
            gpu_facts=dict(type="dict", required=True),
            node_name=dict(type="str", required=True),
            autodetect=dict(type="str", choices=["off", "nvml"], default="off"),
            sysfs_root=dict(type="path", default="/sys"),
            proc_root=dict(type="path", default="/proc"),
            nvidia_smi_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    facts = p["gpu_facts"]
    mig, minors = [], {}
    if mig_needed(facts):
        smi = p["nvidia_smi_path"] or module.get_bin_path("nvidia-smi", required=True, opt_dirs=["/usr/bin", "/usr/local/bin"])
        texts = []
        for argv in ([smi, "-L"], [smi]):
            rc, out, err = module.run_command(argv, environ_update=_ENV)
            if rc != 0:
                module.fail_json(msg="%s failed (rc=%s): %s" % (" ".join(argv), rc, (err or out).strip()[:500]))
            texts.append(out)
        mig = mig_devices(texts[0], texts[1])
        minors = parse_mig_minors(read_text(os.path.join(p["proc_root"], "driver/nvidia-caps/mig-minors")))
    numa_cpus, topology = read_cpu_inputs(read_text, _list_dir, p["sysfs_root"],
                                          [d.get("numa_node") for d in facts.get("devices") or []])
    try:
        result = plan(facts, p["node_name"], autodetect=p["autodetect"], numa_cpus=numa_cpus, topology=topology,
                      mig=mig, minors=minors)
    except GresError as e:
        module.fail_json(msg="slurm_gres_plan: %s" % e)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
