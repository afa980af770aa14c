# -*- coding: utf-8 -*-
# Copyright: contributors to mlinfra.gpu
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GPU hostvars and groups shared by the mlinfra.gpu inventory plugins (pure functions plus a small mixin)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.mlinfra.gpu.plugins.module_utils.gpu_catalog import model_vendor, normalize_model
from ansible_collections.mlinfra.gpu.plugins.plugin_utils._unsafe import unsafe

_UNSAFE_CHARS = re.compile(r"[^a-z0-9_]+")


def safe_token(text):
    """Lower-case ``text`` and keep only ``[a-z0-9_]`` (other runs become ``_``), for group names."""
    return _UNSAFE_CHARS.sub("_", str(text).lower()).strip("_")


_MODEL_CACHE = {}


def model_token(name):
    """Normalised model for a GPU name; names the catalogue does not know are kept as a safe lower-case token."""
    if name is None:
        return None
    try:
        return _MODEL_CACHE[name]
    except KeyError:
        pass
    model = normalize_model(name) or safe_token(name) or None
    _MODEL_CACHE[name] = model
    return model


_VENDOR_CACHE = {}


def vendor_for(name, model=None):
    """``nvidia``, ``amd`` or None for a GPU name (Slurm GRES type, cloud GPU name)."""
    key = (name, model)
    if key not in _VENDOR_CACHE:
        _VENDOR_CACHE[key] = model_vendor(name or "") or model_vendor(model or "")
    return _VENDOR_CACHE[key]


def gpu_hostvars(gpus):
    """Common GPU hostvars from ``gpus``: an iterable of dicts with ``name`` (raw model or None), ``count``,
    optional ``memory_mib`` (per GPU) and ``vendor``.

    Returns ``gpu_count``, ``gpu_models`` (unique, in source order), ``gpu_vendor`` and ``gpu_memory_mib``.
    """
    count = 0
    models = []
    vendors = []
    memory = None
    for gpu in gpus:
        n = gpu.get("count")
        if not n or int(n) < 1:
            continue
        n = int(n)
        count += n
        model = model_token(gpu.get("name"))
        if model and model not in models:
            models.append(model)
        vendor = gpu.get("vendor") or vendor_for(gpu.get("name"), model)
        if vendor and vendor not in vendors:
            vendors.append(vendor)
        if memory is None and gpu.get("memory_mib"):
            memory = int(gpu["memory_mib"])
    return {
        "gpu_count": count,
        "gpu_models": models,
        "gpu_vendor": next(iter(vendors)) if len(vendors) == 1 else None,
        "gpu_memory_mib": memory,
    }


def gpu_groups(hostvars):
    """Default groups for a host: ``gpu`` and ``gpu_<model>`` when it has GPUs."""
    if not hostvars.get("gpu_count"):
        return []
    return ["gpu"] + ["gpu_" + safe_token(m) for m in hostvars.get("gpu_models") or []]


class GpuInventoryMixin:
    """Glue shared by the plugins: cache handling and adding one host with its vars and groups.

    Expects to be mixed into ``BaseInventoryPlugin, Constructable, Cacheable``.
    """

    SOURCE = "inventory source"

    def _cached_raw(self, path, cache, fetch):
        """Raw source data from the inventory cache or from ``fetch()``; the cache stores raw data only."""
        self._constructed_options = None
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache")
        update = use_cache and not cache
        if use_cache and cache:
            try:
                return self._cache[cache_key]
            except KeyError:
                update = True
        raw = fetch()
        if update:
            self._cache[cache_key] = raw
        return raw

    def _add_gpu_host(self, name, hostvars, groups):
        """Add host ``name`` with ``hostvars`` (unsafe), default ``groups`` and constructed vars/groups.

        ``hostvars`` keys are this collection's fixed names (valid variable names), so they are stored directly;
        the values are what is untrusted.
        """
        constructed = getattr(self, "_constructed_options", None)
        if constructed is None:
            constructed = self._constructed_options = (
                self.get_option("strict"), self.get_option("compose"), self.get_option("groups"),
                self.get_option("keyed_groups"))
        strict, compose, conditional_groups, keyed_groups = constructed
        name = unsafe(name)
        hostvars = unsafe(hostvars)
        inventory = self.inventory
        inventory.add_host(name)
        for group in groups:
            inventory.add_group(group)
            inventory.add_child(group, name)
        host = inventory.get_host(name)
        host.vars.update(hostvars)
        if compose:
            self._set_composite_vars(compose, hostvars, name, strict=strict)
            hostvars = host.get_vars()
        if conditional_groups:
            self._add_host_to_composed_groups(conditional_groups, hostvars, name, strict=strict)
        if keyed_groups:
            self._add_host_to_keyed_groups(keyed_groups, hostvars, name, strict=strict)
