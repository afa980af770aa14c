"""Registers the service fixtures of inventory_helpers (slurm_cluster, moto_ec2) for this directory."""
from inventory_helpers import moto_ec2, slurm_cluster  # noqa: F401  pylint: disable=unused-import
