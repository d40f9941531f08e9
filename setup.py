"""Build shim: the package metadata and every tool's configuration live in pyproject.toml."""

from setuptools import setup

setup()
