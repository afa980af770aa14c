#!/usr/bin/env bash
# Runs inside the debootstrapped root (chroot) to finish a test image. Args: CODENAME MIRROR APT_CACHE_PORT
set -euo pipefail
code="$1"; mirror="$2"; port="$3"
# Plain Debian sources, main only, as a fresh install has them (gpu_node_base adds contrib/non-free).
cat > /etc/apt/sources.list <<SRC
deb $mirror $code main
deb $mirror $code-updates main
deb http://deb.debian.org/debian-security $code-security main
SRC
rm -f /etc/apt/sources.list.d/*.sources
# Use the host's apt-cacher-ng on 127.0.0.1 when it answers, else go direct.
cat > /usr/local/bin/mlinfra-apt-proxy <<'PRX'
#!/bin/bash
# $1 is the URL apt is about to fetch: local test repositories are fetched directly.
case "${1:-}" in http://127.*|http://localhost[:/]*) echo DIRECT; exit 0 ;; esac
if (exec 3<>/dev/tcp/127.0.0.1/__PORT__) 2>/dev/null; then echo "http://127.0.0.1:__PORT__"; else echo DIRECT; fi
PRX
sed -i "s/__PORT__/$port/g" /usr/local/bin/mlinfra-apt-proxy
chmod 0755 /usr/local/bin/mlinfra-apt-proxy
echo 'Acquire::http::Proxy-Auto-Detect "/usr/local/bin/mlinfra-apt-proxy";' > /etc/apt/apt.conf.d/01mlinfra-proxy
echo 'APT::Install-Recommends "false";' > /etc/apt/apt.conf.d/02mlinfra-norecommends
# Trust the host's extra CA certificates (TLS to PyPI passes through a proxy with its own CA).
update-ca-certificates >/dev/null 2>&1 || true
# systemd in a container: no gettys, no udev triggers, no remount of / (read-only bits are the host's).
for u in getty@tty1.service console-getty.service systemd-udevd.service systemd-udev-trigger.service \
         systemd-remount-fs.service systemd-firstboot.service sys-kernel-config.mount \
         systemd-modules-load.service; do
  ln -sf /dev/null "/etc/systemd/system/$u"
done
: > /etc/machine-id
echo "localhost" > /etc/hostname
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
