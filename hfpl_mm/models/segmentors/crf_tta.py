# Copyright (c) hfpl-mm contributors. All rights reserved.
from typing import List, Optional

import torch
from mmengine.structures import PixelData
from mmseg.models.segmentors.seg_tta import SegTTAModel
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import SampleList

from hfpl_mm.utils.crf import dense_crf_probs
from hfpl_mm.utils.image import read_image

#: The reference's CRF of its final network's test (eval_final_voc.py).
FINAL_CRF = dict(
    iterations=1,
    gaussian_sxy=3.0,
    gaussian_compat=3.0,
    bilateral_sxy=32.0,
    bilateral_srgb=13.0,
    bilateral_compat=10.0)


@MODELS.register_module()
class CRFSegTTAModel(SegTTAModel):
    """Test-time augmentation as the reference tests its final network:
    the logits of every scale and flip (each resized to the image and
    flipped back by the segmentor) are averaged, the mean goes through a
    softmax and, with ``crf``, a dense CRF on the original image, then the
    argmax.

    mmseg's ``SegTTAModel`` averages the softmax of each view instead and
    has no CRF. Use it as mmseg's TTA: ``tta_model`` in the config and
    ``tools/test.py CONFIG CKPT --tta``.

    Args:
        module (dict): The segmentor (set by ``--tta``).
        crf (dict, optional): Keyword arguments of
            :func:`~hfpl_mm.utils.crf.dense_crf_probs`; None for no CRF.
            Defaults to :data:`FINAL_CRF` (1 step, Gaussian (3, 3),
            bilateral (32, 13, 10)).
    """

    def __init__(self, *args, crf: Optional[dict] = FINAL_CRF,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.crf = None if crf is None else dict(crf)

    def merge_preds(self, data_samples_list: List[SampleList]) -> SampleList:
        predictions = []
        for samples in data_samples_list:
            logits = torch.stack([s.seg_logits.data for s in samples])
            probs = logits.float().mean(0).softmax(0)
            first = samples[0]
            if self.crf is not None:
                image = read_image(first.img_path, channel_order='rgb')
                probs = torch.from_numpy(
                    dense_crf_probs(image, probs.cpu().numpy(),
                                    **self.crf)).to(logits.device)
            out = SegDataSample(metainfo=first.metainfo)
            out.seg_logits = PixelData(data=probs)
            out.pred_sem_seg = PixelData(data=probs.argmax(0, keepdim=True))
            if 'gt_sem_seg' in first:
                out.gt_sem_seg = first.gt_sem_seg
            predictions.append(out)
        return predictions
