# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Drawing: CAM heat-maps and label overlays, panels of tiles, the
pipeline's figures and Markdown report (as mmseg keeps its drawing in
``mmseg.visualization``)."""
from .overlays import (cam_heatmap, compose_panel, label_overlay,
                       legend_items, muted, save_panel)
from .report import overlay_panels, threshold_curves, write_pipeline_report

__all__ = [
    'cam_heatmap', 'compose_panel', 'label_overlay', 'legend_items',
    'muted', 'save_panel', 'overlay_panels',
    'threshold_curves', 'write_pipeline_report'
]
