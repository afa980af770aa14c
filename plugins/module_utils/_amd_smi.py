# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parsers for AMD tool output: ``amd-smi ... --json`` (ROCm 6 bare list, ROCm 7 ``gpu_data`` envelope)
and ``rocm-smi --json`` (ROCm 5 and 6 key names). Private to mlinfra.gpu; no Ansible imports."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.mlinfra.gpu.plugins.module_utils._nvidia_smi import clean, normalize_bus_id
from ansible_collections.mlinfra.gpu.plugins.module_utils.gpu_catalog import normalize_gfx_target

_HEX_NAME = re.compile(r"^\s*0x[0-9a-f]+\s*$", re.IGNORECASE)
_VERSION_IN_TEXT = re.compile(r"\d+\.\d+(?:\.\d+){0,2}")


def _load(text):
    """The JSON in a tool's output; amd-smi may print Python warnings before it. ValueError without JSON."""
    text = text or ""
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts:
        raise ValueError("no JSON in the output: %r" % text.strip()[:200])
    return json.loads(text[min(starts):])


def _device_id(value):
    """``0x74a1`` / ``74a1`` (hex, as tools and pci.ids print it), 29857 or ``29857(0x74a1)`` -> ``1002:74a1``."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = (clean(value) or "").lower()
        hexa = re.search(r"0x[0-9a-f]{1,4}\b", text) or re.match(r"^[0-9a-f]{1,4}$", text)
        if hexa:
            number = int(hexa.group(0), 16)
        elif re.match(r"^\d{5}$", text):
            number = int(text)
        else:
            return None
    return "1002:%04x" % number if 0 < number <= 0xffff else None


def _revision(value):
    """PCI revision as two hex digits (``0xc8`` / ``c8`` / 200 -> ``c8``), None when absent."""
    if isinstance(value, int) and not isinstance(value, bool):
        return "%02x" % value if 0 <= value <= 0xff else None
    text = (clean(value) or "").lower()
    return "%02x" % int(text, 16) if re.match(r"^(?:0x)?[0-9a-f]{1,2}$", text) else None


def _name(value):
    """A product name; None for a placeholder or a device id printed instead of a name (rocm-smi 4: ``0x738c``)."""
    value = clean(value)
    return None if value is None or _HEX_NAME.match(value) else value


def driver_version(value):
    """The version in what amd-smi / rocm-smi give as the driver version, None without one.

    The amdgpu version is a version (``6.10.5``); with the kernel's own (inbox) driver the tools give the kernel:
    ``6.8.0-45-generic``, ``4.18.0-348.12.2.el8_5.x86_64`` or a whole banner (``Linux version 6.8.0-79-generic
    (buildd@...) #79-Ubuntu SMP ...``, spaces dropped by amd-smi 25.3). Each gives its dotted version: ``6.8.0``.
    """
    match = _VERSION_IN_TEXT.search(clean(value) or "")
    return match.group(0) if match else None


def _vram_mib(size):
    """MiB from amd-smi's ``vram.size`` (``{'value': 16368, 'unit': 'MB'}``: amd-smi's MB are MiB), else None."""
    value, unit = str(size.get("value")), str(size.get("unit"))
    return int(value) if value.isdigit() and unit in ("MB", "MiB") else None


def _bytes_mib(value):
    """MiB from rocm-smi's ``VRAM Total Memory (B)`` byte count, else None."""
    value = clean(value) or ""
    return int(value) // (1024 * 1024) if value.isdigit() else None


def _entries(data):
    if isinstance(data, dict):
        data = data.get("gpu_data", [data])  # ROCm 7 envelope; a lone object (one GPU asked)
    return [entry for entry in data if isinstance(entry, dict)] if isinstance(data, list) else []


def parse_amd_smi(text):
    """``amd-smi list --json`` / ``amd-smi static --json`` (either envelope) -> list of device dicts."""
    devices = []
    for position, entry in enumerate(_entries(_load(text))):
        asic = entry.get("asic") or {}
        bus = entry.get("bus") or {}
        board = entry.get("board") or {}
        vram = entry.get("vram") or {}
        index = entry.get("gpu", position)
        devices.append({
            "index": int(index) if str(index).isdigit() else position,
            "vendor": "amd",
            "name": _name(asic.get("market_name")) or _name(board.get("product_name")),
            "uuid": clean(entry.get("uuid")),
            "pci_bus_id": normalize_bus_id(entry.get("bdf") or bus.get("bdf")),
            "pci_device_id": _device_id(asic.get("device_id")),
            "pci_revision": _revision(asic.get("rev_id")),
            "gfx_target": normalize_gfx_target(clean(asic.get("target_graphics_version"))),
            "memory_mib": _vram_mib(vram.get("size") or {}),
            "compute_capability": None,
            "mig_mode": None,
        })
    return devices


def parse_amd_smi_driver(text):
    """amdgpu driver version from ``amd-smi static --json`` (first GPU's driver.version), None if absent."""
    for entry in _entries(_load(text)):
        version = driver_version((entry.get("driver") or {}).get("version"))
        if version:
            return version
    return None


def _pick(card, *names):
    lowered = dict((key.strip().lower(), value) for key, value in card.items())
    for name in names:
        value = clean(lowered.get(name.lower()))
        if value is not None:
            return value
    return None


def parse_rocm_smi(text):
    """``rocm-smi --json`` ({'card0': {...}, 'system': {...}}) -> (devices, driver_version)."""
    data = _load(text)
    devices = []
    cards = sorted((key for key in data if re.match(r"^card\d+$", key)), key=lambda key: int(key[4:]))
    for key in cards:
        card = data[key]
        # ROCm 5: 'GPU ID' is the device id and 'Card model' the subsystem; ROCm 6: 'Device ID' / 'Card Model'.
        device_id = _pick(card, "Device ID", "GPU ID") or clean(card.get("Card Model"))
        devices.append({
            "index": int(key[4:]),
            "vendor": "amd",
            "name": _name(_pick(card, "Device Name")) or _name(_pick(card, "Card Series", "Card series")),
            "uuid": _pick(card, "Unique ID"),
            "pci_bus_id": normalize_bus_id(_pick(card, "PCI Bus")),
            "pci_device_id": _device_id(device_id),
            "pci_revision": _revision(_pick(card, "Device Rev")),
            "gfx_target": normalize_gfx_target(_pick(card, "GFX Version")),
            "memory_mib": _bytes_mib(_pick(card, "VRAM Total Memory (B)")),
            "compute_capability": None,
            "mig_mode": None,
        })
    system = data.get("system") or {}
    return devices, driver_version(system.get("Driver version"))
