"""The growing line tables of a synthetic network: patches, lines and their junctions.

Streets are *lines* in a patch's parameter space ``(u, v)``; a patch maps ``(u, v)`` to metres
either affinely (a rotated grid) or log-polarly (``u`` = angle, ``v`` = log radius, so
constant-``v`` lines are arcs and constant-``u`` lines are radials). Rural roads are smooth
random curves between two points (``SINE`` lines). A line end that meets another line is an
*attachment* (a T-junction). :class:`Net` holds all of these as numpy columns, so every
stage of the generator works on whole arrays at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from planner.roads.synthetic.profiles import (
    AXIS,
    B_ARCH,
    B_NONE,
    B_QUAD_END,
    B_QUAD_START,
    POLAR,
    R_STREET,
    RESIDENTIAL,
    S_NONE,
    SINE,
    Z_SUBURB,
)

_LINE_COLS: dict[str, tuple[Any, Any]] = {
    "kind": (np.int8, AXIS),
    "patch": (np.int32, -1),
    "orient": (np.int8, 0),  # AXIS: 0 = constant u (runs along v), 1 = constant v
    "c": (np.float64, 0.0),  # AXIS: the constant coordinate
    "a0": (np.float64, 0.0),  # parameter range (AXIS: patch units; SINE: 0..1)
    "a1": (np.float64, 1.0),
    "bend": (np.float64, 0.0),  # AXIS: bend amplitude across the line, patch units
    "bend_kind": (np.int8, B_NONE),
    "x0": (np.float64, 0.0),  # SINE: end points in metres and meander coefficients
    "y0": (np.float64, 0.0),
    "x1": (np.float64, 0.0),
    "y1": (np.float64, 0.0),
    "m1": (np.float64, 0.0),
    "m2": (np.float64, 0.0),
    "m3": (np.float64, 0.0),
    "closed": (np.bool_, False),
    "n0": (np.int64, -1),
    "n1": (np.int64, -1),
    "hw": (np.int8, RESIDENTIAL),
    "role": (np.int8, R_STREET),
    "zone": (np.int8, Z_SUBURB),
    "level": (np.int16, 0),
    "len_m": (np.float64, 0.0),
    "settle": (np.int32, -1),
    "twin": (np.int64, -1),  # the other carriageway of a dual carriageway
    "route": (np.int64, -1),  # lines of one named/numbered road share a route key
    "chain": (np.int64, -1),  # this line continues the way of that line (bent cul-de-sacs)
    "chain_rank": (np.int8, 0),  # position in its chain
    "dir": (np.int8, 1),  # -1: the way runs from a1 to a0
    "alive": (np.bool_, True),
    "oneway": (np.bool_, False),
    "ow_rev": (np.bool_, False),
    "speed": (np.int8, S_NONE),
    "name": (np.int32, -1),
    "ref": (np.int32, -1),
}


class Net:
    """Growing struct-of-arrays tables: patches, lines, and line ends attached to host lines."""

    def __init__(self) -> None:
        self._chunks: dict[str, list[np.ndarray]] = {k: [] for k in _LINE_COLS}
        self.n_lines = 0
        self.n_nodes = 0
        self._att: list[list[np.ndarray]] = [[], [], []]
        self._patch: list[tuple[int, float, float, float]] = []
        self._patch_arr: tuple[np.ndarray, ...] | None = None
        self.names: list[str] = []
        self.refs: list[str] = []

    # ----------------------------------------------------------------- patches
    def add_patches(
        self, kind: int, ox: np.ndarray, oy: np.ndarray, angle: np.ndarray
    ) -> np.ndarray:
        """Add patches of one kind; return their ids."""
        start = len(self._patch)
        self._patch.extend(
            (kind, float(a), float(b), float(c))
            for a, b, c in zip(
                np.atleast_1d(ox), np.atleast_1d(oy), np.atleast_1d(angle), strict=True
            )
        )
        self._patch_arr = None
        return np.arange(start, len(self._patch))

    def patch_arrays(self) -> tuple[np.ndarray, ...]:
        """Return ``(kind, ox, oy, cos, sin)`` arrays indexed by patch id."""
        if self._patch_arr is None:
            arr = np.array(self._patch, dtype=np.float64).reshape(-1, 4)
            self._patch_arr = (
                arr[:, 0].astype(np.int8),
                arr[:, 1],
                arr[:, 2],
                np.cos(arr[:, 3]),
                np.sin(arr[:, 3]),
            )
        return self._patch_arr

    def patch_xy(
        self, pid: np.ndarray, u: np.ndarray, v: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Map patch coordinates to metres."""
        kind, ox, oy, cos, sin = self.patch_arrays()
        polar = kind[pid] == POLAR
        x = np.empty(len(pid))
        y = np.empty(len(pid))
        a = ~polar
        pa = pid[a]
        x[a] = ox[pa] + u[a] * cos[pa] - v[a] * sin[pa]
        y[a] = oy[pa] + u[a] * sin[pa] + v[a] * cos[pa]
        pp = pid[polar]
        r = np.exp(v[polar])
        x[polar] = ox[pp] + r * np.cos(u[polar])
        y[polar] = oy[pp] + r * np.sin(u[polar])
        return x, y

    def is_polar(self, pid: np.ndarray) -> np.ndarray:
        """Whether each patch is log-polar."""
        return self.patch_arrays()[0][pid] == POLAR

    # ----------------------------------------------------------------- lines
    def new_nodes(self, n: int) -> np.ndarray:
        """Allocate ``n`` node ids."""
        ids = np.arange(self.n_nodes, self.n_nodes + n, dtype=np.int64)
        self.n_nodes += n
        return ids

    def add_lines(self, n: int, **cols: Any) -> np.ndarray:
        """Append ``n`` lines (columns broadcast); allocate end nodes unless given."""
        ids = np.arange(self.n_lines, self.n_lines + n, dtype=np.int64)
        if n == 0:
            return ids
        closed = np.broadcast_to(np.asarray(cols.get("closed", False), dtype=bool), (n,))
        for end in ("n0", "n1"):
            if end not in cols:
                fresh = self.new_nodes(n)
                cols[end] = np.where(closed, -1, fresh)
        for key, (dtype, default) in _LINE_COLS.items():
            val = cols.pop(key, default)
            self._chunks[key].append(np.array(np.broadcast_to(np.asarray(val, dtype=dtype), (n,))))
        if cols:
            raise TypeError(f"unknown line columns: {sorted(cols)}")
        self.n_lines += n
        return ids

    @property
    def table(self) -> dict[str, np.ndarray]:
        """Line table; arrays may be modified in place."""
        for key, chunks in self._chunks.items():
            if len(chunks) != 1:
                self._chunks[key] = [
                    np.concatenate(chunks) if chunks else np.empty(0, _LINE_COLS[key][0])
                ]
        return {k: v[0] for k, v in self._chunks.items()}

    def attach(self, host: np.ndarray, param: np.ndarray, node: np.ndarray) -> None:
        """Record that ``node`` (a line end) lies on line ``host`` at ``param``; -1 hosts are skipped."""
        host = np.asarray(host, dtype=np.int64)
        keep = host >= 0
        self._att[0].append(host[keep])
        self._att[1].append(np.asarray(param, dtype=np.float64)[keep])
        self._att[2].append(np.asarray(node, dtype=np.int64)[keep])

    def attachments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All attachments as ``(host, param, node)``."""
        for i in range(3):
            if len(self._att[i]) != 1:
                dt = np.float64 if i == 1 else np.int64
                self._att[i] = [np.concatenate(self._att[i]) if self._att[i] else np.empty(0, dt)]
        return self._att[0][0], self._att[1][0], self._att[2][0]

    def set_attachments(self, host: np.ndarray, param: np.ndarray, node: np.ndarray) -> None:
        """Replace all attachments."""
        self._att = [[host], [param], [node]]

    # ----------------------------------------------------------------- geometry
    def eval_xy(self, lid: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in metres of lines ``lid`` at parameters ``t``."""
        tab = self.table
        x = np.empty(len(lid))
        y = np.empty(len(lid))
        axis = tab["kind"][lid] == AXIS
        if axis.any():
            i = lid[axis]
            tt = t[axis]
            frac = (tt - tab["a0"][i]) / (tab["a1"][i] - tab["a0"][i])
            bk = tab["bend_kind"][i]
            shape = np.select(
                [bk == B_QUAD_START, bk == B_ARCH, bk == B_QUAD_END],
                [frac**2, np.sin(np.pi * frac), (1.0 - frac) ** 2],
                0.0,
            )
            perp = tab["c"][i] + tab["bend"][i] * shape
            along0 = tab["orient"][i] == 0
            u = np.where(along0, perp, tt)
            v = np.where(along0, tt, perp)
            x[axis], y[axis] = self.patch_xy(tab["patch"][i], u, v)
        sine = ~axis
        if sine.any():
            i = lid[sine]
            f = t[sine]
            dx = tab["x1"][i] - tab["x0"][i]
            dy = tab["y1"][i] - tab["y0"][i]
            off = (
                tab["m1"][i] * np.sin(np.pi * f)
                + tab["m2"][i] * np.sin(2 * np.pi * f)
                + tab["m3"][i] * np.sin(3 * np.pi * f)
            )
            x[sine] = tab["x0"][i] + f * dx - dy * off
            y[sine] = tab["y0"][i] + f * dy + dx * off
        return x, y

    def metres_per_param(self, lid: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Metres per unit of parameter along lines ``lid`` near ``t``."""
        tab = self.table
        out = np.ones(len(lid))
        sine = tab["kind"][lid] == SINE
        i = lid[sine]
        out[sine] = np.hypot(tab["x1"][i] - tab["x0"][i], tab["y1"][i] - tab["y0"][i])
        polar = ~sine & self.is_polar(np.maximum(tab["patch"][lid], 0))
        i = lid[polar]
        v = np.where(tab["orient"][i] == 0, t[polar], tab["c"][i])
        out[polar] = np.exp(v)
        return out

    def line_length_m(self, lid: np.ndarray) -> np.ndarray:
        """Approximate length of lines in metres (for sampling density)."""
        tab = self.table
        a0, a1 = tab["a0"][lid], tab["a1"][lid]
        out = np.abs(a1 - a0)
        sine = tab["kind"][lid] == SINE
        i = lid[sine]
        out[sine] = np.hypot(tab["x1"][i] - tab["x0"][i], tab["y1"][i] - tab["y0"][i]) * (
            1.0 + 2.5 * (np.abs(tab["m1"][i]) + np.abs(tab["m2"][i]) + np.abs(tab["m3"][i]))
        )
        polar = ~sine & self.is_polar(np.maximum(tab["patch"][lid], 0))
        i = lid[polar]
        radial = tab["orient"][i] == 0
        out[polar] = np.where(
            radial, np.abs(np.exp(a1[polar]) - np.exp(a0[polar])), np.exp(tab["c"][i]) * out[polar]
        )
        bent = tab["bend_kind"][lid] != B_NONE
        out[bent & ~sine] *= 1.3
        return out
