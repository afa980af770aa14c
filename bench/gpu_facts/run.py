# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark gpu_facts (not a test; prints numbers).

1. ``ansible localhost -m ansible.builtin.ping`` vs ``-m mlinfra.gpu.gpu_facts`` with the fake nvidia-smi replaying
   the H100 capture and a 16-GPU + 4-NVSwitch sysfs tree: median wall time of N runs each, interleaved, and
   the ratio gpu_facts/ping (baseline measured in the same process).
2. The PCI scan alone (``_pci.scan``) over that tree, and the cost of one fake nvidia-smi call.

Usage: python bench/gpu_facts/run.py [--runs 7]   (from the repository root, after `. scripts/lib.sh; ensure_venv`)
"""

from __future__ import absolute_import, division, print_function

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import timeit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTS = os.path.join(ROOT, "tests", "integration", "gpu_facts")
CAPTURE = os.path.join(ROOT, "tests", "unit", "fixtures", "gpu", "nvidia", "linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01")
sys.path.insert(0, TESTS)
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))

from make_sysfs import hgx_devices, make_tree  # noqa: E402  pylint: disable=wrong-import-position,import-error


def _time(cmd, env):
    start = timeit.default_timer()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return timeit.default_timer() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from ansible_collections.mlinfra.gpu.plugins.module_utils import _pci  # pylint: disable=import-error

    tmp = tempfile.mkdtemp(prefix="gpu-bench-")
    try:
        sysfs = os.path.join(tmp, "sys")
        make_tree(sysfs, hgx_devices(16, 4))
        bin_dir = os.path.join(tmp, "bin")
        os.makedirs(bin_dir)
        fake = os.path.join(bin_dir, "nvidia-smi")
        with open(fake, "w") as handle:
            handle.write('#!/bin/sh\nexec "%s" "%s" --fixture "%s" "$@"\n'
                         % (sys.executable, os.path.join(TESTS, "fake_nvidia_smi.py"), CAPTURE))
        os.chmod(fake, 0o755)
        env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""),
                   ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
        env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, ".build", "collections"))
        ansible = shutil.which("ansible")
        base = [ansible, "localhost", "-o", "-e", "ansible_python_interpreter=%s" % sys.executable]
        ping = base + ["-m", "ansible.builtin.ping"]
        facts = base + ["-m", "mlinfra.gpu.gpu_facts", "-a", "sysfs_root=%s" % sysfs]
        _time(ping, env)
        _time(facts, env)  # warm caches
        ping_t, facts_t = [], []
        for _run in range(args.runs):
            ping_t.append(_time(ping, env))
            facts_t.append(_time(facts, env))
        smi_t = [_time([fake, "--query-gpu=index,name", "--format=csv,noheader,nounits"], env) for _run in range(args.runs)]
        scans = 200
        scan_s = timeit.timeit(lambda: _pci.scan(sysfs), number=scans) / scans
        gpus, switches = _pci.scan(sysfs)
        p, f, s = statistics.median(ping_t), statistics.median(facts_t), statistics.median(smi_t)
        print("runs per command           : %d (median)" % args.runs)
        print("ansible.builtin.ping       : %.3f s" % p)
        print("mlinfra.gpu.gpu_facts      : %.3f s (fake nvidia-smi, 16 GPU + 4 NVSwitch sysfs)" % f)
        print("ratio gpu_facts / ping     : %.2f" % (f / p))
        print("one fake nvidia-smi call   : %.3f s (module makes 2: --query-gpu, --version)" % s)
        print("(gpu_facts - ping) / smi   : %.2f calls' worth" % ((f - p) / s))
        values = (len(gpus), len(switches), scan_s * 1000, scans)
        print("PCI scan, %d GPU + %d NVSw : %.3f ms per scan (mean of %d)" % values)
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
