import numpy as np
import pytest

import fastquant
from fastquant import _backend
import _support
from _support import need_backend


def pytest_report_header(config):
    why = f" (cython unavailable: {_backend.WHY_NOT_COMPILED})" if _backend.WHY_NOT_COMPILED else ""
    return f"fastquant {fastquant.__version__}: backends {_backend.available()}, default {fastquant.backend()}{why}"


@pytest.fixture(params=_backend.BACKENDS)
def backend(request):
    """Run the test once per backend."""
    need_backend(request.param)
    with fastquant.use_backend(request.param):
        yield request.param


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)


def pytest_terminal_summary(terminalreporter):
    if _support.TORCH_CROSS_CHECKS:
        terminalreporter.write_line(
            f"torch path: {_support.TORCH_CROSS_CHECKS} calls cross-checked bit for bit against the "
            "compiled kernels and the NumPy twins (tests/_support.both)")
