# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AMD health parsers and verdicts over every AMD sample: the recorded rocm-smi -a outputs of
tests/unit/fixtures/gpu/amd and the amd-smi JSON of tests/unit/fixtures/health/amd (see SOURCES.md there)."""

from __future__ import absolute_import, division, print_function

import json
import os

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _gpu_health as health
from ansible_collections.mlinfra.gpu.plugins.module_utils import _gpu_health_amd as amd

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")
AMD_HEALTH = os.path.join(FIX, "health", "amd")
GPU_AMD = os.path.join(FIX, "gpu", "amd")
LIMITS = health.thresholds({})
MI350X_STATIC = "amd-smi_static_json__MI350X__rocm7_envelope__derived.json"
MI308X_STATIC = "amd-smi_static_json__MI308X__rocm6_list__derived.json"


def _text(*parts):
    with open(os.path.join(*parts)) as handle:
        return handle.read()


def _checks(gpu):
    return [(c["check"], c["status"], c["evidence"]) for c in gpu["checks"]]


SKIP_ECC = ("ecc", "skip", "ECC counters not reported (ECC off or not supported)")
SKIP_LINK = ("pcie_link", "skip", "PCIe link not reported")
SKIP_REPLAY = ("pcie_replay", "skip", "PCIe replay count not reported")
SKIP_TEMP = ("temperature", "skip", "temperature not reported")
NO_VIOLATION = ("throttle", "pass", "active violations: none")
# amd-smi metric sample -> (static sample or None, [(index, name, bus, checks)])
METRIC = {
    "amd-smi_metric_json__rocm7_envelope__schema_sick.json": (MI350X_STATIC, [(0, "AMD Instinct MI350X", "0000:05:00.0", [
        ("ecc", "fail", "ECC errors: uncorrectable 1, correctable 3, deferred 0; blocks correctable/uncorrectable: "
                        "UMC 3/1"),
        ("pcie_link", "fail", "PCIe gen 5 of 5, width x8 of x16; width below its maximum"),
        ("pcie_replay", "warn", "PCIe replays 12 (warn above 0)"),
        ("temperature", "fail", "edge 71, hotspot 96 C (warn at 85, fail at 95)"),
        ("throttle", "fail", "active violations: hbm_thermal (as hw_thermal_slowdown), ppt (as sw_power_cap)")])]),
    "amd-smi_metric_json__rocm6_list__schema_healthy.json": (MI308X_STATIC, [(0, "MI308X", None, [
        ("ecc", "pass", "ECC errors: uncorrectable 0, correctable 0, deferred 0"),
        ("pcie_link", "skip", "PCIe gen 5, width x16; the maximum is not reported by amd-smi"),
        ("pcie_replay", "pass", "PCIe replays 0 (warn above 0)"),
        ("temperature", "pass", "edge 33, hotspot 37 C (warn at 85, fail at 95)"),
        ("throttle", "pass", "throttle_status UNTHROTTLED")])]),
    "amd-smi_metric_throttle_json__MI300__rocm7_envelope__derived.json": (None, [
        (0, None, None, [SKIP_ECC, SKIP_LINK, SKIP_REPLAY, SKIP_TEMP, NO_VIOLATION]),
        (1, None, None, [SKIP_ECC, SKIP_LINK, SKIP_REPLAY, SKIP_TEMP, NO_VIOLATION])]),
}
ROCM_ECC = ("ecc", "skip", "rocm-smi -a does not report ECC counts")
ROCM_THROTTLE = ("throttle", "skip", "throttle (violation) status not reported")
ROCM = {
    "rocm-smi_a_json__MI250__rocm5__wandb_fixture.json": [(0, "AMD INSTINCT MI250 (MCM) OAM AC MBA", "0000:2f:00.0", [
        ROCM_ECC, SKIP_LINK, ("pcie_replay", "warn", "PCIe replays 147 (warn above 0)"),
        ("temperature", "pass", "edge 32, junction 35 C (warn at 85, fail at 95)"), ROCM_THROTTLE])],
    "rocm-smi_a_json__MI250__rocm6__wandb_fixture.json": [(0, "AMD INSTINCT MI250 (MCM) OAM AC MBA", "0000:29:00.0", [
        ROCM_ECC, ("pcie_link", "skip", "PCIe gen 1, width x8; the maximum is not reported by rocm-smi"),
        ("pcie_replay", "warn", "PCIe replays 3824 (warn above 0)"),
        ("temperature", "pass", "edge 43, junction 44 C (warn at 85, fail at 95)"), ROCM_THROTTLE])],
}


def test_every_amd_sample_has_an_expectation():
    assert sorted(METRIC) == sorted(p for p in os.listdir(AMD_HEALTH) if p.endswith(".json"))
    assert sorted(ROCM) == sorted(p for p in os.listdir(GPU_AMD) if p.startswith("rocm-smi_a_"))


@pytest.mark.parametrize("name", sorted(METRIC))
def test_amd_smi_metric_samples(name):
    static, expected = METRIC[name]
    records = amd.parse_amd_metric(_text(AMD_HEALTH, name), _text(GPU_AMD, static) if static else "")
    gpus = amd.evaluate_amd(records, LIMITS)
    assert [(g["index"], g["name"], g["pci_bus_id"], _checks(g)) for g in gpus] == expected


@pytest.mark.parametrize("name", sorted(ROCM))
def test_rocm_smi_samples(name):
    gpus = amd.evaluate_amd(amd.parse_rocm_smi_health(_text(GPU_AMD, name)), LIMITS)
    assert [(g["index"], g["name"], g["pci_bus_id"], _checks(g)) for g in gpus] == ROCM[name]


def test_amd_entry_shape_and_summary():
    records = amd.parse_amd_metric(_text(AMD_HEALTH, "amd-smi_metric_json__rocm7_envelope__schema_sick.json"),
                                   _text(GPU_AMD, MI350X_STATIC))
    gpu = amd.evaluate_amd(records, LIMITS)[0]
    assert (gpu["vendor"], gpu["healthy"], gpu["failing"], gpu["warnings"], gpu["uuid"]) == (
        "amd", False, ["ecc", "pcie_link", "temperature", "throttle"], ["pcie_replay"], None)
    result = health.evaluate([], LIMITS, amd_gpus=[gpu])
    assert (result["healthy"], result["failing"], result["reason"]) == (
        False, {"amd0": ["ecc", "pcie_link", "temperature", "throttle"]}, "amd0: ecc, pcie_link, temperature, throttle")


def test_thresholds_move_the_amd_verdicts():
    records = amd.parse_amd_metric(_text(AMD_HEALTH, "amd-smi_metric_json__rocm7_envelope__schema_sick.json"),
                                   _text(GPU_AMD, MI350X_STATIC))
    limits = health.thresholds({"ecc_volatile_uncorrected_max": 1, "ecc_correctable_max": 3, "pcie_replay_max": 12,
                                "temperature_fail": 97, "pcie_width_below_max": "warn", "throttle_fail": [],
                                "throttle_warn": ["sw_power_cap"]})
    assert [(c["check"], c["status"]) for c in amd.evaluate_amd(records, limits)[0]["checks"]] == [
        ("ecc", "pass"), ("pcie_link", "warn"), ("pcie_replay", "pass"), ("temperature", "warn"), ("throttle", "warn")]
    limits = health.thresholds({"ecc_correctable_max": 2})
    assert amd.check_amd_ecc(dict(records[0], ecc_uncorrected=0), limits)["status"] == "warn"
    with pytest.raises(health.HealthError) as err:
        health.thresholds({"pcie_replay_max": "many"})
    assert str(err.value) == "threshold pcie_replay_max must be a whole number, got 'many'"


def test_field_forms():
    assert [amd._value(v) for v in ({"value": 2.5, "unit": "GT/s"}, "32 GT/s", 16, "16", "N/A", None, True, "x8")] == [
        2.5, 32, 16, 16, None, None, None, None]
    assert [amd.gen_of(v) for v in (2.5, "5 GT/s", {"value": 8.0}, 16, 32, 64, 3, "N/A")] == [
        1, 2, 3, 4, 5, 6, None, None]
    assert [amd._active(v) for v in ("ACTIVE", "NOT ACTIVE", "N/A", ["NOT ACTIVE", "ACTIVE", "N/A"],
                                     {"XCP_0": ["NOT ACTIVE", "N/A"]}, {"XCP_0": ["N/A"]}, [])] == [
        True, False, None, True, False, None, None]


def test_slow_link_of_an_idle_gpu():
    entry = {"gpu": 0, "pcie": {"width": 16, "speed": {"value": 2.5, "unit": "GT/s"}},
             "usage": {"gfx_activity": {"value": 0, "unit": "%"}}}
    static = '[{"gpu": 0, "bus": {"max_pcie_width": 16, "max_pcie_speed": {"value": 16.0, "unit": "GT/s"}}}]'
    idle = amd.parse_amd_metric(json.dumps([entry]), static)[0]
    assert amd.check_amd_pcie(idle, LIMITS) == {"check": "pcie_link", "status": "pass", "evidence": (
        "PCIe gen 1 of 4, width x16 of x16; generation below its maximum (idle GPU: the link slows down to save power)")}
    entry["usage"]["gfx_activity"]["value"] = 7
    busy = amd.parse_amd_metric(json.dumps([entry]), static)[0]
    assert (busy["idle"], amd.check_amd_pcie(busy, LIMITS)["status"]) == (False, "warn")


def test_blocks_without_totals_and_power_throttled():
    entry = {"gpu": 3, "ecc": {"total_correctable_count": "N/A"},
             "ecc_blocks": {"UMC": {"correctable_count": 2, "uncorrectable_count": 0},
                            "GFX": {"correctable_count": 1, "uncorrectable_count": 1}, "XGMI": "N/A",
                            "SDMA": {"correctable_count": "N/A", "uncorrectable_count": "N/A"}},
             "power": {"throttle_status": "THROTTLED"}, "throttle": {"ppt_violation_status": "N/A"}}
    rec = amd.parse_amd_metric(json.dumps([entry]))[0]
    assert _checks(amd.evaluate_amd([rec], LIMITS)[0])[0::4] == [
        ("ecc", "fail", "ECC errors: uncorrectable 1, correctable 3, deferred None; blocks correctable/uncorrectable: "
                        "GFX 1/1, UMC 2/0"),
        ("throttle", "warn", "throttle_status THROTTLED (the cause is not reported)")]


class Tools(object):
    """``run`` stand-in: answers by tool name, records each argv."""

    def __init__(self, answers):
        self.answers, self.calls = answers, []

    def __call__(self, argv):
        self.calls.append(argv)
        answer = self.answers[os.path.basename(argv[0])]
        return answer(argv) if callable(answer) else answer


def _amd_smi(metric, static):
    return lambda argv: {"metric": (0, metric, ""), "static": static}[argv[1]]


def test_read_amd_prefers_amd_smi_then_rocm_smi():
    metric = _text(AMD_HEALTH, "amd-smi_metric_json__rocm7_envelope__schema_sick.json")
    tools = Tools({"amd-smi": _amd_smi(metric, (0, _text(GPU_AMD, MI350X_STATIC), ""))})
    records, check = amd.read_amd(tools, {"amd-smi": "/opt/rocm/bin/amd-smi", "rocm-smi": "/opt/rocm/bin/rocm-smi"})
    assert ([r["pcie_width_max"] for r in records], check["evidence"]) == ([16], "1 GPUs read with amd-smi metric")
    assert [c[1:] for c in tools.calls] == [["metric", "--json"], ["static", "--json"]]
    tools = Tools({"amd-smi": _amd_smi(metric, (1, "", "static failed"))})
    records, _check = amd.read_amd(tools, {"amd-smi": "amd-smi"})
    assert [(r["pcie_width"], r["pcie_width_max"], r["name"]) for r in records] == [(8, None, None)]
    rocm = _text(GPU_AMD, "rocm-smi_a_json__MI250__rocm6__wandb_fixture.json")
    tools = Tools({"amd-smi": (2, "", "ERROR:root:Unable to detect any GPU devices"), "rocm-smi": (0, rocm, "")})
    records, check = amd.read_amd(tools, {"amd-smi": "amd-smi", "rocm-smi": "rocm-smi"})
    assert ([r["pcie_replay"] for r in records], check) == ([3824], {
        "check": "amd_gpus", "status": "pass", "evidence": "1 GPUs read with rocm-smi -a"})
    assert tools.calls == [["amd-smi", "metric", "--json"], ["rocm-smi", "-a", "--json"]]
    tools = Tools({"rocm-smi": (1, "", "ERROR: GPU[0] : Unable to read\n")})
    unreadable = "AMD GPUs not readable: rocm-smi -a rc=1: ERROR: GPU[0] : Unable to read"
    assert amd.read_amd(tools, {"rocm-smi": "rocm-smi"}) == ([], {
        "check": "amd_gpus", "status": "warn", "evidence": unreadable})
    tools = Tools({"amd-smi": (1, "", ""), "rocm-smi": (0, "", "")})
    assert amd.read_amd(tools, {"amd-smi": "amd-smi"})[1]["evidence"] == (
        "AMD GPUs not readable: amd-smi metric rc=1 without output")
    assert amd.read_amd(Tools({}), {"amd-smi": None}) == (None, None)


def test_collect_amd_only_and_mixed_hosts():
    metric = _text(AMD_HEALTH, "amd-smi_metric_json__rocm7_envelope__schema_sick.json")
    tools = Tools({"amd-smi": _amd_smi(metric, (0, _text(GPU_AMD, MI350X_STATIC), "")),
                   "journalctl": (0, "kernel: Linux version 6.8.0\n", "")})
    result = health.collect(tools, {"amd-smi": "amd-smi", "journalctl": "journalctl"}, {"kernel_log": "auto"})
    assert (result["healthy"], result["reason"]) == (False, "amd0: ecc, pcie_link, temperature, throttle")
    assert [(c["check"], c["status"]) for c in result["node_checks"]] == [
        ("dcgm_diag", "skip"), ("xid_unlisted_gpu", "pass"), ("kernel_log", "pass"), ("amd_gpus", "pass")]
    assert [os.path.basename(c[0]) for c in tools.calls] == ["amd-smi", "amd-smi", "journalctl"]
    with pytest.raises(health.HealthError) as err:
        health.collect(Tools({"rocm-smi": (1, "", "rocm-smi: no GPU\n")}), {"rocm-smi": "rocm-smi"}, {})
    assert str(err.value) == "AMD GPUs not readable: rocm-smi -a rc=1: rocm-smi: no GPU"
    query = "0, GPU-1, 00000000:01:00.0, 590.48.01, Enabled, 40, Enabled, 0, 0, [N/A], [N/A], [N/A], 0, 0, No, No, " \
            "5, 5, 16, 16, Active, Not Active, Not Active, Not Active, Not Active, Not Active, NVIDIA H100\n"
    tools = Tools({"nvidia-smi": lambda argv: (0, query, "") if argv[1].startswith("--query") else (0, "", ""),
                   "rocm-smi": (1, "", "rocm-smi: no GPU\n")})
    result = health.collect(tools, {"nvidia-smi": "nvidia-smi", "rocm-smi": "rocm-smi"}, {"kernel_log": "none"})
    assert (result["healthy"], [g.get("vendor") for g in result["gpus"]], result["node_checks"][-1]) == (
        True, [None], {"check": "amd_gpus", "status": "warn",
                       "evidence": "AMD GPUs not readable: rocm-smi -a rc=1: rocm-smi: no GPU"})


def test_limits_are_inclusive_where_nvidia_s_are():
    rec = {"temperatures": {"edge": 85}, "ecc_uncorrected": 0, "ecc_correctable": None, "pcie_replay": 0}
    assert amd.check_amd_temperature(rec, LIMITS)["status"] == "warn"
    assert amd.check_amd_temperature({"temperatures": {"junction": 95, "edge": 40}}, LIMITS)["status"] == "fail"
    limits = health.thresholds({"ecc_volatile_uncorrected_max": 1, "ecc_correctable_max": 1, "pcie_replay_max": 5})
    assert amd.check_amd_ecc(rec, limits) == {"check": "ecc", "status": "pass",
                                              "evidence": "ECC errors: uncorrectable 0, correctable None, deferred None"}
    assert amd.check_amd_ecc(dict(rec, ecc_correctable=0), limits)["status"] == "pass"
    assert amd.check_pcie_replay(rec, limits)["status"] == "pass"


def test_partial_blocks_and_killed_tools():
    entry = {"gpu": 0, "ecc": {"total_correctable_count": "N/A", "total_uncorrectable_count": "N/A"},
             "ecc_blocks": {"UMC": {"correctable_count": "N/A", "uncorrectable_count": 2}}}
    rec = amd.parse_amd_metric(json.dumps([entry]))[0]
    assert (rec["ecc_uncorrected"], rec["ecc_correctable"], rec["ecc_blocks"]) == (2, 0, {"UMC": (None, 2)})
    tools = Tools({"amd-smi": (-9, "", "")})
    assert amd.read_amd(tools, {"amd-smi": "amd-smi"})[1]["evidence"] == (
        "AMD GPUs not readable: amd-smi metric rc=-9 without output")
    tools = Tools({"rocm-smi": (-11, "x" * 300, "")})
    assert amd.read_amd(tools, {"rocm-smi": "rocm-smi"})[1]["evidence"] == (
        "AMD GPUs not readable: rocm-smi -a rc=-11: " + "x" * 200)
