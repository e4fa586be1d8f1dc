"""Connectionist temporal classification: ``ctc_batch_cost`` and ``ctc_decode``.

Keras 2's meaning: ``y_pred`` holds softmax outputs ``(batch, time, classes)`` with the
blank as the LAST class, and both operations work on ``log(y_pred + epsilon)`` as Keras 2
does before it calls TensorFlow's kernels. Both are built from ktensor operations
through ``self``, with one ``native_scan`` over time, so they give the same results on
both engines; ``ctc_batch_cost`` is differentiable.

Examples:
    >>> loss = kt.ctc_batch_cost([[0]], [[[0.5, 0.5]]], [[1]], [[1]])
    >>> loss.shape
    (1, 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ktensor import config, dtypes, shapes
from ktensor.backends.core import Core, Native
from ktensor.ops.declare import KitCase, operation
from ktensor.tensor import Operand, Tensor

#: Stands for log(0) in the recursions: finite, so that no ``-inf - -inf`` makes a NaN.
_NEG = -1e30
#: Below this a log-probability is "impossible" (a sum of ``_NEG`` and real logs).
_DEAD = -1e29
#: The two moduli and multipliers of the prefix hashes of the beam search.
_HASHES = ((2147483647, 1000003), (2147483629, 8191))


# -- NumPy references -------------------------------------------------------------------
def _np_log_probs(y_pred: np.ndarray) -> np.ndarray:
    logits = np.log(y_pred.astype(np.float64) + config.epsilon())
    m = logits.max(-1, keepdims=True)
    return logits - m - np.log(np.exp(logits - m).sum(-1, keepdims=True))


def _ctc_batch_cost(y_true: Any, y_pred: Any, input_length: Any, label_length: Any) -> np.ndarray:
    """The CTC loss by the forward algorithm in NumPy (float64 inside)."""
    y_pred = np.asarray(y_pred)
    out = np.result_type(np.exp(y_pred.flat[:1]))
    lp = _np_log_probs(y_pred)
    blank = lp.shape[-1] - 1
    labels = np.asarray(y_true).astype(np.int64)
    lengths = np.asarray(input_length).reshape(-1).astype(np.int64)
    counts = np.asarray(label_length).reshape(-1).astype(np.int64)
    losses = []
    for b in range(lp.shape[0]):
        ext = [blank]
        for c in labels[b, : counts[b]]:
            ext += [int(c), blank]
        alpha = np.full(len(ext), -np.inf)
        alpha[0] = 0.0
        for t in range(lengths[b]):
            new = np.full(len(ext), -np.inf)
            for s in range(len(ext)):
                terms = [alpha[s]] + ([alpha[s - 1]] if s >= 1 else [])
                if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                    terms.append(alpha[s - 2])
                new[s] = np.logaddexp.reduce(terms) + lp[b, t, ext[s]]
            alpha = new
        total = np.logaddexp.reduce(alpha[-2:]) if len(ext) > 1 else alpha[0]
        losses.append(-total)
    return np.asarray(losses, dtype=np.float64).reshape(-1, 1).astype(out)


_KIT_LABELS = np.array([[0, 1, 1], [1, 0, 0]])
_KIT_INPUT = np.array([[4], [3]])
_KIT_LABEL_LEN = np.array([[3], [1]])


class CTCOps(Core):
    """CTC loss and decoding."""

    def _ctc_log_probs(self, op: str, y_pred: Operand) -> tuple[Tensor, str, int]:
        p = self._tensor(y_pred, f"{op} y_pred")
        if p.ndim != 3:
            raise ValueError(
                f"ktensor: {op}: y_pred must be 3-D (batch, time, classes); received shape {shapes.describe(p.shape)}"
            )
        classes = p.shape[2]
        if classes is None or classes < 1:
            raise ValueError(
                f"ktensor: {op}: y_pred must have a known number of classes (the last one the blank); "
                f"received shape {shapes.describe(p.shape)}"
            )
        out = dtypes.FLOATING(p.dtype)
        p = self.astype(p, dtypes.compute_dtype(out))
        return self.log(self.add(p, config.epsilon())), out, classes

    def _lengths(self, op: str, value: Operand, argument: str) -> Tensor:
        t = self._tensor(value, f"{op} {argument}")
        if not dtypes.is_integer(t.dtype) and not dtypes.is_float(t.dtype):
            raise TypeError(f"ktensor: {op}: {argument} must hold integer lengths; received dtype {t.dtype}")
        if t.ndim not in (1, 2) or (t.ndim == 2 and t.shape[1] not in (1, None)):
            raise ValueError(
                f"ktensor: {op}: {argument} must have shape (batch, 1) or (batch,); received {shapes.describe(t.shape)}"
            )
        return self.astype(self.reshape(t, (-1,)), "int64")

    def _time_index(self, like: Tensor) -> Tensor:
        """0, 1, ... along axis 0 of ``like`` (of unknown length too), int64."""
        ones = self.ones_like(self.getitem(like, (slice(None),) + (0,) * (like.ndim - 1)), dtype="int64")
        return self.subtract(self.cumsum(ones, axis=0), 1)

    @operation(
        method=False,
        dtype=dtypes.FLOATING,
        reference=_ctc_batch_cost,
        kit=(
            KitCase(leading=(_KIT_LABELS,), args=(_KIT_INPUT, _KIT_LABEL_LEN), dtypes=("float32", "float64"),
                    shapes=((2, 4, 3),), values="positive", grad=True,
                    label="kt.ctc_batch_cost(labels, t, input_length, label_length)"),
        ),
    )
    def ctc_batch_cost(self, y_true: Operand, y_pred: Operand, input_length: Operand, label_length: Operand) -> Tensor:
        """The CTC loss (negative log likelihood) of each batch entry, shape ``(batch, 1)``.

        ``y_true`` ``(batch, max_label_length)`` holds integer labels (entries past
        ``label_length`` ignored), ``y_pred`` ``(batch, time, classes)`` softmax outputs
        with the blank as the last class, ``input_length`` and ``label_length``
        ``(batch, 1)`` the lengths used. As Keras 2 with ``tf.nn.ctc_loss``: the log-softmax
        of ``log(y_pred + epsilon)`` is scored by the forward algorithm (repeated labels
        need a blank between them); a label sequence that cannot fit ``input_length``
        gives ``inf``. Gradients flow to ``y_pred``.

        Examples:
            >>> kt.ctc_batch_cost([[0]], [[[0.5, 0.5]]], [[1]], [[1]]).eval()
            array([[0.69314718]])
        """
        op = "ctc_batch_cost"
        lp, out, classes = self._ctc_log_probs(op, y_pred)
        lp = self.log_softmax(lp, axis=-1)
        work = lp.dtype
        labels = self._tensor(y_true, f"{op} y_true")
        if not dtypes.is_integer(labels.dtype) and not dtypes.is_float(labels.dtype):
            raise TypeError(f"ktensor: {op}: y_true must hold integer labels; received dtype {labels.dtype}")
        if labels.ndim != 2 or labels.shape[1] is None:
            raise ValueError(
                f"ktensor: {op}: y_true must be 2-D (batch, max_label_length) with a known label length; "
                f"received shape {shapes.describe(labels.shape)}"
            )
        width = int(labels.shape[1])
        labels = self.astype(labels, "int64")
        steps = self._lengths(op, input_length, "input_length")
        counts = self._lengths(op, label_length, "label_length")
        blank = classes - 1
        # The extended labels: blank, l1, blank, l2, ..., blank; (batch, 2 * width + 1).
        blanks = self.full_like(labels, blank)
        ext = self.reshape(self.stack([blanks, labels], axis=-1), (-1, 2 * width))
        ext = self.concatenate([ext, self.getitem(blanks, (slice(None), slice(0, 1)))], axis=1)
        size = 2 * width + 1
        head = self.getitem(ext, (slice(None), slice(0, 1)))
        before = self.concatenate([head, head, self.getitem(ext, (slice(None), slice(None, -2)))], axis=1)
        skip = self.not_equal(ext, before)
        # Emission log-probabilities of each extended label at each time: (time, batch, size).
        hot = self.astype(self.one_hot(ext, classes), work)
        emit = self.transpose(self.matmul(lp, self.transpose(hot, (0, 2, 1))), (1, 0, 2))
        first = self.equal(self.arange(size, dtype="int64"), 0)
        alpha0 = self.where(first, self.zeros_like(self.getitem(emit, 0)), _NEG)
        times = self._time_index(emit)
        # Passed into the loop, not closed over: which steps run, and the skip penalty.
        live = self.astype(self.less(self.expand_dims(times, -1), self.expand_dims(steps, 0)), work)
        penalty = self.where(skip, self.zeros_like(alpha0), _NEG)
        used: list[Tensor] = []

        def step(items: list[Native], states: list[Native]) -> tuple[list[Native], list[Native]]:
            e = self._wrap(items[0], work, emit.shape[1:])
            run = self._wrap(items[1], work, live.shape[1:])
            alpha = self._wrap(states[0], work, alpha0.shape)
            pen = self._wrap(states[1], work, alpha0.shape)
            neg_column = self.full_like(self.getitem(alpha, (slice(None), slice(0, 1))), _NEG)
            one = self.concatenate([neg_column, self.getitem(alpha, (slice(None), slice(None, -1)))], axis=1)
            two = self.concatenate([neg_column, neg_column, self.getitem(alpha, (slice(None), slice(None, -2)))], axis=1)
            two = self.add(two, pen)
            # Pairwise logaddexp: a logsumexp over a stack here breaks the loop's gradient on
            # both engines (NaN on PyTensor, a while_grad error on TensorFlow).
            new = self.add(self.logaddexp(self.logaddexp(alpha, one), two), e)
            new = self.where(self.greater(self.expand_dims(run, -1), 0), new, alpha)
            used.append(new)
            return [], [new.native, pen.native]

        _, (final, _) = self.native_scan(step, [emit.native, live.native], [alpha0.native, penalty.native], False)
        alpha = self._wrap(final, work, alpha0.shape, self._placeholders(alpha0, live, penalty, *used[-1:]))
        last = self.multiply(counts, 2)
        pick_last = self.sum(self.where(self.astype(self.one_hot(last, size), "bool"), alpha, 0), axis=1)
        pick_prev = self.sum(self.where(self.astype(self.one_hot(self.subtract(last, 1), size), "bool"), alpha, 0), axis=1)
        pick_prev = self.where(self.greater(counts, 0), pick_prev, _NEG)
        likelihood = self.logaddexp(pick_last, pick_prev)
        loss = self.where(self.less(likelihood, _DEAD), np.inf, self.negative(likelihood))
        return self.astype(self.expand_dims(loss, 1), out)

    @operation(
        method=False,
        kit_exempt="returns a list of decoded tensors and their log probabilities; tested in tests/test_nn_losses.py",
    )
    def ctc_decode(
        self,
        y_pred: Operand,
        input_length: Operand,
        greedy: bool = True,
        beam_width: int = 100,
        top_paths: int = 1,
        merge_repeated: bool = False,
    ) -> tuple[list[Tensor], Tensor]:
        """Decode softmax outputs: ``(decoded, log_probabilities)`` as Keras 2.

        ``y_pred`` is ``(batch, time, classes)`` with the blank last, ``input_length``
        ``(batch,)`` (or ``(batch, 1)``). ``decoded`` is a list of ``top_paths`` int64
        tensors ``(batch, max_decoded_length)`` padded with -1.

        * ``greedy=True`` (``tf.nn.ctc_greedy_decoder``): the most likely class at each
          step, repeats merged, blanks dropped; ``log_probabilities`` ``(batch, 1)`` is, as
          TensorFlow gives it, the NEGATIVE sum of the best log-probabilities.
        * ``greedy=False`` (``tf.nn.ctc_beam_search_decoder``): prefix beam search with
          ``beam_width`` beams over the log-softmax of the inputs; ``log_probabilities``
          ``(batch, top_paths)`` the beams' log-probabilities, best first. The beam keeps
          the ``beam_width`` prefixes of highest total probability at every step (exact
          when it holds every prefix); TensorFlow's kernel can drop a prefix's own mass
          when one step pushes it out of the beam and back in, so on rare inputs its
          lower beams differ slightly. Costs ``O(batch * beam_width**2)`` per step.
          ``merge_repeated=True`` also merges repeated labels of the paths found (Keras
          2's argument, off by default).

        Examples:
            >>> decoded, logp = kt.ctc_decode([[[0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.7, 0.2, 0.1]]], [3])
            >>> decoded[0].eval()
            array([[1, 0]])
        """
        op = "ctc_decode"
        lp, out, classes = self._ctc_log_probs(op, y_pred)
        steps = self._lengths(op, input_length, "input_length")
        if not isinstance(greedy, (bool, np.bool_)):
            raise TypeError(f"ktensor: {op}: greedy must be a bool; received {greedy!r}")
        if greedy:
            decoded, logp = self._greedy_decode(lp, steps, classes)
            return [decoded], self.astype(logp, out)
        for argument, value in (("beam_width", beam_width), ("top_paths", top_paths)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"ktensor: {op}: {argument} must be an int of at least 1; received {value!r}")
        if top_paths > beam_width:
            raise ValueError(
                f"ktensor: {op}: top_paths must be at most beam_width ({beam_width}); received top_paths={top_paths}"
            )
        paths, logp = self._beam_decode(self.log_softmax(lp, axis=-1), steps, classes, int(beam_width), int(top_paths), bool(merge_repeated))
        return paths, self.astype(logp, out)

    def _dense(self, labels: Tensor, keep: Tensor) -> Tensor:
        """The kept ``labels`` ``(batch, time)`` moved to the front of each row, padded
        with -1, cut to the longest row."""
        pos = self.subtract(self.cumsum(self.astype(keep, "int64"), axis=1), 1)
        slots = self._time_index(self.transpose(labels, (1, 0)))
        # at[b, t, j]: the label at step t is the j-th one kept.
        at = self.logical_and(self.expand_dims(keep, -1), self.equal(self.expand_dims(pos, -1), slots))
        dense = self.sum(self.where(at, self.expand_dims(self.add(labels, 1), -1), 0), axis=1)
        dense = self.subtract(dense, 1)
        longest = self.max(self.sum(self.astype(keep, "int64"), axis=1))
        return self.getitem(dense, (slice(None), self.less(slots, longest)))

    def _greedy_decode(self, lp: Tensor, steps: Tensor, classes: int) -> tuple[Tensor, Tensor]:
        best = self.argmax(lp, axis=-1)
        top = self.max(lp, axis=-1)
        times = self._time_index(self.transpose(best, (1, 0)))
        valid = self.less(self.expand_dims(times, 0), self.expand_dims(steps, -1))
        earlier = self.concatenate([self.full_like(self.getitem(best, (slice(None), slice(0, 1))), -1), self.getitem(best, (slice(None), slice(None, -1)))], axis=1)
        keep = self.logical_and(valid, self.logical_and(self.not_equal(best, classes - 1), self.not_equal(best, earlier)))
        logp = self.negative(self.sum(self.where(valid, top, 0), axis=1, keepdims=True))
        return self._dense(best, keep), logp

    def _beam_decode(
        self, lp: Tensor, steps: Tensor, classes: int, width: int, top_paths: int, merge: bool
    ) -> tuple[list[Tensor], Tensor]:
        work = lp.dtype
        labels_n = classes - 1  # the non-blank classes
        seq = self.transpose(lp, (1, 0, 2))  # (time, batch, classes)
        times = self._time_index(seq)
        # The beam state, (batch, width) each, and prefixes (batch, width, time) padded -1.
        zero_bw = self.zeros_like(self.getitem(lp, (slice(None), slice(0, 1), slice(0, 1))), dtype="int64")
        zero_bw = self.add(self.reshape(zero_bw, (-1, 1)), self.zeros((1, width), dtype="int64"))
        first_beam = self.equal(self.arange(width, dtype="int64"), 0)
        pb0 = self.where(first_beam, self.astype(zero_bw, work), _NEG)
        pnb0 = self.full_like(pb0, _NEG)
        time_zero = self.zeros_like(self.getitem(lp, (slice(None), slice(None), 0)), dtype="int64")
        prefix0 = self.subtract(self.add(self.expand_dims(zero_bw, -1), self.expand_dims(time_zero, 1)), 1)
        batch_index = self._time_index(zero_bw)
        state_dtypes = (work, work, "int64", "int64", "int64", "int64", "int64", "int64", "int64")
        duration = self.sum(self.ones_like(times))
        used: list[Tensor] = []

        def flat_take(x: Tensor, index: Tensor, per_batch: int) -> Tensor:
            """x (batch, per_batch) at index (batch, k) of its second axis: (batch, k)."""
            offsets = self.expand_dims(self.multiply(batch_index, per_batch), -1)
            return self.gather(self.reshape(x, (-1,)), self.add(index, offsets))

        def logadd(a: Tensor, b: Tensor) -> Tensor:
            return self.logaddexp(a, b)

        def step(items: list[Native], states: list[Native]) -> tuple[list[Native], list[Native]]:
            lp_t = self._wrap(items[0], work, seq.shape[1:])
            t = self._wrap(items[1], "int64", ())
            pb, pnb, length, last, h1, h2, p1, p2 = (
                self._wrap(n, d, None) for n, d in zip(states[:8], state_dtypes)
            )
            prefix = self._wrap(states[8], "int64", prefix0.shape)
            total = logadd(pb, pnb)
            active = self.greater(total, _DEAD)
            blank_lp = self.getitem(lp_t, (slice(None), slice(classes - 1, classes)))
            stay_pb = self.add(total, blank_lp)
            last_lp = flat_take(lp_t, self.maximum(last, 0), classes)
            stay_pnb = self.where(self.greater(length, 0), self.add(pnb, last_lp), _NEG)
            # Extensions by each non-blank label c: (batch, width, labels_n).
            same = self.equal(self.expand_dims(last, -1), self.arange(labels_n, dtype="int64"))
            base = self.where(same, self.expand_dims(pb, -1), self.expand_dims(total, -1))
            ext = self.add(base, self.expand_dims(self.getitem(lp_t, (slice(None), slice(0, labels_n))), 1))
            # A beam j whose parent prefix is beam i's prefix absorbs i's extension by j's last label.
            match = self.logical_and(
                self.logical_and(self.equal(self.expand_dims(h1, -1), self.expand_dims(p1, 1)),
                                 self.equal(self.expand_dims(h2, -1), self.expand_dims(p2, 1))),
                self.equal(self.add(self.expand_dims(length, -1), 1), self.expand_dims(length, 1)),
            )
            match = self.logical_and(match, self.logical_and(self.expand_dims(active, -1), self.expand_dims(active, 1)))
            has_parent = self.any(match, axis=1)
            parent = self.argmax(self.astype(match, "int8"), axis=1)
            key = self.add(self.multiply(parent, labels_n), self.maximum(last, 0))
            flat_ext = self.reshape(ext, (-1, width * labels_n))
            absorbed = flat_take(flat_ext, key, width * labels_n)
            stay_pnb = self.where(has_parent, logadd(stay_pnb, absorbed), stay_pnb)
            taken = self.any(
                self.logical_and(self.expand_dims(has_parent, -1),
                                 self.astype(self.one_hot(key, width * labels_n), "bool")),
                axis=1,
            )
            flat_ext = self.where(taken, 3 * _NEG, flat_ext)
            scores = self.concatenate([logadd(stay_pb, stay_pnb), flat_ext], axis=1)
            _, chosen = self.top_k(scores, width)
            from_ext = self.greater_equal(chosen, width)
            src = self.where(from_ext, self.floor_divide(self.subtract(chosen, width), labels_n), chosen)
            label = self.where(from_ext, self.mod(self.subtract(chosen, width), labels_n), -1)

            def take(x: Tensor) -> Tensor:
                return flat_take(x, src, width)

            old_len, old_last = take(length), take(last)
            old_h1, old_h2, old_p1, old_p2 = take(h1), take(h2), take(p1), take(p2)
            new_pb = self.where(from_ext, _NEG, take(stay_pb))
            ext_pnb = flat_take(flat_ext, self.maximum(self.subtract(chosen, width), 0), width * labels_n)
            new_pnb = self.where(from_ext, ext_pnb, take(stay_pnb))
            new_len = self.add(old_len, self.astype(from_ext, "int64"))
            new_last = self.where(from_ext, label, old_last)
            (m1, a1), (m2, a2) = _HASHES
            new_h1 = self.where(from_ext, self.mod(self.add(self.multiply(old_h1, a1), self.add(label, 1)), m1), old_h1)
            new_h2 = self.where(from_ext, self.mod(self.add(self.multiply(old_h2, a2), self.add(label, 1)), m2), old_h2)
            new_p1 = self.where(from_ext, old_h1, old_p1)
            new_p2 = self.where(from_ext, old_h2, old_p2)
            rows = self.add(src, self.expand_dims(self.multiply(batch_index, width), -1))
            cells = self.add(self.multiply(self.expand_dims(rows, -1), duration), times)
            old_prefix = self.gather(self.reshape(prefix, (-1,)), cells)
            write = self.logical_and(self.expand_dims(from_ext, -1),
                                     self.equal(self.expand_dims(old_len, -1), times))
            new_prefix = self.where(write, self.expand_dims(label, -1), old_prefix)
            live = self.expand_dims(self.less(t, steps), -1)
            news = [new_pb, new_pnb, new_len, new_last, new_h1, new_h2, new_p1, new_p2]
            olds = [pb, pnb, length, last, h1, h2, p1, p2]
            result = [self.where(live, n, o) for n, o in zip(news, olds)]
            result.append(self.where(self.expand_dims(live, -1), new_prefix, prefix))
            used.extend(result)
            return [], [r.native for r in result]

        init = [pb0, pnb0, zero_bw, self.subtract(zero_bw, 1), zero_bw, zero_bw,
                self.subtract(zero_bw, 1), self.subtract(zero_bw, 1), prefix0]
        _, finals = self.native_scan(step, [seq.native, times.native], [i.native for i in init], False)
        holders = self._placeholders(*init, *used[-9:])
        pb = self._wrap(finals[0], work, zero_bw.shape, holders)
        pnb = self._wrap(finals[1], work, zero_bw.shape, holders)
        prefix = self._wrap(finals[8], "int64", prefix0.shape, holders)
        total = self.logaddexp(pb, pnb)
        decoded = []
        for k in range(top_paths):
            path = self.getitem(prefix, (slice(None), k))
            keep = self.greater_equal(path, 0)
            if merge:
                earlier = self.concatenate([self.full_like(self.getitem(path, (slice(None), slice(0, 1))), -1), self.getitem(path, (slice(None), slice(None, -1)))], axis=1)
                keep = self.logical_and(keep, self.not_equal(path, earlier))
            decoded.append(self._dense(path, keep))
        return decoded, self.getitem(total, (slice(None), slice(0, top_paths)))
