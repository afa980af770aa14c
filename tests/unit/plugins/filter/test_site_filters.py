# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mlinfra.gpu.site_stages and its module_utils function (which stages of playbooks/site.yml run)."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mlinfra.gpu.plugins.filter.site import FilterModule
from ansible_collections.mlinfra.gpu.plugins.module_utils import _site_stages

SITE_STAGES = FilterModule().filters()["site_stages"]

# ansible_facts.gpu as mlinfra.gpu.gpu_facts returns it (abridged to the keys the decision reads)
H100_NODE = {"count": 8, "vendors": ["nvidia"], "nvswitch_count": 4}
MI300_NODE = {"count": 8, "vendors": ["amd"], "nvswitch_count": 0}
CPU_NODE = {"count": 0, "vendors": [], "nvswitch_count": 0}

# the defaults of playbooks/site.yml
DEFAULTS = {"base": True, "gpu_facts": True, "nvidia_driver": "auto", "cuda_toolkit": False,
            "container_runtime": "auto", "summary": True}


def test_an_nvidia_node_runs_the_driver_and_the_runtime():
    assert SITE_STAGES(DEFAULTS, H100_NODE) == {
        "base": True, "gpu_facts": True, "nvidia_driver": True, "cuda_toolkit": False, "container_runtime": True,
        "summary": True}


def test_an_amd_node_runs_the_runtime_but_not_the_nvidia_driver():
    assert SITE_STAGES(DEFAULTS, MI300_NODE) == {
        "base": True, "gpu_facts": True, "nvidia_driver": False, "cuda_toolkit": False, "container_runtime": True,
        "summary": True}


def test_a_cpu_node_runs_neither():
    assert SITE_STAGES(DEFAULTS, CPU_NODE) == {
        "base": True, "gpu_facts": True, "nvidia_driver": False, "cuda_toolkit": False, "container_runtime": False,
        "summary": True}


def test_one_gpu_is_enough_for_the_runtime():
    # an inference node with a single GPU
    assert SITE_STAGES({"container_runtime": "auto"}, {"count": 1, "vendors": ["nvidia"]}) == {"container_runtime": True}


def test_an_empty_switch_is_refused():
    with pytest.raises(ValueError) as err:
        _site_stages.switch_value("container_runtime", "")
    assert str(err.value) == "mlinfra_gpu_container_runtime is ''; use true, false or auto (auto: when a GPU is seen)"


def test_auto_cuda_follows_the_nvidia_gpus():
    assert SITE_STAGES({"cuda_toolkit": "auto"}, H100_NODE) == {"cuda_toolkit": True}
    assert SITE_STAGES({"cuda_toolkit": "auto"}, MI300_NODE) == {"cuda_toolkit": False}


def test_without_gpu_facts_auto_stages_do_not_run():
    assert SITE_STAGES({"nvidia_driver": "auto", "container_runtime": "auto"}) == {
        "nvidia_driver": False, "container_runtime": False}
    assert SITE_STAGES({"container_runtime": "auto"}, {}) == {"container_runtime": False}


def test_facts_with_null_lists_count_as_no_gpu():
    assert SITE_STAGES({"nvidia_driver": "auto", "container_runtime": "auto"}, {"count": None, "vendors": None}) == {
        "nvidia_driver": False, "container_runtime": False}


def test_true_forces_a_stage_on_a_node_without_gpus():
    # an image build: the driver is installed where no GPU is seen (mlinfra_gpu_nvidia_driver: true)
    assert SITE_STAGES({"nvidia_driver": True, "container_runtime": True}, CPU_NODE) == {
        "nvidia_driver": True, "container_runtime": True}


def test_false_turns_a_stage_off_on_a_gpu_node():
    assert SITE_STAGES({"base": False, "nvidia_driver": False}, H100_NODE) == {"base": False, "nvidia_driver": False}


@pytest.mark.parametrize("text, expected", [
    ("true", True), ("True", True), ("yes", True), ("on", True), ("1", True), (" YES ", True),
    ("false", False), ("no", False), ("off", False), ("0", False), ("False", False), ("auto", "auto"),
    ("AUTO", "auto"), (1, True), (0, False),
])
def test_extra_vars_strings_are_read_as_ansible_reads_booleans(text, expected):
    assert _site_stages.switch_value("nvidia_driver", text) == expected


def test_the_order_of_the_switches_is_kept():
    assert list(SITE_STAGES(DEFAULTS, H100_NODE)) == [
        "base", "gpu_facts", "nvidia_driver", "cuda_toolkit", "container_runtime", "summary"]


def test_a_bad_value_is_refused_naming_variable_value_and_choices():
    with pytest.raises(AnsibleFilterError) as err:
        SITE_STAGES({"nvidia_driver": "maybe"}, H100_NODE)
    assert str(err.value) == ("mlinfra.gpu.site_stages: mlinfra_gpu_nvidia_driver is 'maybe'; use true, false or auto "
                              "(auto: when an NVIDIA GPU is seen)")


def test_the_runtime_names_its_own_auto_rule():
    with pytest.raises(ValueError) as err:
        _site_stages.switch_value("container_runtime", "sometimes")
    assert str(err.value) == ("mlinfra_gpu_container_runtime is 'sometimes'; use true, false or auto "
                              "(auto: when a GPU is seen)")


def test_auto_is_refused_where_the_hardware_does_not_decide():
    with pytest.raises(ValueError) as err:
        _site_stages.switch_value("base", "auto")
    assert str(err.value) == "mlinfra_gpu_base is 'auto'; use true or false"


def test_a_bad_value_fails_even_when_a_good_one_comes_first():
    with pytest.raises(ValueError) as err:
        _site_stages.site_stages({"base": True, "summary": "sure"}, H100_NODE)
    assert str(err.value) == "mlinfra_gpu_summary is 'sure'; use true or false"


def test_a_null_switch_is_refused():
    with pytest.raises(ValueError) as err:
        _site_stages.switch_value("cuda_toolkit", None)
    assert str(err.value) == ("mlinfra_gpu_cuda_toolkit is None; use true, false or auto "
                              "(auto: when an NVIDIA GPU is seen)")
