"""Tests of governance profiles: the shipped YAML profiles, the loader's errors and the per-entity facts."""
