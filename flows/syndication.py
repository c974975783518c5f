"""Syndication: near-duplicate clusters of copies of the same story, and passage fingerprints.

Why MinHash over cleaned bodies: wire copies differ by trims, re-paragraphing, spelling
and typos, so exact hashes miss them, while word shingles keep most of their overlap.

How:
1. `signature_table` (per batch): the bodies' ASCII-lower-cased words (punctuation and
   curly quotes are separators) -> word k-shingles, hashed for the whole batch in numpy
   (no Python call per word); a `num_perm`-bin one-permutation MinHash with optimal
   densification (one sort per batch, O(shingles); measured unbiased, sd no worse than
   128 independent permutations). Bodies under `min_words` are never compared, so they
   never join a cluster.
   Why not a library: datasketch hashes shingle by shingle in Python (~400 docs/s here,
   15x slower); rensa is Rust but still needs Python-made shingle lists per doc and is one
   more dependency; this needs only numpy and xxhash, which the project already has.
2. `cluster` (global): candidate pairs = rows sharing a (band_index, band_hash) key, found
   one band at a time by hashing that band's signature values and sorting (no per-doc
   Python objects, and bands are never stored: half the signature table's memory);
   each pair is verified on the signatures: estimated Jaccard J, and estimated containment of
   the smaller body in the larger, C = J*(|A|+|B|) / ((1+J)*min(|A|,|B|)), so a copy that
   keeps only the first half of a story still joins. Verified pairs are merged by
   vectorised connected components (min-label propagation with pointer jumping).

Canonical policy (one per cluster): the most complete body (most distinct shingles), then
the earliest published_date (unknown dates last), then the richest metadata (most of
title/outlet/authors/agencies/published_date/dateline filled), then the smallest doc_id so
reruns agree. Singletons are their own cluster and canonical.

Passages: `passage_table` fingerprints each body paragraph (>= `passage_min_words` words)
by xxh3 of its normalised text; `passage_stats` tells, per paragraph, how many OTHER
clusters carry the same paragraph and which document had it first (run order), so shared
quotes and boilerplate can be told apart from a story's own text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from flows.model import Document

_MASK40 = np.uint64((1 << 40) - 1)
SIMILARITY_METHOD = "minhash_containment"


@dataclass(frozen=True, slots=True)
class SyndicationParams:
    """Tuned on the devset (gold bodies, crude bodies = raw lines of >= 12 words), the seeds
    and synthetic 3 KB copies; see benchmarks/bench_dedup.py.

    - shingle_words=5: on crude bodies 5-grams kept wrapper boilerplate from merging two
      different stories (3- and 4-grams let one such pair through); edited copies still
      keep most 5-grams (gold: same-story J >= 0.53, different stories J <= 0.02).
    - num_perm=128 one-permutation bins: J estimate sd <= 0.045 (measured, unbiased).
    - bands=64 x rows=2: a pair at J=0.3 is a candidate with p=0.998, so the verification
      threshold below, not LSH luck, decides; 64 x 8-byte band keys a doc.
    - jaccard_threshold=0.3: seeds 001/003 (the same AFP story edited by two outlets) sit
      at J~0.38, seeds 002/004 (two TASS stories sharing one quoted paragraph) at J~0.19.
    - containment_threshold=0.8 with jaccard_floor=0.2: a trimmed copy whose shingles are
      >= 80% inside the longer body joins (a half-length copy has J~0.5, C~1).
    - min_size_ratio=0.2: containment is only trusted when the smaller body has at least a
      fifth of the larger's shingles, so a short boilerplate-only text can't join a story.
    - min_words=30: shorter bodies (stubs, captions) are too small for stable estimates.
    - max_bucket=8: bigger LSH buckets are star-joined to their first member instead of
      all pairs. With 64 two-row bands, documents of one site that share a few template
      paragraphs (J ~ 0.15) meet in some band often: at a million documents all pairs of
      buckets up to 200 made over a billion candidates; stars keep them near one per
      document and band, and cost no recall on the devset or the benchmark's copies.
    """

    shingle_words: int = 5
    num_perm: int = 128
    bands: int = 64
    rows: int = 2
    jaccard_threshold: float = 0.3
    containment_threshold: float = 0.8
    jaccard_floor: float = 0.2
    min_size_ratio: float = 0.2
    min_words: int = 30
    max_bucket: int = 8
    seed: int = 20250522
    passage_min_words: int = 8

    def __post_init__(self) -> None:
        if self.bands * self.rows > self.num_perm:
            raise ValueError("bands * rows must not exceed num_perm")


DEFAULT_PARAMS = SyndicationParams()


# ------------------------------------------------------------------------------------------
# Hashing helpers
# ------------------------------------------------------------------------------------------


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads combined hashes over all 64 bits."""
    x = x ^ (x >> np.uint64(30))
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


# ASCII letters and digits are kept (upper case folded), other ASCII bytes become spaces,
# UTF-8 bytes of non-ASCII characters are kept, so accented and non-Latin words survive
# (their case is not folded: str.lower() on non-ASCII text cost more than the MinHash).
_TABLE = bytes(
    c + 32 if 65 <= c <= 90 else c if (48 <= c <= 57 or 97 <= c <= 122 or c >= 128) else 32
    for c in range(256)
)
_TABLE_NP = np.frombuffer(_TABLE, dtype=np.uint8)
# Non-ASCII punctuation and spaces that separate words (curly quotes must not glue words):
# 2-byte UTF-8 sequences after 0xC2, 3-byte ones after 0xE2 0x80.
_SEP2 = (0xA0, 0xAB, 0xAD, 0xB7, 0xBB)  # nbsp « soft-hyphen · »
# thin spaces, hyphens, dashes, curly quotes, bullet, ellipsis, primes
_SEP3 = (0x89, 0x8A, 0x8B, 0x90, 0x91, 0x93, 0x94, 0x98, 0x99, 0x9A, 0x9C, 0x9D, 0x9E)
_SEP3 += (0xA2, 0xA6, 0xAF, 0xB2, 0xB3)
_SEPARATORS = tuple(bytes((0xC2, c)) for c in _SEP2) + tuple(bytes((0xE2, 0x80, c)) for c in _SEP3)


def normalise(text: str) -> bytes:
    """ASCII-lower-cased UTF-8 with punctuation as spaces: quotes, dashes, case don't count.

    The scalar twin of `_normalise_array` (same bytes out); used for short texts.
    """
    b = text.encode("utf-8")
    if not text.isascii():  # O(1) in CPython: plain ASCII skips the separator scan
        for sep in _SEPARATORS:
            if sep in b:
                b = b.replace(sep, b" " * len(sep))
    return b.translate(_TABLE)


def _normalise_array(buf: bytes) -> np.ndarray:
    """`normalise` for a whole batch at once, on a numpy byte array (no per-doc scans)."""
    raw = np.frombuffer(buf, dtype=np.uint8)
    arr = _TABLE_NP[raw]
    lead = np.flatnonzero(raw[:-1] == 0xC2)
    hit = lead[np.isin(raw[lead + 1], _SEP2)]
    arr[hit] = 32
    arr[hit + 1] = 32
    lead = np.flatnonzero(raw[:-2] == 0xE2)
    lead = lead[raw[lead + 1] == 0x80]
    hit = lead[np.isin(raw[lead + 2], _SEP3)]
    arr[hit] = 32
    arr[hit + 1] = 32
    arr[hit + 2] = 32
    return arr


def tokens(text: str) -> list[bytes]:
    """The normalised words of a text (what shingles and passage fingerprints see)."""
    return normalise(text).split()


_P = np.uint64(0x100000001B3)  # odd, so invertible mod 2^64
_P_INV = np.uint64(pow(0x100000001B3, -1, 1 << 64))
_POWERS: dict[int, tuple[np.ndarray, np.ndarray]] = {}
_SLICE_BYTES = 1 << 20  # text hashed per numpy pass: ~40 MB of temporaries


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """P^t and P^-t (mod 2^64) for t < n; the largest table so far is kept and sliced."""
    if not _POWERS or max(_POWERS) < n:
        size = 1 << max(16, (n - 1).bit_length())
        pw = np.full(size, _P, dtype=np.uint64)
        pw[0] = 1
        inv = np.full(size, _P_INV, dtype=np.uint64)
        inv[0] = 1
        _POWERS.clear()
        _POWERS[size] = (np.cumprod(pw), np.cumprod(inv))  # wraps mod 2^64 as intended
    pw, inv = _POWERS[max(_POWERS)]
    return pw[:n], inv[:n]


def _word_hashes(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start offsets, 64-bit hashes) of the space-separated words of a normalised array.

    A polynomial hash of each word's bytes from one cumulative sum (no Python call per
    word), then mixed; a per-word xxhash call cost more than all the MinHash work.
    """
    is_w = arr != 32
    edge = np.diff(np.r_[False, is_w, False].view(np.int8))
    starts = np.flatnonzero(edge == 1)
    ends = np.flatnonzero(edge == -1)
    if len(starts) == 0:
        return starts, np.empty(0, dtype=np.uint64)
    pw, inv = _powers(len(arr) + 1)
    cum = np.empty(len(arr) + 1, dtype=np.uint64)
    cum[0] = 0
    np.cumsum(arr.astype(np.uint64) * pw[: len(arr)], out=cum[1:])
    h = (cum[ends] - cum[starts]) * inv[starts]
    return starts, _mix64(h + (ends - starts).astype(np.uint64))


def _shingles(
    word_hashes: np.ndarray, word_doc: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Order-sensitive hashes of the k-word windows that stay inside one doc."""
    n = len(word_hashes)
    if n < k:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
    m = n - k + 1
    acc = np.zeros(m, dtype=np.uint64)
    for j in range(k):
        acc = acc * np.uint64(0x9E3779B97F4A7C15) + word_hashes[j : m + j]
    inside = word_doc[:m] == word_doc[k - 1 :]
    return _mix64(acc[inside]), word_doc[:m][inside]


def _probe(t: int, bins: np.ndarray, k: int, seed: int) -> np.ndarray:
    """The t-th densification probe of each empty bin: the same sequence for every doc."""
    x = (bins.astype(np.uint64) << np.uint64(20)) ^ np.uint64(t) ^ np.uint64(seed << 32)
    return (_mix64(x) % np.uint64(k)).astype(np.int64)


def _one_permutation_minhash(key: np.ndarray, n_docs: int, params: SyndicationParams) -> np.ndarray:
    """(n_docs, num_perm) uint32 MinHash from sorted, distinct (doc<<40 | hash40) keys.

    One-permutation hashing: the hash's top bits pick one of `num_perm` bins, the minimum
    per bin is the first key of its run in the sort we already do to dedup shingles, so
    the cost is O(shingles) instead of O(shingles x num_perm). Empty bins are filled by
    optimal densification (Shrivastava 2017): probe other bins in a fixed pseudo-random
    order and copy the first non-empty one, which keeps P[equal] = Jaccard.
    Docs without shingles keep all-ones rows (they have no bands, so are never compared).
    """
    k = params.num_perm
    sig = np.full(n_docs * k, np.iinfo(np.uint32).max, dtype=np.uint32)
    if len(key) == 0:
        return sig.reshape(n_docs, k)
    doc = (key >> np.uint64(40)).astype(np.int64)
    h40 = key & _MASK40
    cell = doc * k + ((h40 * np.uint64(k)) >> np.uint64(40)).astype(np.int64)
    first = np.r_[True, cell[1:] != cell[:-1]]
    sig[cell[first]] = (h40[first] & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    filled = np.zeros(n_docs * k, dtype=bool)
    filled[cell[first]] = True
    has = np.zeros(n_docs, dtype=bool)
    has[doc] = True
    empty = np.flatnonzero(~filled & np.repeat(has, k))
    src = sig.copy()
    t = 0
    while len(empty):
        t += 1
        d, b = np.divmod(empty, k)
        cand = d * k + _probe(t, b, k, params.seed)
        ok = filled[cand]
        sig[empty[ok]] = src[cand[ok]]
        empty = empty[~ok]
    return sig.reshape(n_docs, k)


def _signatures(
    bodies: list[str], params: SyndicationParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(word counts, distinct shingle counts, MinHash matrix) for a batch of bodies.

    Bodies are hashed in slices of ~1 MB of text so temporaries stay small; within a
    slice, one sort of (doc, shingle) keys both deduplicates shingles and bins them.
    """
    n = len(bodies)
    word_counts = np.zeros(n, dtype=np.int32)
    shingle_counts = np.zeros(n, dtype=np.int32)
    sig = np.empty((n, params.num_perm), dtype=np.uint32)
    i = 0
    while i < n:
        parts: list[bytes] = []
        size = 0
        j = i
        while j < n and (size < _SLICE_BYTES or j == i):
            parts.append(bodies[j].encode("utf-8"))
            size += len(parts[-1]) + 1
            j += 1
        doc_start = np.cumsum([0] + [len(p) + 1 for p in parts[:-1]])
        starts, wh = _word_hashes(_normalise_array(b" ".join(parts)))
        word_doc = np.searchsorted(doc_start, starts, side="right") - 1
        counts = np.bincount(word_doc, minlength=len(parts))
        word_counts[i:j] = counts
        keep = counts[word_doc] >= params.min_words
        sh, sh_doc = _shingles(wh[keep], word_doc[keep], params.shingle_words)
        # doc in the top 24 bits, 40 bits of shingle below: one sort dedups and bins
        key = np.sort((sh_doc.astype(np.uint64) << np.uint64(40)) | (sh >> np.uint64(24)))
        if len(key):
            key = key[np.r_[True, key[1:] != key[:-1]]]
        shingle_counts[i:j] = np.bincount(
            (key >> np.uint64(40)).astype(np.int64), minlength=len(parts)
        )
        sig[i:j] = _one_permutation_minhash(key, len(parts), params)
        i = j
    return word_counts, shingle_counts, sig


def _band_hash(values: np.ndarray, band: int) -> np.ndarray:
    """(n,) uint64: one band's (n, rows) signature values combined and mixed, salted by
    the band's index."""
    acc = np.full(values.shape[0], band, dtype=np.uint64)
    for j in range(values.shape[1]):
        acc = acc * np.uint64(0x9E3779B97F4A7C15) + values[:, j].astype(np.uint64)
    return _mix64(acc)


# ------------------------------------------------------------------------------------------
# Per batch: signatures
# ------------------------------------------------------------------------------------------


def _filled_metadata(d: Document) -> int:
    """How many of the metadata fields the canonical tie-break looks at are filled."""
    return sum(
        bool(v) for v in (d.title, d.outlet, d.authors, d.agencies, d.published_date, d.dateline)
    )


def signature_table(docs: list[Document], params: SyndicationParams = DEFAULT_PARAMS) -> pa.Table:
    """Compact per-doc MinHash signatures for one batch (~0.6 KB a doc)."""
    bodies = [d.body for d in docs]
    word_counts, shingle_counts, sig = _signatures(bodies, params)
    dates: list[date | None] = [d.published_date for d in docs]
    return pa.table(
        {
            "doc_id": pa.array([d.doc_id for d in docs], pa.string()),
            "body_words": pa.array(word_counts, pa.int32()),
            "body_chars": pa.array([len(b) for b in bodies], pa.int32()),
            "shingles": pa.array(shingle_counts, pa.int32()),
            "signature": pa.FixedSizeListArray.from_arrays(
                pa.array(sig.ravel(), pa.uint32()), params.num_perm
            ),
            "published_date": pa.array(dates, pa.date32()),
            "metadata_filled": pa.array([_filled_metadata(d) for d in docs], pa.int8()),
            "outlet": pa.array([d.outlet for d in docs], pa.string()),
        }
    )


# ------------------------------------------------------------------------------------------
# Global: candidate pairs, verification, components, canonical
# ------------------------------------------------------------------------------------------


def _signature_matrix(signatures: pa.Table) -> np.ndarray:
    """The signatures as an (n, num_perm) matrix: a view when the column is one chunk
    (Arrow's combine_chunks copies even then: two copies of 0.5 GB at a million documents)."""
    col = signatures.column("signature")
    arr = col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
    width = arr.type.list_size
    return arr.flatten().to_numpy(zero_copy_only=False).reshape(len(arr), width)


def candidate_pairs(signatures: pa.Table, params: SyndicationParams = DEFAULT_PARAMS) -> np.ndarray:
    """(m, 2) int64 row pairs (i < j) sharing at least one band.

    A sort-based group-by, one band index at a time: memory stays at a few arrays of one
    value per document (a million documents: tens of MB), where sorting all bands at once
    needed several GB. Buckets larger than `max_bucket` only pair their members with the
    bucket's first row (a star keeps them connected). Arrays only, so the same steps can
    run partitioned or out of core.
    """
    empty = np.empty((0, 2), dtype=np.int64)
    words = signatures.column("body_words").to_numpy()
    rows = np.flatnonzero(words >= params.min_words)  # eligible documents
    if len(rows) == 0:
        return empty
    sig = _signature_matrix(signatures)
    n = np.int64(signatures.num_rows)
    # identical signatures (mass-copied bodies): each joins its group's first row directly,
    # and only the first rows go through LSH. A group of k copies then costs k - 1 pairs,
    # not k^2 / 2 in each of the bands (at a million documents, GBs of pairs); clusters are
    # the same, since a copy is exactly as similar to anything as its group's first row.
    rows, copies = _split_identical(sig, rows, n)
    r = params.rows
    codes = copies
    for b in range(params.bands):
        # distinct pairs so far: memory follows the pairs found, not pairs times bands
        codes = np.union1d(codes, _bucket_pairs(_band_hash(sig[rows, b * r:(b + 1) * r], b),
                                                rows, n, params.max_bucket))
    return np.stack([codes // n, codes % n], axis=1)


def _split_identical(sig: np.ndarray, rows: np.ndarray, n: np.int64
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(first row of each group of identical signatures, pair codes first * n + copy)."""
    key = np.zeros(len(rows), dtype=np.uint64)
    for j in range(sig.shape[1]):  # column by column: no copy of the matrix
        key = key * np.uint64(0x9E3779B97F4A7C15) + sig[rows, j].astype(np.uint64)
    order = np.argsort(_mix64(key), kind="stable")
    k, sorted_rows = key[order], rows[order]
    new = np.r_[True, k[1:] != k[:-1]]
    first = sorted_rows[new][np.cumsum(new) - 1]
    cand = np.flatnonzero(~new)
    same = np.zeros(len(rows), dtype=bool)
    for lo in range(0, len(cand), 1 << 16):  # equal hashes, equal signatures? (collisions)
        c = cand[lo:lo + (1 << 16)]
        same[c] = (sig[sorted_rows[c]] == sig[first[c]]).all(axis=1)
    reps = np.sort(sorted_rows[~same])
    return reps, np.sort(first[same] * n + sorted_rows[same])


def _bucket_pairs(keys: np.ndarray, rows: np.ndarray, n: np.int64, max_bucket: int) -> np.ndarray:
    """Pairs of rows with equal keys, encoded lo * n + hi (lo < hi)."""
    order = np.argsort(keys, kind="stable")  # stable: rows stay in run order in a bucket
    key_h, rows_sorted = keys[order], rows[order]
    new = np.r_[True, key_h[1:] != key_h[:-1]]
    run_start = np.flatnonzero(new)
    run_size = np.diff(np.r_[run_start, len(key_h)])
    keep = run_size >= 2
    run_start, run_size = run_start[keep], run_size[keep]
    if len(run_start) == 0:
        return np.empty(0, dtype=np.int64)
    # per element of each multi-member run: how many later members it pairs with
    member_run = np.repeat(np.arange(len(run_start)), run_size)
    pos = np.arange(len(member_run)) - np.repeat(np.cumsum(run_size) - run_size, run_size)
    size = run_size[member_run]
    n_pairs = np.where(size <= max_bucket, size - 1 - pos, np.where(pos == 0, size - 1, 0))
    left = np.repeat(run_start[member_run] + pos, n_pairs)
    step = np.arange(n_pairs.sum()) - np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs)
    a, b = rows_sorted[left], rows_sorted[left + 1 + step]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keep = lo != hi
    return lo[keep] * n + hi[keep]


def estimate_similarity(
    sig: np.ndarray, shingles: np.ndarray, pairs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Estimated Jaccard and containment (smaller in larger) for row pairs, in chunks."""
    jac = np.empty(len(pairs), dtype=np.float64)
    step = 1 << 16
    for s in range(0, len(pairs), step):
        p = pairs[s : s + step]
        jac[s : s + step] = (sig[p[:, 0]] == sig[p[:, 1]]).mean(axis=1)
    sa = shingles[pairs[:, 0]].astype(np.float64)
    sb = shingles[pairs[:, 1]].astype(np.float64)
    small = np.maximum(np.minimum(sa, sb), 1.0)
    cont = np.minimum(jac * (sa + sb) / ((1.0 + jac) * small), 1.0)
    return jac, cont


def _accept(
    jac: np.ndarray, cont: np.ndarray, ratio: np.ndarray, params: SyndicationParams
) -> np.ndarray:
    """A pair is a copy if near-equal, or if the smaller is mostly inside the larger."""
    contained = (
        (cont >= params.containment_threshold)
        & (jac >= params.jaccard_floor)
        & (ratio >= params.min_size_ratio)
    )
    return (jac >= params.jaccard_threshold) | contained


def connected_components(n: int, edges: np.ndarray) -> np.ndarray:
    """Smallest row index of each row's component (union-find done as array passes)."""
    labels = np.arange(n, dtype=np.int64)
    if len(edges) == 0:
        return labels
    u, v = edges[:, 0], edges[:, 1]
    while True:
        m = np.minimum(labels[u], labels[v])
        before = labels.copy()
        np.minimum.at(labels, u, m)
        np.minimum.at(labels, v, m)
        while True:  # pointer jumping: follow labels to their roots
            nxt = labels[labels]
            if np.array_equal(nxt, labels):
                break
            labels = nxt
        if np.array_equal(labels, before):
            return labels


def cluster(signatures: pa.Table, params: SyndicationParams = DEFAULT_PARAMS) -> pa.Table:
    """One row per doc: doc_id, cluster_id, is_canonical, duplicate_of, similarity, method."""
    n = signatures.num_rows
    sig = _signature_matrix(signatures)
    shingles = signatures.column("shingles").to_numpy(zero_copy_only=False).astype(np.int64)
    pairs = candidate_pairs(signatures, params)
    if len(pairs):
        jac, cont = estimate_similarity(sig, shingles, pairs)
        sa, sb = shingles[pairs[:, 0]], shingles[pairs[:, 1]]
        ratio = np.minimum(sa, sb) / np.maximum(np.maximum(sa, sb), 1)
        edges = pairs[_accept(jac, cont, ratio, params)]
    else:
        edges = pairs
    comp = connected_components(n, edges)

    # canonical: most shingles, earliest date (nulls last), most metadata, smallest doc_id
    ids = signatures.column("doc_id").to_numpy(zero_copy_only=False).astype(object)
    id_rank = np.argsort(np.argsort(ids, kind="stable"), kind="stable")
    dates = signatures.column("published_date").cast(pa.int32()).fill_null(2**31 - 1)
    date_key = dates.to_numpy(zero_copy_only=False).astype(np.int64)
    meta = signatures.column("metadata_filled").fill_null(0).to_numpy(zero_copy_only=False)
    order = np.lexsort((id_rank, -meta.astype(np.int64), date_key, -shingles, comp))
    first = np.r_[True, comp[order][1:] != comp[order][:-1]][:n]
    canon_of_comp = np.empty(n, dtype=np.int64)
    canon_of_comp[comp[order][first]] = order[first]
    canon = canon_of_comp[comp]
    is_canon = canon == np.arange(n)

    members = np.flatnonzero(~is_canon)
    sim = np.full(n, np.nan)
    if len(members):
        _, c = estimate_similarity(sig, shingles, np.stack([members, canon[members]], axis=1))
        sim[members] = np.round(c, 4)
    canon_ids = pa.array(ids[canon], pa.string())
    return pa.table(
        {
            "doc_id": signatures.column("doc_id"),
            "cluster_id": canon_ids,
            "is_canonical": pa.array(is_canon),
            "duplicate_of": pc.if_else(pa.array(is_canon), pa.scalar(None, pa.string()), canon_ids),
            "similarity": pa.array(sim, pa.float64(), mask=is_canon),
            "similarity_method": pa.array(
                np.where(is_canon, None, SIMILARITY_METHOD).tolist(), pa.string()
            ),
        }
    )


def clusters_table(assignments: pa.Table, facts: pa.Table) -> pa.Table:
    """One row per cluster: id, size, canonical, members, their outlets and dates.

    `facts` has doc_id, outlet and published_date per document (the signature table has
    them). Member lists are in doc_id order; member_outlets and member_dates follow it.
    """
    t = assignments.select(["doc_id", "cluster_id"])
    idx = pc.index_in(t.column("doc_id"), value_set=facts.column("doc_id"))
    t = t.append_column("outlet", facts.column("outlet").take(idx))
    t = t.append_column("published_date", facts.column("published_date").take(idx))
    t = t.sort_by([("cluster_id", "ascending"), ("doc_id", "ascending")])
    g = t.group_by("cluster_id", use_threads=False).aggregate([
        ("doc_id", "count"), ("doc_id", "list"), ("outlet", "list"),
        ("outlet", "distinct", pc.CountOptions(mode="only_valid")),
        ("published_date", "list"), ("published_date", "min"),
    ])
    return pa.table({
        "cluster_id": g.column("cluster_id"),
        "size": g.column("doc_id_count").cast(pa.int32()),
        "canonical_doc_id": g.column("cluster_id"),
        "members": g.column("doc_id_list"),
        "outlets": g.column("outlet_distinct"),
        "first_published": g.column("published_date_min"),
        "member_outlets": g.column("outlet_list"),
        "member_dates": g.column("published_date_list"),
    }).sort_by("cluster_id")


# ------------------------------------------------------------------------------------------
# Passages
# ------------------------------------------------------------------------------------------


def passage_fingerprint(text: str) -> int:
    """xxh3 of the paragraph's normalised words: case, punctuation and spacing don't count."""
    return _words_fingerprint(tokens(text))


def _words_fingerprint(words: list[bytes]) -> int:
    return xxhash.xxh3_64_intdigest(b" ".join(words))


def passage_table(docs: list[Document], params: SyndicationParams = DEFAULT_PARAMS) -> pa.Table:
    """Per batch: doc_id, position, fingerprint of each body block long enough to matter."""
    ids: list[str] = []
    positions: list[int] = []
    prints: list[int] = []
    for d in docs:
        for b in d.blocks:
            if b.role != "body":
                continue
            words = tokens(b.text)
            if len(words) < params.passage_min_words:
                continue
            ids.append(d.doc_id)
            positions.append(b.position)
            prints.append(_words_fingerprint(words))
    return pa.table(
        {
            "doc_id": pa.array(ids, pa.string()),
            "position": pa.array(positions, pa.int32()),
            "fingerprint": pa.array(prints, pa.uint64()),
        }
    )


def passage_stats(passages: pa.Table, assignments: pa.Table) -> pa.Table:
    """Per (doc_id, position): fingerprint, passage_other_stories, passage_first_doc.

    `passages` is all batches' passage tables concatenated in run order: the first row
    with a fingerprint names `passage_first_doc`. Docs missing from `assignments` count
    as their own cluster. 32-bit codes and one sort (about 40 bytes a passage at the
    peak): Arrow joins over string keys needed ten times that, GBs at a million documents.
    Both doc_id columns are dictionary-encoded (a document's id is stored once, not once
    per paragraph and again per paragraph that cites it).
    """
    n = passages.num_rows
    # encoded chunk by chunk against one dictionary: no run-wide copy of the id strings
    doc_ids = pc.dictionary_encode(
        pa.chunked_array(passages.column("doc_id").chunks, pa.string())).combine_chunks()
    own = doc_ids.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    found = pc.index_in(doc_ids.dictionary, value_set=assignments.column("doc_id"))
    found = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)[own]
    clusters = pc.dictionary_encode(assignments.column("cluster_id").combine_chunks())
    cluster_code = np.r_[clusters.indices.to_numpy(zero_copy_only=False), 0].astype(np.int32)
    code = np.where(found >= 0, cluster_code[found], np.int32(len(clusters.dictionary)) + own)
    del found
    prints = passages.column("fingerprint").combine_chunks()  # a copy, as position below
    fingerprint = prints.to_numpy()
    order = np.lexsort((code, fingerprint))  # by fingerprint, then cluster
    fp, cl = fingerprint[order], code[order]
    del code
    new_fp = np.r_[True, fp[1:] != fp[:-1]][:n]
    new_pair = new_fp | np.r_[True, cl[1:] != cl[:-1]][:n]
    del fp, cl
    group = (np.cumsum(new_fp) - 1).astype(np.int32)
    distinct = np.bincount(group[new_pair], minlength=int(new_fp.sum())).astype(np.int32)
    first_row = np.minimum.reduceat(order, np.flatnonzero(new_fp)) if n else order
    row_group = np.empty(n, dtype=np.int32)
    row_group[order] = group
    del order, group, new_fp, new_pair
    first_doc = own[first_row[row_group]]
    return pa.table(
        {  # new arrays only: columns of `passages` may share buffers with what it drops
            "doc_id": doc_ids,
            "position": passages.column("position").combine_chunks(),
            "fingerprint": prints,
            "passage_other_stories": pa.array(distinct[row_group] - 1),
            "passage_first_doc": pa.DictionaryArray.from_arrays(first_doc, doc_ids.dictionary),
        }
    )


def cluster_incremental(
    old: pa.Table, old_assign: pa.Table, new: pa.Table, params: SyndicationParams = DEFAULT_PARAMS
) -> pa.Table:
    """Assign new documents to the clusters of an earlier version, or to new clusters.

    Published clusters stay as they are (their ids, canonicals and members never change);
    only pairs with at least one new document are verified. A group of new documents
    linked to each other joins the published cluster of its most similar published copy;
    a group with no published copy becomes a cluster of its own, with its canonical chosen
    by the usual policy. Returns rows for the new documents only (`cluster`'s columns).
    """
    n_old, n_new = old.num_rows, new.num_rows
    if n_new == 0 or n_old == 0:
        return cluster(new, params)
    both = pa.concat_tables([old.select(new.column_names), new])
    sig = _signature_matrix(both)
    shingles = both.column("shingles").to_numpy(zero_copy_only=False).astype(np.int64)
    pairs = candidate_pairs(both, params)
    pairs = pairs[pairs[:, 1] >= n_old]  # i < j: at least one new document
    edges, jac = np.empty((0, 2), np.int64), np.empty(0)
    if len(pairs):
        j, c = estimate_similarity(sig, shingles, pairs)
        sa, sb = shingles[pairs[:, 0]], shingles[pairs[:, 1]]
        ratio = np.minimum(sa, sb) / np.maximum(np.maximum(sa, sb), 1)
        ok = _accept(j, c, ratio, params)
        edges, jac = pairs[ok], j[ok]
    to_old = edges[:, 0] < n_old
    comp = connected_components(n_new, edges[~to_old] - n_old)  # groups of new documents

    # each group's best link to a published document decides its published cluster
    old_cluster = _lookup_column(old_assign, old.column("doc_id"), "cluster_id")
    link_old = np.full(n_new, -1, dtype=np.int64)
    link_jac = np.full(n_new, -1.0)
    for (i, k), s in zip(edges[to_old], jac[to_old], strict=True):
        g = comp[k - n_old]
        if s > link_jac[g]:
            link_jac[g], link_old[g] = s, i
    joined = link_old[comp] >= 0

    rest = cluster(new.filter(pa.array(~joined)), params)
    if not joined.any():
        return rest
    members = np.flatnonzero(joined)
    cluster_ids = old_cluster[link_old[comp[members]]]
    canon_row = _lookup_rows(old.column("doc_id"), cluster_ids)
    _, cont = estimate_similarity(sig, shingles, np.stack([members + n_old, canon_row], axis=1))
    ids = pa.array(cluster_ids.tolist(), pa.string())
    attached = pa.table(
        {
            "doc_id": new.column("doc_id").take(pa.array(members)),
            "cluster_id": ids,
            "is_canonical": pa.array(np.zeros(len(members), dtype=bool)),
            "duplicate_of": ids,
            "similarity": pa.array(np.round(cont, 4), pa.float64()),
            "similarity_method": pa.array([SIMILARITY_METHOD] * len(members), pa.string()),
        }
    )
    return pa.concat_tables([rest, attached.cast(rest.schema)])


def _lookup_column(table: pa.Table, doc_ids: pa.ChunkedArray, column: str) -> np.ndarray:
    """table[column] for each doc_id, as a numpy object array."""
    idx = pc.index_in(doc_ids, value_set=table.column("doc_id"))
    return table.column(column).take(idx).to_numpy(zero_copy_only=False).astype(object)


def _lookup_rows(doc_ids: pa.ChunkedArray, wanted: np.ndarray) -> np.ndarray:
    """Row index in doc_ids of each wanted doc_id."""
    idx = pc.index_in(pa.array(wanted.tolist(), pa.string()), value_set=doc_ids)
    return idx.to_numpy(zero_copy_only=False).astype(np.int64)
