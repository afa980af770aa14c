# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure GPU health logic (private to mlinfra.gpu): parsers of nvidia-smi / kernel-log / dcgmi output and verdicts.

No Ansible imports, no process started here. Every check gives ``pass``, ``warn``, ``fail`` or ``skip`` (the GPU or
driver does not report it) with its evidence, the values it was judged on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.mlinfra.gpu.plugins.module_utils._nvidia_smi import (
    clean, invalid_fields, normalize_bus_id, number, parse_query_csv,
)
from ansible_collections.mlinfra.gpu.plugins.module_utils._xid_data import describe

THROTTLE_REASONS = ("gpu_idle", "sw_power_cap", "hw_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown",
                    "sw_thermal_slowdown")
# --query-gpu fields, ``name`` last (a comma in a name cannot shift the others).
QUERY_FIELDS = (
    "index", "uuid", "pci.bus_id", "driver_version", "persistence_mode", "temperature.gpu", "ecc.mode.current",
    "ecc.errors.uncorrected.volatile.total", "ecc.errors.uncorrected.aggregate.total",
    "retired_pages.single_bit_ecc.count", "retired_pages.double_bit.count", "retired_pages.pending",
    "remapped_rows.correctable", "remapped_rows.uncorrectable", "remapped_rows.pending", "remapped_rows.failure",
    "pcie.link.gen.current", "pcie.link.gen.max", "pcie.link.width.current", "pcie.link.width.max",
) + tuple("clocks_event_reasons." + reason for reason in THROTTLE_REASONS) + ("name",)
# Drivers before the rename know the same reasons as clocks_throttle_reasons.*.
OLD_NAMES = dict(("clocks_event_reasons." + r, "clocks_throttle_reasons." + r) for r in THROTTLE_REASONS)

DEFAULTS = {
    "ecc_volatile_uncorrected_max": 0,
    "ecc_aggregate_uncorrected_max": 0,
    "retired_pages_warn": 1,
    "retired_pages_fail": 60,
    "remapped_uncorrectable_warn": 1,
    "temperature_warn": 85,
    "temperature_fail": 95,
    "pcie_width_below_max": "fail",
    "pcie_gen_below_max": "warn",
    "throttle_fail": ["hw_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown"],
    "throttle_warn": ["sw_thermal_slowdown"],
    "persistence_disabled": "warn",
    "nvlink_errors_max": 0,
    "xid_ignore": [],
    "ecc_correctable_max": 0,
    "pcie_replay_max": 0,
}
VERDICTS = ("pass", "warn", "fail")
_NUMBERS = ("ecc_volatile_uncorrected_max", "ecc_aggregate_uncorrected_max", "retired_pages_warn", "retired_pages_fail",
            "remapped_uncorrectable_warn", "temperature_warn", "temperature_fail", "nvlink_errors_max",
            "ecc_correctable_max", "pcie_replay_max")


class HealthError(Exception):
    """A request the module cannot serve (bad threshold, tool failure); ``str()`` is the message."""

    def __init__(self, message, **context):
        super(HealthError, self).__init__(message)
        self.context = context


def thresholds(overrides):
    """DEFAULTS with the user's overrides; unknown keys and bad verdict names refused."""
    merged = dict(DEFAULTS)
    for key, value in (overrides or {}).items():
        if key not in DEFAULTS:
            raise HealthError("unknown threshold %r; known: %s" % (key, ", ".join(sorted(DEFAULTS))))
        merged[key] = value
    for key in _NUMBERS:
        try:
            merged[key] = int(merged[key])
        except (TypeError, ValueError):
            raise HealthError("threshold %s must be a whole number, got %r" % (key, merged[key]))
    try:
        merged["xid_ignore"] = [int(code) for code in merged["xid_ignore"]]
    except (TypeError, ValueError):
        raise HealthError("threshold xid_ignore must be a list of Xid codes, got %r" % (merged["xid_ignore"],))
    for key in ("pcie_width_below_max", "pcie_gen_below_max", "persistence_disabled"):
        if merged[key] not in VERDICTS:
            raise HealthError("threshold %s must be one of %s, got %r" % (key, ", ".join(VERDICTS), merged[key]))
    for key in ("throttle_fail", "throttle_warn"):
        unknown = [r for r in merged[key] if r not in THROTTLE_REASONS]
        if unknown:
            raise HealthError("threshold %s names unknown throttle reasons %s; known: %s"
                              % (key, ", ".join(unknown), ", ".join(THROTTLE_REASONS)))
    return merged


# ---------------------------------------------------------------------------------------------------- nvidia-smi

def _flag(value, yes=("yes", "enabled", "active")):
    value = clean(value)
    if value is None:
        return None
    return value.lower() in yes


def record_from_query(row):
    """One --query-gpu row (dict by field) -> the normalized record the checks read."""
    def field(name):
        value = row.get(name)
        if value is None and name in OLD_NAMES:
            value = row.get(OLD_NAMES[name])
        return value

    return {
        "index": number(field("index")), "uuid": field("uuid"), "name": field("name"),
        "pci_bus_id": normalize_bus_id(field("pci.bus_id")), "driver_version": field("driver_version"),
        "persistence": _flag(field("persistence_mode")), "temperature": number(field("temperature.gpu")),
        "ecc_enabled": _flag(field("ecc.mode.current")),
        "ecc_volatile_uncorrected": number(field("ecc.errors.uncorrected.volatile.total")),
        "ecc_aggregate_uncorrected": number(field("ecc.errors.uncorrected.aggregate.total")),
        "retired_sbe": number(field("retired_pages.single_bit_ecc.count")),
        "retired_dbe": number(field("retired_pages.double_bit.count")),
        "retired_pending": _flag(field("retired_pages.pending")),
        "remapped_correctable": number(field("remapped_rows.correctable")),
        "remapped_uncorrectable": number(field("remapped_rows.uncorrectable")),
        "remap_pending": _flag(field("remapped_rows.pending")),
        "remap_failure": _flag(field("remapped_rows.failure")),
        "pcie_gen": number(field("pcie.link.gen.current")), "pcie_gen_max": number(field("pcie.link.gen.max")),
        "pcie_width": number(field("pcie.link.width.current")),
        "pcie_width_max": number(field("pcie.link.width.max")),
        "throttle": dict((r, _flag(field("clocks_event_reasons." + r))) for r in THROTTLE_REASONS),
    }


def parse_query(text, fields=QUERY_FIELDS):
    """``--query-gpu=<fields> --format=csv,noheader`` (or with a header) -> records."""
    return [record_from_query(row) for row in parse_query_csv(text, list(fields))]


def retry_fields(fields, error_text):
    """The field list to ask again after an old driver rejected some (old throttle names first, then dropped)."""
    rejected = invalid_fields(error_text)
    if not rejected:
        return None
    out = []
    for field in fields:
        if field not in rejected:
            out.append(field)
        elif field in OLD_NAMES:
            out.append(OLD_NAMES[field])
    return out


# (section, key) of ``nvidia-smi -q`` -> (record field, converter); the ECC counters are added up separately.
_Q_FIELDS = {
    ("Retired Pages", "Single Bit ECC"): ("retired_sbe", number),
    ("Retired Pages", "Double Bit ECC"): ("retired_dbe", number),
    ("Retired Pages", "Pending Page Blacklist"): ("retired_pending", _flag),
    ("Retired Pages", "Pending Page Retirement"): ("retired_pending", _flag),
    ("Remapped Rows", "Correctable Error"): ("remapped_correctable", number),
    ("Remapped Rows", "Uncorrectable Error"): ("remapped_uncorrectable", number),
    ("Remapped Rows", "Pending"): ("remap_pending", _flag),
    ("Remapped Rows", "Remapping Failure Occurred"): ("remap_failure", _flag),
}
_Q_GPU = re.compile(r"^GPU\s+([0-9A-Fa-f]+:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7])\s*$")
_Q_LINE = re.compile(r"^(\s*)(.+?)\s*:\s*(.*?)\s*$")


def parse_q_memory(text):
    """ECC / Retired Pages / Remapped Rows sections of ``nvidia-smi -q`` -> {pci_bus_id or None: record part}.

    Uncorrectable totals add the SRAM and DRAM (or older "Device Memory"/"Total") counters of each scope.
    """
    result = {}
    bus, path = None, []
    for raw in (text or "").splitlines():
        match = _Q_GPU.match(raw.strip())
        if match:
            bus, path = normalize_bus_id(match.group(1)), []
            continue
        stripped = raw.strip()
        if not stripped:
            continue
        depth = (len(raw) - len(raw.lstrip())) // 4 - 1  # sections sit one level under "GPU <bus id>"
        if depth < 0:
            path = []
            continue
        key, _sep, value = stripped.partition(":")
        key, value = key.strip(), value.strip()
        path = path[:depth] + [key]
        record = result.setdefault(bus, {})
        if path[0] == "ECC Errors" and len(path) == 3 and "uncorrectable" in key.lower():
            scope = "ecc_%s_uncorrected" % path[1].lower()
            count = number(value)
            if count is not None:
                record[scope] = record.get(scope, 0) + count
        elif tuple(path) in _Q_FIELDS:
            name, convert = _Q_FIELDS[tuple(path)]
            record[name] = convert(value)
    return dict((key, value) for key, value in result.items() if value)


_NVLINK_GPU = re.compile(r"^GPU\s+(\d+):")
_NVLINK_COUNTER = re.compile(r"^\s*Link\s+(\d+):\s*(.+?):\s*(\d+)\s*$")


def parse_nvlink_errors(text):
    """``nvidia-smi nvlink -e`` -> {gpu index: {link: {counter name: count}}}."""
    result, gpu = {}, None
    for line in (text or "").splitlines():
        match = _NVLINK_GPU.match(line.strip())
        if match:
            gpu = int(match.group(1))
            result[gpu] = {}
            continue
        match = _NVLINK_COUNTER.match(line)
        if match and gpu is not None:
            result[gpu].setdefault(int(match.group(1)), {})[match.group(2).lower()] = int(match.group(3))
    return result


_FM_VERSION = re.compile(r"version\s+is\s*:\s*(\d+(?:\.\d+)+)", re.IGNORECASE)


def parse_fabricmanager_version(text):
    """``nv-fabricmanager --version`` ("Fabric Manager version is : 535.129.03") -> '535.129.03' or None."""
    match = _FM_VERSION.search(text or "")
    return match.group(1) if match else None


# ---------------------------------------------------------------------------------------------------- kernel log

_XID = re.compile(r"NVRM: Xid \((?:PCI:)?([0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2})(?:\.[0-7])?\):\s*(\d+),\s*(.*)$")
_BUS = re.compile(r"\b([0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2})(?:\.[0-7])?\b")


def parse_xids(text):
    """Kernel-log text (journal or dmesg, any timestamp style) -> [{bus, code, detail, line}].

    ``bus`` is ``domain:bus:device`` lower-case. "fallen off the bus" messages without an Xid line (the multi-line
    NVRM form) count as Xid 79 for the bus named on that line or on one of the two lines before it.
    """
    events = []
    lines = (text or "").splitlines()
    for position, line in enumerate(lines):
        match = _XID.search(line)
        if match:
            events.append({"bus": match.group(1).lower(), "code": int(match.group(2)),
                           "detail": match.group(3).strip(), "line": line.strip()})
            continue
        if "fallen off the bus" in line and "NVRM" in line:
            buses = [_BUS.search(text) for text in reversed(lines[max(position - 2, 0):position + 1])]
            found = [bus.group(1).lower() for bus in buses if bus]
            # the message that follows an "Xid 79" line is the same incident
            if found and not [e for e in events if e["bus"] == found[0] and e["code"] == 79]:
                events.append({"bus": found[0], "code": 79, "detail": "GPU has fallen off the bus",
                               "line": line.strip()})
    return events


def _bus_prefix(pci_bus_id):
    return (pci_bus_id or "").split(".")[0]


def xid_summary(events, ignore=()):
    """Events of one GPU -> [{code, count, meaning, action, severity, source, last}] by code."""
    by_code = {}
    for event in events:
        if event["code"] in ignore:
            continue
        entry = by_code.setdefault(event["code"], dict(describe(event["code"]), count=0))
        entry["count"] += 1
        entry["last"] = event["line"]
    return [by_code[code] for code in sorted(by_code)]


# ---------------------------------------------------------------------------------------------------- dcgmi

_DCGM_ROW = re.compile(r"^\|\s*(.*?)\s*\|\s*(.*?)\s*\|\s*$")
_DCGM_SECTION = re.compile(r"^[|+]-{5}\s+(\w+)")
_DCGM_META = {"DCGM Version": "version", "Driver Version Detected": "driver"}
_DCGM_GPU = re.compile(r"^GPU\s*(\d+)\s*:\s*(\w+)")


def _status(text):
    word = re.split(r"[\s-]", text.strip(), 1)[0].lower()  # pragma: no mutate: [0] is the same for any maxsplit
    return {"pass": "pass", "skip": "skip", "fail": "fail", "warn": "warn", "warning": "warn"}.get(word, word)


def parse_dcgmi_diag(text):
    """``dcgmi diag -r N`` (DCGM 3 and 4 layouts) -> {version, driver, tests: [{name, status, detail, gpus}]}.

    A report printed twice (srun) is read once: a test seen again replaces the earlier entry.
    """
    result = {"version": None, "driver": None, "tests": []}
    by_name, section, last = {}, None, None
    for line in (text or "").splitlines():
        stripped = line.strip()
        header = _DCGM_SECTION.match(stripped)
        if header:
            section = header.group(1).lower()
            continue
        match = _DCGM_ROW.match(stripped)
        if not match or stripped.startswith("+"):
            continue
        name, value = match.groups()
        if name == "Diagnostic":
            continue
        if section == "metadata":
            if name in _DCGM_META:
                result[_DCGM_META[name]] = value
            continue
        if name:
            last = {"name": name, "section": section, "status": _status(value), "detail": value, "gpus": {}}
            by_name[name] = last
            continue
        gpu = _DCGM_GPU.match(value)
        if last is not None and gpu:
            last["gpus"][int(gpu.group(1))] = _status(gpu.group(2))
        elif last is not None and value:
            last["detail"] = "%s %s" % (last["detail"], value)
    result["tests"] = list(by_name.values())
    return result


# ---------------------------------------------------------------------------------------------------- verdicts

def _check(name, status, evidence):
    return {"check": name, "status": status, "evidence": evidence}


def _worst(statuses):
    for status in ("fail", "warn", "pass"):
        if status in statuses:
            return status
    return "skip"


def check_ecc(rec, limits):
    volatile, aggregate = rec.get("ecc_volatile_uncorrected"), rec.get("ecc_aggregate_uncorrected")
    if volatile is None and aggregate is None:
        return _check("ecc", "skip", "ECC counters not reported (ECC off or not supported)")
    statuses = []
    if volatile is not None and volatile > limits["ecc_volatile_uncorrected_max"]:
        statuses.append("fail")
    if aggregate is not None and aggregate > limits["ecc_aggregate_uncorrected_max"]:
        statuses.append("warn")
    return _check("ecc", _worst(statuses or ["pass"]), "uncorrectable ECC errors: volatile %s, aggregate %s"
                  % (volatile, aggregate))


def check_retired_pages(rec, limits):
    sbe, dbe, pending = rec.get("retired_sbe"), rec.get("retired_dbe"), rec.get("retired_pending")
    if sbe is None and dbe is None and pending is None:
        return _check("retired_pages", "skip", "page retirement not reported (GPUs with row remapping use that)")
    total = (sbe or 0) + (dbe or 0)
    status = "pass"
    if total >= limits["retired_pages_warn"]:
        status = "warn"
    if pending or total >= limits["retired_pages_fail"]:
        status = "fail"
    return _check("retired_pages", status, "retired pages: single-bit %s, double-bit %s, pending %s"
                  % (sbe, dbe, "yes" if pending else "no"))


def check_row_remap(rec, limits):
    unc, pending, failure = rec.get("remapped_uncorrectable"), rec.get("remap_pending"), rec.get("remap_failure")
    if unc is None and pending is None and failure is None:
        return _check("row_remap", "skip", "row remapping not reported")
    status = "pass"
    if unc is not None and unc >= limits["remapped_uncorrectable_warn"]:
        status = "warn"
    if pending or failure:
        status = "fail"
    return _check("row_remap", status, "remapped rows: correctable %s, uncorrectable %s, pending %s, failure %s%s"
                  % (rec.get("remapped_correctable"), unc, "yes" if pending else "no", "yes" if failure else "no",
                     " (reset the GPU to activate the remap)" if pending else ""))


def check_pcie(rec, limits):
    gen, gen_max, width, width_max = rec.get("pcie_gen"), rec.get("pcie_gen_max"), rec.get("pcie_width"), \
        rec.get("pcie_width_max")
    if None in (gen, gen_max, width, width_max):
        return _check("pcie_link", "skip", "PCIe link not reported")
    statuses, notes = [], []
    if width < width_max:  # pragma: no mutate: a link is never wider than its maximum (`!=` is the same test)
        statuses.append(limits["pcie_width_below_max"])
        notes.append("width below its maximum")
    if gen < gen_max:  # pragma: no mutate: a link never runs above its maximum generation (`!=` is the same test)
        idle = (rec.get("throttle") or {}).get("gpu_idle")
        statuses.append("pass" if idle else limits["pcie_gen_below_max"])
        idle_note = " (idle GPU: the link slows down to save power)" if idle else ""
        notes.append("generation below its maximum%s" % idle_note)
    return _check("pcie_link", _worst(statuses or ["pass"]), "PCIe gen %s of %s, width x%s of x%s%s"
                  % (gen, gen_max, width, width_max, ("; " + "; ".join(notes)) if notes else ""))


def check_temperature(rec, limits):
    temp = rec.get("temperature")
    if temp is None:
        return _check("temperature", "skip", "temperature not reported")
    status = "fail" if temp >= limits["temperature_fail"] else "warn" if temp >= limits["temperature_warn"] else "pass"
    evidence = "%s C (warn at %s, fail at %s)" % (temp, limits["temperature_warn"], limits["temperature_fail"])
    return _check("temperature", status, evidence)


def check_throttle(rec, limits):
    throttle = rec.get("throttle") or {}
    if all(value is None for value in throttle.values()):
        return _check("throttle", "skip", "clock event (throttle) reasons not reported")
    active = [reason for reason in THROTTLE_REASONS if throttle.get(reason)]
    statuses = ["fail" for r in active if r in limits["throttle_fail"]] + \
        ["warn" for r in active if r in limits["throttle_warn"]]
    evidence = "active clock event reasons: %s" % (", ".join(active) or "none")
    return _check("throttle", _worst(statuses or ["pass"]), evidence)


def check_persistence(rec, limits):
    if rec.get("persistence") is None:
        return _check("persistence_mode", "skip", "persistence mode not reported")
    if rec["persistence"]:
        return _check("persistence_mode", "pass", "persistence mode enabled")
    return _check("persistence_mode", limits["persistence_disabled"], "persistence mode disabled")


def check_fabricmanager(rec, fm_version):
    if fm_version is None:
        return _check("fabric_manager", "skip", "no fabric manager found")
    status = "pass" if fm_version == rec.get("driver_version") else "fail"
    return _check("fabric_manager", status, "driver %s, fabric manager %s" % (rec.get("driver_version"), fm_version))


def check_nvlink(links, limits):
    if not links:
        return _check("nvlink", "skip", "no NVLink error counters")
    bad = ["link %d %s %d" % (link, name, count) for link in sorted(links) for name, count in sorted(links[link].items())
           if count > limits["nvlink_errors_max"]]
    return _check("nvlink", "warn" if bad else "pass", "%d links; %s" % (len(links), ", ".join(bad) or "no errors"))


def check_xids(xids):
    if not xids:
        return _check("xid", "pass", "no Xid since boot")
    evidence = "; ".join("Xid %d x%d: %s -> %s" % (x["code"], x["count"], x["meaning"], x["action"]) for x in xids)
    return _check("xid", _worst([x["severity"] for x in xids]), evidence)


def check_dcgm(diag, gpu_index=None):
    """The DCGM verdict for the node (gpu_index None) or for one GPU (per-GPU rows of DCGM 4)."""
    if diag is None:
        return _check("dcgm_diag", "skip", "dcgmi not run")
    if gpu_index is None:
        statuses = dict((t["name"], t["status"]) for t in diag["tests"])
    else:
        statuses = dict((t["name"], t["gpus"][gpu_index]) for t in diag["tests"] if gpu_index in t["gpus"])
        if not statuses:
            return _check("dcgm_diag", "skip", "no per-GPU result in this DCGM layout")
    bad = ["%s: %s" % (name, status) for name, status in statuses.items() if status in ("fail", "warn")]
    counts = dict((s, list(statuses.values()).count(s)) for s in ("pass", "skip", "warn", "fail"))
    evidence = "DCGM %s: %d pass, %d skip, %d warn, %d fail%s" % (
        diag.get("version"), counts["pass"], counts["skip"], counts["warn"], counts["fail"],
        ("; " + ", ".join(bad)) if bad else "")
    return _check("dcgm_diag", _worst(list(statuses.values()) or ["skip"]), evidence)


def _named(checks, status):
    return [c["check"] for c in checks if c["status"] == status]


def evaluate(records, limits, xid_events=(), nvlink=None, fm_version=None, diag=None, amd_gpus=()):
    """Per-GPU and node checks with the summary a playbook gates on (see the module's RETURN); ``amd_gpus`` are the
    entries ``_gpu_health_amd.evaluate_amd`` judged, keyed ``amdN`` in ``failing``."""
    gpus = []
    matched = set()
    for rec in records:
        prefix = _bus_prefix(rec.get("pci_bus_id"))
        own = [e for e in xid_events if e["bus"] == prefix]
        matched.update(id(e) for e in own)
        checks = [check_ecc(rec, limits), check_retired_pages(rec, limits), check_row_remap(rec, limits),
                  check_pcie(rec, limits), check_temperature(rec, limits), check_throttle(rec, limits),
                  check_persistence(rec, limits), check_fabricmanager(rec, fm_version),
                  check_nvlink((nvlink or {}).get(rec.get("index")), limits),
                  check_xids(xid_summary(own, limits["xid_ignore"])), check_dcgm(diag, rec.get("index"))]
        failing = _named(checks, "fail")
        gpus.append({"index": rec.get("index"), "uuid": rec.get("uuid"), "name": rec.get("name"),
                     "pci_bus_id": rec.get("pci_bus_id"), "healthy": not failing, "failing": failing,
                     "warnings": _named(checks, "warn"), "checks": checks})
    stray = [e for e in xid_events if id(e) not in matched]
    node = [check_dcgm(diag)]
    if stray:
        summary_ = xid_summary(stray, limits["xid_ignore"])
        check = check_xids(summary_)
        buses = sorted(set(e["bus"] for e in stray))
        check["evidence"] = "on PCI %s (no GPU nvidia-smi lists there): %s" % (", ".join(buses), check["evidence"])
        node.append(dict(check, check="xid_unlisted_gpu"))
    else:
        node.append(_check("xid_unlisted_gpu", "pass", "every Xid belongs to a listed GPU"))
    failing = dict(("gpu%d" % g["index"], g["failing"]) for g in gpus if g["failing"])
    failing.update(("amd%d" % g["index"], g["failing"]) for g in amd_gpus if g["failing"])
    node_failing = _named(node, "fail")
    if node_failing:
        failing["node"] = node_failing
    reason = "; ".join("%s: %s" % (key, ", ".join(value)) for key, value in sorted(failing.items()))
    return {"healthy": not failing, "failing": failing, "reason": reason, "gpus": gpus + list(amd_gpus),
            "node_checks": node}


# ---------------------------------------------------------------------------------------------------- collecting
# ``run(argv)`` -> (rc, stdout, stderr); the module gives it LANG=C LC_ALL=C. ``tools``: name -> path or None.

_MEMORY_KEYS = ("ecc_volatile_uncorrected", "ecc_aggregate_uncorrected", "retired_sbe", "retired_dbe",
                "retired_pending", "remapped_correctable", "remapped_uncorrectable", "remap_pending", "remap_failure")


def _query(run, smi):
    fields = list(QUERY_FIELDS)
    for _attempt in range(3):
        rc, out, err = run([smi, "--query-gpu=" + ",".join(fields), "--format=csv,noheader"])
        if rc == 0:
            return parse_query(out, fields), fields
        retry = retry_fields(fields, (out or "") + (err or ""))
        if not retry:
            break
        fields = retry
    raise HealthError("nvidia-smi --query-gpu failed (rc=%d): %s" % (rc, ((out or "") + (err or "")).strip()),
                      rc=rc, stdout=out, stderr=err)


def _merge_memory(records, memory):
    for rec in records:
        single = len(records) == 1  # pragma: no mutate: inside the loop there is at least one record (`<=` is the same)
        part = memory.get(rec["pci_bus_id"] or "") or (memory.get(None) if single else None) or {}
        for key in _MEMORY_KEYS:
            if rec.get(key) is None and key in part:
                rec[key] = part[key]


_LOG_ARGS = {"journalctl": ["-k", "-b", "--no-pager", "-o", "short-monotonic"], "dmesg": []}


def _kernel_log(run, tools, source):
    """(text, node check) from the journal of this boot or dmesg, as ``source`` (auto/journal/dmesg/none) says."""
    order = {"auto": ("journalctl", "dmesg"), "journal": ("journalctl",), "dmesg": ("dmesg",), "none": ()}[source]
    if not order:
        return "", _check("kernel_log", "skip", "kernel log not read (kernel_log=none)")
    tried = []
    for tool in order:
        path = tools.get(tool)
        if not path:
            tried.append("%s not found" % tool)
            continue
        argv = [path] + _LOG_ARGS[tool]
        rc, out, err = run(argv)
        if rc == 0:
            return out or "", _check("kernel_log", "pass", "read with %s" % " ".join(argv))
        tried.append("%s rc=%d: %s" % (tool, rc, ((err or "") + (out or "")).strip()[:200]))
    return "", _check("kernel_log", "warn", "kernel log not readable, Xids unknown: %s" % "; ".join(tried))


def _dcgm(run, path, level):
    if not level or not path:
        return None
    rc, out, err = run([path, "diag", "-r", str(level)])
    diag = parse_dcgmi_diag(out)
    if not diag["tests"]:
        diag["tests"] = [{"name": "dcgmi diag -r %d" % level, "section": None, "status": "warn", "gpus": {},
                          "detail": "no result (rc=%d): %s" % (rc, ((out or "") + (err or "")).strip()[:300])}]
    return diag


def collect(run, tools, options):
    """Run the read-only commands and judge them; the module's result (without ``changed``)."""
    from ansible_collections.mlinfra.gpu.plugins.module_utils._gpu_health_amd import evaluate_amd, read_amd

    limits = thresholds(options.get("thresholds"))
    smi = tools.get("nvidia-smi")
    amd_records, amd_check = read_amd(run, tools)
    if not smi and amd_records is None:
        raise HealthError("no GPU tool found: neither nvidia-smi nor amd-smi nor rocm-smi; install the driver tools "
                          "or set nvidia_smi_path, amd_smi_path or rocm_smi_path")
    if not smi and amd_check["status"] != "pass":
        raise HealthError(amd_check["evidence"])
    records, fields = _query(run, smi) if smi else ([], QUERY_FIELDS)
    if any(f not in fields for f in QUERY_FIELDS if f.startswith(("ecc.", "retired_pages.", "remapped_rows."))):
        _rc, out, _err = run([smi, "-q"])  # a failing -q prints no section: nothing is merged
        _merge_memory(records, parse_q_memory(out))
    nvlink = None
    if smi and options.get("nvlink", True):
        _rc, out, _err = run([smi, "nvlink", "-e"])  # GPUs without NVLink print no counter: skipped
        nvlink = parse_nvlink_errors(out)
    fm_version = None
    if tools.get("nv-fabricmanager"):
        _rc, out, err = run([tools["nv-fabricmanager"], "--version"])
        fm_version = parse_fabricmanager_version((out or "") + (err or ""))
    log_text, log_check = _kernel_log(run, tools, options.get("kernel_log", "auto"))
    diag = _dcgm(run, tools.get("dcgmi"), options.get("dcgm_diag_level", 0))
    result = evaluate(records, limits, parse_xids(log_text), nvlink, fm_version, diag,
                      evaluate_amd(amd_records or [], limits))
    result["node_checks"].append(log_check)
    if amd_check:
        result["node_checks"].append(amd_check)
    result["dcgm"] = diag
    return result
