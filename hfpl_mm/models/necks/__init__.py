from .global_avg_pool import GlobalAvgPool
from .importance_sampling import (ImportanceSamplingPool, importance_sample,
                                  sampling_distribution)

__all__ = [
    'GlobalAvgPool', 'ImportanceSamplingPool', 'importance_sample',
    'sampling_distribution'
]
