#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: container_runtime_plan
short_description: Decide what mlinfra.gpu.container_runtime installs and configures on a host
version_added: 0.1.0
description:
  - From the role's settings, the GPU facts and the platform's values, returns the engine's packages, whether the
    NVIDIA runtime and a CDI spec are wanted, whether the engine consumes CDI (Docker 25, Podman 4.1 and newer), and
    whether the C(/dev/char) fix applies (GPU hosts with cgroup v2, Docker or containerd, not in a container).
  - Source C(upstream) (Docker's own repository) also gives the repository to add (mirror, key URL and pinned
    fingerprint, by default Docker's C(9DC858229FC7DD38854AE2D88D81803C0EBFCD88)) and the package sets, each pinned
    at its own version (C(docker-ce) and C(docker-ce-cli) at the engine's, C(containerd.io) at its own, the plugins
    the newest).
  - Refuses, naming the value and what would work, an unknown engine, an engine not packaged on the platform from
    that source, a malformed version, a default runtime for Podman, and a switch between the distribution's Docker
    and Docker's own on a node that has the other installed (unless C(replace_engine)). Reads and changes nothing on
    the host.
author:
  - mlinfra.gpu maintainers (@mlinfra)
extends_documentation_fragment:
  - mlinfra.gpu.attributes.read_only
options:
  settings:
    description: C(engine), C(source), C(nvidia) (auto/true/false), C(engine_version), C(containerd_io_version),
      C(toolkit_version), C(default_runtime), C(installed) (names of the installed packages), C(replace_engine),
      C(docker_repo_url), C(docker_repo_key_url), C(docker_repo_key_fingerprint).
    type: dict
    required: true
  gpu_facts:
    description: GPU facts in the layout of C(ansible_facts.gpu) (mlinfra.gpu.gpu_facts).
    type: dict
    default: {}
  platform:
    description: C(name), C(os) (debian/ubuntu), C(codename), C(packages) (engine -> source -> names),
      C(engine_versions) (engine -> source -> the version that source offers), C(in_container), C(cgroup2).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Decide
  mlinfra.gpu.container_runtime_plan:
    settings: {engine: docker, source: distro, nvidia: auto}
    gpu_facts: "{{ ansible_facts.gpu }}"
    platform:
      name: Debian 13
      packages: {docker: {distro: [docker.io]}}
      engine_versions: {docker: {distro: "26.1"}}
  register: decision
"""

RETURN = r"""
plan:
  description: What the role does.
  returned: success
  type: dict
  sample:
    engine: docker
    source: distro
    packages: [docker.io]
    engine_version: ""
    package_sets: [{packages: [docker.io], version: ""}]
    replace: []
    repo: null
    nvidia: true
    toolkit_packages: [nvidia-container-toolkit, nvidia-container-toolkit-base, libnvidia-container-tools,
                       libnvidia-container1]
    toolkit_version: ""
    gpus: 1
    cdi_spec: true
    engine_cdi: true
    dev_char_fix: false
    service: docker
    config: /etc/docker/daemon.json
    config_version: 2
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlinfra.gpu.plugins.module_utils._runtime_plan import PlanError, choose


def main():
    module = AnsibleModule(
        argument_spec=dict(
            settings=dict(type="dict", required=True),
            gpu_facts=dict(type="dict", default={}),
            platform=dict(type="dict", required=True),
        ),
        supports_check_mode=True,
    )
    try:
        plan = choose(module.params["settings"], module.params["gpu_facts"], module.params["platform"])
    except PlanError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, plan=plan)


if __name__ == "__main__":
    main()
