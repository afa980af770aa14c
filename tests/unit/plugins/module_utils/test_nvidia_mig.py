# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""MIG parsers over every recorded sample in tests/unit/fixtures/mig (see SOURCES.md) and the layout planner."""

from __future__ import absolute_import, division, print_function

import glob
import os

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _nvidia_mig as mig

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "mig")


def _text(name):
    with open(os.path.join(FIX, name)) as handle:
        return handle.read()


def _names(kind):
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(FIX, "*__%s*.txt" % kind)))


# (name, id, free, total, memory GiB, SM, CE, OFA) per profile row, one expectation per sample; JPEG per row below.
LGIP = {
    "a30__535.183.01__lgip.txt": [
        ("1g.6gb", 14, 4, 4, 5.81, 14, 1, 0), ("1g.6gb+me", 21, 1, 1, 5.81, 14, 1, 1),
        ("2g.12gb", 5, 2, 2, 11.69, 28, 2, 0), ("2g.12gb+me", 6, 1, 1, 11.69, 28, 2, 1),
        ("4g.24gb", 0, 1, 1, 23.44, 56, 4, 1)],
    "b200__trimmed__lgip.txt": [
        ("1g.23gb", 19, 7, 7, 22.0, 18, 2, 0), ("1g.23gb+me", 20, 1, 1, 22.0, 18, 2, 1),
        ("1g.45gb", 15, 4, 4, 44.25, 30, 2, 0), ("2g.45gb", 14, 3, 3, 44.25, 36, None, None)],
    "gb200__trimmed__lgip.txt": [
        ("1g.23gb", 19, 7, 7, 22.0, 18, 2, 0), ("1g.23gb+me", 20, 1, 1, 22.0, 18, 2, 1),
        ("1g.47gb", 15, 4, 4, 45.5, 32, 2, 0)],
    "h100-nvl__560.35.03__lgip.txt": [
        ("1g.12gb", 19, 7, 7, 10.75, 16, 1, 0), ("1g.12gb+me", 20, 1, 1, 10.75, 16, 1, 1),
        ("1g.24gb", 15, 4, 4, 21.62, 26, 1, 0), ("2g.24gb", 14, 3, 3, 21.62, 32, 2, 0),
        ("3g.47gb", 9, 2, 2, 46.38, 60, 3, 0), ("4g.47gb", 5, 1, 1, 46.38, 64, 4, 0),
        ("7g.94gb", 0, 1, 1, 93.12, 132, 8, 1)],
}
SEVEN_SLICES = {(0, 19): ([0, 1, 2, 3, 4, 5, 6], 1), (0, 20): ([0, 1, 2, 3, 4, 5, 6], 1), (0, 15): ([0, 2, 4, 6], 2),
                (0, 14): ([0, 2, 4], 2), (0, 9): ([0, 4], 4), (0, 5): ([0], 4), (0, 0): ([0], 8)}
LGIPP = {
    "a100-40gb__guide__lgipp.txt": SEVEN_SLICES,
    "h100-nvl__560.35.03__lgipp.txt": SEVEN_SLICES,
    "a30__535.183.01__lgipp.txt": {(0, 14): ([0, 1, 2, 3], 1), (0, 21): ([0, 1, 2, 3], 1), (0, 5): ([0, 2], 2),
                                   (0, 6): ([0, 2], 2), (0, 0): ([0], 4)},
}
# (profile, profile id, GI id, start, size)
LGI = {
    "a100-40gb__guide__lgi_3g_3g.txt": [("3g.20gb", 9, 1, 4, 4), ("3g.20gb", 9, 2, 0, 4)],
    "a100-40gb__guide__lgi_3_2_1_1.txt": [("1g.5gb", 19, 7, 0, 1), ("1g.5gb", 19, 8, 1, 1), ("2g.10gb", 14, 4, 2, 2),
                                          ("3g.20gb", 9, 2, 4, 4)],
    "a100-40gb__guide__lgi_2_1x5.txt": [("1g.5gb", 19, 7, 0, 1), ("1g.5gb", 19, 8, 1, 1), ("1g.5gb", 19, 9, 2, 1),
                                        ("1g.5gb", 19, 10, 3, 1), ("1g.5gb", 19, 13, 6, 1), ("2g.10gb", 14, 5, 4, 2)],
    "a30__535.183.01__lgi_empty.txt": [],
    "a30__535.183.01__lgi_1g.txt": [("1g.6gb", 14, 3, 0, 1)],
    "a30__535.183.01__lgi_1g_1g_2g.txt": [("1g.6gb", 14, 3, 0, 1), ("1g.6gb", 14, 4, 1, 1), ("2g.12gb", 5, 2, 2, 2)],
}
# (created GI ids, created CI (gi, ci) pairs, destroyed CI (gi, ci), destroyed GIs, mode changes, pending, failures)
COMMANDS = {
    "a100-40gb__guide__mig1.txt": ([], [], [], [], [("enabled", "0000:36:00.0")], [], []),
    "a100-40gb__guide__mig1_dgx.txt": ([], [], [], [], [("enabled", "0000:07:00.0")], [], []),
    "a100-40gb__guide__mig1_pending_vm.txt": ([], [], [], [], [], [("enabled", "0000:00:03.0", "Not Supported")], []),
    "a30__535.183.01__mig1_in_use.txt": ([], [], [], [], [], [("enabled", "0000:0b:00.0", "In use by another client")],
                                         []),
    "a100-40gb__guide__gpu_reset_not_supported.txt": ([], [], [], [], [], [],
                                                      ["Resetting GPU 00000000:00:03.0 is not supported."]),
    "a100-40gb__guide__cgi_9_9_C.txt": ([2, 1], [(2, 0), (1, 0)], [], [], [], [], []),
    "a100-40gb__guide__cgi_insufficient.txt": (
        [13, 11, 3], [], [], [], [], [],
        ["Unable to create a GPU instance on GPU  0 using profile 9: Insufficient Resources",
         "Failed to create GPU instances: Insufficient Resources"]),
    "a100-40gb__guide__cgi_9_19_14_19.txt": ([2, 7, 4, 8], [], [], [], [], [], []),
    "a100-40gb__guide__cgi_14_19x5.txt": ([5, 13, 7, 8, 9, 10], [], [], [], [], [], []),
    "a100-40gb__guide__cci_0_0_0.txt": ([], [(1, None), (1, None), (1, None)], [], [], [], [], []),
    "a100-40gb__guide__dci.txt": ([], [], [(1, 0), (1, 1), (1, 2)], [], [], [], []),
    "a100-40gb__guide__dgi.txt": ([], [], [], [1, 2], [], [], []),
    "a30__535.183.01__cgi_14_C.txt": ([3], [(3, 0)], [], [], [], [], []),
    "a30__535.183.01__cgi_5_C.txt": ([2], [(2, 0)], [], [], [], [], []),
}


def test_every_sample_has_an_expectation():
    samples = sorted(os.path.basename(p) for p in glob.glob(os.path.join(FIX, "*.txt")))
    covered = set(LGIP) | set(LGIPP) | set(LGI) | set(COMMANDS) | set(LISTS) | {
        "a100-40gb__guide__lci_gi1.txt", "a30__535.183.01__lcip_gi2.txt", "a30__535.183.01__lcip_gi3.txt",
        "h100-sxm__590.48.01__table.txt"}
    assert sorted(covered) == samples


LGIP_JPEG = {"a30__535.183.01__lgip.txt": [0, 1, 0, 1, 1], "b200__trimmed__lgip.txt": [1, 1, 1, None],
             "gb200__trimmed__lgip.txt": [1, 1, 1], "h100-nvl__560.35.03__lgip.txt": [1, 1, 1, 2, 3, 4, 7]}


@pytest.mark.parametrize("name", sorted(LGIP))
def test_gi_profiles_jpeg(name):
    assert [r["jpeg"] for r in mig.parse_gi_profiles(_text(name))] == LGIP_JPEG[name]


@pytest.mark.parametrize("name", sorted(LGIP))
def test_gi_profiles(name):
    rows = mig.parse_gi_profiles(_text(name))
    got = [(r["name"], r["id"], r["free"], r["total"], r["memory_gib"], r["sm"], r["ce"], r["ofa"]) for r in rows]
    assert got == LGIP[name]


@pytest.mark.parametrize("name", sorted(LGIPP))
def test_gi_placements(name):
    got = dict((key, (value["starts"], value["size"])) for key, value in mig.parse_gi_placements(_text(name)).items())
    assert got == LGIPP[name]


@pytest.mark.parametrize("name", sorted(LGI))
def test_gpu_instances(name):
    got = [(r["profile"], r["profile_id"], r["gi_id"], r["start"], r["size"])
           for r in mig.parse_gpu_instances(_text(name))]
    assert got == LGI[name]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_outputs(name):
    parsed = mig.parse_command_output(_text(name))
    got = ([g["gi_id"] for g in parsed["created_gis"]], [(c["gi_id"], c["ci_id"]) for c in parsed["created_cis"]],
           [(c["gi_id"], c["ci_id"]) for c in parsed["destroyed_cis"]], [g["gi_id"] for g in parsed["destroyed_gis"]],
           [(m["mode"], m["pci_bus_id"]) for m in parsed["mode_changed"]],
           [(p["mode"], p["pci_bus_id"], p["reason"]) for p in parsed["pending"]], parsed["failures"])
    assert got == COMMANDS[name]


LISTS = {
    "a30__535.183.01__list_1dev.txt": [("GPU-1e44b340-5807-0dbe-62e6-343a6b8b8bcd", [
        (0, "1g.6gb", "MIG-41b9eab5-8d48-5c52-9f07-82bc59af3901")])],
    "a30__535.183.01__list_3dev.txt": [("GPU-1e44b340-5807-0dbe-62e6-343a6b8b8bcd", [
        (0, "2g.12gb", "MIG-1b8509c0-e60d-502d-8263-d434867998aa"),
        (1, "1g.6gb", "MIG-41b9eab5-8d48-5c52-9f07-82bc59af3901"),
        (2, "1g.6gb", "MIG-55dcd9bd-e6b1-549a-bcb4-0b0496bfee9c")])],
    "h100-sxm__590.48.01__list.txt": [("GPU-00000000-0000-0000-0000-000000000000", [
        (0, "3g.40gb", "MIG-00000000-0000-0000-0000-000000000000"),
        (1, "2g.20gb", "MIG-00000001-0000-0000-0000-000000000001"),
        (2, "1g.10gb", "MIG-00000002-0000-0000-0000-000000000002"),
        (3, "1g.10gb", "MIG-00000003-0000-0000-0000-000000000003")])],
}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_list_with_mig_devices(name):
    got = [(gpu["uuid"], [(d["index"], d["profile"], d["uuid"]) for d in gpu["mig_devices"]])
           for gpu in mig.parse_list(_text(name))]
    assert got == LISTS[name]


def test_compute_instances_and_profiles():
    assert [(c["gi_id"], c["profile"], c["profile_id"], c["ci_id"])
            for c in mig.parse_compute_instances(_text("a100-40gb__guide__lci_gi1.txt"))] == [
        (1, "1c.3g.20gb", 0, 0), (1, "1c.3g.20gb", 0, 1), (1, "1c.3g.20gb", 0, 2)]
    assert [(r["gi_id"], r["name"], r["id"], r["default"], r["free"], r["total"], r["sm"])
            for r in mig.parse_ci_profiles(_text("a30__535.183.01__lcip_gi2.txt"))] == [
        (2, "1c.2g.12gb", 0, False, 0, 2, 14), (2, "2g.12gb", 1, True, 0, 1, 28)]
    assert [(r["gi_id"], r["name"], r["id"], r["default"])
            for r in mig.parse_ci_profiles(_text("a30__535.183.01__lcip_gi3.txt"))] == [(3, "1g.6gb", 0, True)]


def test_table_devices_and_no_processes():
    table = _text("h100-sxm__590.48.01__table.txt")
    assert [(d["gi_id"], d["ci_id"], d["device"]) for d in mig.parse_table_mig_devices(table)] == [
        (2, 0, 0), (3, 0, 1), (9, 0, 2), (10, 0, 3)]
    assert mig.parse_table_processes(table) == []


def test_table_processes_rows():
    table = ("| Processes:                                                                              |\n"
             "|  GPU   GI   CI              PID   Type   Process name                        GPU Memory |\n"
             "|        ID   ID                                                               Usage      |\n"
             "|=========================================================================================|\n"
             "|    0    2    0           412345      C   python3                                 512MiB |\n"
             "|    1  N/A  N/A             1409      G   /usr/lib/xorg/Xorg                      149MiB |\n"
             "+-----------------------------------------------------------------------------------------+\n")
    assert mig.parse_table_processes(table) == [
        {"gpu": 0, "gi_id": 2, "ci_id": 0, "pid": 412345, "type": "C", "name": "python3"},
        {"gpu": 1, "gi_id": None, "ci_id": None, "pid": 1409, "type": "G", "name": "/usr/lib/xorg/Xorg"}]


A30_MODES = "0, GPU-1e44b340-5807-0dbe-62e6-343a6b8b8bcd, 00000000:0B:00.0, Enabled, Enabled, NVIDIA A30\n"


# -lci rows in the format of the recorded a100-40gb__guide__lci_gi1.txt: one default CI in each A30 GI.
A30_LCI = "".join("|   0      %d       MIG %-14s %d         0     |\n" % (gi, name, ci_profile)
                  for gi, name, ci_profile in ((2, "2g.12gb", 1), (3, "1g.6gb", 0), (4, "1g.6gb", 0)))


def _a30(gi_text="a30__535.183.01__lgi_1g_1g_2g.txt", modes=A30_MODES, table="", ci_text=A30_LCI):
    return mig.gpu_states(modes, _text("a30__535.183.01__list_3dev.txt"), _text("a30__535.183.01__lgip.txt"),
                          _text("a30__535.183.01__lgipp.txt"), _text(gi_text), ci_text, table)[0]


def test_state_joins_listings():
    gpu = _a30()
    assert (gpu["index"], gpu["pci_bus_id"], gpu["mode"], gpu["pending"]) == (0, "0000:0b:00.0", "enabled", "enabled")
    assert [(p["name"], p["starts"], p["size"]) for p in gpu["profiles"]][:2] == [
        ("1g.6gb", [0, 1, 2, 3], 1), ("1g.6gb+me", [0, 1, 2, 3], 1)]
    assert [(gi["gi_id"], gi["profile"]) for gi in gpu["instances"]] == [(2, "2g.12gb"), (3, "1g.6gb"), (4, "1g.6gb")]
    assert [(d["device"], d["profile"], d["uuid"]) for d in gpu["mig_devices"]] == [
        (0, "2g.12gb", "MIG-1b8509c0-e60d-502d-8263-d434867998aa"),
        (1, "1g.6gb", "MIG-41b9eab5-8d48-5c52-9f07-82bc59af3901"),
        (2, "1g.6gb", "MIG-55dcd9bd-e6b1-549a-bcb4-0b0496bfee9c")]


def _actions(plan):
    return [(op["action"], op.get("gi_id"), op.get("profile_id")) for op in plan["operations"]]


def test_plan_keeps_matching_instances_and_destroys_the_rest():
    plan = mig.plan_gpu(_a30(), {"mig_devices": {"1g.6gb": 2, "2g.12gb+me": 1}})
    assert _actions(plan) == [("destroy_ci", 2, None), ("destroy_gi", 2, None), ("create_gi", None, 6)]
    assert [op["argv"] for op in plan["operations"]] == [
        ["mig", "-i", "0", "-gi", "2", "-ci", "0", "-dci"], ["mig", "-i", "0", "-gi", "2", "-dgi"],
        ["mig", "-i", "0", "-cgi", "6", "-C"]]


def test_instance_without_compute_instance_gets_one():
    plan = mig.plan_gpu(_a30(ci_text=A30_LCI.split("\n", 1)[1]), {"mig_devices": {"1g.6gb": 2, "2g.12gb": 1}})
    assert [op["argv"] for op in plan["operations"]] == [["mig", "-i", "0", "-gi", "2", "-cci"]]


def test_plan_is_empty_when_the_layout_is_there():
    plan = mig.plan_gpu(_a30(), {"mig_devices": ["2g.12gb", "1g.6gb", 14]})
    assert plan == {"operations": [], "layout_deferred": False}


def test_plan_recreates_when_kept_instances_block_the_new_ones():
    # 1g.6gb at slices 0 and 1 block 2g.12gb at {0}; the whole layout is rebuilt, biggest first.
    plan = mig.plan_gpu(_a30("a30__535.183.01__lgi_1g.txt"), {"mig_devices": {"2g.12gb": 2}})
    assert _actions(plan) == [("destroy_ci", 3, None), ("destroy_gi", 3, None), ("create_gi", None, 5),
                              ("create_gi", None, 5)]


def test_plan_from_empty_creates_biggest_first():
    plan = mig.plan_gpu(_a30("a30__535.183.01__lgi_empty.txt"), {"mig_devices": {"1g.6gb": 2, "2g.12gb": 1}})
    assert _actions(plan) == [("create_gi", None, 5), ("create_gi", None, 14), ("create_gi", None, 14)]


def test_layout_that_does_not_fit_names_gpu_profiles_and_free_slices():
    with pytest.raises(mig.MigError) as err:
        mig.plan_gpu(_a30(), {"mig_devices": {"2g.12gb": 1, "4g.24gb": 1}})
    assert str(err.value) == (
        "GPU 0 (NVIDIA A30, 0000:0b:00.0) cannot hold the layout 2g.12gb x1, 4g.24gb x1; its profiles: "
        "1g.6gb (id 14, 4/4 free), 1g.6gb+me (id 21, 1/1 free), 2g.12gb (id 5, 2/2 free), 2g.12gb+me (id 6, 1/1 free), "
        "4g.24gb (id 0, 1/1 free); free slices: 0 of 4 (none)")


def test_too_many_of_one_profile_and_unknown_profile():
    with pytest.raises(mig.MigError) as err:
        mig.plan_gpu(_a30(), {"mig_devices": {"1g.6gb+me": 2}})
    assert str(err.value).startswith("GPU 0 (NVIDIA A30, 0000:0b:00.0) holds at most 1 x 1g.6gb+me, the layout asks "
                                     "for 2;")
    with pytest.raises(mig.MigError) as err:
        mig.plan_gpu(_a30(), {"mig_devices": {"1g.10gb": 1}})
    assert str(err.value).startswith("GPU 0 (NVIDIA A30, 0000:0b:00.0) has no MIG profile '1g.10gb'; its profiles: ")


BUSY_TABLE = ("| Processes:                                                                              |\n"
              "|=========================================================================================|\n"
              "|    0    2    0           412345      C   python3                                 512MiB |\n")


def test_busy_instance_is_refused_unless_forced():
    with pytest.raises(mig.MigError) as err:
        mig.plan_gpu(_a30(table=BUSY_TABLE), {"mig_devices": {"1g.6gb": 4}})
    assert str(err.value) == ("GPU 0 (NVIDIA A30, 0000:0b:00.0): refusing to destroy GPU instance(s) with running "
                              "processes: GI 2 (2g.12gb): pid 412345 python3; stop them or set force=true")
    plan = mig.plan_gpu(_a30(table=BUSY_TABLE), {"mig_devices": {"1g.6gb": 4}}, force=True)
    assert _actions(plan) == [("destroy_ci", 2, None), ("destroy_gi", 2, None), ("create_gi", None, 14),
                              ("create_gi", None, 14)]


def test_mode_changes():
    off = "0, GPU-1, 00000000:0B:00.0, Disabled, Disabled, NVIDIA A30\n"
    pending = "0, GPU-1, 00000000:0B:00.0, Disabled, Enabled, NVIDIA A30\n"
    gpu = mig.gpu_states(off, "")[0]
    plan = mig.plan_gpu(gpu, {"mig_devices": {"1g.6gb": 4}})
    assert _actions(plan) == [("enable_mig", None, None)] and plan["layout_deferred"] is True
    assert plan["operations"][0]["argv"] == ["-i", "0", "-mig", "1"]
    gpu = mig.gpu_states(pending, "")[0]
    assert _actions(mig.plan_gpu(gpu, {})) == []
    assert _actions(mig.plan_gpu(gpu, {}, allow_reset=True)) == [("reset", None, None)]
    assert _actions(mig.plan_gpu(gpu, {"mig_enabled": False})) == [("disable_mig", None, None)]
    plan = mig.plan_gpu(_a30(), {"mig_enabled": False})
    assert _actions(plan) == [("destroy_ci", 2, None), ("destroy_gi", 2, None), ("destroy_ci", 3, None),
                              ("destroy_gi", 3, None), ("destroy_ci", 4, None), ("destroy_gi", 4, None),
                              ("disable_mig", None, None)]


def test_gpu_without_mig_is_refused():
    gpu = mig.gpu_states("0, GPU-1, 00000000:0C:00.0, [N/A], [N/A], NVIDIA GeForce RTX 2080 SUPER\n", "")[0]
    with pytest.raises(mig.MigError) as err:
        mig.plan_gpu(gpu, {})
    assert str(err.value) == ("GPU 0 (NVIDIA GeForce RTX 2080 SUPER, 0000:0c:00.0) does not support MIG "
                              "(mig.mode.current is not reported)")
    assert mig.plan_gpu(gpu, {"mig_enabled": False}) == {"operations": [], "layout_deferred": False}


def test_rule_selection():
    gpus = mig.gpu_states("0, GPU-AA, 00000000:0B:00.0, Enabled, Enabled, NVIDIA A30\n"
                          "1, GPU-BB, 00000000:8B:00.0, Enabled, Enabled, NVIDIA H100 NVL\n", "")
    assert sorted(mig.assign_rules([{"devices": [1]}], gpus)) == [1]
    assert sorted(mig.assign_rules([{"devices": ["gpu-aa"]}], gpus)) == [0]
    assert sorted(mig.assign_rules([{"devices": ["0000:8b:00.0"]}], gpus)) == [1]
    assert sorted(mig.assign_rules([{"devices": "all", "device_filter": ["h100"]}], gpus)) == [1]
    with pytest.raises(mig.MigError) as err:
        mig.assign_rules([{"devices": "all"}, {"devices": [1]}], gpus)
    assert str(err.value).startswith("GPU 1 (NVIDIA H100 NVL) is selected by rule 0 and rule 1")


def test_rules_are_normalized_and_checked():
    params = {"gpus": None, "layout": "half", "layouts": {"half": [{"devices": "all", "mig-enabled": True,
                                                                    "mig-devices": {"3g.47gb": 2}}]}}
    assert mig.chosen_rules(params) == [{"devices": "all", "device_filter": None, "mig_enabled": True,
                                         "mig_devices": {"3g.47gb": 2}}]
    for params, sentinel in (
            ({"layout": "nope", "layouts": {"half": []}}, "layout 'nope' is not defined; defined layouts: half"),
            ({"gpus": [{"devices": ["eth0"]}]}, "devices entry 'eth0' is neither 'all', a GPU index"),
            ({"gpus": [{"mig-device": {}}]}, "unknown key 'mig-device' in a layout rule"),
            ({"gpus": [{"mig_enabled": False, "mig_devices": {"1g.6gb": 1}}]},
             "a rule with mig_enabled: false cannot ask for mig_devices")):
        with pytest.raises(mig.MigError) as err:
            mig.chosen_rules(params)
        assert str(err.value).startswith(sentinel)


def test_predicted_after_for_check_mode():
    gpu = _a30()
    rule = {"mig_devices": {"1g.6gb": 2, "2g.12gb+me": 1}}
    assert mig.predicted(gpu, rule, mig.plan_gpu(gpu, rule)) == {"mig": "enabled",
                                                                 "instances": ["1g.6gb", "1g.6gb", "2g.12gb+me"]}
    off = mig.gpu_states("0, GPU-1, 00000000:0B:00.0, Disabled, Disabled, NVIDIA A30\n", "")[0]
    rule = {"mig_devices": {"1g.6gb": 2}}
    assert mig.predicted(off, rule, mig.plan_gpu(off, rule)) == {"mig": "disabled (pending enabled)",
                                                                 "instances": ["1g.6gb", "1g.6gb"]}


# ---------------------------------------------------------------------------------------------------- orchestration
# read_state / build_plans / apply_plans with the fake nvidia-smi of the black-box tests answering in-process.

def _fake():
    import importlib.util
    path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "integration", "gpu_ops", "fake_nvidia_smi.py")
    spec = importlib.util.spec_from_file_location("fake_nvidia_smi", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FAKE = _fake()
A30_PROFILES = [
    {"name": "1g.6gb", "id": 14, "total": 4, "memory": "5.81", "sm": 14, "dec": 1, "enc": 0, "ce": 1, "jpeg": 0,
     "ofa": 0, "starts": [0, 1, 2, 3], "size": 1, "ci_id": 0},
    {"name": "2g.12gb", "id": 5, "total": 2, "memory": "11.69", "sm": 28, "dec": 2, "enc": 0, "ce": 2, "jpeg": 0,
     "ofa": 0, "starts": [0, 2], "size": 2, "ci_id": 1},
    {"name": "4g.24gb", "id": 0, "total": 1, "memory": "23.44", "sm": 56, "dec": 4, "enc": 0, "ce": 4, "jpeg": 1,
     "ofa": 1, "starts": [0], "size": 4, "ci_id": 2},
]


class Runner:
    """``run(argv)`` over a fake state; ``calls`` keeps every argv."""

    def __init__(self, **gpu):
        state = {"index": 0, "name": "NVIDIA A30", "uuid": "GPU-1e44b340-5807-0dbe-62e6-343a6b8b8bcd",
                 "bus": "00000000:0B:00.0", "mode": "Enabled", "pending": "Enabled", "profiles": A30_PROFILES,
                 "gis": [{"id": 3, "profile": 14, "start": 0, "cis": [{"id": 0, "uuid": "MIG-3"}]}], "processes": []}
        state.update(gpu)
        self.state = {"gpus": [state]}
        self.calls = []

    def __call__(self, argv):
        self.calls.append(argv)
        text, rc = FAKE.answer(self.state, argv)
        return rc, text, ""

    def changing(self):
        return [c for c in self.calls if set(c) & {"-cgi", "-dgi", "-dci", "-cci", "-mig", "--gpu-reset"}]


def _apply(runner, params, check_mode=False):
    params = dict({"gpus": None, "layouts": None, "layout": None, "force": False, "allow_reset": False}, **params)
    state = mig.read_state(runner)
    return mig.apply_plans(runner, mig.build_plans(params, state), state, params, check_mode)


def test_read_state_asks_the_listings_only_with_mig_on():
    runner = Runner(mode="Disabled", pending="Disabled", gis=[])
    mig.read_state(runner)
    assert runner.calls == [["--query-gpu=index,uuid,pci.bus_id,mig.mode.current,mig.mode.pending,name",
                             "--format=csv,noheader"], ["-L"], []]
    runner = Runner()
    state = mig.read_state(runner)
    assert runner.calls[3:] == [["mig", "-lgip"], ["mig", "-lgipp"], ["mig", "-lgi"], ["mig", "-lci"]]
    assert [(gi["gi_id"], gi["profile"], [c["ci_id"] for c in gi["compute_instances"]]) for gi in state[0]["instances"]] \
        == [(3, "1g.6gb", [0])]
    assert state[0]["mig_devices"] == [{"device": 0, "profile": "1g.6gb", "uuid": "MIG-3", "gi_id": 3, "ci_id": 0}]


def test_empty_listings_are_not_failures_but_errors_are():
    state = mig.read_state(Runner(gis=[]))
    assert state[0]["instances"] == [] and state[0]["mig_devices"] == []

    def broken(argv):
        return (9, "", "Failed to initialize NVML: Driver/library version mismatch") if argv == ["-L"] else (
            0, "0, GPU-1, 00000000:0B:00.0, Disabled, Disabled, NVIDIA A30\n", "")
    with pytest.raises(mig.MigError) as err:
        mig.read_state(broken)
    assert str(err.value) == "nvidia-smi -L failed (rc=9): Failed to initialize NVML: Driver/library version mismatch"
    stderr = "Failed to initialize NVML: Driver/library version mismatch"
    assert err.value.context == {"rc": 9, "stdout": "", "stderr": stderr}


def test_apply_check_mode_then_real_then_idempotent():
    runner = Runner()
    params = {"gpus": [{"mig_devices": {"2g.12gb": 1, "1g.6gb": 2}}]}
    result = _apply(runner, params, check_mode=True)
    assert runner.changing() == []
    assert [op["argv"] for op in result["plan"]] == [["mig", "-i", "0", "-cgi", "5", "-C"],
                                                     ["mig", "-i", "0", "-cgi", "14", "-C"]]
    assert result["diff"] == {"before": {"gpu0": {"mig": "enabled", "instances": ["1g.6gb"]}},
                              "after": {"gpu0": {"mig": "enabled", "instances": ["1g.6gb", "1g.6gb", "2g.12gb"]}}}
    assert result["changed"] is True and result["reset_required"] == [] and result["deferred"] == []
    result = _apply(runner, params)
    assert runner.changing() == [["mig", "-i", "0", "-cgi", "5", "-C"], ["mig", "-i", "0", "-cgi", "14", "-C"]]
    assert result["diff"]["after"] == {"gpu0": {"mig": "enabled", "instances": ["1g.6gb", "1g.6gb", "2g.12gb"]}}
    assert [(d["gpu"], d["gpu_uuid"], d["profile"], d["gi_id"]) for d in result["mig_devices"]] == [
        (0, "GPU-1e44b340-5807-0dbe-62e6-343a6b8b8bcd", "2g.12gb", 1),
        (0, "GPU-1e44b340-5807-0dbe-62e6-343a6b8b8bcd", "1g.6gb", 2),
        (0, "GPU-1e44b340-5807-0dbe-62e6-343a6b8b8bcd", "1g.6gb", 3)]
    runner.calls = []
    result = _apply(runner, params)
    assert runner.changing() == [] and result["changed"] is False and result["plan"] == []


def test_apply_pending_enable_with_and_without_reset():
    runner = Runner(mode="Disabled", pending="Disabled", gis=[], pending_on_change=True)
    params = {"gpus": [{"mig_devices": ["4g.24gb"]}]}
    result = _apply(runner, params)
    assert runner.changing() == [["-i", "0", "-mig", "1"]]
    assert (result["reset_required"], result["deferred"], result["changed"]) == ([0], [0], True)
    assert result["diff"]["after"] == {"gpu0": {"mig": "disabled (pending enabled)", "instances": []}}
    runner = Runner(mode="Disabled", pending="Disabled", gis=[], pending_on_change=True)
    result = _apply(runner, dict(params, allow_reset=True))
    assert runner.changing() == [["-i", "0", "-mig", "1"], ["--gpu-reset", "-i", "0"],
                                 ["mig", "-i", "0", "-cgi", "0", "-C"]]
    assert (result["reset_required"], result["deferred"]) == ([], [])
    assert result["diff"]["after"] == {"gpu0": {"mig": "enabled", "instances": ["4g.24gb"]}}


def test_apply_stops_at_the_first_failure_with_context():
    runner = Runner(processes=[{"gi": 3, "ci": 0, "pid": 7, "name": "python3"}])
    with pytest.raises(mig.MigError) as err:
        _apply(runner, {"gpus": [{"mig_devices": {"4g.24gb": 1}}], "force": True})
    assert str(err.value) == ("GPU 0: nvidia-smi mig -i 0 -gi 3 -ci 0 -dci failed (rc=19): Unable to destroy compute "
                              "instance ID  0 from GPU  0 GPU instance ID  3: In use by another client")
    assert err.value.context["changed"] is True
    assert [op["action"] for op in err.value.context["plan"]] == ["destroy_ci"]
    assert runner.changing() == [["mig", "-i", "0", "-gi", "3", "-ci", "0", "-dci"]]


def test_parsed_failure_with_rc_zero_is_a_failure():
    def run(argv):
        return 0, "Unable to create a GPU instance on GPU  0 using profile 9: Insufficient Resources\n", ""
    with pytest.raises(mig.MigError) as err:
        mig._execute(run, {"gpu": 0, "argv": ["mig", "-i", "0", "-cgi", "9", "-C"]}, [])
    assert str(err.value) == ("GPU 0: nvidia-smi mig -i 0 -cgi 9 -C failed (rc=0): Unable to create a GPU instance on "
                              "GPU  0 using profile 9: Insufficient Resources")


# ---------------------------------------------------------------------------------------------------- edges


def test_profile_key():
    names = ("MIG 3g.40gb", " 1G.10GB+ME ", "4g.47gb")
    assert [mig.profile_key(n) for n in names] == ["3g.40gb", "1g.10gb+me", "4g.47gb"]


def test_two_gpus_keep_their_own_profiles_and_processes():
    lgip = _text("a30__535.183.01__lgip.txt")
    second = "\n".join(line.replace("|   0  MIG", "|   1  MIG") for line in lgip.splitlines())
    lgipp = _text("a30__535.183.01__lgipp.txt")
    modes = A30_MODES + "1, GPU-2, 00000000:8B:00.0, Enabled, Enabled, NVIDIA A30\n"
    gis = ("|   0  MIG 1g.6gb          14        3          0:1     |\n"
           "|   1  MIG 1g.6gb          14        3          0:1     |\n")
    table = ("| Processes:   |\n"
             "|    1    3    0           412345      C   python3                                 512MiB |\n")
    states = mig.gpu_states(modes, "", lgip + second, lgipp, gis, "", table)
    assert [len(g["profiles"]) for g in states] == [5, 5]
    assert [[gi["processes"] for gi in g["instances"]] for g in states] == [
        [[]], [[{"pid": 412345, "name": "python3", "ci_id": 0}]]]


def test_busy_instance_is_the_one_kept():
    table = ("| Processes:   |\n"
             "|    0    4    0           412345      C   python3                                 512MiB |\n")
    plan = mig.plan_gpu(_a30(table=table), {"mig_devices": {"1g.6gb": 1, "2g.12gb": 1}})
    assert _actions(plan) == [("destroy_ci", 3, None), ("destroy_gi", 3, None)]


@pytest.mark.parametrize("mode, pending, rule, allow_reset, actions", [
    ("Enabled", "Disabled", {"mig_enabled": False}, True, [("reset", None, None)]),
    ("Enabled", "Disabled", {"mig_enabled": False}, False, []),
    ("Disabled", "Disabled", {"mig_enabled": False}, True, []),
    ("Enabled", "Disabled", {}, False, [("enable_mig", None, None)]),
    ("Enabled", "[N/A]", {}, False, []),
    ("Disabled", "[N/A]", {}, False, [("enable_mig", None, None)]),
    ("Disabled", "Enabled", {}, True, [("reset", None, None)]),
])
def test_mode_matrix(mode, pending, rule, allow_reset, actions):
    gpu = mig.gpu_states("0, GPU-1, 00000000:0B:00.0, %s, %s, NVIDIA A30\n" % (mode, pending), "")[0]
    assert _actions(mig.plan_gpu(gpu, rule, allow_reset=allow_reset)) == actions


def test_predicted_after_a_reset_and_a_deferred_layout():
    gpu = mig.gpu_states("0, GPU-1, 00000000:0B:00.0, Disabled, Enabled, NVIDIA A30\n", "")[0]
    rule = {"mig_devices": {"2g.12gb": 2}}
    plan = mig.plan_gpu(gpu, rule, allow_reset=True)
    assert mig.predicted(gpu, rule, plan) == {"mig": "enabled", "instances": ["2g.12gb", "2g.12gb"]}


def test_bad_counts_and_layout_shapes_are_refused():
    with pytest.raises(mig.MigError) as err:
        mig.resolve_layout(_a30(), {"1g.6gb": "two"})
    assert str(err.value) == "count 'two' for profile 1g.6gb is not a whole number"
    for params, message in (
            ({"layout": "x", "layouts": {"x": {"devices": "all"}}},
             "layout 'x' must be a list of rules, got {'devices': 'all'}"),
            ({"gpus": [{"mig_enabled": "yes"}]}, "mig_enabled must be true or false, got 'yes'"),
            ({"gpus": ["all"]}, "a layout rule must be a mapping, got 'all'")):
        with pytest.raises(mig.MigError) as err:
            mig.chosen_rules(params)
        assert str(err.value) == message


def test_read_state_with_one_gpu_of_two_in_mig():
    runner = Runner()
    runner.state["gpus"].append(dict(runner.state["gpus"][0], index=1, mode="Disabled", pending="Disabled", gis=[],
                                     uuid="GPU-2", bus="00000000:8B:00.0"))
    runner.state["gpus"].reverse()
    states = mig.read_state(runner)
    assert [(g["index"], g["mode"], len(g["profiles"])) for g in states] == [(1, "disabled", 0), (0, "enabled", 3)]


def test_failure_without_a_parsed_message_shows_the_output():
    def run(argv):
        return 3, "GPU 00000000:0B:00.0: operation failed\n", "detail on stderr\n"
    with pytest.raises(mig.MigError) as err:
        mig._execute(run, {"gpu": 0, "argv": ["--gpu-reset", "-i", "0"]}, [])
    assert str(err.value) == ("GPU 0: nvidia-smi --gpu-reset -i 0 failed (rc=3): GPU 00000000:0B:00.0: operation "
                              "failed\ndetail on stderr")


def test_check_mode_diff_of_a_deferred_layout():
    runner = Runner(mode="Disabled", pending="Disabled", gis=[])
    result = _apply(runner, {"gpus": [{"mig_devices": ["4g.24gb"]}]}, check_mode=True)
    assert result["diff"]["after"] == {"gpu0": {"mig": "disabled (pending enabled)", "instances": ["4g.24gb"]}}
    assert result["deferred"] == [0] and runner.changing() == []


def test_created_compute_instance_profile():
    parsed = mig.parse_command_output(_text("a100-40gb__guide__cgi_9_9_C.txt"))
    assert [(c["profile"], c["profile_id"]) for c in parsed["created_cis"]] == [("3g.20gb", 2), ("3g.20gb", 2)]


def test_processes_belong_to_their_own_instance():
    gpu = _a30(table=BUSY_TABLE)
    assert [(gi["gi_id"], [p["pid"] for p in gi["processes"]]) for gi in gpu["instances"]] == [
        (2, [412345]), (3, []), (4, [])]


def test_devices_joined_by_number_not_by_position():
    table = _text("h100-sxm__590.48.01__table.txt").splitlines()
    rows = [n for n, line in enumerate(table) if line.startswith("|  0  ")]
    for a, b in zip(rows, reversed(rows)):  # the same rows in the reverse order
        table[a] = _text("h100-sxm__590.48.01__table.txt").splitlines()[b]
    modes = "0, GPU-00000000-0000-0000-0000-000000000000, 00000000:00:09.0, Enabled, Enabled, NVIDIA H100 80GB HBM3\n"
    gpu = mig.gpu_states(modes, _text("h100-sxm__590.48.01__list.txt"), table_text="\n".join(table))[0]
    assert [(d["device"], d["gi_id"]) for d in gpu["mig_devices"]] == [(0, 2), (1, 3), (2, 9), (3, 10)]


def test_selection_by_index_and_uuid_is_exact():
    gpus = mig.gpu_states("0, GPU-AA, 00000000:0B:00.0, Enabled, Enabled, NVIDIA A30\n"
                          "1, GPU-BB, 00000000:8B:00.0, Enabled, Enabled, NVIDIA H100 NVL\n", "")
    assert sorted(mig.assign_rules([{"devices": [0]}], gpus)) == [0]
    assert sorted(mig.assign_rules([{"devices": ["GPU-BB"]}], gpus)) == [1]
    assert mig.selects({"devices": [1]}, gpus[0]) is False


def test_free_counts_follow_the_instances():
    runner = Runner()
    result = _apply(runner, {"gpus": [{"mig_devices": {"2g.12gb": 1, "1g.6gb": 1}}]})
    # the fake counts free = total - used while one placement still fits (simpler than the driver's count)
    assert [(p["name"], p["free"], p["total"]) for p in result["gpus"][0]["profiles"]] == [
        ("1g.6gb", 3, 4), ("2g.12gb", 0, 2), ("4g.24gb", 0, 1)]


def test_free_slices_text():
    assert mig.free_slices_text(_a30("a30__535.183.01__lgi_1g.txt")) == "3 of 4 (1,2,3)"
    assert mig.free_slices_text({"profiles": [], "instances": []}) == "0 of 0 (none)"


def test_more_parsed_columns():
    rows = mig.parse_gi_profiles(_text("h100-nvl__560.35.03__lgip.txt"))
    assert [(r["p2p"], r["dec"], r["enc"]) for r in rows] == [
        ("No", 1, 0), ("No", 1, 0), ("No", 1, 0), ("No", 2, 0), ("No", 3, 0), ("No", 4, 0), ("No", 7, 0)]
    assert [r["gpu"] for r in mig.parse_ci_profiles(_text("a30__535.183.01__lcip_gi2.txt"))] == [0, 0]
    parsed = mig.parse_command_output(_text("a100-40gb__guide__dgi.txt"))
    assert [(g["gi_id"], g["gpu"]) for g in parsed["destroyed_gis"]] == [(1, 0), (2, 0)]


def test_list_of_two_gpus_with_devices_on_the_second():
    # constructed from the recorded A30 listings: a GPU without MIG devices, then the A30 with three
    text = _text("a30__535.183.01__list_1dev.txt").splitlines()[0].replace("GPU-1e44", "GPU-0000") + "\n" + \
        _text("a30__535.183.01__list_3dev.txt").replace("GPU 0:", "GPU 1:")
    assert [(g["index"], len(g["mig_devices"])) for g in mig.parse_list(text)] == [(0, 0), (1, 3)]


def test_instances_of_two_gpus_keep_their_compute_instances_and_processes():
    modes = A30_MODES + "1, GPU-2, 00000000:8B:00.0, Enabled, Enabled, NVIDIA A30\n"
    gis = ("|   0  MIG 1g.6gb          14        3          0:1     |\n"
           "|   1  MIG 1g.6gb          14        3          0:1     |\n")
    cis = "|   1      3       MIG 1g.6gb         0         0     |\n"
    table = ("| Processes:   |\n"
             "|    0    3    0           412345      C   python3                                 512MiB |\n")
    states = mig.gpu_states(modes, "", "", "", gis, cis, table)
    assert [[(len(gi["compute_instances"]), len(gi["processes"])) for gi in g["instances"]] for g in states] == [
        [(0, 1)], [(1, 0)]]


def test_rule_devices_forms():
    rule = {"devices": [3, "GPU-AA", "0000:17:00.0", "00000000:18:00.0"]}
    assert mig.check_rule(rule) is rule
    with pytest.raises(mig.MigError) as err:
        mig.check_rule({"devices": ["all"]})
    assert str(err.value).startswith("devices entry 'all' is neither 'all', a GPU index")


def test_pending_disable_is_a_reset_to_do():
    runner = Runner(mode="Enabled", pending="Disabled", gis=[])
    result = _apply(runner, {"gpus": [{"mig_enabled": False}]})
    assert (result["plan"], result["reset_required"]) == ([], [0])


def test_third_run_edges():
    gpus = mig.parse_list(_text("a30__535.183.01__list_1dev.txt"))
    assert (gpus[0]["index"], gpus[0]["name"]) == (0, "NVIDIA A30")
    stray = "|                                                             1     0     0   |\n"
    assert mig.parse_gi_profiles(stray + _text("a30__535.183.01__lgip.txt"))[0]["ce"] == 1
    assert mig.parse_modes("[N/A], GPU-1, 00000000:0B:00.0, Disabled, Disabled, NVIDIA A30\n") == []
    parsed = mig.parse_command_output(_text("a100-40gb__guide__dci.txt"))
    assert [c["gpu"] for c in parsed["destroyed_cis"]] == [0, 0, 0]
    assert [len(gi["compute_instances"]) for gi in _a30()["instances"]] == [1, 1, 1]
    gpu = mig.gpu_states(A30_MODES, "")[0]
    assert mig.selects({"device_filter": ["H100", "A30"]}, gpu) is True
    no_full = dict(_a30("a30__535.183.01__lgi_empty.txt"))
    no_full["profiles"] = [p for p in no_full["profiles"] if p["name"] != "4g.24gb"]
    assert mig.free_slices_text(no_full) == "4 of 4 (0,1,2,3)"
    assert len(mig.resolve_layout(_a30(), [{"profile": "1g.6gb"}])) == 1


def test_listing_errors_and_signals():
    def run(argv):
        if argv == ["mig", "-lgi"]:
            return 1, "", "Insufficient Permissions"
        return 0, A30_MODES if argv[:1] and argv[0].startswith("--query-gpu") else "", ""
    with pytest.raises(mig.MigError) as err:
        mig.read_state(run)
    assert str(err.value) == "nvidia-smi mig -lgi failed (rc=1): Insufficient Permissions"
    calls = []

    def no_mig(argv):
        calls.append(argv)
        return 0, "0, GPU-1, 00000000:0C:00.0, [N/A], [N/A], NVIDIA GeForce RTX 2080 SUPER\n" if len(calls) == 1 else "", ""
    assert mig.read_state(no_mig)[0]["mode"] is None and len(calls) == 3

    def killed(argv):
        return -9, "", ""
    with pytest.raises(mig.MigError) as err:
        mig._execute(killed, {"gpu": 0, "argv": ["mig", "-i", "0", "-cgi", "9", "-C"]}, [])
    assert str(err.value) == "GPU 0: nvidia-smi mig -i 0 -cgi 9 -C failed (rc=-9): "


def test_layout_of_the_wrong_shape_is_refused():
    with pytest.raises(mig.MigError) as err:
        mig.resolve_layout(_a30(), 7)
    assert str(err.value) == "mig_devices must be a mapping of profile to count or a list of profiles, got 7"


def test_last_edges():
    modes = "[N/A], GPU-0, 00000000:0A:00.0, [N/A], [N/A], NVIDIA A30\n" + A30_MODES
    assert [row["index"] for row in mig.parse_modes(modes)] == [0]
    parsed = mig.parse_command_output(_text("a100-40gb__guide__cgi_9_19_14_19.txt"))
    assert [(g["profile"], g["profile_id"]) for g in parsed["created_gis"]] == [
        ("3g.20gb", 9), ("1g.5gb", 19), ("2g.10gb", 14), ("1g.5gb", 19)]
    modes = "0, GPU-1, 00000001:00:00.0, Enabled, Enabled, NVIDIA H100 NVL\n"
    gpu = mig.gpu_states(modes, "", _text("h100-nvl__560.35.03__lgip.txt"), _text("h100-nvl__560.35.03__lgipp.txt"))[0]
    assert mig.free_slices_text(gpu) == "8 of 8 (0,1,2,3,4,5,6,7)"
