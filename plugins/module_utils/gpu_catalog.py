# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GPU catalogue: the ONE source of vendor, architecture and compute capability, and one model vocabulary.

Pure data and pure functions; no Ansible imports. Shipped to managed hosts with the modules.

``normalize_model(name)`` maps any marketing name, tool name (nvidia-smi, amd-smi, rocm-smi), pci.ids name,
cloud API name (EC2 ``GpuInfo``) or Slurm GRES type to ONE lower-case token such as ``h100``, ``a10g``,
``rtx2080super``, ``mi300x`` or ``rx7900xtx``. Every plugin of the collection uses that vocabulary.

Everything else derives from the tables of gpu_catalog_data.py (sources cited there): ``CHIPS`` (chip -> NVIDIA
compute capability or AMD LLVM target), ``NVIDIA_ARCHITECTURES`` (architecture -> compute capability range) and
``GFX_TARGETS`` (LLVM target -> architecture). A model token reaches a chip through ``PCI_DEVICES`` (every name
pci.ids gives a device) and, for names without a PCI row, through ``FAMILY_RULES``; vendor and architecture
follow from the chip's value. ``MARKET_NAMES`` (amdgpu.ids) tells apart the models one AMD PCI id covers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.mlinfra.gpu.plugins.module_utils.gpu_catalog_data import (
    AMD_ARCHITECTURES, CHIPS, FAMILY_RULES, GFX_TARGETS, MARKET_NAMES, NVIDIA_ARCHITECTURES,
    NVSWITCH_DEVICES, PCI_DEVICES,
)

NVIDIA_VENDOR_ID = "10de"
AMD_VENDOR_ID = "1002"
VENDOR_NAMES = {NVIDIA_VENDOR_ID: "nvidia", AMD_VENDOR_ID: "amd"}

# Words that name a vendor (they never distinguish one model from another).
VENDOR_WORDS = {"nvidia": ("nvidia", "tesla", "geforce", "quadro"), "amd": ("amd", "ati", "radeon", "instinct")}
# Other words that never distinguish one GPU model from another.
_NOISE = frozenset((
    "generation", "edition", "workstation", "server", "maxq", "max", "q", "mobile", "laptop", "gpu", "graphics",
    "hgx", "dgx", "dgxs", "pcie", "sxm", "sxm2", "sxm3", "sxm4", "sxm5", "sxm6", "fhhl", "oam", "mcm", "ac", "mba",
    "hf", "vf", "cnx", "blackwell", "hbm", "hbm2", "hbm2e", "hbm3", "hbm3e", "nvl", "lite", "hash", "rate", "rev",
    "a", "sff", "converged", "accelerator", "oem", "inc", "corporation", "advanced", "micro", "devices", "lhr",
    "dual", "slot", "device",  # "NVIDIA Graphics Device": what nvidia-smi calls a GPU its name table lacks
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
# What pci.ids writes after a chip in a chip-only name: Navi32 GL-XL, TU102GL, Phoenix3, Navi 31 XTX, GA106M.
_CHIP_VARIANT = re.compile(r"^(?:\d|gl|xl|xtx|xt|m)*$")


def _squash(text):
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


_CHIP_KEYS = sorted(((_squash(chip), chip) for chip in CHIPS), key=lambda item: len(item[0]), reverse=True)


def _chip_named(text):
    """The CHIPS key of a chip-only name (``Navi 23``, ``Navi32 GL-XL``, ``GH100``, ``GP100GL``, ``Phoenix3``)."""
    squashed = _squash(text)
    for key, chip in _CHIP_KEYS:
        if squashed.startswith(key) and _CHIP_VARIANT.match(squashed[len(key):]):  # "GL-XL", "3", not "RTX 3080"
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
    if brand and kept and kept[0][0].isdigit():
        kept = [brand] + kept  # "AMD Radeon 780M" -> radeon780m, not a bare number
    instinct = [token for token in kept if _INSTINCT_TOKEN.match(token)]
    if instinct:  # board names: "AMD INSTINCT MI200 (MCM) OAM LC MBA HPE C2" -> mi200
        kept = instinct[:1]
    if "pro" in kept and "rtx" not in kept:
        # "Radeon Pro V520" -> v520, "Radeon Pro" -> None; keep "RTX PRO 6000" -> rtxpro6000, "Pro 5500M" -> pro5500m
        following = kept[kept.index("pro") + 1:]
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
        result.append(" ".join(prefix + [part]) if re.match(r"\d", part) else part)
    return result


def _ambiguous(name):
    """True for a pci.ids-style name that covers several models (``Navi 32 [Radeon RX 7700 XT / 7800 XT]``)."""
    return len(set(normalize_model(part) for part in _alternatives(name)) - set([None])) > 1


def market_name(pci_device_id, revision):
    """amdgpu.ids marketing name for an AMD PCI id and revision (``'1002:747e'``, ``'0xc8'``), None if unknown."""
    match = re.match(r"^(?:0x)?([0-9a-f]{1,2})$", str(revision).strip().lower())
    if not match or ":" not in str(pci_device_id):
        return None
    vendor, device = str(pci_device_id).split(":", 1)
    return MARKET_NAMES.get(pci_key(vendor, device), {}).get(match.group(1).zfill(2))


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
    return {"nvidia": tuple(row[0] for row in NVIDIA_ARCHITECTURES), "amd": AMD_ARCHITECTURES}.get(vendor, ())


def normalize_gfx_target(value):
    """LLVM processor name for any form a tool prints it in, None when there is none.

    ``gfx90a:sramecc+:xnack-`` (target id), ``amdgcn-amd-amdhsa--gfx942`` (ISA name), ``gfx9010`` (rocm-smi prints
    the stepping in decimal), ``90010`` (KFD ``gfx_target_version``: major*10000 + minor*100 + stepping) ->
    ``gfx90a`` / ``gfx942``. An unknown target is returned as printed (lower case, without features).
    """
    text = str(value).strip().lower()  # None and booleans print no digits: None below
    kfd = re.match(r"^(\d{1,2})(\d\d)(\d\d)$", text)
    if kfd:
        major, minor, stepping = (int(part) for part in kfd.groups())
        return "gfx%d%x%x" % (major, minor, stepping) if minor < 16 and stepping < 16 else None
    match = re.search(r"gfx[0-9a-f]+", text)
    if not match or match.group(0) in GFX_TARGETS:
        return match.group(0) if match else None
    # rocm-smi prints a stepping of 10..15 in decimal: gfx9010 is gfx90a, gfx9012 gfx90c
    decimal = re.match(r"^gfx(9|1[0-2])(\d)(1[0-5])$", match.group(0))
    return "gfx%s%s%x" % (decimal.group(1), decimal.group(2), int(decimal.group(3))) if decimal else match.group(0)


def gfx_architecture(target):
    """AMD architecture (``rdna2``, ``cdna3``...) of an LLVM target in any printed form, None when unknown."""
    return GFX_TARGETS.get(normalize_gfx_target(target))


def _family(token):
    """What the first family rule matching ``token`` says (capability, LLVM target or architecture), else None."""
    for pattern, value in FAMILY_RULES:
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
    return None if not capability or capability.startswith("gfx") else capability


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
        return re.sub(r"^0x", "", str(value).strip().lower()).zfill(4)
    return "%s:%s" % (_norm(vendor_id), _norm(device_id))


def lookup_pci(vendor_id, device_id=None):
    """Catalogue entry for a PCI id; ``lookup_pci('10de:2330')`` or ``lookup_pci('10de', '2330')``.

    Returns a dict (name, model, architecture, compute_capability, gfx_target, memory_mib, vendor, chip) or None.
    """
    if device_id is None:
        if not isinstance(vendor_id, str) or ":" not in vendor_id:
            return None
        vendor_id, _colon, device_id = vendor_id.partition(":")
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
        "compute_capability": None if capability.startswith("gfx") else capability,
        "gfx_target": capability if capability.startswith("gfx") else None,
        "memory_mib": mem_gib * 1024 if mem_gib else None,
    }


def nvswitch_name(pci_device_id):
    """Name of a known NVSwitch bridge (``10de:22a3`` -> ``H100 NVSwitch``), None for other ids."""
    return NVSWITCH_DEVICES.get(str(pci_device_id).lower())
