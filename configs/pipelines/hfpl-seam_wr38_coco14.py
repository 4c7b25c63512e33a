# The reference's MS COCO 2014 recipe (github arvijj/hfpl, run_coco.sh):
# SEAM on WideResNet-38 with the binomial HFPL add-on -> multi-scale CAMs of
# train2014 -> AffinityNet labels -> AffinityNet (8 epochs) -> random walk
# -> DeepLab-v1 LargeFOV on WideResNet-38 (200k iterations) on the refined
# labels, validated on val2014. Stage 2 is scored on train2014 against
# mask/train2014 (the reference scores its COCO CAMs on val2014: run
# tools/make_pseudo_labels.py --split val and tools/eval_pseudo_labels.py
# for that number). Layout: data/coco2014 with train2014/, val2014/,
# mask/{train,val}2014/, annotations/instances_{train,val}2014.json and
# train2014.txt / val2014.txt (image lists, one stem per line).
#   python tools/run_pipeline.py configs/pipelines/hfpl-seam_wr38_coco14.py
data = dict(
    root='data/coco2014',
    layout='config',
    train_split='annotations/instances_train2014.json',
    img_dir='train2014',
    gt_dir='mask/train2014')
methods = dict(hfpl='configs/seam/hfpl-seam_wr38-d8_1xb8-8e_coco14-448x448.py')
cam = dict(iters=None)
pseudo_labels = dict(test_cfg=dict(), threshold=None)
affinity = dict(
    config='configs/affinity/affnet_wr38-d8_1xb8-8e_coco14-448x448.py',
    iters=None,
    labels=dict(),
    random_walk=dict())
segmentation = dict(
    config='configs/deeplab/'
    'deeplabv1_wr38-d8_1xb10-200k_coco14-pseudo-448x448.py',
    iters=None,
    on=['hfpl'])
work_dir = 'work_dirs/pipelines/hfpl-seam_wr38_coco14'
