# -*- coding: utf-8 -*-
"""Stand-in packages of the NVIDIA Container Toolkit in NVIDIA's CUDA repository (loaded by packages.py).

Names, versions and dependency structure of the real ones (libnvidia-container1 <- libnvidia-container-tools <-
nvidia-container-toolkit -> nvidia-container-toolkit-base). What works for real:
  - /usr/bin/nvidia-container-runtime is an OCI runtime shim: it notes its arguments in
    /run/mlinfra-nvidia-container-runtime.log and execs runc with them, so `docker run --runtime nvidia` (or
    containerd's runc v2 shim with BinaryName) really starts a container through it;
  - /usr/bin/nvidia-ctk: `cdi generate [--output[=]FILE]` writes a minimal valid CDI spec (kind nvidia.com/gpu, device
    `all`, an environment edit), `cdi list`, `system create-dev-char-symlinks`, `--version`.
"""

TOOLKIT_VERSIONS = ("1.17.8", "1.18.0")

RUNTIME = """#!/bin/sh
# stand-in of nvidia-container-runtime %(version)s: a real OCI runtime shim around runc
echo "$*" >> /run/mlinfra-nvidia-container-runtime.log 2>/dev/null || true
for runc in /usr/sbin/runc /usr/bin/runc; do
    [ -x "$runc" ] && exec "$runc" "$@"
done
echo "nvidia-container-runtime (stand-in): runc not found" >&2
exit 1
"""

CTK = """#!/bin/sh
# stand-in of nvidia-ctk %(version)s
spec() {
    cat <<SPEC
---
cdiVersion: 0.5.0
kind: nvidia.com/gpu
devices:
  - name: all
    containerEdits:
      env:
        - NVIDIA_STANDIN_GPU=all
containerEdits:
  env:
    - NVIDIA_VISIBLE_DEVICES=void
SPEC
}
case "$1 $2" in
    "cdi generate")
        shift 2; out=""
        while [ $# -gt 0 ]; do
            case "$1" in
                --output=*) out="${1#--output=}" ;;
                --output) shift; out="$1" ;;
            esac
            shift
        done
        if [ -n "$out" ]; then mkdir -p "$(dirname "$out")" && spec > "$out"; else spec; fi
        echo 'level=info msg="Generated CDI spec with version 0.5.0"' >&2 ;;
    "cdi list") echo "nvidia.com/gpu=all" ;;
    "system create-dev-char-symlinks") exit 0 ;;
    "--version "*) echo "NVIDIA Container Toolkit CLI version %(version)s" ;;
    *) echo "nvidia-ctk (stand-in): unsupported command: $*" >&2; exit 1 ;;
esac
"""


def toolkit_packages():
    pkgs = []
    for version in TOOLKIT_VERSIONS:
        v = version + "-1"
        pin = "(= %s)" % v
        pkgs += [
            {"name": "libnvidia-container1", "version": v},
            {"name": "libnvidia-container-tools", "version": v, "depends": ["libnvidia-container1 %s" % pin],
             "files": {"usr/bin/nvidia-container-cli": "#!/bin/sh\necho 'cli-version: %s (stand-in)'\n" % version}},
            {"name": "nvidia-container-toolkit-base", "version": v,
             "files": {"usr/bin/nvidia-container-runtime": RUNTIME % {"version": version},
                       "usr/bin/nvidia-ctk": CTK % {"version": version}}},
            {"name": "nvidia-container-toolkit", "version": v,
             "depends": ["nvidia-container-toolkit-base %s" % pin, "libnvidia-container-tools %s" % pin],
             "files": {"usr/bin/nvidia-container-runtime-hook": "#!/bin/sh\nexit 0\n"}},
        ]
    return pkgs
