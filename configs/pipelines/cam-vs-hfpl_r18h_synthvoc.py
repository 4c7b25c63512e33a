# The main job (tools/run_pipeline.py without a recipe): vanilla CAM and its
# HFPL add-on twin on the bundled synthetic set, stage 2 at each method's
# best background threshold, and a short DeepLab-v3+ on each method's
# pseudo-labels (no AffinityNet). Point it at another VOC-layout folder with
#   python tools/run_pipeline.py --data-root DIR
data = dict(root='data/synthvoc', layout='voc')
methods = dict(
    baseline='configs/synthetic/cam_r18h-d8_1xb8-400i_synthvoc-128x128.py',
    hfpl='configs/synthetic/hfpl-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py')
# stage 1: None keeps each config's schedule
cam = dict(iters=None)
# stage 2: test_cfg overrides the CAM configs' own (none here); threshold
# None takes the sweep's best
pseudo_labels = dict(test_cfg=dict(), threshold=None)
affinity = None
segmentation = dict(
    config='configs/synthetic/'
    'deeplabv3plus_r18h-d8_1xb8-300i_synthvoc-pseudo-128x128.py',
    iters=None,
    on=['baseline', 'hfpl'])
work_dir = 'work_dirs/pipeline'
