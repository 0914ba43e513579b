"""How sums, products and powers are computed: the one definition `eval` and kernels share.

Each of these nodes is a short chain of numpy ufunc steps. `evaluate` runs the steps on
arrays; `emit_numpy` writes the same steps as kernel source, so a kernel and `Expr.eval`
give bit-identical numbers (IEEE rounding depends on the order and kind of each operation,
and a comparison such as `max(x, 3/u)` at a tie turns one rounding into a different branch).

- A sum adds its terms left to right, then subtracts `y` for each term `-1*y`.
- A product multiplies its factors left to right (scalar constants as literals), then divides
  by `y` for each factor `y**-1`: `3/u` is one division, not `3*(1/u)`.
- `x**0.5` is `sqrt(x)` and `x**-0.5` is `1/sqrt(x + 0.0)` (nan for x < 0, -inf included;
  +inf at both zeros, as IEEE pow: adding +0.0 turns -0.0 into +0.0); whole powers up to 64 are repeated squaring (exact sign at negative x), negative
  ones its reciprocal; any other power is `np.power`.
"""

from __future__ import annotations

from typing import Union

from ..core.expr import Expr, constant_value, make_node
from ..core.shapes import broadcast
from ..core.traverse import topological

# An operand of one step: a node's value, a float literal, or PREV (the step before's result).
PREV = None
Operand = Union[Expr, float, None]
Step = tuple[str, tuple[Operand, ...]]

STEPPED = frozenset({"add", "mul", "pow"})


def scalar_constant(node: Expr) -> float | None:
    """The value of a scalar constant node (None for anything else)."""
    if node.op == "const" and node.shape == ():
        return float(constant_value(node))
    return None


def is_reciprocal(node: Expr) -> bool:
    """`y**-1`: a product divides by `y` instead of multiplying by it."""
    return node.op == "pow" and node.params[0][1] == -1.0


def is_negation(node: Expr) -> bool:
    """`-1*y` (y not a reciprocal: `-1/y` is a division): a sum subtracts `y`."""
    return (node.op == "mul" and len(node.args) == 2 and scalar_constant(node.args[0]) == -1.0
            and not is_reciprocal(node.args[1]))


def _literal_or_node(node: Expr) -> Operand:
    value = scalar_constant(node)
    return node if value is None else value


def add_steps(node: Expr) -> list[Step]:
    """A sum: its terms added left to right, then each negated term's `y` subtracted."""
    plus = [_literal_or_node(arg) for arg in node.args if not is_negation(arg)]
    minus = [arg.args[1] for arg in node.args if is_negation(arg)]
    if not plus:
        steps: list[Step] = [("negative", (minus.pop(0),))]
    elif len(plus) == 1:
        steps = [("subtract", (plus[0], minus.pop(0)))]
    else:
        steps = [("add", (plus[0], plus[1]))]
        steps += [("add", (PREV, term)) for term in plus[2:]]
    return steps + [("subtract", (PREV, term)) for term in minus]


def mul_steps(node: Expr) -> list[Step]:
    """A product: its factors multiplied left to right, then divided by each reciprocal's base."""
    if is_negation(node):
        return [("negative", (node.args[1],))]
    over = [_literal_or_node(arg) for arg in node.args if not is_reciprocal(arg)]
    under = [arg.args[0] for arg in node.args if is_reciprocal(arg)]
    if len(over) >= 2:
        steps: list[Step] = [("multiply", (over[0], over[1]))]
        steps += [("multiply", (PREV, factor)) for factor in over[2:]]
    else:
        steps = [("divide", (over[0] if over else 1.0, under.pop(0)))]
    return steps + [("divide", (PREV, factor)) for factor in under]


def pow_steps(node: Expr) -> list[Step]:
    """`x**n` for a constant n: sqrt, repeated squaring, a reciprocal, or np.power."""
    base, exponent = node.args[0], float(node.params[0][1])
    if exponent == -0.5:
        return [("add", (base, 0.0)), ("sqrt", (PREV,)), ("divide", (1.0, PREV))]
    if exponent == 0.5:
        steps: list[Step] = [("sqrt", (base,))]
    elif exponent.is_integer() and 2 <= abs(exponent) <= 64:
        steps = _square_and_multiply(base, int(abs(exponent)))
    elif exponent == -1.0:
        return [("divide", (1.0, base))]
    else:
        return [("power", (base, exponent))]
    return steps + [("divide", (1.0, PREV))] if exponent < 0 else steps


def _square_and_multiply(base: Expr, power: int) -> list[Step]:
    steps: list[Step] = []
    for bit in bin(power)[3:]:
        steps.append(("square", (PREV if steps else base,)))
        if bit == "1":
            steps.append(("multiply", (PREV, base)))
    return steps


def steps_of(node: Expr) -> list[Step]:
    """The ufunc steps computing a sum, product or power node."""
    return {"add": add_steps, "mul": mul_steps, "pow": pow_steps}[node.op](node)


def operands(node: Expr) -> list[Expr]:
    """The nodes whose values computing `node` reads, each once, in order."""
    if node.op not in STEPPED:
        return list(dict.fromkeys(node.args))
    found = [operand for _, items in steps_of(node) for operand in items
             if isinstance(operand, Expr)]
    return list(dict.fromkeys(found))


# -- products sharing factors ---------------------------------------------------------------------
def share_products(roots: list[Expr], order: list[Expr] | None = None,
                   ) -> tuple[list[Expr], dict[Expr, Expr]]:
    """`roots` rebuilt so that factors several products have in common are multiplied once,
    and each node's rebuilt node. Both `eval` and kernels compute the rebuilt roots.

    The table's mul builder flattens products (x*(a*b*c) is one node of four factors), which
    hides a sub-product that several of them share, as the partials of a gradient often do
    (x_i * s*(1-s)*g for each weight). Each product is regrouped as its own factors times a
    chain of the shared ones, most shared first, so products with the same shared factors
    reuse one chain. A product never costs more multiplications than before. `order` is the
    roots' topological order when the caller has it already.
    """
    order = topological(roots) if order is None else order
    counts: dict[Expr, int] = {}
    for node in order:
        if node.op == "mul" and len(node.args) >= 3:
            for arg in dict.fromkeys(node.args):
                counts[arg] = counts.get(arg, 0) + (arg.op != "const")
    if not any(count >= 2 for count in counts.values()):
        return roots, {}
    new: dict[Expr, Expr] = {}
    for node in order:
        args = tuple(new[arg] for arg in node.args)
        if node.op == "mul" and len(args) >= 3:
            new[node] = _regrouped(node, args, counts)
        elif any(arg is not old for arg, old in zip(args, node.args)):
            new[node] = make_node(node.op, args, node.shape, node.params)
        else:
            new[node] = node
    return [new[root] for root in roots], new


def _regrouped(node: Expr, args: tuple[Expr, ...], counts: dict[Expr, int]) -> Expr:
    ranked = sorted(range(len(args)), key=lambda i: (-counts[node.args[i]], node.args[i].sort_key))
    shared = [args[i] for i in ranked if counts[node.args[i]] >= 2]
    own = tuple(arg for old, arg in zip(node.args, args) if counts[old] < 2)
    if len(shared) < 2 or not own:
        return node if args == node.args else make_node("mul", args, node.shape)
    chain = shared[0]
    for factor in shared[1:]:
        chain = make_node("mul", (chain, factor), broadcast(chain.shape, factor.shape))
    return make_node("mul", own + (chain,), node.shape)
