# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fake ``nvidia-smi`` replaying recorded real output. Needs only python3 and a fixture directory.

Usage: fake_nvidia_smi.py --fixture DIR [nvidia-smi arguments...]  (or FAKE_NVIDIA_SMI_FIXTURE=DIR)

Fixture directory (tests/unit/fixtures/gpu/nvidia/<capture>/ has this layout):
  query.csv       ``--query-gpu=<all fields> --format=csv`` output WITH header and units (as captured); the reply to
                  any ``--query-gpu`` is projected from it (column order of the request; noheader/nounits honoured)
  version.txt     reply to ``--version`` (absent: answered like an old driver that lacks the option)
  table.txt       reply to a bare ``nvidia-smi``;   list.txt  reply to ``-L``
  invalid_fields  optional, one field per line: fields this (old) driver does not know; asking for one gives
                  ``Field "<name>" is not a valid field to query.`` and exit status 2, like R470 for compute_cap
  error.txt + rc  optional: every command prints error.txt on stdout and exits with the status in ``rc``
                  (driver installed but not working)
"""

from __future__ import absolute_import, division, print_function

import os
import re
import sys


def _read(fixture, name):
    path = os.path.join(fixture, name)
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return handle.read()


def _query(fixture, fields, fmt):
    invalid = (_read(fixture, "invalid_fields") or "").split()
    for field in fields:
        if field in invalid:
            sys.stdout.write('Field "%s" is not a valid field to query.\n\n' % field)
            return 2
    lines = [line for line in (_read(fixture, "query.csv") or "").splitlines() if line.strip()]
    header = [h.strip() for h in lines[0].split(",")]
    names = [re.sub(r"\s*\[[^\]]*\]$", "", h) for h in header]
    for field in fields:
        if field not in names:
            sys.stdout.write('Field "%s" is not a valid field to query.\n\n' % field)
            return 2
    options = fmt.split(",")
    columns = [names.index(field) for field in fields]
    out = []
    if "noheader" not in options:
        out.append(", ".join(header[i] if "nounits" not in options else names[i] for i in columns))
    for line in lines[1:]:
        values = [v.strip() for v in line.split(",")]
        row = []
        for i in columns:
            value = values[i]
            unit = re.search(r"\[([^\]]*)\]$", header[i])
            if "nounits" in options and unit and value.endswith(" " + unit.group(1)):
                value = value[:-len(unit.group(1)) - 1]
            row.append(value)
        out.append(", ".join(row))
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def main(argv):
    fixture = os.environ.get("FAKE_NVIDIA_SMI_FIXTURE")
    if argv[:1] == ["--fixture"]:
        fixture, argv = argv[1], argv[2:]
    if not fixture:
        sys.stderr.write("fake nvidia-smi: no fixture (--fixture DIR or FAKE_NVIDIA_SMI_FIXTURE)\n")
        return 99
    error = _read(fixture, "error.txt")
    if error is not None:
        sys.stdout.write(error)
        return int((_read(fixture, "rc") or "9").strip())
    query = [a for a in argv if a.startswith("--query-gpu=")]
    if query:
        fmt = ([a.split("=", 1)[1] for a in argv if a.startswith("--format=")] or ["csv"])[0]
        return _query(fixture, query[0].split("=", 1)[1].split(","), fmt)
    replies = {"--version": "version.txt", "-L": "list.txt", "--list-gpus": "list.txt", "": "table.txt"}
    name = replies.get(argv[0] if argv else "")
    text = _read(fixture, name) if name else None
    if text is None:
        sys.stdout.write("Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n\n")
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
