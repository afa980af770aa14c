# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Signed apt repositories (private to the collection): pure functions behind mlinfra.gpu.apt_signed_repo.

Signing-key fingerprints from `gpg --with-colons --show-keys` (LANG=C), the deb822 source text, apt's list file
names and the Release URL to probe.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_FPR = re.compile(r"^[0-9A-F]{40}$")
ARMOR = b"-----BEGIN PGP PUBLIC KEY BLOCK-----"


def normalize_fingerprint(value):
    """'EB69 3B30 ... 3BF8 63CC' / lower case -> 40 upper-case hex digits; ValueError naming the value otherwise."""
    fpr = re.sub(r"\s+", "", str(value or "")).upper()
    if not _FPR.match(fpr):
        raise ValueError("fingerprint '%s' is not 40 hex digits (spaces allowed)" % value)
    return fpr


def primary_fingerprints(colons):
    """Fingerprints of the primary keys (pub records) in `gpg --with-colons --show-keys` output, in order."""
    result = []
    expect = False
    for line in colons.splitlines():
        fields = line.split(":")
        if fields[0] == "pub":
            expect = True
        elif fields[0] == "fpr" and expect and len(fields) > 9:
            result.append(fields[9])
            expect = False
        elif fields[0] in ("sub", "ssb", "sec"):
            expect = fields[0] == "sec"
    return result


def check_url(url, what):
    """ValueError unless url is http(s):// or file://."""
    if not re.match(r"^(https?|file)://\S+$", str(url or "")):
        raise ValueError("%s '%s' is not an http(s):// or file:// URL" % (what, url))
    return url


def deb822(uri, suites, components, keyring, comment):
    """Text of a deb822 .sources file, signed by that keyring only."""
    lines = ["# %s" % line for line in comment.splitlines()] + [
        "Types: deb", "URIs: %s" % uri, "Suites: %s" % " ".join(suites)]
    if components:
        lines.append("Components: %s" % " ".join(components))
    lines.append("Signed-By: %s" % keyring)
    return "\n".join(lines) + "\n"


def _base(uri):
    return re.sub(r"^[a-z+]+://([^@/]*@)?", "", uri).rstrip("/")


def release_url(uri, suite):
    """URL of the InRelease file apt fetches first: flat repository (suite ending in '/') or dists/<suite>/."""
    if suite.endswith("/"):
        return uri.rstrip("/") + "/" + suite.strip("/") + ("/" if suite.strip("/") else "") + "InRelease"
    return uri.rstrip("/") + "/dists/" + suite + "/InRelease"


def list_prefix(uri, suite):
    """Prefix of apt's file names under /var/lib/apt/lists for this source (apt's URItoFileName)."""
    if suite.endswith("/"):
        path = _base(uri) + "/" + suite.strip("/")
    else:
        path = _base(uri) + "/dists/" + suite
    return path.rstrip("/").replace("_", "%5f").replace("/", "_") + "_"
