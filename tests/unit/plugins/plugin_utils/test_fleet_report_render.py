# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Markdown and HTML of the fleet report (plugin_utils/_fleet_report_render.py): exact text, drift marks, escaping."""

from __future__ import absolute_import, division, print_function

from html.parser import HTMLParser

import pytest

from ansible_collections.mlinfra.gpu.plugins.plugin_utils._fleet_report import build_report
from ansible_collections.mlinfra.gpu.plugins.plugin_utils import _fleet_report_render as render

EVIL = "<script>document.title='pwned'</script>"


def _gpu(name, version, cuda, module, count=1):
    return {"devices": [{"name": name}] * count, "nvswitch_count": 0,
            "driver": {"loaded": True, "version": version, "cuda_version": cuda, "kernel_module": module}}


RAWS = [
    {"host": "a", "groups": ["train"], "gpu": _gpu("NVIDIA H100 80GB HBM3", "590.48.01", "13.1", "open", 2),
     "frameworks": [{"framework": "torch", "version": "2.7.1", "build": "cu128"}],
     "container_runtime": {"engine": "docker", "engine_version": "27.5.1"}},
    {"host": "b", "groups": ["train"], "gpu": _gpu("NVIDIA H100 80GB HBM3", "590.48.01", "13.1", "open", 2),
     "storage": [{"path": "/scratch", "fstype": "ext4"}], "container_runtime": {"engine": "docker"}},
    {"host": "c|" + EVIL, "groups": ["train"], "gpu": _gpu("GPU " + EVIL, "610.57.04", "13.3", "open"),
     "nvidia_driver": {"reboot_required": True, "reboot_reasons": ["module 590 loaded"]},
     "health": {"healthy": False, "failing": {"gpu0": ["ecc", "xid"]},
                "gpus": [{"index": 0, "name": "GPU " + EVIL, "healthy": False, "failing": ["ecc", "xid"]}]}},
    {"host": "login1", "groups": []},
]

MARKDOWN = r"""# GPU fleet report

- hosts: 4
- GPUs: 5
- GPUs by model: 4 x NVIDIA H100 80GB HBM3, 1 x GPU \<script>document.title='pwned'\</script>
- drivers: 2 x 590.48.01, 1 x 610.57.04
- CUDA ceilings: 2 x 13.1, 1 x 13.3
- kernel modules: 3 x open
- container runtimes: 1 x docker, 1 x docker 27.5.1
- framework torch: 1 x 2.7.1 (cu128)
- hosts drifting: 3
- unhealthy GPUs: 1
- reboots pending: 1
- hosts without GPU facts: login1

## Drift (differs from the group's majority)

- train / a: runtime docker 27.5.1 (tie, no majority)
- train / b: runtime docker (tie, no majority)
- train / c\|\<script>document.title='pwned'\</script>: driver_branch 610 (majority 590)
- train / c\|\<script>document.title='pwned'\</script>: cuda 13.3 (majority 13.1)
- unhealthy: c\|\<script>document.title='pwned'\</script> gpu0: ecc, xid
- reboot pending: c\|\<script>document.title='pwned'\</script>: module 590 loaded

## Group train (hosts: 3)

| host | GPUs | models | driver | branch | CUDA | modules | NVSwitches | container runtime | CUDA toolkit | storage | health | reboot | torch |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
| a | 2 | 2 x NVIDIA H100 80GB HBM3 | 590.48.01 | 590 | 13.1 | open | 0 | **docker 27.5.1** ! | - | - | - | - | 2.7.1 (cu128) |
| b | 2 | 2 x NVIDIA H100 80GB HBM3 | 590.48.01 | 590 | 13.1 | open | 0 | **docker** ! | - | /scratch (ext4) | - | - | - |
{C_ROW}

## Group ungrouped (hosts: 1)

| host | GPUs | models | driver | branch | CUDA | modules | NVSwitches | container runtime | CUDA toolkit | storage | health | reboot |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
| login1 | 0 | - | - | - | - | - | 0 | - | - | - | - | - |
"""


C_ROW = ("| c\\|\\<script>document.title='pwned'\\</script> | 1 | 1 x GPU \\<script>document.title='pwned'\\</script> "
         "| 610.57.04 | **610** ! | **13.3** ! | open | 0 | - | - | - | gpu0: ecc, xid | pending: module 590 loaded | - |")


def test_markdown_of_a_small_fleet():
    assert render.render_markdown(build_report(RAWS)) == MARKDOWN.replace("{C_ROW}", C_ROW)


def test_markdown_of_an_empty_fleet():
    assert render.render_markdown(build_report([])) == (
        "# GPU fleet report\n\n- hosts: 0\n- GPUs: 0\n- GPUs by model: -\n- drivers: -\n- CUDA ceilings: -\n"
        "- kernel modules: -\n- container runtimes: -\n- hosts drifting: 0\n- unhealthy GPUs: 0\n"
        "- reboots pending: 0\n")


@pytest.mark.parametrize("text, expected", [
    ("a|b", "a\\|b"), ("back\\slash", "back\\\\slash"), ("<b>", "\\<b>"), ("two\nlines  and\ttabs", "two lines and tabs"),
    (7, "7"),
])
def test_md_escape(text, expected):
    assert render.md_escape(text) == expected


def test_a_healthy_host_and_a_reboot_without_reasons():
    report = build_report([{"host": "a", "health": {"healthy": True},
                            "nvidia_driver": {"reboot_required": True}}])
    record = report["hosts"][0]
    assert (render.cell(record, "health"), render.cell(record, "reboot")) == ("healthy", "pending: ")
    assert render.render_markdown(report).splitlines()[13] == "- reboot pending: a: -"


@pytest.mark.parametrize("mapping, expected", [
    ({"590": 1, "610": 2, "550": 1}, "2 x 610, 1 x 550, 1 x 590"),
    ({}, "-"),
])
def test_counts(mapping, expected):
    assert render.counts(mapping) == expected


class Page(HTMLParser):
    """The page's elements: every start tag with its attributes, the text of each cell, script and asset tags."""

    def __init__(self):
        HTMLParser.__init__(self)
        self.tags, self.cells, self._cell = [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "td":
            self._cell = [attrs, ""]
            self.cells.append(self._cell)

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data


def _page():
    page = Page()
    page.feed(render.render_html(build_report(RAWS)))
    return page


def test_html_has_no_script_and_no_external_asset():
    tags = [tag for tag, _attrs in _page().tags]
    assert sorted(set(tags)) == ["body", "h1", "h2", "head", "html", "meta", "style", "table", "td", "th",
                                 "title", "tr"]
    assert [attrs for _tag, attrs in _page().tags if "src" in attrs or "href" in attrs] == []


def test_html_shows_the_injected_script_as_text():
    hosts = [text for attrs, text in _page().cells if attrs.get("data-field") == "host"]
    models = [text for attrs, text in _page().cells if attrs.get("data-field") == "models"]
    assert hosts == ["a", "b", "c|" + EVIL, "login1"]
    assert models[2] == "1 x GPU " + EVIL


def test_html_marks_the_drifting_cells():
    drift = [(attrs["data-field"], text, attrs["title"]) for attrs, text in _page().cells
             if "drift" in attrs.get("class", "").split()]
    assert drift == [("runtime", "docker 27.5.1", "tie, no majority"), ("runtime", "docker", "tie, no majority"),
                     ("driver_branch", "610", "group majority: 590"), ("cuda", "13.3", "group majority: 13.1")]


def test_html_summary_cells_carry_their_json_key():
    summary = dict((attrs["data-summary"], text) for attrs, text in _page().cells if "data-summary" in attrs)
    assert summary == {
        "hosts": "4", "gpus": "5", "gpus_by_model": "4 x NVIDIA H100 80GB HBM3, 1 x GPU " + EVIL,
        "drivers": "2 x 590.48.01, 1 x 610.57.04", "cuda": "2 x 13.1, 1 x 13.3", "kernel_modules": "3 x open",
        "runtimes": "1 x docker, 1 x docker 27.5.1", "framework:torch": "1 x 2.7.1 (cu128)", "hosts_drifting": "3",
        "unhealthy_gpus": "1", "reboots_pending": "1", "hosts_without_gpu_facts": "login1",
    }
    models = [(attrs["data-model"], text) for attrs, text in _page().cells if "data-model" in attrs]
    assert models == [("NVIDIA H100 80GB HBM3", "4"), ("GPU " + EVIL, "1")]


def test_html_classes_of_the_unhealthy_row_reboot_and_framework_cells():
    page = _page()
    rows = [attrs for tag, attrs in page.tags if tag == "tr" and "data-host" in attrs]
    assert [(attrs["data-host"], attrs.get("class")) for attrs in rows] == [
        ("a", None), ("b", None), ("c|" + EVIL, "unhealthy"), ("login1", None)]
    classes = [(attrs["data-field"], attrs["class"]) for attrs, _text in page.cells
               if attrs.get("data-field") in ("reboot", "runtime", "storage", "framework:torch")]
    assert classes == [
        ("runtime", "runtime drift"), ("storage", "storage"), ("reboot", "reboot"), ("framework:torch", "framework"),
        ("runtime", "runtime drift"), ("storage", "storage"), ("reboot", "reboot"), ("framework:torch", "framework"),
        ("runtime", "runtime"), ("storage", "storage"), ("reboot", "reboot reboot-pending"),
        ("framework:torch", "framework"),
        ("runtime", "runtime"), ("storage", "storage"), ("reboot", "reboot")]


def test_html_tables_and_the_simulated_label():
    gpu = dict(_gpu("H100", "590.48.01", "13.1", "open"), simulated=True)
    report = build_report([{"host": "demo", "groups": ["gpu"], "gpu": gpu}])
    page = Page()
    page.feed(render.render_html(report))
    assert [text for attrs, text in page.cells if attrs.get("data-field") == "host"] == ["demo (simulated)"]
    assert [attrs["id"] for tag, attrs in page.tags if tag == "table" and "id" in attrs] == ["summary", "models"]
    full = _page()
    assert [attrs.get("id") or attrs["data-group"] for tag, attrs in full.tags if tag == "table"] == [
        "summary", "models", "drift", "unhealthy", "reboots", "train", "ungrouped"]


def test_html_drift_unhealthy_and_reboot_tables():
    cells = [text for attrs, text in _page().cells]
    start = cells.index("train")
    assert cells[start:start + 5] == ["train", "a", "runtime", "docker 27.5.1", "tie, no majority"]
    assert cells[start + 15:start + 20] == ["train", "c|" + EVIL, "cuda", "13.3", "13.1"]
    assert cells[start + 20:start + 26] == ["c|" + EVIL, "gpu0", "GPU " + EVIL, "ecc, xid", "c|" + EVIL,
                                            "module 590 loaded"]


def test_html_is_the_same_for_the_same_fleet_and_ends_with_a_newline():
    html = render.render_html(build_report(RAWS))
    assert html == render.render_html(build_report(list(RAWS)))
    assert html[-8:] == "</html>\n"


@pytest.mark.parametrize("mapping, expected", [
    ({"b": 1, "a": 1, "c": 3}, [("c", 3), ("a", 1), ("b", 1)]),
    ({}, []),
])
def test_ordered(mapping, expected):
    assert render.ordered(mapping) == expected
