# -*- coding: utf-8 -*-
# Copyright: contributors to mlinfra.gpu
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_slurm_gres over GPU facts built the way gpu_facts builds them from recorded nvidia-smi output
(tests/unit/fixtures/gpu, mig) and CPU affinities recorded by `nvidia-smi topo -m` (refdata 01, see
tests/unit/fixtures/slurm/SOURCES.md), compared with real `scontrol show node -o` output of Slurm 22.05."""

from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _slurm_gres as g
from ansible_collections.mlinfra.gpu.plugins.module_utils._gpu_facts import build_facts
from ansible_collections.mlinfra.gpu.plugins.module_utils._nvidia_smi import device_from_query, parse_query_csv
from ansible_collections.mlinfra.gpu.plugins.module_utils._slurm_maint import node_from_show

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")


def _text(*parts):
    with open(os.path.join(FIX, *parts)) as handle:
        return handle.read()


H100_ROW = parse_query_csv(_text("gpu", "nvidia", "linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01", "query.csv"))[0]
H100_MIG_ROW = parse_query_csv(_text("gpu", "nvidia", "linux-x86_64__nvidia-h100-mig__590.48.01", "query.csv"))[0]
L40S_ROWS = parse_query_csv(_text("gpu", "snippets", "l40s_x8_header.csv"))
NVSWITCHES = [{"pci_bus_id": "0000:%02x:00.0" % b, "pci_device_id": "10de:22a3"} for b in (5, 6, 7, 8)]


def facts(devices, numa, nvswitches=()):
    """ansible_facts.gpu as gpu_facts builds it (no PCI view), with the NUMA node of each GPU."""
    result = build_facts([], list(nvswitches), [device_from_query(d) for d in devices])
    for device in result["devices"]:
        device["numa_node"] = numa[device["index"]]
    return result


def h100_x8():
    """The recorded H100 80GB HBM3 as 8 GPUs of an HGX board (GPU0-3 on NUMA node 0, GPU4-7 on 1 as `topo -m`)."""
    rows = [dict(H100_ROW, index=str(i), **{"pci.bus_id": "00000000:%02X:00.0" % (0x18 + i)}) for i in range(8)]
    return facts(rows, [0, 0, 0, 0, 1, 1, 1, 1], NVSWITCHES)


def smt_topology(packages, cores):
    """CPU -> (package, core) of ``packages`` sockets of ``cores`` cores with two threads each, numbered as Linux
    numbers them on these boards: first threads 0..packages*cores-1, then their siblings."""
    first = packages * cores
    return dict((cpu, ((cpu % first) // cores, cpu % cores)) for cpu in range(2 * first))


# `nvidia-smi topo -m` CPU affinity of the 8 x H100 SXM (GPU4-7: NUMA 1, 56-111,168-223; vllm#6746) and of the
# 8 x L40S (GPU0: NUMA 0, 0-31,64-95; GPU4: NUMA 1, 32-63,96-127); node 0 of the H100 board is the complement.
H100_NUMA = {0: "0-55,112-167", 1: "56-111,168-223"}
L40S_NUMA = {0: "0-31,64-95", 1: "32-63,96-127"}


def test_h100_x8_with_nvswitches():
    result = g.plan(h100_x8(), "gpu-h100-01", numa_cpus=H100_NUMA, topology=smt_topology(2, 56))
    assert result == {
        "gpus": 8,
        "gres": "gpu:h100:8",
        "gres_conf": ["Name=gpu Type=h100 File=/dev/nvidia%d Cores=%s" % (i, "0-55" if i < 4 else "56-111")
                      for i in range(8)],
        "gres_conf_configless": ["NodeName=gpu-h100-01 Name=gpu Type=h100 File=/dev/nvidia%d Cores=%s"
                                 % (i, "0-55" if i < 4 else "56-111") for i in range(8)],
        "slurm_conf_line": "NodeName=gpu-h100-01 Gres=gpu:h100:8",
    }


def test_l40s_x8_cores_per_numa_node():
    result = g.plan(facts(L40S_ROWS, [0, 0, 0, 0, 1, 1, 1, 1]), "gpu-l40s-01", numa_cpus=L40S_NUMA,
                    topology=smt_topology(2, 32))
    assert result["gres"] == "gpu:l40s:8"
    assert result["gres_conf"][3] == "Name=gpu Type=l40s File=/dev/nvidia3 Cores=0-31"
    assert result["gres_conf"][4] == "Name=gpu Type=l40s File=/dev/nvidia4 Cores=32-63"


def test_nvml_autodetect_keeps_types_and_leaves_cores_and_links_to_nvml():
    result = g.plan(h100_x8(), "n1", autodetect="nvml", numa_cpus=H100_NUMA, topology=smt_topology(2, 56))
    assert result["gres_conf"][:2] == ["AutoDetect=nvml", "Name=gpu Type=h100 File=/dev/nvidia0"]
    assert result["gres_conf_configless"][:2] == ["NodeName=n1 AutoDetect=nvml", "NodeName=n1 Name=gpu Type=h100 File=/dev/nvidia0"]
    assert len(result["gres_conf"]) == 9


def test_no_numa_node_no_cores():
    result = g.plan(facts(L40S_ROWS[:2], [-1, None]), "vm", numa_cpus=L40S_NUMA, topology=smt_topology(2, 32))
    assert result["gres_conf"] == ["Name=gpu Type=l40s File=/dev/nvidia0", "Name=gpu Type=l40s File=/dev/nvidia1"]


def test_no_topology_no_cores():
    result = g.plan(facts(L40S_ROWS[:1], [0]), "vm", numa_cpus=L40S_NUMA, topology={})
    assert result["gres_conf"] == ["Name=gpu Type=l40s File=/dev/nvidia0"]


def test_no_gpu():
    assert g.plan(build_facts([], []), "cpu-01") == {"gpus": 0, "gres": "", "gres_conf": [], "gres_conf_configless": [],
                                                     "slurm_conf_line": ""}
    assert g.plan({}, "cpu-01")["gpus"] == 0


def test_dev_dir():
    result = g.plan(facts(L40S_ROWS[:1], [None]), "n", dev_dir="/srv/dev")
    assert result["gres_conf"] == ["Name=gpu Type=l40s File=/srv/dev/nvidia0"]


# ---- MIG: H100 with MIG on (recorded -L and table), capability minors in the driver's mig-minors layout

MIG_LIST = _text("mig", "h100-sxm__590.48.01__list.txt")
MIG_TABLE = _text("mig", "h100-sxm__590.48.01__table.txt")


def minors_text():
    """mig-minors as the driver lays it out (config 1, monitor 2, then per GPU instance its access and 8 compute
    instances: gpu0/gi0/access 3, gpu0/gi0/ci0/access 4 ... gpu0/gi1/access 12)."""
    lines = ["config 1", "monitor 2"]
    for gi in range(15):
        lines.append("gpu0/gi%d/access %d" % (gi, 3 + 9 * gi))
        lines.extend("gpu0/gi%d/ci%d/access %d" % (gi, ci, 4 + 9 * gi + ci) for ci in range(8))
    return "\n".join(lines) + "\n"


def test_mig_devices_join_list_and_table():
    assert g.mig_devices(MIG_LIST, MIG_TABLE) == [
        {"gpu": 0, "device": 0, "profile": "3g.40gb", "gi_id": 2, "ci_id": 0},
        {"gpu": 0, "device": 1, "profile": "2g.20gb", "gi_id": 3, "ci_id": 0},
        {"gpu": 0, "device": 2, "profile": "1g.10gb", "gi_id": 9, "ci_id": 0},
        {"gpu": 0, "device": 3, "profile": "1g.10gb", "gi_id": 10, "ci_id": 0},
    ]


def test_h100_mig_profiles_are_types():
    mig = g.mig_devices(MIG_LIST, MIG_TABLE)
    result = g.plan(facts([H100_MIG_ROW], [0]), "gpu-mig-01", mig=mig, minors=g.parse_mig_minors(minors_text()))
    assert result == {
        "gpus": 4,
        "gres": "gpu:3g.40gb:1,gpu:2g.20gb:1,gpu:1g.10gb:2",
        "gres_conf": [
            "Name=gpu Type=3g.40gb MultipleFiles=/dev/nvidia0,/dev/nvidia-caps/nvidia-cap21,/dev/nvidia-caps/nvidia-cap22",
            "Name=gpu Type=2g.20gb MultipleFiles=/dev/nvidia0,/dev/nvidia-caps/nvidia-cap30,/dev/nvidia-caps/nvidia-cap31",
            "Name=gpu Type=1g.10gb MultipleFiles=/dev/nvidia0,/dev/nvidia-caps/nvidia-cap84,/dev/nvidia-caps/nvidia-cap85",
            "Name=gpu Type=1g.10gb MultipleFiles=/dev/nvidia0,/dev/nvidia-caps/nvidia-cap93,/dev/nvidia-caps/nvidia-cap94",
        ],
        "gres_conf_configless": [
            "NodeName=gpu-mig-01 Name=gpu Type=3g.40gb MultipleFiles=/dev/nvidia0,/dev/nvidia-caps/nvidia-cap21,/dev/nvidia-caps/nvidia-cap22",
            "NodeName=gpu-mig-01 Name=gpu Type=2g.20gb MultipleFiles=/dev/nvidia0,/dev/nvidia-caps/nvidia-cap30,/dev/nvidia-caps/nvidia-cap31",
            "NodeName=gpu-mig-01 Name=gpu Type=1g.10gb MultipleFiles=/dev/nvidia0,/dev/nvidia-caps/nvidia-cap84,/dev/nvidia-caps/nvidia-cap85",
            "NodeName=gpu-mig-01 Name=gpu Type=1g.10gb MultipleFiles=/dev/nvidia0,/dev/nvidia-caps/nvidia-cap93,/dev/nvidia-caps/nvidia-cap94",
        ],
        "slurm_conf_line": "NodeName=gpu-mig-01 Gres=gpu:3g.40gb:1,gpu:2g.20gb:1,gpu:1g.10gb:2",
    }


def test_a100_mig_on_one_gpu_of_four_without_table_ids():
    """Recorded `nvidia-smi -L` of 4 x A100 80GB, MIG on GPU 0 only; the table was not recorded: no instance ids."""
    gpus = g.mig_devices(_text("gpu", "snippets", "list_a100_mig.txt"), "")
    rows = [{"index": str(i), "name": "NVIDIA A100-SXM4-80GB", "mig.mode.current": "Enabled" if i == 0 else "Disabled"}
            for i in range(4)]
    with pytest.raises(g.GresError) as err:
        g.plan(facts(rows, [0, 0, 1, 1]), "gpu-a100-01", mig=gpus, minors={})
    assert str(err.value) == "MIG device 0 of GPU 0 (1g.20gb) has no GPU/compute instance id in nvidia-smi's table"
    mig = [dict(m, gi_id=7 + m["device"], ci_id=0) for m in gpus]
    result = g.plan(facts(rows, [0, 0, 1, 1]), "gpu-a100-01", mig=mig, minors=g.parse_mig_minors(minors_text()))
    assert result["gres"] == "gpu:1g.20gb:4,gpu:a100:3"
    assert result["gres_conf"][4:] == ["Name=gpu Type=a100 File=/dev/nvidia1", "Name=gpu Type=a100 File=/dev/nvidia2",
                                       "Name=gpu Type=a100 File=/dev/nvidia3"]


def test_mig_minor_missing():
    mig = g.mig_devices(MIG_LIST, MIG_TABLE)
    with pytest.raises(g.GresError) as err:
        g.plan(facts([H100_MIG_ROW], [0]), "n", mig=mig, minors={"gpu0/gi2/access": 21})
    assert str(err.value) == ("MIG device 0 of GPU 0: gpu0/gi2/ci0/access not in /proc/driver/nvidia-caps/mig-minors "
                              "(is the driver's nvidia-caps device file support loaded?)")


def test_mig_on_without_devices_is_refused():
    with pytest.raises(g.GresError) as err:
        g.plan(facts([H100_MIG_ROW], [0]), "n")
    assert str(err.value) == ("GPU 0 (NVIDIA H100 80GB HBM3) has MIG on but no MIG device: create the MIG devices "
                              "first (mlinfra.gpu.nvidia_mig) or turn MIG off")


def test_parse_mig_minors_skips_other_lines():
    assert g.parse_mig_minors("config 1\nbroken\ngpu0/gi0/access x\n\ngpu0/gi0/access 3\n") == \
        {"config": 1, "gpu0/gi0/access": 3}
    assert g.parse_mig_minors(None) == {}


def test_mig_needed():
    assert g.mig_needed(facts([H100_MIG_ROW], [0])) is True
    assert g.mig_needed(h100_x8()) is False
    assert g.mig_needed({"devices": [{"vendor": "amd", "mig_mode": "enabled"}]}) is False
    assert g.mig_needed(None) is False


# ---- refusals

def test_amd_gpu_refused():
    with pytest.raises(g.GresError) as err:
        g.plan({"devices": [{"index": 0, "vendor": "amd", "name": "AMD Instinct MI300X", "model": "mi300x"}]}, "n")
    assert str(err.value) == ("GPU 0 (AMD Instinct MI300X, vendor amd) is not an NVIDIA GPU: this role writes NVIDIA "
                              "gres.conf lines only; describe it in gres.conf yourself (AutoDetect=rsmi for AMD) and "
                              "leave this host out")


def test_gpu_without_model_token_refused():
    with pytest.raises(g.GresError) as err:
        g.plan({"devices": [{"index": 1, "vendor": "nvidia", "name": "NVIDIA Graphics Device", "model": None}]}, "n")
    assert str(err.value) == ("GPU 1 (NVIDIA Graphics Device) has no model token in the collection's GPU vocabulary, "
                              "so it has no Type name; update the collection or describe this GPU in gres.conf yourself")


def test_bad_autodetect_refused():
    with pytest.raises(g.GresError) as err:
        g.plan(h100_x8(), "n", autodetect="rsmi")
    assert str(err.value) == "autodetect must be one of off, nvml, got 'rsmi'"


def test_numa_node_not_in_sysfs():
    with pytest.raises(g.GresError) as err:
        g.plan(facts(L40S_ROWS[:1], [3]), "n", numa_cpus=L40S_NUMA, topology=smt_topology(2, 32))
    assert str(err.value) == "GPU 0 is on NUMA node 3, which sysfs does not list"


# ---- CPU lists and logical cores

@pytest.mark.parametrize("text,cpus", [
    ("0-3,8,10-11", [0, 1, 2, 3, 8, 10, 11]),
    ("5", [5]),
    (" 0-1 \n", [0, 1]),
    ("", []),
    (None, []),
    ("3,1-2,", [1, 2, 3]),
])
def test_expand_cpulist(text, cpus):
    assert g.expand_cpulist(text) == cpus


@pytest.mark.parametrize("text", ["a-3", "1-b", "1-2-3", "-1"])
def test_expand_cpulist_refuses(text):
    with pytest.raises(g.GresError) as err:
        g.expand_cpulist(text)
    assert str(err.value) == "cannot read the CPU list %r" % text


@pytest.mark.parametrize("numbers,text", [
    ([0, 1, 2, 3, 8, 10, 11], "0-3,8,10-11"),
    ([5], "5"),
    ([3, 1, 2, 2], "1-3"),
    ([], ""),
    ([0, 2, 4], "0,2,4"),
])
def test_compact(numbers, text):
    assert g.compact(numbers) == text


def test_logical_cores_count_threads_once_and_number_package_by_package():
    topology = {0: (0, 0), 1: (0, 4), 2: (1, 0), 3: (1, 4), 4: (0, 0), 5: (0, 4), 6: (1, 0), 7: (1, 4)}
    assert g.logical_cores(topology, [2, 3, 6, 7]) == [2, 3]
    assert g.logical_cores(topology, [1, 5]) == [1]


def test_logical_cores_cpu_without_topology():
    with pytest.raises(g.GresError) as err:
        g.logical_cores({0: (0, 0)}, [0, 1, 2])
    assert str(err.value) == "CPU 1-2 of the GPU's NUMA node has no topology in sysfs"


def test_read_cpu_inputs_from_a_sysfs_tree(tmp_path):
    files = {"devices/system/node/node0/cpulist": "0-1,4-5\n", "devices/system/node/node1/cpulist": "2-3,6-7\n"}
    for cpu in range(8):
        files["devices/system/cpu/cpu%d/topology/physical_package_id" % cpu] = "%d\n" % (cpu % 4 // 2)
        files["devices/system/cpu/cpu%d/topology/core_id" % cpu] = "%d\n" % (cpu % 2)
    files["devices/system/cpu/cpu9/online"] = "1\n"  # a CPU without topology (offline): left out
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    (tmp_path / "devices/system/cpu/cpufreq").mkdir()
    (tmp_path / "devices/system/cpu/cpuidle").mkdir()

    def read(path):
        return open(path).read() if os.path.isfile(path) else None
    numa, topology = g.read_cpu_inputs(read, lambda p: sorted(os.listdir(p)), str(tmp_path), [1, 0, 1, None, -1, 5])
    assert numa == {0: "0-1,4-5", 1: "2-3,6-7"}
    assert topology == {0: (0, 0), 1: (0, 1), 2: (1, 0), 3: (1, 1), 4: (0, 0), 5: (0, 1), 6: (1, 0), 7: (1, 1)}
    assert g.logical_cores(topology, g.expand_cpulist(numa[1])) == [2, 3]


# ---- the controller's view (real scontrol show node -o of Slurm 22.05)

def _gres(name, fixture):
    return node_from_show(_text("slurm", fixture), name)["gres"]


def test_compare_fits():
    assert g.compare("gpu-mix-01", _gres("gpu-mix-01", "slurm_22.05_show_mix.txt"), "gpu:a100:4,gpu:v100:2") is None
    assert g.compare("n", "gpu:a100:4(S:0-1)", "gpu:a100:4") is None
    assert g.compare("n", "gpu:v100:2,gpu:a100:4", "gpu:a100:4,gpu:v100:2") is None
    assert g.compare("n", "gpu:8", "gpu:h100:8") is None
    assert g.compare("n", "gpu:4", "gpu:1g.10gb:2,gpu:3g.40gb:1,gpu:2g.20gb:1") is None
    assert g.compare("n", "(null)", "") is None


def test_compare_nvml_type_name_is_a_mismatch_with_the_vocabulary_and_keeps_other_gres():
    controller = _gres("gpu-h100-01", "slurm_22.05_show_h100.txt")
    assert controller == "gpu:nvidia_h100_80gb_hbm3:8,nic:mlx5:4"
    assert g.compare("gpu-h100-01", controller, "gpu:h100:8") == (
        "slurm_gpu_node: node gpu-h100-01: the controller expects Gres=gpu:nvidia_h100_80gb_hbm3:8,nic:mlx5:4 but the "
        "node has Gres=gpu:h100:8; set the node's Gres= in slurm.conf to gpu:h100:8,nic:mlx5:4 (NodeName=gpu-h100-01 "
        "Gres=gpu:h100:8,nic:mlx5:4) and run 'scontrol reconfigure', or correct the node's GPUs")


def test_compare_count_and_untyped_total():
    assert g.compare("n", "gpu:8", "gpu:h100:4") == (
        "slurm_gpu_node: node n: the controller expects Gres=gpu:8 but the node has Gres=gpu:h100:4; set the node's "
        "Gres= in slurm.conf to gpu:h100:4 (NodeName=n Gres=gpu:h100:4) and run 'scontrol reconfigure', or correct "
        "the node's GPUs")
    assert g.compare("n", "gpu:a100:8", "gpu:a100:7") is not None
    assert g.compare("n", "gpu:a100:4,gpu:4", "gpu:a100:8") is not None


def test_compare_no_gpu_on_either_side():
    assert g.compare("n", "", "gpu:l40s:4") == (
        "slurm_gpu_node: node n: the controller expects Gres=(null) but the node has Gres=gpu:l40s:4; set the node's "
        "Gres= in slurm.conf to gpu:l40s:4 (NodeName=n Gres=gpu:l40s:4) and run 'scontrol reconfigure', or correct "
        "the node's GPUs")
    assert g.compare("n", "gpu:l40s:4,nic:2", "").endswith("set the node's Gres= in slurm.conf to nic:2 (NodeName=n "
                                                           "Gres=nic:2) and run 'scontrol reconfigure', or correct the node's GPUs")
    assert g.compare("n", "gpu:l40s:4", "").endswith("to (null) (NodeName=n Gres=(null)) and run 'scontrol "
                                                     "reconfigure', or correct the node's GPUs")


def test_compare_unreadable_gres():
    with pytest.raises(g.GresError) as err:
        g.compare("n", "gpu:a100:x:y", "gpu:a100:1")
    assert str(err.value) == ("cannot read the controller's Gres=gpu:a100:x:y: cannot read the count in GRES item "
                              "'gpu:a100:x:y'")
    with pytest.raises(g.GresError) as err:
        g.compare("n", "gpu:a100:1", "gpu:a:b:c")
    assert str(err.value) == "cannot read the node's Gres=gpu:a:b:c: cannot read the count in GRES item 'gpu:a:b:c'"


# the reason slurmctld 22.05 gave the node of tests/integration/slurm_node when slurm.conf said gpu:l40s:8 and the
# node registered its H100 gres.conf (tests/unit/fixtures/slurm/SOURCES.md)
GRES_DRAIN = "gres/gpu:l40s count too low (0 < 8)"


def test_compare_a_node_the_controller_drained_for_its_gres():
    assert g.compare("n", "gpu:h100:8(S:0-1)", "gpu:l40s:8", GRES_DRAIN) == (
        "slurm_gpu_node: node n: the controller expects Gres=gpu:h100:8(S:0-1) and drained the node (gres/gpu:l40s count "
        "too low (0 < 8)) but the node has Gres=gpu:l40s:8; set the node's Gres= in slurm.conf to gpu:l40s:8 "
        "(NodeName=n Gres=gpu:l40s:8) and run 'scontrol reconfigure', or correct the node's GPUs")
    assert g.compare("n", "gpu:l40s:8(S:0-1)", "gpu:l40s:8", GRES_DRAIN) is not None
    assert g.compare("n", "gpu:l40s:8(S:0-1)", "gpu:l40s:8", "bad dimm") is None
    assert g.compare("n", "gpu:l40s:8(S:0-1)", "gpu:l40s:8", "") is None
    assert g.compare("n", "gpu:l40s:8(S:0-1)", "gpu:l40s:8", None) is None


# ---- edges (each kills a fault the tests above let through)

def test_expand_cpulist_empty_part_in_the_middle():
    assert g.expand_cpulist("1,,3") == [1, 3]


def test_parse_mig_minors_ignores_lines_with_more_fields():
    assert g.parse_mig_minors("gpu0/gi0/access 3 extra\ngpu0/gi1/access 12\n") == {"gpu0/gi1/access": 12}


def test_the_first_non_nvidia_gpu_is_named():
    with pytest.raises(g.GresError) as err:
        g.plan({"devices": [{"index": 0, "vendor": "amd", "name": "first"}, {"index": 1, "vendor": "amd", "name": "second"}]}, "n")
    assert str(err.value).startswith("GPU 0 (first, vendor amd)")


def test_mig_device_without_compute_instance_id():
    mig = [{"gpu": 0, "device": 0, "profile": "1g.10gb", "gi_id": 9, "ci_id": None}]
    with pytest.raises(g.GresError) as err:
        g.plan(facts([H100_MIG_ROW], [0]), "n", mig=mig, minors=g.parse_mig_minors(minors_text()))
    assert str(err.value) == "MIG device 0 of GPU 0 (1g.10gb) has no GPU/compute instance id in nvidia-smi's table"


def test_mig_devices_go_to_their_own_gpu():
    rows = [dict(H100_MIG_ROW, index=str(i)) for i in range(2)]
    minors = {"gpu%d/gi%d/access" % (gpu, gi): 100 + 10 * gpu + gi for gpu in (0, 1) for gi in (1, 2)}
    minors.update(("gpu%d/gi%d/ci0/access" % (gpu, gi), 200 + 10 * gpu + gi) for gpu in (0, 1) for gi in (1, 2))
    mig = [{"gpu": 1, "device": 0, "profile": "3g.40gb", "gi_id": 1, "ci_id": 0},
           {"gpu": 0, "device": 0, "profile": "1g.10gb", "gi_id": 2, "ci_id": 0}]
    result = g.plan(facts(rows, [0, 0]), "n", mig=mig, minors=minors)
    assert result["gres_conf"] == [
        "Name=gpu Type=1g.10gb MultipleFiles=/dev/nvidia0,/dev/nvidia-caps/nvidia-cap102,/dev/nvidia-caps/nvidia-cap202",
        "Name=gpu Type=3g.40gb MultipleFiles=/dev/nvidia1,/dev/nvidia-caps/nvidia-cap111,/dev/nvidia-caps/nvidia-cap211"]


def test_compare_other_gres_and_repeated_types():
    assert g.compare("n", "gpu:a100:4,nic:mlx5:4,fpga:2", "gpu:a100:4") is None
    assert g.compare("n", "gpu:a100:2,gpu:a100:2", "gpu:a100:4") is None
    assert g.compare("n", "gpu:4", "gpu:h100:8") is not None
    assert g.compare("n", "fpga:2,gpu:a100:4", "gpu:a100:8").endswith(
        "set the node's Gres= in slurm.conf to gpu:a100:8,fpga:2 (NodeName=n Gres=gpu:a100:8,fpga:2) and run 'scontrol "
        "reconfigure', or correct the node's GPUs")


def test_read_cpu_inputs_skips_entries_that_are_not_cpus_and_cpus_without_core_id(tmp_path):
    files = {"devices/system/cpu/cpu0/topology/physical_package_id": "0\n", "devices/system/cpu/cpu0/topology/core_id": "0\n",
             "devices/system/cpu/cpu1/topology/physical_package_id": "0\n"}
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)

    def read(path):
        return open(path).read() if os.path.isfile(path) else None
    numa, topology = g.read_cpu_inputs(read, lambda p: ["cpufreq", "cpu1", "cpu0"], str(tmp_path), [])
    assert (numa, topology) == ({}, {0: (0, 0)})
