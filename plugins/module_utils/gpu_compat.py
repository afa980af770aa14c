# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compatibility logic over gpu_compat_data: CUDA <-> driver, kernel-module flavour, newest driver branch.

Pure functions; invalid input raises ValueError whose message names the value and what was expected (the filter
plugins turn it into AnsibleFilterError). Used by the filter plugins and by roles through them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.mlinfra.gpu.plugins.module_utils import gpu_compat_data as data
from ansible_collections.mlinfra.gpu.plugins.module_utils.gpu_catalog import (
    architecture_vendor, architectures, device_model, gfx_architecture, lookup_pci, model_architecture,
    normalize_model,
)

_VERSION = re.compile(r"^\s*v?(\d+(?:\.\d+){0,3})\s*$")


def parse_version(value, what="a version such as '12.4' or '590.48.01'"):
    """'12.4' / '590.48.01' / 12.4 (a YAML float) -> tuple of ints; ValueError naming the value otherwise."""
    if isinstance(value, bool) or value is None:
        raise ValueError("expected %s, got %r" % (what, value))
    match = _VERSION.match(str(value))
    if not match:
        raise ValueError("expected %s, got %r" % (what, value))
    return tuple(int(part) for part in match.group(1).split("."))


def _cuda(value):
    version = parse_version(value, "a CUDA version such as '12.4' or '12.4.1'")
    if len(version) == 1:
        version = (version[0], 0)
    return version


def _rows():
    return [(parse_version(cuda), parse_version(driver), cuda, driver) for cuda, driver, _src in data.CUDA_MIN_DRIVER]


def cuda_min_driver(cuda_version):
    """Minimum Linux driver (string) for a CUDA toolkit release: '12.8' -> '570.26', '12.8.1' -> '570.124.06'."""
    want = _cuda(cuda_version)
    same_minor = [row for row in _rows() if row[0][:2] == want[:2]]
    if not same_minor:
        known = sorted(set("%d.%d" % row[0][:2] for row in _rows()), key=lambda v: tuple(map(int, v.split("."))))
        raise ValueError("unknown CUDA version %r: the table knows %s" % (cuda_version, ", ".join(known)))
    if len(want) >= 3:
        eligible = [row for row in same_minor if row[0][2] <= want[2]]
        if eligible:
            return max(eligible)[3]
    return min(same_minor)[3]


def cuda_minor_compat_driver(cuda_version):
    """Driver floor for CUDA minor-version compatibility of the CUDA major ('12.8' -> '525.60.13')."""
    major = _cuda(cuda_version)[0]
    if major not in data.CUDA_MINOR_COMPAT_DRIVER:
        raise ValueError("no minor-version compatibility data for CUDA %r (known majors: %s)"
                         % (cuda_version, ", ".join(str(m) for m in sorted(data.CUDA_MINOR_COMPAT_DRIVER))))
    return data.CUDA_MINOR_COMPAT_DRIVER[major][0]


def driver_supports_cuda(driver_version, cuda_version, minor_compat=False):
    """True when the driver runs that CUDA release (full support, or minor-version compatibility if asked)."""
    driver = parse_version(driver_version, "a driver version (e.g. '590.48.01')")
    floor = cuda_minor_compat_driver(cuda_version) if minor_compat else cuda_min_driver(cuda_version)
    return driver >= parse_version(floor)


def driver_max_cuda(driver_version):
    """Highest CUDA major.minor whose toolkit the driver fully supports ('590.48.01' -> '13.1'), None if none."""
    driver = parse_version(driver_version, "a driver version (e.g. '590.48.01')")
    ok = [row[0] for row in _rows() if row[1] <= driver]
    return "%d.%d" % max(ok)[:2] if ok else None


def device_architecture(device):
    """Architecture of one gpu_facts device (its own key, else from its PCI id or its name), None if unknown."""
    if isinstance(device, str):
        return model_architecture(device)
    if not isinstance(device, dict):
        raise ValueError("expected a GPU fact (a dict with 'architecture', 'pci_device_id' or 'name'), got %r" % (device,))
    arch = device.get("architecture")
    if arch:
        return str(arch).lower()
    info = lookup_pci(device.get("pci_device_id")) if device.get("pci_device_id") else None
    if info and info.get("architecture"):
        return info["architecture"]
    if device.get("gfx_target"):
        return gfx_architecture(device["gfx_target"])
    return model_architecture(device.get("name") or device.get("model") or "")


def _device_model(device):
    if not isinstance(device, dict):
        return normalize_model(device)
    info = lookup_pci(device["pci_device_id"]) if device.get("pci_device_id") else None
    return device_model(device.get("name"), device.get("pci_device_id")) or device.get("model") or (
        info and info["model"])


def _nvidia_devices(gpus):
    if isinstance(gpus, dict):
        gpus = gpus.get("devices", [gpus] if "name" in gpus or "architecture" in gpus else [])
    if not isinstance(gpus, (list, tuple)):
        raise ValueError("expected a list of GPU facts (ansible_facts.gpu.devices) or the gpu facts dict, got %r"
                         % (gpus,))
    result = []
    for device in gpus:
        if isinstance(device, dict) and device.get("vendor") not in (None, "nvidia"):
            continue
        arch = device_architecture(device)
        if architecture_vendor(arch) == "amd":
            continue
        if arch is None:
            raise ValueError("cannot tell the architecture of GPU %r: give 'architecture' or a known name/PCI id"
                             % (device,))
        if arch not in data.ARCHITECTURE_SUPPORT:
            raise ValueError("unknown NVIDIA architecture %r (known: %s)" % (arch, ", ".join(architectures("nvidia"))))
        result.append((arch, _device_model(device)))
    return result


def recommended_kernel_module(gpus):
    """'open' or 'proprietary' for the NVIDIA GPUs of one host; None when there is none.

    Turing and newer -> open (NVIDIA's default since R560); Blackwell and Grace Hopper require it; Maxwell,
    Pascal, Volta (and Kepler) cannot use it -> proprietary. Both kinds on one host -> ValueError.
    """
    devices = _nvidia_devices(gpus)
    if not devices:
        return None
    required = sorted(set(arch for arch, model in devices if data.ARCHITECTURE_SUPPORT[arch]["open_modules"] == "required"
                          or model in data.OPEN_REQUIRED_MODELS))
    unsupported = sorted(set(arch for arch, _model in devices
                             if data.ARCHITECTURE_SUPPORT[arch]["open_modules"] == "unsupported"))
    if required and unsupported:
        raise ValueError("no kernel module flavour fits this host: %s need the open modules, %s cannot use them"
                         % (", ".join(required), ", ".join(unsupported)))
    return "proprietary" if unsupported else "open"


def newest_driver_branch(gpus, branch_type=None):
    """Newest driver branch (int) in the table that supports every NVIDIA GPU given; None when none does.

    ``branch_type`` 'lts' or 'production' restricts the choice. No NVIDIA GPU -> the newest branch of that type.
    """
    if branch_type not in (None, "lts", "production"):
        raise ValueError("expected branch_type 'lts', 'production' or None, got %r" % (branch_type,))
    archs = set(arch for arch, _model in _nvidia_devices(gpus))
    fitting = []
    for row in data.DRIVER_BRANCHES:
        if branch_type and row["type"] != branch_type:
            continue
        ok = True
        for arch in archs:
            support = data.ARCHITECTURE_SUPPORT[arch]
            if support["first_branch"] and row["branch"] < support["first_branch"]:
                ok = False
            if support["last_branch"] and row["branch"] > support["last_branch"]:
                ok = False
        if ok:
            fitting.append(row["branch"])
    return max(fitting) if fitting else None


def _device_label(device, arch):
    name = device.get("name") if isinstance(device, dict) else device
    return "%s (%s)" % (name or arch, arch)


def driver_branch_support(gpus, branch):
    """Whether a driver branch drives every NVIDIA GPU given, with the bounds that decide it.

    Returns a dict: ``supported`` (bool), ``oldest`` / ``newest`` (int or None: the oldest and newest branch that
    drive all of them, from the architectures' first and last branch) and ``unsupported`` (list of
    "name (architecture)" the branch does not drive). Lower bound: e.g. Blackwell from R570, Hopper from R525;
    upper bound: e.g. Maxwell, Pascal and Volta end with R580. No NVIDIA GPU -> supported.
    """
    major = parse_version(branch, "a driver branch or version (e.g. 580)")[0]
    if isinstance(gpus, dict):
        gpus = gpus.get("devices", [gpus] if "name" in gpus or "architecture" in gpus else [])
    devices = _nvidia_devices(gpus)
    firsts = [data.ARCHITECTURE_SUPPORT[arch]["first_branch"] for arch, _model in devices]
    lasts = [data.ARCHITECTURE_SUPPORT[arch]["last_branch"] for arch, _model in devices]
    oldest = max([b for b in firsts if b]) if any(firsts) else None
    newest = min([b for b in lasts if b]) if any(lasts) else None
    unsupported = []
    nvidia = [d for d in (gpus or []) if not (isinstance(d, dict) and d.get("vendor") not in (None, "nvidia"))]
    for device, (arch, _model) in zip(nvidia, devices):
        support = data.ARCHITECTURE_SUPPORT[arch]
        if (support["first_branch"] and major < support["first_branch"]) or (support["last_branch"] and major > support["last_branch"]):
            label = _device_label(device, arch)
            if label not in unsupported:
                unsupported.append(label)
    return {"supported": not unsupported, "oldest": oldest, "newest": newest, "unsupported": unsupported}


def open_modules_requirement(gpus):
    """How the NVIDIA GPUs of one host stand to the open kernel modules.

    'required' (Blackwell, Grace Hopper: proprietary cannot drive them), 'recommended' (Turing to Hopper: both work,
    open is NVIDIA's default since R560), 'unsupported' (Kepler to Volta: proprietary only), None without NVIDIA GPU.
    A host mixing 'required' and 'unsupported' GPUs -> ValueError (no flavour fits).
    """
    flavour = recommended_kernel_module(gpus)
    if flavour is None:
        return None
    if flavour == "proprietary":
        return "unsupported"
    devices = _nvidia_devices(gpus)
    if any(data.ARCHITECTURE_SUPPORT[arch]["open_modules"] == "required" or model in data.OPEN_REQUIRED_MODELS
           for arch, model in devices):
        return "required"
    return "recommended"
