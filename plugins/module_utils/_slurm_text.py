# -*- coding: utf-8 -*-
# Copyright: contributors to mlinfra.gpu
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Slurm text and JSON parsing shared by the inventory plugin (plugins/plugin_utils/_slurm.py) and the modules
that run on a node or the controller (slurm_gpu_node, slurm_node_maint): GRES strings, node states,
``scontrol show node --oneliner`` text and the node objects of slurmrestd / ``--json``. Pure functions only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

BASE_STATES = ("idle", "allocated", "mixed", "down", "error", "future", "unknown")
_NULL = ("", "(null)", "n/a", "none")
_SUFFIX = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4, "p": 1024 ** 5}
_COUNT = re.compile(r"^(\d+)([kmgtp]?)$", re.IGNORECASE)
_TRAILING_PAREN = re.compile(r"^(?P<body>.*?)(?:\((?P<extra>[^()]*)\))?$")
# The fields read from `scontrol show node --oneliner`; their values never contain spaces (Reason is handled apart).
_ONELINER_FIELDS = re.compile(r"(?:^|\s)(NodeName|NodeAddr|NodeHostName|State|Partitions|CPUTot|RealMemory|Gres)=(\S*)")
_REASON_STAMP = re.compile(r"\s*\[[^\]\[]*@[^\]\[]*\]\s*$")


class SlurmSourceError(Exception):
    """The Slurm source could not be read or returned something unusable; the message says what."""


def _split_top_level(text, sep=","):
    """Split on ``sep`` outside parentheses: ``gpu:a40:1(S:0,2),nic:1`` -> two items."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif ch == sep and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return [item.strip() for item in items if item.strip()]


def _gres_count(text):
    match = _COUNT.match(text.strip())
    if not match:
        return None
    return int(match.group(1)) * _SUFFIX.get(match.group(2).lower(), 1)


def parse_gres(text):
    """Parse a GRES string (``Gres=`` of scontrol, ``gres`` of the JSON APIs) into a list of dicts.

    Each item is ``{"name": "gpu", "type": "a100" or None, "count": 8, "extra": "S:0-1" or None}``. Handles
    ``gpu:8``, ``gpu:a100:8``, ``gpu:a100:8(S:0-1)``, ``gpu:a40:1(S:0,2,4)``, several items, ``gpu:(null):4(IDX:0-3)``,
    counts with K/M/G suffixes and the empty forms ``(null)``, ``N/A`` and ``""``.
    """
    if text is None:
        return []
    if not isinstance(text, str):
        raise SlurmSourceError("GRES is not a string: %r" % (text,))
    if text.strip().lower() in _NULL:
        return []
    result = []
    for item in _split_top_level(text.strip()):
        if item.lower() in _NULL:
            continue
        match = _TRAILING_PAREN.match(item)
        body, extra = match.group("body"), match.group("extra")
        if not body:
            continue
        parts = body.split(":")
        name, gtype, count = parts[0], None, 1
        if len(parts) == 2:
            parsed = _gres_count(parts[1])
            if parsed is None:
                gtype = parts[1]
            else:
                count = parsed
        elif len(parts) >= 3:  # pragma: no mutate: len(parts) == 2 is the branch above, so >= 2 here is >= 3
            gtype = ":".join(parts[1:-1])
            parsed = _gres_count(parts[-1])
            if parsed is None:
                raise SlurmSourceError("cannot read the count in GRES item %r" % item)
            count = parsed
        if gtype is not None and gtype.lower() in _NULL:
            gtype = None
        result.append({"name": name, "type": gtype, "count": count, "extra": extra})
    return result


def gres_gpus(text):
    """The GPU entries of a GRES string as ``[{"name": type or None, "count": n}]`` (other GRES ignored)."""
    return [{"name": g["type"], "count": g["count"]} for g in parse_gres(text) if g["name"] == "gpu"]


def node_state(base, flags=()):
    """One lower-case state like sinfo's: ``idle``, ``mixed``, ``allocated``, ``drained``, ``draining``, ``down``..."""
    base = (base or "unknown").lower()
    flags = set(f.upper() for f in flags)
    if "DRAIN" in flags:
        if base in ("allocated", "mixed") or "COMPLETING" in flags:
            return "draining"
        if base == "down":
            return "down"
        return "drained"
    if "FAIL" in flags:
        return "fail"
    if "MAINT" in flags:
        return "maint"
    if "POWERED_DOWN" in flags and base == "idle":
        return "powered_down"
    return base


def _split_state(value, flags=None):
    """Base state and flags from ``IDLE+DRAIN`` (text), ``"idle"`` + ``state_flags`` (v0.0.37/38) or ``["IDLE", "DRAIN"]``."""
    if isinstance(value, list):
        words = [str(v) for v in value]
    else:
        words = [w for w in str(value or "").split("+") if w]
    base = None
    rest = []
    for word in words:
        if base is None and word.lower() in BASE_STATES:
            base = word.lower()
        else:
            rest.append(word.upper())
    for flag in flags or []:
        if str(flag).upper() not in rest:
            rest.append(str(flag).upper())
    return base or "unknown", rest


def _number(value):
    """Plain int from an int, a numeric string or the ``{"set", "infinite", "number"}`` object of v0.0.40+."""
    if isinstance(value, dict):
        if not value.get("set", True) or value.get("infinite"):
            return None
        value = value.get("number")
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(value):
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    text = str(value)
    return "" if text.strip().lower() in ("(null)", "n/a") else text


def _csv(value):
    if isinstance(value, list):
        return [str(v) for v in value if str(v)]
    text = _text(value)
    return [p for p in text.split(",") if p] if text else []


def parse_scontrol_oneliner(text):
    """Parse ``scontrol show node --oneliner`` output into one dict per node of the raw values of ``NodeName``,
    ``NodeAddr``, ``NodeHostName``, ``State``, ``Partitions``, ``CPUTot``, ``RealMemory``, ``Gres`` and ``Reason``."""
    nodes = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if not line.startswith("NodeName="):
            raise SlurmSourceError("unexpected line in scontrol output (expected NodeName=...): %r" % line[:120])
        reason = None
        head, sep, tail = line.partition(" Reason=")
        if sep:
            reason = tail
            line = head
        fields = dict(_ONELINER_FIELDS.findall(line))
        if reason is not None:
            fields["Reason"] = reason
        nodes.append(fields)
    return nodes


# A node record's keys: (record key, scontrol -o key, REST/JSON key, conversion)
_NODE_KEYS = (
    ("address", "NodeAddr", "address", _text),
    ("hostname", "NodeHostName", "hostname", _text),
    ("partitions", "Partitions", "partitions", _csv),
    ("cpus", "CPUTot", "cpus", _number),
    ("real_memory", "RealMemory", "real_memory", _number),
    ("gres", "Gres", "gres", _text),
)


def _node_record(name, state, reason, values):
    """The one node record shape; values: {record key: raw value} read from either source."""
    record = {"name": name, "base_state": state[0], "state_flags": state[1], "reason": reason}
    record.update((key, convert(values.get(key))) for key, _text_key, _json_key, convert in _NODE_KEYS)
    return record


def _node_from_text(fields):
    values = dict((key, fields.get(text_key)) for key, text_key, _json_key, _convert in _NODE_KEYS)
    return _node_record(fields.get("NodeName", ""), _split_state(fields.get("State")),
                        _REASON_STAMP.sub("", _text(fields.get("Reason"))), values)


def _node_from_json(node):
    if not isinstance(node, dict) or not node.get("name"):
        raise SlurmSourceError("malformed node entry (no name): %s" % json.dumps(node)[:200])
    values = dict((key, node.get(json_key)) for key, _text_key, json_key, _convert in _NODE_KEYS)
    return _node_record(str(node["name"]), _split_state(node.get("state"), node.get("state_flags")),
                        _text(node.get("reason")), values)


def nodes_from_raw(raw):
    """Normalised node dicts from the raw data a client returned (``{"format": "json"|"text", "data": ...}``)."""
    if not isinstance(raw, dict) or raw.get("format") not in ("json", "text"):
        raise SlurmSourceError("unknown raw data (cache from another version?)")
    if raw["format"] == "text":  # pragma: no mutate: format is "json" or "text" (checked above), so >= "text" is == "text"
        return [_node_from_text(fields) for fields in parse_scontrol_oneliner(raw["data"])]
    data = raw["data"]
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise SlurmSourceError("malformed response: no 'nodes' list")
    return [_node_from_json(node) for node in data["nodes"]]
