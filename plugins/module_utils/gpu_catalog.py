# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GPU catalogue: the ONE source of vendor, architecture and compute capability, and one model vocabulary.

Pure data and pure functions; no Ansible imports. Shipped to managed hosts with the modules.

``normalize_model(name)`` maps any marketing name, tool name (nvidia-smi, amd-smi, rocm-smi), pci.ids name,
cloud API name (EC2 ``GpuInfo``) or Slurm GRES type to ONE lower-case token such as ``h100``, ``a10g``,
``rtx2080super``, ``mi300x`` or ``rx7900xtx``. Every plugin of the collection uses that vocabulary.

Everything else derives from three tables: ``CHIPS`` (chip -> NVIDIA compute capability or AMD LLVM target),
``NVIDIA_ARCHITECTURES`` (architecture -> compute capability range) and ``GFX_TARGETS`` (LLVM target ->
architecture). A model token reaches a chip through ``PCI_DEVICES`` (every name pci.ids gives a device) and,
for names without a PCI row, through ``_FAMILY_RULES``; vendor and architecture follow from the chip's value.

Sources. PCI rows: pci.ids (pciutils/pciids commit c1c12547d626ebf05fd0223144ad87fab5e95d06, 'Version:
2026.08.22', data-centre extract) and Debian's pci.ids 0.0~2025.06.09-1 (Radeon / GeForce rows); both extracts
are test fixtures under tests/unit/fixtures/gpu/pci/. Compute capabilities and their ranges per architecture:
https://developer.nvidia.com/cuda-gpus and https://developer.nvidia.com/cuda-legacy-gpus. AMD targets: LLVM
"User Guide for AMDGPU Backend", table "AMDGPU Processors" (llvm/docs/AMDGPUUsage.rst, https://llvm.org/docs/
AMDGPUUsage.html), whose sections name the generation (GFX9 Vega, CDNA1 gfx908, CDNA2 gfx90a, CDNA3
gfx940-gfx942, CDNA4 gfx950, GFX10.1 RDNA 1, GFX10.3 RDNA 2, GFX11 RDNA 3, GFX11.5 RDNA 3.5, GFX12 RDNA 4).
Memory is the nominal board size (GiB * 1024); a running driver reports the exact usable size and wins over it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

NVIDIA_VENDOR_ID = "10de"
AMD_VENDOR_ID = "1002"
VENDOR_NAMES = {NVIDIA_VENDOR_ID: "nvidia", AMD_VENDOR_ID: "amd"}

# NVIDIA architecture -> (lowest, highest) compute capability, in release order. The ranges do not overlap, so a
# compute capability names its architecture (Jetson parts included: 5.3, 6.2, 7.2, 8.7).
NVIDIA_ARCHITECTURES = (
    ("kepler", "3.0", "3.7"),
    ("maxwell", "5.0", "5.3"),
    ("pascal", "6.0", "6.2"),
    ("volta", "7.0", "7.2"),
    ("turing", "7.5", "7.5"),
    ("ampere", "8.0", "8.7"),
    ("ada", "8.9", "8.9"),
    ("hopper", "9.0", "9.0"),
    ("blackwell", "10.0", "12.1"),
)

# AMD LLVM processor (GFX9 and newer; every target ROCm has shipped for since 5.0) -> architecture, from the
# sections of LLVM's AMDGPU processor table (see the module docstring). Release order of the architectures:
AMD_ARCHITECTURES = ("gcn5", "cdna", "cdna2", "cdna3", "cdna4", "rdna1", "rdna2", "rdna3", "rdna3.5", "rdna4")
GFX_TARGETS = {
    "gfx900": "gcn5", "gfx902": "gcn5", "gfx904": "gcn5", "gfx906": "gcn5", "gfx909": "gcn5", "gfx90c": "gcn5",
    "gfx908": "cdna",
    "gfx90a": "cdna2",
    "gfx940": "cdna3", "gfx941": "cdna3", "gfx942": "cdna3",
    "gfx950": "cdna4",
    "gfx1010": "rdna1", "gfx1011": "rdna1", "gfx1012": "rdna1", "gfx1013": "rdna1",
    "gfx1030": "rdna2", "gfx1031": "rdna2", "gfx1032": "rdna2", "gfx1033": "rdna2", "gfx1034": "rdna2",
    "gfx1035": "rdna2", "gfx1036": "rdna2",
    "gfx1100": "rdna3", "gfx1101": "rdna3", "gfx1102": "rdna3", "gfx1103": "rdna3",
    "gfx1150": "rdna3.5", "gfx1151": "rdna3.5", "gfx1152": "rdna3.5", "gfx1153": "rdna3.5",
    "gfx1200": "rdna4", "gfx1201": "rdna4",
}

# Chip (pci.ids family prefix) -> NVIDIA compute capability or AMD LLVM target. AMD chip -> target: the example
# products of LLVM's table and Gentoo's amdgpu_targets descriptions (navi10 gfx1010, navi12 gfx1011, navi14
# gfx1012, navi21 gfx1030, navi22 gfx1031, navi31 gfx1100, navi32 gfx1101, navi33 gfx1102); RX 6600 (Navi 23)
# gfx1032 (ROCm/ROCm#2353); RX 9060 XT (Navi 44) gfx1200 and RX 9070 (Navi 48) gfx1201 (llvm-project#155577);
# Navi 24 gfx1034: UNVERIFIED here (Linux amdgpu "beige_goby"). APUs: Phoenix (Radeon 780M) gfx1103 (Gentoo:
# "gfx1103 RDNA3 APU ... Radeon 700M/780M"), Strix (Radeon 890M) gfx1150, Strix Halo (Radeon 8060S) gfx1151
# (llvm-project#163717).
CHIPS = {
    "GK210": "3.7",
    "GM200": "5.2",
    "GM204": "5.2",
    "GP100": "6.0",
    "GP102": "6.1",
    "GP104": "6.1",
    "GP106": "6.1",
    "GV100": "7.0",
    "TU102": "7.5",
    "TU104": "7.5",
    "GA100": "8.0",
    "GA102": "8.6",
    "GA104": "8.6",
    "GA106": "8.6",
    "GA107": "8.6",
    "AD102": "8.9",
    "AD103": "8.9",
    "AD104": "8.9",
    "GH100": "9.0",
    "GB100": "10.0",
    "GB102": "10.0",
    "GB110": "10.3",
    "GB202": "12.0",
    "GB203": "12.0",
    "GB20B": "12.1",
    "Vega 10": "gfx900",
    "Vega 20": "gfx906",
    "Arcturus": "gfx908",
    "Aldebaran": "gfx90a",
    "Aqua Vanjaram": "gfx942",
    "Aqua Vanjaram 950": "gfx950",
    "Navi 10": "gfx1010",
    "Navi 12": "gfx1011",
    "Navi 14": "gfx1012",
    "Navi 21": "gfx1030",
    "Navi 22": "gfx1031",
    "Navi 23": "gfx1032",
    "Navi 24": "gfx1034",
    "Navi 31": "gfx1100",
    "Navi 32": "gfx1101",
    "Navi 33": "gfx1102",
    "Navi 44": "gfx1200",
    "Navi 48": "gfx1201",
    "Phoenix": "gfx1103",
    "Strix": "gfx1150",
    "Strix Halo": "gfx1151",
}

# vendor:device -> (chip, name as pci.ids brackets it, nominal memory in GiB or None): the data-centre extract
# (NVIDIA + AMD Instinct), Radeon / Radeon PRO chips ROCm targets, and common workstation/GeForce ids.
PCI_DEVICES = {
    "1002:66a0": ("Vega 20", "Radeon Pro/Radeon Instinct", None),
    "1002:66a1": ("Vega 20", "Radeon Instinct MI50", 16),
    "1002:6860": ("Vega 10", "Instinct MI25", 16),
    "1002:738c": ("Arcturus", "Instinct MI100", 32),
    "1002:738e": ("Arcturus", "Instinct MI100", 32),
    "1002:7408": ("Aldebaran", "Instinct MI250X", 128),
    "1002:740c": ("Aldebaran", "Instinct MI250X/MI250", 128),
    "1002:740f": ("Aldebaran", "Instinct MI210", 64),
    "1002:74a0": ("Aqua Vanjaram", "Instinct MI300A", 128),
    "1002:74a1": ("Aqua Vanjaram", "Instinct MI300X", 192),
    "1002:74a2": ("Aqua Vanjaram", "Instinct MI308X", 192),
    "1002:74a5": ("Aqua Vanjaram", "Instinct MI325X", 256),
    "1002:74a9": ("Aqua Vanjaram", "Instinct MI300X HF", 192),
    "1002:74b5": ("Aqua Vanjaram", "Instinct MI300X VF", 192),
    "1002:74b9": ("Aqua Vanjaram", "Instinct MI325X VF", 256),
    "1002:74bd": ("Aqua Vanjaram", "Instinct MI300X HF", 192),
    "1002:75a0": ("Aqua Vanjaram 950", "Instinct MI350X", 288),
    "1002:75a3": ("Aqua Vanjaram 950", "Instinct MI355X", 288),
    "1002:75a8": ("Aqua Vanjaram 950", "Instinct MI350P", None),
    "1002:66af": ("Vega 20", "Radeon VII", 16),
    "1002:7312": ("Navi 10", "Radeon Pro W5700", 8),
    "1002:731f": ("Navi 10", "Radeon RX 5600 OEM/5600 XT / 5700/5700 XT", None),
    "1002:7340": ("Navi 14", "Radeon RX 5500/5500M / Pro 5500M", None),
    "1002:7341": ("Navi 14", "Radeon Pro W5500", 8),
    "1002:7362": ("Navi 12", "Radeon Pro V520/V540", None),
    "1002:73a1": ("Navi 21", "Radeon Pro V620", 32),
    "1002:73a2": ("Navi 21", "Radeon Pro W6900X", 32),
    "1002:73a3": ("Navi 21", "Radeon PRO W6800", 32),
    "1002:73a5": ("Navi 21", "Radeon RX 6950 XT", 16),
    "1002:73ab": ("Navi 21", "Radeon Pro W6800X/Radeon Pro W6800X Duo", None),
    "1002:73af": ("Navi 21", "Radeon RX 6900 XT", 16),
    "1002:73bf": ("Navi 21", "Radeon RX 6800/6800 XT / 6900 XT", 16),
    "1002:73df": ("Navi 22", "Radeon RX 6700/6700 XT/6750 XT / 6800M/6850M XT", None),
    "1002:73e3": ("Navi 23", "Radeon PRO W6600", 8),
    "1002:73ef": ("Navi 23", "Radeon RX 6650 XT / 6700S / 6800S", None),
    "1002:73ff": ("Navi 23", "Radeon RX 6600/6600 XT/6600M", 8),
    "1002:7422": ("Navi 24", "Radeon PRO W6400", 4),
    "1002:743f": ("Navi 24", "Radeon RX 6400/6500 XT/6500M", 4),
    "1002:7448": ("Navi 31", "Radeon Pro W7900", 48),
    "1002:744a": ("Navi 31", "Radeon Pro W7900 Dual Slot", 48),
    "1002:744c": ("Navi 31", "Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M", None),
    "1002:745e": ("Navi 31", "Radeon Pro W7800", 32),
    "1002:7460": ("Navi 32", "AMD Radeon PRO V710", 28),
    "1002:7470": ("Navi 32", "Radeon PRO W7700", 16),
    "1002:747e": ("Navi 32", "Radeon RX 7700 XT / 7800 XT", None),
    "1002:7480": ("Navi 33", "Radeon RX 7600/7600 XT/7600M XT/7600S/7700S / PRO W7600", None),
    "1002:7489": ("Navi 33", "Radeon Pro W7500", 8),
    "1002:7550": ("Navi 48", "RX 9070/9070 XT", 16),
    "1002:150e": ("Strix", "Radeon 880M / 890M", None),
    "1002:1586": ("Strix Halo", "Radeon Graphics / Radeon 8050S Graphics / Radeon 8060S Graphics", None),
    "1002:15bf": ("Phoenix", "Phoenix1", None),
    "1002:15c8": ("Phoenix", "Phoenix2", None),
    "1002:164f": ("Phoenix", "Phoenix", None),
    "1002:1900": ("Phoenix", "Phoenix3", None),
    "1002:1901": ("Phoenix", "Phoenix4", None),
    "1002:7590": ("Navi 44", "RX 9060 XT", None),
    "10de:102d": ("GK210", "Tesla K80", 12),
    "10de:13f2": ("GM204", "Tesla M60", 8),
    "10de:17fd": ("GM200", "Tesla M40", 12),
    "10de:15f7": ("GP100", "Tesla P100 PCIe 12GB", 12),
    "10de:15f8": ("GP100", "Tesla P100 PCIe 16GB", 16),
    "10de:15f9": ("GP100", "Tesla P100 SXM2 16GB", 16),
    "10de:1b38": ("GP102", "Tesla P40", 24),
    "10de:1bb3": ("GP104", "Tesla P4", 8),
    "10de:1b00": ("GP102", "TITAN X Pascal", 12),
    "10de:1b02": ("GP102", "TITAN Xp", 12),
    "10de:1b06": ("GP102", "GeForce GTX 1080 Ti", 11),
    "10de:1b80": ("GP104", "GeForce GTX 1080", 8),
    "10de:1b81": ("GP104", "GeForce GTX 1070", 8),
    "10de:1c03": ("GP106", "GeForce GTX 1060 6GB", 6),
    "10de:1d81": ("GV100", "TITAN V", 12),
    "10de:1db1": ("GV100", "Tesla V100 SXM2 16GB", 16),
    "10de:1db2": ("GV100", "Tesla V100 DGXS 16GB", 16),
    "10de:1db3": ("GV100", "Tesla V100 FHHL 16GB", 16),
    "10de:1db4": ("GV100", "Tesla V100 PCIe 16GB", 16),
    "10de:1db5": ("GV100", "Tesla V100 SXM2 32GB", 32),
    "10de:1db6": ("GV100", "Tesla V100 PCIe 32GB", 32),
    "10de:1db7": ("GV100", "Tesla V100 DGXS 32GB", 32),
    "10de:1db8": ("GV100", "Tesla V100 SXM3 32GB", 32),
    "10de:1dba": ("GV100", "Quadro GV100", 32),
    "10de:1df5": ("GV100", "Tesla V100 SXM2 16GB", 16),
    "10de:1df6": ("GV100", "Tesla V100S PCIe 32GB", 32),
    "10de:1e02": ("TU102", "TITAN RTX", 24),
    "10de:1e04": ("TU102", "GeForce RTX 2080 Ti", 11),
    "10de:1e07": ("TU102", "GeForce RTX 2080 Ti Rev. A", 11),
    "10de:1e30": ("TU102", "Quadro RTX 6000/8000", 24),
    "10de:1e36": ("TU102", "Quadro RTX 6000", 24),
    "10de:1e78": ("TU102", "Quadro RTX 6000/8000", 24),
    "10de:1e81": ("TU104", "GeForce RTX 2080 SUPER", 8),
    "10de:1e82": ("TU104", "GeForce RTX 2080", 8),
    "10de:1e87": ("TU104", "GeForce RTX 2080 Rev. A", 8),
    "10de:1eb8": ("TU104", "Tesla T4", 16),
    "10de:1eb1": ("TU104", "Quadro RTX 4000", 8),
    "10de:20b0": ("GA100", "A100 SXM4 40GB", 40),
    "10de:20b1": ("GA100", "A100 PCIe 40GB", 40),
    "10de:20b2": ("GA100", "A100 SXM4 80GB", 80),
    "10de:20b3": ("GA100", "A100-SXM-64GB", 64),
    "10de:20b5": ("GA100", "A100 PCIe 80GB", 80),
    "10de:20b7": ("GA100", "A30 PCIe", 24),
    "10de:20b8": ("GA100", "A100X", 80),
    "10de:20b9": ("GA100", "A30X", 24),
    "10de:20bd": ("GA100", "A800 SXM4 40GB", 40),
    "10de:20f1": ("GA100", "A100 PCIe 40GB", 40),
    "10de:20f3": ("GA100", "A800-SXM4-80GB", 80),
    "10de:20f5": ("GA100", "A800 80GB PCIe", 80),
    "10de:20f6": ("GA100", "A800 40GB PCIe", 40),
    "10de:20fd": ("GA100", "AX800 Converged Accelerator", 80),
    "10de:2204": ("GA102", "GeForce RTX 3090", 24),
    "10de:2206": ("GA102", "GeForce RTX 3080", 10),
    "10de:2208": ("GA102", "GeForce RTX 3080 Ti", 12),
    "10de:2230": ("GA102", "RTX A6000", 48),
    "10de:2231": ("GA102", "RTX A5000", 24),
    "10de:2233": ("GA102", "RTX A5500", 24),
    "10de:2235": ("GA102", "A40", 48),
    "10de:2236": ("GA102", "A10", 24),
    "10de:2237": ("GA102", "A10G", 24),
    "10de:2238": ("GA102", "A10M", 20),
    "10de:2484": ("GA104", "GeForce RTX 3070", 8),
    "10de:24b0": ("GA104", "RTX A4000", 16),
    "10de:2503": ("GA106", "GeForce RTX 3060", 12),
    "10de:2504": ("GA106", "GeForce RTX 3060 Lite Hash Rate", 12),
    "10de:2520": ("GA106", "GeForce RTX 3060 Mobile / Max-Q", 6),
    "10de:2560": ("GA106", "GeForce RTX 3060 Mobile / Max-Q", 6),
    "10de:25b6": ("GA107", "A2 / A16", 16),
    "10de:2302": ("GH100", "GH100", None),
    "10de:2313": ("GH100", "H100 CNX", 80),
    "10de:2321": ("GH100", "H100L 94GB", 94),
    "10de:2322": ("GH100", "H800 PCIe", 80),
    "10de:2324": ("GH100", "H800", 80),
    "10de:2329": ("GH100", "H20", 96),
    "10de:232c": ("GH100", "H20 HBM3e", 141),
    "10de:2330": ("GH100", "H100 SXM5 80GB", 80),
    "10de:2331": ("GH100", "H100 PCIe", 80),
    "10de:2335": ("GH100", "H200 SXM 141GB", 141),
    "10de:2336": ("GH100", "H100", 80),
    "10de:2337": ("GH100", "H100 SXM5 64GB", 64),
    "10de:2338": ("GH100", "H100 SXM5 96GB", 96),
    "10de:2339": ("GH100", "H100 SXM5 94GB", 94),
    "10de:233a": ("GH100", "H800L 94GB", 94),
    "10de:233b": ("GH100", "H200 NVL", 141),
    "10de:233d": ("GH100", "H100 96GB", 96),
    "10de:2342": ("GH100", "GH200 120GB / 480GB", 96),
    "10de:2348": ("GH100", "GH200 144G HBM3e", 144),
    "10de:2684": ("AD102", "GeForce RTX 4090", 24),
    "10de:2704": ("AD103", "GeForce RTX 4080", 16),
    "10de:2702": ("AD103", "GeForce RTX 4080 SUPER", 16),
    "10de:26b1": ("AD102", "RTX 6000 Ada Generation", 48),
    "10de:26b2": ("AD102", "RTX 5000 Ada Generation", 32),
    "10de:26b3": ("AD102", "RTX 5880 Ada Generation", 48),
    "10de:26b5": ("AD102", "L40", 48),
    "10de:26b7": ("AD102", "L20", 48),
    "10de:26b8": ("AD102", "L40G", 48),
    "10de:26b9": ("AD102", "L40S", 48),
    "10de:26ba": ("AD102", "L20", 48),
    "10de:26bb": ("AD102", "L30", 24),
    "10de:26f5": ("AD102", "L40 CNX", 48),
    "10de:27b8": ("AD104", "L4", 24),
    "10de:27b0": ("AD104", "RTX 4000 SFF Ada Generation", 20),
    "10de:2901": ("GB100", "B200", 180),
    "10de:2909": ("GB100", "HGX B200 168GB", 168),
    "10de:2920": ("GB100", "B100", None),
    "10de:2941": ("GB100", "HGX GB200", 186),
    "10de:29bc": ("GB102", "B100", None),
    "10de:2b85": ("GB202", "GeForce RTX 5090", 32),
    "10de:2c02": ("GB203", "GeForce RTX 5080", 16),
    "10de:2bb1": ("GB202", "RTX PRO 6000 Blackwell Workstation Edition", 96),
    "10de:2bb2": ("GB202", "RTX PRO 6000D Blackwell Workstation Edition", 84),
    "10de:2bb3": ("GB202", "RTX PRO 5000 Blackwell / RTX PRO 5000 72GB Blackwell", 48),
    "10de:2bb4": ("GB202", "RTX PRO 6000 Blackwell Max-Q Workstation Edition", 96),
    "10de:2bb5": ("GB202", "RTX PRO 6000 Blackwell Server Edition", 96),
    "10de:2bb9": ("GB202", "RTX 6000D", 84),
    "10de:2e12": ("GB20B", "GB10", None),
    "10de:3182": ("GB110", "B300 SXM6 AC", 288),
    "10de:31a1": ("GB110", "GB300 MaxQ", 288),
    "10de:31c2": ("GB110", "GB300", 288),
    "10de:31c3": ("GB110", "GB300", 288),
}

# NVSwitch bridges (PCI class 0x0680) by generation; fabric manager is needed when any is present.
NVSWITCH_DEVICES = {
    "10de:1af1": "A100 NVSwitch",
    "10de:22a3": "H100 NVSwitch",
}

# AMD vendor:device -> {revision: marketing name}: libdrm's amdgpu.ids (libdrm-common 2.4.124-2), the table amd-smi
# reads its asic.market_name from (amdgpu_get_marketing_name; the first line of a duplicate wins, as there). It tells
# apart the models one PCI id covers (744c: RX 7900 XTX / XT / GRE / 7900M) from the revision both tools print.
MARKET_NAMES = {
    "1002:15bf": {
        "00": "AMD Radeon 780M", "01": "AMD Radeon 760M", "02": "AMD Radeon 780M", "03": "AMD Radeon 760M",
        "c1": "AMD Radeon 780M", "c2": "AMD Radeon 780M", "c3": "AMD Radeon 760M", "c4": "AMD Radeon 780M",
        "c5": "AMD Radeon 740M", "c6": "AMD Radeon 780M", "c7": "AMD Radeon 780M", "c8": "AMD Radeon 760M",
        "c9": "AMD Radeon 780M", "ca": "AMD Radeon 740M", "cb": "AMD Radeon 760M", "cd": "AMD Radeon 760M",
        "cf": "AMD Radeon 780M", "d0": "AMD Radeon 780M", "d1": "AMD Radeon 780M", "d2": "AMD Radeon 760M",
        "d3": "AMD Radeon 780M", "d4": "AMD Radeon 780M", "d5": "AMD Radeon 760M", "d6": "AMD Radeon 760M",
        "d7": "AMD Radeon 780M", "d8": "AMD Radeon 740M", "d9": "AMD Radeon 780M", "da": "AMD Radeon 780M",
        "db": "AMD Radeon 760M", "dc": "AMD Radeon 780M", "dd": "AMD Radeon 780M", "de": "AMD Radeon 740M",
        "df": "AMD Radeon 760M", "f0": "AMD Radeon 760M",
    },
    "1002:15c8": {
        "c1": "AMD Radeon 740M", "c2": "AMD Radeon 740M", "c3": "AMD Radeon 740M", "c4": "AMD Radeon 740M",
        "d1": "AMD Radeon 740M", "d2": "AMD Radeon 740M", "d3": "AMD Radeon 740M", "d4": "AMD Radeon 740M",
    },
    "1002:66a1": {"02": "AMD Instinct MI60 / MI50", "06": "AMD Radeon Pro VII"},
    "1002:66af": {"c1": "AMD Radeon VII"},
    "1002:6860": {
        "00": "AMD Radeon Instinct MI25", "01": "AMD Radeon Instinct MI25", "02": "AMD Radeon Instinct MI25",
        "03": "AMD Radeon Pro V340", "04": "AMD Radeon Instinct MI25x2", "07": "AMD Radeon Pro V320",
    },
    "1002:7312": {"00": "AMD Radeon Pro W5700"},
    "1002:731f": {
        "c0": "AMD Radeon RX 5700 XT 50th Anniversary", "c1": "AMD Radeon RX 5700 XT", "c2": "AMD Radeon RX 5600M",
        "c3": "AMD Radeon RX 5700M", "c4": "AMD Radeon RX 5700", "c5": "AMD Radeon RX 5700 XT",
        "ca": "AMD Radeon RX 5600 XT", "cb": "AMD Radeon RX 5600 OEM",
    },
    "1002:7340": {
        "c1": "AMD Radeon RX 5500M", "c3": "AMD Radeon RX 5300M", "c5": "AMD Radeon RX 5500 XT",
        "c7": "AMD Radeon RX 5500", "c9": "AMD Radeon RX 5500XTB", "cf": "AMD Radeon RX 5300",
    },
    "1002:7341": {"00": "AMD Radeon Pro W5500"},
    "1002:7362": {"c1": "AMD Radeon Pro V540", "c3": "AMD Radeon Pro V520"},
    "1002:738c": {"01": "AMD Instinct MI100"},
    "1002:73a1": {"00": "AMD Radeon Pro V620"},
    "1002:73a3": {"00": "AMD Radeon Pro W6800"},
    "1002:73a5": {"c0": "AMD Radeon RX 6950 XT"},
    "1002:73af": {"c0": "AMD Radeon RX 6900 XT"},
    "1002:73bf": {"c0": "AMD Radeon RX 6900 XT", "c1": "AMD Radeon RX 6800 XT", "c3": "AMD Radeon RX 6800"},
    "1002:73df": {
        "c0": "AMD Radeon RX 6750 XT", "c1": "AMD Radeon RX 6700 XT", "c2": "AMD Radeon RX 6800M",
        "c3": "AMD Radeon RX 6800M", "c5": "AMD Radeon RX 6700 XT", "cf": "AMD Radeon RX 6700M",
        "d5": "AMD Radeon RX 6750 GRE 12GB", "d7": "AMD TDC-235", "df": "AMD Radeon RX 6700",
        "e5": "AMD Radeon RX 6750 GRE 12GB", "ff": "AMD Radeon RX 6700",
    },
    "1002:73e3": {"00": "AMD Radeon Pro W6600"},
    "1002:73ef": {
        "c0": "AMD Radeon RX 6800S", "c1": "AMD Radeon RX 6650 XT", "c2": "AMD Radeon RX 6700S",
        "c3": "AMD Radeon RX 6650M", "c4": "AMD Radeon RX 6650M XT",
    },
    "1002:73ff": {
        "c1": "AMD Radeon RX 6600 XT", "c3": "AMD Radeon RX 6600M", "c7": "AMD Radeon RX 6600",
        "cb": "AMD Radeon RX 6600S", "cf": "AMD Radeon RX 6600 LE", "df": "AMD Radeon RX 6750 GRE 10GB",
    },
    "1002:7408": {"00": "AMD Instinct MI250X"},
    "1002:740c": {"01": "AMD Instinct MI250X / MI250"},
    "1002:740f": {"02": "AMD Instinct MI210"},
    "1002:7422": {"00": "AMD Radeon Pro W6400"},
    "1002:743f": {
        "c1": "AMD Radeon RX 6500 XT", "c3": "AMD Radeon RX 6500", "c7": "AMD Radeon RX 6400",
        "c8": "AMD Radeon RX 6500M", "cc": "AMD Radeon 6550S", "ce": "AMD Radeon RX 6450M",
        "cf": "AMD Radeon RX 6300M", "d3": "AMD Radeon RX 6550M", "d7": "AMD Radeon RX 6400",
    },
    "1002:7448": {"00": "AMD Radeon Pro W7900"},
    "1002:744a": {"00": "AMD Radeon Pro W7900 Dual Slot"},
    "1002:744c": {
        "c8": "AMD Radeon RX 7900 XTX", "cc": "AMD Radeon RX 7900 XT", "ce": "AMD Radeon RX 7900 GRE",
        "cf": "AMD Radeon RX 7900M",
    },
    "1002:745e": {"cc": "AMD Radeon Pro W7800"},
    "1002:7460": {"00": "AMD Radeon Pro V710"},
    "1002:7470": {"00": "AMD Radeon Pro W7700"},
    "1002:747e": {"c8": "AMD Radeon RX 7800 XT", "ff": "AMD Radeon RX 7700 XT"},
    "1002:7480": {
        "00": "AMD Radeon Pro W7600", "c0": "AMD Radeon RX 7600 XT", "c1": "AMD Radeon RX 7700S",
        "c3": "AMD Radeon RX 7600S", "c7": "AMD Radeon RX 7600M XT", "cf": "AMD Radeon RX 7600",
    },
    "1002:7489": {"00": "AMD Radeon Pro W7500"},
    "1002:74a0": {"00": "AMD Instinct MI300A"},
    "1002:74a1": {"00": "AMD Instinct MI300X"},
    "1002:74b5": {"00": "AMD Instinct MI300X VF"},
}

# Model token -> compute capability, LLVM target or (where the name does not tell the chip) architecture, for tokens
# no PCI row names (cloud APIs, Slurm, parts the catalogue has no id for). The first match wins; a rule must agree
# with every PCI row whose token it matches (tests/unit/plugins/module_utils/test_gpu_vocabulary.py checks it).
_FAMILY_RULES = (
    (r"^(k40\w*|k20\w*)$", "3.5"),
    (r"^m10$", "5.0"),
    (r"^(m60|m40|m6|m4|gtx9\d\d\w*)$", "5.2"),
    (r"^p100\w*$", "6.0"),
    (r"^(p40|p4|p6|gtx10\d\d\w*|titanxp)$", "6.1"),
    (r"^(v100\w*|titanv|gv100)$", "7.0"),
    (r"^(t4|t10|t40|titanrtx|rtx20\d\d\w*|gtx16\d\d\w*|rtx[4568]000)$", "7.5"),
    (r"^(a100\w*|a30\w*|a800\w*|ax800\w*)$", "8.0"),
    (r"^(a40|a10[a-z]?|a16|a2|rtxa\d+|rtx30\d\d\w*)$", "8.6"),
    (r"^(l4|l20|l30|l40[a-z]*|rtx40\d\d\w*|rtx\d+ada)$", "8.9"),
    (r"^(gh200|gh100|h100[a-z]*|h200|h800[a-z]*|h20[a-z]*)$", "9.0"),
    (r"^(b100|b200|gb200)$", "10.0"),
    (r"^(b300|gb300)$", "10.3"),
    (r"^gb10$", "12.1"),
    (r"^(rtx50\d\d\w*|rtxpro\d+\w*|rtx6000d)$", "12.0"),
    (r"^(mi350[a-z]*|mi355[a-z]*)$", "gfx950"),
    (r"^(mi300[a-z]*|mi308[a-z]*|mi325[a-z]*)$", "gfx942"),
    (r"^(mi250[a-z]*|mi210|mi200)$", "gfx90a"),
    (r"^mi100$", "gfx908"),
    (r"^(mi50|mi60|vii)$", "gfx906"),
    (r"^(mi25\w*|v340\w*|v320)$", "gfx900"),
    # Radeon families whose chip (so LLVM target) the name does not tell, but whose architecture it does.
    (r"^rx90[6-9]\d\w*$", "rdna4"),
    (r"^(rx7[6-9]\d\d\w*|w7[5-9]\d\d\w*)$", "rdna3"),
    (r"^(rx6[4-9]\d\d\w*|w6[4-9]\d\d\w*|v620)$", "rdna2"),
    (r"^(rx5[3-7]\d\d\w*|w5[5-7]\d\d\w*|v520|v540)$", "rdna1"),
)

# Words that name a vendor (they never distinguish one model from another).
VENDOR_WORDS = {"nvidia": ("nvidia", "tesla", "geforce", "quadro"), "amd": ("amd", "ati", "radeon", "instinct")}
# Other words that never distinguish one GPU model from another.
_NOISE = frozenset((
    "generation", "edition", "workstation", "server", "maxq", "max", "q", "mobile", "laptop", "gpu", "graphics",
    "hgx", "dgx", "dgxs", "pcie", "sxm", "sxm2", "sxm3", "sxm4", "sxm5", "sxm6", "fhhl", "oam", "mcm", "ac", "mba",
    "hf", "vf", "cnx", "blackwell", "hbm", "hbm2", "hbm2e", "hbm3", "hbm3e", "nvl", "lite", "hash", "rate", "rev",
    "a", "sff", "converged", "accelerator", "oem", "inc", "corporation", "advanced", "micro", "devices", "lhr",
    "dual", "slot",
) + sum(VENDOR_WORDS.values(), ()))
# Brand words kept in front of a model that is only a number ("Radeon 780M" -> radeon780m).
_BRANDS = ("radeon", "geforce", "quadro")
_MEMORY_TOKEN = re.compile(r"^\d+(?:gb|g|gib|tb)$")
_INSTINCT_TOKEN = re.compile(r"^mi\d{2,3}[a-z0-9]*$")
# Tokens that name a family of models, not one: rocm-smi's "AMD INSTINCT MI200 ..." board name (MI250X, MI250, MI210).
_FAMILY_TOKENS = ("mi200", "mi300")
_NVL_TOKEN = re.compile(r"^nvl\d+$")
_SKU_TOKEN = re.compile(r"^(?:sku|pg)\d*$")
_HEX_ID = re.compile(r"^\s*0x[0-9a-f]+\s*$", re.IGNORECASE)
_WORDS = re.compile(r"[^a-z0-9.]+")


def _squash(text):
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


_CHIP_KEYS = sorted(((_squash(chip), chip) for chip in CHIPS), key=lambda item: -len(item[0]))


def _chip_named(text):
    """The CHIPS key of a chip-only name (``Navi 23``, ``Navi32 GL-XL``, ``GH100``, ``GP100GL``, ``Phoenix3``)."""
    squashed = _squash(text)
    for key, chip in _CHIP_KEYS:
        if squashed.startswith(key) and len(squashed) - len(key) <= 4:  # a variant suffix, not a model after it
            return chip
    return None


def _inside(text):
    """The bracketed part of a pci.ids-style name (``Navi 23 [Radeon RX 6600/...]``), even when cut short."""
    match = re.search(r"\[([^\]]+)\]?", text)
    return match.group(1) if match else None


def _strip_name(name):
    text = name.strip()
    inside = _inside(text)
    if inside:
        text = inside
    text = text.split("/")[0]
    text = re.sub(r"\([^)]*\)?", " ", text)  # "(MCM)", and amd-smi's market name cut short: "RX 6600 (Navi 23"
    text = re.sub(r"\bmig\b.*$", " ", text, flags=re.IGNORECASE)  # MIG device names: "... MIG 1g.10gb"
    text = text.lower().replace("max-q", "maxq")
    return [t for t in _WORDS.split(text) if t]


def normalize_model(name):
    """Return the one normalised lower-case model token for a GPU name, or None.

    Examples: ``NVIDIA H100 80GB HBM3`` -> ``h100``; ``GH100 [H200 SXM 141GB]`` -> ``h200``; ``Tesla V100-SXM2-16GB``
    -> ``v100``; ``NVIDIA GeForce RTX 2080 SUPER`` -> ``rtx2080super``; ``AMD Instinct MI300X VF`` -> ``mi300x``;
    ``A10G`` (EC2) -> ``a10g``; ``nvidia_h100_80gb_hbm3`` (Slurm GRES type) -> ``h100``; ``RTX PRO 6000 Blackwell
    Server Edition`` -> ``rtxpro6000``; ``AMD Radeon RX 6600 (Navi 23`` (amd-smi, cut short) and
    ``Navi 23 [Radeon RX 6600/6600 XT/6600M]`` (pci.ids, rocm-smi) -> ``rx6600``. A device id printed as the name
    (``0x738c``) or a chip name alone (``Navi 23``) is no model: None.
    """
    if not isinstance(name, str) or not name.strip() or _HEX_ID.match(name):
        return None
    if _inside(name) is None and _chip_named(name):
        return None
    kept = []
    brand = None
    for token in _strip_name(name):
        token = token.strip(".")
        if token in _BRANDS and not kept:
            brand = token
        if not token or token in _NOISE or _MEMORY_TOKEN.match(token) or _NVL_TOKEN.match(token):
            continue
        if _SKU_TOKEN.match(token):
            break
        kept.append(token)
    if brand and kept and kept[0][:1].isdigit():
        kept.insert(0, brand)  # "AMD Radeon 780M" -> radeon780m, not a bare number
    instinct = [token for token in kept if _INSTINCT_TOKEN.match(token)]
    if instinct:  # board names: "AMD INSTINCT MI200 (MCM) OAM LC MBA HPE C2" -> mi200
        kept = instinct[:1]
    if "pro" in kept and "rtx" not in kept:
        # "Radeon Pro V520" -> v520, "Radeon Pro" -> None; keep "RTX PRO 6000" -> rtxpro6000, "Pro 5500M" -> pro5500m
        following = kept[kept.index("pro") + 1:][:1]
        if not following or following[0][0].isalpha():
            kept.remove("pro")
    model = "".join(kept).replace(".", "")
    if model == "t4g":  # EC2 "T4g": the T4 GPU of the Graviton g5g instances
        return "t4"
    return model or None


def _alternatives(name):
    """Every model a pci.ids name gives: ``Radeon RX 6700/6700 XT/6750 XT`` -> Radeon RX 6700, Radeon RX 6700 XT,
    Radeon RX 6750 XT (a part that starts with a digit takes the first part's leading words)."""
    parts = [part.strip() for part in (_inside(name) or name).split("/")]
    words = parts[0].split()
    prefix = []
    for word in words:
        if re.search(r"\d", word):
            break
        prefix.append(word)
    result = [parts[0]]
    for part in parts[1:]:
        result.append(" ".join(prefix + [part]) if part[:1].isdigit() else part)
    return result


def _ambiguous(name):
    """True for a pci.ids-style name that covers several models (``Navi 32 [Radeon RX 7700 XT / 7800 XT]``)."""
    return len(set(normalize_model(part) for part in _alternatives(name)) - set([None])) > 1


def market_name(pci_device_id, revision):
    """amdgpu.ids marketing name for an AMD PCI id and revision (``'1002:747e'``, ``'0xc8'``), None if unknown."""
    if not pci_device_id or revision is None or ":" not in str(pci_device_id):
        return None
    vendor, device = str(pci_device_id).split(":", 1)
    rev = str(revision).strip().lower()
    rev = rev[2:] if rev.startswith("0x") else rev
    return MARKET_NAMES.get(pci_key(vendor, device), {}).get(rev.zfill(2)[-2:])


def device_model(name=None, pci_device_id=None, revision=None):
    """The model token of one device from everything a tool or PCI tells about it, whichever tool answered.

    The tool's name when it names one model; else the marketing name of the PCI id and revision (amd-smi and
    rocm-smi both print the revision; a pci.ids-style name such as rocm-smi's ``Navi 31 [Radeon RX 7900 XT/7900
    XTX/7900 GRE/7900M]`` covers four models); else the first model such a name gives; else the PCI row's.
    """
    if name and not _ambiguous(name):
        token = normalize_model(name)
        if token and token not in _FAMILY_TOKENS:
            return token
    for candidate in (market_name(pci_device_id, revision), name):
        token = normalize_model(candidate) if candidate else None
        if token:
            return token
    info = lookup_pci(pci_device_id) if pci_device_id else None
    return info["model"] if info else None


def _model_chips():
    models = {}
    for _key, (chip, name, _mem) in sorted(PCI_DEVICES.items()):
        for alternative in _alternatives(name):
            token = normalize_model(alternative)
            if token and token not in models:
                models[token] = chip
    return models


# Model token -> chip, for every model any PCI row names (derived; see _alternatives).
MODELS = _model_chips()


def _cc(value):
    return tuple(int(part) for part in value.split("."))


def capability_architecture(capability):
    """Architecture of a compute capability (``'6.1'`` -> pascal) or an AMD target (``'gfx1032'`` -> rdna2)."""
    if capability is None:
        return None
    text = str(capability).strip().lower()
    if "gfx" in text:
        return GFX_TARGETS.get(normalize_gfx_target(text))
    if not re.match(r"^\d+\.\d+$", text):
        return None
    value = _cc(text)
    for arch, low, high in NVIDIA_ARCHITECTURES:
        if _cc(low) <= value <= _cc(high):
            return arch
    return None


def architecture_vendor(architecture):
    """``nvidia``, ``amd`` or None for an architecture name."""
    if architecture in AMD_ARCHITECTURES:
        return "amd"
    if architecture in [row[0] for row in NVIDIA_ARCHITECTURES]:
        return "nvidia"
    return None


def architectures(vendor):
    """The architectures of one vendor (``nvidia`` or ``amd``), in release order."""
    return tuple(row[0] for row in NVIDIA_ARCHITECTURES) if vendor == "nvidia" else AMD_ARCHITECTURES


def normalize_gfx_target(value):
    """LLVM processor name for any form a tool prints it in, None when there is none.

    ``gfx90a:sramecc+:xnack-`` (target id), ``amdgcn-amd-amdhsa--gfx942`` (ISA name), ``gfx9010`` (rocm-smi prints
    the stepping in decimal), ``90010`` (KFD ``gfx_target_version``: major*10000 + minor*100 + stepping) ->
    ``gfx90a`` / ``gfx942``. An unknown target is returned as printed (lower case, without features).
    """
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().lower()
    if re.match(r"^\d{5,6}$", text):
        number = int(text)
        major, minor, stepping = number // 10000, number // 100 % 100, number % 100
        return "gfx%d%x%x" % (major, minor, stepping) if minor < 16 and stepping < 16 else None
    match = re.search(r"gfx([0-9a-f]+)", text)
    if not match:
        return None
    target = "gfx" + match.group(1)
    digits = match.group(1)
    if target in GFX_TARGETS or not digits.isdigit():
        return target
    for major_len in (1, 2):
        major, rest = digits[:major_len], digits[major_len:]
        if len(rest) >= 2 and int(rest[1:]) < 16:
            candidate = "gfx%s%s%x" % (major, rest[0], int(rest[1:]))
            if candidate in GFX_TARGETS:
                return candidate
    return target


def gfx_architecture(target):
    """AMD architecture (``rdna2``, ``cdna3``...) of an LLVM target in any printed form, None when unknown."""
    return GFX_TARGETS.get(normalize_gfx_target(target))


def _family(token):
    """What the first family rule matching ``token`` says (capability, LLVM target or architecture), else None."""
    for pattern, value in _FAMILY_RULES:
        if re.match(pattern, token):
            return value
    return None


def _is_capability(value):
    return bool(value) and (value.startswith("gfx") or value[0].isdigit())


def model_capability(name):
    """Compute capability (NVIDIA) or LLVM target (AMD) for a model token, any name or a chip name; None if unknown."""
    if not isinstance(name, str) or not name.strip():
        return None
    token = normalize_model(name)
    if token in MODELS:
        return CHIPS[MODELS[token]]
    if token:
        value = _family(token)
        return value if _is_capability(value) else None
    chip = _chip_named(name)
    return CHIPS[chip] if chip else None


def model_architecture(model):
    """Architecture (lower case) for a normalised model token (or any name), None when unknown."""
    capability = model_capability(model)
    if capability:
        return capability_architecture(capability)
    token = normalize_model(model)
    value = _family(token) if token else None
    return value if architecture_vendor(value) else None


def model_compute_capability(model):
    """NVIDIA compute capability for a model token (or name), None when unknown or not NVIDIA."""
    capability = model_capability(model)
    return capability if capability and architecture_vendor(capability_architecture(capability)) == "nvidia" else None


def model_vendor(name):
    """``nvidia``, ``amd`` or None for a GPU name (its vendor words first, else its architecture)."""
    if not isinstance(name, str):
        return None
    words = set(re.split(r"[^a-z0-9]+", name.lower()))
    for vendor, vendor_words in sorted(VENDOR_WORDS.items()):
        if words.intersection(vendor_words):
            return vendor
    return architecture_vendor(model_architecture(name))


def pci_key(vendor_id, device_id):
    """``vendor:device`` key from ids in any common form (``0x10de``, ``10DE``, ``0x2330``)."""
    def _norm(value):
        value = str(value).strip().lower()
        if value.startswith("0x"):
            value = value[2:]
        return value.zfill(4)[-4:]
    return "%s:%s" % (_norm(vendor_id), _norm(device_id))


def lookup_pci(vendor_id, device_id=None):
    """Catalogue entry for a PCI id; ``lookup_pci('10de:2330')`` or ``lookup_pci('10de', '2330')``.

    Returns a dict (name, model, architecture, compute_capability, gfx_target, memory_mib, vendor, chip) or None.
    """
    if device_id is None:
        if not isinstance(vendor_id, str) or ":" not in vendor_id:
            return None
        vendor_id, device_id = vendor_id.split(":", 1)
    key = pci_key(vendor_id, device_id)
    row = PCI_DEVICES.get(key)
    if row is None:
        return None
    chip, name, mem_gib = row
    capability = CHIPS[chip]
    vendor = VENDOR_NAMES.get(key.split(":")[0])
    return {
        "vendor": vendor,
        "chip": chip,
        "name": name,
        "model": normalize_model(name),
        "architecture": capability_architecture(capability),
        "compute_capability": capability if vendor == "nvidia" else None,
        "gfx_target": capability if vendor == "amd" else None,
        "memory_mib": mem_gib * 1024 if mem_gib else None,
    }


def nvswitch_name(vendor_id, device_id=None):
    """Name of a known NVSwitch bridge (``10de:22a3`` -> ``H100 NVSwitch``), None for other ids."""
    if device_id is None:
        vendor_id, device_id = (str(vendor_id).split(":", 1) + [""])[:2]
    return NVSWITCH_DEVICES.get(pci_key(vendor_id, device_id))
