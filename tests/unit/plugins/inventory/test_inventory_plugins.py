"""The two inventory plugins run in-process against recorded source data (the clients are stubbed)."""
import json
import os

import pytest
from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader

from ansible_collections.mlinfra.gpu.plugins.inventory import ec2_gpu, slurm
from ansible_collections.mlinfra.gpu.plugins.plugin_utils import _ec2, _slurm

try:
    from ansible.template import trust_as_template  # noqa: F401  pylint: disable=unused-import
    DATA_TAGGING = True  # ansible-core 2.19+
except ImportError:
    DATA_TAGGING = False

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "inventory")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


MODULES = {"slurm": slurm, "ec2_gpu": ec2_gpu}


def load_plugin(name):
    """The plugin as the plugin loader makes it (option definitions from its DOCUMENTATION), without the loader's
    collection finder (pytest already imports the checkout as ansible_collections.mlinfra.gpu)."""
    module = MODULES[name]
    fqcn = "mlinfra.gpu." + name
    inventory_loader._load_config_defs(fqcn, module, module.__file__)
    plugin = module.InventoryModule()
    plugin._load_name = fqcn
    plugin._redirected_names = [fqcn]  # read by ansible-core 2.18 and older
    return plugin


def run(tmp_path, name, config, filename=None):
    path = tmp_path / (filename or ("test." + name + ".yml"))
    path.write_text(config)
    plugin = load_plugin(name)
    assert plugin.verify_file(str(path))
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path), cache=False)
    return inventory


def members(inventory, group):
    return sorted(h.name for h in inventory.groups[group].get_hosts())


def hostvars(inventory, host):
    return inventory.get_host(host).get_vars()


@pytest.fixture
def slurm_rest(monkeypatch):
    """slurmrestd answers with the recorded 22.05 response; records the clients made."""
    made = []
    data = json.loads(fixture("slurm_22.05_rest_v0.0.38_nodes.json"))

    def get_nodes(self):
        made.append(self)
        return {"format": "json", "api_version": "v0.0.38", "data": data}
    monkeypatch.setattr(_slurm.SlurmRestClient, "get_nodes", get_nodes)
    return made


SLURM = "plugin: mlinfra.gpu.slurm\nurl: http://127.0.0.1:6820\nuser: ansible\ntoken: SLURM_JWT=abc\n"


def test_slurm_groups_and_hostvars(tmp_path, slurm_rest):
    inv = run(tmp_path, "slurm", SLURM)
    assert slurm_rest[0].token == "abc" and slurm_rest[0].user == "ansible"
    assert members(inv, "gpu") == ["gpu-a100-01", "gpu-a100-02", "gpu-a100-03", "gpu-a100-04", "gpu-h100-01", "gpu-mix-01",
                                   "gpu-untyped-01"]
    assert members(inv, "gpu_a100") == ["gpu-a100-01", "gpu-a100-02", "gpu-a100-03", "gpu-a100-04", "gpu-mix-01"]
    assert members(inv, "gpu_v100") == ["gpu-mix-01"]
    assert members(inv, "gpu_h100") == members(inv, "slurm_h100") == ["gpu-h100-01"]
    assert members(inv, "slurm_cpu") == ["cpu-01", "cpu-02", "cpu-03"]
    assert members(inv, "slurm_drained") == ["cpu-02", "gpu-a100-03"]
    assert members(inv, "slurm_down") == ["gpu-a100-04"]
    assert members(inv, "slurm_mixed") == ["cpu-01"]
    hv = hostvars(inv, "gpu-mix-01")
    assert hv["ansible_host"] == "127.0.0.1" and hv["gpu_count"] == 6 and hv["slurm_partitions"] == ["gpu"]
    assert hostvars(inv, "cpu-01")["gpu_count"] == 0 and hostvars(inv, "cpu-01")["gpu_models"] == []
    assert hostvars(inv, "gpu-a100-03")["slurm_reason"] == "bad {{ lookup('pipe','id') }} dimm"


def test_slurm_filters_and_ansible_host(tmp_path, slurm_rest):
    inv = run(tmp_path, "slurm", SLURM + "partitions: [gpu]\nstates: [drained, down]\nansible_host: name\n")
    assert sorted(inv.hosts) == ["gpu-a100-03", "gpu-a100-04"]
    assert hostvars(inv, "gpu-a100-04")["ansible_host"] == "gpu-a100-04"
    inv = run(tmp_path, "slurm", SLURM + "gpu_only: true\nansible_host: none\n")
    assert "cpu-01" not in inv.hosts and len(inv.hosts) == 7
    assert "ansible_host" not in hostvars(inv, "gpu-mix-01")


def test_slurm_constructed(tmp_path, slurm_rest):
    config = SLURM + (
        "compose:\n  gpus_per_cpu: gpu_count / slurm_cpus\n"
        "groups:\n  big_gpu: gpu_count >= 8\n"
        "keyed_groups:\n  - key: slurm_cpus | string\n    prefix: cpus\n"
    )
    inv = run(tmp_path, "slurm", config)
    # ansible-core 2.18 and older render compose results as text unless jinja2_native is on
    assert hostvars(inv, "gpu-a100-01")["gpus_per_cpu"] == (0.125 if DATA_TAGGING else "0.125")
    assert members(inv, "big_gpu") == ["gpu-a100-01", "gpu-a100-02", "gpu-a100-03", "gpu-a100-04", "gpu-h100-01"]
    assert members(inv, "cpus_96") == ["gpu-h100-01"]


def test_slurm_strict(tmp_path, slurm_rest):
    config = SLURM + "compose:\n  x: no_such_var + 1\n"
    run(tmp_path, "slurm", config)  # not strict: ignored
    with pytest.raises(AnsibleError, match="no_such_var"):
        run(tmp_path, "slurm", config + "strict: true\n")


def test_slurm_bad_option_values(tmp_path, slurm_rest):
    with pytest.raises(AnsibleError, match="source"):
        run(tmp_path, "slurm", SLURM + "source: ldap\n")
    with pytest.raises(AnsibleParserError, match="slurm inventory.*url must start with http"):
        run(tmp_path, "slurm", "plugin: mlinfra.gpu.slurm\nurl: slurm-head:6820\ntoken: x\nuser: u\n")
    with pytest.raises(AnsibleParserError, match="no JWT token"):
        os.environ.pop("SLURM_JWT", None)
        run(tmp_path, "slurm", "plugin: mlinfra.gpu.slurm\nurl: http://x:1\nuser: u\n")


def test_slurm_source_error_is_parser_error(tmp_path, monkeypatch):
    def broken(self):
        raise _slurm.SlurmSourceError("cannot reach slurmrestd at http://127.0.0.1:6820: refused")
    monkeypatch.setattr(_slurm.SlurmRestClient, "get_nodes", broken)
    with pytest.raises(AnsibleParserError, match=r"slurm inventory \(slurmrestd http://127.0.0.1:6820\): cannot reach"):
        run(tmp_path, "slurm", SLURM)


def test_slurm_cli_source(tmp_path, monkeypatch):
    seen = {}

    def get_nodes(self):
        seen.update(scontrol=self.scontrol, env=self.env, fmt=self.cli_format)
        return {"format": "text", "data": fixture("slurm_22.05_scontrol_oneliner.txt")}
    monkeypatch.setattr(_slurm.SlurmCliClient, "get_nodes", get_nodes)
    inv = run(tmp_path, "slurm", "plugin: mlinfra.gpu.slurm\nsource: cli\nslurm_conf: /etc/slurm/x.conf\ncli_format: text\n",
              filename="slurm.yml")
    assert seen == {"scontrol": "scontrol", "env": {"SLURM_CONF": "/etc/slurm/x.conf"}, "fmt": "text"}
    assert members(inv, "gpu_h100") == ["gpu-h100-01"]


def test_verify_file_names(tmp_path):
    slurm = load_plugin("slurm")
    ec2 = load_plugin("ec2_gpu")
    for name, plugin, ok in [("a.slurm.yml", slurm, True), ("slurm.yaml", slurm, True), ("a.yml", slurm, False),
                             ("myslurm.yml", slurm, False), ("x.ec2_gpu.yml", ec2, True), ("x.aws_ec2.yml", ec2, False)]:
        path = tmp_path / name
        path.write_text("plugin: x\n")
        assert plugin.verify_file(str(path)) is ok, name


def test_slurm_cache_stores_raw_data(tmp_path, slurm_rest):
    config = SLURM + "cache: true\ncache_plugin: jsonfile\ncache_connection: %s\n" % (tmp_path / "cache")
    path = tmp_path / "c.slurm.yml"
    path.write_text(config)
    plugin = load_plugin("slurm")
    plugin.parse(InventoryData(), DataLoader(), str(path), cache=False)  # fills the cache
    plugin.update_cache_if_changed()  # as InventoryManager does after parse
    assert os.listdir(str(tmp_path / "cache"))
    assert len(slurm_rest) == 1
    cached = plugin._cache[plugin.get_cache_key(str(path))]
    assert cached["format"] == "json" and cached["data"]["nodes"][0]["name"] == "cpu-01"
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path), cache=True)  # read from the cache
    assert len(slurm_rest) == 1
    assert sorted(h.name for h in inventory.groups["slurm_down"].get_hosts()) == ["gpu-a100-04"]


def ec2_raw():
    types = json.loads(fixture("ec2_instance_types_gpu_extract.json"))

    def slim(name):
        info = types[name]
        return {"GpuInfo": info["GpuInfo"], "VCpus": info.get("VCpuInfo.DefaultVCpus"), "MemoryMiB": info["MemoryInfo"]["SizeInMiB"]}
    instances = [
        {"InstanceId": "i-p5", "InstanceType": "p5.48xlarge", "State": "running", "PrivateIpAddress": "10.0.0.1",
         "PublicIpAddress": "3.3.3.3", "Tags": [{"Key": "Name", "Value": "train-1"}, {"Key": "team", "Value": "ml"}]},
        {"InstanceId": "i-g4ad", "InstanceType": "g4ad.xlarge", "State": "stopped", "PrivateIpAddress": "10.0.0.2"},
        {"InstanceId": "i-t3", "InstanceType": "t3.micro", "State": "running", "PrivateIpAddress": "10.0.0.3",
         "Tags": [{"Key": "Name", "Value": "{{ lookup('pipe', 'id') }}"}]},
    ]
    return {"regions": {"us-west-2": {"instances": instances, "instance_types": {
        "p5.48xlarge": slim("p5.48xlarge"), "g4ad.xlarge": slim("g4ad.xlarge"), "t3.micro": {"GpuInfo": None}}}}}


@pytest.fixture
def ec2_fetch(monkeypatch):
    made = []

    def fetch(self):
        made.append(self)
        return ec2_raw()
    monkeypatch.setattr(_ec2.Ec2GpuSource, "fetch", fetch)
    return made


EC2 = "plugin: mlinfra.gpu.ec2_gpu\nregions: [us-west-2]\n"


def test_ec2_groups_and_hostvars(tmp_path, ec2_fetch):
    inv = run(tmp_path, "ec2_gpu", EC2 + "tags: {team: ml}\nfilters: {vpc-id: vpc-1}\ninstance_states: [running]\n")
    assert ec2_fetch[0].filters == [{"Name": "vpc-id", "Values": ["vpc-1"]}, {"Name": "tag:team", "Values": ["ml"]},
                                    {"Name": "instance-state-name", "Values": ["running"]}]
    assert ec2_fetch[0].max_attempts == 10 and ec2_fetch[0].retry_mode == "adaptive"
    assert members(inv, "gpu") == ["i-g4ad", "i-p5"]
    assert members(inv, "gpu_h100") == ["i-p5"] and members(inv, "gpu_v520") == ["i-g4ad"]
    hv = hostvars(inv, "i-p5")
    assert hv["ansible_host"] == "3.3.3.3" and hv["gpu_vendor"] == "nvidia" and hv["ec2_tags"]["team"] == "ml"
    assert hostvars(inv, "i-g4ad")["gpu_vendor"] == "amd" and hostvars(inv, "i-g4ad")["ansible_host"] == "10.0.0.2"
    assert hostvars(inv, "i-t3")["gpu_count"] == 0 and hostvars(inv, "i-t3")["gpu_models"] == []


def test_ec2_gpu_only_hostnames_keyed_groups(tmp_path, ec2_fetch):
    config = EC2 + ("gpu_only: true\nhostnames: [tag:Name, private-ip-address]\nansible_host: []\n"
                    "keyed_groups:\n  - key: ec2_instance_type\n    prefix: type\n")
    inv = run(tmp_path, "ec2_gpu", config)
    assert sorted(inv.hosts) == ["10.0.0.2", "train-1"]
    assert members(inv, "type_p5_48xlarge") == ["train-1"]
    assert "ansible_host" not in hostvars(inv, "train-1")


@pytest.mark.parametrize("extra, match", [
    ("hostnames: [dns-name]\n", "option hostnames: unknown value 'dns-name'"),
    ("hostnames: []\n", "hostnames must not be empty"),
    ('ansible_host: ["tag:"]\n', "option ansible_host: unknown value"),
    ("max_attempts: 0\n", "max_attempts and timeout must be at least 1"),
    ("retry_mode: fast\n", "retry_mode"),
])
def test_ec2_bad_options(tmp_path, ec2_fetch, extra, match):
    with pytest.raises(AnsibleError, match=match):
        run(tmp_path, "ec2_gpu", EC2 + extra)
    assert ec2_fetch == []


def test_ec2_source_error(tmp_path, monkeypatch):
    def broken(self):
        raise _ec2.Ec2SourceError("region us-west-2: DescribeInstances failed: permission denied or bad credentials (AuthFailure: x)")
    monkeypatch.setattr(_ec2.Ec2GpuSource, "fetch", broken)
    with pytest.raises(AnsibleParserError, match="ec2_gpu inventory: region us-west-2: DescribeInstances failed: permission denied"):
        run(tmp_path, "ec2_gpu", EC2)
