# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Driver filters; documentation in the <filter name>.yml files next to this file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.mlinfra.gpu.plugins.module_utils import _apt_state, _driver_plan


def cuda_refusals(cuda_versions, driver_version="", branch=""):
    """CUDA versions -> messages for those the driver (version, else only its branch) cannot run."""
    try:
        return _driver_plan.cuda_refusals(list(cuda_versions), _apt_state.upstream(driver_version or None),
                                          str(branch or "") or None)
    except (ValueError, TypeError) as exc:
        raise AnsibleFilterError("mlinfra.gpu.cuda_refusals: %s" % exc)


def upstream_version(version):
    """A package version -> its upstream part ('1:580.95.05-1' -> '580.95.05'); '' stays ''."""
    if not isinstance(version, str):
        raise AnsibleFilterError("mlinfra.gpu.upstream_version: expected a version string, got %r" % (version,))
    return _apt_state.upstream(version.strip()) if version.strip() else ""


class FilterModule(object):
    """mlinfra.gpu driver filters."""

    def filters(self):
        return {"cuda_refusals": cuda_refusals, "upstream_version": upstream_version}
