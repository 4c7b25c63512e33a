# Copyright (c) hfpl-mm contributors. All rights reserved.
from typing import Sequence

import torch
from torch import Tensor


def stack_cls_labels(data_samples: Sequence, device=None) -> Tensor:
    """Stack the multi-hot ``gt_cls_label`` of every data sample to (N, C).

    Raises:
        KeyError: if a sample has no ``gt_cls_label`` (the pipeline lacks
            :class:`PackWeakSegInputs`).
    """
    labels = []
    for i, sample in enumerate(data_samples):
        if 'gt_cls_label' not in sample:
            path = sample.metainfo.get('img_path', f'sample {i}')
            raise KeyError(
                f'{path}: data sample has no gt_cls_label; use '
                'PackWeakSegInputs in the pipeline of a weak-label dataset')
        labels.append(torch.as_tensor(sample.gt_cls_label).float())
    out = torch.stack(labels)
    return out.to(device) if device is not None else out
