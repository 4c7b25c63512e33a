from .affinity_net import AffinityNet
from .cam_segmentor import (CAMSegmentor, cams_to_scores,
                            softmax_cams_to_scores)
from .crf_tta import CRFSegTTAModel
from .puzzle_cam import PuzzleCAMSegmentor
from .seam import SEAMSegmentor

__all__ = [
    'AffinityNet', 'CAMSegmentor', 'cams_to_scores', 'softmax_cams_to_scores',
    'CRFSegTTAModel',
    'PuzzleCAMSegmentor', 'SEAMSegmentor'
]
