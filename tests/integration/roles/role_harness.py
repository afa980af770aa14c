"""The harness of the role-input tests (test_gpu_node_base_inputs.py, test_storage_mounts_inputs.py): a play of the
test's own, run by ansible-playbook in check mode against localhost (so a mistake in a test cannot touch this
machine), with this checkout as the mlinfra.gpu collection and the test's variables as one JSON -e."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def run_play(tmp_path, play, extra_vars, callback="ansible.builtin.default"):
    """Run the play (YAML text) with extra_vars; the finished process, its output captured as text."""
    path = tmp_path / "play.yml"
    path.write_text(play)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK=callback)
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "--check", str(path),
           "-e", "ansible_python_interpreter=%s" % sys.executable, "-e", json.dumps(extra_vars)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
