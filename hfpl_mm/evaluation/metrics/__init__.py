from .cam_sweep_metric import (CAMThresholdSweepMetric, save_threshold_curve,
                               threshold_predictions)
from .contour_f_metric import ContourFMetric

__all__ = [
    'CAMThresholdSweepMetric', 'ContourFMetric', 'save_threshold_curve',
    'threshold_predictions'
]
