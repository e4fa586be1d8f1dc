"""Neural-network operations, by family: ``activations`` (more to come: losses, convolution, pooling, recurrence)."""
