#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: nvidia_mig
short_description: Declarative NVIDIA MIG mode and GPU-instance layouts
version_added: 0.1.0
description:
  - Brings the MIG (Multi-Instance GPU) mode and the GPU-instance layout of selected NVIDIA GPUs to what the rules
    say, changing only what differs. Each GPU instance gets its default compute instance.
  - Reads the current state with C(nvidia-smi --query-gpu=index,uuid,pci.bus_id,mig.mode.current,mig.mode.pending,name),
    C(nvidia-smi -L), the default C(nvidia-smi) table (MIG devices and processes) and, on MIG-enabled GPUs,
    C(nvidia-smi mig -lgip), C(-lgipp), C(-lgi) and C(-lci).
  - Every layout is validated against the GPU's own profiles and placements before anything is changed; a layout
    that does not fit fails naming the GPU, its profiles and its free slices.
  - GPU instances that already match the layout are kept; the others are destroyed (compute instances first) and the
    missing ones created biggest first. When the kept instances leave no room for the missing ones, the whole layout
    is recreated.
  - A MIG mode change that needs a GPU reset (pending mode) is reported in RV(reset_required); with
    O(allow_reset=true) the module runs C(nvidia-smi --gpu-reset -i N) and then applies the layout.
  - Rules use the shape of NVIDIA mig-parted's C(mig-configs) entries (C(devices), C(device-filter),
    C(mig-enabled), C(mig-devices)); hyphenated and underscored keys are both accepted.
author:
  - mlinfra.gpu maintainers (@mlinfra)
attributes:
  check_mode:
    support: full
    description: Reads the state and returns the plan (RV(plan)) and the diff; runs no state-changing command.
  diff_mode:
    support: full
    description: Before and after, per selected GPU, the MIG mode and the GPU instances by profile.
options:
  gpus:
    description:
      - The rules, applied as one layout. Mutually exclusive with O(layout).
      - Each rule selects GPUs (O(gpus[].devices), O(gpus[].device_filter)) and says what they should have. A GPU
        two rules select is refused; a GPU no rule selects is left alone.
    type: list
    elements: dict
    suboptions:
      devices:
        description:
          - V(all), or a list of GPU indexes, GPU UUIDs (C(GPU-...)) and PCI bus ids (C(0000:17:00.0) or
            C(00000000:17:00.0)).
        type: raw
        default: all
      device_filter:
        description: Only GPUs whose name contains one of these strings (case-insensitive), for example C(H100).
        type: list
        elements: str
      mig_enabled:
        description: MIG mode wanted. V(false) destroys all instances and disables MIG.
        type: bool
        default: true
      mig_devices:
        description:
          - The GPU instances wanted, as a mapping of profile to count (mig-parted's C(mig-devices)) or a list of
            profiles (repeat a profile for more). A profile is a name (C(3g.40gb), C(1g.10gb+me)) or a profile id (C(19)).
          - Omitted, the instances are left as they are.
        type: raw
  layouts:
    description:
      - Named layouts, each a list of rules shaped like O(gpus) (mig-parted's C(mig-configs)). Keep them in group
        variables and select one per host with O(layout).
    type: dict
  layout:
    description: Name of the entry of O(layouts) to apply. Mutually exclusive with O(gpus).
    type: str
  force:
    description:
      - Destroy GPU instances even when processes run in them (C(nvidia-smi) may still refuse while they run).
        Without it the module fails naming the instances and the processes, before changing anything.
    type: bool
    default: false
  allow_reset:
    description:
      - When a MIG mode change is pending, reset the GPU (C(nvidia-smi --gpu-reset -i N)) so that it takes effect
        and the layout can be applied in the same run. Without it RV(reset_required) lists the GPUs to reset or
        reboot.
    type: bool
    default: false
  nvidia_smi_path:
    description: Path of C(nvidia-smi). By default searched on E(PATH) and in C(/usr/bin).
    type: path
notes:
  - Commands run with C(LANG=C) and C(LC_ALL=C); argument lists, no shell.
  - Verified against recorded outputs of A100, A30, H100, H100 NVL, B200 and GB200 and a fake C(nvidia-smi); not run
    on a MIG-capable GPU by the collection's tests.
seealso:
  - name: GPU operations documentation
    description: Layout rules, planning order, check mode, resets.
    link: https://github.com/mlinfra/gpu/tree/main/docs/gpu_ops.md
  - name: NVIDIA MIG user guide
    description: Profiles, placements and the nvidia-smi mig commands.
    link: https://docs.nvidia.com/datacenter/tesla/mig-user-guide/
"""

EXAMPLES = r"""
- name: Seven 1g.10gb instances on every H100
  mlinfra.gpu.nvidia_mig:
    gpus:
      - device_filter: [H100]
        mig_devices:
          1g.10gb: 7

- name: Named layouts, one chosen per host (mig_layout in host_vars)
  mlinfra.gpu.nvidia_mig:
    layouts:
      half:
        - devices: all
          mig-enabled: true
          mig-devices: {"3g.40gb": 2}
      mixed:
        - devices: [0, 1]
          mig-devices: ["3g.40gb", "2g.20gb", "1g.10gb", "1g.10gb+me"]
        - devices: [2, 3]
          mig-enabled: false
    layout: "{{ mig_layout }}"
    allow_reset: true
  register: mig

- name: MIG devices for gres.conf
  ansible.builtin.debug:
    msg: "{{ mig.mig_devices | map(attribute='uuid') | list }}"
"""

RETURN = r"""
plan:
  description:
    - The state-changing operations, in order (in check mode, those that would run). Each has C(gpu) (index),
      C(action) (V(enable_mig), V(disable_mig), V(reset), V(destroy_ci), V(destroy_gi), V(create_gi), V(create_ci)),
      C(argv) (the C(nvidia-smi) arguments) and, where it applies, C(gi_id), C(profile), C(profile_id).
  returned: always
  type: list
  elements: dict
  sample:
    - {gpu: 0, action: destroy_gi, argv: [mig, -i, "0", -gi, "2", -dgi], gi_id: 2, profile: 3g.40gb}
    - {gpu: 0, action: create_gi, argv: [mig, -i, "0", -cgi, "19", -C], profile: 1g.10gb, profile_id: 19}
reset_required:
  description: Indexes of the selected GPUs whose MIG mode change waits for a GPU reset or a reboot.
  returned: always
  type: list
  elements: int
  sample: [0]
deferred:
  description: Indexes of GPUs whose layout could not be applied because MIG mode is not in effect yet.
  returned: always
  type: list
  elements: int
  sample: []
mig_devices:
  description:
    - The MIG devices after the run (in check mode, as they are now), one per compute instance, with C(gpu), C(gpu_uuid),
      C(device) (the C(nvidia-smi -L) device number), C(profile), C(uuid), C(gi_id) and C(ci_id).
  returned: always
  type: list
  elements: dict
  sample:
    - {gpu: 0, gpu_uuid: GPU-1e44b340-5807-0dbe-62e6-343a6b8b8bcd, device: 0, profile: 1g.6gb,
       uuid: MIG-41b9eab5-8d48-5c52-9f07-82bc59af3901, gi_id: 3, ci_id: 0}
gpus:
  description:
    - State of every GPU after the run (in check mode, as it is now) - C(index), C(uuid), C(pci_bus_id), C(name), C(mode),
      C(pending), C(profiles) (from C(-lgip)/C(-lgipp)), C(instances) (GPU instances with their compute instances
      and processes) and C(mig_devices).
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlinfra.gpu.plugins.module_utils._nvidia_mig import (
    MigError, apply_plans, build_plans, read_state,
)

_ENV = {"LANG": "C", "LC_ALL": "C"}

_RULE = dict(
    devices=dict(type="raw", default="all"),
    device_filter=dict(type="list", elements="str"),
    mig_enabled=dict(type="bool", default=True),
    mig_devices=dict(type="raw"),
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            gpus=dict(type="list", elements="dict", options=_RULE),
            layouts=dict(type="dict"),
            layout=dict(type="str"),
            force=dict(type="bool", default=False),
            allow_reset=dict(type="bool", default=False),
            nvidia_smi_path=dict(type="path"),
        ),
        mutually_exclusive=[("gpus", "layout")],
        required_one_of=[("gpus", "layout")],
        supports_check_mode=True,
    )
    params = module.params
    binary = params["nvidia_smi_path"] or module.get_bin_path("nvidia-smi", required=True, opt_dirs=["/usr/bin"])

    def run(argv):
        return module.run_command([binary] + argv, environ_update=_ENV)

    try:
        state = read_state(run)
        plans = build_plans(params, state)
        result = apply_plans(run, plans, state, params, module.check_mode)
    except MigError as exc:
        module.fail_json(msg=str(exc), **exc.context)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
