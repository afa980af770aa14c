"""Slurm inventory speed: 10,000 generated nodes (slurmrestd v0.0.41 JSON shape and scontrol --oneliner text) parsed
and populated into an Ansible inventory by mlinfra.gpu.slurm, in-process. Prints the times; not a timed test.

Run from the repository root:  . scripts/lib.sh; ensure_venv; ensure_collection_link; python bench/inventory/slurm_10k.py
"""
import gc
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))

from ansible.inventory.data import InventoryData  # noqa: E402
from ansible.parsing.dataloader import DataLoader  # noqa: E402
from ansible.plugins.loader import inventory_loader  # noqa: E402

from ansible_collections.mlinfra.gpu.plugins.inventory import slurm  # noqa: E402
from ansible_collections.mlinfra.gpu.plugins.plugin_utils import _slurm  # noqa: E402

N = int(os.environ.get("NODES", "10000"))
GRES = ["gpu:a100:8(S:0-1)", "gpu:h100:8", "gpu:nvidia_h100_80gb_hbm3:4,nic:mlx5:2", "gpu:a100:4,gpu:v100:2", "gpu:2",
        "(null)", "gpu:l40s:4(S:0)", ""]
STATES = [["IDLE"], ["MIXED"], ["ALLOCATED"], ["IDLE", "DRAIN"], ["DOWN", "NOT_RESPONDING"], ["MIXED", "DRAIN"]]


def generate_json(n):
    nodes = []
    for i in range(n):
        nodes.append({"name": "node%05d" % i, "address": "10.%d.%d.%d" % (i // 65536, (i // 256) % 256, i % 256),
                      "hostname": "node%05d" % i, "state": STATES[i % len(STATES)],
                      "partitions": ["p%d" % (i % 7), "all"], "cpus": {"set": True, "infinite": False, "number": 128},
                      "real_memory": 1024000, "gres": GRES[i % len(GRES)],
                      "reason": "xid {{ 79 }}" if i % 50 == 0 else ""})
    return {"format": "json", "data": {"nodes": nodes, "errors": [], "warnings": []}}


def generate_text(n):
    lines = []
    for i in range(n):
        state = "+".join(STATES[i % len(STATES)])
        lines.append("NodeName=node%05d CoresPerSocket=32 CPUAlloc=0 CPUEfctv=128 CPUTot=128 CPULoad=1.00 "
                     "AvailableFeatures=(null) ActiveFeatures=(null) Gres=%s NodeAddr=10.0.%d.%d NodeHostName=node%05d "
                     "RealMemory=1024000 AllocMem=0 FreeMem=N/A Sockets=4 Boards=1 State=%s ThreadsPerCore=1 TmpDisk=0 "
                     "Weight=1 Owner=N/A MCS_label=N/A Partitions=p%d,all BootTime=None SlurmdStartTime=None "
                     "CfgTRES=cpu=128,mem=1000G,billing=128 AllocTRES= CapWatts=n/a CurrentWatts=0 AveWatts=0%s"
                     % (i, GRES[i % len(GRES)], (i // 256) % 256, i % 256, i, state, i % 7,
                        " Reason=maint [root@2025-01-01T00:00:00]" if "DRAIN" in state else ""))
    return {"format": "text", "data": "\n".join(lines) + "\n"}


def run(raw, label):
    fqcn = "mlinfra.gpu.slurm"
    inventory_loader._load_config_defs(fqcn, slurm, slurm.__file__)
    plugin = slurm.InventoryModule()
    plugin._load_name = fqcn
    with tempfile.NamedTemporaryFile("w", suffix=".slurm.yml", delete=False) as f:
        f.write("plugin: mlinfra.gpu.slurm\nurl: http://127.0.0.1:1\nuser: bench\ntoken: x\n")
    _slurm.SlurmRestClient.get_nodes = lambda self: raw
    inventory = InventoryData()
    gc.collect()
    t0 = time.perf_counter()
    plugin.parse(inventory, DataLoader(), f.name, cache=False)
    dt = time.perf_counter() - t0
    os.unlink(f.name)
    assert len(inventory.hosts) == N, len(inventory.hosts)
    return dt, len(inventory.hosts), len(inventory.groups)


def report(raw, label, repeat=3):
    results = [run(raw, label) for _run in range(repeat)]
    times = [r[0] for r in results]
    print("%-40s %6d hosts %3d groups  best %.3f s  median %.3f s  (%d runs)"
          % (label, results[0][1], results[0][2], min(times), statistics.median(times), repeat))


if __name__ == "__main__":
    report(generate_json(N), "slurmrestd v0.0.41 JSON -> inventory")
    report(generate_text(N), "scontrol --oneliner text -> inventory")
