from .formatting import LoadCheckedImageFromFile, PackWeakSegInputs

__all__ = ['LoadCheckedImageFromFile', 'PackWeakSegInputs']
