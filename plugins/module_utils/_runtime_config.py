# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container engine configuration merges (private to the collection): pure functions behind
mlinfra.gpu.container_runtime_config.

Docker: the role's keys are merged into ``daemon.json`` (JSON); every other key, its value and the order of the keys
stay. containerd: the role's settings go into a drop-in file it owns (under ``/etc/containerd/conf.d/``) and
``config.toml`` only gains the drop-in in its ``imports`` list, edited with tomlkit so that everything else in the file
(comments, order, layout) stays byte for byte. containerd 1.x (configuration version 2) replaces a whole plugin
section with an imported file's (containerd/containerd#5837), so the drop-in carries the sections of
``config.toml`` it touches, merged with the role's settings. Its TOML decoder (go-toml v1) then replaces a map that a
section names rather than merging it into the plugin's defaults: a ``runtimes`` table holding only ``nvidia`` leaves
containerd's CRI plugin without its default ``runc`` runtime (the plugin then refuses to load:
``default_runtime_name = "runc"`` has no runtime). So the drop-in's runtimes start from containerd's own defaults
(``containerd config default`` of the node's containerd) unless ``config.toml`` has its own runtimes table, which
replaces them for containerd as well. A file that does not parse raises ConfigError naming the file and the parser's
message; nothing is written then.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import fnmatch
import json

try:
    import tomllib as _toml_reader
except ImportError:  # Python < 3.11 (Ubuntu 22.04): tomlkit reads as well
    _toml_reader = None

try:
    import tomlkit
except ImportError:
    tomlkit = None

DOCKER_NVIDIA_RUNTIME = {"path": "nvidia-container-runtime", "args": []}
# configuration version -> name of the CRI runtime plugin (containerd 1.x: 2; containerd 2.x: 3)
CRI_PLUGIN = {2: "io.containerd.grpc.v1.cri", 3: "io.containerd.cri.v1.runtime"}


class ConfigError(Exception):
    """A configuration file that cannot be merged; the message names the file and what to do."""


def deep_merge(base, overlay):
    """base with overlay merged in (new objects): nested dicts merge, other values replace, None removes the key.

    Keys of base keep their order; new keys follow in overlay's order.
    """
    result = copy.deepcopy(base)
    for key, value in overlay.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def docker_overlay(nvidia, default_runtime, cdi, user_options):
    """daemon.json keys the role sets: the nvidia runtime, optionally the default runtime and CDI, then the user's."""
    overlay = {}
    if nvidia:
        overlay["runtimes"] = {"nvidia": dict(DOCKER_NVIDIA_RUNTIME)}
        if default_runtime:
            overlay["default-runtime"] = "nvidia"
        if cdi:
            overlay["features"] = {"cdi": True}
    return deep_merge(overlay, user_options or {})


def merge_daemon_json(text, path, overlay):
    """New text of daemon.json with overlay merged, or None when nothing changes.

    text None means the file is absent (Docker's default on Debian). The result is indented by 4 spaces with the
    keys in the file's order.
    """
    if text is None:
        current = {}
    else:
        try:
            current = json.loads(text)
        except ValueError as exc:
            raise ConfigError("%s does not parse as JSON (%s); it was left as it was: fix it or move it away" % (path, exc))
        if not isinstance(current, dict):
            raise ConfigError("%s holds a JSON %s, not an object; it was left as it was" % (path, type(current).__name__))
    merged = deep_merge(current, overlay)
    if text is not None and merged == current:
        return None
    return json.dumps(merged, indent=4) + "\n"


def read_toml(text, path):
    """Parsed TOML (plain dicts); ConfigError naming the file and the parser's message."""
    try:
        if _toml_reader is not None:
            return _toml_reader.loads(text)
        return _require_tomlkit().parse(text).unwrap()
    except ValueError as exc:  # tomllib.TOMLDecodeError and tomlkit's ParseError are ValueErrors
        raise ConfigError("%s does not parse as TOML (%s); it was left as it was: fix it or move it away" % (path, exc))


def _require_tomlkit():
    if tomlkit is None:
        raise ConfigError("the Python library tomlkit is needed to edit containerd's config.toml "
                          "(Debian/Ubuntu package python3-tomlkit)")
    return tomlkit


def containerd_overlay(version, nvidia, default_runtime, binary, user_options):
    """containerd settings the role sets for configuration version (2 or 3), then the user's."""
    overlay = {}
    if nvidia:
        runtime = {"runtime_type": "io.containerd.runc.v2", "options": {"BinaryName": binary}}
        containerd = {"runtimes": {"nvidia": runtime}}
        if default_runtime:
            containerd["default_runtime_name"] = "nvidia"
        overlay["plugins"] = {CRI_PLUGIN[version]: {"containerd": containerd}}
    return deep_merge(overlay, user_options or {})


def config_version(data, path):
    """Configuration version of a parsed config.toml; ConfigError for version 1 (no imports of newer drop-ins)."""
    version = data.get("version", 1)
    if version not in CRI_PLUGIN:
        raise ConfigError("%s is a version %s containerd configuration; drop-ins need version 2 or 3: migrate it "
                          "(containerd config migrate) or move it away; it was left as it was" % (path, version))
    return version


def imported(imports, dropin):
    """Whether dropin is one of the imports (a path or a glob that matches it)."""
    return any(entry == dropin or fnmatch.fnmatchcase(dropin, entry) for entry in imports)


def add_import(text, dropin):
    """config.toml's text with dropin appended to its imports list (created when missing); the rest stays as is."""
    doc = _require_tomlkit().parse(text)
    if "imports" in doc:
        doc["imports"].append(dropin)
    else:
        doc["imports"] = [dropin]
    return tomlkit.dumps(doc)


def default_runtimes(defaults_text):
    """The CRI runtimes (name -> settings) in the output of ``containerd config default`` of containerd 1.x, {} for
    None (containerd not installed yet, check mode)."""
    if defaults_text is None:
        return {}
    defaults = read_toml(defaults_text, "the output of `containerd config default`")
    return defaults.get("plugins", {}).get(CRI_PLUGIN[2], {}).get("containerd", {}).get("runtimes", {})


def cri_section(section, runtimes):
    """config.toml's CRI plugin section as containerd 1.x reads it: its own runtimes table, or else the default
    runtimes (a runtimes table replaces containerd's map whole, it is not merged into it)."""
    if not runtimes or "runtimes" in section.get("containerd", {}):
        return section
    return deep_merge(section, {"containerd": {"runtimes": runtimes}})


def dropin_data(config, version, overlay, runtimes):
    """What the drop-in holds: its version, and overlay over the sections of config it touches.

    Version 2 (containerd 1.x) replaces a whole plugin section with the imported one, so each plugin section of the
    overlay starts from config.toml's, and the CRI plugin's from the runtimes containerd has without the drop-in
    (runtimes: containerd's default ones); other top-level keys are the overlay's own.
    """
    data = {"version": version}
    for key, value in overlay.items():
        if key == "plugins" and isinstance(value, dict):
            plugins = config.get("plugins", {}) if version == 2 else {}
            data["plugins"] = {}
            for name, section in value.items():
                base = plugins.get(name, {})
                if version == 2 and name == CRI_PLUGIN[2]:
                    base = cri_section(base, runtimes)
                data["plugins"][name] = deep_merge(base, section)
        else:
            data[key] = value
    return data


def plan_containerd(config_text, config_path, dropin_text, dropin_path, overlay_for, new_version=2,
                    defaults_text=None):
    """(new config.toml text or None, new drop-in text or None, the version used).

    config_text None: config.toml is absent and a minimal one (version new_version importing the drop-in) is made.
    overlay_for(version) gives the settings for that configuration version. defaults_text: the output of
    ``containerd config default`` (None: unknown). The drop-in is the role's own file: it is rewritten whenever its
    text differs.
    """
    if config_text is None:
        config, version = {}, new_version
        new_config = "# Made by mlinfra.gpu.container_runtime: containerd's defaults plus the imports below.\n" \
                     "version = %d\nimports = [%s]\n" % (version, json.dumps(dropin_path))
    else:
        config = read_toml(config_text, config_path)
        version = config_version(config, config_path)
        imports = config.get("imports", [])
        if not isinstance(imports, list):
            raise ConfigError("%s: imports is not a list; it was left as it was" % config_path)
        new_config = None if imported(imports, dropin_path) else add_import(config_text, dropin_path)
    data = dropin_data(config, version, overlay_for(version), default_runtimes(defaults_text))
    text = "# Managed by mlinfra.gpu.container_runtime; changes here are overwritten.\n" + \
        _require_tomlkit().dumps(data)
    return new_config, (None if text == dropin_text else text), version
