# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_gpu_facts.collect with nvidia-smi present: a fake ``run`` answers from the recorded captures
(tests/unit/fixtures/gpu/nvidia, snippets, proc), a fake sysfs holds the PCI functions of the same GPUs."""

from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _gpu_facts
from ansible_collections.mlinfra.gpu.plugins.module_utils._gpu_facts import ToolError, collect, query_nvidia
from ansible_collections.mlinfra.gpu.plugins.module_utils._nvidia_smi import QUERY_FIELDS
from ansible_collections.mlinfra.gpu.plugins.module_utils.gpu_catalog import lookup_pci

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "gpu")
H100 = os.path.join(FIX, "nvidia", "linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01")
H100_MIG = os.path.join(FIX, "nvidia", "linux-x86_64__nvidia-h100-mig__590.48.01")
RTX_610 = os.path.join(FIX, "nvidia", "linux-x86_64__nvidia-geforce-rtx-2080-super__610.57.04")
ZERO_UUID = "GPU-00000000-0000-0000-0000-000000000000"
SMI = "/usr/bin/nvidia-smi"


def _text(*parts):
    with open(os.path.join(*parts)) as handle:
        return handle.read()


def _columns(capture, **override):
    """The capture's query.csv data row as {field: raw value} (header units dropped), some values replaced."""
    header, row = _text(capture, "query.csv").splitlines()[:2]
    columns = dict(zip([h.split(" [")[0].strip() for h in header.split(", ")], [v.strip() for v in row.split(", ")]))
    columns.update(override)
    return columns


def _nounits(value):
    for unit in (" MiB", " W", " MHz", " %"):
        if value.endswith(unit):
            return value[:-len(unit)]
    return value


class FakeHost(object):
    """nvidia-smi as the captures show it: rows (raw column dicts), ``--version`` and the plain table."""

    def __init__(self, rows, version=None, table=None, query_error=None, version_rc=0):
        self.rows, self.version, self.table = rows, version, table
        self.query_error, self.version_rc = query_error, version_rc
        self.calls = []

    def run(self, argv):
        self.calls.append(argv)
        if argv[0] != SMI:
            raise AssertionError("unexpected command %r" % (argv,))
        if len(argv) > 1 and argv[1].startswith("--query-gpu="):
            if self.query_error:
                return self.query_error
            fields = argv[1].split("=", 1)[1].split(",")
            assert argv[2:] == ["--format=csv,noheader,nounits"]
            return 0, "".join(", ".join(_nounits(row[f]) for f in fields) + "\n" for row in self.rows), ""
        if argv[1:] == ["--version"]:
            return (self.version_rc, self.version, "") if self.version_rc == 0 else (self.version_rc, "", "unknown option")
        if argv[1:] == []:
            return (0, self.table, "") if self.table else (6, "", "")
        raise AssertionError("unexpected command %r" % (argv,))


def _sysfs(root, rows):
    """rows: (bdf, vendor, device, class, numa_node) as the kernel writes them."""
    for bdf, vendor, device, pci_class, numa in rows:
        path = root / "bus" / "pci" / "devices" / bdf
        path.mkdir(parents=True)
        for name, value in (("vendor", vendor), ("device", device), ("class", pci_class), ("numa_node", numa)):
            (path / name).write_text(value + "\n")
    return str(root)


def _proc(name):
    text = _text(FIX, "proc", name)
    return lambda path: text if path == "/proc/driver/nvidia/version" else None


def _no_proc(path):
    return None


def _pick(devices, *keys):
    return [tuple(d[k] for k in keys) for d in devices]


def test_tool_and_pci_values_merge_by_bus_id(tmp_path):
    # An AMD MI300X (PCI only: no AMD tool here) next to the H100 of the capture: ordered by vendor, then index.
    sysfs = _sysfs(tmp_path, [("0000:00:09.0", "0x10de", "0x2330", "0x030200", "1"),
                              ("0000:85:00.0", "0x1002", "0x74a1", "0x120000", "0")])
    host = FakeHost([_columns(H100)], version=_text(H100, "version.txt"))
    facts = collect(host.run, _no_proc, sysfs_root=sysfs, nvidia_smi=SMI)
    nvidia = facts["devices"][1]
    assert nvidia == {
        "index": 0, "vendor": "nvidia", "name": "NVIDIA H100 80GB HBM3", "model": "h100", "uuid": ZERO_UUID,
        "pci_bus_id": "0000:00:09.0", "pci_device_id": "10de:2330", "architecture": "hopper",
        "compute_capability": "9.0", "gfx_target": None,
        "memory_mib": 81559,      # the tool's value, not the catalogue's nominal 80 GiB
        "mig_mode": "disabled",
        "numa_node": 1,           # only sysfs knows it
    }
    assert _pick(facts["devices"], "vendor", "index", "pci_bus_id", "numa_node", "uuid") == [
        ("amd", 0, "0000:85:00.0", 0, None), ("nvidia", 0, "0000:00:09.0", 1, ZERO_UUID)]
    assert facts["driver"] == {"loaded": True, "version": "590.48.01", "kernel_module": None, "cuda_version": "13.1",
                               "error": None}
    assert (facts["count"], facts["vendors"], facts["sources"]) == (2, ["amd", "nvidia"], ["pci", "nvidia-smi"])
    assert host.calls == [[SMI, "--query-gpu=" + ",".join(QUERY_FIELDS), "--format=csv,noheader,nounits"],
                          [SMI, "--version"]]


def test_mig_on_the_second_gpu_and_a_gpu_the_driver_does_not_list(tmp_path):
    # Two recorded H100s (the MIG one moved to bus 0a, index 1) and a third H100 PCIe bound to vfio-pci:
    # nvidia-smi does not list it, sysfs does (refdata 03C "Kernel driver in use: vfio-pci").
    sysfs = _sysfs(tmp_path, [("0000:00:09.0", "0x10de", "0x2330", "0x030200", "-1"),
                              ("0000:00:0a.0", "0x10de", "0x2330", "0x030200", "-1"),
                              ("0000:41:00.0", "0x10de", "0x2331", "0x030200", "-1")])
    second = _columns(H100_MIG, index="1", uuid="GPU-00000000-0000-0000-0000-000000000001",
                      **{"pci.bus_id": "00000000:00:0A.0"})
    host = FakeHost([_columns(H100), second], version=_text(H100, "version.txt"))
    facts = collect(host.run, _proc("version_proprietary_580.txt"), sysfs_root=sysfs, nvidia_smi=SMI)
    assert _pick(facts["devices"], "index", "pci_bus_id", "mig_mode", "uuid", "memory_mib", "numa_node") == [
        (0, "0000:00:09.0", "disabled", ZERO_UUID, 81559, None),
        (1, "0000:00:0a.0", "enabled", "GPU-00000000-0000-0000-0000-000000000001", 81559, None),
        (2, "0000:41:00.0", None, None, 81920, None),
    ]
    # the version nvidia-smi reports wins over /proc's; the module flavour only /proc tells
    assert facts["driver"] == {"loaded": True, "version": "590.48.01", "kernel_module": "proprietary",
                               "cuda_version": "13.1", "error": None}
    assert facts["sources"] == ["pci", "procfs", "nvidia-smi"]


@pytest.mark.parametrize("snippet, rc, error", [
    ("err_no_driver.txt", 9, "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
                             "Make sure that the latest NVIDIA driver is installed and running."),
    ("err_version_mismatch.txt", 18, "Failed to initialize NVML: Driver/library version mismatch"),
])
def test_driver_not_working_keeps_the_pci_devices(tmp_path, snippet, rc, error):
    sysfs = _sysfs(tmp_path, [("0000:00:09.0", "0x10de", "0x2330", "0x030200", "0"),
                              ("0000:00:0a.0", "0x10de", "0x2330", "0x030200", "0")])
    host = FakeHost([], query_error=(rc, _text(FIX, "snippets", snippet), ""))
    facts = collect(host.run, _proc("version_open_565.txt"), sysfs_root=sysfs, nvidia_smi=SMI)
    assert facts["driver"] == {"loaded": False, "version": "565.57.01", "kernel_module": "open", "cuda_version": None,
                               "error": error}
    assert _pick(facts["devices"], "index", "pci_bus_id", "uuid", "numa_node") == [
        (0, "0000:00:09.0", None, 0), (1, "0000:00:0a.0", None, 0)]
    assert facts["sources"] == ["pci", "procfs"]
    assert len(host.calls) == 1      # no --version after a driver that does not answer


def test_driver_not_working_said_on_stderr(tmp_path):
    sysfs = _sysfs(tmp_path, [("0000:00:09.0", "0x10de", "0x2330", "0x030200", "0")])
    host = FakeHost([], query_error=(9, "", _text(FIX, "snippets", "err_no_driver.txt")))
    facts = collect(host.run, _no_proc, sysfs_root=sysfs, nvidia_smi=SMI)
    assert facts["driver"]["error"].startswith("NVIDIA-SMI has failed because it couldn't communicate")


def test_nvidia_smi_killed_by_a_signal_is_a_tool_error():
    # run_command reports a signal as a negative rc (-11: SIGSEGV) with nothing on stdout
    with pytest.raises(ToolError) as info:
        query_nvidia(lambda cmd: (-11, "", ""), SMI)
    assert info.value.rc == -11


def test_versions_from_the_table_when_version_is_refused(tmp_path):
    # An old nvidia-smi without --version: driver and CUDA version from the plain table's header.
    sysfs = _sysfs(tmp_path, [("0000:0c:00.0", "0x10de", "0x1e81", "0x030000", "0")])
    host = FakeHost([_columns(RTX_610, driver_version="[N/A]", kmd_version="[N/A]")], table=_text(RTX_610, "table.txt"),
                    version_rc=2)
    facts = collect(host.run, _no_proc, sysfs_root=sysfs, nvidia_smi=SMI)
    assert facts["driver"] == {"loaded": True, "version": "610.57.04", "kernel_module": None, "cuda_version": "13.3",
                               "error": None}
    assert host.calls[1:] == [[SMI, "--version"], [SMI]]


def test_driver_version_falls_back_to_procfs(tmp_path):
    sysfs = _sysfs(tmp_path, [("0000:0c:00.0", "0x10de", "0x1e81", "0x030000", "0")])
    host = FakeHost([_columns(RTX_610, driver_version="[N/A]", kmd_version="[N/A]")], table=None, version_rc=2)
    facts = collect(host.run, _proc("version_open_565.txt"), sysfs_root=sysfs, nvidia_smi=SMI)
    assert facts["driver"] == {"loaded": True, "version": "565.57.01", "kernel_module": "open", "cuda_version": None,
                               "error": None}


def test_nvidia_smi_in_a_container_without_pci(tmp_path):
    host = FakeHost([_columns(RTX_610)], version=_text(RTX_610, "version.txt"))
    facts = collect(host.run, _no_proc, sysfs_root=str(tmp_path), nvidia_smi=SMI)
    assert _pick(facts["devices"], "index", "pci_bus_id", "numa_node", "compute_capability") == [
        (0, "0000:0c:00.0", None, "7.5")]
    assert facts["sources"] == ["nvidia-smi"]
    assert facts["driver"]["version"] == "610.57.04" and facts["driver"]["cuda_version"] == "13.3"


def test_nvidia_smi_is_not_asked_when_pci_shows_no_nvidia_gpu(tmp_path):
    sysfs = _sysfs(tmp_path, [("0000:85:00.0", "0x1002", "0x74a1", "0x120000", "1")])
    host = FakeHost([_columns(H100)])
    facts = collect(host.run, _no_proc, sysfs_root=sysfs, nvidia_smi=SMI)
    assert host.calls == [] and _pick(facts["devices"], "vendor", "index", "numa_node") == [("amd", 0, 1)]
    assert facts["driver"] == {"loaded": False, "version": None, "kernel_module": None, "cuda_version": None,
                               "error": None}


def test_query_tools_false_reads_pci_only(tmp_path):
    sysfs = _sysfs(tmp_path, [("0000:00:09.0", "0x10de", "0x2330", "0x030200", "0")])
    host = FakeHost([_columns(H100)])
    facts = collect(host.run, _no_proc, sysfs_root=sysfs, nvidia_smi=SMI, query_tools=False)
    assert host.calls == [] and facts["sources"] == ["pci"] and facts["count"] == 1


def test_nothing_at_all(tmp_path):
    facts = collect(FakeHost([]).run, _no_proc, sysfs_root=str(tmp_path))
    assert facts == {"count": 0, "vendors": [], "devices": [], "nvswitch_count": 0, "nvswitches": [], "sources": [],
                     "driver": {"loaded": False, "version": None, "kernel_module": None, "cuda_version": None,
                                "error": None},
                     "amd_driver": {"loaded": False, "version": None, "error": None}}


def test_nvswitches_are_listed(tmp_path):
    # "03:00.0 Bridge [0680]: NVIDIA Corporation GH100 [10de:22a3]" (refdata 03C) next to an H200
    sysfs = _sysfs(tmp_path, [("0000:03:00.0", "0x10de", "0x22a3", "0x068000", "0"),
                              ("0000:9a:00.0", "0x10de", "0x2335", "0x030200", "0")])
    facts = collect(FakeHost([]).run, _no_proc, sysfs_root=sysfs)
    assert facts["nvswitch_count"] == 1 and facts["count"] == 1
    assert [(s["pci_bus_id"], s["pci_device_id"]) for s in facts["nvswitches"]] == [("0000:03:00.0", "10de:22a3")]


def test_merge_keeps_tool_only_devices_and_numbers_pci_only_ones_per_vendor():
    pci = [{"vendor": "nvidia", "pci_bus_id": "0000:18:00.0", "numa_node": 0, "pci_device_id": "10de:2330"},
           {"vendor": "nvidia", "pci_bus_id": "0000:20:00.0", "numa_node": 1, "pci_device_id": "10de:2330"},
           {"vendor": "amd", "pci_bus_id": "0000:85:00.0", "numa_node": 1, "pci_device_id": "1002:74a1"}]
    tool = [{"index": 3, "vendor": "nvidia", "name": "NVIDIA H100 80GB HBM3", "pci_bus_id": "0000:20:00.0",
             "numa_node": None},
            {"index": 5, "vendor": "nvidia", "name": "NVIDIA H100 80GB HBM3", "pci_bus_id": None}]
    merged = _gpu_facts.merge_devices(pci, tool)
    assert _pick(merged, "vendor", "index", "pci_bus_id", "numa_node") == [
        ("amd", 0, "0000:85:00.0", 1), ("nvidia", 3, "0000:20:00.0", 1), ("nvidia", 5, None, None),
        ("nvidia", 6, "0000:18:00.0", 0)]


def test_fill_uses_the_name_when_the_pci_id_is_unknown():
    filled = _gpu_facts.merge_devices([], [{"index": 0, "vendor": "nvidia", "name": "Tesla V100-SXM2-16GB",
                                            "pci_device_id": "10de:ffff"}])[0]
    assert (filled["model"], filled["architecture"], filled["compute_capability"]) == ("v100", "volta", "7.0")


def test_query_keeps_the_command_that_failed_when_every_asked_field_is_rejected():
    def run(cmd):
        return 2, "".join('Field "%s" is not a valid field to query.\n' % f for f in ("name", "compute_cap")), ""

    with pytest.raises(ToolError) as info:
        query_nvidia(run, SMI, fields=("name", "compute_cap"))
    assert info.value.cmd == [SMI, "--query-gpu=name,compute_cap", "--format=csv,noheader,nounits"]


@pytest.mark.parametrize("rejected", [list(QUERY_FIELDS), ["index"]])
def test_query_gives_up_when_the_fields_that_matter_are_rejected(rejected):
    def run(cmd):
        return 2, "".join('Field "%s" is not a valid field to query.\n' % f for f in rejected), ""

    with pytest.raises(ToolError) as info:
        query_nvidia(run, SMI)
    assert info.value.rc == 2 and str(info.value).startswith("nvidia-smi --query-gpu failed: %s --query-gpu=index,uuid,"
                                                             % SMI)


def test_tool_error_message_keeps_2000_characters_of_each_stream():
    error = ToolError(["amd-smi", "static", "--json"], 1, "o" * 2500, "e" * 2001, "amd-smi failed")
    assert str(error) == "amd-smi failed: amd-smi static --json exited with rc=1; stdout: '%s'; stderr: '%s'" % (
        "o" * 2000, "e" * 2000)


def test_tool_error_message():
    error = ToolError(["nvidia-smi", "-L"], 139, " out \n", "\n Segmentation fault \n", "nvidia-smi -L failed")
    assert str(error) == ("nvidia-smi -L failed: nvidia-smi -L exited with rc=139; stdout: 'out'; "
                          "stderr: 'Segmentation fault'")
    assert (error.cmd, error.rc, error.stdout, error.stderr) == (["nvidia-smi", "-L"], 139, " out \n",
                                                                 "\n Segmentation fault \n")


def test_a_gpu_the_driver_cannot_name_takes_the_catalogue_values(tmp_path):
    # nvidia-smi prints "NVIDIA Graphics Device" for a GPU its name table does not know yet; the PCI id does.
    sysfs = _sysfs(tmp_path, [("0000:18:00.0", "0x10de", "0x2901", "0x030200", "0")])
    row = _columns(H100, name="NVIDIA Graphics Device", compute_cap="10.0",
                   **{"pci.bus_id": "00000000:18:00.0", "pci.device_id": "0x290110DE"})
    facts = collect(FakeHost([row], version=_text(H100, "version.txt")).run, _no_proc, sysfs_root=sysfs, nvidia_smi=SMI)
    device = facts["devices"][0]
    assert (device["name"], device["architecture"], device["compute_capability"], device["pci_device_id"]) == (
        "NVIDIA Graphics Device", "blackwell", "10.0", "10de:2901")
    assert device["model"] == lookup_pci("10de:2901")["model"]


def test_a_gpu_the_driver_cannot_name_in_a_container_without_pci():
    row = _columns(H100, name="NVIDIA Graphics Device", compute_cap="10.0", **{"pci.device_id": "0x290110DE"})
    facts = collect(FakeHost([row], version=_text(H100, "version.txt")).run, _no_proc, sysfs_root="/nonexistent",
                    nvidia_smi=SMI)
    device = facts["devices"][0]
    assert (device["architecture"], device["compute_capability"], device["memory_mib"]) == ("blackwell", "10.0", 81559)


def test_build_facts_defaults():
    facts = _gpu_facts.build_facts([], [])
    assert (facts["driver"], facts["amd_driver"]) == (
        {"loaded": False, "version": None, "kernel_module": None, "cuda_version": None, "error": None},
        {"loaded": False, "version": None, "error": None})


def test_pci_only_gpus_are_numbered_within_their_vendor():
    pci = [{"vendor": "nvidia", "pci_bus_id": "0000:18:00.0", "pci_device_id": "10de:2330"}]
    tool = [{"index": 5, "vendor": "amd", "pci_bus_id": "0000:85:00.0"}]
    assert _pick(_gpu_facts.merge_devices(pci, tool), "vendor", "index") == [("amd", 5), ("nvidia", 0)]


# ---- AMD: amd-smi first, rocm-smi when amd-smi fails (samples: tests/unit/fixtures/gpu/amd)
AMD_SMI = "/opt/rocm/bin/amd-smi"
ROCM_SMI = "/opt/rocm/bin/rocm-smi"
MI350X = _text(FIX, "amd", "amd-smi_static_json__MI350X__rocm7_envelope__derived.json")
MI250 = _text(FIX, "amd", "rocm-smi_a_json__MI250__rocm6__wandb_fixture.json")
ROCM_ARGS = ["--showid", "--showproductname", "--showbus", "--showuniqueid", "--showmeminfo", "vram", "--json"]


def _amd_run(answers, calls):
    def run(argv):
        calls.append(argv)
        return answers[argv[0]]
    return run


def test_amd_smi_answers(tmp_path):
    sysfs = _sysfs(tmp_path, [("0000:05:00.0", "0x1002", "0x75a0", "0x120000", "0")])
    calls = []
    facts = collect(_amd_run({AMD_SMI: (0, MI350X, "")}, calls), _no_proc, sysfs_root=sysfs, nvidia_smi=SMI,
                    amd_smi=AMD_SMI, rocm_smi=ROCM_SMI)
    assert calls == [[AMD_SMI, "static", "--json"]]
    assert facts["amd_driver"] == {"loaded": True, "version": "6.18.3", "error": None}
    assert facts["sources"] == ["pci", "amd-smi"]
    assert _pick(facts["devices"], "vendor", "index", "pci_bus_id", "pci_device_id", "numa_node") == [
        ("amd", 0, "0000:05:00.0", "1002:75a0", 0)]


def test_rocm_smi_when_amd_smi_fails(tmp_path):
    sysfs = _sysfs(tmp_path, [("0000:29:00.0", "0x1002", "0x740c", "0x038000", "1")])
    calls = []
    run = _amd_run({AMD_SMI: (1, "", "ERROR:root:Unable to detect any GPU devices"), ROCM_SMI: (0, MI250, "")}, calls)
    facts = collect(run, _no_proc, sysfs_root=sysfs, amd_smi=AMD_SMI, rocm_smi=ROCM_SMI)
    assert calls == [[AMD_SMI, "static", "--json"], [ROCM_SMI] + ROCM_ARGS]
    assert facts["amd_driver"] == {"loaded": True, "version": "6.2.4", "error": None}
    assert facts["sources"] == ["pci", "rocm-smi"]
    assert _pick(facts["devices"], "vendor", "index", "pci_bus_id", "pci_device_id", "numa_node") == [
        ("amd", 0, "0000:29:00.0", "1002:740c", 1)]


def test_rocm_smi_alone_in_a_container():
    calls = []
    facts = collect(_amd_run({ROCM_SMI: (0, MI250, "")}, calls), _no_proc, sysfs_root="/nonexistent",
                    rocm_smi=ROCM_SMI)
    assert calls == [[ROCM_SMI] + ROCM_ARGS] and facts["sources"] == ["rocm-smi"] and facts["count"] == 1


@pytest.mark.parametrize("answers, error", [
    ({AMD_SMI: (1, "", "ERROR:root:Unable to detect any GPU devices"), ROCM_SMI: (2, "", "")},
     "rocm-smi exited with rc=2"),
    ({AMD_SMI: (1, "", ""), ROCM_SMI: (1, "ERROR: No AMD GPUs specified\n", " amdgpu not loaded ")},
     "ERROR: No AMD GPUs specified\n  amdgpu not loaded"),
])
def test_amd_driver_not_working_keeps_the_last_error(tmp_path, answers, error):
    sysfs = _sysfs(tmp_path, [("0000:29:00.0", "0x1002", "0x740c", "0x038000", "1")])
    facts = collect(_amd_run(answers, []), _no_proc, sysfs_root=sysfs, amd_smi=AMD_SMI, rocm_smi=ROCM_SMI)
    assert facts["amd_driver"] == {"loaded": False, "version": None, "error": error}
    assert facts["sources"] == ["pci"] and _pick(facts["devices"], "vendor", "pci_bus_id") == [("amd", "0000:29:00.0")]


def test_amd_smi_killed_by_a_signal_falls_back_to_rocm_smi(tmp_path):
    sysfs = _sysfs(tmp_path, [("0000:29:00.0", "0x1002", "0x740c", "0x038000", "1")])
    run = _amd_run({AMD_SMI: (-9, "", ""), ROCM_SMI: (0, MI250, "")}, [])
    facts = collect(run, _no_proc, sysfs_root=sysfs, amd_smi=AMD_SMI, rocm_smi=ROCM_SMI)
    assert facts["sources"] == ["pci", "rocm-smi"]


def test_amd_error_text_of_a_tool_that_says_nothing_names_it(tmp_path):
    sysfs = _sysfs(tmp_path, [("0000:05:00.0", "0x1002", "0x75a0", "0x120000", "0")])
    facts = collect(_amd_run({AMD_SMI: (3, "", "")}, []), _no_proc, sysfs_root=sysfs, amd_smi=AMD_SMI)
    assert facts["amd_driver"]["error"] == "amd-smi exited with rc=3"


@pytest.mark.parametrize("tool, argv, text", [
    (AMD_SMI, [AMD_SMI, "static", "--json"], '{"gpu_data": "not a list"'),
    (ROCM_SMI, [ROCM_SMI] + ROCM_ARGS, "[1, 2]"),
])
def test_amd_json_that_cannot_be_read_is_a_tool_error(tmp_path, tool, argv, text):
    sysfs = _sysfs(tmp_path, [("0000:05:00.0", "0x1002", "0x75a0", "0x120000", "0")])
    kwargs = {"amd_smi": AMD_SMI} if tool == AMD_SMI else {"rocm_smi": ROCM_SMI}
    with pytest.raises(ToolError) as info:
        collect(_amd_run({tool: (0, text, "")}, []), _no_proc, sysfs_root=sysfs, **kwargs)
    assert info.value.cmd == argv and str(info.value).startswith("cannot parse %s JSON (" % os.path.basename(tool))


def test_amd_tools_are_not_asked_on_an_nvidia_host(tmp_path):
    sysfs = _sysfs(tmp_path, [("0000:00:09.0", "0x10de", "0x2330", "0x030200", "0")])
    calls = []
    facts = collect(_amd_run({}, calls), _no_proc, sysfs_root=sysfs, amd_smi=AMD_SMI, rocm_smi=ROCM_SMI)
    assert calls == [] and facts["amd_driver"] == {"loaded": False, "version": None, "error": None}


def test_amd_tools_are_not_asked_without_query_tools(tmp_path):
    sysfs = _sysfs(tmp_path, [("0000:05:00.0", "0x1002", "0x75a0", "0x120000", "0")])
    calls = []
    collect(_amd_run({}, calls), _no_proc, sysfs_root=sysfs, amd_smi=AMD_SMI, rocm_smi=ROCM_SMI, query_tools=False)
    assert calls == []
