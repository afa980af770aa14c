# -*- coding: utf-8 -*-
"""Stand-in packages of Docker's own repository (download.docker.com/linux/debian bookworm stable), for the
container_runtime role's source ``upstream``.

Names, versions, dependencies and conflicts of Docker's packages (docker-ce, docker-ce-cli, containerd.io,
docker-buildx-plugin, docker-compose-plugin). What works for real, in the simplest form: the engine's binaries are
Debian 12's own, taken from the docker.io package given to the builder (``build.py --docker-deb``): docker-ce ships its
``dockerd`` and ``docker-proxy`` under Docker's paths with Docker's systemd units (dockerd talks to the
system containerd), docker-ce-cli ships its ``docker``, and containerd.io is a package that depends on Debian's
containerd and runc (the real one ships its own build of both). So ``docker version`` answers 20.10.24 whatever the
stand-in's version: the version numbers are the repository's, the behaviour is Docker 20.10's. The CLI plugins are
small scripts that answer Docker's plugin protocol (``docker-cli-plugin-metadata``), so ``docker buildx version`` and
``docker compose version`` work.
"""

# docker-ce / docker-ce-cli versions the stand-in repository offers (two, so that a pinned one is not the newest)
DOCKER_VERSIONS = ("27.5.1", "28.5.2")
CONTAINERD_IO = "1.7.28"
BUILDX = "0.29.1"
COMPOSE = "2.40.3"
SUFFIX = "-1~debian.12~bookworm"

SERVICE = """[Unit]
Description=Docker Application Container Engine
Documentation=https://docs.docker.com
After=network-online.target nss-lookup.target docker.socket firewalld.service containerd.service time-set.target
Wants=network-online.target containerd.service
Requires=docker.socket

[Service]
Type=notify
ExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock
ExecReload=/bin/kill -s HUP $MAINPID
TimeoutStartSec=0
RestartSec=2
Restart=always
StartLimitBurst=3
StartLimitInterval=60s
LimitNOFILE=infinity
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
Delegate=yes
KillMode=process
OOMScoreAdjust=-500

[Install]
WantedBy=multi-user.target
"""

SOCKET = """[Unit]
Description=Docker Socket for the API

[Socket]
ListenStream=/run/docker.sock
SocketMode=0660
SocketUser=root
SocketGroup=docker

[Install]
WantedBy=sockets.target
"""

# what docker-ce's postinst does: the docker group, then the units enabled and started (a failed start does not fail
# the installation)
POSTINST = """if [ "$1" = configure ]; then
    getent group docker >/dev/null 2>&1 || addgroup --system docker
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload || true
        systemctl enable docker.socket docker.service >/dev/null 2>&1 || true
        systemctl start docker.service || true
    fi
fi
"""

PLUGIN = """#!/bin/sh
# stand-in of the Docker CLI plugin %(name)s %(version)s: answers Docker's plugin protocol
case "$1" in
    docker-cli-plugin-metadata)
        echo '{"SchemaVersion":"0.1.0","Vendor":"Docker Inc. (mlinfra stand-in)","Version":"v%(version)s","ShortDescription":"%(short)s"}' ;;
    *) shift; echo "%(short)s version v%(version)s (stand-in)" ;;
esac
"""


def docker_packages(tree):
    """The stand-ins; tree is Debian's docker.io package unpacked (dpkg-deb -x)."""
    pkgs = [
        {"name": "containerd.io", "version": CONTAINERD_IO + SUFFIX, "depends": ["containerd", "runc"]},
        {"name": "docker-buildx-plugin", "version": BUILDX + SUFFIX,
         "files": {"usr/libexec/docker/cli-plugins/docker-buildx": PLUGIN % {
             "name": "docker-buildx", "version": BUILDX, "short": "Docker Buildx"}}},
        {"name": "docker-compose-plugin", "version": COMPOSE + SUFFIX,
         "files": {"usr/libexec/docker/cli-plugins/docker-compose": PLUGIN % {
             "name": "docker-compose", "version": COMPOSE, "short": "Docker Compose"}}},
    ]
    for version in DOCKER_VERSIONS:
        v = "5:" + version + SUFFIX
        pkgs += [
            {"name": "docker-ce-cli", "version": v, "conflicts": ["docker.io", "docker-engine"],
             "copy": {"usr/bin/docker": tree + "/usr/bin/docker"}},
            {"name": "docker-ce", "version": v,
             "depends": ["containerd.io (>= 1.7.27)", "docker-ce-cli", "iptables", "libc6 (>= 2.34)",
                         "libdevmapper1.02.1 (>= 2:1.02.97)", "libsystemd0"],
             "conflicts": ["docker.io", "docker-engine"],
             "copy": {"usr/bin/dockerd": tree + "/usr/sbin/dockerd",
                      "usr/bin/docker-proxy": tree + "/usr/sbin/docker-proxy"},
             "files": {"lib/systemd/system/docker.service": SERVICE, "lib/systemd/system/docker.socket": SOCKET},
             "postinst": POSTINST},
        ]
    return pkgs
