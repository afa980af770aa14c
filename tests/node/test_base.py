"""mlinfra.gpu.gpu_node_base: packages, package sources, kernel parameters, limits, time, CA certificates."""

import pytest

ROLE = "gpu_node_base"
SYSCTL_FILE = "/etc/sysctl.d/90-mlinfra-gpu.conf"
LIMITS_FILE = "/etc/security/limits.d/90-mlinfra-gpu.conf"
SYSTEMD_LIMITS_FILE = "/etc/systemd/system.conf.d/90-mlinfra-gpu.conf"
# ulimit options of the limits.conf items a login can show
ULIMIT = {"memlock": "-l", "nofile": "-n", "stack": "-s"}
# the bundle the CA tools of each family rebuild
CA_BUNDLE = {"Debian": "/etc/ssl/certs/ca-certificates.crt", "RedHat": "/etc/pki/tls/certs/ca-bundle.crt"}


def test_packages_installed(node, role_vars):
    wanted = (role_vars["gpu_node_base__base_packages"]
              + (role_vars["gpu_node_base__build_packages"] if role_vars["gpu_node_base_build_tools"] else [])
              + ([role_vars["gpu_node_base__chrony_package"]] if role_vars["gpu_node_base_time_sync"] else [])
              + list(role_vars["gpu_node_base_extra_packages"]))
    missing = [name for name in wanted if not node.host.package(name).is_installed]
    node.check(missing == [], "base packages", "not installed: %s" % ", ".join(missing))


def test_package_sources_file(node, role_vars):
    if not role_vars["gpu_node_base_manage_sources"]:
        pytest.skip("%s: gpu_node_base_manage_sources is false" % node.name)
    if not role_vars.get("gpu_node_base__sources_file"):
        pytest.skip("%s: the package sources of %s are repositories (EPEL, CRB), not a file"
                    % (node.name, node.facts["distribution"]))
    drift = node.template_drift(ROLE, role_vars["gpu_node_base__sources_template"], role_vars["gpu_node_base__sources_file"], role_vars)
    node.check(drift == "", "package sources file %s" % role_vars["gpu_node_base__sources_file"], drift)


def test_sysctl_file(node, role_vars):
    drift = node.template_drift(ROLE, "sysctl.conf.j2", SYSCTL_FILE, role_vars)
    node.check(drift == "", "kernel parameters file %s" % SYSCTL_FILE, drift)


def test_sysctl_applied(node, role_vars):
    node.skip_in_container("kernel parameters in effect")
    if str(role_vars["gpu_node_base_sysctl_apply"]).lower() in ("false", "no", "0"):
        pytest.skip("%s: gpu_node_base_sysctl_apply is false" % node.name)
    wanted = dict(role_vars["gpu_node_base_sysctl"], **role_vars["gpu_node_base_sysctl_extra"])
    live = {key: " ".join(node.run("sysctl", "-n", key).stdout.split()) for key in wanted}
    wrong = {key: value for key, value in live.items() if value != " ".join(str(wanted[key]).split())}
    node.check(wrong == {}, "kernel parameters in effect", "differ from gpu_node_base_sysctl: %s" % wrong)


def test_limits_file(node, role_vars):
    drift = node.template_drift(ROLE, "limits.conf.j2", LIMITS_FILE, role_vars)
    node.check(drift == "", "limits file %s" % LIMITS_FILE, drift)


def test_limits_at_login(node, role_vars):
    """A login of each user the limits name gets the soft limits from the role's file."""
    wanted = {}
    for limit in role_vars["gpu_node_base_limits"]:
        user = str(limit["domain"])
        if limit["item"] in ULIMIT and limit["type"] in ("-", "soft") and user[0] not in "*@%" \
                and node.host.user(user).exists:
            wanted.setdefault(user, {})[limit["item"]] = str(limit["value"])
    if not wanted:
        pytest.skip("%s: gpu_node_base_limits names no user of this host (entries for * are checked in the file)"
                    % node.name)
    seen = {}
    for user, items in sorted(wanted.items()):
        script = "; ".join("ulimit %s" % ULIMIT[item] for item in items)
        out = node.run("runuser", "-l", user, "-s", "/bin/bash", "-c", script).stdout.split()
        seen[user] = dict(zip(items, out))
    node.check(seen == wanted, "limits at login", "logins got %s, gpu_node_base_limits says %s" % (seen, wanted))


def test_systemd_limits(node, role_vars):
    if not role_vars["gpu_node_base_systemd_limits"]:
        node.check(not node.host.file(SYSTEMD_LIMITS_FILE).exists, "systemd limits",
                   "%s exists with gpu_node_base_systemd_limits false" % SYSTEMD_LIMITS_FILE)
        return
    drift = node.template_drift(ROLE, "systemd-limits.conf.j2", SYSTEMD_LIMITS_FILE, role_vars)
    node.check(drift == "", "systemd limits file %s" % SYSTEMD_LIMITS_FILE, drift)


@pytest.fixture()
def chrony(node, role_vars):
    if not role_vars["gpu_node_base_time_sync"]:
        pytest.skip("%s: gpu_node_base_time_sync is false (time is not managed)" % node.name)
    return node.host.service(role_vars["gpu_node_base__chrony_service"])


def test_time_sync_enabled(node, chrony):
    node.check(chrony.is_enabled, "time sync", "%s is not enabled" % chrony.name)


def test_time_sync_running(node, chrony):
    node.skip_in_container("chrony running (a container may not set the clock)")
    node.check(chrony.is_running, "time sync", "%s is not running" % chrony.name)


def test_time_servers(node, role_vars, chrony):
    servers = list(role_vars["gpu_node_base_time_servers"])
    sources = node.host.file(role_vars["gpu_node_base__chrony_sources_file"])
    configured = [line.split()[1] for line in (sources.content_string if sources.exists else "").splitlines()
                  if line.startswith("server ")]
    node.check(configured == servers, "time servers", "%s lists %s, gpu_node_base_time_servers is %s"
               % (sources.path, configured, servers))
    # with servers of one's own, the distribution's pool is off; without them it is on
    active = [line for line in node.host.file(role_vars["gpu_node_base__chrony_conf"]).content_string.splitlines()
              if line.startswith(("pool ", "server "))]
    node.check((active == []) == bool(servers), "time servers",
               "%s has the sources %s active with gpu_node_base_time_servers %s"
               % (role_vars["gpu_node_base__chrony_conf"], active, servers))


def test_ca_certificates_trusted(node, role_vars):
    certificates = role_vars["gpu_node_base_ca_certificates"]
    if not certificates:
        pytest.skip("%s: gpu_node_base_ca_certificates is empty" % node.name)
    bundle = node.host.file(CA_BUNDLE[node.facts["os_family"]]).content_string
    untrusted = []
    for certificate in certificates:
        pem = node.host.file("%s/mlinfra-%s.crt" % (role_vars["gpu_node_base__ca_dir"], certificate["name"]))
        body = pem.content_string.strip() if pem.exists else ""
        if not body or body not in bundle:
            untrusted.append(certificate["name"])
    node.check(untrusted == [], "CA certificates", "not in the trusted bundle: %s" % ", ".join(untrusted))
