"""Test stand-in for torch: only what the cosyfleet worker uses of torch.cuda (see ../README.md)."""
from . import cuda  # noqa: F401

__version__ = '0.0-standin'
