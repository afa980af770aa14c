"""Bad input to mlinfra.gpu.storage_mounts: refused before any change, naming the value and what would work.

The role runs against localhost in check mode (a mistake in these tests cannot touch the machine's disks or fstab);
each case asserts the role's whole message and that the play recap shows no change. A good input through the same
harness must come out accepted, so that the harness can fail.
"""
import json

import pytest

from role_harness import run_play

PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Apply the role
      block:
        - name: The role
          ansible.builtin.include_role:
            name: mlinfra.gpu.storage_mounts
        - name: Accepted
          ansible.builtin.set_fact:
            outcome: {verdict: accepted, msg: ""}
      rescue:
        - name: Refused
          ansible.builtin.set_fact:
            outcome: {verdict: refused, msg: "{{ ansible_failed_result.msg }}"}
    - name: Outcome
      ansible.builtin.copy:
        content: "{{ outcome | to_json }}"
        dest: "{{ outcome_file }}"
        mode: "0644"
      check_mode: false
"""


def run_role(tmp_path, extra_vars, changes=1):
    outcome = tmp_path / "outcome.json"
    proc = run_play(tmp_path, PLAY, dict(extra_vars, outcome_file=str(outcome)))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    # a refusal: the only change of the play is the outcome file, written outside check mode
    assert changes is None or "changed=%d " % changes in proc.stdout, proc.stdout[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    return json.loads(outcome.read_text())


CASES = [
    ({"storage_mounts_scratch": [{"path": "scratch", "devices": ["/dev/null"]}]},
     "storage_mounts: storage_mounts_scratch[0] path 'scratch' is not an absolute path; use a path such as /scratch. "
     "Nothing was changed."),
    ({"storage_mounts_scratch": [{"path": "/scratch", "devices": ["/dev/mlinfra-no-such-disk"], "fstype": "zfs"}]},
     "storage_mounts: storage_mounts_scratch /scratch fstype 'zfs' is not one of xfs, ext4, btrfs. Nothing was "
     "changed."),
    ({"storage_mounts_scratch": [{"path": "/scratch", "devices": ["/dev/mlinfra-no-such-disk"]}]},
     "storage_mounts: scratch /scratch: device /dev/mlinfra-no-such-disk does not exist on this host (see lsblk, or "
     "ls -l /dev/disk/by-id). Nothing was changed."),
    ({"storage_mounts_tmpfs": [{"path": "/mnt/a", "size": "1g"}],
      "storage_mounts_network": [{"path": "/mnt/a/", "src": "nas:/e", "fstype": "nfs4"}]},
     "storage_mounts: mount point /mnt/a is given twice (storage_mounts_network and storage_mounts_tmpfs); each path "
     "can be mounted once. Nothing was changed."),
]


@pytest.mark.integration
@pytest.mark.parametrize("extra_vars, message", CASES)
def test_bad_input_is_refused_before_any_change(tmp_path, extra_vars, message):
    assert run_role(tmp_path, extra_vars) == {"verdict": "refused", "msg": message}


@pytest.mark.integration
def test_good_input_through_the_same_harness_is_accepted(tmp_path):
    good = {"storage_mounts_tmpfs": [{"path": "/mnt/mlinfra-inputs-test", "size": "1m"}]}
    assert run_role(tmp_path, good, changes=None) == {
        "verdict": "accepted", "msg": ""}


@pytest.mark.integration
def test_defaults_do_nothing(tmp_path):
    assert run_role(tmp_path, {}) == {"verdict": "accepted", "msg": ""}
