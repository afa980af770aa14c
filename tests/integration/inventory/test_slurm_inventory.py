"""mlinfra.gpu.slurm against a real slurmctld + slurmrestd started by the ``slurm_cluster`` fixture."""
import pytest

from inventory_helpers import DRAIN_REASON, group_hosts, inventory_list, plain, run_ansible

pytestmark = pytest.mark.integration

GPU_NODES = ["gpu-a100-01", "gpu-a100-02", "gpu-a100-03", "gpu-a100-04", "gpu-h100-01", "gpu-l40s-01", "gpu-mix-01",
             "gpu-untyped-01"]


@pytest.fixture(params=["slurm_cluster", "slurm_cluster_2411"], ids=["slurm-22.05-host", "slurm-24.11-container"])
def cluster(request):
    """Each test against both Slurm versions: Debian 12's on this machine, Debian 13's in a test bed container."""
    return request.getfixturevalue(request.param)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def rest_config(cluster, extra=""):
    return "plugin: mlinfra.gpu.slurm\nurl: %s\nuser: %s\n%s" % (cluster["url"], cluster["user"], extra)


def token_env(cluster, token=None):
    return {"SLURM_JWT": token if token is not None else cluster["token"]}


def assert_cluster(listing):
    assert group_hosts(listing, "gpu") == GPU_NODES
    assert group_hosts(listing, "gpu_a100") == ["gpu-a100-01", "gpu-a100-02", "gpu-a100-03", "gpu-a100-04", "gpu-mix-01"]
    assert group_hosts(listing, "gpu_h100") == ["gpu-h100-01"]
    assert group_hosts(listing, "gpu_l40s") == ["gpu-l40s-01"]
    assert group_hosts(listing, "gpu_v100") == ["gpu-mix-01"]
    assert group_hosts(listing, "slurm_h100") == ["gpu-h100-01"]
    assert group_hosts(listing, "slurm_cpu") == ["cpu-01", "cpu-02", "cpu-03"]
    assert group_hosts(listing, "slurm_idle") == ["gpu-mix-01"]
    assert group_hosts(listing, "slurm_mixed") == ["cpu-01"]
    assert group_hosts(listing, "slurm_drained") == ["cpu-02", "gpu-a100-03"]
    assert group_hosts(listing, "slurm_down") == ["gpu-a100-04"]
    raw = listing["_meta"]["hostvars"]  # as AWX imports it: only what could carry a template is marked unsafe
    assert raw["gpu-mix-01"]["ansible_host"] == "127.0.0.1" and raw["gpu-mix-01"]["slurm_partitions"] == ["gpu"]
    assert raw["gpu-a100-03"]["slurm_reason"] == {"__ansible_unsafe": DRAIN_REASON}
    hv = plain(raw)
    assert sorted(hv) == ["cpu-01", "cpu-02", "cpu-03"] + GPU_NODES
    mix = hv["gpu-mix-01"]
    assert mix["gpu_count"] == 6 and mix["gpu_models"] == ["a100", "v100"] and mix["gpu_vendor"] == "nvidia"
    assert mix["gpu_memory_mib"] is None
    assert mix["slurm_state"] == "idle" and mix["slurm_partitions"] == ["gpu"] and mix["slurm_cpus"] == 32
    assert mix["slurm_real_memory_mb"] == 256000 and mix["slurm_gres"] == "gpu:a100:4,gpu:v100:2"
    assert mix["ansible_host"] == "127.0.0.1"
    h100 = hv["gpu-h100-01"]
    assert h100["gpu_count"] == 8 and h100["gpu_models"] == ["h100"]
    assert h100["slurm_partitions"] == ["gpu", "h100"] and h100["slurm_gres"] == "gpu:nvidia_h100_80gb_hbm3:8,nic:mlx5:4"
    untyped = hv["gpu-untyped-01"]
    assert untyped["gpu_count"] == 2 and untyped["gpu_models"] == []
    assert hv["cpu-01"]["gpu_count"] == 0 and hv["cpu-01"]["gpu_models"] == [] and hv["cpu-01"]["slurm_state"] == "mixed"
    assert hv["gpu-a100-03"]["slurm_state"] == "drained" and hv["gpu-a100-03"]["slurm_reason"] == DRAIN_REASON
    assert hv["gpu-a100-04"]["slurm_state"] == "down" and hv["gpu-a100-04"]["slurm_reason"] == "gpu fell off the bus"
    assert hv["cpu-02"]["slurm_reason"] == "maintenance"


def test_rest_list(cluster, tmp_path):
    path = write(tmp_path, "cluster.slurm.yml", rest_config(cluster))
    assert_cluster(inventory_list(path, env=token_env(cluster)))


def test_rest_graph_and_filters(cluster, tmp_path):
    path = write(tmp_path, "slurm.yml", rest_config(
        cluster, "partitions: [gpu]\nstates: [idle, drained]\nansible_host: name\n"
        "keyed_groups:\n  - key: gpu_count | string\n    prefix: gpus\n"))
    proc = run_ansible(["ansible-inventory", "-i", str(path), "--graph"], env=token_env(cluster))
    assert proc.returncode == 0, proc.stderr
    assert "@gpu_a100:" in proc.stdout and "@gpus_6:" in proc.stdout and "|--gpu-mix-01" in proc.stdout
    listing = inventory_list(path, env=token_env(cluster))
    assert sorted(listing["_meta"]["hostvars"]) == ["gpu-a100-03", "gpu-mix-01"]
    assert group_hosts(listing, "gpus_8") == ["gpu-a100-03"]
    assert plain(listing["_meta"]["hostvars"]["gpu-mix-01"]["ansible_host"]) == "gpu-mix-01"


def test_cli_source(cluster, tmp_path):
    # 24.11 must give JSON (scontrol --json); 22.05 has no --json and auto falls back to the --oneliner text
    fmt = "json" if cluster["major"] >= 23 else "auto"
    path = write(tmp_path, "cli.slurm.yml", "plugin: mlinfra.gpu.slurm\nsource: cli\nslurm_conf: %s\nscontrol_path: %s\n"
                 "cli_format: %s\n" % (cluster["conf"], cluster["scontrol"], fmt))
    assert_cluster(inventory_list(path))


def test_reason_is_never_templated(cluster, tmp_path):
    path = write(tmp_path, "cluster.slurm.yml", rest_config(cluster))
    proc = run_ansible(["ansible", "-i", str(path), "gpu-a100-03", "-c", "local", "-m", "ansible.builtin.debug",
                        "-a", "msg={{ slurm_reason }}"], env=token_env(cluster))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "lookup('pipe', 'id')" in proc.stdout and "uid=" not in proc.stdout


def test_no_user_fails_naming_option_and_variable(slurm_cluster, tmp_path):
    path = write(tmp_path, "nouser.slurm.yml", "plugin: mlinfra.gpu.slurm\nurl: %s\n" % slurm_cluster["url"])
    env = token_env(slurm_cluster)
    env["USER"] = "root"
    proc = run_ansible(["ansible-inventory", "-i", str(path), "--list"], env=dict(env, SLURM_REST_USER=""))
    assert proc.returncode != 0
    assert "set the option 'user' or the environment variable SLURM_REST_USER" in proc.stderr


def test_bad_token_fails_clearly(cluster, tmp_path):
    path = write(tmp_path, "cluster.slurm.yml", rest_config(cluster))
    proc = run_ansible(["ansible-inventory", "-i", str(path), "--list"], env=token_env(cluster, "not-a-jwt"))
    assert proc.returncode != 0
    assert "slurm inventory (slurmrestd %s)" % cluster["url"] in proc.stderr
    assert "check the token" in proc.stderr
    assert "not-a-jwt" not in proc.stderr


def test_unreachable_controller_fails_clearly(slurm_cluster, tmp_path):
    from inventory_helpers import free_port
    url = "http://127.0.0.1:%d" % free_port()
    path = write(tmp_path, "down.slurm.yml", "plugin: mlinfra.gpu.slurm\nurl: %s\nuser: root\ntimeout: 5\n" % url)
    proc = run_ansible(["ansible-inventory", "-i", str(path), "--list"], env=token_env(slurm_cluster))
    assert proc.returncode != 0
    assert "cannot reach slurmrestd at %s" % url in proc.stderr


def test_cli_unreachable_controller(slurm_cluster, tmp_path):
    conf = tmp_path / "other.conf"
    with open(slurm_cluster["conf"]) as f:
        text = f.read()
    import re
    conf.write_text(re.sub(r"SlurmctldPort=\d+", "SlurmctldPort=1", text))
    path = write(tmp_path, "cli.slurm.yml", "plugin: mlinfra.gpu.slurm\nsource: cli\nslurm_conf: %s\ntimeout: 60\n" % conf)
    proc = run_ansible(["ansible-inventory", "-i", str(path), "--list"], env={"SLURM_CONF_TIMEOUT": "1"})
    assert proc.returncode != 0
    assert "slurm inventory (scontrol)" in proc.stderr and "failed (rc=1)" in proc.stderr


def test_bad_option_value(slurm_cluster, tmp_path):
    path = write(tmp_path, "bad.slurm.yml", rest_config(slurm_cluster, "states: idle\nansible_host: ip\n"))
    proc = run_ansible(["ansible-inventory", "-i", str(path), "--list"], env=token_env(slurm_cluster))
    assert proc.returncode != 0
    assert "ansible_host" in proc.stderr and "ip" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_ansible_doc_renders():
    for name in ("mlinfra.gpu.slurm", "mlinfra.gpu.ec2_gpu"):
        proc = run_ansible(["ansible-doc", "-t", "inventory", name])
        assert proc.returncode == 0, proc.stderr
        assert "keyed_groups" in proc.stdout and "cache_plugin" in proc.stdout


def test_rest_client_picks_the_server_api(cluster, tmp_path):
    """The pure client against the real slurmrestd: auto finds the newest node API this Slurm serves."""
    import json
    import os

    from ansible_collections.mlinfra.gpu.plugins.plugin_utils._slurm import SlurmRestClient, nodes_from_raw
    raw = SlurmRestClient(cluster["url"], cluster["user"], cluster["token"]).get_nodes()
    assert raw["api_version"] == {22: "v0.0.38", 24: "v0.0.42"}[cluster["major"]]
    assert sorted(n["name"] for n in nodes_from_raw(raw))[:3] == ["cpu-01", "cpu-02", "cpu-03"]
    record = os.environ.get("MLINFRA_RECORD_DIR")  # to refresh tests/unit/fixtures/inventory
    if record:
        with open(os.path.join(record, "slurm_%s_rest_%s_nodes.json" % (cluster["version"], raw["api_version"])), "w") as f:
            json.dump(raw["data"], f, indent=1)
