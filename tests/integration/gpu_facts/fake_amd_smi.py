# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fake ``amd-smi``: ``fake_amd_smi.py --fixture FILE static --json`` prints FILE (an amd-smi JSON capture).

Any other command exits 2. Needs only python3. FAKE_AMD_SMI_FIXTURE=FILE works instead of --fixture.
"""

from __future__ import absolute_import, division, print_function

import os
import sys


def main(argv):
    fixture = os.environ.get("FAKE_AMD_SMI_FIXTURE")
    if argv[:1] == ["--fixture"]:
        fixture, argv = argv[1], argv[2:]
    if not fixture or argv[:1] not in (["static"], ["list"]) or "--json" not in argv:
        sys.stderr.write("fake amd-smi: unsupported call %r\n" % (argv,))
        return 2
    with open(fixture) as handle:
        sys.stdout.write(handle.read())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
