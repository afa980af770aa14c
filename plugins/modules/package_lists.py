#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: package_lists
short_description: Whether the package manager can resolve packages yet (apt's downloaded package lists)
version_added: 0.1.0
description:
  - Reads the entries of O(lists_dir) and returns whether apt has downloaded any source's package index there.
    A node that never did (a fresh image) cannot resolve any package, so in check mode, where nothing is
    downloaded, the roles report what they would install instead of failing on an install they cannot plan.
  - On hosts whose package manager is not apt the answer is always RV(downloaded=true) (dnf fetches its metadata
    itself).
  - Reads and changes nothing else.
author:
  - mlinfra.gpu maintainers (@mlinfra)
extends_documentation_fragment:
  - mlinfra.gpu.attributes.read_only
options:
  lists_dir:
    description: apt's lists directory.
    type: path
    default: /var/lib/apt/lists
notes:
  - The collection's roles call it in check mode only, before their package installs.
"""

EXAMPLES = r"""
- name: Can apt resolve packages yet
  mlinfra.gpu.package_lists:
  register: lists
  when: ansible_check_mode

- name: Install the tools (reported instead in check mode on a node without package lists)
  ansible.builtin.apt:
    name: [xfsprogs]
  when: lists.downloaded | default(true)
"""

RETURN = r"""
downloaded:
  description: Whether a package index of any source is in O(lists_dir) (always true where apt is not used).
  returned: success
  type: bool
  sample: false
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mlinfra.gpu.plugins.module_utils._apt_state import lists_downloaded


def main():
    module = AnsibleModule(argument_spec=dict(lists_dir=dict(type="path", default="/var/lib/apt/lists")),
                           supports_check_mode=True)
    if not module.get_bin_path("apt-get"):
        module.exit_json(changed=False, downloaded=True)
    directory = module.params["lists_dir"]
    names = os.listdir(directory) if os.path.isdir(directory) else []
    module.exit_json(changed=False, downloaded=lists_downloaded(names))


if __name__ == "__main__":
    main()
