from .cam_visualization_hook import CAMVisualizationHook
from .label_check_hook import PseudoLabelClassCheckHook

__all__ = ['CAMVisualizationHook', 'PseudoLabelClassCheckHook']
