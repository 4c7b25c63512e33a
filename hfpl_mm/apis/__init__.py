# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Inference and the pipeline's stages (as ``mmseg.apis`` holds
inference): label I/O lives in :mod:`hfpl_mm.utils`, folder scoring in
:mod:`hfpl_mm.evaluation`, drawing in :mod:`hfpl_mm.visualization`."""
from .affinity import (confident_labels, make_affinity_labels,
                       refine_with_random_walk)
from .demo import cam_demo_outputs
from .inference import (build_cam_inference, dataset_meta_from_config,
                        inference_dataloader_cfg, init_model,
                        resolve_dataset_meta)
from .pipeline import load_recipe, run_pipeline
from .pseudo_labels import generate_pseudo_labels
from .stages import (ConfigLayout, DataLayout, cam_method_stages,
                     refine_labels, segmentation_stage, train_affinity_net,
                     train_cam_model, train_segmentation,
                     write_affinity_labels, write_pseudo_labels)

__all__ = [
    'confident_labels', 'make_affinity_labels', 'refine_with_random_walk',
    'cam_demo_outputs', 'build_cam_inference', 'dataset_meta_from_config',
    'inference_dataloader_cfg', 'init_model', 'resolve_dataset_meta',
    'load_recipe', 'run_pipeline', 'generate_pseudo_labels', 'ConfigLayout',
    'DataLayout', 'cam_method_stages', 'refine_labels', 'segmentation_stage',
    'train_affinity_net', 'train_cam_model', 'train_segmentation',
    'write_affinity_labels', 'write_pseudo_labels'
]
