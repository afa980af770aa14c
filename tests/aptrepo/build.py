# -*- coding: utf-8 -*-
"""Build a local, signed, flat apt repository laid out like NVIDIA's CUDA repository (and, with --docker-deb, one
laid out like Docker's).

    python3 tests/aptrepo/build.py OUTDIR            # build (reuses OUTDIR/gnupg: the key survives rebuilds)
    python3 tests/aptrepo/build.py OUTDIR --serve PORT   # build, then serve OUTDIR on 127.0.0.1:PORT (foreground)
    python3 tests/aptrepo/build.py OUTDIR --docker-deb DOCKER_IO_DEB   # also Docker's repository (see below)

Result:
    OUTDIR/cuda/repos/debian12/x86_64/   *.deb Packages Packages.gz Release InRelease Release.gpg 3bf863cc.pub
    OUTDIR/cuda/repos/debian13/x86_64/   the same files (the stand-ins do not differ per release)
    OUTDIR/fingerprint                   fingerprint of the test signing key (40 hex digits)
  with --docker-deb (Debian 12's docker.io .deb, whose binaries the stand-ins ship; docker_packages.py):
    OUTDIR/docker/linux/debian/gpg                                 the key, armored, where Docker publishes its own
    OUTDIR/docker/linux/debian/dists/bookworm/{InRelease,Release,Release.gpg}
    OUTDIR/docker/linux/debian/dists/bookworm/stable/binary-amd64/Packages{,.gz}
    OUTDIR/docker/linux/debian/dists/bookworm/pool/stable/amd64/*.deb

The key is a throw-away ed25519 key without passphrase made here; it is published under NVIDIA's key file name
(3bf863cc.pub) so that a role pointed at this mirror fetches it the way it fetches NVIDIA's. Needs: dpkg-deb,
dpkg-scanpackages (dpkg-dev), gpg (gnupg). Nothing is installed or changed outside OUTDIR.
"""
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docker_packages  # noqa: E402
import packages  # noqa: E402

RELEASES = ("debian12", "debian13")
KEY_FILE = "3bf863cc.pub"


def run(argv, **kw):
    return subprocess.run(argv, check=True, **kw)


def control(pkg):
    lines = [
        "Package: %s" % pkg["name"],
        "Version: %s" % pkg["version"],
        "Architecture: amd64",
        "Maintainer: mlinfra test <test@invalid>",
        "Section: non-free/libs",
        "Priority: optional",
    ]
    for field in ("depends", "conflicts", "provides", "replaces"):
        if pkg.get(field):
            lines.append("%s: %s" % (field.capitalize(), ", ".join(pkg[field])))
    lines.append("Description: %s (mlinfra test stand-in)" % pkg["name"])
    lines.append(" Stand-in with the real package's name and dependencies; installs no driver.")
    return "\n".join(lines) + "\n"


def build_deb(pkg, workdir, pool):
    deb = os.path.join(pool, "%s_%s_amd64.deb" % (pkg["name"], pkg["version"].split(":", 1)[-1]))  # as dpkg names it
    digest = hashlib.sha256(repr(sorted(pkg.items())).encode("utf-8")).hexdigest()
    stamp = os.path.join(workdir, os.path.basename(deb) + ".sha")  # rebuilt when the stand-in's definition changes
    if os.path.exists(deb) and os.path.exists(stamp) and open(stamp).read() == digest:
        return deb
    root = os.path.join(workdir, pkg["name"] + "_" + pkg["version"])
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(os.path.join(root, "DEBIAN"))
    with open(os.path.join(root, "DEBIAN", "control"), "w") as fh:
        fh.write(control(pkg))
    for script in ("postinst", "prerm"):
        if pkg.get(script):
            path = os.path.join(root, "DEBIAN", script)
            with open(path, "w") as fh:
                fh.write("#!/bin/sh\nset -e\n" + pkg[script])
            os.chmod(path, 0o755)
    for rel, content in (pkg.get("files") or {}).items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(content)
        os.chmod(path, 0o755 if content.startswith("#!") else 0o644)
    for rel, source in (pkg.get("copy") or {}).items():  # binaries taken from another package
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copy(source, path)
    run(["dpkg-deb", "--root-owner-group", "-Znone", "--build", root, deb], stdout=subprocess.DEVNULL)
    shutil.rmtree(root)
    with open(stamp, "w") as fh:
        fh.write(digest)
    return deb


def ensure_key(outdir):
    home = os.path.join(outdir, "gnupg")
    env = dict(os.environ, GNUPGHOME=home)
    if not os.path.isdir(home):
        os.makedirs(home, mode=0o700)
        run(["gpg", "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", "",
             "--quick-gen-key", "mlinfra test repository <test@invalid>", "ed25519", "sign", "never"], env=env)
    out = run(["gpg", "--batch", "--with-colons", "--list-secret-keys"], env=env, capture_output=True, text=True).stdout
    fpr = [line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:")][0]
    return env, fpr


def release_file(repo, header=("Origin: NVIDIA", "Label: mlinfra test CUDA repository"), files=("Packages", "Packages.gz")):
    lines = list(header) + ["Architectures: amd64", "Date: %s" % time.strftime("%a, %d %b %Y %H:%M:%S UTC", time.gmtime())]
    for algo, field in (("md5", "MD5Sum"), ("sha256", "SHA256")):
        lines.append(field + ":")
        for name in files:
            data = open(os.path.join(repo, name), "rb").read()
            lines.append(" %s %d %s" % (hashlib.new(algo, data).hexdigest(), len(data), name))
    return "\n".join(lines) + "\n"


def scan(root, subdir, index_dir):
    """Packages and Packages.gz of the .debs under root/subdir, written to index_dir (Filename relative to root)."""
    text = run(["dpkg-scanpackages", "--multiversion", subdir, "/dev/null"], cwd=root, capture_output=True).stdout
    os.makedirs(index_dir, exist_ok=True)
    with open(os.path.join(index_dir, "Packages"), "wb") as fh:
        fh.write(text)
    with gzip.GzipFile(os.path.join(index_dir, "Packages.gz"), "wb", mtime=0) as fh:
        fh.write(text)


def sign_release(directory, release, env, fpr):
    """Write directory/Release and sign it (InRelease, Release.gpg) with the test key."""
    with open(os.path.join(directory, "Release"), "w") as fh:
        fh.write(release)
    for name in ("InRelease", "Release.gpg"):
        if os.path.exists(os.path.join(directory, name)):
            os.unlink(os.path.join(directory, name))
    sign = ["gpg", "--batch", "--yes", "--quiet", "--pinentry-mode", "loopback", "--passphrase", "", "--local-user", fpr]
    run(sign + ["--clearsign", "-o", "InRelease", "Release"], cwd=directory, env=env)
    run(sign + ["--armor", "--detach-sign", "-o", "Release.gpg", "Release"], cwd=directory, env=env)


def export_key(path, env, fpr):
    with open(path, "wb") as fh:
        fh.write(run(["gpg", "--batch", "--armor", "--export", fpr], env=env, capture_output=True).stdout)


def build_docker(outdir, docker_deb, env, fpr):
    """Docker's repository layout (bookworm, component stable) of the stand-ins in docker_packages.py."""
    work = os.path.join(outdir, "work")
    tree = os.path.join(work, "docker.io-tree")
    stamp = os.path.join(work, "docker.io-tree.source")
    if not (os.path.exists(stamp) and open(stamp).read() == os.path.basename(docker_deb)):
        shutil.rmtree(tree, ignore_errors=True)
        run(["dpkg-deb", "-x", docker_deb, tree])
        with open(stamp, "w") as fh:
            fh.write(os.path.basename(docker_deb))
    root = os.path.join(outdir, "docker", "linux", "debian")
    dist = os.path.join(root, "dists", "bookworm")
    pool = os.path.join(dist, "pool", "stable", "amd64")
    os.makedirs(pool, exist_ok=True)
    for pkg in docker_packages.docker_packages(tree):
        build_deb(pkg, work, pool)
    scan(root, "dists/bookworm/pool/stable", os.path.join(dist, "stable", "binary-amd64"))
    header = ("Origin: Docker", "Label: Docker CE", "Suite: bookworm", "Codename: bookworm", "Components: stable")
    sign_release(dist, release_file(dist, header, ("stable/binary-amd64/Packages", "stable/binary-amd64/Packages.gz")),
                 env, fpr)
    export_key(os.path.join(root, "gpg"), env, fpr)


def build(outdir, docker_deb=None):
    outdir = os.path.abspath(outdir)
    env, fpr = ensure_key(outdir)
    first = os.path.join(outdir, "cuda", "repos", RELEASES[0], "x86_64")
    os.makedirs(first, exist_ok=True)
    work = os.path.join(outdir, "work")
    os.makedirs(work, exist_ok=True)
    for pkg in packages.all_packages():
        build_deb(pkg, work, first)
    scan(first, ".", first)
    sign_release(first, release_file(first), env, fpr)
    export_key(os.path.join(first, KEY_FILE), env, fpr)
    if docker_deb:
        build_docker(outdir, os.path.abspath(docker_deb), env, fpr)
    for rel in RELEASES[1:]:
        link = os.path.join(outdir, "cuda", "repos", rel)
        if not os.path.islink(link):
            shutil.rmtree(link, ignore_errors=True)
            os.symlink(RELEASES[0], link)
    with open(os.path.join(outdir, "fingerprint"), "w") as fh:
        fh.write(fpr + "\n")
    return fpr


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] not in ("--serve", "--docker-deb")):
        sys.stderr.write(__doc__)
        return 2
    fpr = build(argv[1], argv[3] if argv[2:3] == ["--docker-deb"] else None)
    print(fpr)
    if argv[2:3] == ["--serve"]:
        sys.stdout.flush()
        os.chdir(argv[1])
        os.execvp(sys.executable, [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", argv[3]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
