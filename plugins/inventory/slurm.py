# -*- coding: utf-8 -*-
# Copyright: contributors to mlinfra.gpu
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: slurm
short_description: Slurm nodes as inventory, grouped by GPU model, partition and state
version_added: 0.1.0
description:
  - Reads the nodes of a Slurm cluster through the REST API (C(slurmrestd), OpenAPI v0.0.37 to v0.0.42, that is
    Slurm 21.08 to 25.x) or through the C(scontrol) command (C(scontrol --json show node) where the Slurm version
    has it, else C(scontrol show node --oneliner)).
  - Parses the GRES of every node (C(gpu:a100:8), C(gpu:8), C(gpu:a100:8(S:0-1)), several types, other GRES) and
    sets C(gpu_count), C(gpu_models), C(gpu_vendor), C(gpu_memory_mib) (always null, Slurm does not know it).
  - Adds the groups C(gpu), C(gpu_<model>), C(slurm_<partition>) and C(slurm_<state>).
  - Hostvars C(slurm_partitions), C(slurm_state), C(slurm_state_flags), C(slurm_cpus), C(slurm_real_memory_mb),
    C(slurm_gres), C(slurm_reason), C(slurm_address), C(slurm_hostname).
  - Values from Slurm that could carry a template (a drain reason with C({) or C(}), for example) are marked unsafe
    and never templated; C(ansible_host), node names, numbers and other strings stay plain, so
    C(ansible-inventory --list) prints them as plain values (what AWX imports).
  - The inventory cache stores the raw response; hostvars are derived after reading it.
  - Configuration files must be named C(slurm.yml), C(slurm.yaml), or end in C(.slurm.yml) / C(.slurm.yaml).
author:
  - mlinfra.gpu maintainers (@mlinfra)
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin; it identifies the file as its configuration.
    required: true
    type: str
    choices: [mlinfra.gpu.slurm]
  source:
    description:
      - Where the nodes come from. C(rest) asks slurmrestd at O(url); C(cli) runs O(scontrol_path) on this machine.
    type: str
    choices: [rest, cli]
    default: rest
  url:
    description: Base URL of slurmrestd, for example C(http://slurm-head:6820). Needed when O(source=rest).
    type: str
    env:
      - name: SLURM_RESTD_URL
  user:
    description:
      - User name sent as C(X-SLURM-USER-NAME) with the token; the user the token was made for (the user that ran
        C(scontrol token), or C(username=) of C(scontrol token username=...)).
      - Needed when O(source=rest). There is no fallback to C($USER), which is often unset or another account in
        execution environments; without O(user) or C(SLURM_REST_USER) the plugin fails and names both.
    type: str
    env:
      - name: SLURM_REST_USER
  token:
    description:
      - JWT token for slurmrestd (C(scontrol token) prints one). Never printed by this plugin.
      - Also read from C(SLURM_JWT), in the C(SLURM_JWT=...) form C(scontrol token) prints or bare.
    type: str
    env:
      - name: SLURM_JWT
  api_version:
    description:
      - OpenAPI version of the node endpoint. C(auto) tries the newest first and moves on when slurmrestd
        answers 404.
    type: str
    choices: [auto, v0.0.42, v0.0.41, v0.0.40, v0.0.39, v0.0.38, v0.0.37]
    default: auto
  validate_certs:
    description: Verify the TLS certificate of an C(https) O(url).
    type: bool
    default: true
  timeout:
    description: Seconds to wait for slurmrestd or for C(scontrol).
    type: int
    default: 30
  retries:
    description:
      - How many times a slurmrestd request is tried again after a transient failure (connection reset, timeout,
        HTTP 502, 503 or 504). Other failures (refused connection, bad token, HTTP 4xx/500) are reported at once.
      - V(0) tries once.
    type: int
    default: 3
  retry_backoff:
    description: Seconds to wait before the first retry; each further retry waits twice as long as the one before.
    type: float
    default: 1.0
  retry_max_time:
    description:
      - Seconds that all tries of one request may take together; no retry starts that would wait past it. The
        error then names the URL, the number of attempts and the last failure.
    type: float
    default: 60
  scontrol_path:
    description: The C(scontrol) command used when O(source=cli).
    type: str
    default: scontrol
  slurm_conf:
    description: Path of C(slurm.conf) for O(source=cli) (sets C(SLURM_CONF) for C(scontrol)); default is Slurm's own.
    type: path
  cli_format:
    description:
      - Output that C(scontrol) is asked for. C(auto) uses C(--json) and falls back to the C(--oneliner) text when
        this Slurm does not have C(--json) (Slurm before 23.02).
    type: str
    choices: [auto, json, text]
    default: auto
  partitions:
    description: Keep only nodes in at least one of these partitions. Empty keeps all.
    type: list
    elements: str
    default: []
  states:
    description:
      - Keep only nodes whose C(slurm_state) is one of these (lower case, for example C(idle), C(mixed),
        C(allocated), C(drained), C(draining), C(down), C(unknown)). Empty keeps all.
    type: list
    elements: str
    default: []
  gpu_only:
    description: Keep only nodes with at least one GPU.
    type: bool
    default: false
  ansible_host:
    description:
      - What C(ansible_host) is set to. C(address) is the node address (C(NodeAddr)), C(hostname) is
        C(NodeHostName), C(name) is the node name, C(none) leaves C(ansible_host) unset.
    type: str
    choices: [address, hostname, name, none]
    default: address
"""

EXAMPLES = r"""
# cluster.slurm.yml -- slurmrestd with a token from the environment (SLURM_JWT)
plugin: mlinfra.gpu.slurm
url: http://slurm-head:6820
user: ansible
partitions: [gpu]
states: [idle, mixed]
keyed_groups:
  - key: slurm_cpus
    prefix: cpus

---
# local.slurm.yml -- scontrol on the controller, node names as ansible_host
plugin: mlinfra.gpu.slurm
source: cli
ansible_host: name
gpu_only: true
"""

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible_collections.mlinfra.gpu.plugins.plugin_utils._gpuhost import GpuInventoryMixin, gpu_groups, safe_token
from ansible_collections.mlinfra.gpu.plugins.plugin_utils._slurm import (
    SlurmCliClient,
    SlurmRestClient,
    SlurmSourceError,
    node_hostvars,
    nodes_from_raw,
)


class InventoryModule(GpuInventoryMixin, BaseInventoryPlugin, Constructable, Cacheable):

    NAME = "mlinfra.gpu.slurm"

    def verify_file(self, path):
        if not super(InventoryModule, self).verify_file(path):
            return False
        return path.endswith((".slurm.yml", ".slurm.yaml", "/slurm.yml", "/slurm.yaml")) or path in ("slurm.yml", "slurm.yaml")

    def _client(self):
        if self.get_option("source") == "cli":
            env = {}
            if self.get_option("slurm_conf"):
                env["SLURM_CONF"] = self.get_option("slurm_conf")
            self.SOURCE = "slurm inventory (scontrol)"
            return SlurmCliClient(self.get_option("scontrol_path"), self.get_option("cli_format"),
                                  timeout=self.get_option("timeout"), env=env)
        token = self.get_option("token") or ""
        if token.startswith("SLURM_JWT="):
            token = token[len("SLURM_JWT="):]
        self.SOURCE = "slurm inventory (slurmrestd %s)" % (self.get_option("url") or "<no url>")
        return SlurmRestClient(self.get_option("url"), self.get_option("user"), token.strip(),
                               api_version=self.get_option("api_version"), timeout=self.get_option("timeout"),
                               validate_certs=self.get_option("validate_certs"), retries=self.get_option("retries"),
                               retry_backoff=self.get_option("retry_backoff"),
                               retry_max_time=self.get_option("retry_max_time"))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache=cache)
        self._read_config_data(path)
        self.SOURCE = "slurm inventory"
        try:
            client = self._client()
            raw = self._cached_raw(path, cache, client.get_nodes)
            nodes = nodes_from_raw(raw)
        except SlurmSourceError as e:
            raise AnsibleParserError("%s: %s" % (self.SOURCE, e))
        self._populate(nodes)

    def _populate(self, nodes):
        partitions = set(self.get_option("partitions") or [])
        states = set(s.lower() for s in self.get_option("states") or [])
        gpu_only = self.get_option("gpu_only")
        host_from = self.get_option("ansible_host")
        for node in nodes:
            if partitions and not partitions.intersection(node["partitions"]):
                continue
            try:
                hostvars = node_hostvars(node)
            except SlurmSourceError as e:
                raise AnsibleParserError("%s: node %s: %s" % (self.SOURCE, node["name"], e))
            if states and hostvars["slurm_state"] not in states:
                continue
            if gpu_only and not hostvars["gpu_count"]:
                continue
            if host_from != "none":
                hostvars["ansible_host"] = node[host_from] or node["name"]
            groups = gpu_groups(hostvars)
            groups += ["slurm_" + safe_token(p) for p in node["partitions"]]
            groups.append("slurm_" + safe_token(hostvars["slurm_state"]))
            try:
                self._add_gpu_host(node["name"], hostvars, groups)
            except AnsibleError as e:
                raise AnsibleParserError("%s: node %s: %s" % (self.SOURCE, node["name"], e))
