# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers of apt and dpkg output (private to the collection), run under LANG=C.

Pure functions over text; anything that does not look like the C-locale output they know raises ValueError naming
the line, so a translated or changed format fails loudly instead of being misread as "nothing installed".
Recorded outputs and how they were captured: tests/unit/fixtures/apt/SOURCES.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# environ_update for module.run_command: untranslated output
C_LOCALE = {"LANG": "C", "LC_ALL": "C", "LANGUAGE": "C"}

# dpkg-query -W -f DPKG_FORMAT PATTERN... : one line per package known to dpkg (words, never translated)
DPKG_FORMAT = "${Package}\\t${Version}\\t${db:Status-Want} ${db:Status-Status}\\n"

_POLICY_PACKAGE = re.compile(r"^(\S+):$")
_POLICY_FIELD = re.compile(r"^  (Installed|Candidate): (\S+)$")
_POLICY_TABLE = re.compile(r"^  Version table:$")
_POLICY_VERSION = re.compile(r"^ (\*\*\*| {3}) (\S+) (-?\d+)$")
_POLICY_SOURCE = re.compile(r"^ {8}(-?\d+) (\S+)(?: .*)?$")
_NONE = "(none)"
# what apt-get update leaves in /var/lib/apt/lists for each source's package index (plain, .lz4, .gz ...)
_LISTS = re.compile(r"_Packages(\.[a-z0-9]+)?$")
_WANTS = ("unknown", "install", "hold", "deinstall", "purge")
_ABSENT = ("not-installed", "config-files")


def _fail(what, number, line):
    raise ValueError("unexpected %s output at line %d: %r (not the C-locale format; run it with LANG=C)"
                     % (what, number, line))


def parse_policy(text):
    """`apt-cache policy PKG...` (LANG=C) -> {name: {installed, candidate, versions: [{version, priority, urls,
    installed}]}}, versions in apt's order (highest first). installed/candidate are None for '(none)'.

    A package apt does not know at all is simply absent from the result (apt prints nothing for it).
    """
    result = {}
    current = None
    version = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _POLICY_PACKAGE.match(line)
        if match:
            current = {"installed": None, "candidate": None, "versions": [], "_fields": set()}
            result[match.group(1)] = current
            version = None
            continue
        if current is None:
            _fail("apt-cache policy", number, line)
        match = _POLICY_FIELD.match(line)
        if match:
            key = match.group(1).lower()
            current[key] = None if match.group(2) == _NONE else match.group(2)
            current["_fields"].add(key)
            continue
        if _POLICY_TABLE.match(line):
            current["_fields"].add("table")
            continue
        match = _POLICY_VERSION.match(line)
        if match and "table" in current["_fields"]:
            version = {"version": match.group(2), "priority": int(match.group(3)), "urls": [],
                       "installed": match.group(1) == "***"}
            current["versions"].append(version)
            continue
        match = _POLICY_SOURCE.match(line)
        if match and version is not None:
            version["urls"].append(match.group(2))
            continue
        _fail("apt-cache policy", number, line)
    for name, entry in result.items():
        if entry.pop("_fields") != set(["installed", "candidate", "table"]):
            raise ValueError("apt-cache policy output for %s lacks Installed:, Candidate: or Version table: "
                             "(not the C-locale format; run it with LANG=C)" % name)
    return result


def parse_dpkg_query(text):
    """Output of `dpkg-query -W -f DPKG_FORMAT ...` -> {name: {version, want, installed (bool), held (bool)}}.

    Packages dpkg knows but that are not installed (removed, config files left) have installed False.
    """
    result = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3 or len(fields[2].split(" ")) != 2 or fields[2].split(" ")[0] not in _WANTS:
            _fail("dpkg-query", number, line)
        want, status = fields[2].split(" ")
        result[fields[0]] = {"version": fields[1], "want": want, "installed": status not in _ABSENT,
                             "held": want == "hold"}
    return result


def upstream(version):
    """Debian version -> upstream part: '1:580.95.05-1' -> '580.95.05'; None stays None."""
    if version is None:
        return None
    without_epoch = version.split(":", 1)[-1]
    return without_epoch.rsplit("-", 1)[0] if "-" in without_epoch else without_epoch


def in_branch(version, branch):
    """Whether a Debian version belongs to a driver branch: ('580.95.05-1', '580') -> True."""
    return version is not None and upstream(version).startswith(str(branch) + ".")


def from_source(urls, include=None, exclude=None):
    """Whether a version listed with these source URLs is offered by a source (not only /var/lib/dpkg/status)
    under `include` (URL prefix; None: any) and not under `exclude` (URL prefix; None: none)."""
    def under(url, base):
        return url.rstrip("/") == base.rstrip("/") or url.startswith(base.rstrip("/") + "/")
    offered = [url for url in urls if "://" in url]
    if include:
        offered = [url for url in offered if under(url, include)]
    if exclude:
        offered = [url for url in offered if not under(url, exclude)]
    return len(offered) > 0


def lists_downloaded(names):
    """Whether apt has downloaded any source's package index: names are the entries of /var/lib/apt/lists. Without
    one (a fresh image) apt cannot resolve a package, so an install cannot even be planned in check mode."""
    return any(_LISTS.search(name) for name in names)
