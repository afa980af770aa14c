#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: gpu_health
short_description: Read-only health checks of NVIDIA and AMD GPUs, with evidence and a verdict to gate on
version_added: 0.1.0
description:
  - Runs read-only checks on every NVIDIA and AMD GPU of the host; each check gives V(pass), V(warn), V(fail) or
    V(skip) (not reported by this GPU or driver) with its evidence.
  - Checks - uncorrectable ECC errors (volatile fails, aggregate warns), retired pages (pending or too many),
    row remapping (pending or failed), PCIe link below its maximum width (fails) or generation (warns unless the GPU
    is idle), temperature, clock event (throttle) reasons, persistence mode, driver and fabric manager versions,
    NVLink error counters, Xid errors in the kernel log of this boot (journal or dmesg) with their meaning and the
    recommended action, and C(dcgmi diag -r N) when DCGM is installed and O(dcgm_diag_level) is above 0.
  - Xids logged for a PCI address where C(nvidia-smi) lists no GPU (a GPU that has fallen off the bus) fail the node
    check C(xid_unlisted_gpu).
  - AMD GPUs (read with C(amd-smi metric --json) and C(amd-smi static --json), or C(rocm-smi -a --json) without
    C(amd-smi)) - C(ecc) (uncorrectable errors fail, correctable ones above C(ecc_correctable_max) warn), C(pcie_link)
    (current width and speed against the C(amd-smi static) maxima), C(pcie_replay) (replay count above
    C(pcie_replay_max) warns), C(temperature) (the hottest of edge, junction and hotspot) and C(throttle) (the active
    violations; PROCHOT takes the verdict of C(hw_slowdown), socket, VR and HBM thermal that of
    C(hw_thermal_slowdown), PPT that of C(sw_power_cap)). What the tool does not report is V(skip).
  - RV(healthy) is V(false) when any check fails; warnings do not make a GPU unhealthy.
author:
  - mlinfra.gpu maintainers (@mlinfra)
extends_documentation_fragment:
  - mlinfra.gpu.attributes.read_only
options:
  thresholds:
    description:
      - Overrides of the limits and verdicts. Keys and defaults - C(ecc_volatile_uncorrected_max=0) (above fails),
        C(ecc_aggregate_uncorrected_max=0) (above warns), C(retired_pages_warn=1), C(retired_pages_fail=60),
        C(remapped_uncorrectable_warn=1), C(temperature_warn=85), C(temperature_fail=95),
        C(pcie_width_below_max=fail), C(pcie_gen_below_max=warn), C(persistence_disabled=warn) (verdicts V(pass),
        V(warn) or V(fail)), C(throttle_fail=[hw_slowdown, hw_thermal_slowdown, hw_power_brake_slowdown]),
        C(throttle_warn=[sw_thermal_slowdown]), C(nvlink_errors_max=0) (above warns), C(xid_ignore=[]) (Xid codes
        not judged); for AMD GPUs also C(ecc_correctable_max=0) (above warns) and C(pcie_replay_max=0) (above warns);
        their uncorrectable ECC errors are judged by C(ecc_volatile_uncorrected_max).
    type: dict
    default: {}
  kernel_log:
    description: Where Xids are read - the journal of this boot, C(dmesg), the first that works (V(auto)) or nowhere.
    type: str
    choices: [auto, journal, dmesg, none]
    default: auto
  dcgm_diag_level:
    description: Run C(dcgmi diag -r LEVEL) when C(dcgmi) is installed; V(0) does not run it. Level 3 takes minutes.
    type: int
    choices: [0, 1, 2, 3, 4]
    default: 1
  nvlink:
    description: Read the NVLink error counters (C(nvidia-smi nvlink -e)).
    type: bool
    default: true
  nvidia_smi_path:
    description: Path of C(nvidia-smi); by default searched on E(PATH) and in the C(sbin) directories.
    type: path
  dcgmi_path:
    description: Path of C(dcgmi); by default searched on E(PATH). Not found, the DCGM check is skipped.
    type: path
  fabricmanager_path:
    description: Path of C(nv-fabricmanager); by default searched on E(PATH). Not found, the version check is skipped.
    type: path
  journalctl_path:
    description: Path of C(journalctl); by default searched on E(PATH).
    type: path
  dmesg_path:
    description: Path of C(dmesg); by default searched on E(PATH). Reading it may need root.
    type: path
  amd_smi_path:
    description:
      - Path of C(amd-smi); by default searched on E(PATH) and in C(/opt/rocm/bin). Not found, C(rocm-smi) is used.
    type: path
  rocm_smi_path:
    description:
      - Path of C(rocm-smi); by default searched on E(PATH) and in C(/opt/rocm/bin). Used when C(amd-smi) is missing
        or fails.
    type: path
notes:
  - Commands run with C(LANG=C) and C(LC_ALL=C); argument lists, no shell.
  - Verified against recorded outputs (nvidia-smi queries of H100 and RTX GPUs, C(-q) memory sections of A100, real
    Xid kernel-log lines, C(dcgmi diag) of DCGM 3.3.9 and 4.0.0) and a fake C(nvidia-smi).
  - AMD - verified against recorded C(rocm-smi -a --json) outputs of MI250 (ROCm 5 and 6) and C(amd-smi) JSON
    written from AMD's documented schema (no recorded C(amd-smi metric) output with ECC or PCIe counters yet).
  - Without C(nvidia-smi), C(amd-smi) and C(rocm-smi) the module fails; on a host with only AMD tools a failing
    tool fails the module, next to C(nvidia-smi) it gives the node check C(amd_gpus) V(warn).
seealso:
  - name: GPU operations documentation
    description: Checks, thresholds, Xid table and the fleet playbook.
    link: https://github.com/mlinfra/gpu/tree/main/docs/gpu_ops.md
  - name: NVIDIA Xid catalogue
    description: Meaning and resolution of each Xid.
    link: https://docs.nvidia.com/deploy/xid-errors/analyzing-xid-catalog.html
"""

EXAMPLES = r"""
- name: Check the GPUs
  mlinfra.gpu.gpu_health:
    dcgm_diag_level: 1
  register: health

- name: Stop here when a GPU is sick
  ansible.builtin.assert:
    that: health.healthy
    fail_msg: "{{ health.reason }}"

- name: Warmer data centre, hotter limits, Xid 13 is the users' business
  mlinfra.gpu.gpu_health:
    thresholds:
      temperature_warn: 88
      xid_ignore: [13]
"""

RETURN = r"""
healthy:
  description: V(true) when no check failed (on any GPU or on the node).
  returned: always
  type: bool
  sample: false
failing:
  description: Failing checks by C(gpuN) (NVIDIA), C(amdN) (AMD) and C(node); empty when healthy.
  returned: always
  type: dict
  sample: {gpu0: [ecc, xid]}
reason:
  description: The failing checks in one line, suitable as a Slurm drain reason.
  returned: always
  type: str
  sample: "gpu0: ecc, xid"
gpus:
  description:
    - One entry per GPU - C(index), C(uuid), C(name), C(pci_bus_id), C(healthy), C(failing), C(warnings) and
      C(checks) (each C(check), C(status), C(evidence)); AMD GPUs come after the NVIDIA ones, with C(vendor=amd)
      and the checks C(ecc), C(pcie_link), C(pcie_replay), C(temperature), C(throttle).
  returned: always
  type: list
  elements: dict
  sample:
    - index: 0
      healthy: false
      failing: [row_remap]
      checks:
        - {check: row_remap, status: fail, evidence: "remapped rows: correctable 1, uncorrectable 0, pending yes, ..."}
node_checks:
  description: Checks of the node - C(dcgm_diag), C(xid_unlisted_gpu), C(kernel_log), and C(amd_gpus) when an AMD tool
    is installed.
  returned: always
  type: list
  elements: dict
dcgm:
  description: The parsed C(dcgmi diag) report (C(version), C(driver), C(tests)) or V(null) when not run.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlinfra.gpu.plugins.module_utils._gpu_health import HealthError, collect

_ENV = {"LANG": "C", "LC_ALL": "C"}
_OPT_DIRS = ["/opt/rocm/bin"]  # where ROCm installs amd-smi and rocm-smi
_TOOLS = (("nvidia-smi", "nvidia_smi_path"), ("dcgmi", "dcgmi_path"), ("nv-fabricmanager", "fabricmanager_path"),
          ("journalctl", "journalctl_path"), ("dmesg", "dmesg_path"), ("amd-smi", "amd_smi_path"),
          ("rocm-smi", "rocm_smi_path"))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            thresholds=dict(type="dict", default={}),
            kernel_log=dict(type="str", default="auto", choices=["auto", "journal", "dmesg", "none"]),
            dcgm_diag_level=dict(type="int", default=1, choices=[0, 1, 2, 3, 4]),
            nvlink=dict(type="bool", default=True),
            nvidia_smi_path=dict(type="path"),
            dcgmi_path=dict(type="path"),
            fabricmanager_path=dict(type="path"),
            journalctl_path=dict(type="path"),
            dmesg_path=dict(type="path"),
            amd_smi_path=dict(type="path"),
            rocm_smi_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    tools = dict((name, params[option] or module.get_bin_path(name, opt_dirs=_OPT_DIRS)) for name, option in _TOOLS)

    def run(argv):
        return module.run_command(argv, environ_update=_ENV)

    try:
        result = collect(run, tools, params)
    except HealthError as exc:
        module.fail_json(msg=str(exc), **exc.context)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
