# -*- coding: utf-8 -*-
# Copyright: contributors to mlinfra.gpu
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_slurm_maint over real `scontrol show node -o` and `squeue` output of Slurm 22.05 (tests/unit/fixtures/slurm,
tests/unit/fixtures/inventory)."""

from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _slurm_maint as m

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")


def _text(*parts):
    with open(os.path.join(FIX, *parts)) as handle:
        return handle.read()


def show(name, fixture):
    return m.node_from_show(_text("slurm", fixture), name)


OURS = show("cpu-01", "slurm_22.05_show_cpu01_draining.txt")
USERS = show("cpu-02", "slurm_22.05_show_cpu02_user_drained.txt")
RESUMED = show("cpu-01", "slurm_22.05_show_cpu01_resumed.txt")
IDLE = show("gpu-mix-01", "slurm_22.05_show_mix.txt")
ALL = _text("inventory", "slurm_22.05_scontrol_oneliner.txt")


def test_node_from_show_reads_state_and_reason_without_stamp():
    assert (OURS["state"], OURS["state_flags"], OURS["reason"]) == (
        "draining", ["DRAIN"], "mlinfra.gpu maintenance by alice: driver upgrade to 580")
    assert (USERS["state"], USERS["reason"]) == ("drained", "maintenance")
    assert (RESUMED["state"], RESUMED["state_flags"], RESUMED["reason"]) == ("mixed", ["NOT_RESPONDING"], "")
    assert IDLE["gres"] == "gpu:a100:4,gpu:v100:2"


def test_node_from_show_picks_the_node_among_many():
    node = m.node_from_show(ALL, "gpu-a100-03")
    assert (node["state"], node["reason"]) == ("drained", "bad {{ lookup('pipe','id') }} dimm")
    assert m.node_from_show(ALL, "gpu-a100-04")["state"] == "down"


def test_node_from_show_unknown_node():
    with pytest.raises(m.MaintError) as err:
        m.node_from_show(_text("slurm", "slurm_22.05_show_mix.txt"), "gpu-mix-02")
    assert str(err.value) == "scontrol does not show node gpu-mix-02 (it showed: gpu-mix-01)"
    with pytest.raises(m.MaintError) as err:
        m.node_from_show("", "n")
    assert str(err.value) == "scontrol does not show node n (it showed: nothing)"


def test_node_from_show_not_scontrol_output():
    with pytest.raises(m.MaintError) as err:
        m.node_from_show(_text("slurm", "slurm_22.05_show_nosuch_stderr.txt"), "nosuch")
    assert str(err.value) == "unexpected line in scontrol output (expected NodeName=...): 'Node nosuch not found'"


def test_drained_by():
    assert m.drained_by(OURS) == "mlinfra"
    assert m.drained_by(USERS) == "user"
    assert m.drained_by(RESUMED) is None
    assert m.drained_by(IDLE) is None
    assert m.drained_by(m.node_from_show(ALL, "gpu-a100-04")) is None  # down, not drained
    assert m.is_drained(m.node_from_show(ALL, "gpu-a100-03")) is True


@pytest.mark.parametrize("node,state,expected", [
    (IDLE, "drained", {"action": "drain", "drained_by": "mlinfra", "keep_reason": False}),
    (OURS, "drained", {"action": None, "drained_by": "mlinfra", "keep_reason": False}),
    (USERS, "drained", {"action": None, "drained_by": "user", "keep_reason": True}),
    (OURS, "resumed", {"action": "resume", "drained_by": "mlinfra", "keep_reason": False}),
    (USERS, "resumed", {"action": None, "drained_by": "user", "keep_reason": True}),
    (IDLE, "resumed", {"action": None, "drained_by": None, "keep_reason": False}),
    (OURS, "failed", {"action": "fail", "drained_by": "mlinfra", "keep_reason": False}),
    (IDLE, "failed", {"action": "fail", "drained_by": "mlinfra", "keep_reason": False}),
    (USERS, "failed", {"action": None, "drained_by": "user", "keep_reason": True}),
])
def test_decide(node, state, expected):
    assert m.decide(node, state) == expected


def test_decide_unknown_state():
    with pytest.raises(m.MaintError) as err:
        m.decide(IDLE, "down")
    assert str(err.value) == "state must be drained, resumed or failed, got 'down'"


def test_reasons():
    assert m.drain_reason("alice", "driver upgrade to 580") == "mlinfra.gpu maintenance by alice: driver upgrade to 580"
    assert m.drain_reason("", "") == "mlinfra.gpu maintenance by unknown: maintenance"
    assert m.failure_reason("health gate:\n  GPU count 7,\tnot 8") == "mlinfra.gpu maintenance failed: health gate: GPU count 7, not 8"
    assert m.failure_reason(None) == "mlinfra.gpu maintenance failed: unknown error"
    long = m.failure_reason("x" * 500)
    assert (len(long), long[-4:]) == (240, "x...")
    assert len(m.failure_reason("x" * (240 - 32))) == 240
    assert m.failure_reason("x" * (240 - 32)).endswith("xx")


def test_our_reasons_are_recognised_as_ours():
    node = dict(USERS, reason=m.failure_reason("boom"))
    assert m.drained_by(node) == "mlinfra"
    assert m.drained_by(dict(USERS, reason=m.drain_reason("bob", "x"))) == "mlinfra"


def test_argv():
    assert m.update_argv("/usr/bin/scontrol", "gpu-01", "drain", "mlinfra.gpu maintenance by a: b") == [
        "/usr/bin/scontrol", "update", "NodeName=gpu-01", "State=DRAIN", "Reason=mlinfra.gpu maintenance by a: b"]
    assert m.update_argv("scontrol", "gpu-01", "fail", "r") == [
        "scontrol", "update", "NodeName=gpu-01", "State=DRAIN", "Reason=r"]
    assert m.update_argv("scontrol", "gpu-01", "resume") == ["scontrol", "update", "NodeName=gpu-01", "State=RESUME"]
    assert m.squeue_argv("squeue", "gpu-01") == [
        "squeue", "--noheader", "--nodelist=gpu-01", "--states=RUNNING,COMPLETING,CONFIGURING,SUSPENDED,STOPPED",
        "--format=%i|%T|%u|%j"]


def test_parse_jobs():
    assert m.parse_jobs(_text("slurm", "slurm_22.05_squeue_cpu01.txt")) == [
        {"id": "1", "state": "RUNNING", "user": "root", "name": "wrap"}]
    assert m.parse_jobs(_text("slurm", "slurm_22.05_squeue_cpu02.txt")) == []
    assert m.parse_jobs("7|COMPLETING|bob|train|v2\n\n") == [
        {"id": "7", "state": "COMPLETING", "user": "bob", "name": "train|v2"}]


def test_parse_jobs_refuses_another_format():
    with pytest.raises(m.MaintError) as err:
        m.parse_jobs("JOBID PARTITION NAME\n")
    assert str(err.value) == "unexpected squeue line (expected %i|%T|%u|%j): 'JOBID PARTITION NAME'"


def test_wait_message_names_the_jobs():
    jobs = m.parse_jobs("12|RUNNING|alice|train\n13|COMPLETING|bob|eval\n")
    assert m.wait_message("gpu-01", jobs, 600) == (
        "slurm_node: node gpu-01 still runs 2 job(s) after 600s: 12 (train, alice, running), 13 (eval, bob, completing). "
        "The node stays drained; wait longer (timeout) or end the jobs")


class Clock(object):
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_until_the_jobs_end():
    clock = Clock()
    answers = [["j1"], ["j1"], []]
    jobs, polls = m.wait_until(lambda: answers.pop(0), lambda jobs: not jobs, 60, 10, clock.sleep, clock)
    assert (jobs, polls, clock.sleeps) == ([], 3, [10, 10])


def test_wait_gives_up_at_the_timeout():
    clock = Clock()
    jobs, polls = m.wait_until(lambda: ["j1"], lambda jobs: not jobs, 30, 10, clock.sleep, clock)
    assert (jobs, polls, clock.sleeps) == (["j1"], 4, [10, 10, 10])


def test_wait_with_no_job_does_not_sleep():
    clock = Clock()
    assert m.wait_until(lambda: [], lambda jobs: not jobs, 0, 10, clock.sleep, clock) == ([], 1)
    assert clock.sleeps == []


def test_wait_timeout_zero_looks_once():
    clock = Clock()
    assert m.wait_until(lambda: ["j"], lambda jobs: not jobs, 0, 10, clock.sleep, clock) == (["j"], 1)


# ---- edges (each kills a fault the tests above let through)

def test_node_from_show_needs_the_exact_name():
    with pytest.raises(m.MaintError) as err:
        m.node_from_show(ALL, "cpu-015")
    assert str(err.value).startswith("scontrol does not show node cpu-015 (it showed: cpu-01, cpu-02, cpu-03, gpu-a100-01")


@pytest.mark.parametrize("state", ["zzz", "g"])
def test_decide_refuses_states_between_the_known_ones(state):
    with pytest.raises(m.MaintError) as err:
        m.decide(IDLE, state)
    assert str(err.value) == "state must be drained, resumed or failed, got %r" % state


def test_parse_jobs_blank_line_before_a_job():
    assert m.parse_jobs("\n7|RUNNING|bob|x\n") == [{"id": "7", "state": "RUNNING", "user": "bob", "name": "x"}]


def test_parse_jobs_long_line_is_cut_in_the_message():
    with pytest.raises(m.MaintError) as err:
        m.parse_jobs("x" * 300)
    assert str(err.value) == "unexpected squeue line (expected %%i|%%T|%%u|%%j): '%s'" % ("x" * 200)


def test_wait_measures_time_from_the_start():
    clock = Clock()
    clock.now = 10.0
    reads = []

    def read():
        reads.append(1)
        if len(reads) > 20:
            raise AssertionError("the wait does not end")
        return ["j"]
    assert m.wait_until(read, lambda jobs: not jobs, 60, 10, clock.sleep, clock) == (["j"], 7)
