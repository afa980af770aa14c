# -*- coding: utf-8 -*-
"""Stand-in packages of NVIDIA's CUDA repository for Debian (names and dependency structure of the real ones).

They install no driver: files are small text files and systemd units whose ExecStart is /bin/true. What they
reproduce is what the roles rely on: package names per branch and flavour, exact-version dependencies between the
driver packages, the two conflicting kernel-module flavours, fabric manager's per-branch name, CUDA toolkits that
install into /usr/local/cuda-X.Y and register the ``cuda`` alternative in their postinst (as NVIDIA's
cuda-toolkit-X-Y-config-common does), cuDNN per CUDA major and NCCL builds per CUDA minor.
"""

DRIVER_BRANCHES = {
    # branch: full version (the Debian revision is added by the builder)
    "535": "535.274.02",  # not 535.261.03: Debian 12 non-free has that exact version string
    "580": "580.95.05",
}

CUDA_RELEASES = {
    # major.minor: full release
    "12.2": "12.2.2",
    "12.4": "12.4.1",
    "12.8": "12.8.1",
}

NCCL = {"12.2": "2.19.3", "12.4": "2.21.5", "12.8": "2.26.2"}
CUDNN = "9.8.0.87"

UNIT = """[Unit]
Description={desc} (mlinfra test stand-in)

[Service]
Type=oneshot
ExecStart=/bin/true
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target
"""


def driver_packages(branch, version):
    """Packages of one driver branch (list of dicts: name, version, depends, conflicts, provides, files...)."""
    v = version + "-1"
    pin = "(= %s)" % v
    fm_name = "nvidia-fabricmanager-%s" % branch if int(branch) < 580 else "nvidia-fabricmanager"
    pkgs = [
        {"name": "nvidia-kernel-common", "version": v},
        {"name": "nvidia-kernel-support", "version": v, "depends": ["nvidia-kernel-common %s" % pin]},
        {"name": "nvidia-kernel-dkms", "version": v, "depends": ["nvidia-kernel-support %s" % pin],
         "conflicts": ["nvidia-kernel-open-dkms"], "provides": ["nvidia-kernel-%s" % version],
         "files": {"usr/src/nvidia-%s/flavour" % version: "proprietary\n"}},
        {"name": "nvidia-kernel-open-dkms", "version": v, "depends": ["nvidia-kernel-support %s" % pin],
         "conflicts": ["nvidia-kernel-dkms"], "provides": ["nvidia-open-kernel-%s" % version],
         "files": {"usr/src/nvidia-%s/flavour" % version: "open\n"}},
        {"name": "libnvidia-ml1", "version": v},
        {"name": "libnvidia-ptxjitcompiler1", "version": v},
        {"name": "libcuda1", "version": v, "depends": ["libnvidia-ptxjitcompiler1 %s" % pin]},
        {"name": "nvidia-smi", "version": v, "depends": ["libnvidia-ml1 %s" % pin],
         # what the real nvidia-smi says (rc 9) where the module is not loaded, as in a container
         "files": {"usr/bin/nvidia-smi": "#!/bin/sh\n# stand-in of %s\necho \"NVIDIA-SMI has failed because it couldn't communicate "
                   "with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\"\nexit 9\n" % version}},
        {"name": "nvidia-persistenced", "version": v,
         "files": {"lib/systemd/system/nvidia-persistenced.service": UNIT.format(desc="NVIDIA Persistence Daemon")}},
        {"name": "nvidia-driver-cuda", "version": v,
         "depends": ["nvidia-smi %s" % pin, "libcuda1 %s" % pin, "nvidia-persistenced %s" % pin,
                     "nvidia-kernel-dkms %s | nvidia-kernel-open-dkms %s" % (pin, pin)]},
        # the full driver (X11 stack); the roles install it only when headless is turned off
        {"name": "nvidia-driver", "version": v,
         "depends": ["nvidia-driver-cuda %s" % pin, "xserver-xorg-video-nvidia %s" % pin]},
        {"name": "xserver-xorg-video-nvidia", "version": v},
        {"name": fm_name, "version": v, "depends": ["nvidia-kernel-common %s" % pin],
         "conflicts": ["nvidia-fabricmanager-%s" % b for b in DRIVER_BRANCHES if b != branch and int(b) < 580]
         + ([] if fm_name == "nvidia-fabricmanager" else ["nvidia-fabricmanager"]),
         "files": {"lib/systemd/system/nvidia-fabricmanager.service": UNIT.format(desc="NVIDIA fabric manager")}},
    ]
    return pkgs


def cuda_packages(minor, release):
    dash = minor.replace(".", "-")
    v = release + "-1"
    prefix = "/usr/local/cuda-%s" % minor
    prio = int(minor.replace(".", ""))
    nvcc = "#!/bin/sh\necho 'nvcc: NVIDIA (R) Cuda compiler driver (stand-in)'\necho 'Cuda compilation tools, release %s, V%s'\n" % (minor, release)
    return [
        {"name": "cuda-toolkit-%s-config-common" % dash, "version": v,
         "postinst": "update-alternatives --install /usr/local/cuda cuda %s %d\n"
                     "update-alternatives --install /usr/local/cuda-%s cuda-%s %s %d\n"
                     % (prefix, prio, minor.split(".")[0], minor.split(".")[0], prefix, prio),
         "prerm": "update-alternatives --remove cuda %s\nupdate-alternatives --remove cuda-%s %s\n"
                  % (prefix, minor.split(".")[0], prefix)},
        {"name": "cuda-cudart-%s" % dash, "version": v,
         "files": {prefix.lstrip("/") + "/lib64/libcudart.so.%s" % minor: "stand-in\n"}},
        {"name": "cuda-nvcc-%s" % dash, "version": v, "files": {prefix.lstrip("/") + "/bin/nvcc": nvcc}},
        {"name": "cuda-toolkit-%s" % dash, "version": v,
         "depends": ["cuda-toolkit-%s-config-common (= %s)" % (dash, v), "cuda-cudart-%s (= %s)" % (dash, v),
                     "cuda-nvcc-%s (= %s)" % (dash, v)]},
        {"name": "libnccl2", "version": "%s-1+cuda%s" % (NCCL[minor], minor)},
        {"name": "libnccl-dev", "version": "%s-1+cuda%s" % (NCCL[minor], minor),
         "depends": ["libnccl2 (= %s-1+cuda%s)" % (NCCL[minor], minor)]},
    ]


def cudnn_packages(major):
    v = CUDNN + "-1"
    return [
        {"name": "libcudnn9-cuda-%s" % major, "version": v},
        {"name": "libcudnn9-dev-cuda-%s" % major, "version": v, "depends": ["libcudnn9-cuda-%s (= %s)" % (major, v)]},
        {"name": "cudnn9-cuda-%s" % major, "version": v,
         "depends": ["libcudnn9-cuda-%s (= %s)" % (major, v), "libcudnn9-dev-cuda-%s (= %s)" % (major, v)]},
    ]


def all_packages():
    pkgs = []
    for branch, version in DRIVER_BRANCHES.items():
        pkgs += driver_packages(branch, version)
    for minor, release in CUDA_RELEASES.items():
        pkgs += cuda_packages(minor, release)
    pkgs += cudnn_packages("12")
    return pkgs


# NVIDIA Container Toolkit stand-ins (role container_runtime), kept in their own file
def _with_toolkit(base):
    def all_with_toolkit():
        from toolkit_packages import toolkit_packages
        return base() + toolkit_packages()
    return all_with_toolkit


all_packages = _with_toolkit(all_packages)
