"""Make the checkout importable as ``ansible_collections.mlinfra.gpu`` for pytest.

``scripts/lib.sh`` (ensure_collection_link) links this checkout at
``.build/collections/ansible_collections/mlinfra/gpu``; this file makes the same link when it is missing, so
``pytest`` works from a fresh clone too.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
_link = os.path.join(COLLECTIONS, "ansible_collections", "mlinfra", "gpu")
if not os.path.islink(_link):
    os.makedirs(os.path.dirname(_link), exist_ok=True)
    os.symlink(ROOT, _link)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", COLLECTIONS)
