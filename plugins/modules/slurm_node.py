#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to mlinfra.gpu
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: slurm_node
short_description: Read, drain, resume a Slurm node for maintenance, and check its Gres= against the controller
version_added: 0.1.0
description:
  - Runs C(scontrol) and C(squeue) where they reach the controller (the node itself, or a login/controller host
    with C(delegate_to)).
  - Without O(state) it only reads the node (C(scontrol show node -o)); with O(expected_gres) it waits (at most O(timeout)
    seconds, for a slurmd that was just restarted to register) until the controller's C(Gres=) fits and the controller
    has not drained the node for its GRES, else fails naming the node, both values and the line to put in slurm.conf.
  - O(state=drained) drains the node with a reason that starts with C(mlinfra.gpu maintenance by <who>) followed by the reason, then
    (O(wait_jobs)) waits until its running jobs end; after O(timeout) seconds it fails naming the jobs still
    running; the node stays drained. A node someone else drained is not touched and keeps its reason
    (RV(drained_by=user)).
  - O(state=resumed) resumes the node only when our drain is on it; a node someone else drained stays drained.
  - O(state=failed) keeps the node drained with the failure (O(reason)) as its reason, unless someone else drained it.
author:
  - mlinfra.gpu maintainers (@mlinfra)
attributes:
  check_mode:
    support: full
    description: Reads the node and says what would change; does not drain, resume or wait.
  diff_mode:
    support: none
    description: No diff.
options:
  name:
    description: The node's name in Slurm.
    type: str
    required: true
  state:
    description: What to do (see the description); not set - only read the node.
    type: str
    choices: [drained, resumed, failed]
  who:
    description: Who drains (part of the reason), for example the user running the playbook.
    type: str
    default: ansible
  reason:
    description: Why (O(state=drained)) or what failed (O(state=failed)).
    type: str
    default: maintenance
  wait_jobs:
    description: With O(state=drained), wait until the node runs no job.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for running jobs (O(state=drained)) or for the controller's C(Gres=) to fit (O(expected_gres)).
    type: int
    default: 3600
  poll:
    description: Seconds between two looks at the jobs.
    type: int
    default: 10
  expected_gres:
    description: Without O(state), the node's own C(Gres=) (mlinfra.gpu.slurm_gres_plan) to compare.
    type: str
  scontrol_path:
    description: Path of C(scontrol); searched on E(PATH) by default.
    type: path
  squeue_path:
    description: Path of C(squeue); searched on E(PATH) by default.
    type: path
notes:
  - Commands run with C(LANG=C) and C(LC_ALL=C), as argument lists.
seealso:
  - module: mlinfra.gpu.slurm_gres_plan
"""

EXAMPLES = r"""
- name: Drain for a driver upgrade and wait for the jobs (at most 2 hours)
  mlinfra.gpu.slurm_node:
    name: "{{ inventory_hostname_short }}"
    state: drained
    who: alice
    reason: driver upgrade to 580
    timeout: 7200
  register: drain

- name: Resume (only if we drained it)
  mlinfra.gpu.slurm_node:
    name: "{{ inventory_hostname_short }}"
    state: resumed
"""

RETURN = r"""
node:
  description: The node as scontrol shows it after the change (C(name), C(state), C(state_flags), C(gres), C(reason)...).
  returned: always
  type: dict
  sample: {name: gpu-01, state: drained, state_flags: [DRAIN], gres: "gpu:h100:8", reason: "mlinfra.gpu maintenance by alice: driver"}
drained_by:
  description: V(mlinfra) (our drain), V(user) (someone else's, kept) or V(null) (not drained).
  returned: always
  type: str
  sample: mlinfra
jobs:
  description: Jobs still running on the node after the wait (C(id), C(state), C(user), C(name)).
  returned: when O(state=drained)
  type: list
  elements: dict
  sample: []
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlinfra.gpu.plugins.module_utils._slurm_gres import GresError, compare
from ansible_collections.mlinfra.gpu.plugins.module_utils._slurm_maint import (
    MaintError, decide, drain_reason, failure_reason, node_from_show, parse_jobs, squeue_argv, update_argv,
    wait_message, wait_until)

_ENV = {"LANG": "C", "LC_ALL": "C"}


class _Slurm:
    def __init__(self, module):
        self.module = module
        p = module.params
        self.scontrol = p["scontrol_path"] or module.get_bin_path("scontrol", required=True)
        self.squeue = p["squeue_path"] or (module.get_bin_path("squeue", required=True) if p["state"] == "drained" else None)

    def run(self, argv):
        rc, out, err = self.module.run_command(argv, environ_update=_ENV)
        if rc != 0:
            raise MaintError("%s failed (rc=%s): %s" % (" ".join(argv), rc, (err or out).strip()[:500]))
        return out

    def node(self, name):
        return node_from_show(self.run([self.scontrol, "show", "node", "-o", name]), name)

    def jobs(self, name):
        return parse_jobs(self.run(squeue_argv(self.squeue, name)))


def _execute(module, slurm):
    p = module.params
    name = p["name"]
    node = slurm.node(name)
    if p["state"] is None:
        if p["expected_gres"] is not None:
            def problem(n):
                return compare(name, n["gres"], p["expected_gres"], n["reason"])
            node, _polls = wait_until(lambda: slurm.node(name), lambda n: problem(n) is None, p["timeout"], p["poll"],
                                      time.sleep, time.monotonic)
            if problem(node):
                module.fail_json(msg=problem(node), node=node)
        return dict(changed=False, node=node, drained_by=decide(node, "resumed")["drained_by"])
    plan = decide(node, p["state"])
    if plan["action"] and not module.check_mode:
        reason = drain_reason(p["who"], p["reason"]) if plan["action"] == "drain" else failure_reason(p["reason"])
        slurm.run(update_argv(slurm.scontrol, name, plan["action"], reason))
        node = slurm.node(name)
    result = dict(changed=bool(plan["action"]), node=node, drained_by=plan["drained_by"])
    if p["state"] == "drained":
        jobs = []
        if p["wait_jobs"] and not module.check_mode:
            jobs, _polls = wait_until(lambda: slurm.jobs(name), lambda jobs: not jobs, p["timeout"], p["poll"], time.sleep,
                                      time.monotonic)
        result["jobs"] = jobs
        if jobs:
            module.fail_json(msg=wait_message(name, jobs, p["timeout"]), **result)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["drained", "resumed", "failed"]),
            who=dict(type="str", default="ansible"),
            reason=dict(type="str", default="maintenance"),
            wait_jobs=dict(type="bool", default=True),
            timeout=dict(type="int", default=3600),
            poll=dict(type="int", default=10),
            expected_gres=dict(type="str"),
            scontrol_path=dict(type="path"),
            squeue_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    try:
        result = _execute(module, _Slurm(module))
    except (MaintError, GresError) as e:
        module.fail_json(msg="slurm_node: %s" % e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
