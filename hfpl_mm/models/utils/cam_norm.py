# Copyright (c) hfpl-mm contributors. All rights reserved.
"""The one CAM normalisation of the package (FSL predictions, stage-2
scores, SEAM's PCM seeds and its ER / ECR maps all call it)."""
import torch.nn.functional as F
from torch import Tensor

CAM_NORMS = ('minmax', 'max')


def normalize_cams(cams: Tensor, mode: str = 'minmax',
                   eps: float = 1e-5) -> Tensor:
    """Normalise every (image, class) map of ``relu(cams)`` to [0, 1].

    With ``p = relu(cams)`` and its per-map minimum and maximum:

    * ``'minmax'`` (the reference's ``max_norm``, used by HFPL / SEAM for
      FSL, ER / ECR and stage-2 CAMs): ``relu(p - min - eps) /
      (max - min + eps)``. A map that is positive everywhere still reaches
      0 at its minimum.
    * ``'max'`` (SEAM's PCM seeds): ``relu(p - eps) / (max + eps)``. Equal
      to ``'minmax'`` whenever the map has a non-positive pixel.

    Args:
        cams (Tensor): Maps (N, C, H, W) (any leading dims; the last two
            are spatial).
        mode (str): 'minmax' or 'max'. Defaults to 'minmax'.
        eps (float): Defaults to 1e-5.

    Returns:
        Tensor: Normalised maps, same shape and dtype.
    """
    if mode not in CAM_NORMS:
        raise ValueError(f'mode must be one of {CAM_NORMS}, got {mode!r}')
    p = F.relu(cams)
    flat = p.flatten(-2)
    hi = flat.amax(-1)[..., None, None]
    if mode == 'max':
        return F.relu(p - eps) / (hi + eps)
    lo = flat.amin(-1)[..., None, None]
    return F.relu(p - lo - eps) / (hi - lo + eps)
