"""Perceptual colour differences, also as readers with colour-vision deficiency see them.

A map whose sides differ by colour alone fails readers who cannot tell those colours apart.
:func:`close_pairs` finds pairs of colours closer than a threshold in the CIEDE2000 colour
difference (Sharma, Wu and Dalal 2005), for normal vision and for the three dichromacies as
simulated by Machado, Oliveira and Fernandes (2009), severity 1, applied to linear sRGB.

>>> round(delta_e2000("#d55e00", "#d55e00"), 6)
0.0
>>> [v for v, *_ in close_pairs({"a": "#333333", "unknown": "#3a3a3a"})]
['normal vision', 'protanopia', 'deuteranopia', 'tritanopia']
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["CVD_MATRICES", "chroma", "close_pairs", "delta_e2000", "simulate", "to_lab"]

#: Machado et al. (2009) simulation matrices for severity 1 (dichromacy), on linear sRGB.
CVD_MATRICES: dict[str, np.ndarray] = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}

#: sRGB (linear) to CIE XYZ, D65 white.
_RGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883])


def _linear(hex_colour: str) -> np.ndarray:
    """``#rrggbb`` as linear sRGB in 0..1."""
    h = hex_colour.strip().lstrip("#")
    srgb = np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)], dtype=float) / 255.0
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def simulate(hex_colour: str, deficiency: str | None) -> np.ndarray:
    """Linear sRGB of a colour as seen with a deficiency (``None``: normal vision).

    Parameters
    ----------
    hex_colour
        ``#rrggbb``.
    deficiency
        A key of :data:`CVD_MATRICES`, or ``None``.

    Returns
    -------
    numpy.ndarray
        Three values in 0..1.
    """
    rgb = _linear(hex_colour)
    if deficiency is not None:
        rgb = np.clip(CVD_MATRICES[deficiency] @ rgb, 0.0, 1.0)
    return rgb


def to_lab(linear_rgb: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of a linear sRGB colour."""
    xyz = (_RGB_TO_XYZ @ linear_rgb) / _WHITE_D65
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _de2000(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """CIEDE2000 between two L*a*b* colours (kL = kC = kH = 1)."""
    l1, a1, b1 = lab1
    l2, a2, b2 = lab2
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean ** 7 / (c_mean ** 7 + 25.0 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360 if c2p else 0.0
    dl, dc = l2 - l1, c2p - c1p
    dh = 0.0
    if c1p * c2p:
        dh = h2p - h1p
        if dh > 180:
            dh -= 360
        elif dh < -180:
            dh += 360
    d_big_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_mean, cp_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_mean = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_mean = (h1p + h2p) / 2
    else:
        h_mean = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * np.cos(np.radians(h_mean - 30)) + 0.24 * np.cos(np.radians(2 * h_mean))
         + 0.32 * np.cos(np.radians(3 * h_mean + 6)) - 0.20 * np.cos(np.radians(4 * h_mean - 63)))
    d_theta = 30 * np.exp(-(((h_mean - 275) / 25) ** 2))
    r_c = 2 * np.sqrt(cp_mean ** 7 / (cp_mean ** 7 + 25.0 ** 7))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    s_c = 1 + 0.045 * cp_mean
    s_h = 1 + 0.015 * cp_mean * t
    r_t = -np.sin(np.radians(2 * d_theta)) * r_c
    return float(np.sqrt((dl / s_l) ** 2 + (dc / s_c) ** 2 + (d_big_h / s_h) ** 2
                         + r_t * (dc / s_c) * (d_big_h / s_h)))


def delta_e2000(c1: str, c2: str, deficiency: str | None = None) -> float:
    """The CIEDE2000 difference of two ``#rrggbb`` colours, as a reader with ``deficiency``
    sees them (``None``: normal vision).

    Examples
    --------
    >>> delta_e2000("#000000", "#ffffff") > 99
    True
    """
    return _de2000(to_lab(simulate(c1, deficiency)), to_lab(simulate(c2, deficiency)))


#: Below this CIEDE2000 difference two colours of a map are too alike: about the difference
#: between two neighbouring greys of a ten-step ramp. Colour-blind vision gets a lower bar,
#: as the simulation is coarse and the patterns and marker shapes also tell sides apart.
MIN_DELTA_E = 12.0
MIN_DELTA_E_CVD = 10.0
#: A colour whose CIELAB chroma is below this is a grey: readers take it for the greys of
#: unknown and contested ground, whatever its lightness.
MAX_GREY_CHROMA = 8.0


def chroma(hex_colour: str) -> float:
    """CIELAB chroma (C*) of a colour: 0 for greys.

    Examples
    --------
    >>> chroma("#333333") < 1 < chroma("#d55e00")
    True
    """
    lab = to_lab(simulate(hex_colour, None))
    return float(np.hypot(lab[1], lab[2]))


def close_pairs(colours: Mapping[str, str], *, normal: float = MIN_DELTA_E,
                cvd: float = MIN_DELTA_E_CVD) -> list[tuple[str, str, str, float]]:
    """Pairs of colours too alike, for normal vision and each simulated dichromacy.

    Parameters
    ----------
    colours
        Name to ``#rrggbb``, in the order to report them.
    normal, cvd
        The smallest CIEDE2000 difference allowed for normal and for colour-blind vision.

    Returns
    -------
    list of (vision, name1, name2, delta_e)
        ``vision`` is ``"normal vision"`` or a key of :data:`CVD_MATRICES`; ordered by vision,
        then by the names' order in ``colours``.
    """
    names = list(colours)
    out: list[tuple[str, str, str, float]] = []
    for vision, deficiency, bar in [("normal vision", None, normal)] + [
            (d, d, cvd) for d in CVD_MATRICES]:
        labs = {n: to_lab(simulate(colours[n], deficiency)) for n in names}
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                de = _de2000(labs[a], labs[b])
                if de < bar:
                    out.append((vision, a, b, de))
    return out
