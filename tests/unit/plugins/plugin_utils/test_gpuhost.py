# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostvars, groups and the cache / add-host glue the inventory plugins share (plugin_utils/_gpuhost.py)."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible.inventory.data import InventoryData

from ansible_collections.mlinfra.gpu.plugins.plugin_utils._gpuhost import (
    GpuInventoryMixin, gpu_groups, gpu_hostvars, model_token, vendor_for,
)


@pytest.mark.parametrize("gpus, hostvars", [
    # Slurm GRES entries and EC2 GpuInfo rows as the sources give them
    ([{"name": "a100", "count": 8}], {"gpu_count": 8, "gpu_models": ["a100"], "gpu_vendor": "nvidia",
                                      "gpu_memory_mib": None}),
    ([{"name": "H100", "count": None}, {"name": "L4", "count": 0}, {"name": "T4", "count": -1},
      {"name": "V100", "count": "0"}, {"name": "A10G", "count": "4", "memory_mib": 24576},
      {"name": "L40S", "count": 1}],
     {"gpu_count": 5, "gpu_models": ["a10g", "l40s"], "gpu_vendor": "nvidia", "gpu_memory_mib": 24576}),
    ([{"name": "mi300x", "count": 8}, {"name": "h100", "count": 8}],
     {"gpu_count": 16, "gpu_models": ["mi300x", "h100"], "gpu_vendor": None, "gpu_memory_mib": None}),
    ([{"name": "Navi 23", "count": 1}],
     {"gpu_count": 1, "gpu_models": ["navi_23"], "gpu_vendor": "amd", "gpu_memory_mib": None}),
    ([{"name": None, "count": 2, "vendor": "amd"}],
     {"gpu_count": 2, "gpu_models": [], "gpu_vendor": "amd", "gpu_memory_mib": None}),
])
def test_gpu_hostvars(gpus, hostvars):
    assert gpu_hostvars(gpus) == hostvars


def test_model_token_and_vendor():
    assert model_token("0x738c") == "0x738c" and model_token(None) is None and model_token("---") is None
    assert vendor_for(None, "mi300x") == "amd" and vendor_for("gpu", "rx7900xtx") == "amd"
    assert vendor_for(None) is None and vendor_for("gaudi2", "gaudi2") is None
    assert gpu_groups({"gpu_count": 2, "gpu_models": ["rtx2080super", "a-b"]}) == ["gpu", "gpu_rtx2080super", "gpu_a_b"]
    assert gpu_groups({"gpu_count": 0, "gpu_models": ["a100"]}) == []


class _Plugin(GpuInventoryMixin):
    SOURCE = "test inventory"

    def __init__(self, options, cache):
        self.options, self._cache, self.inventory, self.calls = options, cache, InventoryData(), []

    def get_option(self, name):
        return self.options.get(name)

    def get_cache_key(self, path):
        return "key:" + path

    def _set_composite_vars(self, compose, hostvars, name, strict=False):
        self.calls.append(("compose", sorted(compose), name, strict))

    def _add_host_to_composed_groups(self, groups, hostvars, name, strict=False):
        self.calls.append(("groups", sorted(groups), name, strict))

    def _add_host_to_keyed_groups(self, keyed, hostvars, name, strict=False):
        self.calls.append(("keyed", len(keyed), name, strict))


@pytest.mark.parametrize("use_cache, refresh, cached, result, fetched, stored", [
    (True, True, {"key:src": "old"}, "old", 0, {"key:src": "old"}),      # cache hit
    (True, True, {}, "new", 1, {"key:src": "new"}),                      # cache miss: fetch and store
    (True, False, {"key:src": "old"}, "new", 1, {"key:src": "new"}),     # --flush-cache: fetch and store
    (False, True, {"key:src": "old"}, "new", 1, {"key:src": "old"}),     # cache off: fetch, store nothing
    (False, False, {}, "new", 1, {}),
])
def test_cached_raw(use_cache, refresh, cached, result, fetched, stored):
    plugin = _Plugin({"cache": use_cache}, dict(cached))
    calls = []
    assert plugin._cached_raw("src", refresh, lambda: calls.append(1) or "new") == result
    assert (len(calls), plugin._cache) == (fetched, stored)


def test_add_gpu_host_groups_vars_and_constructed_options():
    plugin = _Plugin({"strict": True, "compose": {"x": "1"}, "groups": {"big": "true"}, "keyed_groups": [{}]}, {})
    plugin._add_gpu_host("node1", {"gpu_count": 2}, ["gpu", "gpu_a100"])
    plugin._add_gpu_host("node2", {"gpu_count": 0}, [])
    inventory = plugin.inventory
    assert sorted(g.name for g in inventory.get_host("node1").get_groups()) == ["gpu", "gpu_a100"]
    assert [g.name for g in inventory.get_host("node2").get_groups()] == []
    assert inventory.get_host("node1").vars["gpu_count"] == 2
    assert plugin.calls == [("compose", ["x"], "node1", True), ("groups", ["big"], "node1", True),
                            ("keyed", 1, "node1", True), ("compose", ["x"], "node2", True),
                            ("groups", ["big"], "node2", True), ("keyed", 1, "node2", True)]
    plugin.options = {}
    plugin._add_gpu_host("node3", {}, ["gpu"])  # options are read once per parse
    assert plugin.calls[-1] == ("keyed", 1, "node3", True)
