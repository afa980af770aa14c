"""Helpers and session fixtures (registered by conftest.py) that start real services on 127.0.0.1 for the inventory plugin tests.

``slurm_cluster``: munged, slurmctld, three slurmd (two CPU nodes, one GPU node with mknod'ed /dev/nvidia-like
character devices), slurmrestd with JWT, from the Debian packages listed in apt-packages.txt. Needs root (slurmd,
mknod, dropping to the munge/slurm users). ``moto_ec2``: ``moto_server`` with GPU and non-GPU instances.
Everything listens on free ports of 127.0.0.1, every wait is bounded, and everything is stopped afterwards.
"""
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request

import pytest
from slurm_testbed import Services, SlurmNodeHost, as_user, cannot_run, free_port, require_testbed, testbed, wait_for

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
BIN = os.path.dirname(sys.executable)
SLURM_BINARIES = ("munged", "slurmctld", "slurmd", "slurmrestd", "scontrol", "sinfo", "sbatch", "setpriv")


def ansible_env(extra=None):
    env = dict(os.environ)
    env.update({
        "PATH": BIN + os.pathsep + env.get("PATH", ""),
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",
        "ANSIBLE_INVENTORY_ENABLED": "mlinfra.gpu.slurm,mlinfra.gpu.ec2_gpu,amazon.aws.aws_ec2",
        "ANSIBLE_HOST_KEY_CHECKING": "false",
        "ANSIBLE_NOCOLOR": "1",
    })
    env.update(extra or {})
    return env


def run_ansible(args, env=None, timeout=180):
    """Run an ansible CLI (ansible-inventory, ansible) from the venv; returns CompletedProcess with text output."""
    return subprocess.run([os.path.join(BIN, args[0])] + list(args[1:]), env=ansible_env(env), capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, check=False)


def inventory_list(path, env=None):
    proc = run_ansible(["ansible-inventory", "-i", str(path), "--list"], env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def plain(value):
    """Strip the ``{"__ansible_unsafe": ...}`` wrapping of ansible-inventory --list output."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return dict((k, plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def group_hosts(listing, group):
    return sorted(listing.get(group, {}).get("hosts", []))


SLURM_CONF = """\
ClusterName=mltest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
AuthInfo=socket={d}/munge/munge.sock
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key={d}/jwt.key
CredType=cred/munge
SlurmUser=slurm
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool/%n
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.%n.pid
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.%n.log
SlurmdTimeout=3600
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
GresTypes=gpu,nic
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=gpu-a100-[01-04] NodeAddr=127.0.0.1 CPUs=64 RealMemory=512000 Gres=gpu:a100:8 State=UNKNOWN
NodeName=gpu-h100-01 NodeAddr=127.0.0.1 CPUs=96 RealMemory=1024000 Gres=gpu:nvidia_h100_80gb_hbm3:8,nic:mlx5:4 State=UNKNOWN
NodeName=gpu-l40s-01 NodeAddr=127.0.0.1 CPUs=48 RealMemory=384000 Gres=gpu:l40s:4 State=UNKNOWN
NodeName=gpu-mix-01 NodeAddr=127.0.0.1 Port={mix_port} CPUs=32 RealMemory=256000 Gres=gpu:a100:4,gpu:v100:2 State=UNKNOWN
NodeName=gpu-untyped-01 NodeAddr=127.0.0.1 CPUs=16 RealMemory=64000 Gres=gpu:2 State=UNKNOWN
NodeName=cpu-01 NodeAddr=127.0.0.1 Port={cpu1_port} CPUs=8 RealMemory=1000 State=UNKNOWN
NodeName=cpu-02 NodeAddr=127.0.0.1 Port={cpu2_port} CPUs=8 RealMemory=1000 State=UNKNOWN
NodeName=cpu-03 NodeAddr=127.0.0.1 CPUs=8 RealMemory=1000 State=UNKNOWN
PartitionName=gpu Nodes=gpu-a100-[01-04],gpu-h100-01,gpu-l40s-01,gpu-mix-01,gpu-untyped-01 State=UP
PartitionName=cpu Nodes=cpu-[01-03] Default=YES State=UP
PartitionName=h100 Nodes=gpu-h100-01 State=UP
"""
GRES_CONF = """\
NodeName=gpu-mix-01 Name=gpu Type=a100 File={d}/dev/nvidia[0-3]
NodeName=gpu-mix-01 Name=gpu Type=v100 File={d}/dev/nvidia[4-5]
"""
DRAIN_REASON = "bad {{ lookup('pipe', 'id') }} dimm"
CONTAINER_PACKAGES = ["munge", "slurmctld", "slurmd", "slurmrestd", "slurm-client", "slurm-wlm-jwt-plugin"]


@contextlib.contextmanager
def slurm_cluster_on(node, svc, d):
    """Start munged, slurmctld, three slurmd and slurmrestd on ``node`` with files in ``d``; yield what tests need."""
    ports = dict(ctld_port=free_port(), slurmd_port=free_port(), mix_port=free_port(), cpu1_port=free_port(),
                 cpu2_port=free_port(), rest_port=free_port())
    conf = os.path.join(d, "slurm.conf")
    env = {"SLURM_CONF": conf}
    version = node.run(["slurmctld", "-V"]).stdout.split()[1]
    major = int(version.split(".")[0])
    job = None
    for sub in ("munge", "state", "spool", "dev"):
        os.mkdir(os.path.join(d, sub))
        os.chmod(os.path.join(d, sub), 0o755)
    with open(os.path.join(d, "munge.key"), "wb") as f:
        f.write(os.urandom(1024))
    with open(os.path.join(d, "jwt.key"), "wb") as f:
        f.write(os.urandom(32))
    with open(conf, "w") as f:
        f.write(SLURM_CONF.format(d=d, **ports))
    with open(os.path.join(d, "gres.conf"), "w") as f:
        f.write(GRES_CONF.format(d=d))
    setup = ["chown munge:munge {d}/munge {d}/munge.key", "chmod 0400 {d}/munge.key", "chown slurm:slurm {d}/state {d}/jwt.key",
             "chmod 0600 {d}/jwt.key", "chmod 0644 {d}/slurm.conf {d}/gres.conf"]
    setup += ["mknod -m 0666 {d}/dev/nvidia%d c 195 %d" % (i, i) for i in range(6)]
    node.run(["sh", "-ec", "; ".join(setup).format(d=d)])
    try:
        svc.start("munged", node.cmd(as_user("munge", [
            "munged", "-F", "--socket=%s/munge/munge.sock" % d, "--key-file=%s/munge.key" % d,
            "--log-file=%s/munge/munged.log" % d, "--pid-file=%s/munge/munged.pid" % d, "--seed-file=%s/munge/seed" % d])))
        wait_for("munged socket", lambda: svc.check_alive() or os.path.exists("%s/munge/munge.sock" % d), timeout=20)
        svc.start("slurmctld", node.cmd(["slurmctld", "-D", "-f", conf], env), env=dict(os.environ, **env))
        wait_for("slurmctld", lambda: svc.check_alive() or node.run(["scontrol", "ping"], env, check=False).returncode == 0,
                 timeout=60)
        for name in ("cpu-01", "cpu-02", "gpu-mix-01"):
            svc.start("slurmd-" + name, node.cmd(["slurmd", "-D", "-N", name, "-f", conf], env), env=dict(os.environ, **env))

        def states():
            svc.check_alive()
            out = node.run(["sinfo", "-h", "-N", "-o", "%N %T"], env, check=False).stdout
            return dict(line.split() for line in out.splitlines() if line.strip())
        wait_for("slurmd nodes idle", lambda: all(states().get(n) == "idle" for n in ("cpu-01", "cpu-02", "gpu-mix-01")),
                 timeout=90)
        node.run(["scontrol", "update", "nodename=gpu-a100-03", "state=drain", "reason=" + DRAIN_REASON], env)
        node.run(["scontrol", "update", "nodename=cpu-02", "state=drain", "reason=maintenance"], env)
        node.run(["scontrol", "update", "nodename=gpu-a100-04", "state=down", "reason=gpu fell off the bus"], env)
        job = node.run(["sbatch", "--parsable", "-w", "cpu-01", "-n", "1", "-o", "/dev/null", "--wrap", "sleep 3600"],
                       env).stdout.strip()
        wait_for("cpu-01 mixed", lambda: states().get("cpu-01") == "mixed", timeout=60)
        rest_plugins = "openapi/v0.0.38" if major < 23 else "openapi/slurmctld"
        svc.start("slurmrestd", node.cmd(as_user(node.rest_user, [
            "env", "SLURM_JWT=daemon", "SLURM_CONF=" + conf, "slurmrestd", "-a", "rest_auth/jwt", "-s", rest_plugins,
            "127.0.0.1:%d" % ports["rest_port"]])))

        def rest_up():
            svc.check_alive()
            with socket.create_connection(("127.0.0.1", ports["rest_port"]), timeout=2):
                return True
        wait_for("slurmrestd", rest_up, timeout=30)
        token = node.run(["scontrol", "token", "username=root", "lifespan=7200"], env).stdout.strip().split("=", 1)[1]
        scontrol = "scontrol"
        if node.prefix:  # scontrol of the container's Slurm, for source: cli
            scontrol = os.path.join(d, "scontrol-in-container")
            with open(scontrol, "w") as f:
                f.write("#!/bin/sh\nexec %s scontrol \"$@\"\n" % " ".join(node.cmd([], env)))
            os.chmod(scontrol, 0o755)
        yield {"dir": d, "conf": conf, "url": "http://127.0.0.1:%d" % ports["rest_port"], "user": "root", "token": token,
               "version": version, "major": major, "scontrol": scontrol}
    except Exception:
        for name, _proc, _log in svc.procs:
            sys.stderr.write("---- %s ----\n%s\n" % (name, svc.log(name)))
        for log in ("slurmctld.log", "slurmd.gpu-mix-01.log"):
            if os.path.exists(os.path.join(d, log)):
                with open(os.path.join(d, log)) as f:
                    sys.stderr.write("---- %s ----\n%s\n" % (log, f.read()[-3000:]))
        raise
    finally:
        if job:
            node.run(["scancel", job], env, check=False)


@pytest.fixture(scope="session")
def slurm_cluster():
    """Slurm from this machine's Debian packages (Debian 12: Slurm 22.05)."""
    missing = [b for b in SLURM_BINARIES if not shutil.which(b)]
    if missing:
        cannot_run("Slurm integration needs the Debian packages in tests/integration/inventory/apt-packages.txt "
                   "(missing: %s)" % ", ".join(missing))
    if os.geteuid() != 0:
        cannot_run("Slurm integration needs root (slurmd, mknod, setpriv to the slurm and munge users)")
    d = tempfile.mkdtemp(prefix="mlinfra-slurm-")
    os.chmod(d, 0o755)
    svc = Services(d)
    try:
        with slurm_cluster_on(SlurmNodeHost(), svc, d) as info:
            yield info
    finally:
        svc.stop()
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def slurm_cluster_2411():
    """Slurm 24.11 from Debian 13's packages, in a systemd container of the test bed (tests/containers/testbed.sh,
    image mlinfra/debian:13-systemd, --network host); the daemons run in it, the plugin runs here."""
    require_testbed(13, "Slurm 24.11 integration")
    d = tempfile.mkdtemp(prefix="mlinfra-slurm2411-", dir="/var/tmp")  # Debian 13 mounts a tmpfs on /tmp
    os.chmod(d, 0o755)
    name = "mlinfra-inventory-slurm2411-%d" % os.getpid()
    svc = Services(d)
    try:
        proc = testbed("testbed_run %s 13 -v %s:%s" % (name, d, d), timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        node = SlurmNodeHost(["docker", "exec", name], rest_user="slurmrest")
        node.run(["sh", "-ec", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq %s >/dev/null; "
                  "systemctl stop slurmctld slurmd slurmrestd munge 2>/dev/null || true; "
                  "useradd --system --no-create-home slurmrest" % " ".join(CONTAINER_PACKAGES + ["util-linux"])], timeout=900)
        with slurm_cluster_on(node, svc, d) as info:
            yield info
    finally:
        svc.stop()
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=120, check=False)
        shutil.rmtree(d, ignore_errors=True)


AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing-secret-never-printed",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}

# (region, instance type, count, tags, stop afterwards)
EC2_FLEET = [
    ("us-east-1", "p4d.24xlarge", 2, {"team": "research"}, False),
    ("us-east-1", "p5.48xlarge", 1, {"team": "research", "Name": "{{ lookup('pipe', 'id') }}"}, False),
    ("us-east-1", "g5.xlarge", 3, {"team": "inference"}, False),
    ("us-east-1", "g4dn.xlarge", 1, {"team": "inference"}, True),
    ("us-east-1", "g6e.xlarge", 1, {}, False),
    ("us-east-1", "t3.micro", 3, {"team": "web"}, False),
    ("us-east-1", "p3.2xlarge", 1, {}, False),  # moto does not know p3: no GpuInfo
    ("us-west-2", "g6.xlarge", 2, {"team": "inference"}, False),
]


def start_moto(svc):
    port = free_port()
    svc.start("moto", [os.path.join(BIN, "moto_server"), "-H", "127.0.0.1", "-p", str(port)], env=dict(os.environ, **AWS_ENV))
    url = "http://127.0.0.1:%d" % port

    def up():
        svc.check_alive()
        with urllib.request.urlopen(url + "/moto-api/", timeout=2) as r:
            return r.status == 200
    wait_for("moto_server", up, timeout=60)
    return url


@pytest.fixture(scope="session")
def moto_ec2():
    boto3 = pytest.importorskip("boto3")
    d = tempfile.mkdtemp(prefix="mlinfra-moto-")
    svc = Services(d)
    try:
        url = start_moto(svc)
        created = {}
        for region, itype, count, tags, stop in EC2_FLEET:
            ec2 = boto3.client("ec2", endpoint_url=url, region_name=region, aws_access_key_id="testing",
                               aws_secret_access_key="testing")
            spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}] if tags else []
            ids = [i["InstanceId"] for i in ec2.run_instances(ImageId="ami-12c6146b", InstanceType=itype, MinCount=count,
                                                              MaxCount=count, TagSpecifications=spec)["Instances"]]
            if stop:
                ec2.stop_instances(InstanceIds=ids)
            created.setdefault(itype, []).extend(ids)
        yield {"url": url, "instances": created, "env": dict(AWS_ENV)}
    finally:
        svc.stop()
        shutil.rmtree(d, ignore_errors=True)
