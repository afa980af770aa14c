# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GPU catalogue: PCI ids -> name/architecture/compute capability, and one model vocabulary.

Pure data and pure functions; no Ansible imports. Shipped to managed hosts with the modules.

``normalize_model(name)`` maps any marketing name, tool name (nvidia-smi, amd-smi, rocm-smi), pci.ids name,
cloud API name (EC2 ``GpuInfo``) or Slurm GRES type to ONE lower-case token such as ``h100``, ``a10g``,
``rtx2080super`` or ``mi300x``. Every plugin of the collection uses that vocabulary.

Sources of the PCI rows: pci.ids (pciutils/pciids commit c1c12547d626ebf05fd0223144ad87fab5e95d06, 'Version:
2026.08.22'); compute capabilities: https://developer.nvidia.com/cuda-gpus and cuda-legacy-gpus; AMD gfx targets:
ROCm "GPU hardware specifications" page. Memory is the nominal board size (GiB * 1024); a running driver reports
the exact usable size and wins over it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

NVIDIA_VENDOR_ID = "10de"
AMD_VENDOR_ID = "1002"
VENDOR_NAMES = {NVIDIA_VENDOR_ID: "nvidia", AMD_VENDOR_ID: "amd"}

# Chip (pci.ids family prefix) -> (architecture, NVIDIA compute capability or AMD gfx target).
CHIPS = {
    "GK210": ("kepler", "3.7"),
    "GM200": ("maxwell", "5.2"),
    "GM204": ("maxwell", "5.2"),
    "GP100": ("pascal", "6.0"),
    "GP102": ("pascal", "6.1"),
    "GP104": ("pascal", "6.1"),
    "GV100": ("volta", "7.0"),
    "TU102": ("turing", "7.5"),
    "TU104": ("turing", "7.5"),
    "TU106": ("turing", "7.5"),
    "TU116": ("turing", "7.5"),
    "GA100": ("ampere", "8.0"),
    "GA102": ("ampere", "8.6"),
    "GA104": ("ampere", "8.6"),
    "GA106": ("ampere", "8.6"),
    "GA107": ("ampere", "8.6"),
    "AD102": ("ada", "8.9"),
    "AD103": ("ada", "8.9"),
    "AD104": ("ada", "8.9"),
    "AD106": ("ada", "8.9"),
    "GH100": ("hopper", "9.0"),
    "GB100": ("blackwell", "10.0"),
    "GB102": ("blackwell", "10.0"),
    "GB110": ("blackwell", "10.3"),
    "GB202": ("blackwell", "12.0"),
    "GB203": ("blackwell", "12.0"),
    "GB20B": ("blackwell", "12.1"),
    "Vega 10": ("gcn5", "gfx900"),
    "Vega 20": ("gcn5", "gfx906"),
    "Arcturus": ("cdna", "gfx908"),
    "Aldebaran": ("cdna2", "gfx90a"),
    "Aqua Vanjaram": ("cdna3", "gfx942"),
    "Aqua Vanjaram 950": ("cdna4", "gfx950"),
}

# vendor:device -> (chip, name, nominal memory in GiB or None). Names as pci.ids brackets them.
# Rows from the pci.ids extract (data-centre NVIDIA + AMD Instinct) plus common workstation/GeForce ids.
PCI_DEVICES = {
    "1002:66a0": ("Vega 20", "Radeon Instinct MI50", 16),
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
    "10de:102d": ("GK210", "Tesla K80", 12),
    "10de:13f2": ("GM204", "Tesla M60", 8),
    "10de:17fd": ("GM200", "Tesla M40", 12),
    "10de:15f7": ("GP100", "Tesla P100 PCIe 12GB", 12),
    "10de:15f8": ("GP100", "Tesla P100 PCIe 16GB", 16),
    "10de:15f9": ("GP100", "Tesla P100 SXM2 16GB", 16),
    "10de:1b38": ("GP102", "Tesla P40", 24),
    "10de:1bb3": ("GP104", "Tesla P4", 8),
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
    "10de:2302": ("GH100", "H100", None),
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

# Normalised model token -> architecture, for names that come without a PCI id (cloud APIs, Slurm, old drivers).
_MODEL_ARCH_RULES = (
    (r"^(t4|t10|t40|titanrtx|rtx20\d\d\w*|gtx16\d\d\w*|rtx[4568]000)$", "turing"),
    (r"^(l4|l20|l30|l40[a-z]*|rtx40\d\d\w*|rtx\d+ada)$", "ada"),
    (r"^(gh200|gh100|h100[a-z]*|h200|h800[a-z]*|h20[a-z]*)$", "hopper"),
    (r"^(gb200|gb300|gb10|b100|b200|b300|rtx50\d\d\w*|rtxpro\d+\w*|rtx6000d)$", "blackwell"),
    (r"^(a100\w*|a30\w*|a800\w*|ax800\w*|a40|a10[a-z]?|a16|a2|rtxa\d+|rtx30\d\d\w*)$", "ampere"),
    (r"^(v100\w*|titanv|gv100)$", "volta"),
    (r"^(p100|p40|p4|p6|gtx10\d\d\w*|titanxp)$", "pascal"),
    (r"^(m60|m40|m10|m4|gtx9\d\d\w*)$", "maxwell"),
    (r"^(k80|k40|k20\w*)$", "kepler"),
    (r"^(mi350[a-z]*|mi355[a-z]*)$", "cdna4"),
    (r"^(mi300[a-z]*|mi308[a-z]*|mi325[a-z]*)$", "cdna3"),
    (r"^(mi250[a-z]*|mi210)$", "cdna2"),
    (r"^mi100$", "cdna"),
    (r"^(mi50|mi60|mi25|v340|v320|vii)$", "gcn5"),
)
_ARCH_CC = {"kepler": "3.7", "maxwell": "5.2", "pascal": "6.0", "volta": "7.0", "turing": "7.5", "ampere": "8.6",
            "ada": "8.9", "hopper": "9.0"}
_MODEL_CC = {"a100": "8.0", "a30": "8.0", "a800": "8.0", "ax800": "8.0", "a100x": "8.0", "a30x": "8.0",
             "p4": "6.1", "p40": "6.1", "p6": "6.1", "titanxp": "6.1", "k80": "3.7",
             "b100": "10.0", "b200": "10.0", "gb200": "10.0", "b300": "10.3", "gb300": "10.3", "gb10": "12.1"}

# Words that never distinguish one GPU model from another.
_NOISE = frozenset((
    "nvidia", "amd", "ati", "tesla", "geforce", "quadro", "instinct", "radeon", "generation", "edition", "workstation",
    "server", "maxq", "max", "q", "mobile", "laptop", "gpu", "hgx", "dgx", "dgxs", "pcie", "sxm", "sxm2", "sxm3", "sxm4",
    "sxm5", "sxm6", "fhhl", "oam", "mcm", "ac", "mba", "hf", "vf", "cnx", "blackwell", "hbm", "hbm2", "hbm2e", "hbm3",
    "hbm3e", "nvl", "lite", "hash", "rate", "rev", "a", "sff", "converged", "accelerator", "oem", "inc", "corporation",
    "advanced", "micro", "devices", "lhr",
))
_MEMORY_TOKEN = re.compile(r"^\d+(?:gb|g|gib|tb)$")
_NVL_TOKEN = re.compile(r"^nvl\d+$")
_SKU_TOKEN = re.compile(r"^(?:sku|pg)\d*$")


def _strip_name(name):
    text = name.strip()
    bracket = re.search(r"\[([^\]]+)\]", text)
    if bracket:
        text = bracket.group(1)
    text = text.split("/")[0]
    text = re.sub(r"\([^)]*\)", " ", text)
    text = re.sub(r"\bmig\b.*$", " ", text, flags=re.IGNORECASE)  # MIG device names: "... MIG 1g.10gb"
    text = text.lower().replace("max-q", "maxq")
    return [t for t in re.split(r"[^a-z0-9.]+", text) if t]


def normalize_model(name):
    """Return the one normalised lower-case model token for a GPU name, or None.

    Examples: ``NVIDIA H100 80GB HBM3`` -> ``h100``; ``GH100 [H200 SXM 141GB]`` -> ``h200``; ``Tesla V100-SXM2-16GB``
    -> ``v100``; ``NVIDIA GeForce RTX 2080 SUPER`` -> ``rtx2080super``; ``AMD Instinct MI300X VF`` -> ``mi300x``;
    ``A10G`` (EC2) -> ``a10g``; ``nvidia_h100_80gb_hbm3`` (Slurm GRES type) -> ``h100``; ``RTX PRO 6000 Blackwell
    Server Edition`` -> ``rtxpro6000``.
    """
    if not isinstance(name, str) or not name.strip():
        return None
    tokens = _strip_name(name)
    kept = []
    for token in tokens:
        token = token.strip(".")
        if not token or token in _NOISE or _MEMORY_TOKEN.match(token) or _NVL_TOKEN.match(token):
            continue
        if _SKU_TOKEN.match(token):
            break
        kept.append(token)
    if "pro" in kept and "rtx" not in kept:
        kept.remove("pro")  # "Radeon Pro V520" -> v520; keep "RTX PRO 6000" -> rtxpro6000
    model = "".join(kept).replace(".", "")
    if model == "t4g":  # EC2 "T4g": the T4 GPU of the Graviton g5g instances
        return "t4"
    return model or None


def model_architecture(model):
    """Architecture (lower case) for a normalised model token (or any name), None when unknown."""
    token = normalize_model(model) if model else None
    if not token:
        return None
    for pattern, arch in _MODEL_ARCH_RULES:
        if re.match(pattern, token):
            return arch
    return None


def model_compute_capability(model):
    """NVIDIA compute capability for a model token (or name), None when unknown or not NVIDIA."""
    token = normalize_model(model) if model else None
    if not token:
        return None
    if token in _MODEL_CC:
        return _MODEL_CC[token]
    arch = model_architecture(token)
    if arch == "blackwell" and token.startswith(("rtx50", "rtxpro", "rtx6000d")):
        return "12.0"
    return _ARCH_CC.get(arch)


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
    arch, capability = CHIPS.get(chip, (None, None))
    vendor = VENDOR_NAMES.get(key.split(":")[0])
    return {
        "vendor": vendor,
        "chip": chip,
        "name": name,
        "model": normalize_model(name),
        "architecture": arch,
        "compute_capability": capability if vendor == "nvidia" else None,
        "gfx_target": capability if vendor == "amd" else None,
        "memory_mib": mem_gib * 1024 if mem_gib else None,
    }


def is_nvswitch(vendor_id, device_id=None):
    """True when the PCI id is a known NVSwitch bridge."""
    if device_id is None:
        vendor_id, device_id = (vendor_id.split(":", 1) + [""])[:2]
    return pci_key(vendor_id, device_id) in NVSWITCH_DEVICES
