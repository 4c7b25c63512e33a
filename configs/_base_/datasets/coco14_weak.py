# MS COCO 2014 with image-level labels from the instance annotations.
_base_ = ['./voc12_weak.py']
dataset_type = 'COCOWeakDataset'
data_root = 'data/coco2014'
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_train2014.json',
        data_prefix=dict(img_path='train2014', seg_map_path='mask/train2014')))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_val2014.json',
        data_prefix=dict(img_path='val2014', seg_map_path='mask/val2014')))
# COCO has no separate CAM-evaluation split in the reference: val2014
test_dataloader = val_dataloader
