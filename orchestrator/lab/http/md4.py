"""MD4 (RFC 1320), for NT password hashes: OpenSSL 3 no longer ships it in hashlib.

The lab writes NTLM credentials as NT hashes (smbpasswd format) rather than clear text.
"""

from __future__ import annotations

import struct

_MASK = 0xFFFFFFFF
_ROUNDS = (
    (tuple(range(16)), (3, 7, 11, 19), 0),
    ((0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), (3, 5, 9, 13), 0x5A827999),
    ((0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15), (3, 9, 11, 15), 0x6ED9EBA1),
)


def _f(x: int, y: int, z: int, round_no: int) -> int:
    if round_no == 0:
        return (x & y) | (~x & z)
    if round_no == 1:
        return (x & y) | (x & z) | (y & z)
    return x ^ y ^ z


def _block(state: tuple[int, int, int, int], words: tuple[int, ...]) -> tuple[int, int, int, int]:
    a, b, c, d = state
    for round_no, (order, shifts, constant) in enumerate(_ROUNDS):
        for step, k in enumerate(order):
            t = (a + _f(b, c, d, round_no) + words[k] + constant) & _MASK
            s = shifts[step % 4]
            # Rotating the registers makes every step update "a" ([abcd], [dabc], [cdab], [bcda]).
            a, b, c, d = d, ((t << s) | (t >> (32 - s))) & _MASK, b, c
    return tuple((x + y) & _MASK for x, y in zip(state, (a, b, c, d), strict=True))  # type: ignore[return-value]


def md4(data: bytes) -> bytes:
    """The MD4 digest of `data`."""
    message = bytearray(data) + b"\x80"
    message += b"\x00" * ((56 - len(message)) % 64)
    message += struct.pack("<Q", (8 * len(data)) & 0xFFFFFFFFFFFFFFFF)
    state = (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476)
    for offset in range(0, len(message), 64):
        state = _block(state, struct.unpack_from("<16I", message, offset))
    return struct.pack("<4I", *state)


def nt_hash(password: str) -> bytes:
    """The NT one-way function of a password: MD4 of its UTF-16LE bytes ([MS-NLMP] 3.3.1)."""
    return md4(password.encode("utf-16-le"))
