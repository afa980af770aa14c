# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ml_frameworks decisions (_frameworks_plan) over recorded hosts (tests/unit/fixtures/frameworks/SOURCES.md)."""

from __future__ import absolute_import, division, print_function

import os

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _frameworks_plan as fp
from ansible_collections.mlinfra.gpu.plugins.module_utils import gpu_compat_data as data

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "frameworks")
ROOT = "/opt/mlinfra/envs"
SENTINEL = "Nothing was changed."


def _nvidia_hosts():
    hosts = {}
    with open(os.path.join(FIXTURES, "nvidia_smi_name_driver.csv")) as handle:
        for line in handle:
            name, driver = [part.strip() for part in line.split(",")[:2]]
            hosts[driver] = {"count": 1, "vendors": ["nvidia"], "devices": [{"vendor": "nvidia", "name": name}],
                             "driver": {"version": driver}}
    return hosts


def _amd_host():
    with open(os.path.join(FIXTURES, "rocm_smi_mi300x.txt")) as handle:
        names = [line.split("Device Name:")[1].strip() for line in handle if "Device Name:" in line]
    return {"count": len(names), "vendors": ["amd"], "devices": [{"vendor": "amd", "name": n} for n in names],
            "driver": {"version": None}}


HOSTS = _nvidia_hosts()
H535, H550, H580 = HOSTS["535.230.02"], HOSTS["550.90.07"], HOSTS["580.95.05"]
MI300X = _amd_host()
NO_GPU = {"count": 0, "vendors": [], "devices": [], "driver": {}}


def env(**kw):
    base = {"name": "ml", "framework": "torch", "version": "2.6.0", "build": "auto"}
    base.update(kw)
    return base


def one(host, sources=None, driver_version="", **kw):
    return fp.plan([env(**kw)], host, sources or {}, ROOT, driver_version)["envs"][0]


def refusal(host, **kw):
    with pytest.raises(fp.PlanError) as err:
        one(host, **kw)
    return str(err.value)


# --- which build each recorded host gets -------------------------------------------------------------------------

@pytest.mark.parametrize("host, framework, version, build", [
    (H535, "torch", "2.6.0", "cuda11.8"),
    (H535, "torch", "2.5", "cuda12.1"),
    (H550, "torch", "2.6.0", "cuda12.4"),
    (HOSTS["550.54.15"], "torch", "2.5.1", "cuda12.4"),
    (H580, "torch", "2.6.0", "cuda12.6"),
    (H580, "torch", "2.9.0", "cuda13.0"),
    (HOSTS["580.178.04"], "torch", "2.8.0", "cuda12.9"),
    (H535, "jax", "0.4.35", "cuda12"),
    (H580, "jax", "0.7.2", "cuda13"),
    (H580, "jax", "0.7.1", "cuda12"),
    (H580, "jax", "0.7", "cuda13"),
    (H535, "tensorflow", "2.15.1", "cuda12.2"),
    (H550, "tensorflow", "2.17.0", "cuda12.3"),
    (H580, "tensorflow", "2.20.0", "cuda12.5"),
    (MI300X, "torch", "2.6.0", "rocm6.2.4"),
    (MI300X, "torch", "2.9", "rocm6.4"),
    (NO_GPU, "torch", "2.6.0", "cpu"),
    (NO_GPU, "jax", "0.4.35", "cpu"),
    (NO_GPU, "tensorflow", "2.19.0", "cpu"),
])
def test_auto_build_per_recorded_host(host, framework, version, build):
    assert one(host, framework=framework, version=version)["build"] == build


def test_h100_550_torch_26_whole_plan():
    assert fp.plan([env()], H550, {}, ROOT) == {
        "host": {"vendor": "nvidia", "driver": "550.90.07", "cuda_ceiling": "12.4", "gpus": 1},
        "envs": [{"name": "ml", "state": "present", "path": "/opt/mlinfra/envs/ml", "framework": "torch",
                  "version": "2.6.0", "build": "cuda12.4",
                  "reason": "auto: the newest CUDA build of torch 2.6.0 that driver 550.90.07 runs",
                  "requirements": ["torch==2.6.0"], "framework_index": "https://download.pytorch.org/whl/cu124",
                  "pip_args": ["--index-url", "https://download.pytorch.org/whl/cu124", "--extra-index-url",
                               "https://pypi.org/simple"],
                  "spec_hash": fp.spec_hash({"framework": "torch", "version": "2.6.0", "build": "cuda12.4",
                                             "requirements": ["torch==2.6.0"]}),
                  "expect_gpu": True}]}


def test_no_gpu_jax_cpu_env():
    got = one(NO_GPU, framework="jax", version="0.4.35", packages=["optax==0.2.4"])
    assert (got["build"], got["reason"], got["requirements"], got["framework_index"], got["pip_args"],
            got["expect_gpu"]) == ("cpu", "auto: no GPU seen", ["jax[cpu]==0.4.35", "optax==0.2.4"], "", [], False)


def test_amd_reason_and_index():
    got = one(MI300X, version="2.6")
    assert (got["reason"], got["requirements"], got["framework_index"], got["expect_gpu"]) == (
        "auto: AMD GPUs, the newest ROCm build of torch 2.6", ["torch==2.6.*"],
        "https://download.pytorch.org/whl/rocm6.2.4", True)


def test_mi300x_host_facts():
    assert fp.host_accelerators(MI300X) == {"vendor": "amd", "driver": "", "cuda_ceiling": None, "gpus": 2}


def test_planned_driver_wins_over_the_facts():
    assert fp.host_accelerators(H535, "580.65.06") == {
        "vendor": "nvidia", "driver": "580.65.06", "cuda_ceiling": "13.0", "gpus": 1}


def test_nvidia_wins_over_amd():
    mixed = {"devices": [{"vendor": "amd", "name": "AMD Instinct MI300X"}], "vendors": ["nvidia"],
             "driver": {"version": "550.54.15"}}
    assert fp.host_accelerators(mixed)["vendor"] == "nvidia"


def test_vendor_from_devices_only():
    assert fp.host_accelerators({"devices": [{"vendor": "amd"}]})["vendor"] == "amd"


def test_no_facts_at_all():
    assert fp.host_accelerators(None) == {"vendor": None, "driver": "", "cuda_ceiling": None, "gpus": 0}


# --- explicit builds ------------------------------------------------------------------------------------------------

def test_explicit_cpu_on_a_gpu_host():
    got = one(H580, build="cpu")
    assert (got["build"], got["reason"], got["framework_index"], got["expect_gpu"]) == (
        "cpu", "explicit", "https://download.pytorch.org/whl/cpu", False)


def test_explicit_older_cuda_build_wins_over_auto():
    got = one(H580, build="cuda11.8")
    assert (got["build"], got["reason"], got["framework_index"]) == (
        "cuda11.8", "explicit", "https://download.pytorch.org/whl/cu118")


def test_explicit_cuda_on_a_host_without_gpu_is_kept():
    got = one(NO_GPU, build="cuda12.6")
    assert (got["build"], got["expect_gpu"]) == ("cuda12.6", False)


def test_explicit_rocm_prefix_names_the_published_build():
    assert one(MI300X, build="rocm6.2")["build"] == "rocm6.2.4"


def test_explicit_rocm_on_nvidia_host_expects_no_gpu():
    assert one(H580, build="rocm6.1")["expect_gpu"] is False


def test_explicit_jax_minor_maps_to_its_major_extra():
    got = one(H580, framework="jax", version="0.6.2", build="cuda12.8")
    assert (got["build"], got["requirements"]) == ("cuda12", ["jax[cuda12]==0.6.2"])


def test_explicit_cuda_major_is_its_newest_minor():
    assert one(H580, version="2.9.0", build="cuda12")["build"] == "cuda12.8"


def test_explicit_cuda_without_driver_version_is_kept():
    host = {"vendors": ["nvidia"], "devices": [{"vendor": "nvidia", "name": "NVIDIA H100 80GB HBM3"}]}
    assert one(host, build="cuda12.6")["build"] == "cuda12.6"


def test_tensorflow_gpu_requirement():
    assert one(H550, framework="tensorflow", version="2.16")["requirements"] == ["tensorflow[and-cuda]==2.16.*"]


def test_tensorflow_cpu_requirement():
    assert one(NO_GPU, framework="tensorflow", version="2.16.1")["requirements"] == ["tensorflow==2.16.1"]


def test_empty_version_is_the_newest_series():
    got = one(H580, version="")
    assert (got["build"], got["requirements"]) == ("cuda13.0", ["torch==2.9.*"])


def test_unknown_version_with_cpu_build_is_allowed():
    assert one(H580, version="3.1.0", build="cpu")["requirements"] == ["torch==3.1.0"]


def test_unknown_series_on_a_cpu_host_installs_cpu():
    assert one(NO_GPU, framework="jax", version="0.9")["requirements"] == ["jax[cpu]==0.9.*"]


def test_framework_none_is_only_packages():
    got = one(H580, framework="none", version="", packages=["numpy==2.1.3"])
    assert (got["build"], got["reason"], got["requirements"], got["pip_args"], got["expect_gpu"]) == (
        "cpu", "no framework", ["numpy==2.1.3"], [], False)


def test_framework_none_accepts_cpu_build():
    assert one(H580, framework="none", version="", build="cpu")["build"] == "cpu"


def test_absent_env_is_only_its_path():
    assert one(H580, state="absent", version="9.9.9", build="cuda99") == {
        "name": "ml", "state": "absent", "path": "/opt/mlinfra/envs/ml"}


def test_defaults_of_a_minimal_env():
    got = fp.plan([{"name": "tools"}], NO_GPU, {}, ROOT + "/")["envs"][0]
    assert (got["framework"], got["build"], got["state"], got["path"]) == (
        "none", "cpu", "present", "/opt/mlinfra/envs/tools")


# --- sources and hash ------------------------------------------------------------------------------------------------

def test_wheelhouse_means_no_index():
    got = one(H550, sources={"wheelhouse": "/srv/wheels", "index_url": "https://pypi.corp/simple",
                             "extra_index_urls": ["https://x/simple"], "ca_file": "/etc/ssl/corp.pem"})
    assert got["pip_args"] == ["--no-index", "--find-links", "/srv/wheels", "--cert", "/etc/ssl/corp.pem"]


def test_internal_index_is_pytorchs_fallback():
    got = one(H550, sources={"index_url": "https://pypi.corp/simple", "extra_index_urls": ["https://x/simple"],
                             "pytorch_index": "https://mirror.corp/whl/"})
    assert got["pip_args"] == ["--index-url", "https://mirror.corp/whl/cu124", "--extra-index-url",
                               "https://pypi.corp/simple", "--extra-index-url", "https://x/simple"]


def test_internal_index_without_framework_index():
    got = one(NO_GPU, framework="jax", version="0.4.35", sources={"index_url": "https://pypi.corp/simple",
                                                                  "ca_file": "/ca.pem"})
    assert got["pip_args"] == ["--index-url", "https://pypi.corp/simple", "--cert", "/ca.pem"]


def test_extra_index_alone():
    got = one(NO_GPU, framework="jax", version="0.4.35", sources={"extra_index_urls": ["https://x/simple"]})
    assert got["pip_args"] == ["--extra-index-url", "https://x/simple"]


def test_hash_ignores_the_source_but_not_the_spec():
    online = one(H550)["spec_hash"]
    assert (one(H550, sources={"wheelhouse": "/w"})["spec_hash"] == online,
            one(H550, packages=["numpy<2"])["spec_hash"] == online) == (True, False)


def test_hash_is_sha256_of_sorted_json():  # expected: printf %s {"a":[2],"b":1} | sha256sum
    assert fp.spec_hash({"b": 1, "a": [2]}) == "63c9663de90ee828bbda6cd9acf02d0c653986c1ec25aa239920641edc9a1de5"


# --- refusals (fixed sentinel, values named) ---------------------------------------------------------------------

def test_h100_535_refuses_torch_29():
    msg = refusal(H535, version="2.9.0")
    assert msg == (
        "ml_frameworks: environment 'ml': torch 2.9.0 has builds for CUDA 12.6, 12.8, 13.0 (the oldest needs driver "
        ">= 560.28.03), but driver 535.230.02 runs CUDA up to 12.2. What would fit: torch 2.7 (cuda11.8), or a driver "
        ">= 560.28.03, or build cpu. " + SENTINEL)


def test_h100_550_refuses_jax_cuda13():
    msg = refusal(H550, framework="jax", version="0.7.2", build="cuda13")
    assert msg == (
        "ml_frameworks: environment 'ml': build cuda13 of jax 0.7.2 needs driver >= 580, but driver 550.90.07 runs "
        "CUDA up to 12.4. What would fit: build cuda12, or a driver >= 580. " + SENTINEL)


def test_h100_535_refuses_tensorflow_216():
    msg = refusal(H535, framework="tensorflow", version="2.16.1")
    assert msg.startswith("ml_frameworks: environment 'ml': tensorflow 2.16.1 has builds for CUDA 12.3 (the oldest "
                          "needs driver >= 545.23.06), but driver 535.230.02 runs CUDA up to 12.2. What would fit: "
                          "tensorflow 2.15 (cuda12.2)")


def test_driver_exactly_at_the_floor_runs_the_build():
    host = dict(H550, driver={"version": "560.28.03"})
    assert one(host)["build"] == "cuda12.6"


def test_what_fits_is_the_newest_series_with_a_build_the_driver_runs():
    host = dict(H550, driver={"version": "550.54.14"})
    assert "What would fit: torch 2.7 (cuda11.8), or a driver >= 560.28.03" in refusal(host, version="2.9.0")


def test_old_driver_fits_nothing():
    host = dict(H535, driver={"version": "470.82.01"})
    msg = refusal(host, framework="jax", version="0.4.35")
    assert "What would fit: no release in the table, or a driver >= 525" in msg


def test_missing_build_of_that_version_names_what_it_has():
    msg = refusal(H580, version="2.9.0", build="cuda12.4")
    assert msg == ("ml_frameworks: environment 'ml': torch 2.9.0 has no CUDA 12.4 build; it has cpu, cuda12.6, "
                   "cuda12.8, cuda13.0, rocm6.4. " + SENTINEL)


def test_jax_070_has_no_cuda13():
    assert "jax 0.7.0 has no CUDA 13 build; it has cpu, cuda12, cuda13." in refusal(
        H580, framework="jax", version="0.7.0", build="cuda13")


def test_missing_rocm_build():
    assert "torch 2.6.0 has no ROCm 6.4 build; it has" in refusal(MI300X, build="rocm6.4")


def test_amd_jax_auto_refused():
    assert refusal(MI300X, framework="jax", version="0.4.35") == (
        "ml_frameworks: environment 'ml': AMD GPUs are seen, but jax 0.4.35 publishes no ROCm build that pip can "
        "install here; set build cpu, or use torch, which publishes ROCm builds. " + SENTINEL)


def test_gpu_without_driver_version_auto_refused():
    host = {"vendors": ["nvidia"], "devices": [{"vendor": "nvidia"}], "driver": {"version": None}}
    assert "no driver version is known, so no CUDA build of torch 2.6.0 can be chosen" in refusal(host)


def test_unknown_series_on_gpu_host_auto_refused():
    assert "torch 3.1 is not in the compatibility data (known torch series: 2.9, 2.8, 2.7, 2.6, 2.5, 2.4), so no " \
           "GPU build" in refusal(H580, version="3.1")


def test_unknown_series_with_explicit_cuda_refused():
    assert "jax 0.9.1 is not in the compatibility data (known jax series: 0.8, 0.7, 0.6, 0.5, 0.4): use a known " \
           "version for build cuda12" in refusal(H580, framework="jax", version="0.9.1", build="cuda12")


@pytest.mark.parametrize("kw, needle", [
    ({"framework": "pytorch"}, "unknown framework 'pytorch': use one of torch, jax, tensorflow, none."),
    ({"version": "2.6.x"}, "version '2.6.x' of torch is malformed"),
    ({"version": "2"}, "version '2' of torch is malformed"),
    ({"build": "cuda"}, "build 'cuda' is malformed"),
    ({"build": "gpu"}, "build 'gpu' is malformed"),
    ({"state": "latest"}, "state 'latest': use present or absent."),
    ({"name": "-x"}, "name '-x' is not a valid environment name"),
    ({"name": "a/b"}, "name 'a/b' is not a valid environment name"),
    ({"packages": "numpy"}, "packages must be a list of requirement lines, got 'numpy'."),
    ({"packages": ["--index-url=http://evil"]}, "package '--index-url=http://evil' is not a requirement line"),
    ({"packages": ["numpy\nscipy"]}, "is not a requirement line"),
    ({"packages": [3]}, "package 3 is not a requirement line"),
    ({"framework": "none", "version": "1.0"}, "a version ('1.0') needs a framework"),
    ({"framework": "none", "version": "", "build": "cuda12.6"}, "build 'cuda12.6' needs a framework"),
])
def test_bad_input_refused(kw, needle):
    msg = refusal(NO_GPU, **kw)
    assert (needle in msg, msg.endswith(SENTINEL)) == (True, True)


def test_package_with_marker_accepted():
    assert one(NO_GPU, packages=["numpy<2; python_version < '3.12'"])["requirements"][1] == \
        "numpy<2; python_version < '3.12'"


def test_env_must_be_a_mapping():
    with pytest.raises(fp.PlanError, match=r"ml_frameworks_envs\[0\] must be a mapping"):
        fp.plan(["torch"], NO_GPU, {}, ROOT)


def test_envs_must_be_a_list():
    with pytest.raises(fp.PlanError, match="ml_frameworks_envs must be a list of environments, got 'x'"):
        fp.plan("x", NO_GPU, {}, ROOT)


def test_root_must_be_absolute():
    with pytest.raises(fp.PlanError, match="ml_frameworks_root 'opt' must be an absolute path"):
        fp.plan([], NO_GPU, {}, "opt")


def test_duplicate_names_refused():
    with pytest.raises(fp.PlanError, match="given more than once: a. Nothing was changed."):
        fp.plan([{"name": "a"}, {"name": "b"}, {"name": "a"}], NO_GPU, {}, ROOT)


def test_bad_driver_version_refused():
    with pytest.raises(fp.PlanError, match="the NVIDIA driver version 'banana' is not a version"):
        fp.host_accelerators(H535, "banana")


# --- the table and its filter view ---------------------------------------------------------------------------------

def test_framework_builds_torch_29_row():
    assert fp.framework_builds("torch")[0] == {
        "framework": "torch", "series": "2.9", "builds": ["cpu", "cuda12.6", "cuda12.8", "cuda13.0", "rocm6.4"],
        "source": data.FRAMEWORK_BUILDS[0]["source"]}


def test_framework_builds_all_rows():
    assert [r["framework"] for r in fp.framework_builds()].count("tensorflow") == 6


def test_framework_builds_unknown():
    with pytest.raises(ValueError, match="unknown framework 'none': the table knows torch, jax, tensorflow"):
        fp.framework_builds("none")


def test_every_row_has_a_source_and_known_cuda():
    for row in data.FRAMEWORK_BUILDS:
        assert (bool(row["source"]), all(fp._min_driver(row, c) for c in row["cuda"])) == (True, True)


def test_series_newest_first_per_framework():
    for framework in ("torch", "jax", "tensorflow"):
        series = [tuple(map(int, r["series"].split("."))) for r in data.FRAMEWORK_BUILDS if r["framework"] == framework]
        assert series == sorted(series, reverse=True)
