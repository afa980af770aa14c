# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health parsers and verdicts over every recorded sample in tests/unit/fixtures/health (see SOURCES.md)."""

from __future__ import absolute_import, division, print_function

import glob
import os

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _gpu_health as health
from ansible_collections.mlinfra.gpu.plugins.module_utils._xid_data import XID, describe

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")
HEALTH = os.path.join(FIX, "health")
CAPTURES = os.path.join(FIX, "gpu", "nvidia")
LIMITS = health.thresholds({})


def _text(*parts):
    with open(os.path.join(*parts)) as handle:
        return handle.read()


XIDS = {
    "xid__418__consumer.log": [("0000:01:00", 31)] * 2 + [("0000:01:00", 13)] * 4 + [("0000:01:00", 32)],
    "xid__510.73.08__a100_xid63.log": [("0000:10:1c", 63)],
    "xid__570.158.01__fallen_off_bus.log": [("0000:b3:00", 79)],
    "xid__590.48.01__journal_xid45.log": [("0000:dc:00", 45), ("0000:ed:00", 45), ("0000:ba:00", 45),
                                          ("0000:97:00", 45), ("0000:dc:00", 45), ("0000:ba:00", 45),
                                          ("0000:ed:00", 45)],
    "xid__595.71.05__rtx5070ti.log": [("0000:01:00", 31)],
    "xid__journal__rtx5080_xid79.log": [("0000:2b:00", 79)],
    "xid__dmesg_ctime__datacenter.log": [("0000:cb:00", 13)] * 3 + [("0000:cb:00", 109)],
}
Q_MEMORY = {
    "q__510.73.08__a100-80gb.txt": {"0000:10:1c.0": {
        "ecc_volatile_uncorrected": 0, "ecc_aggregate_uncorrected": 0, "retired_sbe": None, "retired_dbe": None,
        "retired_pending": None, "remapped_correctable": 1, "remapped_uncorrectable": 0, "remap_pending": True,
        "remap_failure": False}},
    "q__remap_pending_uncorrectable.txt": {None: {"remapped_correctable": 0, "remapped_uncorrectable": 4,
                                                  "remap_pending": True}},
    "q__sram_uncorrectable.txt": {None: {"ecc_volatile_uncorrected": 1, "ecc_aggregate_uncorrected": 5}},
}
DCGM = {
    "dcgmi_diag_r3__3.3.9__rtx-pro-6000.txt": ("3.3.9", "570.172.08", 15, "pass",
                                               "DCGM 3.3.9: 9 pass, 6 skip, 0 warn, 0 fail"),
    "dcgmi_diag_r3__4.0.0__a16.txt": ("4.0.0", "550.90.07", 7, "pass", "DCGM 4.0.0: 7 pass, 0 skip, 0 warn, 0 fail"),
}
# Verdicts of every check that is not skipped, per recorded capture (all healthy GPUs).
CAPTURE_VERDICTS = {
    "linux-x86_64__nvidia-geforce-rtx-2080-super__595.71.05": [
        ("pcie_link", "warn"), ("temperature", "pass"), ("throttle", "pass"), ("persistence_mode", "warn"),
        ("xid", "pass")],
    "linux-x86_64__nvidia-geforce-rtx-2080-super__610.57.04": [
        ("pcie_link", "pass"), ("temperature", "pass"), ("throttle", "pass"), ("persistence_mode", "warn"),
        ("xid", "pass")],
    "linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01": [
        ("ecc", "pass"), ("row_remap", "pass"), ("pcie_link", "pass"), ("temperature", "pass"), ("throttle", "pass"),
        ("persistence_mode", "pass"), ("xid", "pass")],
    "linux-x86_64__nvidia-h100-mig__590.48.01": [
        ("ecc", "pass"), ("pcie_link", "pass"), ("temperature", "pass"), ("throttle", "pass"),
        ("persistence_mode", "pass"), ("xid", "pass")],
    "windows-x86_64__nvidia-geforce-rtx-2080-super__591.86": [
        ("pcie_link", "pass"), ("temperature", "pass"), ("throttle", "pass"), ("xid", "pass")],
    "windows-x86_64__nvidia-geforce-rtx-2080-super__610.62": [
        ("pcie_link", "pass"), ("temperature", "pass"), ("throttle", "pass"), ("xid", "pass")],
}


def test_every_sample_has_an_expectation():
    samples = sorted(os.path.basename(p) for p in glob.glob(os.path.join(HEALTH, "*"))
                     if not p.endswith(".md") and not os.path.isdir(p))  # amd/: test_gpu_health_amd.py
    others = ["nvlink_e__h100.txt", "query__570.172.08__rtx-pro-6000__ecc.csv",
              "query__570.172.08__rtx-pro-6000__throttle.csv"]
    assert sorted(list(XIDS) + list(Q_MEMORY) + list(DCGM) + others) == samples
    assert sorted(CAPTURE_VERDICTS) == sorted(os.listdir(CAPTURES))


@pytest.mark.parametrize("name", sorted(XIDS))
def test_xid_lines(name):
    assert [(e["bus"], e["code"]) for e in health.parse_xids(_text(HEALTH, name))] == XIDS[name]


@pytest.mark.parametrize("name", sorted(Q_MEMORY))
def test_q_memory_sections(name):
    assert health.parse_q_memory(_text(HEALTH, name)) == Q_MEMORY[name]


@pytest.mark.parametrize("name", sorted(DCGM))
def test_dcgmi_diag_layouts(name):
    diag = health.parse_dcgmi_diag(_text(HEALTH, name))
    version, driver, count, status, evidence = DCGM[name]
    assert (diag["version"], diag["driver"], len(diag["tests"])) == (version, driver, count)
    assert health.check_dcgm(diag) == {"check": "dcgm_diag", "status": status, "evidence": evidence}


def test_dcgm4_per_gpu_rows_and_a_failure():
    text = _text(HEALTH, "dcgmi_diag_r3__4.0.0__a16.txt")
    assert health.parse_dcgmi_diag(text)["tests"][1]["gpus"] == {0: "pass", 1: "pass", 2: "pass", 3: "pass"}
    lines = text.splitlines()
    start = [n for n, line in enumerate(lines) if line.startswith("| memory ")][0]
    lines[start] = lines[start].replace("Pass", "Fail")
    lines[start + 3] = lines[start + 3].replace("GPU2: Pass", "GPU2: Fail")  # the memory test of GPU2 failed
    sick = "\n".join(lines)
    diag = health.parse_dcgmi_diag(sick)
    assert health.check_dcgm(diag)["status"] == "fail"
    assert health.check_dcgm(diag, 2) == {"check": "dcgm_diag", "status": "fail",
                                          "evidence": "DCGM 4.0.0: 6 pass, 0 skip, 0 warn, 1 fail; memory: fail"}
    assert health.check_dcgm(diag, 1)["status"] == "pass"


def test_nvlink_counters():
    assert health.parse_nvlink_errors(_text(HEALTH, "nvlink_e__h100.txt")) == {0: dict(
        (link, {"replay errors": 0, "recovery errors": 0, "crc errors": 0}) for link in (0, 1, 17))}
    assert health.check_nvlink({0: {"replay errors": 0}, 3: {"crc errors": 7}}, LIMITS) == {
        "check": "nvlink", "status": "warn", "evidence": "2 links; link 3 crc errors 7"}


def test_query_with_new_and_old_throttle_names():
    rows = health.parse_query(_text(HEALTH, "query__570.172.08__rtx-pro-6000__throttle.csv"))
    assert [(r["index"], r["throttle"]["sw_power_cap"], r["throttle"]["gpu_idle"]) for r in rows] == [
        (0, True, False), (1, True, False)]
    assert health.check_throttle(rows[0], LIMITS) == {"check": "throttle", "status": "pass",
                                                      "evidence": "active clock event reasons: sw_power_cap"}
    rows = health.parse_query(_text(HEALTH, "query__570.172.08__rtx-pro-6000__ecc.csv"))
    assert [(r["index"], r["temperature"], r["ecc_volatile_uncorrected"]) for r in rows] == [(0, 25, 0), (1, 25, 0)]
    old = health.record_from_query({"clocks_throttle_reasons.hw_slowdown": "Active"})
    assert health.check_throttle(old, LIMITS)["status"] == "fail"


@pytest.mark.parametrize("capture", sorted(CAPTURE_VERDICTS))
def test_recorded_gpus_are_healthy(capture):
    records = health.parse_query(_text(CAPTURES, capture, "query.csv"))
    result = health.evaluate(records, LIMITS)
    assert result["healthy"] is True and result["failing"] == {} and result["reason"] == ""
    assert [(c["check"], c["status"]) for c in result["gpus"][0]["checks"] if c["status"] != "skip"] == \
        CAPTURE_VERDICTS[capture]


def _a100_sick():
    """The A100-SXM4-80GB of the recorded -q sections (row remap pending) with its recorded Xid 63 line."""
    record = health.record_from_query({"index": "0", "pci.bus_id": "00000000:10:1C.0", "name": "NVIDIA A100-SXM4-80GB",
                                       "driver_version": "510.73.08", "persistence_mode": "Enabled",
                                       "temperature.gpu": "34"})
    health._merge_memory([record], health.parse_q_memory(_text(HEALTH, "q__510.73.08__a100-80gb.txt")))
    return record


def test_sick_a100_fails_with_evidence():
    result = health.evaluate([_a100_sick()], LIMITS,
                             health.parse_xids(_text(HEALTH, "xid__510.73.08__a100_xid63.log")))
    assert result["healthy"] is False
    assert result["failing"] == {"gpu0": ["row_remap", "xid"]}
    assert result["reason"] == "gpu0: row_remap, xid"
    checks = dict((c["check"], c) for c in result["gpus"][0]["checks"])
    assert checks["row_remap"]["evidence"] == ("remapped rows: correctable 1, uncorrectable 0, pending yes, failure "
                                               "no (reset the GPU to activate the remap)")
    assert checks["xid"]["evidence"] == "Xid 63 x1: %s -> %s" % XID[63][:2]


def test_sram_uncorrectable_fails_ecc():
    record = health.record_from_query({"index": "0"})
    health._merge_memory([record], health.parse_q_memory(_text(HEALTH, "q__sram_uncorrectable.txt")))
    assert health.check_ecc(record, LIMITS) == {"check": "ecc", "status": "fail",
                                                "evidence": "uncorrectable ECC errors: volatile 1, aggregate 5"}
    record["ecc_volatile_uncorrected"] = 0
    assert health.check_ecc(record, LIMITS)["status"] == "warn"


def test_pending_uncorrectable_remap():
    record = health.record_from_query({"index": "0"})
    health._merge_memory([record], health.parse_q_memory(_text(HEALTH, "q__remap_pending_uncorrectable.txt")))
    assert health.check_row_remap(record, LIMITS)["status"] == "fail"
    record["remap_pending"] = False
    assert health.check_row_remap(record, LIMITS)["status"] == "warn"


def test_gpu_fallen_off_the_bus_fails_the_node():
    records = health.parse_query(_text(CAPTURES, "linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01", "query.csv"))
    result = health.evaluate(records, LIMITS, health.parse_xids(_text(HEALTH, "xid__570.158.01__fallen_off_bus.log")))
    assert result["failing"] == {"node": ["xid_unlisted_gpu"]}
    node = dict((c["check"], c) for c in result["node_checks"])
    assert node["xid_unlisted_gpu"]["evidence"].startswith("on PCI 0000:b3:00 (no GPU nvidia-smi lists there): Xid 79")


def test_application_xids_warn_and_can_be_ignored():
    events = health.parse_xids(_text(HEALTH, "xid__dmesg_ctime__datacenter.log"))
    summary = health.xid_summary(events)
    assert [(x["code"], x["count"], x["severity"]) for x in summary] == [(13, 3, "warn"), (109, 1, "warn")]
    assert health.check_xids(summary)["status"] == "warn"
    assert [x["code"] for x in health.xid_summary(events, ignore=[13])] == [109]
    assert describe(4242)["severity"] == "warn"


def test_xid_table_covers_the_common_codes_with_a_source():
    for code in (13, 31, 43, 45, 48, 61, 62, 63, 64, 74, 79, 92, 94, 95, 119, 120):
        meaning, action, severity, source = XID[code]
        assert meaning and action and severity in ("warn", "fail")
        assert source == "https://docs.nvidia.com/deploy/xid-errors/analyzing-xid-catalog.html"


@pytest.mark.parametrize("record, status", [
    ({"pcie_gen": 4, "pcie_gen_max": 5, "pcie_width": 16, "pcie_width_max": 16, "throttle": {"gpu_idle": True}}, "pass"),
    ({"pcie_gen": 4, "pcie_gen_max": 5, "pcie_width": 16, "pcie_width_max": 16, "throttle": {"gpu_idle": False}},
     "warn"),
    ({"pcie_gen": 5, "pcie_gen_max": 5, "pcie_width": 8, "pcie_width_max": 16, "throttle": {}}, "fail"),
])
def test_pcie(record, status):
    assert health.check_pcie(record, LIMITS)["status"] == status


def test_temperature_persistence_fabricmanager_thresholds():
    limits = health.thresholds({"temperature_warn": 70, "persistence_disabled": "fail"})
    assert health.check_temperature({"temperature": 70}, limits)["status"] == "warn"
    assert health.check_temperature({"temperature": 69}, limits)["status"] == "pass"
    assert health.check_temperature({"temperature": 95}, limits)["status"] == "fail"
    assert health.check_persistence({"persistence": False}, limits)["status"] == "fail"
    assert health.check_fabricmanager({"driver_version": "535.129.03"}, "535.129.03")["status"] == "pass"
    assert health.check_fabricmanager({"driver_version": "535.129.03"}, "535.104.05") == {
        "check": "fabric_manager", "status": "fail", "evidence": "driver 535.129.03, fabric manager 535.104.05"}
    assert health.parse_fabricmanager_version("Fabric Manager version is : 535.129.03\n") == "535.129.03"


@pytest.mark.parametrize("overrides, sentinel", [
    ({"temp_warn": 80}, "unknown threshold 'temp_warn'"),
    ({"pcie_gen_below_max": "ignore"}, "threshold pcie_gen_below_max must be one of pass, warn, fail, got 'ignore'"),
    ({"throttle_warn": ["sw_power_capped"]}, "threshold throttle_warn names unknown throttle reasons sw_power_capped"),
    ({"temperature_warn": "hot"}, "threshold temperature_warn must be a whole number, got 'hot'"),
    ({"xid_ignore": ["thirteen"]}, "threshold xid_ignore must be a list of Xid codes, got ['thirteen']"),
])
def test_bad_thresholds_are_refused(overrides, sentinel):
    with pytest.raises(health.HealthError) as err:
        health.thresholds(overrides)
    assert str(err.value).startswith(sentinel)


def test_retry_fields_for_old_drivers():
    fields = ["index", "clocks_event_reasons.gpu_idle", "remapped_rows.pending", "name"]
    text = ('Field "clocks_event_reasons.gpu_idle" is not a valid field to query.\n'
            'Field "remapped_rows.pending" is not a valid field to query.\n')
    assert health.retry_fields(fields, text) == ["index", "clocks_throttle_reasons.gpu_idle", "name"]
    assert health.retry_fields(fields, "Segmentation fault") is None


# ---------------------------------------------------------------------------------------------------- collect

H100 = os.path.join(CAPTURES, "linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01")


class Tools:
    """A runner answering recorded outputs per program; ``calls`` keeps every argv."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, argv):
        self.calls.append(argv)
        answer = self.answers[os.path.basename(argv[0])]
        return answer(argv) if callable(answer) else answer


def _smi(query_text, extra=None):
    def answer(argv):
        if argv[1].startswith("--query-gpu="):
            return 0, query_text, ""
        return (extra or {}).get(tuple(argv[1:]), (0, "", ""))
    return answer


def test_collect_healthy_h100_with_every_source():
    nvlink = {("nvlink", "-e"): (0, _text(HEALTH, "nvlink_e__h100.txt"), "")}
    tools = Tools({"nvidia-smi": _smi(_text(H100, "query.csv"), nvlink),
                   "journalctl": (0, "kernel: Linux version 6.1.0\n", ""),
                   "dcgmi": (0, _text(HEALTH, "dcgmi_diag_r3__4.0.0__a16.txt"), ""),
                   "nv-fabricmanager": (0, "Fabric Manager version is : 590.48.01\n", "")})
    paths = {"nvidia-smi": "/usr/bin/nvidia-smi", "journalctl": "/usr/bin/journalctl", "dcgmi": "/usr/bin/dcgmi",
             "nv-fabricmanager": "/usr/bin/nv-fabricmanager", "dmesg": None}
    result = health.collect(tools, paths, {"dcgm_diag_level": 1, "kernel_log": "auto"})
    assert result["healthy"] is True and result["failing"] == {}
    assert [c[1:] for c in tools.calls] == [
        ["--query-gpu=" + ",".join(health.QUERY_FIELDS), "--format=csv,noheader"], ["nvlink", "-e"], ["--version"],
        ["-k", "-b", "--no-pager", "-o", "short-monotonic"], ["diag", "-r", "1"]]
    checks = dict((c["check"], c["status"]) for c in result["gpus"][0]["checks"])
    assert checks == {"ecc": "pass", "retired_pages": "skip", "row_remap": "pass", "pcie_link": "pass",
                      "temperature": "pass", "throttle": "pass", "persistence_mode": "pass", "fabric_manager": "pass",
                      "nvlink": "pass", "xid": "pass", "dcgm_diag": "pass"}
    assert [(c["check"], c["status"]) for c in result["node_checks"]] == [
        ("dcgm_diag", "pass"), ("xid_unlisted_gpu", "pass"), ("kernel_log", "pass")]


def test_collect_old_driver_falls_back_to_old_names_and_q():
    fields_seen = []

    def smi(argv):
        if argv[1].startswith("--query-gpu="):
            fields = argv[1].split("=", 1)[1].split(",")
            fields_seen.append(fields)
            rejected = [f for f in fields if f.startswith(("clocks_event_reasons.", "remapped_rows."))]
            if rejected:
                return 2, "".join('Field "%s" is not a valid field to query.\n' % f for f in rejected), ""
            return 0, "0, GPU-1, 00000000:10:1C.0, 510.73.08, Enabled, 34, Enabled, 0, 0, [N/A], [N/A], [N/A], 5, 5, " \
                      "16, 16, Active, Not Active, Not Active, Not Active, Not Active, Not Active, " \
                      "NVIDIA A100-SXM4-80GB\n", ""
        if argv[1:] == ["-q"]:
            return 0, _text(HEALTH, "q__510.73.08__a100-80gb.txt"), ""
        return 6, "", "NVLink is not supported"
    tools = Tools({"nvidia-smi": smi, "journalctl": (1, "", "No journal files were found."),
                   "dmesg": (0, _text(HEALTH, "xid__510.73.08__a100_xid63.log"), "")})
    paths = {"nvidia-smi": "nvidia-smi", "journalctl": "journalctl", "dmesg": "dmesg"}
    result = health.collect(tools, paths, {"kernel_log": "auto", "dcgm_diag_level": 1})
    assert [f for f in fields_seen[1] if "throttle" in f] == ["clocks_throttle_reasons." + r for r in
                                                              health.THROTTLE_REASONS]
    assert not [f for f in fields_seen[1] if f.startswith("remapped_rows.")]
    assert result["failing"] == {"gpu0": ["row_remap", "xid"]}
    node = dict((c["check"], c) for c in result["node_checks"])
    assert node["kernel_log"] == {"check": "kernel_log", "status": "pass", "evidence": "read with dmesg"}
    assert node["dcgm_diag"]["status"] == "skip"


def test_collect_refusals():
    with pytest.raises(health.HealthError) as err:
        health.collect(Tools({}), {"nvidia-smi": None}, {})
    assert str(err.value) == ("no GPU tool found: neither nvidia-smi nor amd-smi nor rocm-smi; install the driver "
                              "tools or set nvidia_smi_path, amd_smi_path or rocm_smi_path")
    tools = Tools({"nvidia-smi": (139, "Segmentation fault\n", "")})
    with pytest.raises(health.HealthError) as err:
        health.collect(tools, {"nvidia-smi": "nvidia-smi"}, {})
    assert str(err.value) == "nvidia-smi --query-gpu failed (rc=139): Segmentation fault"
    assert len(tools.calls) == 1


def test_kernel_log_unreadable_and_dcgm_without_result():
    tools = Tools({"journalctl": (1, "", "Failed to get journal"), "dcgmi": (
        255, "Error: unable to establish a connection to the specified host: localhost\n", "")})
    text, check = health._kernel_log(tools, {"journalctl": "journalctl", "dmesg": None}, "auto")
    assert text == "" and check == {"check": "kernel_log", "status": "warn", "evidence": (
        "kernel log not readable, Xids unknown: journalctl rc=1: Failed to get journal; dmesg not found")}
    assert health._kernel_log(tools, {}, "none")[1]["status"] == "skip"
    diag = health._dcgm(tools, "dcgmi", 2)
    assert health.check_dcgm(diag)["status"] == "warn"
    assert health._dcgm(tools, "dcgmi", 0) is None and health._dcgm(tools, None, 2) is None

# ---------------------------------------------------------------------------------------------------- edges


def test_retired_pages_boundaries_and_q_format():
    text = ("GPU 00000000:3B:00.0\n    Retired Pages\n        Single Bit ECC                    : 2\n"
            "        Double Bit ECC                    : 3\n        Pending Page Blacklist            : No\n")
    # constructed in the layout of the recorded q__510.73.08 sample (values of a pre-Ampere GPU)
    assert health.parse_q_memory(text) == {"0000:3b:00.0": {"retired_sbe": 2, "retired_dbe": 3,
                                                            "retired_pending": False}}
    record = {"retired_sbe": 2, "retired_dbe": 3, "retired_pending": False}
    assert health.check_retired_pages(record, LIMITS) == {
        "check": "retired_pages", "status": "warn", "evidence": "retired pages: single-bit 2, double-bit 3, pending no"}
    assert health.check_retired_pages({"retired_sbe": 0, "retired_dbe": 0}, LIMITS)["status"] == "pass"
    assert health.check_retired_pages({"retired_sbe": 0, "retired_dbe": 1}, LIMITS)["status"] == "warn"
    assert health.check_retired_pages({"retired_sbe": 1, "retired_dbe": 0}, LIMITS)["status"] == "warn"
    assert health.check_retired_pages({"retired_sbe": 59, "retired_dbe": 0}, LIMITS)["status"] == "warn"
    assert health.check_retired_pages({"retired_sbe": 30, "retired_dbe": 30}, LIMITS)["status"] == "fail"
    evidence = "retired pages: single-bit None, double-bit None, pending yes"
    assert health.check_retired_pages({"retired_pending": True}, LIMITS) == {
        "check": "retired_pages", "status": "fail", "evidence": evidence}
    assert health.check_retired_pages({}, LIMITS)["status"] == "skip"


def test_row_remap_with_one_field():
    assert health.check_row_remap({"remap_pending": True}, LIMITS)["status"] == "fail"
    assert health.check_row_remap({"remap_failure": True}, LIMITS)["status"] == "fail"
    assert health.check_row_remap({"remapped_uncorrectable": 0}, LIMITS)["status"] == "pass"
    assert health.check_row_remap({}, LIMITS)["status"] == "skip"


def test_pcie_evidence_and_ecc_without_aggregate():
    record = {"pcie_gen": 5, "pcie_gen_max": 5, "pcie_width": 16, "pcie_width_max": 16}
    assert health.check_pcie(record, LIMITS)["evidence"] == "PCIe gen 5 of 5, width x16 of x16"
    record = dict(record, pcie_gen=3, throttle={"gpu_idle": True})
    assert health.check_pcie(record, LIMITS)["evidence"] == (
        "PCIe gen 3 of 5, width x16 of x16; generation below its maximum (idle GPU: the link slows down to save power)")
    assert health.check_ecc({"ecc_volatile_uncorrected": 0}, LIMITS)["status"] == "pass"
    assert health.check_ecc({"ecc_aggregate_uncorrected": 2}, LIMITS)["status"] == "warn"


def test_xids_go_to_their_own_gpu_and_warnings_are_listed():
    records = [health.record_from_query({"index": str(i), "pci.bus_id": bus, "persistence_mode": "Disabled"})
               for i, bus in ((0, "00000000:01:00.0"), (1, "00000000:02:00.0"))]
    events = health.parse_xids(_text(HEALTH, "xid__595.71.05__rtx5070ti.log"))
    result = health.evaluate(records, LIMITS, events)
    assert [(g["index"], g["warnings"]) for g in result["gpus"]] == [
        (0, ["persistence_mode", "xid"]), (1, ["persistence_mode"])]
    assert result["healthy"] is True


def test_q_fragment_without_bus_only_for_a_single_gpu():
    memory = health.parse_q_memory(_text(HEALTH, "q__sram_uncorrectable.txt"))
    records = [health.record_from_query({"index": "0"}), health.record_from_query({"index": "1"})]
    health._merge_memory(records, memory)
    assert [r["ecc_volatile_uncorrected"] for r in records] == [None, None]


def test_query_failure_by_signal_and_stderr():
    tools = Tools({"nvidia-smi": (-11, "", "Segmentation fault\n")})
    with pytest.raises(health.HealthError) as err:
        health.collect(tools, {"nvidia-smi": "nvidia-smi"}, {})
    assert str(err.value) == "nvidia-smi --query-gpu failed (rc=-11): Segmentation fault"
    assert err.value.context == {"rc": -11, "stdout": "", "stderr": "Segmentation fault\n"}
    tools = Tools({"journalctl": (-9, "partial", "")})
    assert health._kernel_log(tools, {"journalctl": "journalctl"}, "journal")[1] == {
        "check": "kernel_log", "status": "warn", "evidence": "kernel log not readable, Xids unknown: journalctl rc=-9: "
                                                             "partial"}


def test_dcgm_without_result_names_the_level_and_details_continue():
    diag = health._dcgm(Tools({"dcgmi": (255, "Error: unable to connect\n", "")}), "dcgmi", 2)
    assert diag["tests"][0]["name"] == "dcgmi diag -r 2"
    assert diag["tests"][0]["detail"] == "no result (rc=255): Error: unable to connect"
    text = ("|-----  Deployment  --------+------------------------------------------------|\n"
            "| Persistence Mode          | Fail - GPU 0: persistence mode is disabled     |\n"
            "|                           | for GPU 0                                      |\n")
    test = health.parse_dcgmi_diag(text)["tests"][0]
    assert (test["status"], test["detail"]) == ("fail", "Fail - GPU 0: persistence mode is disabled for GPU 0")


def test_xid_detail_and_fallen_off_windows():
    event = health.parse_xids(_text(HEALTH, "xid__595.71.05__rtx5070ti.log"))[0]
    assert event["detail"].startswith("pid=13705, name=UnrealEditor, channel 0x0000000c")
    # constructed from the recorded line formats: a second GPU falls off after the first one's Xid 79, and a
    # message without a PCI address far from any line naming one
    log = "\n".join([
        "kernel: NVRM: GPU at PCI:0000:bb:00: GPU-0b11d014-1685-04bd-26ed-5fc0bc1c44ae",
        "kernel: NVRM: Xid (PCI:0000:bb:00): 79, GPU has fallen off the bus.",
        "kernel: NVRM: GPU 0000:aa:00.0: GPU has fallen off the bus.",
        "kernel: NVRM: GPU at PCI:0000:cc:00: GPU-4e391288-897c-ba5d-6944-dfbea55ebcfa",
        "kernel: usb 1-1: USB disconnect, device number 2",
        "kernel: usb 1-1: new high-speed USB device number 3",
        "kernel: NVRM: GPU has fallen off the bus."])
    assert [(e["bus"], e["code"]) for e in health.parse_xids(log)] == [("0000:bb:00", 79), ("0000:aa:00", 79)]
    first = "kernel: NVRM: GPU 0000:2b:00.0: GPU has fallen off the bus.\nkernel: NVRM: probe failed\n"
    assert [(e["bus"], e["code"]) for e in health.parse_xids(first)] == [("0000:2b:00", 79)]


def test_dcgm_blank_continuation_rows_and_temperature_above_fail():
    text = ("|-----  Deployment  --------+------------------------------------------------|\n"
            "| Inforom                   | Pass                                           |\n"
            "|                           |                                                |\n")
    assert health.parse_dcgmi_diag(text)["tests"][0]["detail"] == "Pass"
    assert health.check_temperature({"temperature": 101}, LIMITS)["status"] == "fail"


def test_fabric_manager_newer_than_the_driver_fails():
    assert health.check_fabricmanager({"driver_version": "535.129.03"}, "550.54.15")["status"] == "fail"


def test_kernel_log_falls_back_to_dmesg_when_journalctl_is_missing():
    tools = Tools({"dmesg": (0, "NVRM: Xid (PCI:0000:01:00): 31, pid=1\n", "")})
    text, check = health._kernel_log(tools, {"journalctl": None, "dmesg": "/usr/bin/dmesg"}, "auto")
    assert (text, check["evidence"]) == ("NVRM: Xid (PCI:0000:01:00): 31, pid=1\n", "read with /usr/bin/dmesg")


def test_default_limits_at_their_edges():
    assert health.check_row_remap({"remapped_uncorrectable": 1}, LIMITS)["status"] == "warn"
    assert health.check_nvlink({0: {"crc errors": 1}}, LIMITS)["status"] == "warn"
    assert health.check_nvlink({0: {"crc errors": 0}}, LIMITS)["status"] == "pass"


def test_per_gpu_healthy_flags():
    sick = _a100_sick()
    well = health.record_from_query({"index": "1", "pci.bus_id": "00000000:20:1C.0"})
    result = health.evaluate([sick, well], LIMITS)
    assert [(g["index"], g["healthy"], g["failing"]) for g in result["gpus"]] == [(0, False, ["row_remap"]),
                                                                                  (1, True, [])]


def test_query_gives_up_after_three_answers_of_unknown_fields():
    def smi(argv):
        first = argv[1].split("=", 1)[1].split(",")[0]
        return 2, 'Field "%s" is not a valid field to query.\n' % first, ""
    tools = Tools({"nvidia-smi": smi})
    with pytest.raises(health.HealthError) as err:
        health.collect(tools, {"nvidia-smi": "nvidia-smi"}, {})
    assert len(tools.calls) == 3
    assert str(err.value) == 'nvidia-smi --query-gpu failed (rc=2): Field "pci.bus_id" is not a valid field to query.'


def test_long_tool_errors_are_cut_at_200_characters():
    tools = Tools({"journalctl": (1, "", "x" * 300)})
    evidence = health._kernel_log(tools, {"journalctl": "journalctl"}, "journal")[1]["evidence"]
    assert evidence == "kernel log not readable, Xids unknown: journalctl rc=1: " + "x" * 200


def test_fabric_manager_version_on_stderr_and_dcgm_off_by_default():
    tools = Tools({"nvidia-smi": _smi(_text(H100, "query.csv")), "nv-fabricmanager": (
        0, "", "Fabric Manager version is : 590.48.01\n"), "dcgmi": (0, "", "")})
    paths = {"nvidia-smi": "nvidia-smi", "nv-fabricmanager": "nv-fabricmanager", "dcgmi": "dcgmi"}
    result = health.collect(tools, paths, {"kernel_log": "none"})
    checks = dict((c["check"], c) for c in result["gpus"][0]["checks"])
    assert checks["fabric_manager"]["status"] == "pass"
    assert [c[0] for c in tools.calls] == ["nvidia-smi", "nvidia-smi", "nv-fabricmanager"]


def test_third_run_edges():
    assert health.check_temperature({"temperature": 85}, LIMITS)["status"] == "warn"
    assert health.check_temperature({"temperature": 84}, LIMITS)["status"] == "pass"
    assert health.check_retired_pages({"retired_sbe": 61, "retired_dbe": 0}, LIMITS)["status"] == "fail"
    limits = health.thresholds({"nvlink_errors_max": 5})
    assert health.check_nvlink({0: {"replay errors": 2}}, limits)["status"] == "pass"
    log = "\n".join(["kernel: NVRM: Xid (PCI:0000:aa:00): 79, GPU has fallen off the bus.",
                     "kernel: NVRM: GPU 0000:bb:00.0: GPU has fallen off the bus."])
    assert [e["bus"] for e in health.parse_xids(log)] == ["0000:aa:00", "0000:bb:00"]


def test_thresholds_from_extra_vars_are_numbers():
    limits = health.thresholds({"temperature_warn": "88", "xid_ignore": ["13"]})
    assert (limits["temperature_warn"], limits["xid_ignore"]) == (88, [13])


def test_aggregate_ecc_below_a_raised_limit_passes():
    limits = health.thresholds({"ecc_aggregate_uncorrected_max": 5})
    assert health.check_ecc({"ecc_volatile_uncorrected": 0, "ecc_aggregate_uncorrected": 2}, limits)["status"] == "pass"
