"""Installation script for audiosk."""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(
    r'__version__ = "([^"]+)"', (HERE / "audiosk" / "__init__.py").read_text()
).group(1)

EXTRAS = {
    "plot": ["matplotlib>=3.5"],
    "search": ["scikit-optimize>=0.10"],
    "parquet": ["pyarrow>=10"],
    "tensorboard": ["tensorboard>=2.10"],
    "dask": ["dask[distributed]>=2023.1"],
}
EXTRAS["test"] = sorted(
    {"pytest>=7", *EXTRAS["plot"], *EXTRAS["search"], *EXTRAS["parquet"], *EXTRAS["tensorboard"], *EXTRAS["dask"]}
)
EXTRAS["all"] = sorted({req for reqs in EXTRAS.values() for req in reqs})

setup(
    name="audiosk",
    version=VERSION,
    description="Machine learning on audio as a scikit-learn problem: "
    "audio transformers and skorch neural estimators.",
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    license="BSD-3-Clause",
    packages=find_packages(include=["audiosk", "audiosk.*"]),
    package_data={"audiosk.datasets": ["data/*", "data/*/*"]},
    python_requires=">=3.9",
    install_requires=[
        "numpy>=1.23",
        "scipy>=1.9",
        "scikit-learn>=1.6",
        "librosa>=0.10",
        "soundfile>=0.12",
        "skorch>=0.15",
        "torch>=2.1",
        "pandas>=1.5",
        "joblib>=1.3",
        "tqdm>=4.60",
    ],
    extras_require=EXTRAS,
    entry_points={"console_scripts": ["audiosk=audiosk.cli:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Multimedia :: Sound/Audio :: Analysis",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
