"""Setup script of hfpl-mm."""
import os.path as osp

from setuptools import find_packages, setup


def get_version() -> str:
    version_file = osp.join(osp.dirname(__file__), 'hfpl_mm', 'version.py')
    scope: dict = {}
    with open(version_file, encoding='utf-8') as f:
        exec(compile(f.read(), version_file, 'exec'), scope)
    return scope['__version__']


def parse_requirements(path: str) -> list:
    with open(osp.join(osp.dirname(__file__), path), encoding='utf-8') as f:
        return [
            line.strip() for line in f
            if line.strip() and not line.startswith('#')
        ]


def readme() -> str:
    with open(osp.join(osp.dirname(__file__), 'README.md'), encoding='utf-8') as f:
        return f.read()


setup(
    name='hfpl_mm',
    version=get_version(),
    description='High-fidelity pseudo-labels (ISL + FSL) for weakly-supervised '
    'semantic segmentation, as an OpenMMLab plugin',
    long_description=readme(),
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'benchmarks')),
    include_package_data=True,
    python_requires='>=3.9',
    install_requires=parse_requirements('requirements/runtime.txt'),
    extras_require={'tests': ['pytest']},
    zip_safe=False,
)
