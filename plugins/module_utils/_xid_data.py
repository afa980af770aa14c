# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""NVIDIA Xid codes: meaning, recommended action and the verdict gpu_health gives (private to mlinfra.gpu).

Each row: code -> (meaning, recommended action, severity, source). ``severity`` is this collection's verdict for a
node that logged the code since boot: ``fail`` (take the GPU out of service until the action is done) or ``warn``
(usually an application's fault; look at the job). Codes not listed are reported with severity ``warn`` and the
catalogue link.

Meanings and actions summarise NVIDIA's Xid catalogue ("Analyzing Xid Errors with the Xid Catalog": resolution
buckets RESTART_APP, RESET_GPU, RESTART_BM, CONTACT_SUPPORT); the wording is ours.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

CATALOG = "https://docs.nvidia.com/deploy/xid-errors/analyzing-xid-catalog.html"

XID = {
    13: ("Graphics engine exception (illegal instruction, out-of-range access or SM exception in an application)",
         "restart the application; if it repeats with different applications, run dcgmi diag -r 3", "warn", CATALOG),
    31: ("GPU memory page fault (MMU fault), usually an application's invalid memory access",
         "restart the application; if it repeats with different applications, run dcgmi diag -r 3", "warn", CATALOG),
    32: ("Invalid or corrupted push buffer stream", "restart the application; check PCIe if it repeats", "warn",
         CATALOG),
    43: ("GPU stopped processing (a channel was reset after an application fault)",
         "restart the application; nothing to do on the GPU", "warn", CATALOG),
    45: ("Preemptive cleanup of a channel after a previous error or a killed application",
         "look at the Xid logged before it; nothing to do on its own", "warn", CATALOG),
    48: ("Double-bit (uncorrectable) ECC error in GPU memory", "drain; reset the GPU (page retirement / row remap "
         "takes effect), then run dcgmi diag -r 3; replace the GPU if it repeats", "fail", CATALOG),
    61: ("Internal micro-controller breakpoint or warning", "drain and reset the GPU; contact support if it repeats",
         "fail", CATALOG),
    62: ("Internal micro-controller halt", "drain and reset the GPU; contact support if it repeats", "fail", CATALOG),
    63: ("ECC page retirement or row remapping recorded (a memory row is pending remap)",
         "drain and reset the GPU so that the remap takes effect", "fail", CATALOG),
    64: ("ECC page retirement or row remapper recording failure", "drain; reset the GPU and run dcgmi diag -r 3; "
         "the GPU may need replacement", "fail", CATALOG),
    74: ("NVLink error", "drain; reset the GPU (and the NVLink fabric); check the links and seating if it repeats",
         "fail", CATALOG),
    79: ("GPU has fallen off the bus", "drain; reboot the node (power-cycle); check power, cooling and PCIe seating",
         "fail", CATALOG),
    92: ("High single-bit ECC error rate", "watch the ECC counters; schedule a reset; run dcgmi diag -r 3",
         "warn", CATALOG),
    94: ("Contained ECC error (the affected application was stopped)",
         "restart the application; reset the GPU when it is idle so that the row remap takes effect", "warn",
         CATALOG),
    95: ("Uncontained ECC error (every application on the GPU is affected)",
         "drain and reset the GPU; run dcgmi diag -r 3", "fail", CATALOG),
    109: ("Context switch timeout", "restart the application; reset the GPU if it repeats", "warn", CATALOG),
    119: ("GSP RPC timeout (the GPU System Processor did not answer)", "drain and reset the GPU; reboot the node if "
          "the reset fails", "fail", CATALOG),
    120: ("GSP error", "drain and reset the GPU; reboot the node if the reset fails", "fail", CATALOG),
}


def describe(code):
    """{code, meaning, action, severity, source} for an Xid code; unknown codes give severity ``warn``."""
    meaning, action, severity, source = XID.get(
        code, ("Xid %d (not in this collection's table)" % code, "look the code up in NVIDIA's Xid catalogue",
               "warn", CATALOG))
    return {"code": code, "meaning": meaning, "action": action, "severity": severity, "source": source}
