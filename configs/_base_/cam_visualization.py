# CAMs and pseudo-labels of the first 4 validation images in the training
# dashboards, at every validation run (CAMVisualizationHook). Add it to a
# CAM config's _base_ list; a config with its own custom_hooks lists this
# hook there too. Backends: local PNG files under the run's vis_data/; add
# dict(type='TensorboardVisBackend') (needs tensorboard) or
# dict(type='WandbVisBackend') to see them there.
custom_hooks = [dict(type='CAMVisualizationHook', interval=1, num_images=4)]
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
