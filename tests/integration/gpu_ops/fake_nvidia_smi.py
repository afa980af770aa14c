# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fake ``nvidia-smi`` with MIG state kept in a JSON file; answers in the real output formats; logs every argv.

Usage: fake_nvidia_smi.py --state FILE [nvidia-smi arguments...]. Each call appends its argv (JSON) to FILE.log.

State: {"gpus": [{index, name, uuid, bus, mode, pending, pending_on_change, reset_supported,
                  profiles: [{name, id, total, memory, sm, dec, enc, ce, jpeg, ofa, starts, size, ci_id}],
                  gis: [{id, profile, start, cis: [{id, uuid}]}], processes: [{gi, ci, pid, name}],
                  query: {field: value} (extra --query-gpu answers, health checks)}],
        "nvlink": text answered to ``nvlink -e``}

Formats follow the recorded outputs in tests/unit/fixtures/mig (A30 535.183.01, A100 guide, H100 590.48.01 table).
"""

from __future__ import absolute_import, division, print_function

import json
import sys

RULE = "+-----------------------------------------------------------------------------+"


def _profile(gpu, pid):
    return [p for p in gpu["profiles"] if p["id"] == pid][0]


def _used(gpu):
    used = set()
    for gi in gpu["gis"]:
        used.update(range(gi["start"], gi["start"] + _profile(gpu, gi["profile"])["size"]))
    return used


def lgip(state):
    out = [RULE, "| GPU instance profiles:                                                      |",
           "| GPU   Name             ID    Instances   Memory     P2P    SM    DEC   ENC  |",
           "|                              Free/Total   GiB              CE    JPEG  OFA  |",
           "|=============================================================================|"]
    for gpu in state["gpus"]:
        if gpu["mode"] != "Enabled":
            continue
        for p in gpu["profiles"]:
            used = sum(1 for gi in gpu["gis"] if gi["profile"] == p["id"])
            free = 0 if not any(_fits(gpu, p, s) for s in p["starts"]) else p["total"] - used
            out.append("|  %2d  MIG %-14s %2d     %d/%d        %-6s     No     %-3d   %d     %d   |"
                       % (gpu["index"], p["name"], p["id"], free, p["total"], p["memory"], p["sm"], p["dec"], p["enc"]))
            out.append("|                                                             %d     %d     %d   |"
                       % (p["ce"], p["jpeg"], p["ofa"]))
            out.append(RULE)
    return "\n".join(out) + "\n"


def _fits(gpu, p, start):
    return not set(range(start, start + p["size"])) & _used(gpu)


def lgipp(state):
    out = []
    for gpu in state["gpus"]:
        if gpu["mode"] != "Enabled":
            continue
        for p in gpu["profiles"]:
            word = "Placements:" if len(p["starts"]) > 1 else "Placement :"
            starts = ",".join(str(s) for s in p["starts"])
            out.append("GPU %2d Profile ID %2d %s {%s}:%d" % (gpu["index"], p["id"], word, starts, p["size"]))
    return "\n".join(out) + "\n"


def lgi(state):
    rows = [(gpu, gi) for gpu in state["gpus"] for gi in gpu["gis"]]
    if not rows:
        return "No GPU instances found: Not Found\n", 6
    rule = "+-------------------------------------------------------+"
    out = [rule, "| GPU instances:                                        |",
           "| GPU   Name             Profile  Instance   Placement  |",
           "|                          ID       ID       Start:Size |",
           "|=======================================================|"]
    for gpu, gi in rows:
        p = _profile(gpu, gi["profile"])
        values = (gpu["index"], p["name"], p["id"], gi["id"], gi["start"], p["size"])
        out.append("|  %2d  MIG %-13s %2d       %2d          %d:%d     |" % values)
        out.append(rule)
    return "\n".join(out) + "\n", 0


def lci(state):
    rows = [(gpu, gi, ci) for gpu in state["gpus"] for gi in gpu["gis"] for ci in gi["cis"]]
    if not rows:
        return "No compute instances found: Not Found\n", 6
    rule = "+-------------------------------------------------------+"
    out = [rule, "| Compute instances:                                    |",
           "| GPU     GPU       Name             Profile   Instance |",
           "|       Instance                       ID        ID     |",
           "|         ID                                            |",
           "|=======================================================|"]
    for gpu, gi, ci in rows:
        p = _profile(gpu, gi["profile"])
        values = (gpu["index"], gi["id"], p["name"], p["ci_id"], ci["id"])
        out.append("|  %2d     %2d       MIG %-14s %d        %2d     |" % values)
        out.append(rule)
    return "\n".join(out) + "\n", 0


def _devices(gpu):
    gis = sorted(gpu["gis"], key=lambda g: g["id"])
    return [(gi, ci) for gi in gis for ci in sorted(gi["cis"], key=lambda c: c["id"])]


def listing(state):
    out = []
    for gpu in state["gpus"]:
        out.append("GPU %d: %s (UUID: %s)" % (gpu["index"], gpu["name"], gpu["uuid"]))
        for number, (gi, ci) in enumerate(_devices(gpu)):
            out.append("  MIG %-12sDevice %2d: (UUID: %s)" % (_profile(gpu, gi["profile"])["name"], number, ci["uuid"]))
    return "\n".join(out) + "\n"


def table(state):
    wide = "+-----------------------------------------------------------------------------------------+"
    out = [wide, "| MIG devices:                                                                            |",
           "+------------------+----------------------------------+-----------+-----------------------+",
           "| GPU  GI  CI  MIG |              Shared Memory-Usage |        Vol|        Shared         |",
           "|      ID  ID  Dev |                Shared BAR1-Usage | SM     Unc| CE ENC  DEC  OFA  JPG |",
           "|                  |                                  |        ECC|                       |",
           "|==================+==================================+===========+=======================|"]
    for gpu in state["gpus"]:
        for number, (gi, ci) in enumerate(_devices(gpu)):
            out.append("| %2d  %3d %3d %3d  |              9MiB /  9984MiB    | 16      0 |  1   0    1    0    1 |"
                       % (gpu["index"], gi["id"], ci["id"], number))
            out.append("+------------------+----------------------------------+-----------+-----------------------+")
    out += ["", wide, "| Processes:                                                                              |",
            "|  GPU   GI   CI              PID   Type   Process name                        GPU Memory |",
            "|        ID   ID                                                               Usage      |",
            "|=========================================================================================|"]
    procs = [(gpu, p) for gpu in state["gpus"] for p in gpu.get("processes", [])]
    if not procs:
        out.append("|  No running processes found                                                             |")
    for gpu, p in procs:
        values = (gpu["index"], p["gi"], p["ci"], p["pid"], p["name"])
        out.append("|  %3d  %3s  %3s     %12d      C   %-36s 512MiB |" % values)
    out.append(wide)
    return "\n".join(out) + "\n"


def query(state, fields, fmt):
    out = []
    for gpu in state["gpus"]:
        base = {"index": str(gpu["index"]), "uuid": gpu["uuid"], "pci.bus_id": gpu["bus"], "name": gpu["name"],
                "mig.mode.current": gpu["mode"], "mig.mode.pending": gpu["pending"]}
        base.update(gpu.get("query", {}))
        out.append(", ".join(base.get(f, "[N/A]") for f in fields))
    if "noheader" not in fmt:
        out.insert(0, ", ".join(fields))
    return "\n".join(out) + "\n"


def _gpu(state, argv):
    index = int(argv[argv.index("-i") + 1]) if "-i" in argv else 0
    return [g for g in state["gpus"] if g["index"] == index][0]


def mig_command(state, argv):
    gpu = _gpu(state, argv)
    if "-cgi" in argv:
        out = []
        for pid in argv[argv.index("-cgi") + 1].split(","):
            p = _profile(gpu, int(pid))
            start = [s for s in p["starts"] if _fits(gpu, p, s)]
            if not start or sum(1 for gi in gpu["gis"] if gi["profile"] == p["id"]) >= p["total"]:
                out.append("Unable to create a GPU instance on GPU %2d using profile %d: Insufficient Resources"
                           % (gpu["index"], p["id"]))
                out.append("Failed to create GPU instances: Insufficient Resources")
                return "\n".join(out) + "\n", 2
            gi_id = min(set(range(1, 15)) - set(g["id"] for g in gpu["gis"]))
            gi = {"id": gi_id, "profile": p["id"], "start": start[0], "cis": []}
            gpu["gis"].append(gi)
            out.append("Successfully created GPU instance ID %2d on GPU %2d using profile MIG %s (ID %2d)"
                       % (gi_id, gpu["index"], p["name"], p["id"]))
            if "-C" in argv:
                gi["cis"].append({"id": 0, "uuid": "MIG-%08d-0000-0000-0000-%012d" % (gpu["index"], gi_id)})
                out.append("Successfully created compute instance ID  0 on GPU %2d GPU instance ID %2d using profile "
                           "MIG %s (ID %2d)" % (gpu["index"], gi_id, p["name"], p["ci_id"]))
        return "\n".join(out) + "\n", 0
    gi = [g for g in gpu["gis"] if g["id"] == int(argv[argv.index("-gi") + 1])][0]
    busy = [p for p in gpu.get("processes", []) if p["gi"] == gi["id"]]
    if "-dci" in argv:
        if busy:
            return ("Unable to destroy compute instance ID  0 from GPU %2d GPU instance ID %2d: In use by another "
                    "client\n" % (gpu["index"], gi["id"])), 19
        wanted = [int(c) for c in argv[argv.index("-ci") + 1].split(",")]
        gi["cis"] = [c for c in gi["cis"] if c["id"] not in wanted]
        return "".join("Successfully destroyed compute instance ID %2d from GPU %2d GPU instance ID %2d\n"
                       % (c, gpu["index"], gi["id"]) for c in wanted), 0
    if "-dgi" in argv:
        if gi["cis"] or busy:
            return "Unable to destroy GPU instance ID %2d from GPU %2d: In use by another client\n" % (
                gi["id"], gpu["index"]), 19
        gpu["gis"].remove(gi)
        return "Successfully destroyed GPU instance ID %2d from GPU %2d\n" % (gi["id"], gpu["index"]), 0
    if "-cci" in argv:
        p = _profile(gpu, gi["profile"])
        gi["cis"].append({"id": 0, "uuid": "MIG-%08d-0000-0000-0001-%012d" % (gpu["index"], gi["id"])})
        return ("Successfully created compute instance ID  0 on GPU %2d GPU instance ID %2d using profile MIG %s "
                "(ID %2d)\n" % (gpu["index"], gi["id"], p["name"], p["ci_id"])), 0
    return "fake nvidia-smi: unsupported mig command %s\n" % argv, 99


def mode_command(state, argv):
    gpu = _gpu(state, argv)
    want = "Enabled" if argv[argv.index("-mig") + 1] == "1" else "Disabled"
    if want == "Disabled" and gpu["gis"]:
        return "Unable to disable MIG Mode for GPU %s: In use by another client\n" % gpu["bus"], 19
    gpu["pending"] = want
    if gpu.get("pending_on_change"):
        return ("Warning: MIG mode is in pending %s state for GPU %s:In use by another client\n"
                "%s is currently being used by one or more other processes. Please first kill all processes using "
                "the device and retry the command or reboot the system to make MIG mode effective.\nAll done.\n"
                % (want.lower()[:-1], gpu["bus"], gpu["bus"])), 0
    gpu["mode"] = want
    return "%s MIG Mode for GPU %s\nAll done.\n" % (want, gpu["bus"]), 0


def reset_command(state, argv):
    gpu = _gpu(state, argv)
    if not gpu.get("reset_supported", True):
        return "Resetting GPU %s is not supported.\n" % gpu["bus"], 3
    gpu["mode"] = gpu["pending"]
    return "GPU %s was successfully reset.\nAll done.\n" % gpu["bus"], 0


def answer(state, argv):
    queries = [a for a in argv if a.startswith("--query-gpu=")]
    if queries:
        fmt = ([a.split("=", 1)[1] for a in argv if a.startswith("--format=")] or ["csv"])[0]
        return query(state, queries[0].split("=", 1)[1].split(","), fmt), 0
    if not argv:
        return table(state), 0
    if argv == ["-L"]:
        return listing(state), 0
    if argv[:2] == ["nvlink", "-e"]:
        return state.get("nvlink", ""), 0
    if argv[:1] == ["mig"]:
        listings = {"-lgip": lambda s: (lgip(s), 0), "-lgipp": lambda s: (lgipp(s), 0), "-lgi": lgi, "-lci": lci}
        if argv[1] in listings:
            return listings[argv[1]](state)
        return mig_command(state, argv)
    if "-mig" in argv:
        return mode_command(state, argv)
    if "--gpu-reset" in argv:
        return reset_command(state, argv)
    return "fake nvidia-smi: unsupported arguments %s\n" % argv, 99


def main(argv):
    path, argv = argv[1], argv[2:]
    with open(path + ".log", "a") as log:
        log.write(json.dumps(argv) + "\n")
    with open(path) as handle:
        state = json.load(handle)
    text, rc = answer(state, argv)
    with open(path, "w") as handle:
        json.dump(state, handle, indent=1)
    sys.stdout.write(text)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
