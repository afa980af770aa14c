"""Stand-in for the get-pip.py bootstrap that ansible-test downloads from ci-files.testing.ansible.com.

That host is unreachable from the project's build machines (only PyPI and Debian's mirror are), so
scripts/sanity.sh places this file where ansible-test caches the bootstrap script. It does what get-pip.py
does: put pip into the empty virtual environment (with the standard library's ensurepip), then install the
packages ansible-test asked for (``pip==X`` and friends; get-pip's own ``--no-setuptools`` and
``--no-wheel`` are what plain pip does already) from the configured index.
"""
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")])
