# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the fleet report model (``_fleet_report.build_report``) as Markdown (terminals) and as one self-contained
HTML page (inline CSS, no script, no external asset; every value escaped by Jinja2's autoescape). Controller only.

Both outputs are deterministic (no timestamp): the same fleet gives the same bytes, so re-writing them changes nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from jinja2 import Environment

from ansible_collections.mlinfra.gpu.plugins.plugin_utils._fleet_report import FRAMEWORK_PREFIX, field_value

NONE = "-"

# (key, title) of the per-group table's columns; drift fields are keys of the record (see field_value).
COLUMNS = (
    ("host", "host"), ("gpu_count", "GPUs"), ("models", "models"), ("driver", "driver"),
    ("driver_branch", "branch"), ("cuda", "CUDA"), ("kernel_module", "modules"), ("nvswitch_count", "NVSwitches"),
    ("runtime", "container runtime"), ("cuda_toolkit", "CUDA toolkit"), ("storage", "storage"),
    ("health", "health"), ("reboot", "reboot"),
)


def _health(record):
    if record["healthy"] is None:
        return NONE
    if record["healthy"]:
        return "healthy"
    return "; ".join("%s: %s" % (entry["gpu"], ", ".join(entry["failing"])) for entry in record["unhealthy_gpus"])


def _models(record):
    return ", ".join("%d x %s" % (record["gpus_by_model"][name], name) for name in record["models"]) or NONE


def _reboot(record):
    return "pending: " + "; ".join(record["reboot_reasons"]) if record["reboot_required"] else NONE


def _storage(record):
    return ", ".join(record["storage"]) or NONE


# Cells that are not one field's value as it is.
FORMATTERS = {"models": _models, "health": _health, "reboot": _reboot, "storage": _storage}


def cell(record, key):
    """The text of one cell of a host's row."""
    if key in FORMATTERS:
        return FORMATTERS[key](record)
    value = field_value(record, key)
    return NONE if value is None else str(value)


def table_columns(table):
    """The columns of a group's table: the fixed ones, then one per framework of the group."""
    frameworks = [field for field in table["majority"] if field.startswith(FRAMEWORK_PREFIX)]
    return list(COLUMNS) + [(field, field[len(FRAMEWORK_PREFIX):]) for field in frameworks]


def _css(record, key, drift):
    """The CSS classes of a cell: its field (``framework`` for every framework), ``drift``, ``reboot-pending``."""
    classes = ["framework" if key.startswith(FRAMEWORK_PREFIX) else key]
    if drift:
        classes.append("drift")
    if key == "reboot" and record["reboot_required"]:
        classes.append("reboot-pending")
    return " ".join(classes)


def _majority_text(majority, label="majority "):
    return "tie, no majority" if majority is None else label + str(majority)


def rows(report, table):
    """[(record, [(key, text, drift, css classes, tooltip or None)])] of a group's table."""
    records = dict((record["host"], record) for record in report["hosts"])
    out = []
    for host in table["hosts"]:
        record, drifting = records[host], table["drift"].get(host, [])
        out.append((record, [(key, cell(record, key), key in drifting, _css(record, key, key in drifting),
                              _majority_text(table["majority"].get(key), "group majority: ") if key in drifting else None)
                             for key, _title in table_columns(table)]))
    return out


def ordered(mapping):
    """[(value, count)] of {value: count}, most common first, then by value."""
    return sorted(mapping.items(), key=lambda pair: (-pair[1], pair[0]))


def counts(mapping):
    """'2 x 590.48.01, 1 x 610.57.04' from {value: count}, most common first, then by value."""
    return ", ".join("%d x %s" % (count, value) for value, count in ordered(mapping)) or NONE


# (key of the summary, label) in the order shown; counters are {value: hosts} maps, the others plain numbers.
SUMMARY = (("hosts", "hosts"), ("gpus", "GPUs"), ("gpus_by_model", "GPUs by model"), ("drivers", "drivers"),
           ("cuda", "CUDA ceilings"), ("kernel_modules", "kernel modules"), ("runtimes", "container runtimes"))
PROBLEMS = (("hosts_drifting", "hosts drifting"), ("unhealthy_gpus", "unhealthy GPUs"),
            ("reboots_pending", "reboots pending"))


def _summary_text(value):
    return counts(value) if isinstance(value, dict) else str(value)


def summary_lines(report):
    """[(key, label, text)] of the summary, shared by both renderings; a framework's key is ``framework:<name>``."""
    summary = report["summary"]
    lines = [(key, label, _summary_text(summary[key])) for key, label in SUMMARY]
    lines += [(FRAMEWORK_PREFIX + name, "framework " + name, counts(versions))
              for name, versions in sorted(summary["frameworks"].items())]
    lines += [(key, label, str(summary[key])) for key, label in PROBLEMS]
    if summary["hosts_without_gpu_facts"]:
        lines.append(("hosts_without_gpu_facts", "hosts without GPU facts",
                      ", ".join(summary["hosts_without_gpu_facts"])))
    return lines


def md_escape(text):
    """Keep a value one Markdown table cell: escape backslash, pipe and '<' (no inline HTML); no line breaks."""
    text = str(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "\\<")
    return " ".join(text.split())


def _md_row(cells):
    return "| " + " | ".join(cells) + " |"


def render_markdown(report):
    """The report as Markdown: summary, drift, problems, a table per group (drifting cells in bold with a '!')."""
    out = ["# GPU fleet report", ""]
    out += ["- %s: %s" % (label, md_escape(text)) for _key, label, text in summary_lines(report)]
    if report["drift"]:
        out += ["", "## Drift (differs from the group's majority)", ""]
        for entry in report["drift"]:
            out.append(md_escape("- %s / %s: %s %s (%s)" % (entry["group"], entry["host"], entry["field"],
                                                            entry["value"], _majority_text(entry["majority"]))))
    for entry in report["problems"]["unhealthy"]:
        out.append(md_escape("- unhealthy: %s %s: %s" % (entry["host"], entry["gpu"], ", ".join(entry["failing"]))))
    for entry in report["problems"]["reboots"]:
        out.append(md_escape("- reboot pending: %s: %s" % (entry["host"], "; ".join(entry["reasons"]) or NONE)))
    for table in report["groups"]:
        columns = table_columns(table)
        out += ["", "## Group %s (hosts: %d)" % (md_escape(table["name"]), len(table["hosts"])), "",
                _md_row([title for _key, title in columns]), _md_row(["---"] * len(columns))]
        for _record, cells in rows(report, table):
            out.append(_md_row([("**%s** !" % md_escape(text)) if drift else md_escape(text)
                                for _key, text, drift, _css, _title in cells]))
    return "\n".join(out) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fff}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.5em}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #c8c8c8;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.drift{background:#ffd8a8;font-weight:bold}
td.drift::after{content:" \\26A0"}
tr.unhealthy td.health{background:#ffc9c9}
td.reboot-pending{background:#fff3bf}
.simulated{color:#5c5c5c;font-style:italic}
"""

_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>GPU fleet report</title>
<style>{{ css | safe }}</style>
</head>
<body>
<h1>GPU fleet report</h1>
<h2>Summary</h2>
<table id="summary">
{% for key, label, text in summary %}<tr><th>{{ label }}</th><td data-summary="{{ key }}">{{ text }}</td></tr>
{% endfor %}</table>
<h2>GPUs by model</h2>
<table id="models"><tr><th>model</th><th>GPUs</th></tr>
{% for name, count in models %}<tr><td>{{ name }}</td><td data-model="{{ name }}">{{ count }}</td></tr>
{% endfor %}</table>
{% if report.drift %}<h2>Drift</h2>
<table id="drift"><tr><th>group</th><th>host</th><th>field</th><th>value</th><th>group majority</th></tr>
{% for d in report.drift %}<tr><td>{{ d.group }}</td><td>{{ d.host }}</td><td>{{ d.field }}</td><td>{{ d.value }}</td>
<td>{{ 'tie, no majority' if d.majority is none else d.majority }}</td></tr>
{% endfor %}</table>
{% endif %}{% if report.problems.unhealthy %}<h2>Unhealthy GPUs</h2>
<table id="unhealthy"><tr><th>host</th><th>GPU</th><th>name</th><th>failing checks</th></tr>
{% for u in report.problems.unhealthy %}<tr><td>{{ u.host }}</td><td>{{ u.gpu }}</td><td>{{ u.name or '-' }}</td>
<td>{{ u.failing | join(', ') }}</td></tr>
{% endfor %}</table>
{% endif %}{% if report.problems.reboots %}<h2>Reboots pending</h2>
<table id="reboots"><tr><th>host</th><th>reasons</th></tr>
{% for r in report.problems.reboots %}<tr><td>{{ r.host }}</td><td>{{ r.reasons | join('; ') or '-' }}</td></tr>
{% endfor %}</table>
{% endif %}{% for table, columns, table_rows in groups %}
<h2>Group {{ table.name }} (hosts: {{ table.hosts | length }})</h2>
<table class="group" data-group="{{ table.name }}">
<tr>{% for key, title in columns %}<th>{{ title }}</th>{% endfor %}</tr>
{% for record, cells in table_rows %}<tr data-host="{{ record.host }}"{% if record.healthy is false %} class="unhealthy"{% endif %}>
{% for key, text, drift, css, title in cells %}<td data-field="{{ key }}" class="{{ css }}"
{%- if title %} title="{{ title }}"{% endif %}>{{ text }}
{%- if key == 'host' and record.simulated %} <span class="simulated">(simulated)</span>{% endif %}</td>
{% endfor %}</tr>
{% endfor %}</table>
{% endfor %}</body>
</html>
"""


def render_html(report):
    """The report as one self-contained HTML page; drifting cells have the class ``drift``."""
    env = Environment(autoescape=True, keep_trailing_newline=True)
    groups = [(table, table_columns(table), rows(report, table)) for table in report["groups"]]
    models = ordered(report["summary"]["gpus_by_model"])
    return env.from_string(_HTML).render(css=_CSS, report=report, summary=summary_lines(report), models=models,
                                         groups=groups)
