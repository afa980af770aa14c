# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decisions of the NVIDIA driver and CUDA roles (private to the collection): pure functions, unit-tested.

- choose(): branch, kernel-module flavour, fabric manager and package names from GPU facts, the user's settings
  and the platform's values (roles/nvidia_driver/vars), or PlanError naming the GPU, the branch and what would work.
- plan_packages(): what apt must install (name=version), remove, hold and release to put a branch in place, from
  the parsed `apt-cache policy` and `dpkg-query` output (_apt_state), or PlanError before anything changes.
- cuda_refusals(): the CUDA versions a planned or installed driver (or only its branch) cannot run.

The GPU knowledge comes from gpu_compat (the functions behind the gpu_* filters); nothing here re-derives it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import re

from ansible_collections.mlinfra.gpu.plugins.module_utils import gpu_compat
from ansible_collections.mlinfra.gpu.plugins.module_utils import _apt_state

NOTHING = "Nothing was installed."
KINDS = ("base", "open", "proprietary", "full", "fabricmanager")


class PlanError(Exception):
    """A request the roles refuse; str() is the whole message for the user."""


def _names(gpus):
    return ", ".join(sorted(set(str(d.get("name", "?")) if isinstance(d, dict) else str(d) for d in gpus))) or "none"


def nvidia_devices(gpu_facts):
    """The NVIDIA devices of ansible_facts.gpu (devices without a vendor count as NVIDIA, as in gpu_compat)."""
    devices = (gpu_facts or {}).get("devices") or []
    return [d for d in devices if not (isinstance(d, dict) and d.get("vendor") not in (None, "nvidia"))]


def choose_branch(source, branch, gpus, platform):
    """The branch (str) to install; PlanError when the source cannot give it or it cannot drive every GPU."""
    branch = str(branch)
    if not re.match(r"^(auto|[0-9]{3})$", branch):
        raise PlanError("nvidia_driver: nvidia_driver_branch '%s' is not a branch; expected 'auto' or a three-digit "
                        "driver branch such as '580'." % branch)
    distro_branch = platform.get("distro_branch") or ""
    if branch == "auto":
        if source == "distro":
            branch = str(distro_branch)
        else:
            newest = gpu_compat.newest_driver_branch(gpus, "lts")
            branch = str(newest) if newest else ""
    elif source == "distro" and not platform.get("distro_any_branch") and branch != str(distro_branch):
        raise PlanError("nvidia_driver: %s packages driver branch %s, not %s; set nvidia_driver_branch to '%s' or "
                        "'auto', or use nvidia_driver_source 'nvidia' for other branches."
                        % (platform["name"], distro_branch, branch, distro_branch))
    support = gpu_compat.driver_branch_support(gpus, branch or "0")
    if not branch or not support["supported"]:
        if support["oldest"] and support["newest"] and support["oldest"] > support["newest"]:
            why = "no branch supports all of them together"
        else:
            why = "; ".join(text for text in (
                "they need branch %s or newer" % support["oldest"] if support["oldest"] else "",
                "the newest branch that supports all of them is %s" % support["newest"] if support["newest"] else "",
            ) if text)
        raise PlanError("nvidia_driver: driver branch %s does not support %s: %s; set nvidia_driver_branch "
                        "accordingly (nvidia_driver_source 'nvidia' for branches the distribution does not package). %s"
                        % (branch or "(none: no LTS branch fits)", ", ".join(support["unsupported"]) or _names(gpus),
                           why, NOTHING))
    return branch


def choose_module(setting, source, branch, gpus, platform):
    """'open' or 'proprietary'; PlanError when the setting cannot drive the GPUs or the distribution lacks it."""
    requirement = gpu_compat.open_modules_requirement(gpus)
    allowed = platform.get("distro_modules") if source == "distro" else None
    if setting == "auto":
        module = gpu_compat.recommended_kernel_module(gpus) or ("open" if int(branch) >= 560 else "proprietary")
        if allowed and module not in allowed and requirement != "required":
            module = allowed[0]
    else:
        module = setting
    if module == "proprietary" and requirement == "required":
        reason = "cannot drive %s: these GPUs require the open modules; set nvidia_driver_kernel_module to open or auto" \
            % _names(gpus)
    elif module == "open" and requirement == "unsupported":
        reason = ("cannot drive %s: Kepler, Maxwell, Pascal and Volta GPUs need the proprietary modules; set "
                  "nvidia_driver_kernel_module to proprietary or auto" % _names(gpus))
    elif allowed and module not in allowed:
        reason = ("cannot be installed from %s's packages: %s; set nvidia_driver_kernel_module to %s, or use "
                  "nvidia_driver_source 'nvidia'" % (platform["name"], platform.get("distro_modules_note", ""),
                                                     " or ".join(allowed)))
    else:
        return module
    raise PlanError("nvidia_driver: %s kernel modules of branch %s %s. %s" % (module, branch, reason, NOTHING))


def choose_fabricmanager(setting, gpu_facts, source_packages, platform):
    """Whether fabric manager is installed; PlanError when it is needed and the source has none."""
    setting = str(setting).lower()
    if setting not in ("auto", "true", "false"):
        raise PlanError("nvidia_driver: nvidia_driver_fabricmanager is '%s', expected auto, true or false." % setting)
    switches = int((gpu_facts or {}).get("nvswitch_count") or 0)
    wanted = switches > 0 if setting == "auto" else setting == "true"
    if wanted and not source_packages.get("fabricmanager"):
        raise PlanError("nvidia_driver: fabric manager is needed (%s) but %s does not package it; use "
                        "nvidia_driver_source 'nvidia'. %s"
                        % ("asked for" if setting != "auto" else "%d NVSwitches" % switches, platform["name"], NOTHING))
    return wanted


def _kind(entry, branch):
    """A package list, or {lowest branch: list} for names that changed across branches (fabric manager)."""
    if isinstance(entry, dict):
        keys = [int(key) for key in entry if int(key) <= int(branch)]
        return entry[str(max(keys))] if keys else []
    return entry or []


def package_names(source_packages, branch, module, headless, fabricmanager):
    """Package names to install: base + flavour (+ full) (+ fabric manager); {branch} and {open} filled in."""
    kinds = ["base", module] + ([] if headless else ["full"]) + (["fabricmanager"] if fabricmanager else [])
    suffix = "-open" if module == "open" else ""
    names = []
    for kind in kinds:
        for name in _kind(source_packages.get(kind), branch):
            name = name.format(branch=branch, open=suffix)
            if name not in names:
                names.append(name)
    return names


def managed_patterns(source_packages):
    """dpkg-query patterns of every package the role may have installed from this source, at any branch/flavour."""
    patterns = []
    for kind in KINDS:
        entry = source_packages.get(kind) or []
        for name in (sum(entry.values(), []) if isinstance(entry, dict) else entry):
            pattern = name.replace("{branch}", "*").replace("{open}", "*")
            if pattern not in patterns:
                patterns.append(pattern)
    return patterns


def choose(settings, gpu_facts, platform):
    """Whole decision of the driver role. settings: source, branch, kernel_module, fabricmanager, headless.
    platform: name ('Debian 12'), distro_branch, distro_any_branch, distro_modules, distro_modules_note,
    packages ({source: {base, open, proprietary, full, fabricmanager}})."""
    source = settings["source"]
    if source not in platform["packages"]:
        raise PlanError("nvidia_driver: source '%s' is not possible on %s: expected one of %s."
                        % (source, platform["name"], ", ".join(sorted(platform["packages"]))))
    gpus = nvidia_devices(gpu_facts)
    try:
        branch = choose_branch(source, settings["branch"], gpus, platform)
        module = choose_module(settings["kernel_module"], source, branch, gpus, platform)
    except ValueError as exc:  # gpu_compat: a GPU of unknown architecture, or a host no flavour fits
        raise PlanError("nvidia_driver: %s. %s" % (exc, NOTHING))
    source_packages = platform["packages"][source]
    fabricmanager = choose_fabricmanager(settings["fabricmanager"], gpu_facts, source_packages, platform)
    return {
        "source": source, "branch": branch, "kernel_module": module, "fabricmanager": fabricmanager,
        "packages": package_names(source_packages, branch, module, settings["headless"], fabricmanager),
        "managed": managed_patterns(source_packages), "gpus": len(gpus),
        "nvswitches": int((gpu_facts or {}).get("nvswitch_count") or 0),
    }


def _pick(entry, branch, include, exclude):
    for version in entry["versions"]:
        if _apt_state.in_branch(version["version"], branch) and _apt_state.from_source(version["urls"], include, exclude):
            return version["version"]
    return None


def _foreign(entry, version, include, exclude):
    """Whether the installed version comes only from sources the plan does not take (another source's build)."""
    for listed in (entry or {}).get("versions", []):
        if listed["version"] == version:
            return _apt_state.from_source(listed["urls"]) and not _apt_state.from_source(listed["urls"], include, exclude)
    return False


def plan_packages(wanted, branch, policy, installed, managed, hold=True, include=None, exclude=None,
                  check_mode=False):
    """What apt must do to have `wanted` at `branch`. policy: parse_policy(); installed: parse_dpkg_query() of
    `managed` patterns. include/exclude: source URL prefixes the versions must (not) come from.

    Returns {install: ['name=version'], remove, release, hold: [names], versions: {name: version},
    unverified: [names apt does not know yet (check mode only)]}. In check mode `hold` leaves out the packages dpkg
    does not know yet (ansible.builtin.dpkg_selections cannot check them; they are held once installed). PlanError before any change when a source
    lacks the branch of a package (outside check mode also when apt does not know the package at all).
    """
    versions, unverified, missing = {}, [], []
    for name in wanted:
        entry = policy.get(name)
        if (entry is None or not entry["versions"]) and check_mode:
            unverified.append(name)
            continue
        version = _pick(entry, branch, include, exclude) if entry else None
        if version is None:
            offered = [v["version"] for v in (entry or {}).get("versions", []) if _apt_state.from_source(v["urls"])]
            missing.append("%s (offered: %s)" % (name, ", ".join(offered) or "none"))
        versions[name] = version
    if missing:
        raise PlanError("nvidia_driver: no package source offers branch %s of %s%s; check nvidia_driver_branch and the "
                        "package sources. Nothing was changed."
                        % (branch, "; ".join(missing), " from %s" % include if include else ""))
    present = dict((name, state) for name, state in installed.items() if state["installed"])
    is_managed = [name for name in present if any(fnmatch.fnmatchcase(name, p) for p in managed) or name in wanted]
    stale = [name for name in sorted(is_managed)
             if name not in wanted or not _apt_state.in_branch(present[name]["version"], branch)
             or _foreign(policy.get(name), present[name]["version"], include, exclude)]
    held = [name for name, state in installed.items() if state["held"]]
    at_branch = [name for name in wanted if name in present and name not in stale]
    for name in at_branch:  # kept as they are: no upgrade inside the branch behind the hold's back
        versions[name] = present[name]["version"]
    install = ["%s=%s" % (name, versions[name]) for name in wanted if name in versions and name not in at_branch]
    install += [name for name in unverified if name not in at_branch]
    release = [name for name in stale if name in held] + ([] if hold else [n for n in wanted if n in held])
    return {
        "install": install,
        "remove": [name for name in stale if name not in wanted],
        "release": sorted(set(release)),
        # check mode: dpkg cannot report a selection for a package it does not know yet (held once installed)
        "hold": [name for name in wanted if (name not in held or name in stale)
                 and (name in installed or not check_mode)] if hold else [],
        "versions": versions,
        "unverified": unverified,
    }


def cuda_refusals(cuda_versions, driver_version=None, branch=None):
    """['CUDA 13.0 needs NVIDIA driver 580.65.06 or newer', ...] for the versions the driver cannot run.

    With only the planned branch known (check mode before the packages can be resolved), a version is refused
    when its minimum driver belongs to a newer branch; the exact version inside that branch is checked once known.
    """
    refused = []
    for cuda in cuda_versions:
        minimum = gpu_compat.cuda_min_driver(cuda)
        if driver_version:
            ok = gpu_compat.driver_supports_cuda(driver_version, cuda)
        elif branch:
            ok = int(branch) >= gpu_compat.parse_version(minimum)[0]
        else:
            ok = True
        if not ok:
            refused.append("CUDA %s needs NVIDIA driver %s or newer" % (cuda, minimum))
    return refused
