"""galaxy-importer (the code behind Galaxy's and Automation Hub's collection import) on the built tarball, offline
(tests/integration/packaging/galaxy-importer.cfg says what it leaves to other stages and why)."""
import json
import os
import sys

import pytest

from conftest import ROOT, run

pytestmark = pytest.mark.integration
HERE = os.path.dirname(os.path.abspath(__file__))


def shipped_roles():
    roles = os.path.join(ROOT, "roles")
    return sorted(r for r in os.listdir(roles) if os.path.isfile(os.path.join(roles, r, "tasks", "main.yml")))


def shipped_plugins(kind):
    path = os.path.join(ROOT, "plugins", kind)
    return sorted(os.path.splitext(n)[0] for n in os.listdir(path)
                  if n.endswith((".py", ".yml")) and n != "__init__.py")


@pytest.fixture(scope="module")
def imported(tmp_path_factory, tarball):
    work = tmp_path_factory.mktemp("importer")  # it writes importer_result.json into its working directory
    proc = run([sys.executable, "-m", "galaxy_importer.main",
                str(tarball)], cwd=str(work),
               env={"GALAXY_IMPORTER_CONFIG": os.path.join(HERE, "galaxy-importer.cfg"),
                    "GALAXY_IMPORTER_TMP_ROOT_DIR": str(work)})
    return proc, json.loads((work / "importer_result.json").read_text()) if proc.returncode == 0 else None


def test_the_import_passes_without_errors(imported):
    proc, result = imported
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "Importer processing completed successfully" in output.splitlines()
    assert [line for line in output.splitlines() if line.startswith("ERROR")] == []
    assert result["requires_ansible"] == ">=2.16.0"


def test_every_role_has_its_readme(imported):
    result = imported[1]
    roles = {c["content_name"]: c for c in result["docs_blob"]["contents"] if c["content_type"] == "role"}
    assert sorted(roles) == shipped_roles()
    for name, role in roles.items():
        assert role["readme_file"] == "README.md"
        assert role["readme_html"].startswith("<h1>mlinfra.gpu.%s</h1>" % name)


def test_the_import_sees_every_plugin(imported):
    result = imported[1]
    found = {}
    for content in result["contents"]:
        found.setdefault(content["content_type"], []).append(content["name"])
    for kind in ("filter", "inventory", "modules", "module_utils"):
        assert sorted(found[kind.rstrip("s") if kind == "modules" else kind]) == shipped_plugins(kind)
