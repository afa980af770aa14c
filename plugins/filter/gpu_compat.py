# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GPU compatibility filters; documentation in the <filter name>.yml files next to this file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.mlinfra.gpu.plugins.module_utils import gpu_compat
from ansible_collections.mlinfra.gpu.plugins.module_utils._frameworks_plan import framework_builds
from ansible_collections.mlinfra.gpu.plugins.module_utils.gpu_catalog import normalize_model


def _wrap(name, func):
    def filter_function(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ValueError as exc:
            raise AnsibleFilterError("mlinfra.gpu.%s: %s" % (name, exc))
    filter_function.__name__ = name
    filter_function.__doc__ = func.__doc__
    return filter_function


def _newest_branch(gpus, branch_type=None):
    branch = gpu_compat.newest_driver_branch(gpus, branch_type)
    return str(branch) if branch is not None else None


def _supports(driver_version, cuda_version, minor_compat=False):
    return gpu_compat.driver_supports_cuda(driver_version, cuda_version, minor_compat=minor_compat)


FILTERS = {
    "cuda_min_driver": gpu_compat.cuda_min_driver,
    "driver_supports_cuda": _supports,
    "driver_max_cuda": gpu_compat.driver_max_cuda,
    "gpu_kernel_module": gpu_compat.recommended_kernel_module,
    "gpu_newest_driver_branch": _newest_branch,
    "gpu_model": normalize_model,
    "gpu_driver_branch_support": gpu_compat.driver_branch_support,
    "gpu_open_modules": gpu_compat.open_modules_requirement,
    "framework_builds": framework_builds,
}


class FilterModule(object):
    """mlinfra.gpu compatibility filters."""

    def filters(self):
        return dict((name, _wrap(name, func)) for name, func in FILTERS.items())
