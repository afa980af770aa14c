#!/usr/bin/env bash
# Packaging for Galaxy / Automation Hub and AWX (issue 15). Needs ansible-builder, galaxy-importer, ansible-runner
# and antsibull-changelog in .venv (see the pins in the report of issue 15 / requirements-dev.txt).
#   bash scripts/packaging.sh build     # the collection tarball in .build/dist
#   bash scripts/packaging.sh ee        # build, then the execution environment's build context in .build/ee
#                                       # (ansible-builder create; the image build itself: ansible-builder build)
#   bash scripts/packaging.sh import    # build, then galaxy-importer on the tarball (offline settings of the tests)
#   bash scripts/packaging.sh test      # the packaging and AWX tests (pytest), as the CI stage runs them
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_venv
ensure_collection_link

build() {
  rm -rf "$ROOT/.build/dist"; mkdir -p "$ROOT/.build/dist"
  ansible-galaxy collection build --force --output-path "$ROOT/.build/dist" "$ROOT" >&2
  ls "$ROOT"/.build/dist/mlinfra-gpu-*.tar.gz
}

case "${1:-test}" in
  build) build ;;
  ee)
    build >/dev/null
    rm -rf "$ROOT/.build/ee"
    ansible-builder create -f execution-environment.yml -c "$ROOT/.build/ee" --output-filename Containerfile
    ;;
  import)
    tarball=$(build)
    mkdir -p "$ROOT/.build/import"
    (cd "$ROOT/.build/import" && GALAXY_IMPORTER_CONFIG="$ROOT/tests/integration/packaging/galaxy-importer.cfg" \
      python -m galaxy_importer.main "$tarball")
    ;;
  test)
    shift || true
    python -m pytest -p no:cacheprovider tests/integration/packaging tests/integration/awx "$@"
    ;;
  *) die "usage: scripts/packaging.sh build|ee|import|test [pytest args]" ;;
esac
