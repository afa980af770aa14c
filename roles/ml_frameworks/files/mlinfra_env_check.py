# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mlinfra-env-check: prove that the mlinfra.gpu.ml_frameworks environments work.

    mlinfra-env-check [--root /opt/mlinfra/envs] [NAME ...]   (a /bin/sh wrapper that runs this file with python3)

Runs itself with each environment's interpreter (``--probe``), which imports the environment's framework (read from
the .mlinfra-spec.json the role wrote), and prints one JSON list: per environment its framework, version, CUDA/ROCm
build, the devices the framework sees, whether one is a GPU, and a tiny computation (the dot product of [1, 2, 3, 4]
with itself, 30.0) on the first device. Exit status 0 when every computation gave 30.0, 1 otherwise.
"""

from __future__ import absolute_import, division, print_function

import json
import os
import subprocess
import sys

SPEC = ".mlinfra-spec.json"
EXPECTED = 30.0


def probe_torch():
    import torch
    hip = getattr(torch.version, "hip", None)
    build = "cuda" + torch.version.cuda if torch.version.cuda else ("rocm" + hip if hip else "cpu")
    if torch.cuda.is_available():
        devices = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        where = "cuda:0"
    else:
        devices, where = ["cpu"], "cpu"
    x = torch.arange(1.0, 5.0, device=where)
    return torch.__version__, build, devices, where != "cpu", float(torch.dot(x, x))


def probe_jax():
    import jax
    import jax.numpy as jnp
    devices = jax.devices()
    backend = jax.default_backend()
    x = jnp.arange(1.0, 5.0)
    return (jax.__version__, "cpu" if backend == "cpu" else backend, [str(d) for d in devices], backend != "cpu",
            float(jnp.dot(x, x)))


def probe_tensorflow():
    import tensorflow as tf
    info = tf.sysconfig.get_build_info()
    build = "cuda" + info["cuda_version"] if info.get("cuda_version") else (
        "rocm" if info.get("is_rocm_build") else "cpu")
    gpus = tf.config.list_physical_devices("GPU")
    x = tf.range(1.0, 5.0)
    return (tf.__version__, build, [d.name for d in gpus] or ["cpu"], bool(gpus),
            float(tf.tensordot(x, x, axes=1).numpy()))


def probe_none():
    return None, "cpu", ["cpu"], False, float(sum(v * v for v in (1.0, 2.0, 3.0, 4.0)))


PROBES = {"torch": probe_torch, "jax": probe_jax, "tensorflow": probe_tensorflow, "none": probe_none}


def probe(framework):
    """Run inside the environment's interpreter: one JSON object on stdout."""
    result = {"framework": framework, "python": "%d.%d.%d" % sys.version_info[:3]}
    try:
        version, build, devices, gpu, value = PROBES[framework]()
        result.update(version=version, build=build, devices=devices, gpu=gpu,
                      computation={"dot": value, "ok": value == EXPECTED}, error=None)
    except Exception as exc:  # the report carries any failure of the framework; never a traceback
        result.update(version=None, build=None, devices=[], gpu=False, computation={"dot": None, "ok": False},
                      error="%s: %s" % (type(exc).__name__, exc))
    print(json.dumps(result, sort_keys=True))


def check(root, name):
    path = os.path.join(root, name)
    report = {"env": name, "path": os.path.realpath(path)}
    try:
        with open(os.path.join(path, SPEC)) as handle:
            spec = json.load(handle)
    except (IOError, OSError, ValueError) as exc:
        report.update(error="no readable %s in %s: %s" % (SPEC, path, exc), computation={"ok": False})
        return report
    report["spec_hash"] = spec.get("spec_hash")
    framework = spec.get("framework", "none")
    proc = subprocess.run([os.path.join(path, "bin", "python"), os.path.abspath(__file__), "--probe", framework],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False,
                          env=dict(os.environ, LANG="C", LC_ALL="C", TF_CPP_MIN_LOG_LEVEL="2"))
    try:
        report.update(json.loads(proc.stdout.strip().splitlines()[-1]))
    except (IndexError, ValueError):
        report.update(framework=framework, computation={"ok": False},
                      error="the probe failed (rc=%d): %s" % (proc.returncode, proc.stderr.strip()[-2000:]))
    return report


def main(argv):
    if argv[:1] == ["--probe"]:
        probe(argv[1])
        return 0
    root = "/opt/mlinfra/envs"
    while argv[:1] == ["--root"]:
        root, argv = argv[1], argv[2:]
    names = argv or sorted(n for n in os.listdir(root) if not n.startswith(".")
                           and os.path.isfile(os.path.join(root, n, SPEC)))
    reports = [check(root, name) for name in names]
    print(json.dumps(reports, indent=2, sort_keys=True))
    return 0 if all(r["computation"]["ok"] for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
