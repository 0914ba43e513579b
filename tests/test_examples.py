"""Every example script runs and prints the numbers of the seed notebook it reproduces."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# For each script, text its output must contain, as the notebook printed it.
EXPECTED: dict[str, list[str]] = {
    "01_autograd_basics.py": [
        "dy/dx for x = 3 :  tensor(26.)", "dy/du for u = 2 :  tensor(6.)",
        "dz/dx at x = 3 :  tensor(19.)", "dy/dx at x = 7 :  tensor(50.)",
        "tensor(174., grad_fn=<AddBackward0>)", "tensor([ 5., 35., 11.])",
        "tensor([  4., 196.,  16.], grad_fn=<AddBackward0>)", "tensor([  8.,  56., -16.])",
        "grad can be implicitly created only for scalar outputs",
        "df/da at a = 5:  tensor([256.])", "traced path: 256*a  derivative: 256",
    ],
    "02_views_and_strides.py": [
        "d sin(x)/dx at 2: tensor([-0.4161])", "x.stride(): (1,)",
        "strides: (10, 1) (1, 10)",
        "tensor([[ 1., 10.,  1.,  1.,  1.,  1.,  1.,  1.,  1.,  1.],\n"
        "        [ 1., 10.,  1.,  1.,  1.,  1.,  1.,  1.,  1.,  1.],",
        "h=0.00001, numerical limit= 2.00003", "symbolic: 2.0",
        "(tensor(28., grad_fn=<DotBackward0>), tensor([ 0.,  4.,  8., 12.]))",
        "x.grad == 4*x: tensor([True, True, True, True])",
        "tensor([2., 2., 2., 2.]) tensor(12., grad_fn=<MulBackward0>) "
        "tensor(6., grad_fn=<SumBackward0>)",
        "tensor([0., 2., 4., 6.]) tensor([0., 1., 4., 9.], grad_fn=<MulBackward0>)",
        "x.grad == u: tensor([True, True, True, True])",
    ],
    "03_jacobian_vector_products.py": [
        "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)",
        "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)\n<AddBackward0>",
        "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>) "
        "tensor(27., grad_fn=<MeanBackward0>)",
        "False\nTrue\n<SumBackward0>",
        "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])\nNone\nNone",
        "tensor([2.0480e+02, 2.0480e+03, 2.0480e-01])",
        "tensor([[ 18.,  18.],\n        [180., 180.]])",
        "[[18.0, 18.0], [180.0, 180.0]]",
    ],
    "04_higher_order_grad.py": [
        "d x^2/dx at 1: (tensor([2.]),)", "dz/dx: (tensor([2.]),)", "dz/dy: (tensor([4.]),)",
        "dz/d[x, y]: (tensor([2.]), tensor([4.]))",
        "-> (tensor([ 2.,  4.,  6.,  8., 10.]),)", "-> (tensor([0., 0., 0., 0., 0.]),)",
        "-> (tensor([ 4.,  8., 12., 16., 20.]),)", "f_x: tensor([4.]",
        "route 1, dw/dy: tensor([480.])", "route 2, dw/dy: tensor([480.])",
        "d/dy at (1, 2) = 480.0",
    ],
    "05_manual_vs_autograd.py": [
        "by hand: 6\n", "-2.6145744834544478",
        "tensor(3., requires_grad=True) tensor(9., grad_fn=<PowBackward0>)\ndy/dx at 3: tensor(6.)",
        "tensor(0.4121, grad_fn=<SinBackward0>)", "tensor(-0.2879, grad_fn=<SinBackward0>)",
        "dz/dx at 4 by autograd: tensor(-7.6613)", "2*x*cos(x**2) = -7.66127584258",
        "with respect to w: 6.6917", "with respect to b: 0.99877",
        "tensor(6.7000, grad_fn=<AddBackward0>)", "tensor(0.9988, grad_fn=<SigmoidBackward0>)",
        "tensor(6.7012, grad_fn=<SubBackward0>)", "tensor(6.6918)\ntensor(0.9988)",
        "tensor(4.6667, grad_fn=<MeanBackward0>)", "tensor([0.6667, 1.3333, 2.0000])",
        "tensor(2., requires_grad=True)\ntensor(4., grad_fn=<PowBackward0>)\ntensor(4.)\ntensor(0.)",
        "tensor(4.) False",
    ],
}


def test_one_example_per_seed_notebook():
    scripts = sorted(path.name for path in EXAMPLES.glob("0[1-5]_*.py"))
    assert scripts == sorted(EXPECTED)


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_prints_the_notebook_numbers(script: str):
    done = subprocess.run([sys.executable, "-W", "error", str(EXAMPLES / script)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for expected in EXPECTED[script]:
        assert expected in done.stdout, f"{expected!r} missing from the output of {script}"


def test_manual_chain_rule_matches_notebook_to_float32_precision():
    done = subprocess.run([sys.executable, str(EXAMPLES / "05_manual_vs_autograd.py")],
                          capture_output=True, text=True, timeout=120)
    found = re.findall(r"with respect to [wb]: ([0-9.]+)", done.stdout)
    # The notebook's float32 values: 6.691762447357178 and 0.998770534992218.
    assert [round(float(value), 5) for value in found] == [6.69176, 0.99877]
