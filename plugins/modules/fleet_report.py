#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: fleet_report
short_description: The GPU fleet report (summary, a table per group, drift) as data, Markdown and HTML
version_added: 0.1.0
description:
  - Action plugin; runs on the controller and reads the variables of the given hosts (C(hostvars)) - the GPU facts
    of M(mlinfra.gpu.gpu_facts), C(group_names) and, when a host has them, the results the roles publish (driver
    status with pending reboots, container runtime, CUDA toolkit, C(gpu_health) result, ML framework environments,
    storage mounts; see O(sources)).
  - Returns the report model (RV(report)) with a summary (hosts, GPUs by model, drivers, CUDA ceilings, kernel
    module flavours, container runtimes, frameworks), a table per inventory group, the drift (hosts whose driver
    branch, CUDA ceiling, module flavour, runtime or framework versions differ from their group's majority),
    unhealthy GPUs and pending reboots; and the same as Markdown (RV(markdown)) and as one self-contained HTML
    page (RV(html); inline CSS, no script, no external asset, every value escaped).
  - Drift rule - per group and field, the majority is the value more hosts have than any other; a host whose value
    differs drifts. When the most common values tie there is no majority and every host with a value drifts. A host
    without a value (null) neither votes nor drifts.
  - Writes nothing; the playbook mlinfra.gpu.fleet_report writes the files with M(ansible.builtin.copy).
author:
  - mlinfra.gpu maintainers (@mlinfra)
attributes:
  check_mode:
    support: full
    description: Reads variables only; the same result in check mode.
  diff_mode:
    support: none
    description: Changes nothing.
options:
  hosts:
    description: The inventory hostnames to report on; hosts that are not in the inventory are skipped.
    type: list
    elements: str
    required: true
  groups:
    description:
      - The groups to make a table of, in that order. Default - every group of the hosts except C(all), sorted;
        a host in no other group is under C(ungrouped). Drift is computed within each table.
    type: list
    elements: str
    default: []
  sources:
    description:
      - Which host variable each optional part of a host's record is read from (a name or a list of names, the first
        defined wins). Keys and defaults - C(nvidia_driver=nvidia_driver_status),
        C(container_runtime=[container_runtime_status, container_runtime_plan]), C(cuda_toolkit=cuda_toolkit_status),
        C(health=gpu_health_result), C(frameworks=ml_frameworks_status), C(storage=storage_mounts_status),
        C(reboot=mlinfra_reboot_status). An unknown key fails the task.
    type: dict
    default: {}
notes:
  - The record format each source may have is documented in docs/fleet_report.md.
  - The output has no timestamp, so the same fleet gives the same files.
seealso:
  - name: Fleet report documentation
    description: Record format, drift rule, files written.
    link: https://github.com/mlinfra/gpu/tree/main/docs/fleet_report.md
"""

EXAMPLES = r"""
- name: Build the report of every host of the gpu group
  mlinfra.gpu.fleet_report:
    hosts: "{{ groups['gpu'] }}"
    groups: [training, inference]
    sources:
      frameworks: my_envs
  register: fleet

- name: Write the HTML page
  ansible.builtin.copy:
    dest: /tmp/fleet.html
    content: "{{ fleet.html }}"
    mode: "0644"
"""

RETURN = r"""
report:
  description:
    - The model - C(summary) (C(hosts), C(gpus), C(gpus_by_model), C(drivers), C(cuda), C(kernel_modules),
      C(runtimes), C(frameworks) as value to host count maps, C(hosts_drifting), C(unhealthy_gpus),
      C(hosts_unhealthy), C(reboots_pending), C(hosts_without_gpu_facts)), C(hosts) (one record per host, sorted by
      name), C(groups) (C(name), C(hosts), C(majority), C(ties), C(drift) host to fields), C(drift) (C(group),
      C(host), C(field), C(value), C(majority); majority V(null) on a tie) and C(problems) (C(unhealthy), C(reboots)).
  returned: always
  type: dict
markdown:
  description: The report as Markdown; drifting cells in bold followed by C(!).
  returned: always
  type: str
html:
  description: The report as one self-contained HTML page; drifting cells carry the CSS class C(drift).
  returned: always
  type: str
"""
