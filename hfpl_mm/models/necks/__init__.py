from .global_avg_pool import GlobalAvgPool
from .importance_sampling import ImportanceSamplingPool

__all__ = ['GlobalAvgPool', 'ImportanceSamplingPool']
