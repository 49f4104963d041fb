"""Probes of the history family (see auditlib/probes/__init__.py)."""

from __future__ import annotations

from typing import Iterable

from ..models import Facts, Hit
from . import probe
