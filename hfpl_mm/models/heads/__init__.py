from .affinity_head import AffinityHead
from .aspp_v2_head import ASPPV2Head
from .cam_head import CAMHead
from .deeplab_v1_head import DeepLabV1Head
from .seam_head import SEAMHead

__all__ = [
    'AffinityHead', 'ASPPV2Head', 'CAMHead', 'DeepLabV1Head', 'SEAMHead'
]
