# -*- coding: utf-8 -*-
# Copyright: mlinfra.gpu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container engine configuration merges (_runtime_config) over real files (tests/unit/fixtures/runtime, SOURCES.md)."""

from __future__ import absolute_import, division, print_function

import json
import os

import pytest
import tomllib

from ansible_collections.mlinfra.gpu.plugins.module_utils import _runtime_config as rc

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "runtime")
DROPIN = "/etc/containerd/conf.d/99-mlinfra-nvidia.toml"
NVIDIA_V2 = {"runtime_type": "io.containerd.runc.v2", "options": {"BinaryName": "/usr/bin/nvidia-container-runtime"}}


def fixture(name):
    with open(os.path.join(FIX, name)) as handle:
        return handle.read()


def overlay_for(default_runtime=False, user=None):
    return lambda version: rc.containerd_overlay(version, True, default_runtime, "/usr/bin/nvidia-container-runtime",
                                                 user)


# ---------------------------------------------------------------- deep_merge

def test_deep_merge_keeps_order_merges_nested_replaces_scalars_and_none_removes():
    base = {"b": 1, "a": {"x": 1, "y": [1]}, "c": "keep", "d": 4}
    merged = rc.deep_merge(base, {"a": {"y": [2], "z": 3}, "b": 2, "d": None, "e": {"n": 1}})
    assert list(merged.items()) == [("b", 2), ("a", {"x": 1, "y": [2], "z": 3}), ("c", "keep"), ("e", {"n": 1})]
    assert base == {"b": 1, "a": {"x": 1, "y": [1]}, "c": "keep", "d": 4}


def test_deep_merge_dict_over_scalar_replaces():
    assert rc.deep_merge({"a": "s"}, {"a": {"k": 1}}) == {"a": {"k": 1}}


def test_deep_merge_none_for_missing_key_is_nothing():
    assert rc.deep_merge({"a": 1}, {"b": None}) == {"a": 1}


# ---------------------------------------------------------------- docker

def test_docker_overlay_full():
    assert rc.docker_overlay(True, True, True, {"log-level": "warn"}) == {
        "runtimes": {"nvidia": {"path": "nvidia-container-runtime", "args": []}},
        "default-runtime": "nvidia", "features": {"cdi": True}, "log-level": "warn"}


def test_docker_overlay_runtime_only():
    assert rc.docker_overlay(True, False, False, {}) == {
        "runtimes": {"nvidia": {"path": "nvidia-container-runtime", "args": []}}}


def test_docker_overlay_without_nvidia_is_the_users_only():
    assert rc.docker_overlay(False, True, True, None) == {}


def test_absent_daemon_json_is_created():
    # Debian's docker.io ships no /etc/docker/daemon.json (SOURCES.md)
    text = rc.merge_daemon_json(None, "/etc/docker/daemon.json", rc.docker_overlay(True, False, True, {}))
    assert text == ('{\n    "runtimes": {\n        "nvidia": {\n            "path": "nvidia-container-runtime",\n'
                    '            "args": []\n        }\n    },\n    "features": {\n        "cdi": true\n    }\n}\n')


def test_absent_daemon_json_with_nothing_to_merge_is_created_empty():
    assert rc.merge_daemon_json(None, "/etc/docker/daemon.json", {}) == "{}\n"


def test_users_daemon_json_keeps_keys_values_and_order():
    text = rc.merge_daemon_json(fixture("daemon-user.json"), "/etc/docker/daemon.json",
                                rc.docker_overlay(True, True, True, {"log-opts": {"max-file": "5"}}))
    merged = json.loads(text)
    assert list(merged) == ["registry-mirrors", "log-driver", "log-opts", "data-root", "features", "runtimes",
                            "default-runtime"]
    assert merged == {
        "registry-mirrors": ["https://mirror.example.internal"],
        "log-driver": "json-file",
        "log-opts": {"max-size": "10m", "max-file": "5"},
        "data-root": "/srv/docker",
        "features": {"containerd-snapshotter": False, "cdi": True},
        "runtimes": {"crun": {"path": "/usr/bin/crun"},
                     "nvidia": {"path": "nvidia-container-runtime", "args": []}},
        "default-runtime": "nvidia",
    }


def test_merged_daemon_json_is_stable():
    overlay = rc.docker_overlay(True, False, True, {})
    first = rc.merge_daemon_json(fixture("daemon-user.json"), "/etc/docker/daemon.json", overlay)
    assert rc.merge_daemon_json(first, "/etc/docker/daemon.json", overlay) is None


def test_daemon_json_already_merged_in_another_layout_is_left_alone():
    text = '{"runtimes": {"nvidia": {"args": [], "path": "nvidia-container-runtime"}}}'
    assert rc.merge_daemon_json(text, "/etc/docker/daemon.json", rc.docker_overlay(True, False, False, {})) is None


def test_broken_daemon_json_names_the_file_and_the_parse_error():
    with pytest.raises(rc.ConfigError) as err:
        rc.merge_daemon_json(fixture("daemon-broken.json"), "/etc/docker/daemon.json", {})
    assert str(err.value) == ("/etc/docker/daemon.json does not parse as JSON (Expecting ',' delimiter: line 4 "
                              "column 1 (char 94)); it was left as it was: fix it or move it away")


def test_daemon_json_that_is_no_object_is_refused():
    with pytest.raises(rc.ConfigError) as err:
        rc.merge_daemon_json("[1]", "/d.json", {})
    assert str(err.value) == "/d.json holds a JSON list, not an object; it was left as it was"


# ---------------------------------------------------------------- containerd

def test_containerd_overlay_v2_and_v3():
    assert rc.containerd_overlay(2, True, True, "/usr/bin/nvidia-container-runtime", {}) == {
        "plugins": {"io.containerd.grpc.v1.cri": {"containerd": {"runtimes": {"nvidia": NVIDIA_V2},
                                                                 "default_runtime_name": "nvidia"}}}}
    assert rc.containerd_overlay(3, True, False, "/usr/bin/nvidia-container-runtime", {}) == {
        "plugins": {"io.containerd.cri.v1.runtime": {"containerd": {"runtimes": {"nvidia": NVIDIA_V2}}}}}


def test_containerd_overlay_without_nvidia_is_the_users_only():
    assert rc.containerd_overlay(2, False, True, "/x", {"oom_score": -500}) == {"oom_score": -500}


def default_runc(release):
    """The runc runtime in `containerd config default` of the release's containerd, read here by hand."""
    return tomllib.loads(fixture("%s-containerd-config-default.toml" % release))[
        "plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]["runc"]


@pytest.mark.parametrize("release, fields", [("debian12", 11), ("debian13", 14)])
def test_default_runtimes_are_runc_of_the_releases_containerd(release, fields):
    runtimes = rc.default_runtimes(fixture("%s-containerd-config-default.toml" % release))
    assert list(runtimes) == ["runc"]
    assert (runtimes["runc"]["runtime_type"], len(runtimes["runc"]), runtimes["runc"]["options"]["SystemdCgroup"]) \
        == ("io.containerd.runc.v2", fields, False)


def test_default_runtimes_unknown_are_none():
    assert rc.default_runtimes(None) == {}


def test_default_output_that_does_not_parse_is_named():
    with pytest.raises(rc.ConfigError) as err:
        rc.default_runtimes("[plugins\n")
    assert str(err.value).startswith("the output of `containerd config default` does not parse as TOML (")


@pytest.mark.parametrize("release", ["debian12", "debian13"])
def test_absent_config_toml_gets_a_minimal_one_and_the_dropin_keeps_runc(release):
    config, dropin, version = rc.plan_containerd(None, "/etc/containerd/config.toml", None, DROPIN, overlay_for(),
                                                 defaults_text=fixture("%s-containerd-config-default.toml" % release))
    assert version == 2
    assert tomllib.loads(config) == {"version": 2, "imports": [DROPIN]}
    assert tomllib.loads(dropin) == {"version": 2, "plugins": {"io.containerd.grpc.v1.cri": {
        "containerd": {"runtimes": {"runc": default_runc(release), "nvidia": NVIDIA_V2}}}}}


def test_without_containerds_defaults_the_dropin_has_only_the_role_runtime():
    # check mode before containerd is installed: nothing to keep is known
    _config, dropin, _version = rc.plan_containerd(None, "/c.toml", None, DROPIN, overlay_for())
    assert tomllib.loads(dropin) == {"version": 2, "plugins": {"io.containerd.grpc.v1.cri": {
        "containerd": {"runtimes": {"nvidia": NVIDIA_V2}}}}}


@pytest.mark.parametrize("release", ["debian12", "debian13"])
def test_containerd_config_default_of_debian_gets_the_import_and_keeps_every_line(release):
    # `containerd config default` of the release's containerd, written as the user's config.toml
    text = fixture("%s-containerd-config-default.toml" % release)
    config, dropin, version = rc.plan_containerd(text, "/etc/containerd/config.toml", None, DROPIN, overlay_for(True))
    assert version == 2
    assert config == text.replace("imports = []\n", 'imports = ["%s"]\n' % DROPIN, 1)
    cri = tomllib.loads(dropin)["plugins"]["io.containerd.grpc.v1.cri"]
    default_cri = tomllib.loads(text)["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["containerd"]["runtimes"]["nvidia"] == NVIDIA_V2
    assert cri["containerd"]["default_runtime_name"] == "nvidia"
    assert cri["containerd"]["runtimes"]["runc"] == default_cri["containerd"]["runtimes"]["runc"]
    assert cri["sandbox_image"] == default_cri["sandbox_image"]


@pytest.mark.parametrize("release", ["debian12", "debian13"])
def test_config_toml_shipped_by_debian_gets_the_import_before_its_tables(release):
    # /etc/containerd/config.toml as Debian's containerd package installs it
    text = fixture("%s-containerd-etc-config.toml" % release)
    config, dropin, _version = rc.plan_containerd(text, "/etc/containerd/config.toml", None, DROPIN, overlay_for(),
                                                  defaults_text=fixture("%s-containerd-config-default.toml" % release))
    assert config == text.replace("version = 2\n", 'version = 2\nimports = ["%s"]\n' % DROPIN, 1)
    assert tomllib.loads(dropin) == {"version": 2, "plugins": {"io.containerd.grpc.v1.cri": {
        "cni": {"bin_dir": "/usr/lib/cni", "conf_dir": "/etc/cni/net.d"},
        "containerd": {"runtimes": {"runc": default_runc(release), "nvidia": NVIDIA_V2}}}}}


def test_users_config_toml_keeps_comments_and_sections_and_the_dropin_carries_the_cri_section():
    text = fixture("config-user-v2.toml")
    # the user's runtimes table replaces containerd's default one: the drop-in keeps it, not the defaults
    config, dropin, _version = rc.plan_containerd(text, "/etc/containerd/config.toml", None, DROPIN,
                                                  overlay_for(user={"plugins": {"io.containerd.grpc.v1.cri": {
                                                      "enable_cdi": True}}}),
                                                  defaults_text=fixture("debian13-containerd-config-default.toml"))
    assert config == text.replace('oom_score = -999\n', 'oom_score = -999\nimports = ["%s"]\n' % DROPIN)
    assert tomllib.loads(dropin) == {"version": 2, "plugins": {"io.containerd.grpc.v1.cri": {
        "sandbox_image": "registry.example.internal/pause:3.9",
        "registry": {"config_path": "/etc/containerd/certs.d"},
        "containerd": {"snapshotter": "overlayfs", "runtimes": {
            "runc": {"runtime_type": "io.containerd.runc.v2", "options": {"SystemdCgroup": True}},
            "nvidia": NVIDIA_V2}},
        "enable_cdi": True}}}
    assert dropin.startswith("# Managed by mlinfra.gpu.container_runtime")


def test_users_runtimes_without_runc_stay_without_it():
    # containerd without the drop-in has no runc either (the user's table replaced the defaults)
    text = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]\nruntime_type = "io.containerd.kata.v2"\n'
    _config, dropin, _version = rc.plan_containerd(text, "/c.toml", None, DROPIN, overlay_for(),
                                                   defaults_text=fixture("debian13-containerd-config-default.toml"))
    assert tomllib.loads(dropin)["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"] == {
        "kata": {"runtime_type": "io.containerd.kata.v2"}, "nvidia": NVIDIA_V2}


def test_other_plugin_sections_do_not_get_the_default_runtimes():
    # plugin names sorting before and after the CRI plugin's
    user = {"plugins": {"io.containerd.gc.v1.scheduler": {"pause_threshold": 0.05},
                        "io.containerd.internal.v1.opt": {"path": "/opt/containerd"}}}
    _config, dropin, _version = rc.plan_containerd(fixture("config-user-v2.toml"), "/c.toml", None, DROPIN,
                                                   lambda v: user,
                                                   defaults_text=fixture("debian13-containerd-config-default.toml"))
    assert tomllib.loads(dropin) == {"version": 2, "plugins": user["plugins"]}


def test_version_3_cri_grpc_section_does_not_get_the_default_runtimes():
    # containerd 2.x keeps io.containerd.grpc.v1.cri for the CRI service (no runtimes there)
    user = {"plugins": {"io.containerd.grpc.v1.cri": {"enable_tls_streaming": False}}}
    _config, dropin, _version = rc.plan_containerd('version = 3\n', "/c.toml", None, DROPIN, lambda v: user,
                                                   defaults_text=fixture("debian13-containerd-config-default.toml"))
    assert tomllib.loads(dropin) == {"version": 3, "plugins": user["plugins"]}


def test_existing_imports_gain_the_dropin_after_theirs():
    config, _dropin, _v = rc.plan_containerd(fixture("config-user-imports.toml"), "/c.toml", None, DROPIN,
                                             overlay_for())
    assert config == fixture("config-user-imports.toml").replace(
        'imports = ["/etc/containerd/site.d/*.toml"]', 'imports = ["/etc/containerd/site.d/*.toml", "%s"]' % DROPIN)


def test_second_plan_changes_nothing():
    text = fixture("config-user-v2.toml")
    config, dropin, _v = rc.plan_containerd(text, "/c.toml", None, DROPIN, overlay_for())
    assert rc.plan_containerd(config, "/c.toml", dropin, DROPIN, overlay_for()) == (None, None, 2)


def test_import_by_glob_counts():
    text = 'version = 2\nimports = ["/etc/containerd/conf.d/*.toml"]\n'
    config, _dropin, _v = rc.plan_containerd(text, "/c.toml", None, DROPIN, overlay_for())
    assert config is None


def test_version_3_config_uses_the_cri_runtime_plugin_and_not_the_config_sections():
    # containerd 2.x merges imported files and maps into its defaults: no copy of the sections or the runtimes
    text = 'version = 3\n[plugins."io.containerd.cri.v1.runtime"]\n  enable_cdi = true\n'
    config, dropin, version = rc.plan_containerd(text, "/c.toml", None, DROPIN, overlay_for(),
                                                 defaults_text=fixture("debian13-containerd-config-default.toml"))
    assert version == 3
    assert tomllib.loads(config)["imports"] == [DROPIN]
    assert tomllib.loads(dropin) == {"version": 3, "plugins": {"io.containerd.cri.v1.runtime": {
        "containerd": {"runtimes": {"nvidia": NVIDIA_V2}}}}}


def test_new_config_of_version_3():
    config, _dropin, version = rc.plan_containerd(None, "/c.toml", None, DROPIN, overlay_for(), new_version=3)
    assert (version, tomllib.loads(config)) == (3, {"version": 3, "imports": [DROPIN]})


def test_users_top_level_option_goes_into_the_dropin():
    _config, dropin, _v = rc.plan_containerd(None, "/c.toml", None, DROPIN, lambda v: {"oom_score": -500})
    assert tomllib.loads(dropin) == {"version": 2, "oom_score": -500}


def test_broken_config_toml_names_the_file_and_the_parse_error():
    with pytest.raises(rc.ConfigError) as err:
        rc.plan_containerd(fixture("config-broken.toml"), "/etc/containerd/config.toml", None, DROPIN, overlay_for())
    assert str(err.value) == ("/etc/containerd/config.toml does not parse as TOML (Expected ']' at the end of a "
                              "table declaration (at line 2, column 37)); it was left as it was: fix it or move it away")


def test_version_1_config_is_refused():
    with pytest.raises(rc.ConfigError) as err:
        rc.plan_containerd(fixture("config-v1.toml"), "/c.toml", None, DROPIN, overlay_for())
    assert str(err.value) == ("/c.toml is a version 1 containerd configuration; drop-ins need version 2 or 3: migrate "
                              "it (containerd config migrate) or move it away; it was left as it was")


def test_imports_that_are_no_list_are_refused():
    with pytest.raises(rc.ConfigError) as err:
        rc.plan_containerd('version = 2\nimports = "x"\n', "/c.toml", None, DROPIN, overlay_for())
    assert str(err.value) == "/c.toml: imports is not a list; it was left as it was"


def test_missing_tomlkit_is_named(monkeypatch):
    monkeypatch.setattr(rc, "tomlkit", None)
    with pytest.raises(rc.ConfigError) as err:
        rc.plan_containerd(None, "/c.toml", None, DROPIN, overlay_for())
    assert str(err.value) == ("the Python library tomlkit is needed to edit containerd's config.toml "
                              "(Debian/Ubuntu package python3-tomlkit)")


def test_tomlkit_reads_where_tomllib_is_missing(monkeypatch):
    monkeypatch.setattr(rc, "_toml_reader", None)
    assert rc.read_toml('version = 2\n[a]\nb = 1\n', "/c.toml") == {"version": 2, "a": {"b": 1}}
    with pytest.raises(rc.ConfigError) as err:
        rc.read_toml("[a\n", "/c.toml")
    assert str(err.value).startswith("/c.toml does not parse as TOML (")


def test_an_import_that_sorts_before_the_dropin_is_not_it():
    config, _dropin, _v = rc.plan_containerd('version = 2\nimports = ["/etc/a.toml"]\n', "/c.toml", None, DROPIN,
                                             overlay_for())
    assert tomllib.loads(config)["imports"] == ["/etc/a.toml", DROPIN]


@pytest.mark.parametrize("key", ["grpc", "timeouts"])  # sorting before and after "plugins"
def test_other_top_level_tables_of_the_users_options_go_in_as_given(key):
    table = {"io.containerd.timeout.shim.cleanup": "5s"}
    _config, dropin, _v = rc.plan_containerd(fixture("config-user-v2.toml"), "/c.toml", None, DROPIN,
                                             lambda v: {key: table})
    assert tomllib.loads(dropin) == {"version": 2, key: table}


# ---------------------------------------------------------------- what containerd runs with (recorded dumps)
# containerd/capture.sh: for each config.toml of containerd/configs, `containerd config dump` of Debian's containerd
# without the role's drop-in (none), with the drop-in written before the runc fix (old) and with today's (new), the
# drop-ins themselves and the CRI plugin's row of `ctr plugins ls` after a restart (cri-status.txt).
CAPTURED = [(release, variant) for release in ("debian12", "debian13")
            for variant in ("cri-mirror", "debian-etc", "v2", "v2-unrelated")]


def captured(release, name):
    return fixture(os.path.join("containerd", release, name))


def dumped(release, variant, mode):
    """The recorded dump, without its imports (containerd lists the files it loaded in no fixed order)."""
    data = tomllib.loads(captured(release, "%s.%s.dump.toml" % (variant, mode)))
    data.pop("imports")
    return data


def cri_status(release):
    """{(variant, mode): STATUS of the cri row of `ctr plugins ls`} from cri-status.txt."""
    status, key = {}, None
    for line in captured(release, "cri-status.txt").splitlines():
        if line.startswith("## "):
            key = tuple(line[3:].split(" ")[:2])
        elif line.split()[:2] == ["io.containerd.grpc.v1", "cri"]:
            status[key] = line.split()[-1]
    return status


def planned_dropin(release, variant, defaults=True):
    text = fixture(os.path.join("containerd", "configs", variant + ".toml"))
    defaults_text = fixture("%s-containerd-config-default.toml" % release) if defaults else None
    return rc.plan_containerd(text, "/etc/containerd/config.toml", None, DROPIN, overlay_for(),
                              defaults_text=defaults_text)[1]


@pytest.mark.parametrize("release, variant", CAPTURED)
def test_the_dropins_containerd_ran_with_are_what_the_module_writes(release, variant):
    # compared as TOML: the node's tomlkit (0.11.7 on Debian 12) lays out tables unlike the test's
    assert tomllib.loads(planned_dropin(release, variant)) == \
        tomllib.loads(captured(release, variant + ".new.dropin.toml"))
    # before the fix: the same as today's without containerd's defaults
    assert tomllib.loads(planned_dropin(release, variant, defaults=False)) == \
        tomllib.loads(captured(release, variant + ".old.dropin.toml"))


@pytest.mark.parametrize("release, variant", CAPTURED)
def test_the_dropin_keeps_the_runc_containerd_has_without_it(release, variant):
    runtimes = tomllib.loads(planned_dropin(release, variant))["plugins"]["io.containerd.grpc.v1.cri"][
        "containerd"]["runtimes"]
    without = dumped(release, variant, "none")["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
    assert list(without) == ["runc"]
    assert runtimes["runc"] == without["runc"]


@pytest.mark.parametrize("release, variant", CAPTURED)
def test_containerd_with_the_dropin_runs_what_it_ran_without_plus_nvidia(release, variant):
    without, new = dumped(release, variant, "none"), dumped(release, variant, "new")
    runtimes = new["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
    assert (runtimes.pop("nvidia")["options"], new) == ({"BinaryName": "/usr/bin/nvidia-container-runtime"}, without)
    assert (cri_status(release)[(variant, "none")], cri_status(release)[(variant, "new")]) == ("ok", "ok")


@pytest.mark.parametrize("release, variant", CAPTURED)
def test_the_old_dropin_left_containerd_without_runc_and_cri(release, variant):
    # why the fix: containerd 1.x reads the drop-in's runtimes table as the whole map
    old = dumped(release, variant, "old")
    assert list(old["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]) == ["nvidia"]
    assert cri_status(release)[(variant, "old")] == "error"


@pytest.mark.parametrize("release", ["debian12", "debian13"])
def test_an_empty_config_toml_is_version_1_for_the_role(release):
    # containerd runs an empty config.toml with runc and CRI; the role refuses it (version 1) and writes nothing
    without = dumped(release, "empty", "none")["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
    assert (list(without), cri_status(release)[("empty", "none")]) == (["runc"], "ok")
    with pytest.raises(rc.ConfigError) as err:
        planned_dropin(release, "empty")
    assert str(err.value).startswith("/etc/containerd/config.toml is a version 1 containerd configuration;")
