# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Checks of a model's ``test_cfg``: mmengine merges any key, so a misspelt
one (``bg_treshold``) would be ignored in silence."""
import difflib
from typing import Iterable


def check_test_cfg_keys(test_cfg: dict, known: Iterable[str],
                        owner: str) -> None:
    """Refuse keys of ``test_cfg`` the model does not read.

    Args:
        test_cfg (dict): The merged ``model.test_cfg``.
        known (Iterable[str]): The keys the model reads.
        owner (str): The model's class name, for the message.

    Raises:
        KeyError: Naming the unknown key, the closest known one and the
            known keys.
    """
    known = sorted(known)
    for key in test_cfg:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f' (did you mean {close[0]!r}?)' if close else ''
            raise KeyError(
                f'model.test_cfg.{key}: {owner} reads no such key{hint}; its '
                f'test_cfg keys are {", ".join(known)}')


def check_range(name: str, value: float, low: float, high: float,
                low_open: bool = False) -> None:
    """Refuse ``value`` outside ``[low, high]`` (``(low, high]`` with
    ``low_open``), naming ``name``."""
    bad = value <= low if low_open else value < low
    if bad or value > high:
        left = '(' if low_open else '['
        raise ValueError(f'{name} must be in {left}{low}, {high}], got '
                         f'{value}')
