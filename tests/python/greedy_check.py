"""Greedy continuations against an oracle that recorded, per step, the gap between its two
largest logits relative to the logit range (tools/fixtures/gen_runtime_golden.py)."""


def check_greedy(got, want, tie_tol, what):
    """`got`: our continuations, one list of ids per prompt; `want`: {"greedy", "greedy_gaps"}.
    They must agree token for token; a divergence is accepted only where the oracle's own
    top-2 gap at that step was within `tie_tol` (a near tie that summation order may flip),
    and is printed."""
    for i, (ours, theirs) in enumerate(zip(got, want["greedy"])):
        assert len(ours) == len(theirs), (what, i, len(ours), len(theirs))
        step = next((s for s, (a, b) in enumerate(zip(ours, theirs)) if a != b), None)
        if step is None:
            continue
        gap = want["greedy_gaps"][i][step]
        print(f"{what} prompt {i}: diverges at step {step} where the top-2 gap is {gap:.2e} of the range")
        assert gap <= tie_tol, (what, i, step, gap)
