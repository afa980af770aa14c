# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Assemble ``ansible_facts.gpu`` from PCI, nvidia-smi and AMD tool results. Private to mlinfra.gpu.

``collect`` drives the whole discovery through two injected callables (run a command, read a file), so the module
stays thin and every branch is unit-tested without a host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.mlinfra.gpu.plugins.module_utils import _amd_smi, _nvidia_smi, _pci
from ansible_collections.mlinfra.gpu.plugins.module_utils.gpu_catalog import (
    device_model, gfx_architecture, lookup_pci, model_architecture, model_compute_capability,
)

DEVICE_KEYS = ("index", "vendor", "name", "model", "uuid", "pci_bus_id", "pci_device_id", "architecture",
               "compute_capability", "gfx_target", "memory_mib", "mig_mode", "numa_node")


class ToolError(Exception):
    """A GPU tool failed in a way that is not 'driver not working': the module fails with this context."""

    def __init__(self, cmd, rc, stdout, stderr, reason):
        self.cmd, self.rc, self.stdout, self.stderr = cmd, rc, stdout, stderr
        msg = "%s: %s exited with rc=%s; stdout: %r; stderr: %r" % (reason, " ".join(cmd), rc,
                                                                    (stdout or "").strip()[:2000],
                                                                    (stderr or "").strip()[:2000])
        super(ToolError, self).__init__(msg)


def query_nvidia(run, binary, fields=_nvidia_smi.QUERY_FIELDS):
    """Run ``--query-gpu`` and retry without the fields an old driver rejects.

    ``run(argv) -> (rc, stdout, stderr)``. Returns (devices, fields_used, not_working_error_or_None).
    Raises ToolError on any other failure.
    """
    fields = list(fields)
    while True:
        cmd = [binary, "--query-gpu=" + ",".join(fields), "--format=csv,noheader,nounits"]
        rc, out, err = run(cmd)
        text = (out or "") + "\n" + (err or "")
        if rc == 0:
            rows = _nvidia_smi.parse_query_csv(out, fields)
            return [_nvidia_smi.device_from_query(row) for row in rows], fields, None
        not_working = _nvidia_smi.driver_not_working(text)
        if not_working:
            return [], fields, not_working
        bad = [field for field in _nvidia_smi.invalid_fields(text) if field in fields]
        if not bad or len(bad) >= len(fields) or "index" in bad:
            raise ToolError(cmd, rc, out, err, "nvidia-smi --query-gpu failed")
        fields = [field for field in fields if field not in bad]


def nvidia_versions(run, binary):
    """Driver and CUDA version from ``nvidia-smi --version``, falling back to the plain table header."""
    rc, out, _err = run([binary, "--version"])
    info = _nvidia_smi.parse_version(out) if rc == 0 else {}
    if not info.get("cuda_version"):
        rc, out, _err = run([binary])
        if rc == 0:
            header = _nvidia_smi.parse_header(out)
            info = dict(info, **dict((k, v) for k, v in header.items() if v))
    return info


def _fill(device):
    result = dict((key, device.get(key)) for key in DEVICE_KEYS)
    info = lookup_pci(device.get("pci_device_id")) if device.get("pci_device_id") else None
    info = info or {}
    # The tool's name (else the catalogue's), the PCI id and revision give one token whichever tool answered.
    result["model"] = device_model(result["name"], result["pci_device_id"], device.get("pci_revision")) or result["model"]
    if not result["name"]:
        result["name"] = info.get("name")
    if result["architecture"] is None and result["gfx_target"]:
        result["architecture"] = gfx_architecture(result["gfx_target"])  # what the AMD tool says the chip is
    for key in ("architecture", "compute_capability", "gfx_target", "memory_mib"):
        if result[key] is None:
            result[key] = info.get(key)
    if result["architecture"] is None:
        result["architecture"] = model_architecture(result["name"] or "")
    if result["compute_capability"] is None and result["vendor"] == "nvidia":
        result["compute_capability"] = model_compute_capability(result["name"] or "")
    return result


def merge_devices(pci_gpus, tool_devices):
    """Merge by PCI bus id: tool values win where known; PCI-only and tool-only devices are kept."""
    by_bus = dict((device["pci_bus_id"], dict(device)) for device in pci_gpus if device.get("pci_bus_id"))
    merged = []
    for device in tool_devices:
        base = by_bus.pop(device.get("pci_bus_id"), None) if device.get("pci_bus_id") else None
        combined = dict(base or {})
        combined.update(dict((key, value) for key, value in device.items() if value is not None))
        merged.append(combined)
    rest = sorted(by_bus.values(), key=lambda d: d["pci_bus_id"])
    for device in rest:
        used = [d.get("index") for d in merged if d.get("vendor") == device.get("vendor") and d.get("index") is not None]
        device["index"] = max(used) + 1 if used else 0
        merged.append(device)
    merged.sort(key=lambda d: (d.get("vendor") or "", d.get("index") if d.get("index") is not None else 1 << 30,
                               d.get("pci_bus_id") or ""))
    return [_fill(device) for device in merged]


def build_facts(pci_gpus, nvswitches, nvidia_devices=(), amd_devices=(), driver=None, amd_driver=None, sources=()):
    """The ``gpu`` facts dict from the pieces (see the module's RETURN)."""
    devices = merge_devices(pci_gpus, list(nvidia_devices) + list(amd_devices))
    vendors = sorted(set(device["vendor"] for device in devices if device.get("vendor")))
    base = {"loaded": False, "version": None, "kernel_module": None, "cuda_version": None, "error": None}
    base.update(driver or {})
    amd = {"loaded": False, "version": None, "error": None}
    amd.update(amd_driver or {})
    return {
        "count": len(devices),
        "vendors": vendors,
        "devices": devices,
        "driver": base,
        "amd_driver": amd,
        "nvswitch_count": len(nvswitches),
        "nvswitches": [{"pci_bus_id": s["pci_bus_id"], "pci_device_id": s["pci_device_id"], "name": s.get("name")}
                       for s in nvswitches],
        "sources": list(sources),
    }


def _amd(run, amd_smi, rocm_smi):
    """(devices, driver dict, source) from amd-smi, else rocm-smi. Non-zero exit = driver not working."""
    attempts = []
    if amd_smi:
        attempts.append(("amd-smi", [amd_smi, "static", "--json"]))
    if rocm_smi:
        attempts.append(("rocm-smi", [rocm_smi, "--showid", "--showproductname", "--showbus", "--showuniqueid",
                                      "--showmeminfo", "vram", "--json"]))
    error = None
    for source, cmd in attempts:
        rc, out, err = run(cmd)
        if rc != 0:
            error = ((out or "") + " " + (err or "")).strip() or "%s exited with rc=%s" % (source, rc)
            continue
        try:
            if source == "amd-smi":
                devices, version = _amd_smi.parse_amd_smi(out), _amd_smi.parse_amd_smi_driver(out)
            else:
                devices, version = _amd_smi.parse_rocm_smi(out)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise ToolError(cmd, rc, out, err, "cannot parse %s JSON (%s)" % (source, exc))
        return devices, {"loaded": True, "version": version, "error": None}, source
    return [], {"loaded": False, "version": None, "error": error}, None


def collect(run, read, sysfs_root="/sys", proc_root="/proc", nvidia_smi=None, amd_smi=None, rocm_smi=None,
            query_tools=True):
    """Discover GPUs. ``run(argv) -> (rc, out, err)``; ``read(path) -> text or None``; binaries None = absent."""
    pci_gpus, nvswitches = _pci.scan(sysfs_root)
    sources = ["pci"] if pci_gpus or nvswitches else []
    pci_vendors = set(device["vendor"] for device in pci_gpus)
    proc = _nvidia_smi.parse_proc_version(read(os.path.join(proc_root, "driver", "nvidia", "version")))
    driver = {"loaded": bool(proc), "version": proc["version"] if proc else None,
              "kernel_module": proc["kernel_module"] if proc else None}
    if proc:
        sources.append("procfs")
    nvidia_devices, amd_devices, amd_driver = [], [], None
    if query_tools and nvidia_smi and ("nvidia" in pci_vendors or not pci_gpus):
        nvidia_devices, _fields, error = query_nvidia(run, nvidia_smi)
        if error:
            driver.update(loaded=False, error=error)
        else:
            sources.append("nvidia-smi")
            versions = nvidia_versions(run, nvidia_smi)
            known = [d["driver_version"] for d in nvidia_devices if d.get("driver_version")]
            driver.update(loaded=True, version=(known[0] if known else None) or versions.get("driver_version")
                          or driver["version"], cuda_version=versions.get("cuda_version"))
        for device in nvidia_devices:
            device.pop("driver_version", None)
    if query_tools and (amd_smi or rocm_smi) and ("amd" in pci_vendors or not pci_gpus):
        amd_devices, amd_driver, source = _amd(run, amd_smi, rocm_smi)
        if source:
            sources.append(source)
    return build_facts(pci_gpus, nvswitches, nvidia_devices, amd_devices, driver, amd_driver, sources)
