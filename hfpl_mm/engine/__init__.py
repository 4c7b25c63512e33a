from .hooks import CAMVisualizationHook, PseudoLabelClassCheckHook

__all__ = ['CAMVisualizationHook', 'PseudoLabelClassCheckHook']
