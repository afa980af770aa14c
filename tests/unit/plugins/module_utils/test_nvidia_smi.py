# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_nvidia_smi: the CSV reader's edge cases (several GPUs, MIG on a later GPU, a comma in a name, error lines
between rows), numbers with units and the version files. Samples: tests/unit/fixtures/gpu (see SOURCES.md)."""

from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _nvidia_smi as smi

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "gpu")
L40S_FIELDS = ["index", "name", "pci.bus_id", "memory.total", "driver_version"]


def _text(*parts):
    with open(os.path.join(FIX, *parts)) as handle:
        return handle.read()


def test_eight_gpus_with_the_header_given_and_fields_asked():
    """``--format=csv`` keeps its header even when the caller passes the fields it asked for."""
    rows = smi.parse_query_csv(_text("snippets", "l40s_x8_header.csv"), L40S_FIELDS)
    assert [(r["index"], r["pci.bus_id"]) for r in rows] == [
        ("0", "00000000:03:00.0"), ("1", "00000000:04:00.0"), ("2", "00000000:63:00.0"), ("3", "00000000:64:00.0"),
        ("4", "00000000:83:00.0"), ("5", "00000000:84:00.0"), ("6", "00000000:E3:00.0"), ("7", "00000000:E4:00.0")]
    assert rows[7] == {"index": "7", "name": "NVIDIA L40S", "pci.bus_id": "00000000:E4:00.0",
                       "memory.total": "46068 MiB", "driver_version": "580.178.04"}


def test_mixed_generations_in_one_answer():
    devices = [smi.device_from_query(r) for r in smi.parse_query_csv(_text("snippets", "volta_ada_header.csv"))]
    assert [(d["index"], d["name"], d["compute_capability"], d["driver_version"]) for d in devices] == [
        (0, "NVIDIA TITAN V", "7.0", "570.86.15"), (1, "NVIDIA RTX 5880 Ada Generation", "8.9", "570.86.15")]


def test_mig_enabled_on_the_second_gpu_only():
    # The MIG and the non-MIG H100 captures' values, as one two-GPU answer in the module's field order.
    text = ("0, GPU-00000000-0000-0000-0000-000000000000, 00000000:00:09.0, 0x233010DE, 81559, 9.0, Disabled, "
            "590.48.01, NVIDIA H100 80GB HBM3\n"
            "1, GPU-00000000-0000-0000-0000-000000000001, 00000000:00:0A.0, 0x233010DE, 81559, 9.0, Enabled, "
            "590.48.01, NVIDIA H100 80GB HBM3\n")
    devices = [smi.device_from_query(r) for r in smi.parse_query_csv(text, smi.QUERY_FIELDS)]
    assert [(d["index"], d["pci_bus_id"], d["mig_mode"]) for d in devices] == [
        (0, "0000:00:09.0", "disabled"), (1, "0000:00:0a.0", "enabled")]


def test_a_comma_in_the_name_stays_in_the_name():
    # No capture has one; ``name`` is asked last (QUERY_FIELDS) precisely so that one cannot shift the columns.
    text = ("0, GPU-22b2c6ac-2d49-4863-197c-9c469071178a, 00000000:0A:00.0, 0x1E8210DE, 7979, 7.5, [N/A], 440.64, "
            "GeForce RTX 2080, Founders Edition, rev. A\n")
    rows = smi.parse_query_csv(text, smi.QUERY_FIELDS)
    assert rows == [{"index": "0", "uuid": "GPU-22b2c6ac-2d49-4863-197c-9c469071178a", "pci.bus_id": "00000000:0A:00.0",
                     "pci.device_id": "0x1E8210DE", "memory.total": "7979", "compute_cap": "7.5",
                     "mig.mode.current": None, "driver_version": "440.64",
                     "name": "GeForce RTX 2080, Founders Edition, rev. A"}]


def test_rows_short_of_a_column_are_dropped_and_the_next_ones_kept():
    text = ("NVIDIA H100 NVL\n"                      # one column of two: not a row
            "NVIDIA H100 NVL, 0x232110DE\n")        # refdata 01 1B (akash-network/provider-configs#91)
    assert smi.parse_query_csv(text, ["name", "pci.device_id"]) == [
        {"name": "NVIDIA H100 NVL", "pci.device_id": "0x232110DE"}]


def test_error_lines_between_rows_are_skipped():
    # A GPU that fell off the bus: nvidia-smi prints this line in its place and goes on with the others.
    text = ("Unable to determine the device handle for GPU0000:04:00.0: Unknown Error\n"
            "1, NVIDIA L40S, 00000000:04:00.0, 46068 MiB, 580.178.04\n")
    rows = smi.parse_query_csv(text, L40S_FIELDS)
    assert [r["index"] for r in rows] == ["1"]


@pytest.mark.parametrize("snippet, fields", [
    ("err_no_driver.txt", ["name"]),                  # printed on stdout, in place of the rows
    ("err_invalid_field_470.txt", ["compute_cap"]),
])
def test_error_text_is_no_row(snippet, fields):
    assert smi.parse_query_csv(_text("snippets", snippet), fields) == []


def test_values_that_look_like_a_header_but_name_no_field_are_data():
    # `--query-gpu=pstate --format=csv,noheader`: "P2" (the value of refdata 01 1B's RTX 2080 row)
    assert smi.parse_query_csv("P2\n", ["pstate"]) == [{"pstate": "P2"}]


def test_header_only_and_empty_text():
    assert smi.parse_query_csv("index, name, memory.total [MiB]\n") == []
    assert smi.parse_query_csv("\n \n", smi.QUERY_FIELDS) == [] and smi.parse_query_csv(None) == []


@pytest.mark.parametrize("value, expected", [
    ("81559 MiB", 81559), ("81559", 81559), ("176.98", 176.98), ("69.12 W", 69.12), ("41 C", 41), ("0 %", 0),
    ("-1", -1), ("[N/A]", None), ("N/A", None), ("Disabled", None), ("96.00.A5.00.01", None), (None, None),
])
def test_number(value, expected):
    result = smi.number(value)
    assert (result, type(result)) == (expected, type(expected))


@pytest.mark.parametrize("value, expected", [
    ("0x233010DE", "10de:2330"), ("233010DE", "10de:2330"), ("0x1E8110DE", "10de:1e81"), ("0x2330", None),
    ("[N/A]", None), (None, None),
])
def test_normalize_device_id(value, expected):
    assert smi.normalize_device_id(value) == expected


def test_bus_id_with_a_device_number_past_9():
    # AWS g5 (A10G): Bus Location 0000:00:1e.0 in /proc/driver/nvidia/gpus (fixtures/gpu/proc/information_a10g.txt)
    assert smi.normalize_bus_id("00000000:00:1E.0") == "0000:00:1e.0"


@pytest.mark.parametrize("value, expected", [
    ("[Not Supported]", None), ("[N/A]", None), ("N/A", None), (" [Unknown Error] ", None), ("None", None),
    ("[Insufficient Permissions]", None), ("[GPU requires reset]", None), ("[GPU is lost]", None), ("", None),
    (" Disabled ", "Disabled"), (0, "0"),
])
def test_clean(value, expected):
    assert smi.clean(value) == expected


@pytest.mark.parametrize("row, expected", [
    ({"mig.mode.current": "Enabled", "compute_cap": "9.0"}, ("enabled", "9.0")),
    ({"mig.mode.current": "[N/A]", "compute_cap": "[N/A]"}, (None, None)),
    ({"mig.mode.current": "Pending", "compute_cap": "9"}, (None, None)),
])
def test_mig_mode_and_capability_values(row, expected):
    device = smi.device_from_query(row)
    assert (device["mig_mode"], device["compute_capability"]) == expected


def test_r610_kmd_version_and_gpu_uuid_columns():
    device = smi.device_from_query({"kmd_version": "610.57.04", "driver_version": "Deprecated",
                                    "gpu_uuid": "GPU-22b2c6ac-2d49-4863-197c-9c469071178a", "index": "[N/A]"})
    assert (device["driver_version"], device["uuid"], device["index"], device["memory_mib"]) == (
        "610.57.04", "GPU-22b2c6ac-2d49-4863-197c-9c469071178a", None, None)


@pytest.mark.parametrize("snippet, line", [
    ("err_no_driver.txt", "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
                          "Make sure that the latest NVIDIA driver is installed and running."),
    ("err_version_mismatch.txt", "Failed to initialize NVML: Driver/library version mismatch"),
])
def test_driver_not_working_returns_the_line(snippet, line):
    assert smi.driver_not_working(_text("snippets", snippet)) == line


def test_parse_version_r610_reads_kmd_and_umd():
    version = smi.parse_version(_text("nvidia", "linux-x86_64__nvidia-geforce-rtx-2080-super__610.57.04",
                                      "version.txt"))
    assert version == {"driver_version": "610.57.04", "cuda_version": "13.3", "nvml_version": "610.57",
                       "smi_version": "610.57.04"}
    assert smi.parse_version(None) == {"driver_version": None, "cuda_version": None, "nvml_version": None,
                                       "smi_version": None}


def test_parse_header_without_versions():
    assert smi.parse_header("No devices were found\n") == {"driver_version": None, "cuda_version": None}


@pytest.mark.parametrize("name, expected", [
    ("version_proprietary_580.txt", {"version": "580.173.02", "kernel_module": "proprietary",
                                     "gcc": "gcc version 14.2.0 (Ubuntu 14.2.0-4ubuntu2~24.04.1)"}),
    ("version_open_565.txt", {"version": "565.57.01", "kernel_module": "open",
                              "gcc": "gcc version 13.3.0 (Ubuntu 13.3.0-6ubuntu2~24.04)"}),
    ("version_jetson.txt", {"version": "35.3.1", "kernel_module": "open", "gcc": None}),
])
def test_parse_proc_version(name, expected):
    assert smi.parse_proc_version(_text("proc", name)) == expected
