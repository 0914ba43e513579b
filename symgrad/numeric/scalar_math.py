"""Elementary functions written as plain arithmetic for the fused numba loop.

numba compiles `math.tanh`, `math.exp` and `math.log` to calls into the C library, one point
at a time: a call stops LLVM from vectorizing the loop, and a network of 16 tanh units spent
nine tenths of its time in those calls (480 ns per point against JAX's 330). The functions here
have no calls and no branches (their conditional expressions become selects, bit patterns are
read with numpy scalar views), so the loop around them vectorizes; `fastmath` stays off, so
every operation rounds as written. LLVM inlines them into the loop (numba's own
inlining, `inline='always'`, made the tanh network's compile 1.7 times as long for the same code).

- exp(x) = 2^k (1 + expm1(r)), x = k ln 2 + r, |r| <= ln 2 / 2 (ln 2 in two parts, Cody and
  Waite, so r is exact to the last bit); expm1(r) by its Taylor series to r^13 / 13! (the
  remainder is below 2^-56 of it); 2^k built in the exponent bits, as two factors so results
  between the largest number and the smallest subnormal are rounded once.
- tanh(x) = -m / (2 + m), m = expm1(-2|x|) = 2^k (1 + expm1(r)) - 1, with the sign of x
  (exact in real numbers for every x); |x| >= 20 gives +-1 (tanh(20) is 1 in double).
- log(x) = e ln 2 + log(1 + f), 1 + f in [sqrt(1/2), sqrt(2)] read from the bits of x
  (subnormal x scaled by 2^54 first); log(1 + f) = f - f^2/2 + s (f^2/2 + R), s = f / (2 + f),
  R the series of 2 atanh(s) - 2 s over s, to s^22.

- sin and cos: x = k pi/2 + r, |r| <= pi/4 (about), k = round(x 2/pi); pi/2 in three parts
  (Cody and Waite), r kept as a sum of two doubles; then fdlibm's kernel polynomials for
  sin(r) and cos(r), chosen and signed by k mod 4. Both helpers write the same reduction, so
  where a point needs sin and cos of one value (a derivative), LLVM computes it once. Past
  |x| = WIDE_ARGUMENT the reduction would need more bits of pi: the loop only counts such
  points and `numba_source` recomputes them in a second loop with the C library.

nan stays nan, and infinities, zeros (with their sign) and negative arguments of log give
what numpy gives. Measured against long double at 10^6 points each: exp at most 0.96 ulp
(normal results; subnormal ones within one unit of the last place), log 0.82 ulp, tanh 2.5
ulp (the C library: 0.51, 0.52, 1.2); sin and cos at 4 x 10^5 points on each of |x| <= pi/4,
10, 10^3, 10^6 and every scale from 10^-300: 0.76 and 0.78 ulp (the C library: 0.52, 0.52).

The text uses only names the generated code uses (`s0` the argument, `t0`... temporaries).
"""

from __future__ import annotations

import math
import re
from collections import Counter

_LN2_HI = 0.6931471803691238     # ln 2 to 32 bits: k * _LN2_HI is exact for |k| < 2^20
_LN2_LO = 1.9082149292705877e-10  # ln 2 - _LN2_HI
_ROUND = 6755399441055744.0      # 1.5 * 2^52: adding and subtracting it rounds to an integer


def _estrin(coefficients: list[float], variable: str) -> tuple[list[str], str]:
    """Lines computing `variable`^2, ^4, ^8 (as t10, t11, t12) and the polynomial with these
    coefficients (lowest first) in `variable`, in Estrin's form: pairs, then pairs of pairs, so
    its chain of dependent operations is 4 long rather than Horner's 11 (a vectorized loop is
    bound by that chain's latency)."""
    lines = [f"    t10 = {variable} * {variable}", "    t11 = t10 * t10", "    t12 = t11 * t11"]
    terms = [repr(coefficient) for coefficient in coefficients]
    for power in (variable, "t10", "t11", "t12"):
        terms = [f"({terms[k]} + {power} * {terms[k + 1]})" if k + 1 < len(terms) else terms[k]
                 for k in range(0, len(terms), 2)]
    assert len(terms) == 1
    return lines, terms[0]


def _expm1_series() -> tuple[list[str], str]:
    """1/2! + r/3! + ... + r^11/13! (expm1(r) = r + r^2 times it), r in `t2`."""
    return _estrin([1.0 / math.factorial(power) for power in range(2, 14)], "t2")


def _tanh_text() -> str:
    lines = [_DECORATOR, "def tanh(s0):",
             "    t0 = abs(s0)",
             "    t0 = -2.0 * (20.0 if t0 > 20.0 else t0)",
             *_reduced("t0"), _power_of_two("t1", "t4")]
    lines += ["    t4 = t4 * t3 + (t4 - 1.0)",
              "    return math.copysign(-t4 / (2.0 + t4), s0)"]
    return "\n".join(lines) + "\n"


def _reduced(argument: str) -> list[str]:
    """t1 = k (an integer, as a float), t2 = r and t3 = expm1(r), for `argument` = k ln 2 + r."""
    return [f"    t1 = ({argument} * {1.0 / math.log(2.0)!r} + {_ROUND!r}) - {_ROUND!r}",
            f"    t2 = ({argument} - t1 * {_LN2_HI!r}) - t1 * {_LN2_LO!r}",
            *_expm1_series()[0], f"    t3 = t2 + t2 * t2 * {_expm1_series()[1]}"]


def _power_of_two(integer: str, target: str) -> str:
    """`target` = 2^n for an integer n in [-1022, 1023] held as a float in `integer`: n + 1023
    placed in the exponent bits (adding _ROUND puts n in the low bits of the float's integer)."""
    return (f"    {target} = np.int64((np.float64({integer} + {_ROUND!r}).view(np.int64) + 1023)"
            " << 52).view(np.float64)")


def _exp_text() -> str:
    """exp(x) = 2^k (1 + expm1(r)); 2^k as two factors, so that results between the largest
    and the smallest subnormal number are rounded once, past them inf and 0."""
    return "\n".join([
        _DECORATOR, "def exp(s0):",
        "    t0 = 710.0 if s0 > 710.0 else s0",
        "    t0 = -746.0 if t0 < -746.0 else t0",
        *_reduced("t0"),
        f"    t4 = (t1 * 0.5 + {_ROUND!r}) - {_ROUND!r}",
        _power_of_two("t4", "t5"), _power_of_two("t1 - t4", "t6"),
        "    return (1.0 + t3) * t5 * t6"]) + "\n"


def _log_series() -> str:
    """2/3 + 2/5 z + ... + 2/23 z^10, in Horner form on `t7` (z = s^2, s <= 0.1716). (In
    Estrin's form LLVM stopped vectorizing the loop around log: 3 to 5 times slower.)"""
    text = repr(2.0 / 23.0)
    for odd in range(21, 2, -2):
        text = f"({2.0 / odd!r} + t7 * {text})"
    return text


def _log_text() -> str:
    """log(x) = e ln 2 + log(1 + f), x = 2^e (1 + f) with 1 + f in [sqrt(1/2), sqrt(2)]; with
    s = f / (2 + f), log(1 + f) = f - f^2/2 + s (f^2/2 + R), R = 2 s^2/3 + 2 s^4/5 + ...
    (the series of 2 atanh(s) - 2 s, over s; its terms past s^22 are below 2^-56)."""
    tiny = 2.2250738585072014e-308  # the smallest normal number: below it, scale by 2^54
    return "\n".join([
        _DECORATOR, "def log(s0):",
        f"    t0 = s0 * 18014398509481984.0 if s0 < {tiny!r} else s0",
        "    t1 = np.float64(t0).view(np.int64)",
        "    t2 = np.int64((t1 & 4503599627370495) | 4607182418800017408).view(np.float64)",
        "    t3 = (np.int64((t1 >> 52) | 4841369599423283200).view(np.float64) - 4503599627370496.0"
        f" - (1077.0 if s0 < {tiny!r} else 1023.0))",
        "    t3 = t3 + 1.0 if t2 > 1.4142135623730951 else t3",
        "    t2 = t2 * 0.5 if t2 > 1.4142135623730951 else t2",
        "    t4 = t2 - 1.0",
        "    t5 = 0.5 * t4 * t4",
        "    t6 = t4 / (2.0 + t4)",
        "    t7 = t6 * t6",
        f"    t8 = t3 * {_LN2_HI!r} - ((t5 - (t6 * (t5 + t7 * {_log_series()})"
        f" + t3 * {_LN2_LO!r}))"
        " - t4)",
        "    t8 = (-math.inf if s0 == 0.0 else math.nan) if s0 <= 0.0 else t8",
        "    return s0 if s0 > 1.7976931348623157e308 or s0 != s0 else t8"]) + "\n"


# pi/2 in three parts (fdlibm's pio2_1, pio2_2, pio2_2t): the first two end in 22 and 21 zero
# bits, so k times them is exact for |k| < 2^21; the three agree with pi/2 to 1e-37.
_PIO2_1 = 1.57079632673412561417e+00
_PIO2_2 = 6.07710050630396597660e-11
_PIO2_3 = 2.02226624879595063154e-21
# fdlibm's kernel coefficients on [-pi/4, pi/4]: sin(r) = r + r^3 (S1 + z S2 + ...), z = r^2,
# relative error below 2^-58; cos(r) = 1 - z/2 + z^2 (C1 + z C2 + ...), below 2^-58.
_SIN = [-1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04,
        2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10]
_COS = [4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05,
        -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11]
# Above this |x| the loop leaves sin and cos to a second pass with the C library (math.sin):
# k = round(x 2/pi) stays below 2^20, where the reduction is exact to 119 bits.
WIDE_ARGUMENT = 1e6


def _horner(coefficients: list[float], variable: str) -> str:
    text = repr(coefficients[-1])
    for coefficient in reversed(coefficients[:-1]):
        text = f"({coefficient!r} + {variable} * {text})"
    return text


def _quarter_turns() -> list[str]:
    """s0 = k pi/2 + r: t0 holds k + _ROUND (its low bits are k's, two's complement), r =
    t2 + t9 in two parts (Cody and Waite: s0 - k P1 and k P2 are exact, their difference's
    rounding error is recovered by Knuth's two-sum and k P3 taken off it), then t5 = sin(r)
    and t6 = cos(r) by fdlibm's kernels (the tail t9 entering to first order; cos with
    1 - z/2 split so that it rounds once), so both stay within one unit in the last place."""
    return [
        f"    t0 = s0 * {2.0 / math.pi!r} + {_ROUND!r}",
        f"    t1 = t0 - {_ROUND!r}",
        f"    t2 = s0 - t1 * {_PIO2_1!r}",
        f"    t3 = t1 * {_PIO2_2!r}",
        "    t4 = t2 - t3",
        "    t5 = t4 - t2",
        f"    t9 = ((t2 - (t4 - t5)) - (t3 + t5)) - t1 * {_PIO2_3!r}",
        "    t2 = t4 + t9",
        "    t9 = t9 - (t2 - t4)",
        "    t3 = t2 * t2",
        "    t4 = t3 * t2",
        f"    t5 = t2 - ((t3 * (0.5 * t9 - t4 * {_horner(_SIN[1:], 't3')}) - t9)"
        f" - t4 * {_SIN[0]!r})",
        "    t8 = 1.0 - 0.5 * t3",
        f"    t6 = t8 + (((1.0 - t8) - 0.5 * t3) + (t3 * t3 * {_horner(_COS, 't3')} - t2 * t9))",
        "    t7 = np.float64(t0).view(np.int64)"]


def _sin_text() -> str:
    """sin(k pi/2 + r) = sin r, cos r, -sin r, -cos r for k = 0, 1, 2, 3 mod 4; -0.0 kept."""
    return "\n".join([
        _DECORATOR, "def sin(s0):", *_quarter_turns(),
        "    t8 = t6 if t7 & 1 else t5",
        "    t8 = -t8 if t7 & 2 else t8",
        "    return s0 if s0 == 0.0 else t8"]) + "\n"


def _cos_text() -> str:
    """cos(k pi/2 + r) = cos r, -sin r, -cos r, sin r for k = 0, 1, 2, 3 mod 4."""
    return "\n".join([
        _DECORATOR, "def cos(s0):", *_quarter_turns(),
        "    t8 = t5 if t7 & 1 else t6",
        "    return -t8 if (t7 + 1) & 2 else t8"]) + "\n"


_DECORATOR = "@numba.njit(fastmath=False, cache=True, error_model='numpy')"

# name used in the numba dialect's templates -> the module-level definition of that function
NUMBA_HELPERS: dict[str, str] = {"tanh": _tanh_text(), "exp": _exp_text(), "log": _log_text(),
                                 "sin": _sin_text(), "cos": _cos_text()}


_CALL = re.compile(r"(?<![\w.])(sin|cos)\(((?:[^()]|\([^()]*\))*)\)")


def wide_tests(statements: list[tuple[str, str]]) -> list[str]:
    """`abs(a) > WIDE_ARGUMENT` for each distinct argument a of sin or cos in the generated
    code's `(target, expression)` statements: where one holds, the loop's value is recomputed.
    A target assigned once, from sin or cos, is at most 1 and needs no test (in a chain, only
    the first argument is tested)."""
    assigned = Counter(target for target, _ in statements)
    bounded = {target for target, expression in statements
               if assigned[target] == 1 and _CALL.fullmatch(expression)}
    arguments = dict.fromkeys(match.group(2) for _, expression in statements
                              for match in _CALL.finditer(expression))
    return [f"abs({argument}) > {WIDE_ARGUMENT!r}" for argument in arguments
            if argument not in bounded]


def with_library_calls(expression: str) -> str:
    """`expression` with sin and cos from the C library (math.sin), right for every argument."""
    return _CALL.sub(lambda match: f"math.{match.group(1)}({match.group(2)})", expression)
