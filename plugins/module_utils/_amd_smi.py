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

_UNIT_BYTES = {"b": 1, "kb": 1000, "mb": 1000 ** 2, "gb": 1000 ** 3, "kib": 1024, "mib": 1024 ** 2, "gib": 1024 ** 3}


def _load(text):
    text = (text or "").strip()
    start = min([i for i in (text.find("{"), text.find("[")) if i >= 0] or [0])
    return json.loads(text[start:])  # amd-smi may print warnings before the JSON


def _device_id(value):
    value = clean(value)
    if value is None:
        return None
    match = re.match(r"^(?:0x)?([0-9a-fA-F]{1,4})$", str(value))
    return "1002:%04x" % int(match.group(1), 16) if match else None


def _gfx(value):
    value = clean(value)
    if not value:
        return None
    value = str(value).lower()
    return "gfx90a" if value == "gfx9010" else value  # rocm-smi prints MI200's gfx90a as gfx9010


def _memory_mib(size):
    """{'value': 196592, 'unit': 'MB'} / '196592 MB' / bytes integer -> MiB (amd-smi 'MB' is MiB)."""
    if isinstance(size, dict):
        value, unit = size.get("value"), str(size.get("unit") or "MB")
    else:
        match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$", str(size)) if size is not None else None
        if not match:
            return None
        value, unit = match.group(1), match.group(2) or "B"
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    unit = unit.lower()
    if unit in ("mb", "mib"):
        return int(value)
    if unit in ("gb", "gib"):
        return int(value * 1024)
    return int(value * _UNIT_BYTES.get(unit, 1) // (1024 ** 2))


def _entries(data):
    if isinstance(data, dict) and "gpu_data" in data:
        data = data["gpu_data"]
    if isinstance(data, dict):
        data = [data]
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
            "name": clean(asic.get("market_name")) or clean(board.get("product_name")),
            "uuid": clean(entry.get("uuid")),
            "pci_bus_id": normalize_bus_id(entry.get("bdf") or bus.get("bdf")),
            "pci_device_id": _device_id(asic.get("device_id")),
            "gfx_target": _gfx(asic.get("target_graphics_version")),
            "memory_mib": _memory_mib(vram.get("size")) if vram.get("size") is not None else None,
            "compute_capability": None,
            "mig_mode": None,
        })
    return devices


def parse_amd_smi_driver(text):
    """amdgpu driver version from ``amd-smi static --json`` (first GPU's driver.version), None if absent."""
    for entry in _entries(_load(text)):
        version = clean((entry.get("driver") or {}).get("version"))
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
        device_id = _pick(card, "Device ID", "GPU ID")
        if device_id is None and "Card Model" in card:
            device_id = _pick(card, "Card Model")
        vram = _pick(card, "VRAM Total Memory (B)")
        devices.append({
            "index": int(key[4:]),
            "vendor": "amd",
            "name": _pick(card, "Device Name", "Card Series", "Card series"),
            "uuid": _pick(card, "Unique ID"),
            "pci_bus_id": normalize_bus_id(_pick(card, "PCI Bus")),
            "pci_device_id": _device_id(device_id),
            "gfx_target": _gfx(_pick(card, "GFX Version")),
            "memory_mib": _memory_mib(vram + " B") if vram else None,
            "compute_capability": None,
            "mig_mode": None,
        })
    system = data.get("system") or {}
    return devices, clean(system.get("Driver version"))
