from .cam_metrics import (CAMThresholdSweepMetric, ContourFMetric,
                          save_threshold_curve, threshold_predictions)

__all__ = [
    'CAMThresholdSweepMetric', 'ContourFMetric', 'save_threshold_curve',
    'threshold_predictions'
]
