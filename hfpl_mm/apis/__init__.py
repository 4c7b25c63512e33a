from .affinity import (confident_labels, make_affinity_labels,
                       refine_with_random_walk)
from .evaluate import (evaluate_label_dirs, labels_from_cams,
                       load_cam_archive, load_label_png, sweep_cam_dir)
from .inference import (dataset_meta_from_config, init_model,
                        resolve_dataset_meta)
from .pipeline import run_pipeline
from .pseudo_labels import (claim_out_dir, generate_pseudo_labels,
                            palette_bytes, save_png_atomic)
from .runner import build_cam_inference, inference_dataloader_cfg

__all__ = [
    'confident_labels', 'make_affinity_labels', 'refine_with_random_walk',
    'evaluate_label_dirs', 'labels_from_cams', 'load_cam_archive',
    'load_label_png', 'sweep_cam_dir', 'init_model',
    'dataset_meta_from_config', 'resolve_dataset_meta', 'run_pipeline',
    'claim_out_dir',
    'generate_pseudo_labels', 'palette_bytes', 'save_png_atomic',
    'build_cam_inference', 'inference_dataloader_cfg'
]
