# -*- coding: utf-8 -*-
# Copyright: contributors to mlinfra.gpu
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Slurm-native maintenance decisions (private to the collection): pure functions behind mlinfra.gpu.slurm_node.

A node is drained with a reason that starts with ``MARKER`` and says who and why; that prefix is how a later step
(or a second run) tells our drain from one a person made. A node a person drained stays drained and keeps their
reason; a node we drained is resumed after the work, or, when the work failed, keeps its drain with the failure as
reason. Running jobs come from ``squeue`` (``JOBS_FORMAT``); the node from ``scontrol show node -o``
(module_utils/_slurm_text, shared with the inventory plugin).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mlinfra.gpu.plugins.module_utils._slurm_text import (
    SlurmSourceError, _node_from_text, node_state, parse_scontrol_oneliner)

MARKER = "mlinfra.gpu maintenance"
# job id, state, user, name: the name last, as the only field that may hold the separator
JOBS_FORMAT = "%i|%T|%u|%j"
ACTIVE_JOB_STATES = "RUNNING,COMPLETING,CONFIGURING,SUSPENDED,STOPPED"
REASON_MAX = 240


class MaintError(Exception):
    """A Slurm answer that cannot be used, or a node that cannot be handled; the message says what."""


def node_from_show(text, name):
    """The node ``name`` from ``scontrol show node -o <name>`` output, normalised (see _slurm_text)."""
    try:
        nodes = [_node_from_text(fields) for fields in parse_scontrol_oneliner(text)]
    except SlurmSourceError as e:
        raise MaintError(str(e))
    for node in nodes:
        if node["name"] == name:
            node["state"] = node_state(node["base_state"], node["state_flags"])
            return node
    raise MaintError("scontrol does not show node %s (it showed: %s)" % (name, ", ".join(n["name"] for n in nodes) or "nothing"))


def is_drained(node):
    """Drained or draining (the DRAIN flag, whatever the base state)."""
    return "DRAIN" in node["state_flags"]


def drained_by(node):
    """``mlinfra`` (our reason), ``user`` (drained with another reason) or None (not drained)."""
    if not is_drained(node):
        return None
    return "mlinfra" if node["reason"].startswith(MARKER) else "user"


def drain_reason(who, why):
    """The reason our drain carries: says who and why, starts with MARKER."""
    return _cut("%s by %s: %s" % (MARKER, who or "unknown", why or "maintenance"))


def failure_reason(message):
    """The reason a node keeps when its maintenance failed."""
    return _cut("%s failed: %s" % (MARKER, " ".join(str(message or "unknown error").split())))


def _cut(text):
    return text if len(text) <= REASON_MAX else text[:REASON_MAX - 3] + "..."


def decide(node, state):
    """What to do to reach ``state`` (drained, resumed, failed) from ``node``.

    Returns {"action": "drain"|"resume"|"fail"|None, "drained_by": mlinfra|user|None, "keep_reason": bool}.
    """
    by = drained_by(node)
    if state == "drained":
        return {"action": None if by else "drain", "drained_by": by or "mlinfra", "keep_reason": by == "user"}
    if state == "resumed":
        return {"action": "resume" if by == "mlinfra" else None, "drained_by": by, "keep_reason": by == "user"}
    if state == "failed":
        return {"action": None if by == "user" else "fail", "drained_by": by or "mlinfra", "keep_reason": by == "user"}
    raise MaintError("state must be drained, resumed or failed, got %r" % (state,))


def update_argv(scontrol, name, action, reason=""):
    """``scontrol update`` for an action of decide()."""
    argv = [scontrol, "update", "NodeName=%s" % name]
    if action == "resume":
        return argv + ["State=RESUME"]
    return argv + ["State=DRAIN", "Reason=%s" % reason]


def squeue_argv(squeue, name):
    return [squeue, "--noheader", "--nodelist=%s" % name, "--states=%s" % ACTIVE_JOB_STATES, "--format=%s" % JOBS_FORMAT]


def parse_jobs(text):
    """``squeue --format=%i|%T|%u|%j`` lines -> [{id, state, user, name}]."""
    jobs = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        fields = line.strip().split("|", 3)
        if len(fields) != 4:
            raise MaintError("unexpected squeue line (expected %s): %r" % (JOBS_FORMAT, line[:200]))
        jobs.append({"id": fields[0], "state": fields[1], "user": fields[2], "name": fields[3]})
    return jobs


def jobs_text(jobs):
    return ", ".join("%s (%s, %s, %s)" % (j["id"], j["name"], j["user"], j["state"].lower()) for j in jobs)


def wait_message(name, jobs, timeout):
    return ("slurm_node: node %s still runs %d job(s) after %ss: %s. The node stays drained; wait longer "
            "(timeout) or end the jobs" % (name, len(jobs), timeout, jobs_text(jobs)))


def wait_until(read, done, timeout, interval, sleep, clock):
    """Call ``read()`` until ``done(answer)`` or ``timeout`` seconds pass; returns (last answer, number of reads)."""
    start = clock()
    polls = 0
    while True:
        answer = read()
        polls += 1
        if done(answer) or clock() - start + interval > timeout:
            return answer, polls
        sleep(interval)
