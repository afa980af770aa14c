# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a fake sysfs PCI tree (``ROOT/bus/pci/devices/<bdf>/{vendor,device,class,numa_node,...}``).

  make_sysfs.py ROOT --hgx 16 --switches 4            16 x H100 SXM5 (10de:2330) + 4 NVSwitch (10de:22a3) + noise
  make_sysfs.py ROOT --device 0000:00:09.0=10de:2330:0x030200:0
  make_sysfs.py ROOT                                   an empty tree (no GPU)

Also importable: ``make_tree(root, devices)`` and ``hgx_devices(gpus, switches)``. Needs only python3.
"""

from __future__ import absolute_import, division, print_function

import argparse
import os

# Functions that are not GPUs and must be ignored: host bridge, NIC, NVIDIA HDMI audio, AMD CPU.
NOISE = (
    ("0000:00:00.0", "0x8086", "0x09a2", "0x060000", "-1"),
    ("0000:17:00.0", "0x15b3", "0x1021", "0x020000", "0"),
    ("0000:17:00.1", "0x10de", "0x10f8", "0x040300", "0"),
    ("0000:00:18.0", "0x1022", "0x14ad", "0x060000", "-1"),
)


def hgx_devices(gpus=16, switches=4, gpu_id="0x2330", switch_id="0x22a3"):
    """(bdf, vendor, device, class, numa) rows of an HGX-like host; GPUs spread over two NUMA nodes."""
    rows = list(NOISE)
    for i in range(gpus):
        rows.append(("0000:%02x:00.0" % (0x18 + i * 8), "0x10de", gpu_id, "0x030200", str(i * 2 // max(gpus, 1))))
    for i in range(switches):
        rows.append(("0000:%02x:00.0" % (0x05 + i), "0x10de", switch_id, "0x068000", "0"))
    return rows


def make_tree(root, devices):
    base = os.path.join(root, "bus", "pci", "devices")
    if not os.path.isdir(base):
        os.makedirs(base)
    for bdf, vendor, device, pci_class, numa in devices:
        path = os.path.join(base, bdf)
        if not os.path.isdir(path):
            os.makedirs(path)
        for name, value in (("vendor", vendor), ("device", device), ("class", pci_class), ("numa_node", numa),
                            ("subsystem_vendor", vendor), ("subsystem_device", "0x0000")):
            with open(os.path.join(path, name), "w") as handle:
                handle.write(value + "\n")
    return base


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root")
    parser.add_argument("--hgx", type=int, default=0, help="number of H100 SXM5 GPUs")
    parser.add_argument("--switches", type=int, default=0, help="number of NVSwitches (with --hgx)")
    parser.add_argument("--device", action="append", default=[],
                        help="BDF=VENDOR:DEVICE:CLASS:NUMA, e.g. 0000:00:09.0=10de:2330:0x030200:0")
    args = parser.parse_args()
    rows = hgx_devices(args.hgx, args.switches) if args.hgx or args.switches else []
    for spec in args.device:
        bdf, rest = spec.split("=", 1)
        vendor, device, pci_class, numa = rest.split(":")
        rows.append((bdf, "0x" + vendor, "0x" + device, pci_class, numa))
    make_tree(args.root, rows)


if __name__ == "__main__":
    main()
