"""Registers the service fixtures of inventory_helpers (slurm_cluster, slurm_cluster_2411, moto_ec2) here; the
test-bed helpers they share with tests/integration/slurm_node are in tests/integration/slurm_testbed.py."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from inventory_helpers import moto_ec2, slurm_cluster, slurm_cluster_2411  # noqa: E402,F401  pylint: disable=unused-import,wrong-import-position
