# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fake ``amd-smi`` for gpu_health: ``fake_amd_smi.py --log LOG [--metric FILE] [--static FILE] ARGS...``.

``metric --json`` / ``static --json`` print FILE (an amd-smi JSON capture); a subcommand without a FILE, or any other
call, exits 2 like amd-smi on a host without the data. Every ARGS list is appended to LOG as one JSON line.
"""

from __future__ import absolute_import, division, print_function

import json
import sys


def main(argv):
    files, log = {}, None
    while argv[:1] and argv[0] in ("--log", "--metric", "--static"):
        if argv[0] == "--log":
            log = argv[1]
        else:
            files[argv[0][2:]] = argv[1]
        argv = argv[2:]
    if log:
        with open(log, "a") as handle:
            handle.write(json.dumps(argv) + "\n")
    fixture = files.get(argv[0]) if argv and "--json" in argv else None
    if not fixture:
        sys.stderr.write("fake amd-smi: no answer for %r\n" % (argv,))
        return 2
    with open(fixture) as handle:
        sys.stdout.write(handle.read())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
