# -*- coding: utf-8 -*-
# Copyright: contributors to mlinfra.gpu
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a Slurm GPU node's gres.conf and Gres= must say (private to the collection): pure functions behind
mlinfra.gpu.slurm_gres_plan and mlinfra.gpu.slurm_node.

From the GPU facts (mlinfra.gpu.gpu_facts), the CPU topology read from sysfs and, where MIG is on, the MIG devices
(``nvidia-smi -L`` and the default table) with their capability minors (/proc/driver/nvidia-caps/mig-minors):

- the gres.conf lines (``Name=gpu Type=<token> File=/dev/nvidiaN Cores=<logical cores of the GPU's NUMA node>``; one
  ``MultipleFiles=`` line per MIG device, typed by its profile; or ``AutoDetect=nvml`` with typed lines that NVML
  completes with cores and NVLink ``Links=``);
- the node's ``Gres=`` value (``gpu:h100:8``; ``gpu:1g.20gb:4,gpu:a100:3`` with MIG on one GPU of four);
- the slurm.conf line and the controller's gres.conf lines for config-less clusters (slurmd then reads both
  from the controller);
- the comparison with what the controller expects (``scontrol show node``), refused with the node, both values and
  what to change.

Type names are the collection's one GPU vocabulary (the ``model`` token of the facts, as the inventory plugins'
``gpu_<model>`` groups); NVML names a GPU ``nvidia_h100_80gb_hbm3``, of which Slurm accepts a substring as Type.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mlinfra.gpu.plugins.module_utils._nvidia_mig import parse_list, parse_table_mig_devices
from ansible_collections.mlinfra.gpu.plugins.module_utils._slurm_text import SlurmSourceError, parse_gres

AUTODETECT = ("off", "nvml")
CAPS_DIR = "/dev/nvidia-caps"


class GresError(Exception):
    """The node's GPUs cannot be described, or the controller expects something else; the message says what."""


def expand_cpulist(text):
    """Kernel cpulist ``0-3,8,10-11`` -> sorted CPU ids; empty text -> []."""
    cpus = set()
    for part in (text or "").strip().split(","):
        part = part.strip()
        if not part:
            continue
        first, _sep, last = part.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            raise GresError("cannot read the CPU list %r" % text)
        cpus.update(range(int(first), int(last or first) + 1))
    return sorted(cpus)


def compact(numbers):
    """Sorted ints -> ``0-3,8,10-11`` (the form Slurm and the kernel write)."""
    parts = []
    for number in sorted(set(numbers)):
        if parts and parts[-1][1] == number - 1:
            parts[-1][1] = number
        else:
            parts.append([number, number])
    return ",".join(str(a) if a == b else "%d-%d" % (a, b) for a, b in parts)


def logical_cores(topology, cpus):
    """Slurm's logical core indexes (``lstopo -l`` ``Core L#``) of the CPUs ``cpus``.

    ``topology`` maps a CPU id to ``(physical_package_id, core_id)`` (sysfs ``cpuN/topology``). Cores are numbered
    package by package, in core id order, from 0; the threads of one core give one index.
    """
    order = sorted(set(topology.values()))
    index = dict((core, i) for i, core in enumerate(order))
    missing = [cpu for cpu in cpus if cpu not in topology]
    if missing:
        raise GresError("CPU %s of the GPU's NUMA node has no topology in sysfs" % compact(missing))
    return sorted(set(index[topology[cpu]] for cpu in cpus))


def parse_mig_minors(text):
    """/proc/driver/nvidia-caps/mig-minors (``gpu0/gi1/access 12`` per line) -> {name: minor}."""
    minors = {}
    for line in (text or "").splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[1].isdigit():
            minors[fields[0]] = int(fields[1])
    return minors


def mig_devices(list_text, table_text):
    """MIG devices from ``nvidia-smi -L`` (profile) joined with the default table (GPU instance, compute instance).

    -> [{gpu, device, profile, gi_id, ci_id}], ``gi_id``/``ci_id`` None when the table does not list the device.
    """
    ids = dict(((row["gpu"], row["device"]), row) for row in parse_table_mig_devices(table_text))
    devices = []
    for gpu in parse_list(list_text):
        for mig in gpu["mig_devices"]:
            row = ids.get((gpu["index"], mig["index"]), {})
            devices.append({"gpu": gpu["index"], "device": mig["index"], "profile": mig["profile"],
                            "gi_id": row.get("gi_id"), "ci_id": row.get("ci_id")})
    return devices


def _nvidia(facts):
    devices = [d for d in (facts or {}).get("devices") or [] if d.get("vendor") == "nvidia"]
    others = [d for d in (facts or {}).get("devices") or [] if d.get("vendor") != "nvidia"]
    if others:
        d = others[0]
        raise GresError("GPU %s (%s, vendor %s) is not an NVIDIA GPU: this role writes NVIDIA gres.conf lines only; "
                        "describe it in gres.conf yourself (AutoDetect=rsmi for AMD) and leave this host out"
                        % (d.get("index"), d.get("name"), d.get("vendor")))
    for d in devices:
        if not d.get("model"):
            raise GresError("GPU %s (%s) has no model token in the collection's GPU vocabulary, so it has no Type "
                            "name; update the collection or describe this GPU in gres.conf yourself"
                            % (d.get("index"), d.get("name")))
    return sorted(devices, key=lambda d: d["index"])


def _mig_on(device):
    return device.get("mig_mode") == "enabled"


def _count_types(types):
    """Types in order of first appearance with their counts -> ``gpu:<type>:<n>`` items."""
    counts = {}
    for name in types:
        counts[name] = counts.get(name, 0) + 1
    return ",".join("gpu:%s:%d" % (name, n) for name, n in counts.items())


def _mig_files(device, mig, minors, dev_dir):
    gpu, gi, ci = device["index"], mig["gi_id"], mig["ci_id"]
    if gi is None or ci is None:
        raise GresError("MIG device %d of GPU %d (%s) has no GPU/compute instance id in nvidia-smi's table"
                        % (mig["device"], gpu, mig["profile"]))
    names = ["gpu%d/gi%d/access" % (gpu, gi), "gpu%d/gi%d/ci%d/access" % (gpu, gi, ci)]
    missing = [n for n in names if n not in minors]
    if missing:
        raise GresError("MIG device %d of GPU %d: %s not in /proc/driver/nvidia-caps/mig-minors (is the driver's "
                        "nvidia-caps device file support loaded?)" % (mig["device"], gpu, ", ".join(missing)))
    caps = ["%s/nvidia-cap%d" % (CAPS_DIR, minors[n]) for n in names]
    return ",".join(["%s/nvidia%d" % (dev_dir, gpu)] + caps)


def plan(facts, node_name, autodetect="off", numa_cpus=None, topology=None, mig=(), minors=None, dev_dir="/dev"):
    """The node's GPU description for Slurm.

    ``facts``: ansible_facts.gpu; ``numa_cpus``: {numa node: cpulist text}; ``topology``: {cpu: (package, core)};
    ``mig``: mig_devices(); ``minors``: parse_mig_minors(). Returns {gpus, gres, gres_conf (lines of the node's own
    file), gres_conf_configless (the same with ``NodeName=``, for the controller's gres.conf), slurm_conf_line}.
    ``gpus`` is 0 and the rest empty on a host without NVIDIA GPU.
    """
    if autodetect not in AUTODETECT:
        raise GresError("autodetect must be one of %s, got %r" % (", ".join(AUTODETECT), autodetect))
    devices = _nvidia(facts)
    if not devices:
        return {"gpus": 0, "gres": "", "gres_conf": [], "gres_conf_configless": [], "slurm_conf_line": ""}
    lines = ["AutoDetect=nvml"] if autodetect == "nvml" else []
    types = []
    for device in devices:
        if _mig_on(device):
            own = [m for m in mig if m["gpu"] == device["index"]]
            if not own:
                raise GresError("GPU %d (%s) has MIG on but no MIG device: create the MIG devices first "
                                "(mlinfra.gpu.nvidia_mig) or turn MIG off" % (device["index"], device.get("name")))
            for m in own:
                types.append(m["profile"])
                lines.append("Name=gpu Type=%s MultipleFiles=%s" % (m["profile"], _mig_files(device, m, minors or {}, dev_dir)))
            continue
        types.append(device["model"])
        line = "Name=gpu Type=%s File=%s/nvidia%d" % (device["model"], dev_dir, device["index"])
        cores = _cores(device, numa_cpus, topology) if autodetect == "off" else ""
        lines.append(line + (" Cores=%s" % cores if cores else ""))
    gres = _count_types(types)
    return {"gpus": len(types), "gres": gres, "gres_conf": lines,
            "gres_conf_configless": ["NodeName=%s %s" % (node_name, line) for line in lines],
            "slurm_conf_line": "NodeName=%s Gres=%s" % (node_name, gres)}


def _cores(device, numa_cpus, topology):
    node = device.get("numa_node")
    if node is None or node < 0 or not numa_cpus or not topology:
        return ""
    if node not in numa_cpus:
        raise GresError("GPU %d is on NUMA node %d, which sysfs does not list" % (device["index"], node))
    return compact(logical_cores(topology, expand_cpulist(numa_cpus[node])))


def _gpu_types(items):
    counts = {}
    for item in items:
        if item["name"] == "gpu":
            counts[item["type"]] = counts.get(item["type"], 0) + item["count"]
    return counts


def _items(gres_text, where):
    try:
        return parse_gres(gres_text)
    except SlurmSourceError as e:
        raise GresError("cannot read %s Gres=%s: %s" % (where, gres_text, e))


def compare(node_name, controller_gres, node_gres, reason=""):
    """None when the controller's Gres= (``scontrol show node``) fits the node's and the controller has not drained
    the node for its GRES (a reason starting ``gres/``, as slurmctld writes when a node registers fewer GPUs than
    slurm.conf gives it); else the refusal message.

    Other GRES (``nic``, ``mps``) and socket/index details in parentheses are ignored (and kept in the suggested
    line). A controller that counts untyped GPUs (``gpu:8``) fits typed GPUs of the same total.
    """
    controller = _items(controller_gres, "the controller's")
    wanted = _gpu_types(controller)
    have = _gpu_types(_items(node_gres, "the node's"))
    drained = reason if (reason or "").startswith("gres/") else ""
    fits = wanted == have or (list(wanted) == [None] and wanted[None] == sum(have.values()))
    if fits and not drained:
        return None
    others = ["%s:%s:%d" % (i["name"], i["type"], i["count"]) if i["type"] else "%s:%d" % (i["name"], i["count"])
              for i in controller if i["name"] != "gpu"]
    suggested = ",".join(([node_gres] if node_gres else []) + others) or "(null)"
    return ("slurm_gpu_node: node %s: the controller expects Gres=%s%s but the node has Gres=%s; set the node's Gres= "
            "in slurm.conf to %s (NodeName=%s Gres=%s) and run 'scontrol reconfigure', or correct the node's GPUs"
            % (node_name, controller_gres or "(null)", " and drained the node (%s)" % drained if drained else "",
               node_gres or "(null)", suggested, node_name, suggested))


def read_cpu_inputs(read, list_dir, sysfs_root, numa_nodes):
    """({numa node: cpulist text}, {cpu: (package, core)}) from sysfs; ``read(path)`` gives None when absent."""
    numa_cpus = {}
    for node in sorted(set(n for n in numa_nodes if n is not None and n >= 0)):
        text = read("%s/devices/system/node/node%d/cpulist" % (sysfs_root, node))
        if text is not None:
            numa_cpus[node] = text.strip()
    topology = {}
    for entry in list_dir("%s/devices/system/cpu" % sysfs_root):
        if not (entry.startswith("cpu") and entry[3:].isdigit()):
            continue
        base = "%s/devices/system/cpu/%s/topology/" % (sysfs_root, entry)
        package, core = read(base + "physical_package_id"), read(base + "core_id")
        if package is not None and core is not None:
            topology[int(entry[3:])] = (int(package), int(core))
    return numa_cpus, topology


def mig_needed(facts):
    """Whether any NVIDIA GPU of the facts has MIG on (then nvidia-smi and mig-minors are read)."""
    return any(d.get("vendor") == "nvidia" and _mig_on(d) for d in (facts or {}).get("devices") or [])
