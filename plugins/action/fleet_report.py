# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of mlinfra.gpu.fleet_report: reads the hosts' variables on the controller and returns the report
model with its Markdown and HTML renderings (plugin_utils/_fleet_report*.py). Documentation: modules/fleet_report.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.mlinfra.gpu.plugins.plugin_utils._fleet_report import build_report, raw_host, sources
from ansible_collections.mlinfra.gpu.plugins.plugin_utils._fleet_report_render import render_html, render_markdown

ARGUMENT_SPEC = {
    "hosts": {"type": "list", "elements": "str", "required": True},
    "groups": {"type": "list", "elements": "str", "default": []},
    "sources": {"type": "dict", "default": {}},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        hostvars = (task_vars or {}).get("hostvars", {})
        try:
            source_map = sources(args["sources"])
        except ValueError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        raws = [raw_host(host, hostvars[host], source_map) for host in args["hosts"] if host in hostvars]
        report = build_report(raws, args["groups"])
        result.update(changed=False, report=report, markdown=render_markdown(report), html=render_html(report))
        return result
