#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: apt_signed_repo
short_description: Add an apt repository whose signing key must have a pinned fingerprint
version_added: 0.1.0
description:
  - Fetches the repository's signing key from O(key_url), reads its primary fingerprint with
    C(gpg --with-colons --show-keys) (C(LANG=C), a throw-away home) and refuses it unless it is O(fingerprint);
    checks that the repository answers (its C(InRelease)); then writes the key to O(keyring) and a deb822 source
    O(source_file) signed by that keyring only.
  - Every failure names the URL that failed, the expected fingerprint and, through O(hint), the variable to set.
  - Does not refresh apt's lists; RV(update_cache) says whether the caller should (after a change, or when the
    repository's lists are missing, as after an interrupted run).
author:
  - mlinfra.gpu maintainers (@mlinfra)
attributes:
  check_mode:
    support: full
    description: Fetches and checks the key and probes the repository, writes nothing.
  diff_mode:
    support: full
    description: Shows the source file and the keyring's fingerprint before and after.
options:
  uri:
    description: Repository URI (V(http://), V(https://) or V(file://)).
    type: str
    required: true
  suites:
    description: Suites; V(/) for a flat repository such as NVIDIA's CUDA repository.
    type: list
    elements: str
    default: ["/"]
  components:
    description: Components (none for a flat repository).
    type: list
    elements: str
    default: []
  key_url:
    description: URL of the signing key (armored or binary OpenPGP).
    type: str
    required: true
  fingerprint:
    description: Fingerprint the key's primary key must have (40 hex digits, spaces allowed).
    type: str
    required: true
  keyring:
    description: Where the key goes; V(.asc) for an armored key, V(.gpg) for a binary one.
    type: path
    required: true
  source_file:
    description: The deb822 C(.sources) file to write.
    type: path
    required: true
  comment:
    description: First lines (comment) of the source file.
    type: str
    default: Managed by mlinfra.gpu
  hint:
    description: What the user can set, added to failure messages (for example the variable of a mirror URL).
    type: str
    default: ""
  timeout:
    description: Seconds for each request.
    type: int
    default: 30
notes:
  - Needs C(gpg) (package C(gnupg) or C(gpg)) on the host.
"""

EXAMPLES = r"""
- name: NVIDIA's CUDA repository for Debian 12
  mlinfra.gpu.apt_signed_repo:
    uri: https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/
    key_url: https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/3bf863cc.pub
    fingerprint: EB693B3035CD5710E231E123A4B469963BF863CC
    keyring: /etc/apt/keyrings/mlinfra-nvidia-cuda.asc
    source_file: /etc/apt/sources.list.d/mlinfra-nvidia-cuda.sources
  register: repo

- name: Refresh apt's lists when needed
  ansible.builtin.apt:
    update_cache: true
  when: repo.update_cache
"""

RETURN = r"""
fingerprint:
  description: The key's primary fingerprint (the pinned one).
  returned: success
  type: str
  sample: EB693B3035CD5710E231E123A4B469963BF863CC
update_cache:
  description: Whether apt's lists must be refreshed (a file changed, or the repository's lists are missing).
  returned: success
  type: bool
  sample: true
"""

import glob
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import fetch_url

from ansible_collections.mlinfra.gpu.plugins.module_utils import _apt_repo
from ansible_collections.mlinfra.gpu.plugins.module_utils._apt_state import C_LOCALE


class RepoError(Exception):
    pass


def _get(module, url, what):
    """Body of url (bytes); RepoError naming the URL and why."""
    if url.startswith("file://"):
        try:
            with open(url[len("file://"):], "rb") as handle:
                return handle.read()
        except (IOError, OSError) as exc:
            raise RepoError("cannot read the %s at %s: %s" % (what, url, exc))
    response, info = fetch_url(module, url, timeout=module.params["timeout"])
    if info.get("status") != 200 or response is None:
        raise RepoError("cannot fetch the %s from %s (%s)" % (
            what, url, info.get("msg") if info.get("status", -1) == -1 else "HTTP %s" % info.get("status")))
    return response.read()


def _fingerprints(module, key):
    gpg = module.get_bin_path("gpg")
    if not gpg:
        raise RepoError("gpg is not installed on the host (package gnupg); it is needed to check the key")
    home = tempfile.mkdtemp(prefix="mlinfra-gpg-")
    try:
        path = os.path.join(home, "key")
        with open(path, "wb") as handle:
            handle.write(key)
        rc, out, _err = module.run_command([gpg, "--homedir", home, "--batch", "--with-colons", "--show-keys", path],
                                           environ_update=C_LOCALE)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return _apt_repo.primary_fingerprints(out) if rc == 0 else []


def _read(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as handle:
        return handle.read()


def _write(module, path, content):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".")
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.chmod(tmp, 0o644)
    module.atomic_move(tmp, path)


def plan(module):
    p = module.params
    try:
        expected = _apt_repo.normalize_fingerprint(p["fingerprint"])
        _apt_repo.check_url(p["uri"], "repository URL")
        _apt_repo.check_url(p["key_url"], "key URL")
    except ValueError as exc:
        raise RepoError(str(exc))
    key = _get(module, p["key_url"], "signing key")
    found = _fingerprints(module, key)
    if found != [expected]:
        raise RepoError("the signing key at %s %s, expected %s. The key was not installed. If the publisher rotated "
                        "its key, check the new one and set the new fingerprint" % (
                            p["key_url"], "has fingerprint %s" % ", ".join(found) if found
                            else "is not an OpenPGP key (no fingerprint)", expected))
    armored = key.lstrip().startswith(_apt_repo.ARMOR)
    if armored != p["keyring"].endswith(".asc"):
        raise RepoError("the key at %s is %s, so keyring %s must end in %s" % (
            p["key_url"], "armored" if armored else "binary", p["keyring"], ".asc" if armored else ".gpg"))
    for suite in p["suites"]:
        if not p["uri"].startswith("file://"):
            _get(module, _apt_repo.release_url(p["uri"], suite), "repository's InRelease")
    source = _apt_repo.deb822(p["uri"], p["suites"], p["components"], p["keyring"], p["comment"]).encode("utf-8")
    return expected, key, source


def main():
    module = AnsibleModule(
        argument_spec=dict(
            uri=dict(type="str", required=True),
            suites=dict(type="list", elements="str", default=["/"]),
            components=dict(type="list", elements="str", default=[]),
            key_url=dict(type="str", required=True, no_log=False),
            fingerprint=dict(type="str", required=True),
            keyring=dict(type="path", required=True, no_log=False),
            source_file=dict(type="path", required=True),
            comment=dict(type="str", default="Managed by mlinfra.gpu"),
            hint=dict(type="str", default=""),
            timeout=dict(type="int", default=30),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        fingerprint, key, source = plan(module)
    except RepoError as exc:
        module.fail_json(msg="%s%s." % (exc, "; " + p["hint"] if p["hint"] else ""))
    old_key, old_source = _read(p["keyring"]), _read(p["source_file"])
    changed = old_key != key or old_source != source
    if changed and not module.check_mode:
        for path, content, old in ((p["keyring"], key, old_key), (p["source_file"], source, old_source)):
            if content != old:
                if not os.path.isdir(os.path.dirname(path)):
                    os.makedirs(os.path.dirname(path), 0o755)
                _write(module, path, content)
    lists = glob.glob(os.path.join("/var/lib/apt/lists", _apt_repo.list_prefix(p["uri"], p["suites"][0]) + "*Packages*"))
    result = dict(changed=changed, fingerprint=fingerprint, update_cache=changed or not lists)
    if module._diff:
        result["diff"] = [
            dict(before_header=p["source_file"], after_header=p["source_file"],
                 before=(old_source or b"").decode("utf-8", "replace"), after=source.decode("utf-8")),
            dict(before_header=p["keyring"], after_header=p["keyring"],
                 before="" if old_key is None else ("key %s\n" % fingerprint if old_key == key else "another key\n"),
                 after="key %s\n" % fingerprint),
        ]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
