"""mlinfra.gpu.ec2_gpu against a real moto_server (HTTP on 127.0.0.1) started by the ``moto_ec2`` fixture."""
import json

import pytest

from inventory_helpers import free_port, group_hosts, inventory_list, plain, run_ansible

pytestmark = pytest.mark.integration


def unwrapped(text):
    """ansible-core 2.16 wraps warnings at 79 columns (also after hyphens): compare text without white space."""
    return "".join(text.split())


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def config(moto, extra=""):
    return "plugin: mlinfra.gpu.ec2_gpu\nregions: [us-east-1, us-west-2]\nendpoint_url: %s\n%s" % (moto["url"], extra)


def test_list_groups_and_hostvars(moto_ec2, tmp_path):
    ids = moto_ec2["instances"]
    listing = inventory_list(write(tmp_path, "all.ec2_gpu.yml", config(moto_ec2)), env=moto_ec2["env"])
    gpu_ids = sorted(ids["p4d.24xlarge"] + ids["p5.48xlarge"] + ids["g5.xlarge"] + ids["g4dn.xlarge"] + ids["g6e.xlarge"]
                     + ids["g6.xlarge"])
    assert group_hosts(listing, "gpu") == gpu_ids
    assert group_hosts(listing, "gpu_a100") == sorted(ids["p4d.24xlarge"])
    assert group_hosts(listing, "gpu_h100") == sorted(ids["p5.48xlarge"])
    assert group_hosts(listing, "gpu_a10g") == sorted(ids["g5.xlarge"])
    assert group_hosts(listing, "gpu_t4") == sorted(ids["g4dn.xlarge"])
    assert group_hosts(listing, "gpu_l40s") == sorted(ids["g6e.xlarge"])
    assert group_hosts(listing, "gpu_l4") == sorted(ids["g6.xlarge"])
    raw = listing["_meta"]["hostvars"]  # as AWX imports it: only what could carry a template is marked unsafe
    unsafe_name = {"__ansible_unsafe": "{{ lookup('pipe', 'id') }}"}
    assert raw[ids["p5.48xlarge"][0]]["ec2_tags"] == {"team": "research", "Name": unsafe_name}
    assert [type(raw[i]["ansible_host"]) for i in ids["g5.xlarge"]] == [str, str, str]
    hv = plain(raw)
    assert len(hv) == sum(len(v) for v in ids.values())
    p5 = hv[ids["p5.48xlarge"][0]]
    assert p5["gpu_count"] == 8 and p5["gpu_models"] == ["h100"] and p5["gpu_vendor"] == "nvidia"
    assert p5["gpu_memory_mib"] == 81920 and p5["ec2_vcpus"] == 192
    assert p5["ec2_instance_type"] == "p5.48xlarge" and p5["ec2_region"] == "us-east-1" and p5["ec2_state"] == "running"
    assert p5["ec2_tags"] == {"team": "research", "Name": "{{ lookup('pipe', 'id') }}"}
    assert p5["ansible_host"] == p5["ec2_public_ip_address"] and p5["ec2_private_ip_address"].startswith("10.")
    g5 = hv[ids["g5.xlarge"][0]]
    assert g5["gpu_count"] == 1 and g5["gpu_models"] == ["a10g"] and g5["gpu_memory_mib"] == 22888
    assert hv[ids["g6.xlarge"][0]]["ec2_region"] == "us-west-2"
    assert hv[ids["g4dn.xlarge"][0]]["ec2_state"] == "stopped"
    web = hv[ids["t3.micro"][0]]
    assert web["gpu_count"] == 0 and web["gpu_models"] == [] and web["gpu_vendor"] is None
    p3 = hv[ids["p3.2xlarge"][0]]  # moto has no data for p3: listed, without GPU details
    assert p3["gpu_count"] == 0 and p3["ec2_instance_type"] == "p3.2xlarge"


def test_filters_states_gpu_only_and_constructed(moto_ec2, tmp_path):
    ids = moto_ec2["instances"]
    extra = ("regions: [us-east-1]\ninstance_states: [running]\ngpu_only: true\ntags:\n  team: [research, inference]\n"
             "hostnames: [private-dns-name]\n"
             "keyed_groups:\n  - key: ec2_tags.team\n    prefix: team\n"
             "groups:\n  multi_gpu: gpu_count > 1\n"
             "compose:\n  gpu_total_memory_mib: gpu_count * gpu_memory_mib\n")
    text = config(moto_ec2).replace("regions: [us-east-1, us-west-2]\n", "") + extra
    listing = inventory_list(write(tmp_path, "f.ec2_gpu.yml", text), env=moto_ec2["env"])
    hv = plain(listing["_meta"]["hostvars"])
    types = sorted(v["ec2_instance_type"] for v in hv.values())
    assert types == ["g5.xlarge"] * 3 + ["p4d.24xlarge"] * 2 + ["p5.48xlarge"]  # no stopped g4dn, no t3, no west
    assert all(name.endswith(".internal") for name in hv)
    assert len(group_hosts(listing, "team_research")) == 3 and len(group_hosts(listing, "team_inference")) == 3
    assert len(group_hosts(listing, "multi_gpu")) == 3
    p4d = [v for v in hv.values() if v["ec2_instance_type"] == "p4d.24xlarge"][0]
    # a composed value is a string on ansible-core 2.16 (templates render text) and a number on 2.19 (native types)
    assert int(p4d["gpu_total_memory_mib"]) == 8 * 40960
    assert sorted(v["ec2_instance_id"] for v in hv.values() if v["ec2_instance_type"] == "p4d.24xlarge") == sorted(ids["p4d.24xlarge"])


def test_fast_parser_and_botocore_parser_give_the_same_inventory(moto_ec2, tmp_path):
    """The same moto responses read by the fast XML reader and by botocore's parser: identical --list output."""
    listings = {}
    for fast in ("true", "false"):
        path = write(tmp_path, "p%s.ec2_gpu.yml" % fast, config(moto_ec2, "fast_parser: %s\n" % fast))
        out = tmp_path / ("list-%s.json" % fast)
        proc = run_ansible(["ansible-inventory", "-vvv", "-i", str(path), "--list", "--output", str(out)], env=moto_ec2["env"])
        assert proc.returncode == 0, proc.stderr
        listings[fast] = json.loads(out.read_text())
        assert ("pages read by the fast reader: 2, by botocore's parser: 0" in proc.stdout + proc.stderr) is (fast == "true")
    assert listings["true"] == listings["false"]
    assert len(listings["true"]["_meta"]["hostvars"]) == sum(len(v) for v in moto_ec2["instances"].values())


def test_graph(moto_ec2, tmp_path):
    proc = run_ansible(["ansible-inventory", "-i", str(write(tmp_path, "g.ec2_gpu.yml", config(moto_ec2))), "--graph"],
                       env=moto_ec2["env"])
    assert proc.returncode == 0, proc.stderr
    assert "@gpu_h100:" in proc.stdout and "@gpu_a10g:" in proc.stdout
    assert "|--%s" % moto_ec2["instances"]["p5.48xlarge"][0] in proc.stdout


def test_tag_value_is_never_templated(moto_ec2, tmp_path):
    host = moto_ec2["instances"]["p5.48xlarge"][0]
    path = write(tmp_path, "t.ec2_gpu.yml", config(moto_ec2, "ansible_host: []\n"))
    proc = run_ansible(["ansible", "-i", str(path), host, "-c", "local", "-m", "ansible.builtin.debug",
                        "-a", "msg={{ ec2_tags.Name }}"], env=moto_ec2["env"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "{{ lookup(" in proc.stdout and "uid=" not in proc.stdout


def test_unreachable_endpoint_fails_clearly_without_secrets(moto_ec2, tmp_path):
    url = "http://127.0.0.1:%d" % free_port()
    text = "plugin: mlinfra.gpu.ec2_gpu\nregions: [eu-west-1]\nendpoint_url: %s\nmax_attempts: 1\ntimeout: 5\n" % url
    proc = run_ansible(["ansible-inventory", "-vvv", "-i", str(write(tmp_path, "u.ec2_gpu.yml", text)), "--list"],
                       env=moto_ec2["env"])
    assert proc.returncode != 0
    assert unwrapped("ec2_gpu inventory: region eu-west-1: DescribeInstances failed") in unwrapped(proc.stderr)
    assert unwrapped("Could not connect to the endpoint URL") in unwrapped(proc.stderr)
    assert moto_ec2["env"]["AWS_SECRET_ACCESS_KEY"] not in proc.stdout + proc.stderr


def test_malformed_response_is_reported(moto_ec2, tmp_path):
    """moto answers an unknown filter name with an HTML 500 page: a malformed response, reported as such."""
    text = config(moto_ec2, "filters:\n  no-such-filter: x\nmax_attempts: 2\n")
    proc = run_ansible(["ansible-inventory", "-i", str(write(tmp_path, "b.ec2_gpu.yml", text)), "--list"], env=moto_ec2["env"])
    assert proc.returncode != 0
    assert unwrapped("ec2_gpu inventory: region us-east-1: DescribeInstances failed: malformed response") in unwrapped(proc.stderr)


def test_bad_option_value(moto_ec2, tmp_path):
    text = config(moto_ec2, "hostnames: [dns-name]\n")
    proc = run_ansible(["ansible-inventory", "-i", str(write(tmp_path, "o.ec2_gpu.yml", text)), "--list"], env=moto_ec2["env"])
    assert proc.returncode != 0
    assert unwrapped("option hostnames: unknown value 'dns-name'") in unwrapped(proc.stderr) and "Traceback" not in proc.stderr
