# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure MIG logic (private to mlinfra.gpu): parsers of ``nvidia-smi mig`` output and the layout planner.

No Ansible imports and no process is started here: every function takes text or plain data and returns plain
data. The module ``mlinfra.gpu.nvidia_mig`` runs the commands and hands their output to these functions.

Parsers are driven by the format, not by one GPU's values: profile tables of any width (76, 79 or 81 columns),
profile ids right-aligned in a 2-wide field, 3-digit SM counts, ``Placements:`` and ``Placement :``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.mlinfra.gpu.plugins.module_utils._nvidia_smi import normalize_bus_id, parse_query_csv

# --query-gpu fields for the MIG state; ``name`` last so that a comma in a name cannot shift the others.
MODE_FIELDS = ("index", "uuid", "pci.bus_id", "mig.mode.current", "mig.mode.pending", "name")

_GIP_ROW = re.compile(
    r"^\|\s*(\d+)\s+MIG\s+(\S+)\s+(\d+)\s+(\d+)/(\d+)\s+(\d+(?:\.\d+)?)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\|\s*$")
_GIP_CONT = re.compile(r"^\|\s+(\d+)\s+(\d+)\s+(\d+)\s*\|\s*$")
_GIPP_ROW = re.compile(r"^GPU\s+(\d+)\s+Profile\s+ID\s+(\d+)\s+Placements?\s*:\s*\{([\d,\s]*)\}\s*:\s*(\d+)\s*$")
_GI_ROW = re.compile(r"^\|\s*(\d+)\s+MIG\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+):(\d+)\s*\|\s*$")
_CI_ROW = re.compile(r"^\|\s*(\d+)\s+(\d+)\s+MIG\s+(\S+)\s+(\d+)\s+(\d+)\s*\|\s*$")
_CIP_ROW = re.compile(r"^\|\s*(\d+)\s+(\d+)\s+MIG\s+(\S+)\s+(\d+)(\*?)\s+(\d+)/(\d+)\s+(\d+)\s+.*\|\s*$")
_TABLE_MIG_DEV = re.compile(r"^\|\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+\|")
_TABLE_PROC = re.compile(
    r"^\|\s*(\d+)\s+(?:(N/A|\d+)\s+(N/A|\d+)\s+)?(\d+)\s+([CGM+]+)\s+(.+?)\s+(\d+\s*[KMG]iB|N/A)\s*\|\s*$")

_LIST_GPU = re.compile(r"^GPU\s+(\d+):\s+(.*?)\s+\(UUID:\s*([^)]+?)\s*\)\s*$")
_LIST_MIG = re.compile(r"^\s*MIG\s+(\S+)\s+Device\s+(\d+):\s+\(UUID:\s*([^)]+?)\s*\)\s*$")
_CREATED_GI = re.compile(
    r"Successfully created GPU instance ID\s+(\d+) on GPU\s+(\d+) using profile MIG (\S+) \(ID\s+(\d+)\)")
_CREATED_CI = re.compile(
    r"Successfully created compute instance(?: ID\s+(\d+))? on GPU\s+(\d+) GPU instance ID\s+(\d+) "
    r"using profile MIG (\S+) \(ID\s+(\d+)\)")
_DESTROYED_CI = re.compile(r"Successfully destroyed compute instance ID\s+(\d+) from GPU\s+(\d+) GPU instance ID\s+(\d+)")
_DESTROYED_GI = re.compile(r"Successfully destroyed GPU instance ID\s+(\d+) from GPU\s+(\d+)")
_MODE_DONE = re.compile(r"^(Enabled|Disabled) MIG Mode for GPU\s+(\S+)")
_MODE_PENDING = re.compile(
    r"MIG mode is in pending (enable|disable) state for GPU\s+([0-9A-Fa-f]+:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7])"
    r"\s*:?\s*(.*)$")
_FAILURE = re.compile(r"^(?:Unable to|Failed to)\s.*$|^.*\b(?:Insufficient Resources|In use by another client|"
                      r"Not Supported|No Permission|Insufficient Permissions)\b.*$", re.IGNORECASE)

ACTIONS_CHANGING = ("enable_mig", "disable_mig", "reset", "destroy_ci", "destroy_gi", "create_gi", "create_ci")


class MigError(Exception):
    """A layout or request that cannot be applied; ``str()`` is the whole message, ``context`` goes with it."""

    def __init__(self, message, **context):
        super(MigError, self).__init__(message)
        self.context = context


def profile_key(name):
    """'MIG 1g.10gb+me' / '1G.10GB+ME' -> '1g.10gb+me'."""
    return re.sub(r"^mig\s+", "", str(name).strip().lower())


def parse_list(text):
    """``nvidia-smi -L`` -> [{index, name, uuid, mig_devices: [{index, profile, uuid}]}]."""
    gpus = []
    for line in (text or "").splitlines():
        match = _LIST_GPU.match(line.strip())
        if match:
            gpus.append({"index": int(match.group(1)), "name": match.group(2), "uuid": match.group(3),
                         "mig_devices": []})
            continue
        match = _LIST_MIG.match(line)
        if match and gpus:
            gpus[-1]["mig_devices"].append({"index": int(match.group(2)), "profile": profile_key(match.group(1)),
                                            "uuid": match.group(3)})
    return gpus


def parse_gi_profiles(text):
    """``nvidia-smi mig -lgip`` -> [{gpu, name, id, free, total, memory_gib, p2p, sm, dec, enc, ce, jpeg, ofa}]."""
    rows = []
    for line in (text or "").splitlines():
        match = _GIP_ROW.match(line.rstrip())
        if match:
            g = match.groups()
            rows.append({"gpu": int(g[0]), "name": profile_key(g[1]), "id": int(g[2]), "free": int(g[3]),
                         "total": int(g[4]), "memory_gib": float(g[5]), "p2p": g[6], "sm": int(g[7]),
                         "dec": int(g[8]), "enc": int(g[9]), "ce": None, "jpeg": None, "ofa": None})
            continue
        match = _GIP_CONT.match(line.rstrip())
        if match and rows and rows[-1]["ce"] is None:
            rows[-1]["ce"], rows[-1]["jpeg"], rows[-1]["ofa"] = (int(v) for v in match.groups())
    return rows


def parse_gi_placements(text):
    """``nvidia-smi mig -lgipp`` -> {(gpu, profile_id): {"starts": [...], "size": n}}."""
    result = {}
    for line in (text or "").splitlines():
        match = _GIPP_ROW.match(line.strip())
        if match:
            starts = [int(s) for s in match.group(3).replace(" ", "").split(",") if s]
            result[(int(match.group(1)), int(match.group(2)))] = {"starts": starts, "size": int(match.group(4))}
    return result


def parse_gpu_instances(text):
    """``nvidia-smi mig -lgi`` -> [{gpu, profile, profile_id, gi_id, start, size}]; [] for "No GPU instances found"."""
    rows = []
    for line in (text or "").splitlines():
        match = _GI_ROW.match(line.rstrip())
        if match:
            g = match.groups()
            rows.append({"gpu": int(g[0]), "profile": profile_key(g[1]), "profile_id": int(g[2]),
                         "gi_id": int(g[3]), "start": int(g[4]), "size": int(g[5])})
    return rows


def parse_compute_instances(text):
    """``nvidia-smi mig -lci`` -> [{gpu, gi_id, profile, profile_id, ci_id}]."""
    rows = []
    for line in (text or "").splitlines():
        match = _CI_ROW.match(line.rstrip())
        if match:
            g = match.groups()
            rows.append({"gpu": int(g[0]), "gi_id": int(g[1]), "profile": profile_key(g[2]),
                         "profile_id": int(g[3]), "ci_id": int(g[4])})
    return rows


def parse_ci_profiles(text):
    """``nvidia-smi mig -lcip`` -> [{gpu, gi_id, name, id, default, free, total, sm}]; ``*`` marks the default."""
    rows = []
    for line in (text or "").splitlines():
        match = _CIP_ROW.match(line.rstrip())
        if match:
            g = match.groups()
            rows.append({"gpu": int(g[0]), "gi_id": int(g[1]), "name": profile_key(g[2]), "id": int(g[3]),
                         "default": g[4] == "*", "free": int(g[5]), "total": int(g[6]), "sm": int(g[7])})
    return rows


def _mode(value):
    if value is None:
        return None
    return {"enabled": "enabled", "disabled": "disabled"}.get(value.strip().lower().rstrip("*"))


def parse_modes(text):
    """``--query-gpu=<MODE_FIELDS> --format=csv,noheader`` -> [{index, uuid, pci_bus_id, name, mode, pending}]."""
    rows = []
    for row in parse_query_csv(text, MODE_FIELDS):
        if row.get("index") is None or not row["index"].isdigit():
            continue
        rows.append({"index": int(row["index"]), "uuid": row.get("uuid"), "name": row.get("name"),
                     "pci_bus_id": normalize_bus_id(row.get("pci.bus_id")),
                     "mode": _mode(row.get("mig.mode.current")), "pending": _mode(row.get("mig.mode.pending"))})
    return rows


def _table_section(text, title):
    lines = (text or "").splitlines()
    out, inside = [], False
    for line in lines:
        if line.startswith("| %s" % title):
            inside = True
            continue
        if inside and not line.strip():
            break
        if inside:
            out.append(line)
    return out


def parse_table_mig_devices(text):
    """The ``MIG devices:`` section of the default ``nvidia-smi`` table -> [{gpu, gi_id, ci_id, device}]."""
    rows = []
    for line in _table_section(text, "MIG devices:"):
        match = _TABLE_MIG_DEV.match(line)
        if match:
            gpu, gi_id, ci_id, device = (int(v) for v in match.groups())
            rows.append({"gpu": gpu, "gi_id": gi_id, "ci_id": ci_id, "device": device})
    return rows


def _id(value):
    return int(value) if value is not None and value.isdigit() else None


def parse_table_processes(text):
    """The ``Processes:`` section of the default table -> [{gpu, gi_id, ci_id, pid, type, name}] (ids None off MIG)."""
    rows = []
    for line in _table_section(text, "Processes:"):
        match = _TABLE_PROC.match(line.rstrip())
        if match:
            g = match.groups()
            rows.append({"gpu": int(g[0]), "gi_id": _id(g[1]), "ci_id": _id(g[2]), "pid": int(g[3]),
                         "type": g[4], "name": g[5]})
    return rows


def parse_command_output(text):
    """Output of ``-cgi``/``-cci``/``-dci``/``-dgi``/``-mig``/``--gpu-reset`` -> what happened and what failed.

    Returns {created_gis, created_cis, destroyed_cis, destroyed_gis, mode_changed, pending, failures}.
    """
    result = {"created_gis": [], "created_cis": [], "destroyed_cis": [], "destroyed_gis": [], "mode_changed": [],
              "pending": [], "failures": []}
    for raw in (text or "").splitlines():
        line = raw.strip()
        match = _CREATED_GI.search(line)
        if match:
            result["created_gis"].append({"gi_id": int(match.group(1)), "gpu": int(match.group(2)),
                                          "profile": profile_key(match.group(3)), "profile_id": int(match.group(4))})
            continue
        match = _CREATED_CI.search(line)
        if match:
            result["created_cis"].append({"ci_id": _id(match.group(1)), "gpu": int(match.group(2)),
                                          "gi_id": int(match.group(3)), "profile": profile_key(match.group(4)),
                                          "profile_id": int(match.group(5))})
            continue
        match = _DESTROYED_CI.search(line)
        if match:
            result["destroyed_cis"].append({"ci_id": int(match.group(1)), "gpu": int(match.group(2)),
                                            "gi_id": int(match.group(3))})
            continue
        match = _DESTROYED_GI.search(line)
        if match:
            result["destroyed_gis"].append({"gi_id": int(match.group(1)), "gpu": int(match.group(2))})
            continue
        match = _MODE_DONE.match(line)
        if match:
            result["mode_changed"].append({"mode": match.group(1).lower(),
                                           "pci_bus_id": normalize_bus_id(match.group(2))})
            continue
        match = _MODE_PENDING.search(line)
        if match:
            result["pending"].append({"mode": match.group(1) + "d", "pci_bus_id": normalize_bus_id(match.group(2)),
                                      "reason": match.group(3).strip()})
            continue
        if _FAILURE.match(line) and not line.startswith("Reboot the system"):
            result["failures"].append(line)
    return result


def gpu_states(modes_text, list_text, gip_text="", gipp_text="", gi_text="", ci_text="", table_text=""):
    """Join the outputs into one state per GPU, keyed by index (see the module's RETURN for the layout)."""
    profiles = parse_gi_profiles(gip_text)
    placements = parse_gi_placements(gipp_text)
    instances = parse_gpu_instances(gi_text)
    cis = parse_compute_instances(ci_text)
    processes = parse_table_processes(table_text)
    table_devices = dict(((d["gpu"], d["device"]), d) for d in parse_table_mig_devices(table_text))
    listed = dict((gpu["index"], gpu) for gpu in parse_list(list_text))
    states = []
    for mode in parse_modes(modes_text):
        index = mode["index"]
        gpu_profiles = []
        for row in profiles:
            if row["gpu"] == index:
                placement = placements.get((index, row["id"]), {})
                gpu_profiles.append(dict(row, starts=placement.get("starts"), size=placement.get("size")))
        gis = []
        for gi in sorted((g for g in instances if g["gpu"] == index), key=lambda g: g["gi_id"]):
            gi_cis = [dict((k, c[k]) for k in ("ci_id", "profile", "profile_id"))
                      for c in cis if c["gpu"] == index and c["gi_id"] == gi["gi_id"]]
            busy = [p for p in processes if p["gpu"] == index and p["gi_id"] == gi["gi_id"]]
            gis.append({"gi_id": gi["gi_id"], "profile": gi["profile"], "profile_id": gi["profile_id"],
                        "start": gi["start"], "size": gi["size"], "compute_instances": gi_cis,
                        "processes": [dict((k, p[k]) for k in ("pid", "name", "ci_id")) for p in busy]})
        devices = []
        for device in (listed.get(index) or {}).get("mig_devices", []):
            where = table_devices.get((index, device["index"]), {})
            devices.append({"device": device["index"], "profile": profile_key(device["profile"]),
                            "uuid": device["uuid"], "gi_id": where.get("gi_id"), "ci_id": where.get("ci_id")})
        states.append(dict(mode, profiles=gpu_profiles, instances=gis, mig_devices=devices))
    return states


# ---------------------------------------------------------------------------------------------------- selection

def _bus(value):
    return normalize_bus_id(value) if isinstance(value, str) else None


def selects(rule, gpu):
    """True when a layout rule (``devices``, ``device_filter``) selects this GPU state."""
    devices = rule.get("devices", "all")
    if devices != "all":
        wanted = devices if isinstance(devices, list) else [devices]
        hit = False
        for item in wanted:
            text = str(item).strip()
            if text.isdigit():
                hit = hit or int(text) == gpu["index"]
            elif text.upper().startswith("GPU-"):
                hit = hit or text.lower() == str(gpu.get("uuid") or "").lower()
            else:
                hit = hit or (_bus(text) is not None and _bus(text) == gpu.get("pci_bus_id"))
        if not hit:
            return False
    filters = rule.get("device_filter")
    if filters:
        filters = filters if isinstance(filters, list) else [filters]
        name = str(gpu.get("name") or "").lower()
        return any(str(f).strip().lower() in name for f in filters)
    return True


def check_rule(rule):
    """Refuse a malformed rule before anything runs; returns the rule."""
    devices = rule.get("devices", "all")
    items = [] if devices == "all" else devices if isinstance(devices, list) else [devices]
    for item in items:
        text = str(item).strip()
        if not (text.isdigit() or text.upper().startswith("GPU-") or _bus(text)):
            raise MigError("devices entry %r is neither 'all', a GPU index, a GPU UUID (GPU-...) nor a PCI bus id "
                           "(0000:17:00.0)" % (item,))
    if rule.get("mig_enabled") is False and rule.get("mig_devices"):
        raise MigError("a rule with mig_enabled: false cannot ask for mig_devices (%s)" % (rule.get("mig_devices"),))
    return rule


def assign_rules(rules, gpus):
    """{gpu index: rule}; a GPU two rules select is refused (which one should win is the user's choice)."""
    chosen = {}
    for number, rule in enumerate(rules):
        for gpu in gpus:
            if selects(rule, gpu):
                if gpu["index"] in chosen:
                    raise MigError("GPU %d (%s) is selected by rule %d and rule %d; make the rules' devices or "
                                   "device_filter disjoint" % (gpu["index"], gpu.get("name"), chosen[gpu["index"]][0],
                                                               number))
                chosen[gpu["index"]] = (number, rule)
    return dict((index, pair[1]) for index, pair in chosen.items())


# ---------------------------------------------------------------------------------------------------- layouts

def _describe(gpu):
    return "GPU %d (%s, %s)" % (gpu["index"], gpu.get("name"), gpu.get("pci_bus_id"))


def _profiles_text(gpu):
    return ", ".join("%s (id %d, %d/%d free)" % (p["name"], p["id"], p["free"], p["total"]) for p in gpu["profiles"])


def _used(gpu):
    used = set()
    for gi in gpu["instances"]:
        used.update(range(gi["start"], gi["start"] + gi["size"]))
    return used


def _slots(gpu):
    ends = [max(p["starts"]) + p["size"] for p in gpu["profiles"] if p.get("starts")]
    return max(ends) if ends else 0


def free_slices_text(gpu):
    """'7 of 8 (0,1,2,3,4,5,6)': the memory slices no GPU instance holds now."""
    total = _slots(gpu)
    free = [s for s in range(total) if s not in _used(gpu)]
    return "%d of %d (%s)" % (len(free), total, ",".join(str(s) for s in free) or "none")


def _entries(layout):
    if isinstance(layout, dict):
        return list(layout.items())
    if not isinstance(layout, list):
        raise MigError("mig_devices must be a mapping of profile to count or a list of profiles, got %r" % (layout,))
    entries = []
    for item in layout:
        if isinstance(item, dict):
            entries.append((item.get("profile"), item.get("count", 1)))
        else:
            entries.append((item, 1))
    return entries


def resolve_layout(gpu, layout):
    """Wanted GPU instances as a list of this GPU's profile dicts (one per instance), or MigError.

    ``layout``: {profile: count} (mig-parted's ``mig-devices``) or a list of profiles (repeat for more); a profile
    is a name (``1g.10gb``, ``1g.10gb+me``, ``MIG 3g.40gb``) or an id (``19``).
    """
    by_name = dict((p["name"], p) for p in gpu["profiles"])
    by_id = dict((p["id"], p) for p in gpu["profiles"])
    wanted = []
    for profile, count in _entries(layout):
        text = str(profile).strip()
        found = by_id.get(int(text)) if text.isdigit() else by_name.get(profile_key(text))
        if found is None:
            raise MigError("%s has no MIG profile %r; its profiles: %s" % (_describe(gpu), profile, _profiles_text(gpu)))
        if not str(count).isdigit():
            raise MigError("count %r for profile %s is not a whole number" % (count, profile))
        wanted.extend([found] * int(count))
    return wanted


def biggest_first(profiles):
    """Profiles by size (memory slices), biggest first; equal sizes by profile id."""
    by_id = sorted(profiles, key=lambda p: p["id"])
    return sorted(by_id, key=lambda p: p.get("size") or 0, reverse=True)  # pragma: no mutate: size is None only without placements, when nothing fits


def _fit(wanted, used):
    """Placement of each wanted profile (biggest first) in the free slices, or None when they do not fit."""
    order = biggest_first(wanted)

    def place(rest, taken):
        if not rest:
            return []
        head = rest[0]
        for start in head.get("starts") or []:
            span = set(range(start, start + head["size"]))
            if not span & taken:
                tail = place(rest[1:], taken | span)
                if tail is not None:
                    return [(head, start)] + tail
        return None

    return place(order, set(used))


def validate_layout(gpu, wanted):
    """Refuse a layout this GPU cannot hold even when empty (counts per profile, then placements)."""
    counts = {}
    for profile in wanted:
        counts[profile["id"]] = counts.get(profile["id"], 0) + 1
    for profile in gpu["profiles"]:
        if counts.get(profile["id"], 0) > profile["total"]:
            raise MigError("%s holds at most %d x %s, the layout asks for %d; its profiles: %s; free slices: %s"
                           % (_describe(gpu), profile["total"], profile["name"], counts[profile["id"]],
                              _profiles_text(gpu), free_slices_text(gpu)))
    if wanted and _fit(wanted, set()) is None:
        raise MigError("%s cannot hold the layout %s; its profiles: %s; free slices: %s"
                       % (_describe(gpu), layout_text(wanted), _profiles_text(gpu), free_slices_text(gpu)))


def layout_text(profiles):
    names = sorted(p["name"] if isinstance(p, dict) else p for p in profiles)
    return ", ".join("%s x%d" % (name, names.count(name)) for name in sorted(set(names))) or "(none)"


# ---------------------------------------------------------------------------------------------------- planning

def _op(gpu, action, argv, **extra):
    op = {"gpu": gpu["index"], "action": action, "argv": argv}
    op.update(extra)
    return op


def _destroy(gpu, gi):
    ops = []
    if gi["compute_instances"]:
        ci_ids = ",".join(str(c["ci_id"]) for c in gi["compute_instances"])
        ops.append(_op(gpu, "destroy_ci", ["mig", "-i", str(gpu["index"]), "-gi", str(gi["gi_id"]), "-ci", ci_ids,
                                           "-dci"], gi_id=gi["gi_id"], profile=gi["profile"]))
    ops.append(_op(gpu, "destroy_gi", ["mig", "-i", str(gpu["index"]), "-gi", str(gi["gi_id"]), "-dgi"],
                   gi_id=gi["gi_id"], profile=gi["profile"]))
    return ops


def _refuse_busy(gpu, doomed, force):
    busy = [gi for gi in doomed if gi["processes"]]
    if busy and not force:
        raise MigError("%s: refusing to destroy GPU instance(s) with running processes: %s; stop them or set "
                       "force=true" % (_describe(gpu), "; ".join(
                           "GI %d (%s): %s" % (gi["gi_id"], gi["profile"], ", ".join(
                               "pid %d %s" % (p["pid"], p["name"]) for p in gi["processes"])) for gi in busy)))


def _keep(gpu, wanted):
    """Existing instances that already match the layout (busy ones first), and the profiles still to create."""
    pool = sorted(gpu["instances"], key=lambda gi: (not gi["processes"], not gi["compute_instances"], gi["gi_id"]))
    kept, missing = [], []
    for profile in wanted:
        match = [gi for gi in pool if gi["profile_id"] == profile["id"] and gi not in kept]
        if match:
            kept.append(match[0])
        else:
            missing.append(profile)
    return kept, missing


def plan_gpu(gpu, rule, force=False, allow_reset=False):
    """Ordered operations that bring one GPU to its rule; MigError when it cannot or must not.

    Returns {"operations": [...], "layout_deferred": bool}: operations carry ``argv`` (without the binary);
    ``layout_deferred`` says the GPU instances can only be planned once MIG mode is in effect (after a reset).
    """
    index = str(gpu["index"])
    enabled = rule.get("mig_enabled", True)
    layout = rule.get("mig_devices")
    ops = []
    reset = _op(gpu, "reset", ["--gpu-reset", "-i", index])
    if not enabled:
        if gpu["mode"] == "enabled" and gpu["pending"] != "disabled":
            _refuse_busy(gpu, gpu["instances"], force)
            for gi in gpu["instances"]:
                ops.extend(_destroy(gpu, gi))
            ops.append(_op(gpu, "disable_mig", ["-i", index, "-mig", "0"]))
        elif gpu["mode"] != "enabled" and gpu["pending"] == "enabled":
            ops.append(_op(gpu, "disable_mig", ["-i", index, "-mig", "0"]))
        elif gpu["mode"] == "enabled" and allow_reset:
            ops.append(reset)
        return {"operations": ops, "layout_deferred": False}
    if gpu["mode"] is None:
        raise MigError("%s does not support MIG (mig.mode.current is not reported)" % _describe(gpu))
    # modes are "enabled", "disabled" or None ("closed vocabulary"): ordering mutants of == on them are the same test
    if gpu["pending"] == "disabled" and gpu["mode"] == "enabled":  # pragma: no mutate: closed vocabulary, see above
        ops.append(_op(gpu, "enable_mig", ["-i", index, "-mig", "1"]))
    if gpu["mode"] != "enabled":
        if gpu["pending"] != "enabled":
            ops.append(_op(gpu, "enable_mig", ["-i", index, "-mig", "1"]))
        elif allow_reset:
            ops.append(reset)
        return {"operations": ops, "layout_deferred": layout is not None}
    if layout is None:
        return {"operations": ops, "layout_deferred": False}
    wanted = resolve_layout(gpu, layout)
    validate_layout(gpu, wanted)
    kept, missing = _keep(gpu, wanted)
    if _fit(missing, _used(dict(gpu, instances=kept))) is None:
        kept, missing = [], list(wanted)
    doomed = [gi for gi in gpu["instances"] if gi not in kept]
    _refuse_busy(gpu, doomed, force)
    for gi in doomed:
        ops.extend(_destroy(gpu, gi))
    for profile in biggest_first(missing):
        ops.append(_op(gpu, "create_gi", ["mig", "-i", index, "-cgi", str(profile["id"]), "-C"],
                       profile=profile["name"], profile_id=profile["id"]))
    for gi in kept:
        if not gi["compute_instances"]:
            ops.append(_op(gpu, "create_ci", ["mig", "-i", index, "-gi", str(gi["gi_id"]), "-cci"],
                           gi_id=gi["gi_id"], profile=gi["profile"]))
    return {"operations": ops, "layout_deferred": False}


def summary(gpu):
    """What the diff shows for one GPU: its mode (with a pending change) and its GPU instances by profile."""
    mode = gpu["mode"] or "unsupported"
    if gpu["pending"] and gpu["pending"] != gpu["mode"]:
        mode = "%s (pending %s)" % (mode, gpu["pending"])
    return {"mig": mode, "instances": sorted(gi["profile"] for gi in gpu["instances"])}


def predicted(gpu, rule, plan):
    """The summary this GPU will have once ``plan`` ran (what check mode reports as ``after``)."""
    instances = [gi["profile"] for gi in gpu["instances"]]
    mode, pending = gpu["mode"], gpu["pending"]
    for op in plan["operations"]:
        pending = {"enable_mig": "enabled", "disable_mig": "disabled"}.get(op["action"], pending)
        if op["action"] == "destroy_gi":
            instances.remove(op["profile"])
        elif op["action"] == "create_gi":
            instances.append(op["profile"])
        elif op["action"] == "reset":  # pragma: no mutate: "reset" sorts after every other action name
            mode = pending
    if plan["layout_deferred"]:
        instances = [profile_key(name) for name in resolve_layout_names(rule)]
    return summary(dict(gpu, mode=mode, pending=pending, instances=[{"profile": name} for name in instances]))


def resolve_layout_names(rule):
    """Profile names or ids of a rule's layout as written (the GPU's profiles are unknown while MIG is off)."""
    names = []
    for profile, count in _entries(rule.get("mig_devices")):
        names.extend([str(profile)] * int(count))
    return names


# ---------------------------------------------------------------------------------------------------- running
# ``run(argv)`` -> (rc, stdout, stderr) runs nvidia-smi with argv (the module gives it LANG=C LC_ALL=C).

_EMPTY_LISTING = ("no gpu instances found", "no compute instances found")


def _output(run, argv, empty_ok=False):
    rc, out, err = run(argv)
    text = (out or "") + (err or "")
    if rc != 0 and not (empty_ok and any(marker in text.lower() for marker in _EMPTY_LISTING)):
        raise MigError("nvidia-smi %s failed (rc=%d): %s" % (" ".join(argv), rc, text.strip()), rc=rc,
                       stdout=out, stderr=err)
    return out or ""


def read_state(run):
    """Every GPU's MIG state, read with the listing commands (MIG listings only when a GPU has MIG on)."""
    modes = _output(run, ["--query-gpu=" + ",".join(MODE_FIELDS), "--format=csv,noheader"])
    texts = {"modes_text": modes, "list_text": _output(run, ["-L"]), "table_text": _output(run, [])}
    if any(row["mode"] == "enabled" for row in parse_modes(modes)):
        texts["gip_text"] = _output(run, ["mig", "-lgip"])
        texts["gipp_text"] = _output(run, ["mig", "-lgipp"])
        texts["gi_text"] = _output(run, ["mig", "-lgi"], empty_ok=True)
        texts["ci_text"] = _output(run, ["mig", "-lci"], empty_ok=True)
    return gpu_states(**texts)


_RULE_KEYS = ("devices", "device_filter", "mig_enabled", "mig_devices")


def normalize_rule(rule):
    """mig-parted's hyphenated keys or ours -> ours, with defaults; unknown keys refused."""
    if not isinstance(rule, dict):
        raise MigError("a layout rule must be a mapping, got %r" % (rule,))
    out = {"devices": "all", "device_filter": None, "mig_enabled": True, "mig_devices": None}
    for key, value in rule.items():
        name = str(key).replace("-", "_")
        if name not in _RULE_KEYS:
            raise MigError("unknown key %r in a layout rule; known: %s" % (key, ", ".join(_RULE_KEYS)))
        if value is not None:
            out[name] = value
    if not isinstance(out["mig_enabled"], bool):
        raise MigError("mig_enabled must be true or false, got %r" % (out["mig_enabled"],))
    return check_rule(out)


def chosen_rules(params):
    """The rules to apply: ``gpus``, or the ``layouts`` entry named by ``layout``."""
    if params.get("gpus") is not None:
        return [normalize_rule(rule) for rule in params["gpus"]]
    layouts = params.get("layouts") or {}
    name = params.get("layout")
    if name not in layouts:
        raise MigError("layout %r is not defined; defined layouts: %s" % (name, ", ".join(sorted(layouts)) or "none"))
    rules = layouts[name]
    if not isinstance(rules, list):
        raise MigError("layout %r must be a list of rules, got %r" % (name, rules))
    return [normalize_rule(rule) for rule in rules]


def build_plans(params, states):
    """{gpu index: (rule, plan)} for every selected GPU; all layouts are validated before anything runs."""
    assigned = assign_rules(chosen_rules(params), states)
    plans = {}
    for gpu in states:
        if gpu["index"] in assigned:
            rule = assigned[gpu["index"]]
            plans[gpu["index"]] = (rule, plan_gpu(gpu, rule, params.get("force"), params.get("allow_reset")))
    return plans


def _execute(run, op, executed):
    rc, out, err = run(op["argv"])
    parsed = parse_command_output((out or "") + "\n" + (err or ""))
    executed.append(op)
    if rc != 0 or parsed["failures"]:
        raise MigError("GPU %d: nvidia-smi %s failed (rc=%d): %s" % (
            op["gpu"], " ".join(op["argv"]), rc, "; ".join(parsed["failures"]) or ((out or "") + (err or "")).strip()),
            rc=rc, stdout=out, stderr=err, plan=executed, changed=True)
    return parsed


def _run_plan(run, gpu, plan, allow_reset, executed):
    for op in plan["operations"]:
        parsed = _execute(run, op, executed)
        if op["action"] in ("enable_mig", "disable_mig") and parsed["pending"] and allow_reset:
            _execute(run, _op(gpu, "reset", ["--gpu-reset", "-i", str(gpu["index"])]), executed)


def _devices(states, indexes):
    out = []
    for gpu in states:
        if gpu["index"] in indexes:
            out.extend(dict(device, gpu=gpu["index"], gpu_uuid=gpu["uuid"]) for device in gpu["mig_devices"])
    return out


def apply_plans(run, plans, states, params, check_mode):
    """Run (or, in check mode, only report) the plans; the module's result dict."""
    selected = sorted(plans)
    before = dict(("gpu%d" % i, summary(g)) for g in states for i in [g["index"]] if i in plans)
    planned = [op for index in selected for op in plans[index][1]["operations"]]
    if check_mode:
        after = dict(("gpu%d" % i, predicted(g, plans[i][0], plans[i][1])) for g in states
                     for i in [g["index"]] if i in plans)
        deferred = [i for i in selected if plans[i][1]["layout_deferred"]]
        final = states
    else:
        executed = []
        by_index = dict((g["index"], g) for g in states)
        for index in selected:
            _run_plan(run, by_index[index], plans[index][1], params.get("allow_reset"), executed)
        final = read_state(run) if executed else states
        second = dict((i, plans[i][0]) for i in selected if plans[i][1]["layout_deferred"])
        again = [g for g in final if g["index"] in second and g["mode"] == "enabled"]  # pragma: no mutate: closed vocabulary
        for gpu in again:
            _run_plan(run, gpu, plan_gpu(gpu, second[gpu["index"]], params.get("force")), False, executed)
        if again:
            final = read_state(run)
        planned = executed
        after = dict(("gpu%d" % g["index"], summary(g)) for g in final if g["index"] in plans)
        deferred = [g["index"] for g in final if g["index"] in second and g["mode"] != "enabled"]
    reset = [g["index"] for g in final if g["index"] in plans and g["pending"] and g["pending"] != g["mode"]]
    return {"changed": bool(planned), "plan": planned, "diff": {"before": before, "after": after},
            "reset_required": reset, "deferred": deferred, "mig_devices": _devices(final, selected), "gpus": final}
