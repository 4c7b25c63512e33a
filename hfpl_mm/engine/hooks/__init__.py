from .cam_visualization_hook import CAMVisualizationHook
from .checkpoint_hook import AtomicCheckpointHook
from .label_check_hook import PseudoLabelClassCheckHook

__all__ = [
    'AtomicCheckpointHook', 'CAMVisualizationHook', 'PseudoLabelClassCheckHook'
]
