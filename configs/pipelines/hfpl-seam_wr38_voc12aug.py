# The reference's PASCAL VOC 2012 recipe (github arvijj/hfpl, run_voc.sh):
# SEAM on WideResNet-38 with the binomial HFPL add-on -> multi-scale CAMs
# (0.5-2 + flip, the CAM config's test_cfg) on train_aug -> AffinityNet
# labels (CRF alphas 1 / 24) -> AffinityNet (8 epochs) -> random walk ->
# DeepLab-v1 LargeFOV on WideResNet-38 (20k iterations) on the refined
# labels, validated on val. Stage 2 is scored on train (1,464 images with
# masks in SegmentationClass/), as the reference's CAM evaluation. Needs VOC
# with the SBD train_aug split and the ImageNet weights of the configs.
#   python tools/run_pipeline.py configs/pipelines/hfpl-seam_wr38_voc12aug.py
# Add `seam='configs/seam/seam_wr38-d8_1xb8-8e_voc12aug-448x448.py'` to
# `methods` (and to segmentation.on) to compare with the baseline.
data = dict(
    root='data/VOCdevkit/VOC2012',
    layout='config',
    train_split='train_aug',
    eval_split='train',
    img_dir='JPEGImages',
    gt_dir='SegmentationClass')
methods = dict(
    hfpl='configs/seam/hfpl-seam_wr38-d8_1xb8-8e_voc12aug-448x448.py')
cam = dict(iters=None)
pseudo_labels = dict(test_cfg=dict(), threshold=None)
affinity = dict(
    config='configs/affinity/affnet_wr38-d8_1xb8-8e_voc12aug-448x448.py',
    iters=None,
    labels=dict(),
    random_walk=dict())
segmentation = dict(
    config='configs/deeplab/'
    'deeplabv1_wr38-d8_1xb10-20k_voc12aug-pseudo-448x448.py',
    iters=None,
    on=['hfpl'])
work_dir = 'work_dirs/pipelines/hfpl-seam_wr38_voc12aug'
