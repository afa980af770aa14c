# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the site playbook; documentation in the <filter name>.yml files next to this file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.mlinfra.gpu.plugins.module_utils import _site_stages


def site_stages(switches, gpu=None):
    """{stage: switch} + ansible_facts.gpu -> {stage: whether it runs}."""
    try:
        return _site_stages.site_stages(switches, gpu)
    except ValueError as exc:
        raise AnsibleFilterError("mlinfra.gpu.site_stages: %s" % exc)


class FilterModule(object):
    """mlinfra.gpu site playbook filters."""

    def filters(self):
        return {"site_stages": site_stages}
