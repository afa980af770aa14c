# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GPU compatibility knowledge base: THE one file to update when NVIDIA publishes a new CUDA or driver branch.

Plain Python literals (module_utils ship only .py files to managed hosts). Every row names its source.
Logic lives in gpu_compat.py; nothing here is computed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

_CUDA_NOTES = ("NVIDIA CUDA Toolkit 13.2 Update 2 release notes, Table 3 'CUDA Toolkit and Corresponding Driver Versions' "
               "https://docs.nvidia.com/cuda/archive/13.2.2/cuda-toolkit-release-notes/index.html")
_MINOR_COMPAT = ("same release notes, Table 2 'Minimum Required Driver Version for CUDA Minor Version Compatibility'; "
                 "https://docs.nvidia.com/deploy/cuda-compatibility/minor-version-compatibility.html")
_DC_DRIVERS = ("https://docs.nvidia.com/datacenter/tesla/drivers/620/supported-drivers-and-cuda-toolkit-versions.html")
_KERNEL_MODULES = "https://docs.nvidia.com/datacenter/tesla/driver-installation-guide/kernel-modules.html"
_DEPRECATION = ("NVIDIA Unix graphics feature deprecation schedule: 'The release 580 series will be the last to support "
                "GPUs based on the Maxwell, Pascal, and Volta architectures'")

# CUDA toolkit release (major.minor.patch as the runfile names it) -> minimum Linux x86_64 driver.
# "12.4.1" is "CUDA 12.4 Update 1"; the first row of a minor is its GA.
CUDA_MIN_DRIVER = (
    ("13.2.2", "595.71.05", _CUDA_NOTES),
    ("13.2.1", "595.58.03", _CUDA_NOTES),
    ("13.2.0", "595.45.04", _CUDA_NOTES),
    ("13.1.1", "590.48.01", _CUDA_NOTES),
    ("13.1.0", "590.44.01", _CUDA_NOTES),
    ("13.0.2", "580.95.05", _CUDA_NOTES),
    ("13.0.1", "580.82.07", _CUDA_NOTES),
    ("13.0.0", "580.65.06", _CUDA_NOTES),
    ("12.9.1", "575.57.08", _CUDA_NOTES),
    ("12.9.0", "575.51.03", _CUDA_NOTES),
    ("12.8.1", "570.124.06", _CUDA_NOTES),
    ("12.8.0", "570.26", _CUDA_NOTES),
    ("12.6.3", "560.35.05", _CUDA_NOTES),
    ("12.6.2", "560.35.03", _CUDA_NOTES),
    ("12.6.1", "560.35.03", _CUDA_NOTES),
    ("12.6.0", "560.28.03", _CUDA_NOTES),
    ("12.5.1", "555.42.06", _CUDA_NOTES),
    ("12.5.0", "555.42.02", _CUDA_NOTES),
    ("12.4.1", "550.54.15", _CUDA_NOTES),
    ("12.4.0", "550.54.14", _CUDA_NOTES),
    ("12.3.1", "545.23.08", _CUDA_NOTES),
    ("12.3.0", "545.23.06", _CUDA_NOTES),
    ("12.2.2", "535.104.05", _CUDA_NOTES),
    ("12.2.1", "535.86.09", _CUDA_NOTES),
    ("12.2.0", "535.54.03", _CUDA_NOTES),
    ("12.1.1", "530.30.02", _CUDA_NOTES),
    ("12.1.0", "530.30.02", _CUDA_NOTES),
    ("12.0.1", "525.85.12", _CUDA_NOTES),
    ("12.0.0", "525.60.13", _CUDA_NOTES),
    ("11.8.0", "520.61.05", _CUDA_NOTES),
    ("11.7.1", "515.48.07", _CUDA_NOTES),
    ("11.7.0", "515.43.04", _CUDA_NOTES),
    ("11.6.2", "510.47.03", _CUDA_NOTES),
    ("11.6.1", "510.47.03", _CUDA_NOTES),
    ("11.6.0", "510.39.01", _CUDA_NOTES),
    ("11.5.2", "495.29.05", _CUDA_NOTES),
    ("11.5.1", "495.29.05", _CUDA_NOTES),
    ("11.5.0", "495.29.05", _CUDA_NOTES),
    ("11.4.4", "470.82.01", _CUDA_NOTES),
    ("11.4.3", "470.82.01", _CUDA_NOTES),
    ("11.4.2", "470.57.02", _CUDA_NOTES),
    ("11.4.1", "470.57.02", _CUDA_NOTES),
    ("11.4.0", "470.42.01", _CUDA_NOTES),
    ("11.3.1", "465.19.01", _CUDA_NOTES),
    ("11.3.0", "465.19.01", _CUDA_NOTES),
    ("11.2.2", "460.32.03", _CUDA_NOTES),
    ("11.2.1", "460.32.03", _CUDA_NOTES),
    ("11.2.0", "460.27.03", _CUDA_NOTES),
    ("11.1.1", "455.32", _CUDA_NOTES),
    ("11.1.0", "455.23", _CUDA_NOTES),
    ("11.0.3", "450.51.06", _CUDA_NOTES),
    ("11.0.2", "450.51.05", _CUDA_NOTES),  # 11.0 GA (11.0.1 was the RC, >= 450.36.06)
    ("10.2.89", "440.33", _CUDA_NOTES),
    ("10.1.105", "418.39", _CUDA_NOTES),
    ("10.0.130", "410.48", _CUDA_NOTES),
)

# CUDA major -> minimum driver for minor-version compatibility (limited feature set, no newer PTX JIT).
CUDA_MINOR_COMPAT_DRIVER = {
    13: ("580", _MINOR_COMPAT),
    12: ("525.60.13", _MINOR_COMPAT),
    11: ("450.80.02", _MINOR_COMPAT),
}

# NVIDIA architecture (names and release order: gpu_catalog.NVIDIA_ARCHITECTURES) -> open kernel module support, and
# the driver branches that support it (None = no limit known).
# first_branch: oldest branch this collection installs for it; last_branch: the last branch that supports it.
ARCHITECTURE_SUPPORT = {
    "kepler": {"open_modules": "unsupported", "first_branch": None, "last_branch": 470,
               "source": "R470 was the last branch for Kepler (NVIDIA deprecation schedule); " + _KERNEL_MODULES},
    "maxwell": {"open_modules": "unsupported", "first_branch": None, "last_branch": 580,
                "source": _DEPRECATION + "; proprietary required: " + _KERNEL_MODULES},
    "pascal": {"open_modules": "unsupported", "first_branch": None, "last_branch": 580,
               "source": _DEPRECATION + "; proprietary required: " + _KERNEL_MODULES},
    "volta": {"open_modules": "unsupported", "first_branch": None, "last_branch": 580,
              "source": _DEPRECATION + "; proprietary required: " + _KERNEL_MODULES},
    "turing": {"open_modules": "supported", "first_branch": None, "last_branch": None,
               "source": "open modules 'only for Turing and newer' (R515+), default from R560: " + _KERNEL_MODULES},
    "ampere": {"open_modules": "supported", "first_branch": 450, "last_branch": None,
               "source": "CUDA 11.0 (R450) first targets cc 8.0; " + _KERNEL_MODULES},
    "ada": {"open_modules": "supported", "first_branch": 525, "last_branch": None,
            "source": "CUDA 11.8 (R520) first targets cc 8.9; R525 as floor UNVERIFIED; " + _KERNEL_MODULES},
    "hopper": {"open_modules": "supported", "first_branch": 525, "last_branch": None,
               "source": "CUDA 11.8 (R520) first targets cc 9.0; R525 as floor UNVERIFIED; both flavours drive "
                         "the H100/H200/H20 (GH100 die); " + _KERNEL_MODULES},
    "blackwell": {"open_modules": "required", "first_branch": 570, "last_branch": None,
                  "source": "CUDA 12.8 / R570 first with Blackwell (GPU Operator docs: HGX B200 needs >= 570.133.20); "
                            "open modules required (NixOS wiki; getsolus/packages#5575)"},
}

# Models (gpu_catalog.normalize_model tokens) that need the open modules although their architecture does not: the
# Grace Hopper superchip GH200 (NixOS wiki NVIDIA page: "Data center GPUs starting from Grace Hopper or Blackwell
# must use open-source modules"). Not GH100: that is the die of the H100/H200/H20, which both flavours drive.
OPEN_REQUIRED_MODELS = ("gh200",)

# Driver branch -> type, end of life (YYYY-MM, None = not recorded here), source.
DRIVER_BRANCHES = (
    {"branch": 470, "type": "lts", "eol": None, "source": "last branch for Kepler (NVIDIA deprecation schedule)"},
    {"branch": 535, "type": "lts", "eol": "2026-06", "source": _DC_DRIVERS + " (615 page)"},
    {"branch": 570, "type": "production", "eol": None, "source": "first branch with Blackwell (CUDA 12.8 GA ships 570.26)"},
    {"branch": 580, "type": "lts", "eol": "2028-06", "source": _DC_DRIVERS},
    {"branch": 590, "type": "production", "eol": None, "source": "CUDA 13.1 ships 590.44.01 (" + _CUDA_NOTES + ")"},
    {"branch": 595, "type": "production", "eol": "2027-03", "source": _DC_DRIVERS},
    {"branch": 620, "type": "lts", "eol": "2029-09", "source": _DC_DRIVERS},
)

# ML framework builds (role mlinfra.gpu.ml_frameworks, filter mlinfra.gpu.framework_builds).
# One row per framework release series ('2.6' covers 2.6.x): the GPU builds its project publishes, as pip sees them.
#   torch: one wheel index per build, https://download.pytorch.org/whl/<tag> (tag cu126 = CUDA 12.6, rocm6.4 = ROCm
#          6.4, cpu); the driver needed by a cuXY wheel is CUDA_MIN_DRIVER's for X.Y (gpu_compat.cuda_min_driver).
#   jax:   one PyPI extra per CUDA major (jax[cuda12], jax[cuda13]) with JAX's own driver floor (min_driver); no ROCm
#          wheel on PyPI (AMD's plugin needs a local ROCm: jax[rocm7-local]), so AMD hosts get no automatic build.
#          "first": the first release of the series with that build.
#   tensorflow: one CUDA per release through the extra tensorflow[and-cuda]; the driver needed is CUDA_MIN_DRIVER's.
_TORCH_RELEASE = ("pytorch/pytorch RELEASE.md 'Release Compatibility Matrix' (stable and experimental CUDA, stable ROCm), "
                  "cross-checked with https://pytorch.org/get-started/previous-versions/ (wheel index names cuXYZ, "
                  "rocmX.Y)")
_TORCH_PREVIOUS = "https://pytorch.org/get-started/previous-versions/ (pip commands, --index-url .../whl/<tag>)"
_JAX_INSTALL = ("https://docs.jax.dev/en/latest/installation.html 'NVIDIA GPU': 'the driver version must be >= 525 for "
                "CUDA 12 on Linux, and >= 580 for CUDA 13 on Linux'; pip install jax[cuda12] / jax[cuda13]")
_JAX_CUDA13 = _JAX_INSTALL + "; jax[cuda13] pinned at jax 0.7.2 in the wild (code index id 54018572280)"
_JAX_CUDA12 = _JAX_INSTALL + "; the cuda12 extra (CUDA from pip wheels) since jax 0.4.26 (JAX CHANGELOG, UNVERIFIED here)"
_TF_BUILD = ("https://www.tensorflow.org/install/source#gpu 'Tested build configurations' (Linux GPU: version -> CUDA); "
             "pip install tensorflow[and-cuda] (https://www.tensorflow.org/install/pip); the page was not retrieved in "
             "the session that wrote these rows: UNVERIFIED, check before relying on them")

FRAMEWORK_BUILDS = (
    {"framework": "torch", "series": "2.9", "cuda": ("12.6", "12.8", "13.0"), "rocm": ("6.4",),
     "source": _TORCH_RELEASE + "; 2.9.x wheels cu126/cu128/cu130 + rocm6.4: " + _TORCH_PREVIOUS},
    {"framework": "torch", "series": "2.8", "cuda": ("12.6", "12.8", "12.9"), "rocm": ("6.4",),
     "source": _TORCH_RELEASE},
    {"framework": "torch", "series": "2.7", "cuda": ("11.8", "12.6", "12.8"), "rocm": ("6.3",),
     "source": _TORCH_RELEASE},
    {"framework": "torch", "series": "2.6", "cuda": ("11.8", "12.4", "12.6"), "rocm": ("6.1", "6.2.4"),
     "source": _TORCH_RELEASE + "; 2.6.0 wheels cu118/cu124/cu126 + rocm6.1/rocm6.2.4: " + _TORCH_PREVIOUS},
    {"framework": "torch", "series": "2.5", "cuda": ("11.8", "12.1", "12.4"), "rocm": ("6.2",),
     "source": _TORCH_RELEASE},
    {"framework": "torch", "series": "2.4", "cuda": ("11.8", "12.1", "12.4"), "rocm": ("6.1",),
     "source": _TORCH_RELEASE + " (12.4 experimental, published)"},
    {"framework": "jax", "series": "0.8", "cuda": ("12", "13"), "rocm": (),
     "min_driver": {"12": "525", "13": "580"}, "source": _JAX_CUDA13},
    {"framework": "jax", "series": "0.7", "cuda": ("12", "13"), "rocm": (), "first": {"13": "0.7.2"},
     "min_driver": {"12": "525", "13": "580"}, "source": _JAX_CUDA13},
    {"framework": "jax", "series": "0.6", "cuda": ("12",), "rocm": (), "min_driver": {"12": "525"},
     "source": _JAX_CUDA12},
    {"framework": "jax", "series": "0.5", "cuda": ("12",), "rocm": (), "min_driver": {"12": "525"},
     "source": _JAX_CUDA12},
    {"framework": "jax", "series": "0.4", "cuda": ("12",), "rocm": (), "min_driver": {"12": "525"},
     "source": _JAX_CUDA12},
    {"framework": "tensorflow", "series": "2.20", "cuda": ("12.5",), "rocm": (), "source": _TF_BUILD},
    {"framework": "tensorflow", "series": "2.19", "cuda": ("12.5",), "rocm": (), "source": _TF_BUILD},
    {"framework": "tensorflow", "series": "2.18", "cuda": ("12.5",), "rocm": (), "source": _TF_BUILD},
    {"framework": "tensorflow", "series": "2.17", "cuda": ("12.3",), "rocm": (), "source": _TF_BUILD},
    {"framework": "tensorflow", "series": "2.16", "cuda": ("12.3",), "rocm": (), "source": _TF_BUILD},
    {"framework": "tensorflow", "series": "2.15", "cuda": ("12.2",), "rocm": (), "source": _TF_BUILD},
)
