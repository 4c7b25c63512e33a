# The paper's whole recipe at the synthetic scale: the HFPL add-on's CAMs ->
# AffinityNet labels (CRF) -> AffinityNet -> random walk -> DeepLab-v3+ on
# the refined labels, on the bundled synthetic set (22 minutes on 2 CPU
# cores shared with a test run; docs/results.md has its numbers). The
# reference's VOC / COCO recipes have the same shape:
# hfpl-seam_wr38_voc12aug.py, hfpl-seam_wr38_coco14.py.
_base_ = ['./cam-vs-hfpl_r18h_synthvoc.py']

methods = dict(
    _delete_=True,
    hfpl='configs/synthetic/hfpl-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py')
affinity = dict(
    _delete_=True,
    config='configs/synthetic/affnet_r18h-d8_1xb8-300i_synthvoc-128x128.py',
    iters=None,
    # keyword arguments of make_affinity_labels / refine_with_random_walk
    # (the reference's CRF alphas 1 / 24 and walk power 6 by default)
    labels=dict(),
    random_walk=dict())
segmentation = dict(on=['hfpl'])
work_dir = 'work_dirs/pipelines/hfpl-cam_r18h_synthvoc-affinity'
