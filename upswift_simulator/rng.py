"""Deterministic, order-independent random numbers.

Lifecycle outcomes use a hash of (seed, device index, update id, purpose) instead of one shared
``random.Random`` consumed in call order, so concurrent requests cannot change what a device does.
"""

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
INV_2_53 = 1.0 / (1 << 53)

# Purposes ("salts") so that different draws for the same device and update are independent.
SALT_DURATION = 2
SALT_OUTCOME = 3
SALT_FLIP = 4


def mix64(value: int) -> int:
    """SplitMix64 finaliser: a fast, well-distributed 64-bit integer hash."""
    value &= MASK64
    value ^= value >> 30
    value = (value * 0xBF58476D1CE4E5B9) & MASK64
    value ^= value >> 27
    value = (value * 0x94D049BB133111EB) & MASK64
    value ^= value >> 31
    return value


def unit(seed: int, device_index: int, key: int, salt: int) -> float:
    """A uniform float in [0, 1) fully determined by its arguments (one SplitMix64 round over
    a mix of the inputs: about a microsecond, which matters for 100,000-device deploys)."""
    h = (
        seed * GOLDEN
        ^ device_index * 0xD6E8FEB86659FD93
        ^ key * 0xA0761D6478BD642F
        ^ salt * 0xE7037ED1A0B428DB
    ) & MASK64
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & MASK64
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & MASK64
    h ^= h >> 31
    return (h >> 11) * INV_2_53


QUICK_DEVICE = 0x9E3779B1
QUICK_KEY = 0x85EBCA77
QUICK_MIX = 0x27D4EB2F
MASK32 = 0xFFFFFFFF
INV_2_32 = 1.0 / (1 << 32)


def quick_base(seed: int) -> int:
    return (seed * 0xC2B2AE3D) & MASK32


def quick_unit(seed: int, device_index: int, key: int) -> float:
    """A cheap, evenly spread value in [0, 1) for start delays only (a Weyl-style
    multiplicative hash: not independent between calls, but a fraction of a microsecond,
    which matters when one deploy touches 100,000 devices). ``Lifecycle.deploy`` inlines
    the same formula; keep them identical."""
    h = quick_base(seed) + device_index * QUICK_DEVICE + key * QUICK_KEY
    return ((h * QUICK_MIX) & MASK32) * INV_2_32
