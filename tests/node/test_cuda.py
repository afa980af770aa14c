"""mlinfra.gpu.cuda_toolkit: the toolkits (side by side from NVIDIA's repository, or the distribution's one),
cuDNN and NCCL, /usr/local/cuda at the default version, and the login-shell environment."""

import pytest

from ansible_collections.mlinfra.gpu.plugins.module_utils import _apt_state
from ansible_collections.mlinfra.gpu.plugins.module_utils import gpu_compat

ROLE = "cuda_toolkit"


@pytest.fixture(scope="module")
def cuda(role_vars):
    """The role's variables plus what it works out: the versions (sorted) and the default version."""
    if role_vars["cuda_toolkit_source"] == "nvidia":
        versions = sorted((str(version) for version in role_vars["cuda_toolkit_versions"]), key=gpu_compat.parse_version)
    else:
        versions = [role_vars["cuda_toolkit__distro_version"]]
    default = str(role_vars["cuda_toolkit_default"] or versions[-1])
    return dict(role_vars, versions=versions, default=default)


@pytest.fixture()
def nvidia_source(node, cuda):
    if cuda["cuda_toolkit_source"] != "nvidia":
        pytest.skip("%s: cuda_toolkit_source is %s (one toolkit under /usr)" % (node.name, cuda["cuda_toolkit_source"]))
    return cuda


def test_toolkits_installed(node, cuda):
    if cuda["cuda_toolkit_source"] == "nvidia":
        wanted = {"cuda-toolkit-%s" % version.replace(".", "-"): version for version in cuda["versions"]}
    else:
        wanted = {cuda["cuda_toolkit__distro_package"]: cuda["versions"][0]}
    wrong = {}
    for name, version in wanted.items():
        package = node.host.package(name)
        if not (package.is_installed and _apt_state.in_branch(package.version, version)):
            wrong[name] = package.version if package.is_installed else None
    node.check(wrong == {}, "CUDA toolkits %s" % ", ".join(cuda["versions"]),
               "not installed (None) or at another version: %s" % wrong)


def test_cudnn(node, nvidia_source):
    if not nvidia_source["cuda_toolkit_cudnn"]:
        pytest.skip("%s: cuda_toolkit_cudnn is false" % node.name)
    names = sorted(set("cudnn9-cuda-%s" % version.split(".")[0] for version in nvidia_source["versions"]))
    missing = [name for name in names if not node.host.package(name).is_installed]
    node.check(missing == [], "cuDNN", "not installed: %s" % ", ".join(missing))


def test_nccl_for_default(node, nvidia_source):
    if not nvidia_source["cuda_toolkit_nccl"]:
        pytest.skip("%s: cuda_toolkit_nccl is false" % node.name)
    suffix = "+cuda" + nvidia_source["default"]
    wrong = {name: node.host.package(name).version if node.host.package(name).is_installed else None
             for name in nvidia_source["cuda_toolkit__nccl_packages"]}
    wrong = {name: version for name, version in wrong.items() if not (version or "").endswith(suffix)}
    node.check(wrong == {}, "NCCL for CUDA %s" % nvidia_source["default"], "not installed or built for another CUDA: %s"
               % wrong)


def test_usr_local_cuda_is_default(node, nvidia_source):
    target = node.host.file("/usr/local/cuda").linked_to if node.host.file("/usr/local/cuda").exists else None
    wanted = "/usr/local/cuda-%s" % nvidia_source["default"]
    node.check(target == wanted, "/usr/local/cuda", "points at %s, the default toolkit is %s" % (target, wanted))


@pytest.fixture()
def environment(node, nvidia_source):
    if not nvidia_source["cuda_toolkit_environment"]:
        pytest.skip("%s: cuda_toolkit_environment is false" % node.name)
    return nvidia_source


def test_login_shell_finds_default_nvcc(node, environment):
    out = node.run("su", "-", "root", "-s", "/bin/bash", "-c",
                   'command -v nvcc; echo "CUDA_HOME=$CUDA_HOME"; nvcc --version | grep -o "release [0-9.]*"').stdout
    wanted = ["/usr/local/cuda/bin/nvcc", "CUDA_HOME=/usr/local/cuda", "release %s" % environment["default"]]
    node.check(out.splitlines() == wanted, "login-shell CUDA environment", "a login shell shows %s, expected %s"
               % (out.splitlines(), wanted))


def test_linker_path(node, environment):
    conf = node.host.file(environment["cuda_toolkit__ldconfig_file"])
    paths = [line for line in (conf.content_string if conf.exists else "").splitlines() if not line.startswith("#")]
    node.check(paths == ["/usr/local/cuda/lib64"], "CUDA linker path", "%s lists %s" % (conf.path, paths))
