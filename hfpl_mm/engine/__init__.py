from .hooks import PseudoLabelClassCheckHook

__all__ = ['PseudoLabelClassCheckHook']
