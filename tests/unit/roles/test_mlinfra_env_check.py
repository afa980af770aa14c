# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mlinfra-env-check (roles/ml_frameworks/files) against environments made of this interpreter (no download)."""

from __future__ import absolute_import, division, print_function

import json
import os
import subprocess
import sys

CHECKER = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "ml_frameworks", "files",
                       "mlinfra_env_check.py")


def _env(root, name, spec):
    real = root / (".%s.0123" % name)
    (real / "bin").mkdir(parents=True)
    (real / "bin" / "python").symlink_to(sys.executable)
    if spec is not None:
        (real / ".mlinfra-spec.json").write_text(json.dumps(spec))
    (root / name).symlink_to(real)
    return str(real)


def _run(root, *names):
    proc = subprocess.run([sys.executable, CHECKER, "--root", str(root)] + list(names), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    return proc.returncode, json.loads(proc.stdout)


def test_framework_none_computes_on_cpu(tmp_path):
    real = _env(tmp_path, "tools", {"framework": "none", "spec_hash": "h1"})
    rc, reports = _run(tmp_path)
    assert (rc, reports) == (0, [{
        "env": "tools", "path": real, "spec_hash": "h1", "framework": "none", "python": "%d.%d.%d" % sys.version_info[:3],
        "version": None, "build": "cpu", "devices": ["cpu"], "gpu": False, "computation": {"dot": 30.0, "ok": True},
        "error": None}])


def test_missing_framework_is_reported_not_raised(tmp_path):
    _env(tmp_path, "tf", {"framework": "tensorflow", "spec_hash": "h2"})
    rc, reports = _run(tmp_path, "tf")
    assert (rc, reports[0]["computation"], reports[0]["error"]) == (
        1, {"dot": None, "ok": False}, "ModuleNotFoundError: No module named 'tensorflow'")


def test_env_without_spec_is_skipped_when_listing_and_reported_when_named(tmp_path):
    _env(tmp_path, "bare", None)
    assert _run(tmp_path) == (0, [])
    rc, reports = _run(tmp_path, "bare")
    assert (rc, reports[0]["error"].startswith("no readable .mlinfra-spec.json in %s" % (tmp_path / "bare"))) == (
        1, True)
