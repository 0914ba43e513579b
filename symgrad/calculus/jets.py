"""Taylor mode: truncated Taylor polynomials ("jets") pushed through the DAG.

A jet is the sequence of Taylor coefficients y_0, y_1, ..., y_n of a value along one
direction, y(t) = sum y_k t**k. Coefficients are computed lazily and kept: asking for y_k
computes the lower ones first. Drivers (`numeric.taylor`, `calculus.series`) ask for every
node's coefficient k in topological order before moving on to k + 1, so a coefficient never
waits on more than the few auxiliary jets of one rule: the work is iterative in the DAG's
depth, and O(n**2) per node for n + 1 coefficients.

Coefficients are whatever the base backend `F` computes with: float64 arrays with batch axes
(numeric Taylor coefficients) or Exprs (exact series). The algebra only uses `+ - * /` on
them, the int 0 for known zeros, and `F.<op>` for an operation's value at the expansion point.

Each operation gets its propagation rule from the table (`OpSpec.taylor`) or, for an
elementwise operation without one, derives it from its derivative rule: with
h_i = d op / d x_i (the rule with upstream 1, evaluated on jets), y' = sum_i h_i x_i', so
y_k = (1/k) sum_i sum_{j=1..k} j x_i,j h_i,k-j. The rule may use the result y itself (exp' is
exp, tan' is 1 + tan**2): h's coefficient k - 1 needs y's only up to k - 1.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence, cast

from ..core import limits
from ..core.expr import Expr
from ..core.opspec import OPS, Backend, OpSpec
from ..core.traverse import topological

ZERO = 0  # a known-zero coefficient: skipped in products, so it never meets an inf


def is_zero(value: Any) -> bool:
    """Whether `value` is the known-zero marker (not merely a value that happens to be 0)."""
    return type(value) is int and value == 0


class Jet:
    """A lazily computed truncated Taylor series; `jet[k]` is its coefficient of t**k."""

    __slots__ = ("algebra", "_coefficients", "_compute", "constant")

    def __init__(self, algebra: JetAlgebra, compute: Callable[[int], Any],
                 constant: bool = False) -> None:
        self.algebra = algebra
        self._coefficients: list[Any] = []
        self._compute = compute
        self.constant = constant  # every coefficient past the first is ZERO

    def __getitem__(self, k: int) -> Any:
        coefficients = self._coefficients
        while len(coefficients) <= k:
            coefficients.append(self._compute(len(coefficients)))
        return coefficients[k]

    # Operators let derivative rules, written for Exprs and arrays, run on jets.
    def __add__(self, other: Any) -> Jet:
        return self.algebra.add(self, other)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Jet:
        return self.algebra.add(self, self.algebra.scale(other, -1))

    def __rsub__(self, other: Any) -> Jet:
        return self.algebra.add(other, self.algebra.scale(self, -1))

    def __neg__(self) -> Jet:
        return self.algebra.scale(self, -1)

    def __pos__(self) -> Jet:
        return self

    def __mul__(self, other: Any) -> Jet:
        return self.algebra.multiply(self, other)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Jet:
        return self.algebra.divide(self, other)

    def __rtruediv__(self, other: Any) -> Jet:
        return self.algebra.divide(other, self)

    def __pow__(self, exponent: Any) -> Jet:
        if isinstance(exponent, Jet):
            return self.algebra.apply("power", (self, exponent), {})
        return self.algebra.apply("pow", (self,), {"exponent": exponent})

    def __rpow__(self, base: Any) -> Jet:
        return self.algebra.apply("power", (self.algebra.lift(base), self), {})


class JetAlgebra:
    """Jets over base backend `F`, with each operation's propagation rule.

    `align(value, rank)` brings a coefficient to a node's core rank before elementwise
    arithmetic (numeric coefficients carry batch axes in front of their core axes).
    """

    def __init__(self, F: Backend, align: Callable[[Any, int], Any] | None = None) -> None:
        self.F = F
        self._align = align
        self._applied: dict[tuple[Any, ...], Jet] = {}
        self.backend: Backend = cast(Backend, JetBackend(self))

    # -- building jets ------------------------------------------------------------------------
    def constant(self, value: Any) -> Jet:
        """The jet of a value that does not move: (value, 0, 0, ...)."""
        return Jet(self, lambda k: value if k == 0 else ZERO, constant=True)

    def variable(self, value: Any) -> Jet:
        """The jet of the expansion variable at `value`: (value, 1, 0, 0, ...)."""
        return Jet(self, lambda k: value if k == 0 else 1 if k == 1 else ZERO)

    def series(self, compute: Callable[[int], Any]) -> Jet:
        """A jet whose coefficient k is `compute(k)` (which may read lower coefficients)."""
        return Jet(self, compute)

    def lift(self, value: Any) -> Jet:
        """`value` as a jet (jets pass through, anything else is a constant)."""
        return value if isinstance(value, Jet) else self.constant(value)

    def aligned(self, jet: Jet, rank: int) -> Jet:
        """`jet` with every coefficient brought to core `rank` (see the class docstring)."""
        align = self._align
        if align is None:
            return jet
        if jet.constant:
            return self.constant(align(jet[0], rank))
        return Jet(self, lambda k: coefficient if is_zero(coefficient := jet[k])
                   else align(coefficient, rank))

    # -- arithmetic ---------------------------------------------------------------------------
    def add(self, *terms: Any) -> Jet:
        """The sum of jets (and numbers)."""
        jets = [self.lift(term) for term in terms]

        def compute(k: int) -> Any:
            total: Any = ZERO
            for jet in jets:
                coefficient = jet[k]
                if not is_zero(coefficient):
                    total = coefficient if is_zero(total) else total + coefficient
            return total
        return Jet(self, compute, constant=all(jet.constant for jet in jets))

    def scale(self, value: Any, factor: Any) -> Jet:
        """`value` times a number that does not move."""
        jet = self.lift(value)
        return Jet(self, lambda k: ZERO if is_zero(c := jet[k]) else c * factor,
                   constant=jet.constant)

    def multiply(self, *factors: Any) -> Jet:
        """The product of jets (and numbers): Cauchy products, O(n**2) each."""
        product = self.lift(factors[0])
        for factor in factors[1:]:
            product = self._product(product, self.lift(factor))
        return product

    def _product(self, a: Jet, b: Jet) -> Jet:
        if a.constant and b.constant:
            return self.constant(a[0] * b[0])
        if a.constant or b.constant:
            moving, still = (b, a) if a.constant else (a, b)
            return Jet(self, lambda k: ZERO if is_zero(c := moving[k]) else still[0] * c)
        return Jet(self, lambda k: convolution(a, b, k))

    def divide(self, numerator: Any, denominator: Any) -> Jet:
        """numerator / denominator: q_k = (a_k - sum_{j=1..k} b_j q_{k-j}) / b_0."""
        a, b = self.lift(numerator), self.lift(denominator)
        if b.constant:
            return Jet(self, lambda k: ZERO if is_zero(c := a[k]) else c / b[0],
                       constant=a.constant)

        def compute(k: int) -> Any:
            remainder = a[k]
            for j in range(1, k + 1):
                term = times(b[j], quotient[k - j])
                if not is_zero(term):
                    remainder = -term if is_zero(remainder) else remainder - term
            return ZERO if is_zero(remainder) else remainder / b[0]
        quotient = Jet(self, compute)
        return quotient

    def zero_like(self, jet: Jet) -> Any:
        """An explicit zero coefficient of `jet`'s shape (for ops that need an array)."""
        return self.F.broadcast_to(0, self.F.shape(jet[0]), exact=True)

    def coefficientwise(self, name: str, *jets: Jet, **params: Any) -> Jet:
        """A linear operation, applied to each coefficient (sum, index, transpose, ...)."""
        operation = getattr(self.F, name)

        def compute(k: int) -> Any:
            coefficients = [jet[k] for jet in jets]
            if all(is_zero(c) for c in coefficients):
                return ZERO
            return operation(*(self.zero_like(jet) if is_zero(c) else c
                               for jet, c in zip(jets, coefficients)), **params)
        return Jet(self, compute)

    def bilinear(self, name: str, a: Jet, b: Jet, **params: Any) -> Jet:
        """An operation linear in each argument (matmul, outer): a Cauchy product through it."""
        operation = getattr(self.F, name)

        def compute(k: int) -> Any:
            total: Any = ZERO
            for j in range(k + 1):
                left, right = a[j], b[k - j]
                if not (is_zero(left) or is_zero(right)):
                    term = operation(left, right, **params)
                    total = term if is_zero(total) else total + term
            return total
        return Jet(self, compute)

    # -- operations ---------------------------------------------------------------------------
    def apply(self, name: str, args: Sequence[Any], params: dict[str, Any],
              rank: int | None = None) -> Jet:
        """The jet of operation `name` on jets `args` (one jet per distinct application)."""
        jets = tuple(self.lift(arg) for arg in args)
        key: tuple[Any, ...] = (name, jets, tuple(sorted(params.items(), key=lambda item: item[0])))
        try:
            found = self._applied.get(key)
        except TypeError:  # unhashable parameters: do not share
            found, key = None, ()
        if found is not None:
            return found
        spec = OPS[name]
        if spec.elementwise and rank is not None:
            jets = tuple(self.aligned(jet, rank) for jet in jets)
        if all(jet.constant for jet in jets):
            result = self.constant(getattr(self.F, name)(*(jet[0] for jet in jets), **params))
        elif spec.taylor is not None:
            result = spec.taylor(self, *jets, **params)
        else:
            result = self._from_derivative(spec, jets, params)
        if key:
            self._applied[key] = result
        return result

    def _from_derivative(self, spec: OpSpec, args: tuple[Jet, ...], params: dict[str, Any]) -> Jet:
        if spec.grad is None or not spec.elementwise:
            raise NotImplementedError(f"no Taylor rule for {spec.name!r}")
        grad = spec.grad
        value = getattr(self.F, spec.name)(*(arg[0] for arg in args), **params)
        partials: list[Any] = []

        def compute(k: int) -> Any:
            if k == 0:
                return value
            if not partials:
                local = grad(self.backend, self.constant(1), result, *args, **params)
                partials.extend(None if part is None else self.lift(part) for part in local)
            total: Any = ZERO
            for arg, partial in zip(args, partials):
                if partial is None or arg.constant:
                    continue
                for j in range(1, k + 1):
                    term = times(arg[j], partial[k - j])
                    if not is_zero(term):
                        term = term * j if j != 1 else term
                        total = term if is_zero(total) else total + term
            return ZERO if is_zero(total) else total / k
        result = Jet(self, compute)
        return result


def times(a: Any, b: Any) -> Any:
    """a * b, or ZERO when either is the known zero."""
    if is_zero(a) or is_zero(b):
        return ZERO
    return a * b


def convolution(a: Jet, b: Jet, k: int) -> Any:
    """The coefficient k of the product of `a` and `b`: sum_j a_j b_{k-j}."""
    total: Any = ZERO
    for j in range(k + 1):
        term = times(a[j], b[k - j])
        if not is_zero(term):
            total = term if is_zero(total) else total + term
    return total


class JetBackend:
    """The `F` a derivative rule sees when it runs on jets (`F.cos(x)` is cos's jet)."""

    def __init__(self, algebra: JetAlgebra) -> None:
        self._algebra = algebra

    @property
    def symbolic(self) -> bool:
        """Whether the coefficients are expressions (see `SymbolicBackend.symbolic`)."""
        return getattr(self._algebra.F, "symbolic", False) is True

    def shape(self, value: Any) -> Any:
        if isinstance(value, Jet):
            return self._algebra.F.shape(value[0])
        return self._algebra.F.shape(value)

    def __getattr__(self, name: str) -> Callable[..., Jet]:
        if name not in OPS:
            raise AttributeError(name)
        algebra = self._algebra
        return lambda *args, **params: algebra.apply(name, args, params)


def propagate(algebra: JetAlgebra, roots: Sequence[Expr], leaf: Callable[[Expr], Jet],
              order: int, elementwise_rank: bool = False) -> list[list[Any]]:
    """The coefficients 0..`order` of each root, as lists.

    `leaf(node)` gives the jet of a symbol or constant. Coefficient k of every node is computed
    in topological order before any coefficient k + 1, so no computation waits on a chain of
    nodes (see the module docstring). With `elementwise_rank`, the arguments of an elementwise
    node are aligned to its rank first (numeric coefficients).
    """
    nodes = topological(list(roots))
    jets: dict[Expr, Jet] = {}
    for node in nodes:
        if node.op in ("symbol", "const"):
            jets[node] = leaf(node)
        else:
            rank = len(node.shape) if elementwise_rank else None
            jets[node] = algebra.apply(node.op, [jets[arg] for arg in node.args], node.kwargs,
                                       rank=rank)
    limits.check("MAX_ORDER", order, "the Taylor order")
    for k in range(order + 1):
        for node in nodes:
            jets[node][k]
    return [[jets[root][k] for k in range(order + 1)] for root in roots]
