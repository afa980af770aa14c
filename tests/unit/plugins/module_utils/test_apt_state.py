# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""apt-cache policy / dpkg-query parsers over real outputs (tests/unit/fixtures/apt, see SOURCES.md)."""

from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _apt_state as st

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "apt")
REPO = "http://127.0.0.1:18439/cuda/repos/debian12/x86_64"


def fixture(name):
    with open(os.path.join(FIX, name)) as handle:
        return handle.read()


def test_policy_of_debian12_with_the_standin_repository_and_an_installed_held_package():
    policy = st.parse_policy(fixture("debian12-policy-repo-installed.C.txt"))
    assert list(policy) == ["nvidia-driver-cuda", "nvidia-smi", "nvidia-kernel-open-dkms", "nvidia-kernel-dkms",
                            "libcuda1", "nvidia-persistenced", "nvidia-fabricmanager", "nvidia-fabricmanager-535"]
    assert policy["nvidia-smi"] == {
        "installed": "535.274.02-1", "candidate": "580.95.05-1",
        "versions": [
            {"version": "580.95.05-1", "priority": 500, "urls": [REPO], "installed": False},
            {"version": "535.309.01-0+deb12u1", "priority": 500,
             "urls": ["http://deb.debian.org/debian-security"], "installed": False},
            {"version": "535.274.02-1", "priority": 500, "urls": [REPO, "/var/lib/dpkg/status"], "installed": True},
            {"version": "535.261.03-1", "priority": 500, "urls": ["http://deb.debian.org/debian"], "installed": False},
        ]}
    assert policy["nvidia-driver-cuda"]["installed"] is None


def test_policy_of_debian13_distro_packages():
    policy = st.parse_policy(fixture("debian13-policy-distro.C.txt"))
    assert dict((name, entry["candidate"]) for name, entry in policy.items()) == {
        "nvidia-smi": "550.163.01-2", "nvidia-kernel-dkms": "550.163.01-2", "nvidia-open-kernel-dkms": "550.163.01-2",
        "firmware-nvidia-gsp": "550.163.01-2", "libcuda1": "550.163.01-2", "nvidia-persistenced": "550.163.01-1",
        "nvidia-driver": "550.163.01-2"}
    assert policy["nvidia-open-kernel-dkms"]["versions"][0]["urls"] == ["http://deb.debian.org/debian"]


@pytest.mark.parametrize("release", ["12", "13"])
def test_a_package_apt_does_not_know_is_absent(release):
    policy = st.parse_policy(fixture("debian%s-policy-unknown.C.txt" % release))
    assert list(policy) == ["nvidia-smi"]


def test_policy_of_the_repository_before_anything_is_installed():
    policy = st.parse_policy(fixture("debian13-policy-repo.C.txt"))
    assert [v["version"] for v in policy["nvidia-smi"]["versions"]] == ["580.95.05-1", "550.163.01-2", "535.274.02-1"]
    assert policy["nvidia-fabricmanager-535"]["versions"][0]["version"] == "535.274.02-1"


@pytest.mark.parametrize("name", ["debian12-policy-repo-installed.de_DE.txt", "debian13-policy-repo-installed.de_DE.txt",
                                  "debian12-policy-repo-installed.fr_FR.txt", "debian13-policy-repo-installed.fr_FR.txt"])
def test_translated_policy_output_is_refused_not_misread(name):
    with pytest.raises(ValueError) as err:
        st.parse_policy(fixture(name))
    assert "not the C-locale format; run it with LANG=C" in str(err.value)


def test_policy_block_without_its_fields_is_refused():
    with pytest.raises(ValueError) as err:
        st.parse_policy("nvidia-smi:\n  Candidate: 1-1\n  Version table:\n")
    assert str(err.value) == ("apt-cache policy output for nvidia-smi lacks Installed:, Candidate: or Version table: "
                              "(not the C-locale format; run it with LANG=C)")


def test_policy_text_before_a_package_is_refused():
    with pytest.raises(ValueError) as err:
        st.parse_policy("N: Unable to locate package x\n")
    assert str(err.value).startswith("unexpected apt-cache policy output at line 1: 'N: Unable to locate package x'")


def test_policy_version_line_before_the_table_is_refused():
    with pytest.raises(ValueError) as err:
        st.parse_policy("p:\n  Installed: (none)\n     1.0-1 500\n")
    assert str(err.value).startswith("unexpected apt-cache policy output at line 3")


def test_policy_source_line_before_a_version_is_refused():
    with pytest.raises(ValueError) as err:
        st.parse_policy("p:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n        500 http://x/ a\n")
    assert str(err.value).startswith("unexpected apt-cache policy output at line 5")


def test_policy_negative_priority_and_empty_lines():
    policy = st.parse_policy("p:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n\n     1.0-1 -1\n"
                             "        500 http://x/ a Packages\n")
    assert policy == {"p": {"installed": None, "candidate": None, "versions": [
        {"version": "1.0-1", "priority": -1, "urls": ["http://x/"], "installed": False}]}}


@pytest.mark.parametrize("release", ["12", "13"])
def test_dpkg_query_of_an_installed_and_held_branch(release):
    assert st.parse_dpkg_query(fixture("debian%s-dpkg-query.C.txt" % release)) == {
        "libnvidia-ml1": {"version": "535.274.02-1", "want": "install", "installed": True, "held": False},
        "nvidia-persistenced": {"version": "535.274.02-1", "want": "install", "installed": True, "held": False},
        "nvidia-smi": {"version": "535.274.02-1", "want": "hold", "installed": True, "held": True},
    }


def test_dpkg_query_in_german_gives_the_same_words_and_stderr_is_not_mistaken_for_a_package():
    lines = fixture("debian12-dpkg-query.de_DE.txt").splitlines()
    stdout = "\n".join(line for line in lines if "\t" in line)
    assert st.parse_dpkg_query(stdout) == st.parse_dpkg_query(fixture("debian12-dpkg-query.C.txt"))
    with pytest.raises(ValueError) as err:
        st.parse_dpkg_query("\n".join(lines))
    assert "unexpected dpkg-query output at line 1: 'dpkg-query: Kein Paket gefunden" in str(err.value)


@pytest.mark.parametrize("line", ["a\t1\tinstall", "a\t1\tinstalled installed", "a\t1", "a\t1\thold ok installed"])
def test_dpkg_query_odd_lines_are_refused(line):
    with pytest.raises(ValueError) as err:
        st.parse_dpkg_query(line + "\n")
    assert str(err.value).startswith("unexpected dpkg-query output at line 1")


@pytest.mark.parametrize("status, installed", [
    ("not-installed", False), ("config-files", False), ("installed", True), ("half-configured", True),
    ("unpacked", True)])
def test_dpkg_query_statuses(status, installed):
    assert st.parse_dpkg_query("p\t1-1\tdeinstall %s\n" % status)["p"]["installed"] is installed


@pytest.mark.parametrize("version, expected", [
    ("1:580.95.05-1", "580.95.05"), ("580.95.05-1", "580.95.05"), ("535.309.01-0+deb12u1", "535.309.01"),
    ("580.95.05", "580.95.05"), ("2.26.2-1+cuda12.8", "2.26.2"), (None, None)])
def test_upstream(version, expected):
    assert st.upstream(version) == expected


@pytest.mark.parametrize("version, branch, expected", [
    ("580.95.05-1", "580", True), ("1:580.95.05-1", 580, True), ("5800.1-1", "580", False),
    ("535.274.02-1", "580", False), (None, "580", False), ("580-1", "580", False)])
def test_in_branch(version, branch, expected):
    assert st.in_branch(version, branch) is expected


@pytest.mark.parametrize("urls, include, exclude, expected", [
    ([REPO], None, None, True),
    (["/var/lib/dpkg/status"], None, None, False),
    ([REPO], REPO + "/", None, True),
    ([REPO], "http://127.0.0.1:18439/cuda/repos/debian13/x86_64", None, False),
    ([REPO + "x"], REPO, None, False),
    ([REPO + "/sub"], REPO, None, True),
    ([REPO], None, REPO, False),
    (["http://deb.debian.org/debian", REPO], None, REPO, True),
    (["http://deb.debian.org/debian"], REPO, None, False),
])
def test_from_source(urls, include, exclude, expected):
    assert st.from_source(urls, include, exclude) is expected


def test_c_locale():
    assert st.C_LOCALE == {"LANG": "C", "LC_ALL": "C", "LANGUAGE": "C"}
    assert st.DPKG_FORMAT == "${Package}\\t${Version}\\t${db:Status-Want} ${db:Status-Status}\\n"


@pytest.mark.parametrize("fixture, downloaded", [
    ("debian12-lists-fresh.txt", False),
    ("debian13-lists-fresh.txt", False),
    ("debian12-lists-updated.txt", True),
    ("debian13-lists-updated.txt", True),
    ("host-debian12-lists-lz4.txt", True),
])
def test_lists_downloaded_over_recorded_listings(fixture, downloaded):
    with open(os.path.join(FIX, fixture), encoding="utf-8") as handle:
        names = handle.read().split()
    assert st.lists_downloaded(names) is downloaded


def test_lists_without_a_package_index_are_not_downloaded():
    """What is left after an update that fetched only the release files and translations (made by hand from the
    updated listing)."""
    names = ["auxfiles", "lock", "partial", "deb.debian.org_debian_dists_bookworm_InRelease",
             "deb.debian.org_debian_dists_bookworm_main_i18n_Translation-en",
             "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.diff_Index_broken-"]
    assert st.lists_downloaded(names) is False
