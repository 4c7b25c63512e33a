# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Loss weights that follow the training loop's progress."""
from mmengine.logging import MessageHub


def ramped_weight(weight: float, warmup: float) -> float:
    """``weight`` ramped up linearly over the first ``warmup`` share of the
    training iterations: ``weight * min(1, (iter + 1) / (warmup *
    max_iters))``, with ``iter`` and ``max_iters`` of the current message
    hub (mmengine's ``RuntimeInfoHook`` sets them before every iteration);
    the full weight for ``warmup <= 0`` or where they are not set (outside
    a training loop).

    Args:
        weight (float): The weight after the ramp.
        warmup (float): The share of the iterations the ramp spans.

    Returns:
        float: The weight of the current iteration.
    """
    if warmup <= 0:
        return weight
    hub = MessageHub.get_current_instance()
    it, max_iters = hub.get_info('iter'), hub.get_info('max_iters')
    if it is None or not max_iters:
        return weight
    return weight * min(1.0, (it + 1) / (warmup * max_iters))
