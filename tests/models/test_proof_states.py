"""The proof lifecycle refuses every move the state machine does not list, from every state."""
from __future__ import annotations

import itertools

import pytest

from models import IllegalTransition, ProofState, check_transition
from models.proof import TRANSITIONS

LEGAL = {(src, dst) for src, targets in TRANSITIONS.items() for dst in targets}


@pytest.mark.parametrize("src,dst", list(itertools.product(ProofState, ProofState)))
def test_every_pair_of_states_is_either_allowed_or_refused(src, dst):
    if (src, dst) in LEGAL:
        assert check_transition(src.value, dst.value) is dst
    else:
        with pytest.raises(IllegalTransition, match=f"from {src.value} to {dst.value}"):
            check_transition(src.value, dst.value)


def test_nothing_settles_without_approval_first():
    settling_sources = {src for src, dst in LEGAL if dst is ProofState.SETTLED}
    assert settling_sources == {ProofState.APPROVED}


def test_clawed_back_is_final_and_unknown_states_are_refused():
    assert TRANSITIONS[ProofState.CLAWED_BACK] == frozenset()
    with pytest.raises(IllegalTransition, match="unknown"):
        check_transition("received", "paid")
