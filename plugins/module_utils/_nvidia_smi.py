# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parsers for nvidia-smi output and /proc/driver/nvidia files (private to mlinfra.gpu).

No Ansible imports; every function takes text and returns plain data, so unit tests run without a host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# Fields asked of --query-gpu. ``name`` is last so that a comma inside a name cannot shift the other columns.
QUERY_FIELDS = (
    "index", "uuid", "pci.bus_id", "pci.device_id", "memory.total", "compute_cap", "mig.mode.current",
    "driver_version", "name",
)

# Values nvidia-smi prints when it has none.
_MISSING = frozenset(("", "n/a", "[n/a]", "[not supported]", "not supported", "[unknown error]", "unknown error",
                      "[insufficient permissions]", "[gpu requires reset]", "[gpu is lost]", "none", "deprecated"))
_INVALID_FIELD = re.compile(r'Field\s+"([^"]+)"\s+is not a valid field to query', re.IGNORECASE)
_UNIT_SUFFIX = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:[KMGT]i?B|%|W|MHz|C|us|ms)?\s*$", re.IGNORECASE)
_HEADER_UNIT = re.compile(r"\s*\[[^\]]*\]\s*$")

# Messages that mean "a driver is installed (or was) but nvidia-smi cannot talk to it": not a module failure.
DRIVER_NOT_WORKING = (
    "couldn't communicate with the nvidia driver",
    "driver/library version mismatch",
    "no devices were found",
    "failed to initialize nvml",
    "nvml: driver not loaded",
    "unable to determine the device handle",
    "gpu access blocked by the operating system",
)


def missing(value):
    """True for the placeholders nvidia-smi prints instead of a value."""
    return value is None or str(value).strip().lower() in _MISSING


def clean(value):
    """Strip a value; None for [N/A], [Not Supported], N/A and friends."""
    if missing(value):
        return None
    return str(value).strip()


def number(value):
    """Numeric part of a value with or without its unit ('81559 MiB' and '81559' -> 81559); None if absent."""
    value = clean(value)
    if value is None:
        return None
    match = _UNIT_SUFFIX.match(value)
    if not match:
        return None
    text = match.group(1)
    return float(text) if "." in text else int(text)


def normalize_bus_id(value):
    """'00000000:18:00.0' (nvidia-smi) / '0000:18:00.0' / '18:00.0' -> '0000:18:00.0' (sysfs form); None if not one."""
    value = clean(value)
    if value is None:
        return None
    match = re.match(r"^(?:([0-9a-fA-F]{1,8}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\.([0-7])$", value)
    if not match:
        return None
    domain = int(match.group(1) or "0", 16)
    return "%04x:%02x:%02x.%s" % (domain, int(match.group(2), 16), int(match.group(3), 16), match.group(4))


def normalize_device_id(value):
    """'0x233010DE' / '233010DE' (device+vendor, nvidia-smi) -> '10de:2330'; None when not an id."""
    value = clean(value)
    if value is None:
        return None
    match = re.match(r"^(?:0x)?([0-9a-fA-F]{4})([0-9a-fA-F]{4})$", value)
    if not match:
        return None
    return "%s:%s" % (match.group(2).lower(), match.group(1).lower())


def invalid_fields(text):
    """Field names an old nvidia-smi rejected ('Field "compute_cap" is not a valid field to query.')."""
    return _INVALID_FIELD.findall(text or "")


def driver_not_working(text):
    """The error line when the text says the driver cannot be reached, else None."""
    for line in (text or "").splitlines():
        lowered = line.strip().lower()
        if any(marker in lowered for marker in DRIVER_NOT_WORKING):
            return line.strip()
    return None


def _split_row(line, width):
    parts = [p.strip() for p in line.split(",")]
    if width and len(parts) > width:  # a comma inside the last column (the name in our own query)
        parts = parts[:width - 1] + [", ".join(parts[width - 1:])]
    return parts


def parse_query_csv(text, fields=None):
    """Parse ``--query-gpu`` CSV into one dict per GPU keyed by field name.

    With ``fields`` (the list asked for) the text is read as ``csv,noheader[,nounits]``; a header line, when
    present, is recognised and used instead, its units (``memory.total [MiB]``) dropped from the names. Values are
    stripped strings, None for ``[N/A]``/``[Not Supported]``/``N/A``; units stay (see ``number``).
    """
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return []
    header = [_HEADER_UNIT.sub("", h).strip() for h in lines[0].split(",")]
    known = set(QUERY_FIELDS) | set(fields or ())
    looks_like_header = all(re.match(r"^[A-Za-z_][\w.]*$", h) for h in header) and bool(set(header) & known)
    if fields is None or looks_like_header:
        fields, lines = header, lines[1:]
    rows = []
    for line in lines:
        if invalid_fields(line) or driver_not_working(line):
            continue
        parts = _split_row(line, len(fields))
        if len(parts) < len(fields):
            continue
        rows.append(dict((field, clean(value)) for field, value in zip(fields, parts)))
    return rows


def _mig_mode(value):
    value = clean(value)
    if value is None:
        return None
    value = value.lower()
    return value if value in ("enabled", "disabled") else None


def _capability(value):
    value = clean(value)
    if value and re.match(r"^\d+\.\d+$", value):
        return value
    return None


def device_from_query(row):
    """Normalise one parsed query row (see ``parse_query_csv``) into the gpu_facts device shape (NVIDIA keys)."""
    index = number(row.get("index"))
    memory = number(row.get("memory.total"))
    return {
        "index": int(index) if index is not None else None,
        "vendor": "nvidia",
        "name": clean(row.get("name")),
        "uuid": clean(row.get("uuid")) or clean(row.get("gpu_uuid")),
        "pci_bus_id": normalize_bus_id(row.get("pci.bus_id")),
        "pci_device_id": normalize_device_id(row.get("pci.device_id")),
        "compute_capability": _capability(row.get("compute_cap")),
        "memory_mib": int(memory) if memory is not None else None,
        "mig_mode": _mig_mode(row.get("mig.mode.current")),
        "driver_version": clean(row.get("driver_version")) or clean(row.get("kmd_version")),
    }


def _version_value(text, labels):
    for label in labels:
        match = re.search(r"^\s*" + label + r"\s*:\s*(\S.*?)\s*$", text, re.IGNORECASE | re.MULTILINE)
        if match and re.match(r"^\d+(\.\d+)+$", match.group(1)):
            return match.group(1)
    return None


def parse_version(text):
    """``nvidia-smi --version`` -> dict(driver_version, cuda_version, nvml_version, smi_version); None values if absent.

    Handles R610+ where 'DRIVER version' / 'CUDA Version' read 'Deprecated' and 'KMD version' /
    'CUDA UMD version' carry the values.
    """
    text = text or ""
    return {
        "driver_version": _version_value(text, ("KMD version", "DRIVER version")),
        "cuda_version": _version_value(text, ("CUDA UMD version", "CUDA version")),
        "nvml_version": _version_value(text, ("NVML version",)),
        "smi_version": _version_value(text, ("NVIDIA-SMI version",)),
    }


def parse_header(text):
    """Versions from the plain ``nvidia-smi`` table header ('Driver Version: 590.48.01   CUDA Version: 13.1')."""
    text = text or ""
    result = {"driver_version": None, "cuda_version": None}
    match = re.search(r"(?:Driver|KMD) Version:\s*(\d+(?:\.\d+)+)", text, re.IGNORECASE)
    if match:
        result["driver_version"] = match.group(1)
    match = re.search(r"CUDA(?: UMD)? Version:\s*(\d+\.\d+)", text, re.IGNORECASE)
    if match:
        result["cuda_version"] = match.group(1)
    return result


_PROC_VERSION = re.compile(r"NVRM version:.*?Kernel Module(?:\s+for\s+\S+)?\s+(\d+(?:\.\d+)+)\s")


def parse_proc_version(text):
    """/proc/driver/nvidia/version -> dict(version, kernel_module: open|proprietary, gcc) or None when not one."""
    text = text or ""
    match = _PROC_VERSION.search(text + " ")
    if not match:
        return None
    line = text[match.start():].splitlines()[0]
    gcc = re.search(r"^GCC version:\s*(.*?)\s*$", text, re.MULTILINE)
    return {
        "version": match.group(1),
        "kernel_module": "open" if "Open Kernel Module" in line else "proprietary",
        "gcc": gcc.group(1) if gcc else None,
    }
