#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: container_runtime_config
short_description: Merge the NVIDIA runtime into Docker's daemon.json or containerd's configuration
version_added: 0.1.0
description:
  - O(engine=docker) merges the NVIDIA runtime (C(runtimes.nvidia)), optionally C(default-runtime) and
    C(features.cdi), then O(options) into O(path) (C(daemon.json)). Every other key, its value and the order of the
    keys stay; an absent file is created.
  - O(engine=containerd) writes the NVIDIA runtime and O(options) into the drop-in O(dropin) (the module's own file)
    and adds O(dropin) to the C(imports) of O(path) (C(config.toml)), edited with tomlkit so that the rest of the file
    stays as it was; an absent C(config.toml) is created with only C(version) and C(imports). containerd 1.x
    replaces a whole plugin section with an imported one, so the drop-in carries the C(config.toml) sections it
    touches, merged. It also replaces the CRI plugin's map of runtimes with a C(runtimes) table rather than adding to
    it, so the drop-in keeps the runtimes containerd has without it (C(runc)), that is the C(config.toml)'s own
    runtimes table, or else the default runtimes in the output of C(containerd config default), which the module
    runs.
  - A file that does not parse fails naming the file and the parser's message, and is left byte for byte.
author:
  - mlinfra.gpu maintainers (@mlinfra)
attributes:
  check_mode:
    support: full
    description: Computes the new files and reports them (with O(ignore:diff)), writes nothing.
  diff_mode:
    support: full
    description: Shows each file before and after.
options:
  engine:
    description: Which configuration to merge.
    type: str
    choices: [docker, containerd]
    required: true
  path:
    description: C(daemon.json) or C(config.toml).
    type: path
    required: true
  dropin:
    description: The drop-in file (O(engine=containerd)).
    type: path
    default: /etc/containerd/conf.d/99-mlinfra-nvidia.toml
  nvidia:
    description: Whether to add the NVIDIA runtime.
    type: bool
    default: true
  default_runtime:
    description: Make the NVIDIA runtime the default one.
    type: bool
    default: false
  cdi:
    description: Turn on CDI (C(features.cdi), Docker 25 or newer; O(engine=docker)).
    type: bool
    default: false
  runtime_binary:
    description: The NVIDIA runtime binary containerd runs (O(engine=containerd)).
    type: str
    default: /usr/bin/nvidia-container-runtime
  options:
    description: The user's settings, merged last (nested mappings merge, other values replace, V(null) removes).
    type: dict
    default: {}
  backup:
    description: Keep a copy of each file before changing it (RV(backups)), so that a caller can put it back when the
      engine does not start with the new configuration.
    type: bool
    default: false
  new_version:
    description: Configuration version of a C(config.toml) the module creates (2 for containerd 1.x, 3 for 2.x).
    type: int
    choices: [2, 3]
    default: 2
requirements:
  - tomlkit (Debian/Ubuntu package python3-tomlkit) for O(engine=containerd)
  - containerd installed, for O(engine=containerd) (in check mode a node without it is planned without the default
    runtimes, with a warning)
"""

EXAMPLES = r"""
- name: NVIDIA runtime and CDI in daemon.json, keeping the user's keys
  mlinfra.gpu.container_runtime_config:
    engine: docker
    path: /etc/docker/daemon.json
    cdi: true
    options:
      log-opts: {max-size: 10m}
  register: daemon_json

- name: NVIDIA runtime for containerd, as a drop-in
  mlinfra.gpu.container_runtime_config:
    engine: containerd
    path: /etc/containerd/config.toml
"""

RETURN = r"""
files:
  description: The files that changed (or would, in check mode).
  returned: success
  type: list
  elements: str
  sample: [/etc/docker/daemon.json]
backups:
  description: File -> its copy made before the change (O(backup); files that existed only).
  returned: success
  type: dict
  sample: {/etc/docker/daemon.json: /etc/docker/daemon.json.12345.2026-11-29@15:40:00~}
version:
  description: containerd's configuration version (O(engine=containerd)).
  returned: when O(engine=containerd)
  type: int
  sample: 2
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.mlinfra.gpu.plugins.module_utils import _runtime_config as rc


def _read(path):
    """Text of path, None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return to_text(handle.read(), errors="surrogate_or_strict")
    except IOError as exc:
        if not os.path.exists(path):
            return None
        raise rc.ConfigError("cannot read %s: %s" % (path, exc))


def _write(module, path, text):
    """Replace path atomically (an existing file keeps its owner and mode; a new one is 0644)."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    tmp = "%s.mlinfra-tmp" % path
    with open(tmp, "wb") as handle:
        handle.write(to_bytes(text))
    if not os.path.exists(path):
        os.chmod(tmp, 0o644)
    module.atomic_move(tmp, path)


def containerd_defaults(module):
    """The output of `containerd config default` (None in check mode before containerd is installed)."""
    binary = module.get_bin_path("containerd")
    if binary is None:
        if not module.check_mode:
            raise rc.ConfigError("containerd is not installed (no containerd in PATH): install it first, its default "
                                 "runtimes go into the drop-in")
        module.warn("containerd is not installed yet: the drop-in shown leaves out its default runtimes (runc), "
                    "which a run after installing it writes too")
        return None
    code, out, err = module.run_command([binary, "config", "default"], environ_update=dict(LANG="C", LC_ALL="C"))
    if code != 0:
        raise rc.ConfigError("%s config default failed (exit %d): %s" % (binary, code, err.strip()))
    return out


def plan(params, defaults=None):
    """[(path, before text or None, after text)] of the files that change; ConfigError on a bad file. defaults: the
    output of `containerd config default` (engine containerd)."""
    path = params["path"]
    before = _read(path)
    if params["engine"] == "docker":
        overlay = rc.docker_overlay(params["nvidia"], params["default_runtime"], params["cdi"], params["options"])
        after = rc.merge_daemon_json(before, path, overlay)
        return [] if after is None else [(path, before, after)], None
    dropin = params["dropin"]
    dropin_before = _read(dropin)

    def overlay_for(version):
        return rc.containerd_overlay(version, params["nvidia"], params["default_runtime"], params["runtime_binary"],
                                     params["options"])

    config, dropin_after, version = rc.plan_containerd(before, path, dropin_before, dropin, overlay_for,
                                                       params["new_version"], defaults)
    changes = []
    if dropin_after is not None:
        changes.append((dropin, dropin_before, dropin_after))
    if config is not None:
        changes.append((path, before, config))
    return changes, version


def main():
    module = AnsibleModule(
        argument_spec=dict(
            engine=dict(type="str", required=True, choices=["docker", "containerd"]),
            path=dict(type="path", required=True),
            dropin=dict(type="path", default="/etc/containerd/conf.d/99-mlinfra-nvidia.toml"),
            nvidia=dict(type="bool", default=True),
            default_runtime=dict(type="bool", default=False),
            cdi=dict(type="bool", default=False),
            runtime_binary=dict(type="str", default="/usr/bin/nvidia-container-runtime"),
            options=dict(type="dict", default={}),
            new_version=dict(type="int", default=2, choices=[2, 3]),
            backup=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    try:
        defaults = containerd_defaults(module) if module.params["engine"] == "containerd" else None
        changes, version = plan(module.params, defaults)
    except rc.ConfigError as exc:
        module.fail_json(msg="container_runtime_config: %s" % exc)
    backups = {}
    if not module.check_mode:
        # the drop-in first: config.toml only imports it once it exists
        for path, before, after in changes:
            if module.params["backup"] and before is not None:
                backups[path] = module.backup_local(path)
            _write(module, path, after)
    result = dict(changed=bool(changes), files=[path for path, _b, _a in changes], backups=backups,
                  diff=[dict(before_header=path, after_header=path, before=before or "", after=after)
                        for path, before, after in changes])
    if version is not None:
        result["version"] = version
    module.exit_json(**result)


if __name__ == "__main__":
    main()
