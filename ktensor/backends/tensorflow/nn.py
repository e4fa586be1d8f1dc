"""TensorFlow's fused neural-network kernels: convolutions and pooling (``tf.nn``).

The operations of :mod:`ktensor.ops.nn.conv` and :mod:`ktensor.ops.nn.pooling` use these
only while their composition is intact (``Core._fused_kernel``) and where the kernel can
do what was asked; they take and return TensorFlow symbols, channels last.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import tensorflow as tf

Native = Any


class NNKernels:
    """Fused ``tf.nn`` kernels, mixed into ``TensorFlowBackend``."""

    if TYPE_CHECKING:

        def _building(self) -> contextlib.AbstractContextManager[Any]: ...

    def native_conv(
        self, x: Native, kernel: Native, strides: Sequence[int], padding: str, dilations: Sequence[int]
    ) -> Native:
        """``tf.nn.convolution`` (1-3 spatial axes, channels last; ``padding`` valid/same)."""
        with self._building():
            return tf.nn.convolution(
                x, kernel, strides=list(strides), padding=padding.upper(), dilations=list(dilations)
            )

    def native_conv_transpose(
        self, x: Native, kernel: Native, spatial: Sequence[int], strides: Sequence[int], padding: str
    ) -> Native:
        """``tf.nn.conv_transpose`` to ``(batch of x, *spatial, kernel.shape[-2])``."""
        with self._building():
            batch = tf.shape(x, out_type=tf.int32)[:1]
            rest = tf.constant([*spatial, int(kernel.shape[-2])], tf.int32)
            shape = tf.concat([batch, rest], 0)
            return tf.nn.conv_transpose(x, kernel, shape, strides=[1, *strides, 1], padding=padding.upper())

    def native_depthwise_conv(
        self, x: Native, kernel: Native, strides: Sequence[int], padding: str, dilations: Sequence[int]
    ) -> Native:
        """``tf.nn.depthwise_conv2d`` (equal strides; not with strides and dilation both > 1)."""
        with self._building():
            return tf.nn.depthwise_conv2d(x, kernel, [1, *strides, 1], padding.upper(), dilations=list(dilations))

    def native_pool(
        self, x: Native, pool_size: Sequence[int], strides: Sequence[int], padding: str, mode: str
    ) -> Native:
        """``tf.nn.max_pool`` / ``tf.nn.avg_pool`` (the average counts only real elements)."""
        with self._building():
            pool = tf.nn.max_pool if mode == "max" else tf.nn.avg_pool
            return pool(x, list(pool_size), list(strides), padding.upper())

    def native_relu(self, x: Native) -> Native:
        """``tf.nn.relu``: one ``Relu`` kernel (and ``ReluGrad``), not a ``Maximum`` and a select."""
        with self._building():
            return tf.nn.relu(x)

    def native_bias_add(self, x: Native, bias: Native, channels_first: bool) -> Native:
        """``tf.nn.bias_add`` of a 1-D bias (``BiasAdd`` and ``BiasAddGrad``)."""
        with self._building():
            return tf.nn.bias_add(x, bias, data_format="NC..." if channels_first else "N...C")
