"""Node acceptance tests (pytest-testinfra): what the collection's roles promise, checked on the nodes themselves.

Run against an Ansible inventory (the same one the roles were applied with):

    pytest tests/node --hosts='ansible://gpu_nodes' --ansible-inventory=inventory.yml -n 8 --dist loadgroup \
        --junitxml=node-tests.xml

Where the expected state comes from (one place, nothing copied into the tests):
- the role's variables as Ansible resolves them for the role: roles/<role>/defaults/main.yml, overridden by the
  host's inventory variables (testinfra's ``host.ansible.get_variables()``; a templated value is rendered by Ansible
  itself), overridden by the role's own vars (roles/<role>/vars/main.yml and the platform file the role loads);
- the roles' decisions, made by the same Python functions the roles call (plugins/module_utils), e.g. the driver
  branch and packages from ``_driver_plan.choose``;
- the host's facts (the setup module, subsets min and virtual) and, where a role decides from GPUs, the GPU facts
  the role itself used (its ``<role>_gpu_facts`` variable, else mlinfra.gpu.gpu_facts run on the host).

Which roles a host got: a host says it in its inventory, never through a file on the node (a role's marker file
that is missing would then skip the tests of a broken node instead of failing them):
- ``mlinfra_gpu_roles``: the list of roles applied to the host (playbooks of your own, Molecule scenarios), or else
- what playbooks/site.yml applies: its stage switches (``mlinfra_gpu_<stage>``, read with site.yml's own defaults
  from its play variable) decided by the filter site.yml uses (mlinfra.gpu.site_stages) from the host's GPU facts.
A test of a role the host did not get is skipped with that reason; so is a test that needs what the host lacks
(a GPU, its own kernel).

Adding a role: one file test_<role>.py that sets ``ROLE = "<role>"`` and whose tests take the fixture
``role_vars`` (the role's variables; the tests are skipped, with the reason, on hosts without the role) and
``node`` (see test_cuda.py). Each test's failure message starts with the host's name; after
the run, one line per host sums up the results (terminal summary; the JUnit XML carries the host of each test
as the property ``host``).
"""

import collections
import difflib
import json
import os
import pathlib
import tempfile

import pytest
import yaml

from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.mlinfra.gpu.plugins.module_utils import _host
from ansible_collections.mlinfra.gpu.plugins.module_utils import _site_stages

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLES = ROOT / "roles"
ROLES_VAR = "mlinfra_gpu_roles"
SWITCH_PREFIX = "mlinfra_gpu_"
SITE = ROOT / "playbooks" / "site.yml"
SITE_SWITCHES = "mlinfra_gpu__switches"
# site.yml's stages whose role has another name (stages without a role, gpu_facts and summary, have no tests)
STAGE_ROLES = {"base": "gpu_node_base"}
ROLE_NAMES = sorted(path.name for path in ROLES.iterdir() if (path / "tasks").is_dir())
SUMMARY_TITLE = "node summary (one line per host)"


def read_yaml(path):
    """A vars file's mapping ({} when the file does not exist)."""
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def platform_files(role, facts):
    """The role's vars files for this platform, in the order the roles load them: the first of <distribution>.yml
    and <os family>.yml (RedHat for the EL family), then <distribution>_<major>.yml."""
    vars_dir = ROLES / role / "vars"
    family = "RedHat" if facts.get("os_family") == "RedHat" else facts.get("os_family")
    first = [vars_dir / ("%s.yml" % name) for name in (facts.get("distribution"), family)]
    found = [path for path in first if path.is_file()][:1]
    release = vars_dir / ("%s_%s.yml" % (facts.get("distribution"), facts.get("distribution_major_version")))
    return found + ([release] if release.is_file() else [])


def merge_role_vars(role, inventory, facts):
    """The role's variables with Ansible's precedence: defaults < inventory < vars/main.yml < platform vars."""
    merged = dict(read_yaml(ROLES / role / "defaults" / "main.yml"))
    merged.update({key: value for key, value in inventory.items() if key.startswith(role + "_")})
    merged.update(read_yaml(ROLES / role / "vars" / "main.yml"))
    for path in platform_files(role, facts):
        merged.update(read_yaml(path))
    return merged


def site_switches():
    """playbooks/site.yml's stage switches: {stage: its expression, such as "mlinfra_gpu_nvidia_driver |
    default('auto')"}, read from the play's variable (one place for the stages and their defaults)."""
    with open(SITE, encoding="utf-8") as handle:
        plays = yaml.safe_load(handle)
    for play in plays:
        switches = (play.get("vars") or {}).get(SITE_SWITCHES)
        if switches:
            return {stage: str(value).strip()[2:-2].strip() for stage, value in switches.items()}
    raise pytest.UsageError("%s has no play variable %s" % (SITE, SITE_SWITCHES))


def applied_roles(inventory, site_stages):
    """(roles, why) for a host: its mlinfra_gpu_roles, else the roles of the stages playbooks/site.yml runs on it
    (site_stages: a callable returning {stage: runs}, the decision site.yml makes)."""
    if ROLES_VAR in inventory:
        listed = inventory[ROLES_VAR]
        if not isinstance(listed, list) or not all(isinstance(name, str) for name in listed):
            raise pytest.UsageError("%s must be a list of role names, got %r" % (ROLES_VAR, listed))
        unknown = sorted(name for name in listed if not (ROLES / name).is_dir())
        if unknown:
            raise pytest.UsageError("%s names roles this collection does not have: %s" % (ROLES_VAR, ", ".join(unknown)))
        return set(listed), ROLES_VAR
    roles = set(STAGE_ROLES.get(stage, stage) for stage, runs in site_stages().items() if runs)
    return set(role for role in roles if (ROLES / role).is_dir()), "playbooks/site.yml's stages, no %s" % ROLES_VAR


def _controller():
    """The controller as a testinfra host, where the ansible command runs (imported here: the floor's venv runs this
    file's pure rules, tests/unit/test_node_suite.py, without pytest-testinfra)."""
    import testinfra  # pylint: disable=import-outside-toplevel
    return testinfra.get_host("local://")


class Node:
    """One host of the inventory: its name, facts, role variables and the roles it got."""

    def __init__(self, host):
        self.host = host
        self.name = host.backend.host
        self.inventory = dict(host.ansible.get_variables())
        self.inventory = {key: self._render(key, value) for key, value in self.inventory.items()}
        gathered = self.ansible("ansible.builtin.setup", "gather_subset=min,virtual")
        self.facts = {key[len("ansible_"):] if key.startswith("ansible_") else key: value
                      for key, value in gathered["ansible_facts"].items()}
        self.in_container = _host.in_container(self.facts)
        self._gathered_gpu = None
        self._roles = None

    def ansible(self, module, args=None, **options):
        """Run an Ansible module against the host (not in check mode unless asked, with privileges when the inventory
        says ansible_become); fails naming the host. testinfra's own host.ansible is not used: it judges a result by
        its "failed" key, which the result ``ansible --tree`` writes no longer has (ansible-core 2.19), so a failed
        module would pass as a result; here ``ansible``'s exit status decides."""
        options.setdefault("check", False)
        options.setdefault("become", boolean(self.inventory.get("ansible_become", False), strict=False))
        runner = self.host.backend.ansible_runner
        cli, cli_args = runner.options_to_cli(options)
        with tempfile.TemporaryDirectory() as tree:
            command, argv = "ansible --tree %s -m %s", [tree, module]
            if runner.inventory_file:
                command, argv = command + " -i %s", argv + [runner.inventory_file]
            if args:
                command, argv = command + " --args %s", argv + [args]
            command, argv = "%s %s %%s" % (command, cli), argv + cli_args + [self.name]
            out = _controller().run(command, *argv)
            written = os.listdir(tree)
            result = {}
            if written:
                with open(os.path.join(tree, written[0]), encoding="utf-8") as handle:
                    result = json.load(handle)
        if out.rc != 0 or not written:
            pytest.fail("%s: %s %s failed (ansible's exit status %d): %s" % (
                self.name, module, args or "", out.rc, result.get("msg") or (out.stdout + out.stderr)[-3000:]))
        return result

    def _render(self, key, value):
        """A templated value of a role's or site.yml's variable (a string, or a list or mapping holding one),
        rendered by Ansible for this host (lookups, other variables); other variables (Molecule's, the user's own)
        are left as they are."""
        ours = key.startswith(SWITCH_PREFIX) or any(key.startswith(role + "_") for role in ROLE_NAMES)
        if not (ours and "{{" in json.dumps(value, default=str)):
            return value
        return self.ansible("ansible.builtin.debug", "var=%s" % key)[key]

    def role_vars(self, role):
        """The variables the role sees on this host (see merge_role_vars)."""
        return merge_role_vars(role, self.inventory, self.facts)

    def gpu_facts(self, given=None):
        """The GPU facts a role decides from: the facts given to it (its <role>_gpu_facts) when not empty, else the
        host's, gathered once with mlinfra.gpu.gpu_facts."""
        if given:
            return given
        if self._gathered_gpu is None:
            self._gathered_gpu = self.ansible("mlinfra.gpu.gpu_facts")["ansible_facts"]["gpu"]
        return self._gathered_gpu

    def _site_stages(self):
        """The stages playbooks/site.yml runs on the host: its switches as Ansible renders them for the host, decided
        by the filter site.yml uses (mlinfra.gpu.site_stages) from the host's GPU facts."""
        expression = ", ".join("%r: (%s)" % (stage, switch) for stage, switch in site_switches().items())
        switches = self.ansible("ansible.builtin.debug", "msg={{ {%s} }}" % expression)["msg"]
        try:
            return _site_stages.site_stages(switches, self.gpu_facts())
        except ValueError as exc:
            pytest.fail("%s: %s" % (self.name, exc))

    def roles(self):
        if self._roles is None:
            self._roles = applied_roles(self.inventory, self._site_stages)
        return self._roles

    def require(self, role):
        """Skip the calling test, with the reason, unless the host got the role."""
        roles, why = self.roles()
        if role not in roles:
            pytest.skip("%s: role %s not applied (%s: %s)" % (self.name, role, why, ", ".join(sorted(roles))))

    def template_drift(self, role, template, dest, role_vars, mode=0o644):
        """How dest on the host differs from the role's template as Ansible renders it for the host (the template
        lookup, with the role's variables and the host's facts): a diff, or "" when it is the same file."""
        lookup = "msg={{ lookup('ansible.builtin.template', '%s') }}" % (ROLES / role / "templates" / template)
        wanted = self.ansible("ansible.builtin.debug", lookup, extra_vars=dict(role_vars, ansible_facts=self.facts))["msg"]
        found = self.host.file(dest)
        if not found.exists:
            return "%s does not exist" % dest
        problems = ["owner %s, mode %o (expected root, %o)" % (found.user, found.mode, mode)] \
            if (found.user, found.mode) != ("root", mode) else []
        problems.extend(difflib.unified_diff(found.content_string.splitlines(), wanted.splitlines(),
                                             "on the host", "from the role", lineterm=""))
        return "\n".join(problems)

    def skip_in_container(self, what):
        if self.in_container:
            pytest.skip("%s: %s: a container has no kernel of its own (virtualization %s)"
                        % (self.name, what, self.facts.get("virtualization_type")))

    def run(self, *argv):
        """A command on the host with LANG=C; its CommandResult."""
        return self.host.run("env LANG=C LC_ALL=C " + " ".join(["%s"] * len(argv)), *argv)

    def check(self, condition, prop, detail):
        """Assert one property: the message names the host and the property."""
        assert condition, "%s: %s: %s" % (self.name, prop, detail)


_NODES = {}


def pytest_configure(config):
    hosts = config.getoption("hosts", None) or ""
    if not all(spec.strip().startswith("ansible://") for spec in hosts.split(",") if spec.strip()) or not hosts:
        raise pytest.UsageError(
            "tests/node reads what each host should be from an Ansible inventory: run it with "
            "--hosts='ansible://<pattern>' --ansible-inventory=<inventory> (docs/node_tests.md)")


@pytest.fixture(scope="module")
def node(host):
    """The host under test with its facts, role variables and roles (built once per host and process)."""
    key = (host.backend.host, host.backend.ansible_inventory)
    if key not in _NODES:
        _NODES[key] = Node(host)
    return _NODES[key]


@pytest.fixture(scope="module")
def role_vars(node, request):
    """The variables of the test module's role (its ROLE), once the host is known to have got the role (otherwise
    each test that uses them is skipped with the reason)."""
    node.require(request.module.ROLE)
    return node.role_vars(request.module.ROLE)


def _host_of(item):
    """The inventory name of the host a test item runs against (testinfra parametrizes _testinfra_host)."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    target = params.get("_testinfra_host")
    return getattr(getattr(target, "backend", None), "host", None)


def pytest_collection_modifyitems(config, items):
    """With pytest-xdist (-n N --dist loadgroup) all tests of one host run in one worker: hosts run in parallel and
    each worker gathers only its hosts' facts."""
    if config.pluginmanager.hasplugin("xdist"):
        for item in items:
            name = _host_of(item)
            if name is not None:
                item.add_marker(pytest.mark.xdist_group(name))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    name = _host_of(item)
    if name is not None and ("host", name) not in report.user_properties:
        report.user_properties.append(("host", name))


class Summary:
    """Per-host outcome counts, from the reports (also those xdist workers send)."""

    def __init__(self):
        self.counts = collections.defaultdict(collections.Counter)
        self.failed = collections.defaultdict(list)
        self.messages = collections.defaultdict(dict)

    def add(self, report):
        name = dict(report.user_properties).get("host")
        if name is None:
            return
        path, test = report.nodeid.split("::", 1)
        host_id = "ansible://" + name
        test = test.replace("[%s]" % host_id, "").replace("-" + host_id, "").replace(host_id + "-", "")
        test = "%s::%s" % (path.rsplit("/", 1)[-1], test)
        if report.when == "call" and report.passed:
            self.counts[name]["passed"] += 1
        elif report.skipped:
            self.counts[name]["skipped"] += 1
        elif report.failed:
            kind = "failed" if report.when == "call" else "error"
            self.counts[name][kind] += 1
            self.failed[name].append(test)
            crash = getattr(report.longrepr, "reprcrash", None)
            self.messages[name][test] = crash.message if crash is not None else str(report.longrepr or "")

    def lines(self):
        for name in sorted(self.counts):
            counts = self.counts[name]
            status = "FAIL" if counts["failed"] or counts["error"] else "OK"
            text = ", ".join("%d %s" % (counts[kind], kind) for kind in ("passed", "failed", "error", "skipped")
                             if counts[kind])
            failed = ("; failed: " + ", ".join(sorted(self.failed[name]))) if self.failed[name] else ""
            yield "node %s: %s: %s%s" % (name, status, text, failed)

    def hosts(self):
        """{host: {status, passed, skipped, failed: {test: its failure's message}}} (failed includes errors)."""
        return dict((name, {"status": "FAIL" if self.failed[name] else "OK", "passed": self.counts[name]["passed"],
                            "skipped": self.counts[name]["skipped"], "failed": dict(self.messages[name])})
                    for name in self.counts)


_SUMMARY = Summary()


def pytest_runtest_logreport(report):
    _SUMMARY.add(report)


def pytest_addoption(parser):
    parser.addoption("--node-summary", metavar="PATH", default=None,
                     help="write each host's results as JSON to PATH: {host: {status, passed, skipped, failed: "
                          "{test: message}}}")


def pytest_sessionfinish(session):
    path = session.config.getoption("node_summary", None)
    if path and not hasattr(session.config, "workerinput"):  # the controller, which has every host's reports
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(_SUMMARY.hosts(), handle, indent=2, sort_keys=True)


def pytest_terminal_summary(terminalreporter):
    lines = list(_SUMMARY.lines())
    if lines:
        terminalreporter.section(SUMMARY_TITLE)
        for line in lines:
            terminalreporter.write_line(line)
