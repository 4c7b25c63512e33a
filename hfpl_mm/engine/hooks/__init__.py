from .label_check_hook import PseudoLabelClassCheckHook

__all__ = ['PseudoLabelClassCheckHook']
