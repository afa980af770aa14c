# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which stages of playbooks/site.yml run on a host: pure functions, no Ansible import.

Each stage has a switch ``mlinfra_gpu_<stage>`` (group_vars, host_vars or ``-e``): true, false, or auto for the
stages whose need depends on the hardware (the GPU facts of the host, ``ansible_facts.gpu``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def _nvidia_seen(gpu):
    return "nvidia" in (gpu.get("vendors") or [])


def _gpu_seen(gpu):
    return bool(gpu.get("count"))


# auto: what the stage needs to run. Stages without an entry accept only true and false.
AUTO = {
    "nvidia_driver": (_nvidia_seen, "an NVIDIA GPU is seen"),
    "cuda_toolkit": (_nvidia_seen, "an NVIDIA GPU is seen"),
    "container_runtime": (_gpu_seen, "a GPU is seen"),
}


def switch_value(stage, value):
    """A switch's value -> True, False or "auto"; ValueError naming the variable, the value and what works."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text == "auto" and stage in AUTO:
        return "auto"
    accepted = "true, false or auto (auto: when %s)" % AUTO[stage][1] if stage in AUTO else "true or false"
    raise ValueError("mlinfra_gpu_%s is %r; use %s" % (stage, value, accepted))


def site_stages(switches, gpu=None):
    """{stage: switch value} and the host's GPU facts -> {stage: whether it runs}, in the switches' order.

    Every switch is checked before any is decided, so that a bad value fails the run before any change.
    Without GPU facts (``None`` or ``{}``: not gathered yet), auto stages do not run.
    """
    values = [(stage, switch_value(stage, value)) for stage, value in switches.items()]
    gpu = gpu or {}
    return dict((stage, AUTO[stage][0](gpu) if value == "auto" else value) for stage, value in values)
