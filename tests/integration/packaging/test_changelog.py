"""The changelog is generated from the fragments by antsibull-changelog (scripts/changelog.sh): the fragments are
valid, and the next release's CHANGELOG.rst can be made in a copy without touching the checkout."""
import os
import subprocess

import pytest

from conftest import ROOT, galaxy_version, run

pytestmark = pytest.mark.integration


def fragments():
    return sorted(os.listdir(os.path.join(ROOT, "changelogs", "fragments")))


def test_the_fragments_are_valid():
    proc = run(["bash", os.path.join(ROOT, "scripts", "changelog.sh"), "lint"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_the_preview_is_the_next_release_and_leaves_the_checkout_alone(tmp_path):
    before = fragments()
    status = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "changelogs", "CHANGELOG.rst"],
                            capture_output=True, text=True, check=True).stdout
    proc = run(["bash", os.path.join(ROOT, "scripts", "changelog.sh"), "preview", str(tmp_path / "copy")],
               env={"CHANGELOG_DATE": "2026-01-02"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (tmp_path / "copy" / "ansible_collections" / "mlinfra" / "gpu" / "CHANGELOG.rst").read_text()
    version = "v%s" % galaxy_version()
    assert text.splitlines()[6:8] == [version, "=" * len(version)]
    # every module of the checkout is announced as new, by the short description of its documentation
    lines = text.splitlines()
    new_modules = lines[lines.index("New Modules") + 3:]
    modules = sorted(n[:-3] for n in os.listdir(os.path.join(ROOT, "plugins", "modules")) if n.endswith(".py"))
    assert [line.split(" - ")[0] for line in new_modules if line.startswith("- ")] == ["- " + m for m in modules]
    assert fragments() == before
    assert subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "changelogs", "CHANGELOG.rst"],
                          capture_output=True, text=True, check=True).stdout == status
