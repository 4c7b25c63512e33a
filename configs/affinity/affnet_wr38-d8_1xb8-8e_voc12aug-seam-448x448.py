# AffinityNet trained on the affinity labels of the seam CAMs.
_base_ = [
    '../_base_/models/affnet_wr38-d8.py',
    '../_base_/datasets/voc12_affinity.py', '../_base_/default_runtime.py',
    '../_base_/schedules/affinity_8e.py'
]
affinity_label_dir = 'AffinityLabels/seam'
train_dataloader = dict(
    dataset=dict(data_prefix=dict(seg_map_path=affinity_label_dir)))
