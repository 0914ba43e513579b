"""numeric/lowering.py: the logarithms of sigmoids that eval, sg.reverse and kernels compute
from sigmoid's own parts, checked against high-precision values (mpmath, through SymPy)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import symgrad as sg
from symgrad.numeric.evaluate import forward_values
from symgrad.numeric.lowering import numeric_form
from optional import need

RNG = np.random.default_rng(11)
LOSS = "-(y*log(sigmoid(z)) + (1 - y)*log(1 - sigmoid(z)))"


def _exact(z: float, of_sigmoid: bool) -> float:
    """log(sigmoid(z)) or log(1 - sigmoid(z)) to 50 digits, rounded once."""
    with mpmath.workdps(50):
        zz = mpmath.mpf(z)
        value = -mpmath.log1p(mpmath.exp(-zz)) if of_sigmoid else -mpmath.log1p(mpmath.exp(zz))
        return float(value)


def _ulps_of(scale: np.ndarray, got: np.ndarray, want: np.ndarray) -> np.ndarray:
    return np.abs(got - want) / np.spacing(np.maximum(np.abs(scale), 1.0))


@pytest.mark.parametrize("text, of_sigmoid", [("log(sigmoid(z))", True), ("log(1 - sigmoid(z))", False)])
def test_log_of_sigmoid_is_accurate_to_an_ulp_or_two_of_z(text: str, of_sigmoid: bool) -> None:
    # Absolute error within ulps of max(|z|, 1), as PyTorch's stable BCE-with-logits: neither
    # form is relatively accurate where the result is tiny (log(1 + tiny) in the direct one,
    # z + log(d) cancelling in softplus(z) = z + log(1 + exp(-z)) at negative z).
    z = RNG.uniform(-30, 30, 400)
    want = np.array([_exact(v, of_sigmoid) for v in z])
    got = sg.parse(text).eval(z=z)
    s = 1.0 / (1.0 + np.exp(-z))
    direct = np.log(s) if of_sigmoid else np.log(1.0 - s)
    assert _ulps_of(z, got, want).max() <= 2
    if not of_sigmoid:  # 1 - s cancels at positive z: the direct form loses digits there
        assert _ulps_of(z, direct, want).max() > 1000


def test_log_of_one_minus_sigmoid_is_finite_where_the_direct_form_is_minus_infinity() -> None:
    z = np.array([37.0, 40.0, 100.0, 700.0, 709.0, 710.0, 1e300])
    with np.errstate(divide="ignore"):
        direct = np.log(1.0 - 1.0 / (1.0 + np.exp(-z)))
    assert np.isinf(direct).all()
    np.testing.assert_allclose(sg.parse("log(1 - sigmoid(z))").eval(z=z), -z, rtol=1e-15)


@pytest.mark.parametrize("text", ["log(sigmoid(z))", "log(1 - sigmoid(z))"])
def test_log_of_sigmoid_matches_the_direct_form_at_extremes(text: str) -> None:
    z = np.array([-np.inf, -1e308, -800.0, -710.0, -709.0, -50.0, 0.0, np.inf, np.nan])
    with np.errstate(all="ignore"):
        s = 1.0 / (1.0 + np.exp(-z))
        direct = np.log(s) if text.startswith("log(sigmoid") else np.log(1.0 - s)
    got = sg.parse(text).eval(z=z)
    # equal, or the direct form's 0 where the result underflows (|value| < 1e-300)
    assert np.array_equal(np.isnan(got), np.isnan(direct))
    both = ~np.isnan(direct)
    np.testing.assert_allclose(got[both], direct[both], rtol=1e-15, atol=1e-300)


def test_float32_kernel_keeps_log_of_one_minus_sigmoid_finite_at_minus_infinity() -> None:
    # The bound under z must stay finite in float32: float64's largest rounds to -inf there,
    # and -inf + inf made the kernel nan at z = -inf where eval (and the exact value) is -0.
    z = np.array([-np.inf, -1e30, -100.0, 0.5, 40.0, np.inf], dtype=np.float32)
    e = sg.parse("log(1 - sigmoid(z))")
    got = sg.compile(e)(z=z)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, e.eval(z=z))
    np.testing.assert_array_equal(got[:3], [0.0, 0.0, 0.0])
    loss = sg.parse(LOSS)
    y = np.array([1, 1, 0, 1, 0, 1], dtype=np.float32)
    np.testing.assert_array_equal(sg.compile(loss)(z=z, y=y), loss.eval(z=z, y=y))


def test_logistic_loss_kernel_equals_eval_bit_for_bit_and_takes_one_logarithm() -> None:
    loss = sg.parse(LOSS)
    z, y = RNG.uniform(-60, 60, 1000), (RNG.uniform(size=1000) < 0.5).astype(float)
    kernel = sg.compile(loss, grad=True)
    value, gradient = kernel(z=z, y=y)
    np.testing.assert_array_equal(value, loss.eval(z=z, y=y))
    assert kernel.source.count("np.log(") == 1
    exact = np.array([-(yi * _exact(zi, True) + (1 - yi) * _exact(zi, False)) for zi, yi in zip(z, y)])
    assert _ulps_of(z, value, exact).max() <= 4
    np.testing.assert_allclose(gradient["z"], 1.0 / (1.0 + np.exp(-z)) - y, rtol=1e-12, atol=1e-15)


def test_sigmoid_keeps_its_bits_beside_its_logarithm() -> None:
    z = RNG.uniform(-40, 40, 500)
    roots, _ = numeric_form([sg.parse("sigmoid(z)"), sg.parse("log(sigmoid(z))")])
    assert roots[0].op == "pow"  # sigmoid(z) is computed as 1/d, d shared with the logarithm
    values, _ = forward_values([sg.parse("sigmoid(z)"), sg.parse("log(sigmoid(z))")], {"z": z})
    np.testing.assert_array_equal(values[sg.parse("sigmoid(z)")], 1.0 / (1.0 + np.exp(-z)))
    # In a product, 1/d is a division (semantics.py), so kernel and eval agree there too.
    product = sg.parse("x*sigmoid(z)*log(sigmoid(z))")
    x = RNG.uniform(-2, 2, 500)
    np.testing.assert_array_equal(sg.compile(product)(x=x, z=z), product.eval(x=x, z=z))


def test_reverse_mode_reads_every_original_node_after_the_rewrite() -> None:
    # log's rule reads its argument's value, 1 - sigmoid(z), which the rewritten DAG skips.
    z = RNG.uniform(-20, 20, 50)
    value, gradient = sg.reverse(sg.parse("log(1 - sigmoid(z))"), {"z": z})
    np.testing.assert_array_equal(value, sg.parse("log(1 - sigmoid(z))").eval(z=z))
    np.testing.assert_allclose(gradient["z"], -1.0 / (1.0 + np.exp(-z)), rtol=1e-12)


def test_errors_raise_still_names_the_operation() -> None:
    with pytest.raises(sg.DomainError):
        sg.parse("log(sigmoid(z) - 1)").eval(z=np.array([1.0]), errors="raise")


def test_numba_kernel_uses_the_same_rewrite() -> None:
    need("numba")
    loss = sg.parse(LOSS)
    z, y = np.array([-800.0, -5.0, 0.0, 5.0, 50.0, 800.0]), np.array([1.0, 0.0, 1.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(sg.compile(loss, backend="numba")(z=z, y=y), loss.eval(z=z, y=y),
                               rtol=1e-14)
    assert np.isfinite(loss.eval(z=z, y=y)[[1, 2, 3, 4, 5]]).all()


def test_signs_of_the_rewritten_logarithms_multiply_out_to_the_same_bits() -> None:
    # -(y*log(s) + (1-y)*log(1-s)): each product's -1 and the rewritten log's negation cancel,
    # leaving y*log(d) + (1-y)*softplus(z), with no negation pass and the same numbers.
    loss = sg.parse(LOSS)
    source = sg.compile(loss).source
    assert "np.negative(" not in source.split("np.exp(")[1] and "-1.0" not in source
    z, y = RNG.uniform(-60, 60, 2000), (RNG.uniform(size=2000) < 0.5).astype(float)
    s = 1.0 / (1.0 + np.exp(-z))
    log_d = np.log(1.0 + np.exp(-z))
    softplus = np.minimum(z + log_d, 1.0 / np.exp(-z))
    np.testing.assert_array_equal(loss.eval(z=z, y=y), y * log_d + (1.0 - y) * softplus)
    assert np.isfinite(s).all()
