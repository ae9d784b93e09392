#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the seed inputs of the fuzz corpus, corpus/seed-*.

    gen-seeds.py [OUTDIR]        (default: corpus/ next to this script)

Each seed encodes one scenario in the input format that fuzz_buddy.c
decodes (see the comment at its top): a pool layout, then operations. The
encoder below mirrors the decoder; the fuzzer starts from these and
mutates them. A few more are random bytes from a fixed splitmix64 seed.
Deterministic; no third-party modules.
"""

import os
import struct
import sys

from splitmix import MASK, SplitMix64

MAXO = 10

# ---- layout ----------------------------------------------------------------


def gap_adjacent():
    return 0


def gap_small(n):           # 1..64 frames
    return ((n - 1) << 2) | 1


def gap_aligned(k):         # k * 2^MAXO frames, k 1..8
    return ((k - 1) << 2) | 2


def gap_far(m):             # m << 20 frames, m 0..63
    return (m << 2) | 3


def size_small(n):          # 1..16
    return (n - 1) << 2


def size_mid(n):            # 1..300
    return ((n - 1) << 2) | 1


def size_big(n):            # 1..3000
    return ((n - 1) << 2) | 2


def size_blocks(k, tail=None):  # k * 2^MAXO (k 1..4), plus tail < 2^MAXO
    v = 3 | ((k - 1) << 2)
    if tail is not None:
        v |= 0x10 | (tail << 5)
    return v


BASE_ZERO, BASE_LOW, BASE_4G, BASE_TOP = range(4)


def layout(spans, base=BASE_ZERO, base_arg=0, spare=0, reserve=None):
    """spans: [(gap byte, size u16)]; the first gap is ignored."""
    h0 = (len(spans) - 1) | (base << 3) | (spare << 5)
    h1 = 0
    if reserve is not None:
        h0 |= 0x80
        h1 = reserve // 8
    out = bytes([h0, h1])
    for g, s in spans:
        out += bytes([g]) + struct.pack("<H", s)
    if base == BASE_LOW:
        out += struct.pack("<H", base_arg & 0xffff) + bytes([(base_arg >> 16) & 0xff])
    elif base == BASE_4G:
        out += struct.pack("<H", base_arg)
    elif base == BASE_TOP:
        out += bytes([base_arg])    # slack below ULONG_MAX, 0..3
    return out

# ---- operations ------------------------------------------------------------


def u16(v):
    return struct.pack("<H", v & 0xffff)


def alloc(order):
    if order <= 3:
        v = order
    else:
        v = next(x for x in range(160, 256) if x % (MAXO + 3) == order)
    return bytes([0, v])


def alloc_size(param, v):   # size (v + 1) << (2 * param) bytes
    return bytes([8 | param << 5]) + u16(v)


def free(pick, tagged=False):
    return bytes([11 | (1 << 5 if tagged else 0)]) + u16(pick)


def gather(param, v):       # param 0-3: 1 + v % 16; 4-5: 1 + v; 6: all; 7: 0 / too many
    return bytes([18 | param << 5, v])


def free_batch(pick, how):
    return bytes([20 | how << 5]) + u16(pick)


# pick_pfn(): kind 0-3 a frame by index, 4 below the first span, 5 past the
# last, 6 just before span v, 7 the raw 64-bit value.
def pfn_index(i):
    return bytes([0]) + u16(i)


def pfn_below(v=0):
    return bytes([4]) + u16(v)


def pfn_past(v=0):
    return bytes([5]) + u16(v)


def pfn_before_span(i, back=0):
    return bytes([6 | back << 3]) + u16(i)


def pfn_raw(pfn):
    return bytes([7]) + u16(0) + struct.pack("<Q", pfn & MASK)


def bad_free(kind, pick=0, x=0, pfn=b""):
    """kind 0 order > max, 1 foreign, 2 interior, 3 wrong order, 4 again,
    5 a frame, 6 wrong tag, 7 pfn and order (x & 0xf) as given."""
    out = bytes([21 | kind << 5]) + u16(pick) + bytes([x])
    if kind in (1, 5, 7):
        out += pfn or pfn_index(0)
    return out


def free_at(i, order=0):
    """Free the block at frame index i (as a kind-7 free: the model finds it live)."""
    return bad_free(7, 0, order, pfn_index(i))


def lookup(pfn):
    return bytes([25]) + pfn


def tag(kind, t, pick=0, pfn=b""):
    out = bytes([27 | kind << 5, t]) + u16(pick)
    if kind >= 5:
        out += pfn or pfn_index(0)
    return out


def add_span(kind, g=0, size=0, raw=None):
    """kind 0-1 after the last, 2 no frames, 3 over the last, 4 wrapping,
    5 too large, 6-7 at a raw pfn."""
    out = bytes([29 | kind << 5, g]) + u16(size)
    if kind >= 6:
        out += struct.pack("<Q", (raw or 0) & MASK)
    return out


def verify():
    return bytes([30])


def free_all(how=0):
    return bytes([31 | how << 5])

# ---- the seeds -------------------------------------------------------------


def seeds():
    s = {}
    one_k = [(0, size_blocks(1))]

    s["tiny-span"] = layout([(0, size_small(3))]) + alloc(0) + alloc(0) + \
        alloc(0) + alloc(0) + free(0) + free(0) + alloc(1) + free_all()
    s["every-order"] = layout(one_k) + b"".join(alloc(o) for o in range(MAXO + 1)) + \
        verify() + free_all() + alloc(MAXO) + alloc(0) + free(0)
    s["order-too-big"] = layout(one_k) + alloc(MAXO + 1) + alloc(MAXO + 2) + \
        alloc(0) + bad_free(0, 0, 5)
    s["eight-spans"] = layout([(0, size_mid(37)), (gap_adjacent(), size_small(5)),
                               (gap_small(3), size_blocks(1, 77)),
                               (gap_aligned(2), size_big(2049)),
                               (gap_far(5), size_small(1)),
                               (gap_adjacent(), size_mid(255)),
                               (gap_small(64), size_mid(129)),
                               (gap_aligned(1), size_small(16))],
                              BASE_LOW, 0x12345) + \
        b"".join(alloc(o % 6) for o in range(24)) + verify() + \
        b"".join(free(i * 7) for i in range(12)) + free_all(5)
    s["top-exact"] = layout([(0, size_blocks(1)), (gap_adjacent(), size_mid(100))],
                            BASE_TOP, 0) + alloc(6) + alloc(0) + alloc(2) + \
        lookup(pfn_past(0)) + lookup(pfn_raw(MASK)) + bad_free(1, 0, 0, pfn_past(3)) + \
        bad_free(7, 0, 0, pfn_raw(MASK)) + add_span(0, gap_small(1), size_small(2)) + \
        free_all(1)
    s["top-slack"] = layout([(0, size_small(16)), (gap_small(9), size_mid(77))],
                            BASE_TOP, 3) + alloc(3) + alloc(4) + lookup(pfn_past(2)) + \
        bad_free(1, 0, 1, pfn_past(1)) + free_all()
    s["top-single-frame"] = layout([(0, size_small(1))], BASE_TOP, 0) + alloc(0) + \
        alloc(0) + lookup(pfn_raw(MASK)) + bad_free(4, 0, 0) + free_all() + \
        bad_free(4, 0, 0) + alloc(1)
    s["above-4g"] = layout([(0, size_blocks(2, 5)), (gap_far(63), size_big(1500))],
                           BASE_4G, 0xfff0) + alloc(MAXO) + alloc(9) + alloc(1) + \
        gather(4, 200) + verify() + free_all(2)

    cb = layout([(0, size_mid(64))])
    cb += b"".join(alloc(0) for _ in range(64))
    cb += b"".join(free_at(i) for i in range(1, 64, 2))
    s["checkerboard"] = cb + alloc(1) + alloc(2) + gather(0, 3) + gather(4, 20) + \
        free_batch(0, 0) + free_all()
    s["checkerboard-gather-all"] = cb + gather(6, 0) + alloc(0) + gather(7, 1) + \
        free_batch(5, 3) + free_all(4)

    s["gather-kinds"] = layout([(0, size_mid(200)), (gap_small(1), size_small(7))]) + \
        alloc(3) + alloc(0) + gather(0, 5) + gather(7, 0) + gather(7, 9) + \
        gather(4, 255) + gather(5, 30) + gather(6, 0) + free_all(3)
    for how in range(8):
        s["free-batch-%d" % how] = layout([(0, size_mid(100))], BASE_LOW, 3) + \
            alloc(1) + alloc(0) + free(0) + gather(4, 40 + how) + alloc(2) + \
            free_batch(how, how) + verify()

    s["bad-frees"] = layout([(0, size_blocks(1)), (gap_small(5), size_mid(60))],
                            BASE_LOW, 1000) + alloc(4) + alloc(2) + alloc(0) + \
        tag(0, 7, 1) + \
        bad_free(0, 0, 3) + bad_free(1, 0, 2, pfn_below(0)) + \
        bad_free(1, 0, 0, pfn_before_span(1)) + bad_free(2, 0, 5) + \
        bad_free(2, 1, 0x81) + bad_free(3, 0, 1) + bad_free(3, 1, 0x82) + \
        bad_free(5, 0, 0, pfn_index(900)) + bad_free(6, 1, 3) + \
        bad_free(7, 0, 0x13, pfn_index(1)) + free(0) + bad_free(4, 0, 0) + free_all()
    s["double-free-merged"] = layout(one_k) + alloc(0) + alloc(0) + alloc(1) + \
        free_at(0) + free_at(1) + bad_free(4, 0, 0) + bad_free(4, 0, 1) + \
        free_at(0) + free_all()
    s["tags"] = layout([(0, size_mid(50))]) + alloc(2) + alloc(0) + gather(0, 2) + \
        tag(0, 9, 0) + tag(1, 200, 1) + tag(5, 3, 0, pfn_index(1)) + \
        tag(6, 4, 0, pfn_index(49)) + tag(7, 5, 0, pfn_raw(12345678)) + \
        bad_free(6, 0, 0) + free(0, True) + free(0, True) + free_all(2)
    s["add-span"] = layout([(0, size_mid(30))], BASE_LOW, 77, 2, 1600) + \
        add_span(2, gap_small(2)) + add_span(3, 5) + add_span(3, 0x85) + \
        add_span(4, 3, 9) + add_span(5, gap_small(1)) + \
        add_span(0, gap_adjacent(), size_mid(100)) + alloc(5) + \
        add_span(1, gap_aligned(1), size_blocks(1)) + alloc(MAXO) + \
        add_span(0, gap_small(1), size_small(2)) + add_span(6, 0, 0, 1 << 40) + \
        verify() + free_all()
    s["add-span-full"] = layout([(0, size_small(8))]) + \
        add_span(0, gap_small(1), size_small(1)) + add_span(7, 0, 4, 0) + \
        alloc(3) + free_all()
    for how in range(8):
        s["free-all-%d" % how] = layout([(0, size_mid(150)), (gap_adjacent(), size_small(9))]) + \
            alloc(0) + alloc(3) + alloc(1) + gather(1, 5) + alloc(2) + free_all(how) + \
            alloc(4) + free_all(how ^ 1)
    s["exhaust"] = layout([(0, size_mid(40))]) + b"".join(alloc(2) for _ in range(12)) + \
        alloc(0) + alloc(0) + gather(0, 1) + free(3) + alloc(2) + alloc(3) + free_all()
    s["alloc-size"] = layout([(0, size_blocks(2))]) + \
        b"".join(alloc_size(p, v) for p, v in ((0, 0), (0, 4095), (0, 4096), (1, 8191),
                                               (2, 30000), (3, 65535), (4, 65535),
                                               (5, 100), (6, 255), (7, 65535))) + free_all()
    s["lookups"] = layout([(0, size_mid(20)), (gap_small(4), size_mid(20))], BASE_LOW, 64) + \
        alloc(2) + lookup(pfn_index(0)) + lookup(pfn_index(3)) + lookup(pfn_index(25)) + \
        lookup(pfn_below(9)) + lookup(pfn_past(1)) + lookup(pfn_before_span(1)) + \
        lookup(pfn_raw(0)) + lookup(pfn_raw(MASK))
    s["touching-pfn-buddies"] = layout([(0, size_mid(256)), (gap_adjacent(), size_mid(256)),
                                        (gap_adjacent(), size_blocks(1))], BASE_LOW, 256) + \
        alloc(8) + alloc(8) + alloc(7) + free(0) + free(0) + verify() + free_all()
    s["small-odd-spans"] = layout([(0, size_small(1)), (gap_adjacent(), size_small(3)),
                                   (gap_adjacent(), size_small(5)), (gap_small(1), size_small(7)),
                                   (gap_adjacent(), size_small(2)), (gap_small(2), size_small(6)),
                                   (gap_adjacent(), size_small(16)), (gap_adjacent(), size_small(11))],
                                  BASE_LOW, 5) + \
        b"".join(alloc(o % 3) for o in range(20)) + verify() + gather(6, 0) + \
        free_batch(0, 2) + free_all(7)
    s["big-odd-span"] = layout([(0, size_big(3000))], BASE_LOW, 0x7ffff) + \
        alloc(MAXO) + alloc(MAXO) + alloc(MAXO) + alloc(0) + alloc(9) + free(1) + \
        gather(4, 255) + free_all()
    s["many-ops"] = layout([(0, size_mid(120))]) + \
        (alloc(0) + alloc(1) + free(1) + gather(0, 2) + lookup(pfn_index(7)) +
         bad_free(3, 2, 4)) * 10 + free_all()

    r = SplitMix64(20240601)
    for i in range(10):
        n = 48 + r.below(160)
        s["random-%02d" % i] = bytes(r.below(256) for _ in range(n))
    return s


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")
    os.makedirs(outdir, exist_ok=True)
    for name in os.listdir(outdir):
        if name.startswith("seed-"):
            os.remove(os.path.join(outdir, name))
    all_seeds = seeds()
    for i, (name, data) in enumerate(sorted(all_seeds.items())):
        with open(os.path.join(outdir, "seed-%02d-%s" % (i, name)), "wb") as f:
            f.write(data)
    print("%s: %d seed inputs, %d bytes" % (outdir, len(all_seeds),
                                            sum(len(d) for d in all_seeds.values())))


if __name__ == "__main__":
    main()
