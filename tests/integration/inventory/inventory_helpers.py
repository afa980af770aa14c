"""Helpers and session fixtures (registered by conftest.py) that start real services on 127.0.0.1 for the inventory plugin tests.

``slurm_cluster``: munged, slurmctld, three slurmd (two CPU nodes, one GPU node with mknod'ed /dev/nvidia-like
character devices), slurmrestd with JWT, from the Debian packages listed in apt-packages.txt. Needs root (slurmd,
mknod, dropping to the munge/slurm users). ``moto_ec2``: ``moto_server`` with GPU and non-GPU instances.
Everything listens on free ports of 127.0.0.1, every wait is bounded, and everything is stopped afterwards.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
BIN = os.path.dirname(sys.executable)
SLURM_BINARIES = ("munged", "slurmctld", "slurmd", "slurmrestd", "scontrol", "sinfo", "sbatch", "setpriv")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, timeout=60, interval=0.3):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 -- keep trying until the deadline
            last = e
        time.sleep(interval)
    raise RuntimeError("timed out after %ss waiting for %s (last: %r)" % (timeout, what, last))


class Services:
    """Processes started by a fixture; stopped in reverse order."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.procs = []

    def start(self, name, args, env=None):
        log = open(os.path.join(self.workdir, name + ".out"), "wb")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.workdir,
                                start_new_session=True)
        self.procs.append((name, proc, log))
        return proc

    def log(self, name):
        path = os.path.join(self.workdir, name + ".out")
        if not os.path.exists(path):
            return ""
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-3000:]

    def check_alive(self):
        for name, proc, _log in self.procs:
            if proc.poll() is not None:
                raise RuntimeError("%s exited with %s:\n%s" % (name, proc.returncode, self.log(name)))

    def stop(self):
        for _name, proc, log in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
            log.close()


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


def _slurm_version():
    out = subprocess.run(["slurmctld", "-V"], capture_output=True, text=True, check=False).stdout.split()
    major = int(out[1].split(".")[0]) if len(out) > 1 else 0
    return major, out[1] if len(out) > 1 else "?"


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


def _as_user(user, args):
    return ["setpriv", "--reuid", user, "--regid", user, "--init-groups"] + args


def _chown(path, user):
    import pwd
    pw = pwd.getpwnam(user)
    os.chown(path, pw.pw_uid, pw.pw_gid)


@pytest.fixture(scope="session")
def slurm_cluster():
    missing = [b for b in SLURM_BINARIES if not shutil.which(b)]
    if missing:
        pytest.skip("Slurm integration needs the Debian packages in tests/integration/inventory/apt-packages.txt "
                    "(missing: %s)" % ", ".join(missing))
    if os.geteuid() != 0:
        pytest.skip("Slurm integration needs root (slurmd, mknod, setpriv to the slurm and munge users)")
    major, version = _slurm_version()
    d = tempfile.mkdtemp(prefix="mlinfra-slurm-")
    os.chmod(d, 0o755)
    svc = Services(d)
    env = dict(os.environ)
    job = None
    ports = dict(ctld_port=free_port(), slurmd_port=free_port(), mix_port=free_port(), cpu1_port=free_port(),
                 cpu2_port=free_port(), rest_port=free_port())
    try:
        for sub, owner, mode in (("munge", "munge", 0o755), ("state", "slurm", 0o755), ("spool", "root", 0o755),
                                 ("dev", "root", 0o755)):
            os.mkdir(os.path.join(d, sub))
            os.chmod(os.path.join(d, sub), mode)
            _chown(os.path.join(d, sub), owner)
        for i in range(6):
            os.mknod(os.path.join(d, "dev", "nvidia%d" % i), 0o666 | 0o020000, os.makedev(195, i))
        for name, owner, size in (("munge.key", "munge", 1024), ("jwt.key", "slurm", 32)):
            path = os.path.join(d, name)
            with open(path, "wb") as f:
                f.write(os.urandom(size))
            os.chmod(path, 0o400 if owner == "munge" else 0o600)
            _chown(path, owner)
        conf = os.path.join(d, "slurm.conf")
        with open(conf, "w") as f:
            f.write(SLURM_CONF.format(d=d, **ports))
        with open(os.path.join(d, "gres.conf"), "w") as f:
            f.write(GRES_CONF.format(d=d))
        env = dict(os.environ, SLURM_CONF=conf)
        env.pop("SLURM_JWT", None)

        svc.start("munged", _as_user("munge", [
            "munged", "-F", "--socket=%s/munge/munge.sock" % d, "--key-file=%s/munge.key" % d,
            "--log-file=%s/munge/munged.log" % d, "--pid-file=%s/munge/munged.pid" % d, "--seed-file=%s/munge/seed" % d]))
        wait_for("munged socket", lambda: svc.check_alive() or os.path.exists("%s/munge/munge.sock" % d), timeout=20)

        def scontrol(*args, check=True):
            proc = subprocess.run(["scontrol"] + list(args), env=env, capture_output=True, text=True, timeout=30, check=False)
            if check and proc.returncode != 0:
                raise RuntimeError("scontrol %s: %s" % (" ".join(args), proc.stderr))
            return proc

        svc.start("slurmctld", ["slurmctld", "-D", "-f", conf], env=env)
        wait_for("slurmctld", lambda: svc.check_alive() or scontrol("ping", check=False).returncode == 0, timeout=60)
        for node in ("cpu-01", "cpu-02", "gpu-mix-01"):
            svc.start("slurmd-" + node, ["slurmd", "-D", "-N", node, "-f", conf], env=env)

        def states():
            svc.check_alive()
            out = subprocess.run(["sinfo", "-h", "-N", "-o", "%N %T"], env=env, capture_output=True, text=True,
                                 timeout=30, check=False).stdout
            return dict(line.split() for line in out.splitlines() if line.strip())
        wait_for("slurmd nodes idle", lambda: all(states().get(n) == "idle" for n in ("cpu-01", "cpu-02", "gpu-mix-01")),
                 timeout=60)
        scontrol("update", "nodename=gpu-a100-03", "state=drain", "reason=" + DRAIN_REASON)
        scontrol("update", "nodename=cpu-02", "state=drain", "reason=maintenance")
        scontrol("update", "nodename=gpu-a100-04", "state=down", "reason=gpu fell off the bus")
        job = subprocess.run(["sbatch", "--parsable", "-w", "cpu-01", "-n", "1", "-o", "/dev/null", "--wrap", "sleep 3600"],
                             env=env, capture_output=True, text=True, timeout=30, check=True).stdout.strip()
        wait_for("cpu-01 mixed", lambda: states().get("cpu-01") == "mixed", timeout=60)

        rest_plugins = "openapi/v0.0.38" if major < 23 else "openapi/slurmctld"
        svc.start("slurmrestd", _as_user("slurm", [
            "env", "SLURM_JWT=daemon", "SLURM_CONF=" + conf, "slurmrestd", "-a", "rest_auth/jwt", "-s", rest_plugins,
            "127.0.0.1:%d" % ports["rest_port"]]))

        def rest_up():
            svc.check_alive()
            with socket.create_connection(("127.0.0.1", ports["rest_port"]), timeout=2):
                return True
        wait_for("slurmrestd", rest_up, timeout=30)
        token = scontrol("token", "username=root", "lifespan=7200").stdout.strip().split("=", 1)[1]
        yield {"dir": d, "conf": conf, "url": "http://127.0.0.1:%d" % ports["rest_port"], "user": "root",
               "token": token, "version": version, "major": major, "env": env}
    except Exception:
        for name, _proc, _log in svc.procs:
            sys.stderr.write("---- %s ----\n%s\n" % (name, svc.log(name)))
        raise
    finally:
        if job:
            subprocess.run(["scancel", job], env=env, capture_output=True, timeout=30, check=False)
        svc.stop()
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
