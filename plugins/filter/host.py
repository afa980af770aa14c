# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host filters; documentation in the <filter name>.yml files next to this file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.mlinfra.gpu.plugins.module_utils import _host


def in_container(facts):
    """ansible_facts -> whether the host is an OS-level container guest."""
    try:
        return _host.in_container(facts)
    except ValueError as exc:
        raise AnsibleFilterError("mlinfra.gpu.in_container: %s" % exc)


class FilterModule(object):
    """mlinfra.gpu host filters."""

    def filters(self):
        return {"in_container": in_container}
