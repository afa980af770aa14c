"""mlinfra.gpu.ml_frameworks: each environment is the build the role decides for this host (its link points at the
build of the planned specification, and that build records it), it imports its framework at the asked version and
computes, on a GPU where the host has one for it; environments asked to be absent are gone; the optional Jupyter
kernels, modulefiles and profile snippet are there when switched on.

The plan comes from the role's own function (_frameworks_plan.plan) with the GPU facts the role decided from; the
environments are proved by the checker the role installs (mlinfra-env-check).
"""

import json

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _frameworks_plan

ROLE = "ml_frameworks"


@pytest.fixture(scope="module")
def plan(node, role_vars):
    if not role_vars["ml_frameworks_envs"]:
        pytest.skip("%s: ml_frameworks_envs is empty (the role does nothing)" % node.name)
    gpu = node.gpu_facts(role_vars["ml_frameworks_gpu_facts"])
    try:
        return _frameworks_plan.plan(role_vars["ml_frameworks_envs"], gpu, {}, role_vars["ml_frameworks_root"],
                                     str(role_vars["ml_frameworks_driver_version"] or ""))
    except _frameworks_plan.PlanError as exc:
        pytest.fail("%s: ml_frameworks variables: the role would refuse them: %s" % (node.name, exc))


def present(plan):
    return [env for env in plan["envs"] if env["state"] == "present"]


def test_root_directory(node, role_vars, plan):
    root = node.host.file(role_vars["ml_frameworks_root"])
    want = (role_vars["ml_frameworks_owner"], role_vars["ml_frameworks_group"],
            "%04o" % int(str(role_vars["ml_frameworks_mode"]), 8))
    have = (root.user, root.group, "%04o" % root.mode) if root.is_directory else None
    node.check(have == want, "environments root %s" % role_vars["ml_frameworks_root"],
               "owner, group, mode %s (expected %s)" % (have, want))


def test_environment_links(node, role_vars, plan):
    """<root>/<name> links to the build of the planned specification (<root>/.<name>.<hash>), which records it."""
    root = role_vars["ml_frameworks_root"].rstrip("/")
    wrong = {}
    for env in present(plan):
        build = "%s/.%s.%s" % (root, env["name"], env["spec_hash"][:12])
        link = node.host.file(env["path"])
        spec = node.host.file("%s/%s" % (build, role_vars["ml_frameworks__spec"]))
        if not (link.is_symlink and link.linked_to == build):
            wrong[env["name"]] = "%s links to %s, expected %s" % (env["path"], link.linked_to if link.is_symlink
                                                                  else "nothing (not a link)", build)
        elif not (spec.exists and json.loads(spec.content_string).get("spec_hash") == env["spec_hash"]):
            wrong[env["name"]] = "%s does not record spec hash %s" % (spec.path, env["spec_hash"])
    node.check(wrong == {}, "environments", wrong)


def test_environments_work(node, role_vars, plan):
    """mlinfra-env-check: each environment computes, with its framework at the asked version, on a GPU when the
    plan expects one."""
    names = [env["name"] for env in present(plan)]
    if not names:
        pytest.skip("%s: every environment is asked to be absent" % node.name)
    checked = node.run(role_vars["ml_frameworks__checker"], "--root", role_vars["ml_frameworks_root"], *names)
    try:
        reports = {report["env"]: report for report in json.loads(checked.stdout)}
    except ValueError:
        reports = {}
    node.check(sorted(reports) == sorted(names), "mlinfra-env-check",
               "rc %d, no report of %s: %s %s" % (checked.rc, names, checked.stdout[-2000:], checked.stderr[-2000:]))
    wrong = {}
    for env in present(plan):
        report = reports[env["name"]]
        version = str(report.get("version") or "")
        got = (report.get("framework"), report["computation"].get("ok"), report.get("gpu"))
        if got != (env["framework"], True, env["expect_gpu"]) or not (
                env["framework"] == "none" or not env["version"] or version == env["version"]
                or version.startswith(env["version"] + ".")):
            wrong[env["name"]] = "framework %s %s computes %s, GPU %s (expected %s %s, True, GPU %s): %s" % (
                got[0], version, got[1], got[2], env["framework"], env["version"] or "any", env["expect_gpu"],
                report.get("error"))
    node.check(wrong == {}, "environments work", wrong)


def test_absent_environments_gone(node, plan):
    absent = [env for env in plan["envs"] if env["state"] == "absent"]
    if not absent:
        pytest.skip("%s: no environment is asked to be absent" % node.name)
    left = [env["path"] for env in absent if node.host.file(env["path"]).exists]
    node.check(left == [], "absent environments", "still there: %s" % ", ".join(left))


@pytest.mark.parametrize("switch, path", [
    ("ml_frameworks_jupyter_kernels", "{ml_frameworks_jupyter_dir}/mlinfra-{name}/kernel.json"),
    ("ml_frameworks_modulefiles", "{ml_frameworks_modulefiles_dir}/{name}.lua"),
    ("ml_frameworks_profile_snippet", "/etc/profile.d/mlinfra-envs.sh"),
])
def test_extras(node, role_vars, plan, switch, path):
    """The Jupyter kernel and modulefile of each environment, and the profile snippet, when switched on."""
    if not role_vars[switch]:
        pytest.skip("%s: %s is false" % (node.name, switch))
    paths = sorted(set(path.format(name=env["name"], **role_vars) for env in present(plan)))
    missing = [found for found in paths if not node.host.file(found).is_file]
    node.check(missing == [], switch, "missing: %s" % ", ".join(missing))
