from .functional import (boundary_counts, boundary_f_measure,
                         confusion_matrix, contour_f_per_class, fill_ignore,
                         iou_from_confusion, mask_boundary,
                         precision_recall_f, tolerance_pixels)
from .label_folders import (PRED_IGNORE_MODES, evaluate_label_dirs,
                            sweep_cam_dir)
from .metrics import (CAMThresholdSweepMetric, ContourFMetric,
                      save_threshold_curve, threshold_predictions)

__all__ = [
    'boundary_counts', 'boundary_f_measure', 'confusion_matrix',
    'contour_f_per_class', 'fill_ignore', 'iou_from_confusion',
    'mask_boundary', 'precision_recall_f', 'tolerance_pixels',
    'CAMThresholdSweepMetric', 'ContourFMetric', 'save_threshold_curve',
    'threshold_predictions', 'PRED_IGNORE_MODES', 'evaluate_label_dirs',
    'sweep_cam_dir'
]
