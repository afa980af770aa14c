# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure AMD GPU health logic (private to mlinfra.gpu): ``amd-smi metric/static --json`` and ``rocm-smi -a --json``
read into records, and the AMD checks (ECC, PCIe link, PCIe replays, temperature, throttle) judged with the same
thresholds and result shape as the NVIDIA checks of ``_gpu_health``.

No Ansible imports, no process started here. What a tool does not report is ``skip`` with the reason, never ``pass``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.mlinfra.gpu.plugins.module_utils._amd_smi import (
    _entries, _load, parse_amd_smi, parse_rocm_smi,
)
from ansible_collections.mlinfra.gpu.plugins.module_utils._gpu_health import _check, _worst, check_pcie
from ansible_collections.mlinfra.gpu.plugins.module_utils._nvidia_smi import clean

# PCIe transfer rate (GT/s) -> generation (PCI-SIG: 2.5, 5, 8, 16, 32, 64 GT/s are gen 1 to 6).
_GEN = {2.5: 1, 5.0: 2, 8.0: 3, 16.0: 4, 32.0: 5, 64.0: 6}
# amd-smi violation (throttle) sources -> the NVIDIA clock event reason whose verdict they take (throttle_fail /
# throttle_warn name NVIDIA reasons): PROCHOT is the hardware slowdown signal, the thermal ones are thermal slowdowns,
# PPT (package power tracking) is the power cap.
VIOLATIONS = (("prochot", "hw_slowdown"), ("socket_thermal", "hw_thermal_slowdown"),
              ("vr_thermal", "hw_thermal_slowdown"), ("hbm_thermal", "hw_thermal_slowdown"), ("ppt", "sw_power_cap"))
TEMPERATURE_SENSORS = ("edge", "junction", "hotspot")
_ROCM_TEMP = re.compile(r"^Temperature \(Sensor (edge|junction|hotspot)\) \(C\)$")
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)(?:\s*[A-Za-z/%]*\s*)$")  # "33", 33, "32 GT/s", "48 C"
_ROCM_PCIE = re.compile(r"\(?\s*(\d+(?:\.\d+)?)\s*GT/s\s*x(\d+)\s*\)?", re.IGNORECASE)


def _value(item):
    """amd-smi ``{"value": 33, "unit": "C"}``, ``33``, ``"33"`` or ``"N/A"`` -> a number or None."""
    if isinstance(item, dict):
        item = item.get("value")
    item = clean(item)
    match = _NUMBER.match(str(item)) if item is not None and not isinstance(item, bool) else None
    if not match:
        return None
    number = float(match.group(1))
    return int(number) if number == int(number) else number


def gen_of(speed):
    """PCIe speed in GT/s (number or ``{"value": 16.0, "unit": "GT/s"}``) -> generation, None if unknown."""
    value = _value(speed)
    return _GEN.get(float(value)) if value is not None else None


def _active(status):
    """A violation status (``"ACTIVE"``, ``"NOT ACTIVE"``, ``"N/A"``, or per-XCP lists / dicts of them) -> bool/None."""
    if isinstance(status, dict):
        status = list(status.values())
    if isinstance(status, list):
        flags = [_active(item) for item in status]
        known = [flag for flag in flags if flag is not None]
        return any(known) if known else None
    status = clean(status)
    if status is None:
        return None
    return str(status).strip().upper() in ("ACTIVE", "TRUE", "1")


def _ecc(entry):
    """(uncorrectable, correctable, deferred, {block: (correctable, uncorrectable)}) from one metric entry."""
    totals = entry.get("ecc") or {}
    blocks = {}
    for name, counts in sorted((entry.get("ecc_blocks") or {}).items()):
        if isinstance(counts, dict):
            ce, ue = _value(counts.get("correctable_count")), _value(counts.get("uncorrectable_count"))
            if ce is not None or ue is not None:
                blocks[name] = (ce, ue)
    ue = _value(totals.get("total_uncorrectable_count"))
    ce = _value(totals.get("total_correctable_count"))
    if ue is None and blocks:
        ue = sum(counts[1] or 0 for counts in blocks.values())
    if ce is None and blocks:
        ce = sum(counts[0] or 0 for counts in blocks.values())
    return ue, ce, _value(totals.get("total_deferred_count")), blocks


def _throttle(entry):
    """{violation: True/False} from ``throttle`` (MI300+), or {"throttle_status": bool} from ``power`` (MI200, Navi)."""
    section = entry.get("throttle") or {}
    found = {}
    for name, _reason in VIOLATIONS:
        active = _active(section.get(name + "_violation_status"))
        if active is not None:
            found[name] = active
    if not found:
        status = clean((entry.get("power") or {}).get("throttle_status"))
        if status is not None:
            found["throttle_status"] = str(status).strip().upper() == "THROTTLED"
    return found


def _blank(device):
    rec = dict((key, device.get(key)) for key in ("index", "uuid", "name", "pci_bus_id"))
    rec.update({"vendor": "amd", "tool": None, "ecc_uncorrected": None, "ecc_correctable": None, "ecc_deferred": None,
                "ecc_blocks": {}, "pcie_gen": None, "pcie_gen_max": None, "pcie_width": None, "pcie_width_max": None,
                "pcie_replay": None, "temperatures": {}, "throttle": {}, "idle": None})
    return rec


def parse_amd_metric(metric_text, static_text=""):
    """``amd-smi metric --json`` (+ ``amd-smi static --json`` for names and PCIe maxima), either envelope -> records."""
    static = dict((d["index"], d) for d in parse_amd_smi(static_text)) if (static_text or "").strip() else {}
    buses = {}
    if static:
        for position, entry in enumerate(_entries(_load(static_text))):
            buses[entry.get("gpu", position)] = entry.get("bus") or {}
    records = []
    for position, entry in enumerate(_entries(_load(metric_text))):
        index = entry.get("gpu", position)
        rec = _blank(static.get(index) or {"index": index})
        rec["tool"] = "amd-smi"
        rec["ecc_uncorrected"], rec["ecc_correctable"], rec["ecc_deferred"], rec["ecc_blocks"] = _ecc(entry)
        pcie, bus = entry.get("pcie") or {}, buses.get(index) or {}
        rec["pcie_width"], rec["pcie_gen"] = _value(pcie.get("width")), gen_of(pcie.get("speed"))
        rec["pcie_width_max"] = _value(bus.get("max_pcie_width", bus.get("max_pcie_lanes")))
        rec["pcie_gen_max"] = gen_of(bus.get("max_pcie_speed"))
        rec["pcie_replay"] = _value(pcie.get("replay_count"))
        temps = entry.get("temperature") or {}
        rec["temperatures"] = dict((s, _value(temps.get(s))) for s in TEMPERATURE_SENSORS if _value(temps.get(s))
                                   is not None)
        rec["throttle"] = _throttle(entry)
        activity = _value((entry.get("usage") or {}).get("gfx_activity"))
        rec["idle"] = None if activity is None else activity == 0
        records.append(rec)
    return records


def parse_rocm_smi_health(text):
    """``rocm-smi -a --json`` (ROCm 5 and 6 key names) -> records; rocm-smi -a reports no ECC, throttle or PCIe max."""
    devices, _driver = parse_rocm_smi(text)
    data = _load(text)
    records = []
    for device in devices:
        card = data["card%d" % device["index"]]
        rec = _blank(device)
        rec["tool"] = "rocm-smi"
        for key, value in card.items():
            match = _ROCM_TEMP.match(key.strip())
            if match and _value(value) is not None:
                rec["temperatures"][match.group(1)] = _value(value)
        rec["pcie_replay"] = _value(card.get("PCIe Replay Count"))
        link = _ROCM_PCIE.search(str(card.get("pcie clock level") or ""))
        if link:
            rec["pcie_gen"], rec["pcie_width"] = gen_of(link.group(1)), int(link.group(2))
        records.append(rec)
    return records


# ---------------------------------------------------------------------------------------------------- checks

def check_amd_ecc(rec, limits):
    ue, ce = rec.get("ecc_uncorrected"), rec.get("ecc_correctable")
    if ue is None and ce is None:
        why = "rocm-smi -a does not report ECC counts" if rec.get("tool") == "rocm-smi" else \
            "ECC counters not reported (ECC off or not supported)"
        return _check("ecc", "skip", why)
    statuses = []
    if ue is not None and ue > limits["ecc_volatile_uncorrected_max"]:
        statuses.append("fail")
    if ce is not None and ce > limits["ecc_correctable_max"]:
        statuses.append("warn")
    blocks = ["%s %s/%s" % (name, c, u) for name, (c, u) in sorted(rec.get("ecc_blocks", {}).items()) if c or u]
    evidence = "ECC errors: uncorrectable %s, correctable %s, deferred %s%s" % (
        ue, ce, rec.get("ecc_deferred"), ("; blocks correctable/uncorrectable: " + ", ".join(blocks)) if blocks else "")
    return _check("ecc", _worst(statuses or ["pass"]), evidence)


def check_amd_pcie(rec, limits):
    if rec.get("pcie_gen") is not None and rec.get("pcie_width") is not None and \
            None in (rec.get("pcie_gen_max"), rec.get("pcie_width_max")):
        return _check("pcie_link", "skip", "PCIe gen %s, width x%s; the maximum is not reported by %s"
                      % (rec["pcie_gen"], rec["pcie_width"], rec.get("tool")))
    return check_pcie(dict(rec, throttle={"gpu_idle": rec.get("idle")}), limits)  # idle: gfx_activity 0 %


def check_pcie_replay(rec, limits):
    count = rec.get("pcie_replay")
    if count is None:
        return _check("pcie_replay", "skip", "PCIe replay count not reported")
    status = "warn" if count > limits["pcie_replay_max"] else "pass"
    return _check("pcie_replay", status, "PCIe replays %s (warn above %s)" % (count, limits["pcie_replay_max"]))


def check_amd_temperature(rec, limits):
    temps = rec.get("temperatures") or {}
    if not temps:
        return _check("temperature", "skip", "temperature not reported")
    hottest = max(temps.values())
    status = "fail" if hottest >= limits["temperature_fail"] else \
        "warn" if hottest >= limits["temperature_warn"] else "pass"
    readings = ", ".join("%s %s" % (s, temps[s]) for s in TEMPERATURE_SENSORS if s in temps)
    return _check("temperature", status, "%s C (warn at %s, fail at %s)"
                  % (readings, limits["temperature_warn"], limits["temperature_fail"]))


def check_amd_throttle(rec, limits):
    found = rec.get("throttle") or {}
    if not found:
        return _check("throttle", "skip", "throttle (violation) status not reported")
    if "throttle_status" in found:
        active = found["throttle_status"]
        return _check("throttle", "warn" if active else "pass", "throttle_status THROTTLED (the cause is not reported)"
                      if active else "throttle_status UNTHROTTLED")
    reasons = dict(VIOLATIONS)
    active = [name for name, _reason in VIOLATIONS if found.get(name)]
    statuses = ["fail" for n in active if reasons[n] in limits["throttle_fail"]] + \
        ["warn" for n in active if reasons[n] in limits["throttle_warn"]]
    return _check("throttle", _worst(statuses or ["pass"]), "active violations: %s" % (
        ", ".join("%s (as %s)" % (n, reasons[n]) for n in active) or "none"))


def evaluate_amd(records, limits):
    """One entry per AMD GPU, in the shape of ``_gpu_health.evaluate``'s ``gpus`` (plus ``vendor``)."""
    gpus = []
    for rec in records:
        checks = [check_amd_ecc(rec, limits), check_amd_pcie(rec, limits), check_pcie_replay(rec, limits),
                  check_amd_temperature(rec, limits), check_amd_throttle(rec, limits)]
        failing = [c["check"] for c in checks if c["status"] == "fail"]
        gpus.append({"index": rec.get("index"), "uuid": rec.get("uuid"), "name": rec.get("name"),
                     "pci_bus_id": rec.get("pci_bus_id"), "vendor": "amd", "healthy": not failing,
                     "failing": failing, "warnings": [c["check"] for c in checks if c["status"] == "warn"],
                     "checks": checks})
    return gpus


def _failure(command, rc, out, err):
    text = ((err or "") + (out or "")).strip()[:200]
    return "%s rc=%d%s" % (command, rc, (": " + text) if text else " without output")


def read_amd(run, tools):
    """(records, node check ``amd_gpus``) with ``amd-smi`` (metric + static) or, without it or when it fails,
    ``rocm-smi -a``; (None, None) when neither tool is installed. A tool that fails gives ``warn`` with its output."""
    tried = []
    if tools.get("amd-smi"):
        rc, out, err = run([tools["amd-smi"], "metric", "--json"])
        if rc == 0:
            src, static, _err = run([tools["amd-smi"], "static", "--json"])  # without it the PCIe maxima are unknown
            records = parse_amd_metric(out, static if src == 0 else "")
            return records, _check("amd_gpus", "pass", "%d GPUs read with amd-smi metric" % len(records))
        tried.append(_failure("amd-smi metric", rc, out, err))
    if tools.get("rocm-smi"):
        rc, out, err = run([tools["rocm-smi"], "-a", "--json"])
        if rc == 0:
            records = parse_rocm_smi_health(out)
            return records, _check("amd_gpus", "pass", "%d GPUs read with rocm-smi -a" % len(records))
        tried.append(_failure("rocm-smi -a", rc, out, err))
    if not tried:
        return None, None
    return [], _check("amd_gpus", "warn", "AMD GPUs not readable: %s" % "; ".join(tried))
