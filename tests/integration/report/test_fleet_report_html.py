# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report end to end: ansible-playbook mlinfra.gpu.fleet_report over five local hosts whose gpu_facts
replay recorded nvidia-smi captures (tests/unit/fixtures/gpu, the fake nvidia-smi of tests/integration/gpu_facts),
then the HTML page opened in headless chromium (Debian's chromium + chromium-driver, Selenium).

Fleet: training = train1, train2 (H100, 590.48.01, open modules) and train3 (RTX 2080 SUPER, 610.57.04, proprietary:
drifts on branch, CUDA and flavour); inference = two RTX 2080 SUPER on 595.71.05, one of them named with a
``<script>`` that would set ``data-pwned`` on the page, as is the name of its GPU. The page is kept as
.build/artifacts/fleet-report.png. Without chromium the browser test is skipped, except in CI (CI=true) where that
is a failure.
"""

from __future__ import absolute_import, division, print_function

import json
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
GPU = os.path.join(ROOT, "tests", "unit", "fixtures", "gpu")
H100_590 = os.path.join(GPU, "nvidia", "linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01")
RTX_595 = os.path.join(GPU, "nvidia", "linux-x86_64__nvidia-geforce-rtx-2080-super__595.71.05")
RTX_610 = os.path.join(GPU, "nvidia", "linux-x86_64__nvidia-geforce-rtx-2080-super__610.57.04")
PROC_OPEN = os.path.join(GPU, "proc", "version_open_565.txt")
PROC_PROPRIETARY = os.path.join(GPU, "proc", "version_proprietary_580.txt")
FAKE_SMI = os.path.join(ROOT, "tests", "integration", "gpu_facts", "fake_nvidia_smi.py")
SCREENSHOT = os.path.join(ROOT, ".build", "artifacts", "fleet-report.png")

EVIL_HOST = "inf1<script>document.body.dataset.pwned='host'</script>"
EVIL_GPU = "NVIDIA GeForce RTX 2080 SUPER <script>document.body.dataset.pwned='gpu'</script>"
HOSTS = (  # name, group, capture, proc version file, extra host variables
    ("train1", "training", H100_590, PROC_OPEN, {"ml_frameworks_status": [
        {"name": "torch", "framework": "torch", "version": "2.7.1", "build": "cu128"}]}),
    ("train2", "training", H100_590, PROC_OPEN, {"nvidia_driver_status": {
        "reboot_required": True, "reboot_reasons": ["loaded module 580.95.05, installed 590.48.01"]}}),
    ("train3", "training", RTX_610, PROC_PROPRIETARY, {}),
    (EVIL_HOST, "inference", RTX_595, PROC_OPEN, {}),
    ("inf2", "inference", RTX_595, PROC_OPEN, {"gpu_health_result": {
        "healthy": False, "failing": {"gpu0": ["row_remap"]},
        "gpus": [{"index": 0, "name": "NVIDIA GeForce RTX 2080 SUPER", "healthy": False, "failing": ["row_remap"]}]}}),
)

pytestmark = pytest.mark.integration


def _capture(src, dest, gpu_name=None):
    """A copy of a recorded capture; gpu_name replaces the GPU's name in query.csv (the only edit)."""
    shutil.copytree(src, dest)
    if gpu_name:
        path = os.path.join(dest, "query.csv")
        with open(path) as handle:
            header, row = handle.read().splitlines()[:2]
        names = [column.split(" [")[0].strip() for column in header.split(", ")]
        values = row.split(", ")
        values[names.index("name")] = gpu_name
        with open(path, "w") as handle:
            handle.write(header + "\n" + ", ".join(values) + "\n")
    return dest


def _host(tmp, index, name, capture, proc, extra):
    base = tmp / ("host%d" % index)
    fixture = _capture(capture, str(base / "capture"), EVIL_GPU if name == EVIL_HOST else None)
    (base / "proc" / "driver" / "nvidia").mkdir(parents=True)
    shutil.copy(proc, str(base / "proc" / "driver" / "nvidia" / "version"))
    smi = base / "nvidia-smi"
    smi.write_text('#!/bin/sh\nexec "%s" "%s" --fixture "%s" "$@"\n' % (sys.executable, FAKE_SMI, fixture))
    smi.chmod(0o755)
    variables = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "fleet_report_nvidia_smi_path": str(smi), "fleet_report_proc_root": str(base / "proc"),
                 "fleet_report_sysfs_root": str(base / "sys")}
    variables.update(extra)
    return variables


def _playbook(tmp):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_CONFIG", None)
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "hosts.json",
           "mlinfra.gpu.fleet_report", "-e", "fleet_report_dir=%s" % (tmp / "out"), "-e", "mlinfra_gpu_hosts=all"]
    proc = subprocess.run(cmd, cwd=str(tmp), env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Run the playbook twice; returns (JSON report, second run's stats, HTML path)."""
    tmp = tmp_path_factory.mktemp("fleet")
    groups = {}
    for index, (name, group, capture, proc, extra) in enumerate(HOSTS):
        groups.setdefault(group, {"hosts": {}})["hosts"][name] = _host(tmp, index, name, capture, proc, extra)
    (tmp / "hosts.json").write_text(json.dumps({"all": {"children": groups}}))
    _playbook(tmp)
    second = _playbook(tmp)
    with open(str(tmp / "out" / "fleet.json")) as handle:
        report = json.load(handle)
    return report, second["stats"], str(tmp / "out" / "fleet.html")


def test_the_json_report_of_the_recorded_fleet(fleet):
    report, _stats, _html = fleet
    assert report["summary"]["gpus_by_model"] == {"NVIDIA H100 80GB HBM3": 2, "NVIDIA GeForce RTX 2080 SUPER": 2,
                                                  EVIL_GPU: 1}
    assert report["drift"] == [
        {"group": "training", "host": "train3", "field": "driver_branch", "value": "610", "majority": "590"},
        {"group": "training", "host": "train3", "field": "cuda", "value": "13.3", "majority": "13.1"},
        {"group": "training", "host": "train3", "field": "kernel_module", "value": "proprietary", "majority": "open"},
    ]
    assert (report["summary"]["reboots_pending"], report["summary"]["unhealthy_gpus"]) == (1, 1)


def test_a_second_run_changes_nothing(fleet):
    _report, stats, _html = fleet
    assert stats["localhost"]["changed"] == 0


@pytest.fixture(scope="module")
def browser():
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        webdriver = None
    if not (chromium and chromedriver and webdriver):
        reason = ("headless browser test needs Debian's chromium and chromium-driver and Selenium (found: chromium=%s, "
                  "chromedriver=%s, selenium=%s)" % (chromium, chromedriver, bool(webdriver)))
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; in CI they must be installed (scripts/setup.sh)")
        pytest.skip(reason)
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not look for a driver on the network
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1600,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page(fleet, browser):
    report, _stats, html = fleet
    browser.get("file://" + html)
    width, height = browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    browser.set_window_size(max(1600, width + 100), height + 200)  # the whole page in one screenshot
    if not os.path.isdir(os.path.dirname(SCREENSHOT)):
        os.makedirs(os.path.dirname(SCREENSHOT))
    assert browser.save_screenshot(SCREENSHOT)
    return report, browser


def _cells(browser, selector):
    return browser.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(function (e) {"
        " return [e.closest('tr').getAttribute('data-host'), e.getAttribute('data-field'), e.textContent,"
        " e.closest('table').getAttribute('data-group')]; })", selector)


def test_the_injected_script_did_not_run_and_shows_as_text(page):
    _report, browser = page
    assert browser.execute_script("return document.body.getAttribute('data-pwned')") is None
    assert browser.execute_script("return document.scripts.length") == 0
    hosts = [text for _host, _field, text, _group in _cells(browser, "table.group td.host")]
    assert hosts == [EVIL_HOST, "inf2", "train1", "train2", "train3"]
    models = [text for host, _field, text, _group in _cells(browser, "table.group td.models") if host == EVIL_HOST]
    assert models == ["1 x " + EVIL_GPU]


def test_the_drift_cells_are_marked(page):
    _report, browser = page
    assert [(host, field, text) for host, field, text, _group in _cells(browser, "td.drift")] == [
        ("train3", "driver_branch", "610"), ("train3", "cuda", "13.3"), ("train3", "kernel_module", "proprietary")]
    colour = browser.execute_script("return getComputedStyle(document.querySelector('td.drift')).backgroundColor")
    assert colour == "rgb(255, 216, 168)"


def test_the_numbers_on_the_page_are_the_json_numbers(page):
    report, browser = page
    summary = dict(browser.execute_script(
        "return Array.from(document.querySelectorAll('td[data-summary]')).map(function (e) {"
        " return [e.getAttribute('data-summary'), e.textContent]; })"))
    numbers = ("hosts", "gpus", "hosts_drifting", "unhealthy_gpus", "reboots_pending")
    assert [summary[key] for key in numbers] == [str(report["summary"][key]) for key in numbers]
    models = dict(browser.execute_script(
        "return Array.from(document.querySelectorAll('td[data-model]')).map(function (e) {"
        " return [e.getAttribute('data-model'), e.textContent]; })"))
    assert models == dict((name, str(count)) for name, count in report["summary"]["gpus_by_model"].items())
    counts = [(host, text) for host, _field, text, _group in _cells(browser, "table.group td.gpu_count")]
    records = dict((record["host"], record) for record in report["hosts"])
    assert counts == [(host, str(records[host]["gpu_count"])) for table in report["groups"] for host in table["hosts"]]
    assert os.path.getsize(SCREENSHOT) > 10000
