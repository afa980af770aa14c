# -*- coding: utf-8 -*-
# Copyright: contributors to mlinfra.gpu
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make the strings from outside (node names, reasons, tags) that could carry a template unsafe; keep the rest plain.

As community.docker and amazon.aws do since 2024 (community.general#8212): wrapping *every* string, ``ansible_host``
included, makes ``ansible-inventory --list`` print ``{"__ansible_unsafe": "10.0.0.5"}`` where a string belongs,
which broke AWX inventory syncs. A string can only be a template when it contains ``{`` or ``}`` (every Jinja start
and end marker does) or starts with the ``#jinja2:`` override header, so only those strings are made unsafe:

- ansible-core 2.18 and older: they are wrapped with ``wrap_var``; other strings stay plain ``str``.
- ansible-core 2.19 and newer (data tagging): strings the plugin makes are untrusted, and ``ansible-inventory --list``
  prints every untrusted string as ``{"__ansible_unsafe": ...}``. Strings that cannot carry a template are therefore
  tagged trusted (templating them gives them back unchanged) and print as plain strings; the others stay untrusted.

Numbers, booleans and None are returned as they are on every version.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.utils.unsafe_proxy import wrap_var

try:
    from ansible.template import trust_as_template  # ansible-core 2.19+
except ImportError:
    trust_as_template = None

JINJA_OVERRIDE_HEADER = "#jinja2:"


def can_carry_template(text):
    """True when ``text`` could be templated: it has ``{`` or ``}``, or starts with the ``#jinja2:`` header."""
    return "{" in text or "}" in text or text.startswith(JINJA_OVERRIDE_HEADER)


def _key(key):
    """Mapping keys are never templated from 2.19 on; before, a key that could carry a template is wrapped."""
    if isinstance(key, str) and trust_as_template is None and can_carry_template(key):
        return wrap_var(key)
    return key


def unsafe(value):
    """``value`` with each string that could carry a template made unsafe and every other string plain (see the
    module documentation); dicts, lists and tuples are copied, everything else is returned as it is."""
    if isinstance(value, str):
        if can_carry_template(value):
            return wrap_var(value)
        return trust_as_template(value) if trust_as_template is not None else value
    if isinstance(value, Mapping):
        return dict((_key(k), unsafe(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(unsafe(v) for v in value)
    return value
