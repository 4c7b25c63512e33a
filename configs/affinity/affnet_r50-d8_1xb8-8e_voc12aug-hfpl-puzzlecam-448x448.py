# AffinityNet trained on the affinity labels of the hfpl-puzzlecam CAMs.
_base_ = [
    '../_base_/models/affnet_r50-d8.py',
    '../_base_/datasets/voc12_affinity.py', '../_base_/default_runtime.py',
    '../_base_/schedules/affinity_8e.py'
]
affinity_label_dir = 'AffinityLabels/hfpl-puzzlecam'
train_dataloader = dict(
    dataset=dict(data_prefix=dict(seg_map_path=affinity_label_dir)))
