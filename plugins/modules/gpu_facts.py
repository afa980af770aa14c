#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: gpu_facts
short_description: Discover NVIDIA and AMD GPUs, their driver and NVSwitches
version_added: 0.1.0
description:
  - Sets C(ansible_facts.gpu) with the GPUs of the host, read from PCI (sysfs) and, when a driver works, from
    C(nvidia-smi) (one C(--query-gpu) call plus C(--version)), C(amd-smi) or C(rocm-smi).
  - Works before any driver is installed; GPUs are then named from the PCI-ID catalogue the collection ships.
  - A driver that is installed but not working (for example C(NVIDIA-SMI has failed because it couldn't
    communicate with the NVIDIA driver)) does not fail the module; C(ansible_facts.gpu.driver.loaded) is then
    V(false) and C(ansible_facts.gpu.driver.error) holds the message.
  - A host without GPUs gives RV(ansible_facts.gpu.count=0).
author:
  - mlinfra.gpu maintainers (@mlinfra)
extends_documentation_fragment:
  - mlinfra.gpu.attributes.read_only
attributes:
  facts:
    support: full
    description: Sets C(ansible_facts.gpu).
options:
  sysfs_root:
    description:
      - Root of the sysfs tree whose C(bus/pci/devices) is scanned.
      - For tests and rescue images (a host's sysfs mounted elsewhere).
    type: path
    default: /sys
  proc_root:
    description:
      - Root of procfs, for C(driver/nvidia/version) (open or proprietary kernel module).
      - For tests and rescue images.
    type: path
    default: /proc
  nvidia_smi_path:
    description:
      - Path of C(nvidia-smi). By default it is searched on E(PATH) and in C(/usr/bin), C(/usr/local/bin).
    type: path
  amd_smi_path:
    description:
      - Path of C(amd-smi). By default it is searched on E(PATH) and in C(/opt/rocm/bin).
    type: path
  rocm_smi_path:
    description:
      - Path of C(rocm-smi), used when C(amd-smi) is absent or fails. By default searched like O(amd_smi_path).
    type: path
  query_tools:
    description:
      - Run the vendor tools. With V(false) only PCI and procfs are read (no process is started).
    type: bool
    default: true
notes:
  - Tools run with C(LANG=C) and C(LC_ALL=C).
  - NVSwitches are NVIDIA PCI functions of class C(0x0680); fabric manager is needed when
    RV(ansible_facts.gpu.nvswitch_count) is above zero.
seealso:
  - name: GPU facts documentation
    description: Fact layout, sources and measured cost.
    link: https://github.com/mlinfra/gpu/tree/main/docs/gpu_facts.md
"""

EXAMPLES = r"""
- name: Gather GPU facts
  mlinfra.gpu.gpu_facts:

- name: Show the GPUs
  ansible.builtin.debug:
    msg: "{{ ansible_facts.gpu.count }} GPU(s): {{ ansible_facts.gpu.devices | map(attribute='name') | list }}"

- name: Fabric manager is needed on NVSwitch systems
  ansible.builtin.debug:
    msg: "install nvidia-fabricmanager"
  when: ansible_facts.gpu.nvswitch_count > 0

- name: Only PCI, no vendor tool (for example before the driver is installed)
  mlinfra.gpu.gpu_facts:
    query_tools: false
"""

RETURN = r"""
ansible_facts:
  description: Facts added to C(ansible_facts).
  returned: always
  type: dict
  contains:
    gpu:
      description: GPU facts of the host.
      returned: always
      type: dict
      contains:
        count:
          description: Number of GPUs.
          returned: always
          type: int
          sample: 8
        vendors:
          description: Vendors present, sorted.
          returned: always
          type: list
          elements: str
          sample: [nvidia]
        devices:
          description:
            - One entry per GPU. Keys are C(index), C(vendor) (V(nvidia) or V(amd)), C(name), C(model) (normalised
              model token, for example V(h100) or V(rx7900xtx), the same whichever tool answered; V(null) when
              nothing names a model, for example an APU reported by its chip C(Phoenix3)), C(uuid) (V(null)
              without a driver), C(pci_bus_id) (sysfs form C(0000:18:00.0)), C(pci_device_id) (C(10de:2330)),
              C(architecture) (NVIDIA V(kepler) .. V(blackwell); AMD V(gcn5), V(cdna) .. V(cdna4), V(rdna1) ..
              V(rdna4)), C(compute_capability) (NVIDIA), C(gfx_target) (AMD LLVM target, for example V(gfx1100)),
              C(memory_mib), C(mig_mode) (V(enabled), V(disabled) or V(null) when not supported) and C(numa_node).
          returned: always
          type: list
          elements: dict
          sample:
            - index: 0
              vendor: nvidia
              name: NVIDIA H100 80GB HBM3
              model: h100
              uuid: GPU-00000000-0000-0000-0000-000000000000
              pci_bus_id: "0000:18:00.0"
              pci_device_id: "10de:2330"
              architecture: hopper
              compute_capability: "9.0"
              gfx_target: null
              memory_mib: 81559
              mig_mode: disabled
              numa_node: 0
        driver:
          description:
            - The NVIDIA driver. C(loaded) is V(true) when C(nvidia-smi) answered (or, without C(nvidia-smi), when
              the kernel module is loaded); C(version); C(kernel_module) V(open), V(proprietary) or V(null);
              C(cuda_version) the highest CUDA the driver supports; C(error) the message of a driver that does not work.
          returned: always
          type: dict
          sample: {loaded: true, version: "590.48.01", kernel_module: open, cuda_version: "13.1", error: null}
        amd_driver:
          description: The AMD driver as seen by C(amd-smi) or C(rocm-smi) (C(loaded), C(version), C(error)).
          returned: always
          type: dict
          sample: {loaded: true, version: "6.18.3", error: null}
        nvswitch_count:
          description: NVSwitch bridges seen on PCI; fabric manager is needed when above zero.
          returned: always
          type: int
          sample: 0
        nvswitches:
          description:
            - The NVSwitch PCI functions (C(pci_bus_id), C(pci_device_id), C(name)).
            - C(name) is V(null) for an NVSwitch id the catalogue does not know.
          returned: always
          type: list
          elements: dict
          sample: []
        sources:
          description: Where the facts came from (V(pci), V(procfs), V(nvidia-smi), V(amd-smi), V(rocm-smi)).
          returned: always
          type: list
          elements: str
          sample: [pci, procfs, nvidia-smi]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlinfra.gpu.plugins.module_utils._gpu_facts import ToolError, collect
from ansible_collections.mlinfra.gpu.plugins.module_utils._host import read_text

_ENV = {"LANG": "C", "LC_ALL": "C"}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            sysfs_root=dict(type="path", default="/sys"),
            proc_root=dict(type="path", default="/proc"),
            nvidia_smi_path=dict(type="path"),
            amd_smi_path=dict(type="path"),
            rocm_smi_path=dict(type="path"),
            query_tools=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params

    def binary(option, name, extra):
        if params[option]:
            return params[option]
        return module.get_bin_path(name, opt_dirs=extra)

    def run(cmd):
        return module.run_command(cmd, environ_update=_ENV)

    try:
        facts = collect(
            run, read_text, sysfs_root=params["sysfs_root"], proc_root=params["proc_root"],
            nvidia_smi=binary("nvidia_smi_path", "nvidia-smi", ["/usr/bin", "/usr/local/bin"]),
            amd_smi=binary("amd_smi_path", "amd-smi", ["/opt/rocm/bin"]),
            rocm_smi=binary("rocm_smi_path", "rocm-smi", ["/opt/rocm/bin"]),
            query_tools=params["query_tools"],
        )
    except ToolError as exc:
        module.fail_json(msg=str(exc), cmd=exc.cmd, rc=exc.rc, stdout=exc.stdout, stderr=exc.stderr)
    module.exit_json(changed=False, ansible_facts={"gpu": facts})


if __name__ == "__main__":
    main()
