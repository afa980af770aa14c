"""EC2 inventory speed: mlinfra.gpu.ec2_gpu vs amazon.aws.aws_ec2, same moto server, same run.

Starts ``moto_server`` on a free 127.0.0.1 port, creates 2,000 instances of mixed GPU / non-GPU types, then times
``ansible-inventory --list`` for both plugins (alternating, REPEAT runs each) and prints both times and the ratio.
Not a timed test: nothing here asserts on time.

Run from the repository root:  . scripts/lib.sh; ensure_venv; ensure_collection_link; python bench/inventory/ec2_vs_aws_ec2.py
"""
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.dirname(sys.executable)
REPEAT = int(os.environ.get("REPEAT", "3"))
FLEET = [("p4d.24xlarge", 150), ("p5.48xlarge", 100), ("g5.xlarge", 400), ("g4dn.xlarge", 250), ("g6e.xlarge", 100),
         ("g6.xlarge", 100), ("t3.micro", 500), ("m5.large", 400)]  # 2,000 instances, 1,100 with GPUs
CREDS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
         "AWS_EC2_METADATA_DISABLED": "true"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("moto_server did not answer at %s within %ss" % (url, timeout))


def inventory(path, env):
    """Wall time and client CPU time (user+sys of ansible-inventory; moto's own time is not in it) of one --list."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", path, "--list"], env=env, capture_output=True,
                          text=True, check=False, timeout=600)
    dt = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError("%s failed: %s" % (path, proc.stderr[-2000:]))
    return dt, cpu, json.loads(proc.stdout)


def main():
    work = tempfile.mkdtemp(prefix="mlinfra-bench-")
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    log = open(os.path.join(work, "moto.log"), "wb")
    moto = subprocess.Popen([os.path.join(BIN, "moto_server"), "-H", "127.0.0.1", "-p", str(port)], stdout=log,
                            stderr=subprocess.STDOUT, env=dict(os.environ, **CREDS), start_new_session=True)
    try:
        wait_http(url + "/moto-api/")
        ec2 = boto3.client("ec2", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                           aws_secret_access_key="testing")
        t0 = time.perf_counter()
        for itype, count in FLEET:
            ec2.run_instances(ImageId="ami-12c6146b", InstanceType=itype, MinCount=count, MaxCount=count,
                              TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "team", "Value": "bench"}]}])
        print("created %d instances in moto in %.1f s" % (sum(c for _t, c in FLEET), time.perf_counter() - t0))

        ours = os.path.join(work, "bench.ec2_gpu.yml")
        with open(ours, "w") as f:
            f.write("plugin: mlinfra.gpu.ec2_gpu\nregions: [us-east-1]\nendpoint_url: %s\n" % url)
        theirs = os.path.join(work, "bench.aws_ec2.yml")
        with open(theirs, "w") as f:
            f.write("plugin: amazon.aws.aws_ec2\nregions: [us-east-1]\nendpoint_url: %s\nhostnames: [instance-id]\n" % url)
        env = dict(os.environ, **CREDS)
        env.update({"ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".build", "collections"),
                    "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true", "ANSIBLE_DEPRECATION_WARNINGS": "false",
                    "ANSIBLE_INVENTORY_ENABLED": "mlinfra.gpu.ec2_gpu,amazon.aws.aws_ec2"})
        times = {"mlinfra.gpu.ec2_gpu": [], "amazon.aws.aws_ec2": []}
        cpus = {"mlinfra.gpu.ec2_gpu": [], "amazon.aws.aws_ec2": []}
        listing = {}
        for _round in range(REPEAT):  # alternate so that load on the machine hits both alike
            for name, path in (("mlinfra.gpu.ec2_gpu", ours), ("amazon.aws.aws_ec2", theirs)):
                dt, cpu, listing[name] = inventory(path, env)
                times[name].append(dt)
                cpus[name].append(cpu)
        ours_hosts = len(listing["mlinfra.gpu.ec2_gpu"]["_meta"]["hostvars"])
        theirs_hosts = len(listing["amazon.aws.aws_ec2"]["_meta"]["hostvars"])
        gpu_hosts = len(listing["mlinfra.gpu.ec2_gpu"].get("gpu", {}).get("hosts", []))
        for name, values in times.items():
            print("%-22s wall median %.2f s  best %.2f s  runs %s | client CPU median %.2f s" % (
                name, statistics.median(values), min(values), " ".join("%.2f" % v for v in values),
                statistics.median(cpus[name])))
        ratio = statistics.median(times["amazon.aws.aws_ec2"]) / statistics.median(times["mlinfra.gpu.ec2_gpu"])
        cpu_ratio = statistics.median(cpus["amazon.aws.aws_ec2"]) / statistics.median(cpus["mlinfra.gpu.ec2_gpu"])
        print("hosts: ec2_gpu %d (%d in group gpu), aws_ec2 %d" % (ours_hosts, gpu_hosts, theirs_hosts))
        print("ratio aws_ec2 / ec2_gpu, wall (median): %.2fx" % ratio)
        print("ratio aws_ec2 / ec2_gpu, client CPU (median): %.2fx" % cpu_ratio)
    finally:
        moto.send_signal(signal.SIGTERM)
        try:
            moto.wait(timeout=15)
        except subprocess.TimeoutExpired:
            moto.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
