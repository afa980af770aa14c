# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's model: per-host records, a summary, a table per group and the drift (pure functions).

The record format (what ``host_record`` reads) is documented in docs/fleet_report.md. Rendering (Markdown, HTML)
is in ``_fleet_report_render``. Private to mlinfra.gpu; runs on the controller (action plugin fleet_report).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import Counter

from ansible_collections.mlinfra.gpu.plugins.module_utils.gpu_compat import driver_max_cuda

# The fields compared with the group's majority, in the order the tables show them. Framework versions are
# compared one framework at a time, as ``framework:<name>``.
DRIFT_FIELDS = ("driver_branch", "cuda", "kernel_module", "runtime")
FRAMEWORK_PREFIX = "framework:"
NO_GROUP = "ungrouped"
IGNORED_GROUPS = ("all", NO_GROUP)
# Record key -> the host variables it is read from (the first one defined wins); see docs/fleet_report.md.
DEFAULT_SOURCES = {
    "nvidia_driver": ["nvidia_driver_status"],
    "container_runtime": ["container_runtime_status", "container_runtime_plan"],
    "cuda_toolkit": ["cuda_toolkit_status"],
    "health": ["gpu_health_result"],
    "frameworks": ["ml_frameworks_status"],
    "storage": ["storage_mounts_status"],
    "reboot": ["mlinfra_reboot_status"],
    # the demo's recorded hardware (playbooks/site.yml labels it too): a non-empty text marks the host simulated
    "simulated": ["mlinfra_gpu_simulated_hardware"],
}


def _dict(value):
    return value if isinstance(value, dict) else {}


def _list(value):
    return list(value) if isinstance(value, (list, tuple)) else []


def _text(value):
    """A non-empty value as text; None, '' and other empty values as None."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    return str(value)


def driver_branch(version):
    """'590.48.01' -> '590'; None stays None."""
    return version.split(".")[0] if version else None


def cuda_ceiling(driver, version):
    """The CUDA version the driver reports, else the newest its version runs (catalogue); None when unknown."""
    if driver.get("cuda_version"):
        return str(driver["cuda_version"])
    if not version:
        return None
    try:
        return driver_max_cuda(version)
    except ValueError:
        return None


def _runtime(status):
    """'docker 27.5.1, toolkit 1.17.8' from a container_runtime status (engine, engine_version, toolkit_version)."""
    engine = _text(status.get("engine"))
    if engine is None:
        return None
    version = _text(status.get("version")) or _text(status.get("engine_version"))
    text = engine + (" " + version if version else "")
    toolkit = _text(status.get("toolkit_version"))
    return text + (", toolkit " + toolkit if toolkit else "")


def _envs(value):
    """The environments of an ml_frameworks status: a list of envs, or a dict holding one under ``envs``."""
    return _list(_dict(value).get("envs")) if isinstance(value, dict) else _list(value)


def frameworks(value):
    """{framework: 'version (build)[, ...]'} from the envs ({name, framework, version, build}); 'none' skipped."""
    found = {}
    for env in _envs(value):
        env = _dict(env)
        name = _text(env.get("framework"))
        version = _text(env.get("version"))
        if name is None or name == "none" or version is None:
            continue
        build = _text(env.get("build"))
        found.setdefault(name, set()).add(version + (" (" + build + ")" if build else ""))
    return dict((name, ", ".join(sorted(versions))) for name, versions in found.items())


def storage(value):
    """['/scratch (ext4)', ...] from a storage_mounts status: a list of mounts or a dict holding one under ``mounts``."""
    mounts = _list(_dict(value).get("mounts")) if isinstance(value, dict) else _list(value)
    shown = []
    for mount in mounts:
        mount = _dict(mount)
        path = _text(mount.get("path")) or _text(mount.get("mount_point"))
        if path is None:
            continue
        fstype = _text(mount.get("fstype"))
        shown.append(path + (" (" + fstype + ")" if fstype else ""))
    return shown


def unhealthy_gpus(health):
    """[{gpu, name, failing}] for each GPU a gpu_health result calls unhealthy, then the node's failing checks."""
    found = []
    for gpu in _list(health.get("gpus")):
        gpu = _dict(gpu)
        if gpu.get("healthy") is False:
            label = ("amd" if gpu.get("vendor") == "amd" else "gpu") + str(gpu.get("index"))
            found.append({"gpu": label, "name": gpu.get("name"), "failing": _list(gpu.get("failing"))})
    node = _list(_dict(health.get("failing")).get("node"))
    if node:
        found.append({"gpu": "node", "name": None, "failing": node})
    return found


def host_record(raw):
    """One host's row from its raw data: host, groups, gpu (ansible_facts.gpu) and the optional role results."""
    gpu = _dict(raw.get("gpu"))
    driver = _dict(gpu.get("driver"))
    status = _dict(raw.get("nvidia_driver"))
    health = _dict(raw.get("health"))
    devices = [_dict(device) for device in _list(gpu.get("devices"))]
    version = _text(driver.get("version")) or _text(status.get("version"))
    reboot = _dict(raw.get("reboot"))
    reasons = _list(status.get("reboot_reasons")) + _list(reboot.get("reasons"))
    names = Counter(device.get("name") or "unknown" for device in devices)
    return {
        "host": str(raw["host"]),
        "groups": [str(group) for group in _list(raw.get("groups")) if group not in IGNORED_GROUPS] or [NO_GROUP],
        "has_gpu_facts": bool(gpu),
        "simulated": bool(gpu.get("simulated")) or bool(raw.get("simulated")),
        "gpu_count": len(devices),
        "gpus_by_model": dict(names),
        "models": sorted(names),
        "driver": version,
        "driver_branch": driver_branch(version) or _text(status.get("branch")),
        "cuda": cuda_ceiling(driver, version),
        "kernel_module": _text(driver.get("kernel_module")) or _text(status.get("kernel_module")),
        "driver_loaded": bool(driver.get("loaded")),
        "nvswitch_count": gpu.get("nvswitch_count") or 0,
        "runtime": _runtime(_dict(raw.get("container_runtime"))),
        "cuda_toolkit": _text(", ".join(str(v) for v in _list(_dict(raw.get("cuda_toolkit")).get("versions")))),
        "frameworks": frameworks(raw.get("frameworks")),
        "storage": storage(raw.get("storage")),
        "healthy": health.get("healthy") if isinstance(health.get("healthy"), bool) else None,
        "unhealthy_gpus": unhealthy_gpus(health),
        "reboot_required": bool(status.get("reboot_required")) or bool(reboot.get("required")),
        "reboot_reasons": [str(reason) for reason in reasons],
    }


def sources(overrides=None):
    """DEFAULT_SOURCES with the user's overrides ({key: variable name or list of names}); unknown keys refused."""
    merged = dict((key, list(names)) for key, names in DEFAULT_SOURCES.items())
    for key, names in (overrides or {}).items():
        if key not in DEFAULT_SOURCES:
            raise ValueError("fleet_report: unknown source '%s'; known: %s" % (key, ", ".join(sorted(DEFAULT_SOURCES))))
        merged[key] = [names] if isinstance(names, str) else list(names)
    return merged


def raw_host(host, variables, source_map):
    """The raw data of one host from its variables (a hostvars entry): gpu facts, groups and each source."""
    raw = {"host": host, "groups": variables.get("group_names", []),
           "gpu": _dict(variables.get("ansible_facts")).get("gpu")}
    for key, names in source_map.items():
        raw[key] = next((variables[name] for name in names if variables.get(name) is not None), None)
    return raw


def field_value(record, field):
    """The value of a drift field for a record (``framework:<name>`` reads the framework's version)."""
    if field.startswith(FRAMEWORK_PREFIX):
        return record["frameworks"].get(field[len(FRAMEWORK_PREFIX):])
    return record[field]


def majority(values):
    """(value, tie) over the known values: the most common one when it is more common than every other, else
    (None, True) on a tie; (None, False) without any known value."""
    counts = Counter(value for value in values if value is not None).most_common()
    if not counts:
        return None, False
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        return None, True
    return counts[0][0], False


def group_fields(records):
    """The drift fields of a group: the fixed ones, then one per framework any host of the group has."""
    names = sorted(set(name for record in records for name in record["frameworks"]))
    return list(DRIFT_FIELDS) + [FRAMEWORK_PREFIX + name for name in names]


def group_table(name, records):
    """A group's table: its hosts, the majority of each drift field, and which host drifts on which field.

    A host without a value for a field (null) neither votes nor drifts. A host drifts when its value differs
    from the majority; when the most common values tie there is no majority and every host with a value drifts.
    """
    majorities, ties, drift = {}, [], {}
    for field in group_fields(records):
        values = [field_value(record, field) for record in records]
        value, tie = majority(values)
        majorities[field] = value
        if tie:
            ties.append(field)
        for record, own in zip(records, values):
            if own is not None and (tie or own != value):
                drift.setdefault(record["host"], []).append(field)
    return {"name": name, "hosts": [record["host"] for record in records], "majority": majorities, "ties": ties,
            "drift": drift}


def _tally(values):
    return dict(Counter(value for value in values if value is not None))


def summary(records, tables):
    """Fleet-wide counts: hosts, GPUs by model, drivers, CUDA ceilings, modules, runtimes, frameworks, problems."""
    models = Counter()
    fws = {}
    for record in records:
        models.update(record["gpus_by_model"])
        for name, version in record["frameworks"].items():
            fws.setdefault(name, Counter())[version] += 1
    drifting = set(host for table in tables for host in table["drift"])
    return {
        "hosts": len(records),
        "gpus": sum(record["gpu_count"] for record in records),
        "gpus_by_model": dict(models),
        "drivers": _tally(record["driver"] for record in records),
        "cuda": _tally(record["cuda"] for record in records),
        "kernel_modules": _tally(record["kernel_module"] for record in records),
        "runtimes": _tally(record["runtime"] for record in records),
        "frameworks": dict((name, dict(counts)) for name, counts in fws.items()),
        "hosts_drifting": len(drifting),
        "unhealthy_gpus": sum(len([u for u in record["unhealthy_gpus"] if u["gpu"] != "node"]) for record in records),
        "hosts_unhealthy": len([record for record in records if record["healthy"] is False]),
        "reboots_pending": len([record for record in records if record["reboot_required"]]),
        "hosts_without_gpu_facts": sorted(record["host"] for record in records if not record["has_gpu_facts"]),
    }


def build_report(raws, groups=None):
    """The whole report from the raw host data (see ``host_record``); ``groups`` limits and orders the tables
    (default: every group of the hosts but ``all``, sorted; hosts in no other group under ``ungrouped``)."""
    records = sorted((host_record(raw) for raw in raws), key=lambda record: record["host"])
    names = list(groups) if groups else sorted(set(group for record in records for group in record["groups"]))
    tables = []
    for name in names:
        members = [record for record in records if name in record["groups"]]
        if members:
            tables.append(group_table(name, members))
    by_host = dict((record["host"], record) for record in records)
    drift = [{"group": table["name"], "host": host, "field": field, "value": field_value(by_host[host], field),
              "majority": table["majority"][field]}
             for table in tables for host in table["hosts"] for field in table["drift"].get(host, [])]
    problems = {
        "unhealthy": [dict(entry, host=record["host"]) for record in records for entry in record["unhealthy_gpus"]],
        "reboots": [{"host": record["host"], "reasons": record["reboot_reasons"]}
                    for record in records if record["reboot_required"]],
    }
    return {"summary": summary(records, tables), "hosts": records, "groups": tables, "drift": drift,
            "problems": problems}
