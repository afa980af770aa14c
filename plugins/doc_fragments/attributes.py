# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attributes shared by the collection's modules (one place for their wording)."""

from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Doc fragments: use as C(mlinfra.gpu.attributes.read_only)."""

    # Standard attributes every module documents (each module states its own support levels).
    DOCUMENTATION = r"""
options: {}
"""

    # Modules that read the host or only decide from their options: nothing changes, in check mode or not.
    READ_ONLY = r"""
attributes:
  check_mode:
    support: full
    description: The module only reads or decides; it changes nothing, so it runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
"""
