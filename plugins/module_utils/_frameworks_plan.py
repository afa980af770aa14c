# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What mlinfra.gpu.ml_frameworks installs (private to the collection): pure functions behind
mlinfra.gpu.ml_frameworks_plan and the filter mlinfra.gpu.framework_builds.

From the GPU facts (vendors, driver version; CUDA ceiling through gpu_compat) and each environment's
{name, framework, version, build, packages, state}: the build (auto -> the newest CUDA build the driver runs, ROCm on
AMD, cpu without a GPU; an explicit build wins when the framework publishes it), the pip requirement lines, pip's
index arguments and a hash of the resolved specification. Impossible requests are refused (PlanError) naming the
values and what would fit. Data: gpu_compat_data.FRAMEWORK_BUILDS (a source per row).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import re

from ansible_collections.mlinfra.gpu.plugins.module_utils import gpu_compat
from ansible_collections.mlinfra.gpu.plugins.module_utils import gpu_compat_data as data

FRAMEWORKS = ("torch", "jax", "tensorflow", "none")
STATES = ("present", "absent")
PYPI = "https://pypi.org/simple"
PYTORCH_INDEX = "https://download.pytorch.org/whl"
NOTHING = "Nothing was changed."
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_VERSION = re.compile(r"^[0-9]+\.[0-9]+(\.[0-9]+)?$")
_BUILD = re.compile(r"^(auto|cpu|(cuda|rocm)([0-9]+(\.[0-9]+){0,2}))$")
_PACKAGE = re.compile(r"^[A-Za-z0-9][^\s;]*(\s*;\s*[^\n]+)?$")


class PlanError(Exception):
    """A request the role refuses; str() is the whole message."""


def _refuse(text):
    raise PlanError("ml_frameworks: %s %s" % (text, NOTHING))


def _numbers(text):
    return tuple(int(part) for part in text.split("."))


def _joined(items):
    return ", ".join(items) if items else "none"


def _build_names(row):
    return ["cpu"] + ["cuda" + c for c in row["cuda"]] + ["rocm" + r for r in row["rocm"]]


def framework_builds(framework=None):
    """Rows of the framework x build table: framework, series, builds (cpu, cuda<X.Y>, rocm<X.Y>), source."""
    if framework is not None and framework not in FRAMEWORKS[:3]:
        raise ValueError("unknown framework %r: the table knows %s" % (framework, ", ".join(FRAMEWORKS[:3])))
    rows = []
    for row in data.FRAMEWORK_BUILDS:
        if framework in (None, row["framework"]):
            rows.append({"framework": row["framework"], "series": row["series"], "builds": _build_names(row),
                         "source": row["source"]})
    return rows


def host_accelerators(gpu_facts, driver_version=""):
    """GPU facts -> vendor ('nvidia', 'amd' or None), NVIDIA driver version, its CUDA ceiling, GPU count.

    ``driver_version`` (the planned driver, when the driver is not installed yet) wins over the facts' driver.
    NVIDIA wins over AMD on a host with both.
    """
    facts = gpu_facts or {}
    devices = facts.get("devices") or []
    vendors = set(facts.get("vendors") or []) | set(d.get("vendor") for d in devices if isinstance(d, dict))
    vendor = "nvidia" if "nvidia" in vendors else ("amd" if "amd" in vendors else None)
    driver = str(driver_version or "") or str((facts.get("driver") or {}).get("version") or "")
    ceiling = None
    if vendor == "nvidia" and driver:
        try:
            ceiling = gpu_compat.driver_max_cuda(driver)
        except ValueError:
            _refuse("the NVIDIA driver version %r is not a version (such as '550.54.15')." % driver)
    return {"vendor": vendor, "driver": driver if vendor == "nvidia" else "", "cuda_ceiling": ceiling,
            "gpus": len(devices)}


def _row(framework, version):
    rows = [row for row in data.FRAMEWORK_BUILDS if row["framework"] == framework]
    if not version:
        return rows[0]
    series = ".".join(version.split(".")[:2])
    for row in rows:
        if row["series"] == series:
            return row
    return None


def _min_driver(row, cuda):
    own = row.get("min_driver") or {}
    return own[cuda] if cuda in own else gpu_compat.cuda_min_driver(cuda)


def _has_build(row, cuda, version):
    first = (row.get("first") or {}).get(cuda)
    return not (first and version and len(_numbers(version)) == 3 and _numbers(version) < _numbers(first))


def _cuda_builds(row, version):
    return [c for c in row["cuda"] if _has_build(row, c, version)]


def _runs(driver, row, cuda):
    return gpu_compat.parse_version(driver) >= gpu_compat.parse_version(_min_driver(row, cuda))


def _label(framework, version, row):
    return "%s %s" % (framework, version or row["series"])


def _fitting_series(framework, driver):
    """Newest series of the framework with a CUDA build the driver runs: 'torch 2.7 (cuda12.6)' or None."""
    for row in data.FRAMEWORK_BUILDS:
        if row["framework"] == framework:
            runs = [c for c in _cuda_builds(row, "") if _runs(driver, row, c)]
            if runs:
                return "%s %s (cuda%s)" % (framework, row["series"], runs[-1])
    return None


def _auto_nvidia(env, row, host):
    framework, version = env["framework"], env["version"]
    if not host["driver"]:
        _refuse("environment %r: NVIDIA GPUs are seen but no driver version is known, so no CUDA build of %s can be "
                "chosen: install the driver first (mlinfra.gpu.nvidia_driver), give the planned one in "
                "ml_frameworks_driver_version, or set build (cpu or cuda<X.Y>)."
                % (env["name"], _label(framework, version, row)))
    builds = _cuda_builds(row, version)
    runs = [c for c in builds if _runs(host["driver"], row, c)]
    if not runs:
        fit = _fitting_series(framework, host["driver"])
        _refuse("environment %r: %s has builds for CUDA %s (the oldest needs driver >= %s), but driver %s runs CUDA "
                "up to %s. What would fit: %s, or a driver >= %s, or build cpu."
                % (env["name"], _label(framework, version, row), _joined(builds), _min_driver(row, builds[0]),
                   host["driver"], host["cuda_ceiling"], fit or "no release in the table",
                   _min_driver(row, builds[0])))
    return "cuda" + runs[-1], "auto: the newest CUDA build of %s that driver %s runs" % (
        _label(framework, version, row), host["driver"])


def _auto(env, row, host):
    """A GPU host (vendor nvidia or amd): the newest build of that vendor the host runs."""
    if host["vendor"] == "nvidia":
        return _auto_nvidia(env, row, host)
    if not row["rocm"]:
        _refuse("environment %r: AMD GPUs are seen, but %s publishes no ROCm build that pip can install here; "
                "set build cpu, or use torch, which publishes ROCm builds."
                % (env["name"], _label(env["framework"], env["version"], row)))
    return "rocm" + row["rocm"][-1], "auto: AMD GPUs, the newest ROCm build of %s" % _label(
        env["framework"], env["version"], row)


def _match(offered, wanted):
    """The newest offered build ('12.6', '6.2.4', '12') that the wanted numbers name ('12' -> '12.8'), or None."""
    for build in reversed(offered):
        if _numbers(build)[:len(_numbers(wanted))] == _numbers(wanted) or (
                len(_numbers(build)) == 1 and _numbers(wanted)[0] == _numbers(build)[0]):
            return build
    return None


def _explicit(env, row, host, kind, numbers):
    framework, version = env["framework"], env["version"]
    offered = _cuda_builds(row, version) if kind == "cuda" else list(row["rocm"])
    found = _match(offered, numbers)
    if found is None:
        _refuse("environment %r: %s has no %s %s build; it has %s."
                % (env["name"], _label(framework, version, row), kind.upper() if kind == "cuda" else "ROCm", numbers,
                   _joined(_build_names(row))))
    if kind == "cuda" and host["vendor"] == "nvidia" and host["driver"] and not _runs(host["driver"], row, found):
        runs = [c for c in _cuda_builds(row, version) if _runs(host["driver"], row, c)]
        _refuse("environment %r: build cuda%s of %s needs driver >= %s, but driver %s runs CUDA up to %s. "
                "What would fit: %s, or a driver >= %s."
                % (env["name"], found, _label(framework, version, row), _min_driver(row, found), host["driver"],
                   host["cuda_ceiling"], _joined(["build cuda" + c for c in runs]), _min_driver(row, found)))
    return kind + found, "explicit"


def _choose_build(env, row, host):
    match = _BUILD.match(env["build"])
    if match.group(1) in ("auto", "cpu"):
        if row is None and match.group(1) == "auto" and host["vendor"] is not None:
            _refuse("environment %r: %s %s is not in the compatibility data (known %s series: %s), so no GPU build "
                    "can be chosen: use a known version or build cpu."
                    % (env["name"], env["framework"], env["version"], env["framework"],
                       _joined([r["series"] for r in framework_builds(env["framework"])])))
        if match.group(1) == "cpu" or host["vendor"] is None:
            return "cpu", "explicit" if match.group(1) == "cpu" else "auto: no GPU seen"
        return _auto(env, row, host)
    if row is None:
        _refuse("environment %r: %s %s is not in the compatibility data (known %s series: %s): use a known version "
                "for build %s, or build cpu."
                % (env["name"], env["framework"], env["version"], env["framework"],
                   _joined([r["series"] for r in framework_builds(env["framework"])]), env["build"]))
    return _explicit(env, row, host, match.group(2), match.group(3))


def _pin(version, row):
    if not version:
        return "==%s.*" % row["series"]
    return "==%s" % version if len(_numbers(version)) == 3 else "==%s.*" % version


def requirements(framework, version, build, row):
    """pip requirement line of the framework build, and the framework's own index (torch) or ''."""
    if framework == "none":
        return [], ""
    pin = _pin(version, row) if row is not None else _pin(version, {"series": version})
    if framework == "torch":
        tag = "cpu" if build == "cpu" else ("cu" + build[4:].replace(".", "") if build.startswith("cuda") else build)
        return ["torch" + pin], tag
    if framework == "jax":
        extra = "cpu" if build == "cpu" else "cuda" + build[4:].split(".")[0]
        return ["jax[%s]%s" % (extra, pin)], ""
    return ["tensorflow%s%s" % ("" if build == "cpu" else "[and-cuda]", pin)], ""


def pip_arguments(sources, framework_index):
    """pip's source arguments: the wheelhouse (no index at all), else the framework's index first, then the user's."""
    args = []
    if sources.get("wheelhouse"):
        args = ["--no-index", "--find-links", sources["wheelhouse"]]
    else:
        index = sources.get("index_url") or ""
        if framework_index:
            args = ["--index-url", framework_index, "--extra-index-url", index or PYPI]
        elif index:
            args = ["--index-url", index]
        for extra in sources.get("extra_index_urls") or []:
            args += ["--extra-index-url", extra]
    if sources.get("ca_file"):
        args += ["--cert", sources["ca_file"]]
    return args


def spec_hash(spec):
    """sha256 of the resolved specification (framework, version, build, requirement lines), key order fixed."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def _normalize(env, index):
    if not isinstance(env, dict):
        _refuse("ml_frameworks_envs[%d] must be a mapping with name, framework, version, build, packages, state; got "
                "%r." % (index, env))
    name = str(env.get("name") or "")
    if not _NAME.match(name):
        _refuse("ml_frameworks_envs[%d]: name %r is not a valid environment name (letters, digits, '.', '_', '-', "
                "at most 64, not starting with a punctuation mark)." % (index, name))
    framework = str(env.get("framework", "none") or "none")
    if framework not in FRAMEWORKS:
        _refuse("environment %r: unknown framework %r: use one of %s." % (name, framework, ", ".join(FRAMEWORKS)))
    version = str(env.get("version") or "")
    if version and not _VERSION.match(version):
        _refuse("environment %r: version %r of %s is malformed: use a release such as '2.6.0' or a series such as "
                "'2.6' (or leave it empty for the newest in the table)." % (name, version, framework))
    if framework == "none" and version:
        _refuse("environment %r: a version (%r) needs a framework (torch, jax or tensorflow)." % (name, version))
    build = str(env.get("build") or "auto")
    if not _BUILD.match(build):
        _refuse("environment %r: build %r is malformed: use auto, cpu, cuda<X.Y> (such as cuda12.6) or rocm<X.Y> "
                "(such as rocm6.4)." % (name, build))
    state = str(env.get("state") or "present")
    if state not in STATES:
        _refuse("environment %r: state %r: use present or absent." % (name, state))
    packages = env.get("packages") or []
    if not isinstance(packages, list):
        _refuse("environment %r: packages must be a list of requirement lines, got %r." % (name, packages))
    for package in packages:
        if not isinstance(package, str) or not _PACKAGE.match(package):
            _refuse("environment %r: package %r is not a requirement line (such as 'numpy<2' or 'flax==0.8.5'; "
                    "pip options are not accepted here)." % (name, package))
    return {"name": name, "framework": framework, "version": version, "build": build, "state": state,
            "packages": list(packages)}


def resolve(env, host, sources, root):
    """One normalized environment -> what to build: build, reason, requirements, pip arguments, spec hash, path."""
    result = {"name": env["name"], "state": env["state"], "path": "%s/%s" % (root.rstrip("/"), env["name"])}
    if env["state"] == "absent":
        return result
    framework = env["framework"]
    row = _row(framework, env["version"]) if framework != "none" else None
    if framework == "none":
        build, reason = "cpu", "no framework"
        if env["build"] != "auto" and env["build"] != "cpu":
            _refuse("environment %r: build %r needs a framework (torch, jax or tensorflow)."
                    % (env["name"], env["build"]))
    else:
        build, reason = _choose_build(env, row, host)
    lines, tag = requirements(framework, env["version"], build, row)
    base = (sources.get("pytorch_index") or PYTORCH_INDEX).rstrip("/")
    framework_index = "%s/%s" % (base, tag) if tag else ""
    spec = {"framework": framework, "version": env["version"], "build": build,
            "requirements": lines + env["packages"]}
    gpu = build != "cpu" and host["vendor"] == ("nvidia" if build.startswith("cuda") else "amd")
    result.update(framework=framework, version=env["version"], build=build, reason=reason,
                  requirements=spec["requirements"], framework_index=framework_index,
                  pip_args=pip_arguments(sources, framework_index), spec_hash=spec_hash(spec), expect_gpu=gpu)
    return result


def plan(envs, gpu_facts, sources, root, driver_version=""):
    """Every environment resolved (or the first refusal): {'host': ..., 'envs': [...]}."""
    if not isinstance(envs, list):
        _refuse("ml_frameworks_envs must be a list of environments, got %r." % (envs,))
    if not str(root or "").startswith("/"):
        _refuse("ml_frameworks_root %r must be an absolute path (such as /opt/mlinfra/envs)." % (root,))
    normalized = [_normalize(env, index) for index, env in enumerate(envs)]
    names = [env["name"] for env in normalized]
    twice = sorted(set(n for n in names if names.count(n) > 1))
    if twice:
        _refuse("environment names must be unique; given more than once: %s." % ", ".join(twice))
    host = host_accelerators(gpu_facts, driver_version)
    return {"host": host, "envs": [resolve(env, host, sources, root) for env in normalized]}
