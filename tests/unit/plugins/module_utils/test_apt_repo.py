# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Signed apt repository helpers (_apt_repo) over real gpg output (tests/unit/fixtures/apt, see SOURCES.md)."""

from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _apt_repo as repo

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "apt")


def fixture(name):
    with open(os.path.join(FIX, name)) as handle:
        return handle.read()


@pytest.mark.parametrize("name, expected", [
    ("gpg-show-keys-standin.txt", ["7CE491B443A9155E7A93EBABA1576EF74BD60874"]),
    # revocation keys (rvk) and the signing subkey's fpr come around the primary's: only the primary counts
    ("gpg-show-keys-debian-bookworm-automatic.txt", ["B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8"]),
    ("gpg-show-keys-two-keys.txt", ["4D64FEC119C2029067D6E791F8D2585B8783D481",
                                    "41587F7DB8C774BCCF131416762F67A0B2C39DE4"]),
])
def test_primary_fingerprints_of_real_keys(name, expected):
    assert repo.primary_fingerprints(fixture(name)) == expected


def test_no_key_no_fingerprint():
    # gpg prints nothing on stdout for data that is not OpenPGP (an HTML error page, rc 2)
    assert repo.primary_fingerprints("") == []


@pytest.mark.parametrize("value, expected", [
    ("EB69 3B30 35CD 5710 E231  E123 A4B4 6996 3BF8 63CC", "EB693B3035CD5710E231E123A4B469963BF863CC"),
    ("eb693b3035cd5710e231e123a4b469963bf863cc", "EB693B3035CD5710E231E123A4B469963BF863CC"),
])
def test_normalize_fingerprint(value, expected):
    assert repo.normalize_fingerprint(value) == expected


@pytest.mark.parametrize("value", ["3BF863CC", "EB693B3035CD5710E231E123A4B469963BF863CCX", "", None,
                                   "GB693B3035CD5710E231E123A4B469963BF863CC"])
def test_bad_fingerprint(value):
    with pytest.raises(ValueError) as err:
        repo.normalize_fingerprint(value)
    assert str(err.value) == "fingerprint '%s' is not 40 hex digits (spaces allowed)" % value


@pytest.mark.parametrize("url", ["http://x/", "https://x/y", "file:///srv/repo"])
def test_good_urls(url):
    assert repo.check_url(url, "key URL") == url


@pytest.mark.parametrize("url", ["ftp://x/", "developer.download.nvidia.com/x", "", None, "http://"])
def test_bad_urls(url):
    with pytest.raises(ValueError) as err:
        repo.check_url(url, "key URL")
    assert str(err.value) == "key URL '%s' is not an http(s):// or file:// URL" % url


def test_deb822_flat():
    assert repo.deb822("http://m/cuda/repos/debian12/x86_64/", ["/"], [], "/etc/apt/keyrings/k.asc",
                       "Managed by x\nkey ABC") == (
        "# Managed by x\n# key ABC\nTypes: deb\nURIs: http://m/cuda/repos/debian12/x86_64/\nSuites: /\n"
        "Signed-By: /etc/apt/keyrings/k.asc\n")


def test_deb822_with_components():
    assert repo.deb822("https://download.docker.com/linux/debian", ["bookworm"], ["stable"], "/k.asc", "c") == (
        "# c\nTypes: deb\nURIs: https://download.docker.com/linux/debian\nSuites: bookworm\nComponents: stable\n"
        "Signed-By: /k.asc\n")


@pytest.mark.parametrize("uri, suite, expected", [
    ("http://127.0.0.1:18431/cuda/repos/debian12/x86_64/", "/", "http://127.0.0.1:18431/cuda/repos/debian12/x86_64/InRelease"),
    ("http://m/r", "/", "http://m/r/InRelease"),
    ("http://m/r", "sub/", "http://m/r/sub/InRelease"),
    ("https://download.docker.com/linux/debian/", "bookworm", "https://download.docker.com/linux/debian/dists/bookworm/InRelease"),
])
def test_release_url(uri, suite, expected):
    assert repo.release_url(uri, suite) == expected


@pytest.mark.parametrize("uri, suite, expected", [
    # names as apt wrote them in the Molecule containers (ls /var/lib/apt/lists)
    ("http://127.0.0.1:18431/cuda/repos/debian12/x86_64/", "/", "127.0.0.1:18431_cuda_repos_debian12_x86%5f64_"),
    ("https://user:pw@download.docker.com/linux/debian", "bookworm", "download.docker.com_linux_debian_dists_bookworm_"),
    ("http://m/r/", "sub/", "m_r_sub_"),
])
def test_list_prefix(uri, suite, expected):
    assert repo.list_prefix(uri, suite) == expected
