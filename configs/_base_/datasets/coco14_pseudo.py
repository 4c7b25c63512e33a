# Stage 3 on MS COCO 2014 (81 classes): train2014 images with pseudo-labels,
# evaluated on val2014 GT masks (mask/val2014/<stem>.png, made from the
# instance annotations) with mIoU and the contour F-score. The split files
# list image stems (e.g. COCO_train2014_000000000009). The pseudo-labels are
# read from PseudoLabels/ under data_root; point at others with
#   --cfg-options train_dataloader.dataset.data_prefix.seg_map_path=DIR
_base_ = ['mmseg::_base_/datasets/pascal_voc12.py']
data_root = 'data/coco2014'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='PseudoLabelCOCODataset',
        data_root=data_root,
        ann_file='train2014.txt',
        data_prefix=dict(img_path='train2014', seg_map_path='PseudoLabels'),
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='PseudoLabelCOCODataset',
        validate='size',
        data_root=data_root,
        ann_file='val2014.txt',
        data_prefix=dict(img_path='val2014', seg_map_path='mask/val2014'),
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='ContourFMetric'),
]
test_evaluator = val_evaluator
# before training: every pseudo-label value fits the heads' num_classes
custom_hooks = [dict(type='PseudoLabelClassCheckHook')]
