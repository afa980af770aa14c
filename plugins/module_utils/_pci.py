# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PCI discovery of GPUs and NVSwitches from sysfs, without any driver. Private to mlinfra.gpu.

``classify`` and ``device_from_pci`` are pure functions over the values read; ``scan`` only reads small files
under ``<sysfs_root>/bus/pci/devices``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.mlinfra.gpu.plugins.module_utils.gpu_catalog import (
    NVIDIA_VENDOR_ID, VENDOR_NAMES, lookup_pci, nvswitch_name, pci_key,
)

# Display classes (VGA, 3D, other display) and "processing accelerator" (AMD Instinct MI300 and later).
GPU_CLASSES = frozenset(("0300", "0302", "0380", "1200"))
BRIDGE_OTHER_CLASS = "0680"  # NVSwitch
_FILES = ("vendor", "device", "class", "numa_node", "subsystem_vendor", "subsystem_device")


def _hex(value, width):
    value = (value or "").strip().lower()
    if value.startswith("0x"):
        value = value[2:]
    return value.zfill(width) if value else ""


def classify(vendor, pci_class):
    """'gpu', 'nvswitch' or None for a sysfs vendor ('0x10de') and class ('0x030200') value pair."""
    vendor = _hex(vendor, 4)
    base = _hex(pci_class, 6)[:4]
    if vendor not in VENDOR_NAMES:
        return None
    if base in GPU_CLASSES:
        return "gpu"
    if vendor == NVIDIA_VENDOR_ID and base == BRIDGE_OTHER_CLASS:
        return "nvswitch"
    return None


def device_from_pci(address, values):
    """Device dict (gpu_facts shape) from one PCI function's sysfs values; names from the catalogue."""
    key = pci_key(values.get("vendor", ""), values.get("device", ""))
    info = lookup_pci(key) or {}
    numa = (values.get("numa_node") or "").strip()
    return {
        "vendor": VENDOR_NAMES.get(key.split(":")[0]),
        "name": info.get("name"),
        "model": info.get("model"),
        "uuid": None,
        "pci_bus_id": address.lower(),
        "pci_device_id": key,
        "pci_class": "0x" + _hex(values.get("class"), 6),
        "architecture": info.get("architecture"),
        "compute_capability": info.get("compute_capability"),
        "gfx_target": info.get("gfx_target"),
        "memory_mib": info.get("memory_mib"),
        "mig_mode": None,
        "numa_node": int(numa) if numa.lstrip("-").isdigit() and int(numa) >= 0 else None,
        "kernel_driver": values.get("driver"),
    }


def _read(path):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return None


def read_function(path):
    """Values of one sysfs PCI function directory (missing files are simply absent)."""
    values = {}
    for name in _FILES:
        value = _read(os.path.join(path, name))
        if value is not None:
            values[name] = value
    driver = os.path.join(path, "driver")
    if os.path.islink(driver):
        values["driver"] = os.path.basename(os.readlink(driver))
    return values


def scan(sysfs_root="/sys"):
    """Scan ``<sysfs_root>/bus/pci/devices`` -> (gpus, nvswitches), each a list of device dicts sorted by address.

    A missing directory (containers, non-Linux) yields two empty lists.
    """
    base = os.path.join(sysfs_root, "bus", "pci", "devices")
    try:
        addresses = sorted(os.listdir(base))
    except (IOError, OSError):
        return [], []
    gpus, switches = [], []
    for address in addresses:
        path = os.path.join(base, address)
        vendor = _read(os.path.join(path, "vendor"))
        kind = classify(vendor, _read(os.path.join(path, "class")))
        if kind is None:
            continue
        values = read_function(path)
        if kind == "nvswitch":
            # The NVIDIA driver binds every NVIDIA class 0x068000 function as an NVSwitch (nv-pci-table.c);
            # ids the catalogue does not know yet still count.
            switch = device_from_pci(address, values)
            switch["name"] = nvswitch_name(switch["pci_device_id"])
            switches.append(switch)
        else:
            gpus.append(device_from_pci(address, values))
    return gpus, switches
