"""Helpers shared by audiosk's steps (private: nothing here is public API).

The containers that carry a sample rate are in :mod:`audiosk.containers`.
"""
