r"""The command line's `--latex-input`: EXPR (and verify's CLAIMED) read as LaTeX, for every
command that takes an expression; bad LaTeX exits 2 with the message and caret, no traceback."""

from __future__ import annotations

import pytest

from symgrad.cli import main

HAPPY = [
    (["diff", r"\frac{1}{2}x^{2} + \sin^2 x", "--wrt", "x", "--at", "x=0"],
     ["x + 2*", "at x=0: 0"]),
    (["grad", r"x^{2}y + \sin y", "--at", "x=1,y=2"], ["d/dx = 2*x*y = 4"]),
    (["eval", r"\frac{4}{3}\pi r^{3}", "--at", "r=1"], ["4.18879020479"]),
    (["eval", r"\left|x - 3\right|", "--at", "x=1"], ["2"]),
    (["check", r"\ln x \cdot e^{x}", "--at", "x=2"], ["all methods agree"]),
    (["steps", r"x\sin x", "--wrt", "x"], ["product rule"]),
    (["compile", r"\sqrt{x}\,y"], ["def ", "np.sqrt"]),
    (["graph", r"\sin^{2}x + \sin x"], ["digraph", "sin"]),
    (["verify", r"\tan(5x)", r"f'(x) = 5\sec^{2}(5x)", "--wrt", "x"], ["correct"]),
]


@pytest.mark.parametrize("argv, expected", HAPPY, ids=[" ".join(a[:2]) for a, _ in HAPPY])
def test_latex_input_reads_every_expression_argument(argv: list[str], expected: list[str],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main([argv[0], "--latex-input", *argv[1:]]) == 0
    captured = capsys.readouterr()
    for text in expected:
        assert text in captured.out
    assert captured.err == ""


def test_latex_input_finds_a_wrong_claim(capsys: pytest.CaptureFixture[str]) -> None:
    # The missing chain-rule factor 5; the counterexample is a point in x alone (sec^2 read
    # as a variable would name a value of `sec` too).
    assert main(["verify", "--latex-input", r"\tan(5x)", r"\sec^{2}(5x)", "--wrt", "x"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("wrong") and "at x=" in out and "sec=" not in out


def test_without_the_flag_the_text_is_the_expression_language(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", r"\frac{1}{2}"]) == 2
    assert "unexpected character" in capsys.readouterr().err


@pytest.mark.parametrize("argv, words", [
    (["eval", r"\frac{1}{", "--at", "x=1"], "unbalanced '{'"),
    (["diff", r"\foo x"], "unknown command '\\foo'"),
    (["verify", r"\sin x", r"\cos", "--wrt", "x"], "is a function"),
])
def test_bad_latex_is_a_message_with_a_caret_and_exit_2(argv: list[str], words: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main([argv[0], "--latex-input", *argv[1:]]) == 2
    err = capsys.readouterr().err
    assert words in err and "^" in err and "Traceback" not in err
