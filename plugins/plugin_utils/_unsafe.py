# -*- coding: utf-8 -*-
# Copyright: contributors to mlinfra.gpu
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mark values that come from outside (node names, tags, reasons) as unsafe so they are never templated."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.utils.unsafe_proxy import wrap_var


def unsafe(value):
    """Return ``value`` with every string inside it marked unsafe (dicts and lists are copied)."""
    return wrap_var(value)
