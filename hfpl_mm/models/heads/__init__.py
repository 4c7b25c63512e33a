from .cam_head import CAMHead
from .seam_head import SEAMHead

__all__ = ['CAMHead', 'SEAMHead']
