"""Registers the service fixtures of inventory_helpers (slurm_cluster, slurm_cluster_2411, moto_ec2) here."""
from inventory_helpers import moto_ec2, slurm_cluster, slurm_cluster_2411  # noqa: F401  pylint: disable=unused-import
