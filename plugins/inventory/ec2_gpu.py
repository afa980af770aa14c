# -*- coding: utf-8 -*-
# Copyright: contributors to mlinfra.gpu
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: ec2_gpu
short_description: EC2 instances as inventory, with the GPUs of their instance type
version_added: 0.1.0
description:
  - Lists EC2 instances (paginated) in one or more regions and joins each with the C(GpuInfo) of its instance type
    from C(DescribeInstanceTypes), fetched once per instance type and region, not per instance.
  - Sets C(gpu_count), C(gpu_models) (normalised, for example C(a100), C(h100), C(a10g), C(l40s)), C(gpu_vendor),
    C(gpu_memory_mib) (per GPU) and C(ec2_*) hostvars (instance id, type, region, zone, state, addresses, tags,
    vCPUs, memory).
  - Adds the groups C(gpu) and C(gpu_<model>); use O(keyed_groups) for more (tags, instance type, region).
  - Values from EC2 that could carry a template (a tag value with C({) or C(}), for example) are marked unsafe and
    never templated; C(ansible_host), addresses, ids, numbers and other strings stay plain, so
    C(ansible-inventory --list) prints them as plain values (what AWX imports).
  - Credentials come from the usual boto3 chain (environment, profile, instance role) or the options below, and are
    never printed. Throttled calls are retried with backoff by botocore's retry handler (O(retry_mode),
    O(max_attempts)); after the last attempt the inventory fails naming the region, the call and the error code.
  - The inventory cache stores the raw instance and instance type data; hostvars are derived after reading it.
  - Configuration files must end in C(.ec2_gpu.yml) or C(.ec2_gpu.yaml).
author:
  - mlinfra.gpu maintainers (@mlinfra)
requirements:
  - boto3
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin; it identifies the file as its configuration.
    required: true
    type: str
    choices: [mlinfra.gpu.ec2_gpu]
  regions:
    description: Regions to list. Empty uses the region of the boto3 session (C(AWS_DEFAULT_REGION), profile).
    type: list
    elements: str
    default: []
  filters:
    description:
      - EC2 C(DescribeInstances) filters, name to value or list of values, for example C(instance-type), C(vpc-id).
    type: dict
    default: {}
  tags:
    description: Keep instances with these tags; tag key to value or list of values (C(tag:<key>) filters).
    type: dict
    default: {}
  instance_states:
    description: Instance states to list. Ignored when O(filters) has C(instance-state-name).
    type: list
    elements: str
    default: [pending, running, stopping, stopped]
  gpu_only:
    description: Keep only instances whose type has GPUs.
    type: bool
    default: false
  hostnames:
    description:
      - Inventory host name, the first of these that the instance has. C(tag:<key>) uses a tag value.
      - Choices are C(instance-id), C(private-dns-name), C(public-dns-name), C(private-ip-address),
        C(public-ip-address) and C(tag:<key>).
    type: list
    elements: str
    default: [instance-id]
  ansible_host:
    description:
      - C(ansible_host) is the first of these that the instance has (same choices as O(hostnames)). Empty leaves it
        unset.
    type: list
    elements: str
    default: [public-ip-address, private-ip-address]
  endpoint_url:
    description: EC2 endpoint URL, for private (VPC) endpoints or a test server.
    type: str
    env:
      - name: AWS_ENDPOINT_URL_EC2
  aws_profile:
    description: Named profile of the AWS config files.
    type: str
    aliases: [profile]
  aws_access_key_id:
    description: AWS access key. Default is the boto3 chain.
    type: str
  aws_secret_access_key:
    description: AWS secret key. Default is the boto3 chain.
    type: str
  aws_session_token:
    description: AWS session token for temporary credentials.
    type: str
  retry_mode:
    description: botocore retry mode; both back off on throttling, C(adaptive) also rate-limits the client.
    type: str
    choices: [adaptive, standard, legacy]
    default: adaptive
  max_attempts:
    description:
      - Requests per API call, the first one included, before a throttled or failed call is an error (botocore's
        C(total_max_attempts)).
    type: int
    default: 10
  timeout:
    description: Connect and read timeout of each API call, in seconds.
    type: int
    default: 60
  fast_parser:
    description:
      - Read C(DescribeInstances) responses with this plugin's own XML reader (a botocore C(before-parse) hook)
        instead of botocore's generic parser, which is most of the client time on large accounts. Both give the
        same hostvars.
      - The reader only runs on the botocore versions it was tested with (1.35.16 to 1.44); on others, and for any
        page it does not expect, botocore's parser is used and C(-vvv) says why.
      - Set to V(false) to always use botocore's parser.
    type: bool
    default: true
"""

EXAMPLES = r"""
# gpus.ec2_gpu.yml -- running GPU instances in two regions, grouped by instance type and team tag
plugin: mlinfra.gpu.ec2_gpu
regions: [us-east-1, us-west-2]
instance_states: [running]
gpu_only: true
tags:
  cluster: training
hostnames: [tag:Name, private-dns-name, instance-id]
keyed_groups:
  - key: ec2_instance_type
    prefix: type
  - key: ec2_tags.team | default('none')
    prefix: team
compose:
  gpu_total_memory_mib: gpu_count * (gpu_memory_mib or 0)
"""

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display
from ansible_collections.mlinfra.gpu.plugins.plugin_utils._ec2 import (
    HOST_FIELDS,
    Ec2GpuSource,
    Ec2SourceError,
    instance_hostvars,
    pick,
)
from ansible_collections.mlinfra.gpu.plugins.plugin_utils._gpuhost import GpuInventoryMixin, gpu_groups

display = Display()


class InventoryModule(GpuInventoryMixin, BaseInventoryPlugin, Constructable, Cacheable):

    NAME = "mlinfra.gpu.ec2_gpu"
    SOURCE = "ec2_gpu inventory"

    def verify_file(self, path):
        if not super(InventoryModule, self).verify_file(path):
            return False
        return path.endswith((".ec2_gpu.yml", ".ec2_gpu.yaml"))

    def _check_preferences(self, option):
        values = self.get_option(option) or []
        for value in values:
            if value not in HOST_FIELDS and not (value.startswith("tag:") and len(value) > 4):
                raise AnsibleParserError("%s: option %s: unknown value %r (use one of %s or tag:<key>)"
                                         % (self.SOURCE, option, value, ", ".join(sorted(HOST_FIELDS))))
        return values

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache=cache)
        self._read_config_data(path)
        hostnames = self._check_preferences("hostnames")
        if not hostnames:
            raise AnsibleParserError("%s: option hostnames must not be empty" % self.SOURCE)
        host_from = self._check_preferences("ansible_host")
        if self.get_option("max_attempts") < 1 or self.get_option("timeout") < 1:
            raise AnsibleParserError("%s: max_attempts and timeout must be at least 1" % self.SOURCE)
        source = Ec2GpuSource(
            self.get_option("regions"),
            filters=self.get_option("filters"),
            tags=self.get_option("tags"),
            states=self.get_option("instance_states"),
            endpoint_url=self.get_option("endpoint_url"),
            credentials={
                "profile_name": self.get_option("aws_profile"),
                "aws_access_key_id": self.get_option("aws_access_key_id"),
                "aws_secret_access_key": self.get_option("aws_secret_access_key"),
                "aws_session_token": self.get_option("aws_session_token"),
            },
            max_attempts=self.get_option("max_attempts"),
            retry_mode=self.get_option("retry_mode"),
            timeout=self.get_option("timeout"),
            fast_parse=self.get_option("fast_parser"),
            log=display.vvv,
        )
        try:
            raw = self._cached_raw(path, cache, source.fetch)
        except Ec2SourceError as e:
            raise AnsibleParserError("%s: %s" % (self.SOURCE, e))
        self._populate(raw, hostnames, host_from)

    def _populate(self, raw, hostnames, host_from):
        if not isinstance(raw, dict) or not isinstance(raw.get("regions"), dict):
            raise AnsibleParserError("%s: unknown raw data (cache from another version?)" % self.SOURCE)
        gpu_only = self.get_option("gpu_only")
        for region, data in raw["regions"].items():
            types = data.get("instance_types") or {}
            for instance in data.get("instances") or []:
                hostvars = instance_hostvars(instance, region, types.get(instance.get("InstanceType")))
                if gpu_only and not hostvars["gpu_count"]:
                    continue
                name = pick(instance, hostvars["ec2_tags"], hostnames) or instance.get("InstanceId")
                address = pick(instance, hostvars["ec2_tags"], host_from) if host_from else None
                if address:
                    hostvars["ansible_host"] = address
                try:
                    self._add_gpu_host(name, hostvars, gpu_groups(hostvars))
                except AnsibleError as e:
                    raise AnsibleParserError("%s: instance %s: %s" % (self.SOURCE, instance.get("InstanceId"), e))
