# PASCAL VOC 2012 + SBD ("aug") with image-level labels for CAM training;
# CAMs are evaluated on the val split against its GT masks.
dataset_type = 'VOCWeakDataset'
data_root = 'data/VOCdevkit/VOC2012'
crop_size = (448, 448)
# The reference's CAM training augmentation (SEAM / HFPL train_cam_voc.py):
# the long side uniform in [448, 768] (PIL bicubic), flip, torchvision-style
# ColorJitter(0.3, 0.3, 0.3, 0.1) always (mmpretrain's), a 448 crop that
# pads at a random position with the mean colour (0 after normalisation).
train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='RandomResizeLong', min_long=448, max_long=768),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='mmpretrain.ColorJitter',
        brightness=0.3,
        contrast=0.3,
        saturation=0.3,
        hue=0.1),
    dict(
        type='RandomCropOrPad',
        crop_size=crop_size,
        pad_val=(103.53, 116.28, 123.675)),  # the mean, BGR
    dict(type='PackWeakSegInputs'),
]
# mmseg's transforms, our earlier default (both edges scaled independently
# in [448, 768], bilinear; each photometric distortion with p 0.5; padding at
# the bottom / right by the data preprocessor). Select it in a child config:
#   train_dataloader = dict(
#       dataset=dict(pipeline=_base_.mmseg_train_pipeline))
mmseg_train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='RandomResize', scale=[(448, 448), (768, 768)],
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackWeakSegInputs'),
]
test_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackWeakSegInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    # as the reference: the last incomplete batch of an epoch is dropped
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train_aug.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        pipeline=test_pipeline))
# tools/test.py evaluates CAMs as the reference does: the stage-2 CAMs
# (model.test_cfg: scales 0.5, 1, 1.5, 2 + flip) on VOC train (1,464 images
# with official masks), mIoU for background thresholds 0.00..0.59 and the
# contour F-score at the reference's constant background 0.25; validation
# during training uses val.
test_dataloader = dict(
    val_dataloader,
    dataset=dict(
        val_dataloader['dataset'],
        ann_file='ImageSets/Segmentation/train.txt'))
val_evaluator = [
    dict(type='CAMThresholdSweepMetric'),
    dict(type='ContourFMetric', bg_threshold=0.25),
]
test_evaluator = val_evaluator
