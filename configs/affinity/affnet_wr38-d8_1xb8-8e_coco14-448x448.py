# AffinityNet (PSA) on WideResNet-38 for MS COCO 2014, as the reference's
# COCO recipe trains it (8 epochs on train2014, the VOC settings otherwise),
# on the score maps of tools/make_affinity_labels.py read from
# data_root/AffinityLabels unless overridden.
_base_ = ['./affnet_wr38-d8_1xb8-8e_voc12aug-448x448.py']

data_root = 'data/coco2014'
train_dataloader = dict(
    dataset=dict(
        type='AffinityLabelCOCODataset',
        data_root=data_root,
        ann_file='train2014.txt',
        data_prefix=dict(
            img_path='train2014', seg_map_path='AffinityLabels')))
