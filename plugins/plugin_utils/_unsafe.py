# -*- coding: utf-8 -*-
# Copyright: contributors to mlinfra.gpu
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mark values that come from outside (node names, tags, reasons) as unsafe so they are never templated."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.utils.unsafe_proxy import wrap_var

try:
    # ansible-core 2.19+ (data tagging): only strings tagged TrustedAsTemplate are ever templated, and strings made
    # from source data (JSON, boto3) carry no tag, so they are already unsafe; wrap_var would only copy them.
    from ansible.template import is_trusted_as_template
    UNTRUSTED_BY_DEFAULT = not is_trusted_as_template("{{ source_data }}")
except ImportError:
    UNTRUSTED_BY_DEFAULT = False


def unsafe(value):
    """Return ``value`` with every string inside it unsafe: wrapped with ``wrap_var`` before ansible-core 2.19; from
    2.19 on, strings from outside are untrusted already and ``value`` is returned as is."""
    if UNTRUSTED_BY_DEFAULT:
        return value
    return wrap_var(value)
