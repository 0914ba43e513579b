"""Issue 11's bar as rates on the held-out audit (tests/textbook_audit_rows.py and the
look-alike lists of tests/test_textbook_audit.py): how many book answers `verify` accepts,
how many wrong variants it rejects, how many LaTeX answers `parse_latex` reads to SymPy's
values, and how many look-alikes are read as meant or refused at the right column.

    python benchmarks/audit_textbook.py            # this checkout's symgrad
    PYTHONPATH=/path/to/old benchmarks/...          # another version's, for before/after
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parent.parent / "tests"))

import symgrad as sg  # noqa: E402
import test_textbook_audit as audit  # noqa: E402


def _passes(check: object, *args: object) -> bool:
    try:
        check(*args)  # type: ignore[operator]
    except KeyboardInterrupt:
        raise
    except BaseException:  # noqa: BLE001 (pytest's failures are BaseExceptions): a miss
        return False
    return True


def main() -> None:
    rows = audit.ROWS
    right = [_passes(audit.test_verify_accepts_the_book_answer, row) for row in rows]
    wrong = [_passes(audit.test_verify_rejects_the_wrong_variant_at_a_real_counterexample, row)
             for row in rows]
    latex = [_passes(audit.test_parse_latex_reads_the_book_answer, row) for row in rows]
    read = [_passes(audit.test_look_alikes_read_as_the_student_means, *case)
            for case in audit.LOOK_ALIKES_READ]
    refused = [_passes(audit.test_look_alikes_that_are_errors_point_at_the_spot, *case)
               for case in audit.LOOK_ALIKES_ERROR]
    both = [a and b for a, b in zip(right, wrong)]
    print(f"symgrad from {Path(sg.__file__).parent}")
    for label, results in (("book answers accepted", right), ("wrong variants rejected", wrong),
                           ("pairs with both", both), ("LaTeX answers read", latex),
                           ("look-alikes read as meant", read),
                           ("look-alikes refused at the spot", refused),
                           ("look-alikes in all", read + refused)):
        print(f"{label:32s} {sum(results):4d}/{len(results):<4d} {100 * sum(results) / len(results):6.1f}%")
    for label, results, items in (("accepted", right, rows), ("rejected", wrong, rows),
                                  ("latex", latex, rows)):
        for ok, row in zip(results, items):
            if not ok:
                print(f"  missed ({label}): {row[0]} | {row[1]} | {row[2]}")
    for ok, case in zip(read + refused, audit.LOOK_ALIKES_READ + audit.LOOK_ALIKES_ERROR):
        if not ok:
            print(f"  missed (look-alike): {case[0]!r}")


if __name__ == "__main__":
    main()
