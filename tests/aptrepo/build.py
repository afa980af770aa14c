# -*- coding: utf-8 -*-
"""Build a local, signed, flat apt repository laid out like NVIDIA's CUDA repository.

    python3 tests/aptrepo/build.py OUTDIR            # build (reuses OUTDIR/gnupg: the key survives rebuilds)
    python3 tests/aptrepo/build.py OUTDIR --serve PORT   # build, then serve OUTDIR on 127.0.0.1:PORT (foreground)

Result:
    OUTDIR/cuda/repos/debian12/x86_64/   *.deb Packages Packages.gz Release InRelease Release.gpg 3bf863cc.pub
    OUTDIR/cuda/repos/debian13/x86_64/   the same files (the stand-ins do not differ per release)
    OUTDIR/fingerprint                   fingerprint of the test signing key (40 hex digits)

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
    deb = os.path.join(pool, "%s_%s_amd64.deb" % (pkg["name"], pkg["version"].replace(":", "%3a")))
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


def release_file(repo):
    lines = ["Origin: NVIDIA", "Label: mlinfra test CUDA repository", "Architectures: amd64",
             "Date: %s" % time.strftime("%a, %d %b %Y %H:%M:%S UTC", time.gmtime())]
    files = ["Packages", "Packages.gz"]
    for algo, field in (("md5", "MD5Sum"), ("sha256", "SHA256")):
        lines.append(field + ":")
        for name in files:
            data = open(os.path.join(repo, name), "rb").read()
            lines.append(" %s %d %s" % (hashlib.new(algo, data).hexdigest(), len(data), name))
    return "\n".join(lines) + "\n"


def build(outdir):
    outdir = os.path.abspath(outdir)
    env, fpr = ensure_key(outdir)
    first = os.path.join(outdir, "cuda", "repos", RELEASES[0], "x86_64")
    os.makedirs(first, exist_ok=True)
    work = os.path.join(outdir, "work")
    os.makedirs(work, exist_ok=True)
    for pkg in packages.all_packages():
        build_deb(pkg, work, first)
    scan = run(["dpkg-scanpackages", "--multiversion", ".", "/dev/null"], cwd=first, capture_output=True).stdout
    with open(os.path.join(first, "Packages"), "wb") as fh:
        fh.write(scan)
    with gzip.GzipFile(os.path.join(first, "Packages.gz"), "wb", mtime=0) as fh:
        fh.write(scan)
    with open(os.path.join(first, "Release"), "w") as fh:
        fh.write(release_file(first))
    for name in ("InRelease", "Release.gpg"):
        if os.path.exists(os.path.join(first, name)):
            os.unlink(os.path.join(first, name))
    sign = ["gpg", "--batch", "--yes", "--quiet", "--pinentry-mode", "loopback", "--passphrase", "", "--local-user", fpr]
    run(sign + ["--clearsign", "-o", "InRelease", "Release"], cwd=first, env=env)
    run(sign + ["--armor", "--detach-sign", "-o", "Release.gpg", "Release"], cwd=first, env=env)
    with open(os.path.join(first, KEY_FILE), "wb") as fh:
        fh.write(run(["gpg", "--batch", "--armor", "--export", fpr], env=env, capture_output=True).stdout)
    for rel in RELEASES[1:]:
        link = os.path.join(outdir, "cuda", "repos", rel)
        if not os.path.islink(link):
            shutil.rmtree(link, ignore_errors=True)
            os.symlink(RELEASES[0], link)
    with open(os.path.join(outdir, "fingerprint"), "w") as fh:
        fh.write(fpr + "\n")
    return fpr


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--serve"):
        sys.stderr.write(__doc__)
        return 2
    fpr = build(argv[1])
    print(fpr)
    if len(argv) == 4:
        sys.stdout.flush()
        os.chdir(argv[1])
        os.execvp(sys.executable, [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", argv[3]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
