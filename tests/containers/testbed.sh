#!/usr/bin/env bash
# Container test bed shared by Molecule scenarios, integration tests and the demo.
#   . tests/containers/testbed.sh; ensure_docker; ensure_apt_cache; ensure_images 12 13
# or run it: bash tests/containers/testbed.sh [12] [13]
#
# - ensure_docker: use the running Docker engine; otherwise (root on Debian) install Debian's docker.io and
#   start dockerd in the background, waiting until it answers.
# - ensure_apt_cache: apt-cacher-ng on 127.0.0.1:3142, shared by image builds and every container
#   (containers run with --network host, so their 127.0.0.1 is this host's).
# - ensure_images: Debian images built with debootstrap + docker import, tagged mlinfra/debian:<N>-systemd,
#   rebuilt only when their recipe (this file, the CA certificates) changes.
_TB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../scripts/lib.sh
. "$_TB_DIR/../../scripts/lib.sh"

TESTBED_IMAGE_REPO="${TESTBED_IMAGE_REPO:-mlinfra/debian}"
TESTBED_MIRROR="${TESTBED_MIRROR:-http://deb.debian.org/debian}"
APT_CACHE_PORT="${APT_CACHE_PORT:-3142}"
# What debootstrap puts in the image (with image-setup.sh and the CA certificates, this is the recipe).
TESTBED_PACKAGES=systemd,systemd-sysv,dbus,python3,python3-apt,ca-certificates,iproute2,procps,sudo,gnupg,kmod,udev,curl
# Run options that make systemd work in a container on hosts where --privileged fails.
TESTBED_RUN_OPTS=(--cap-add ALL --cap-drop SYS_RESOURCE --cap-drop SYS_TIME --cap-drop SYS_MODULE --security-opt seccomp=unconfined --security-opt apparmor=unconfined
  --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock --network host)

ensure_docker() {
  if docker info >/dev/null 2>&1; then return 0; fi
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io
  command -v dockerd >/dev/null 2>&1 || die "no dockerd after installing docker.io"
  if ! pgrep -x dockerd >/dev/null; then
    log "starting dockerd in the background (log: /var/log/mlinfra-dockerd.log)"
    setsid nohup dockerd >/var/log/mlinfra-dockerd.log 2>&1 < /dev/null &
  fi
  local i
  for i in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    sleep 1
  done
  tail -20 /var/log/mlinfra-dockerd.log >&2 || true
  die "the Docker engine did not answer within 60s (see /var/log/mlinfra-dockerd.log)"
}

apt_cache_up() { (exec 3<>"/dev/tcp/127.0.0.1/$APT_CACHE_PORT") 2>/dev/null; }

ensure_apt_cache() {
  apt_cache_up && return 0
  apt_install apt-cacher-ng
  log "starting apt-cacher-ng on 127.0.0.1:$APT_CACHE_PORT"
  mkdir -p /var/cache/apt-cacher-ng /var/log/apt-cacher-ng /run/apt-cacher-ng
  chown -R apt-cacher-ng: /var/cache/apt-cacher-ng /var/log/apt-cacher-ng /run/apt-cacher-ng 2>/dev/null || true
  local conf=/var/lib/mlinfra-acng
  mkdir -p "$conf"; cp "$_TB_DIR/acng.conf" "$conf/acng.conf"
  setsid runuser -u apt-cacher-ng -- /usr/sbin/apt-cacher-ng -c "$conf" \
    Port="$APT_CACHE_PORT" ForeGround=1 >/var/log/mlinfra-apt-cacher-ng.log 2>&1 < /dev/null &
  local i
  for i in $(seq 1 30); do apt_cache_up && return 0; sleep 1; done
  log "WARNING: apt-cacher-ng did not start; containers will use the mirror directly"
}

_recipe_hash() {
  { cat "$_TB_DIR/image-setup.sh"; cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true; echo "$1 $TESTBED_PACKAGES $TESTBED_MIRROR"; } | sha256sum | cut -c1-16
}

_codename() {
  case "$1" in 12) echo bookworm ;; 13) echo trixie ;; *) die "unsupported Debian version '$1' (expected 12 or 13)" ;; esac
}

build_image() {
  local ver="$1" code tag hash root mirror
  code=$(_codename "$ver")
  tag="$TESTBED_IMAGE_REPO:$ver-systemd"
  hash=$(_recipe_hash "$ver")
  if [ "$(docker image inspect -f '{{ index .Config.Labels "org.mlinfra.recipe" }}' "$tag" 2>/dev/null)" = "$hash" ]; then
    log "image $tag is up to date (recipe $hash)"; return 0
  fi
  apt_install debootstrap
  root=$(mktemp -d "/var/tmp/mlinfra-rootfs-$code.XXXX")
  mirror="$TESTBED_MIRROR"
  if apt_cache_up; then mirror="http://127.0.0.1:$APT_CACHE_PORT/${TESTBED_MIRROR#http://}"; fi
  log "debootstrap $code into $root via $mirror"
  debootstrap --variant=minbase --include="$TESTBED_PACKAGES" "$code" "$root" "$mirror" >"$root.log" 2>&1 || { tail -30 "$root.log" >&2; die "debootstrap $code failed (log $root.log)"; }
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
  cp "$_TB_DIR/image-setup.sh" "$root/tmp/image-setup.sh"
  chroot "$root" /bin/bash /tmp/image-setup.sh "$code" "${TESTBED_MIRROR}" "$APT_CACHE_PORT"
  rm -f "$root/tmp/image-setup.sh"
  log "importing $tag"
  tar -C "$root" -c . | docker import \
    --change 'ENV container=docker' \
    --change 'CMD ["/lib/systemd/systemd"]' \
    --change "LABEL org.mlinfra.recipe=$hash org.mlinfra.debian=$ver org.opencontainers.image.description=Debian-$ver-$code-systemd-python3-test-node" \
    - "$tag" >/dev/null
  rm -rf "$root" "$root.log"
  log "built $tag"
}

ensure_images() {
  local v
  for v in "${@:-12 13}"; do build_image "$v"; done
}

# Start a systemd test node: testbed_run NAME VERSION [extra docker run args...]
testbed_run() {
  local name="$1" ver="$2"; shift 2
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker run -d --name "$name" --hostname "$name" --stop-signal SIGRTMIN+3 "${TESTBED_RUN_OPTS[@]}" "$@" "$TESTBED_IMAGE_REPO:$ver-systemd" >/dev/null
  local i
  for i in $(seq 1 60); do
    case "$(docker exec "$name" systemctl is-system-running 2>/dev/null)" in
      running|degraded) return 0 ;;
    esac
    sleep 1
  done
  die "container $name: systemd did not come up within 60s"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  ensure_docker
  ensure_apt_cache
  if [ $# -gt 0 ]; then ensure_images "$@"; else ensure_images 12 13; fi
fi
