"""Writing and comparing output trees: rendering, the transaction that swaps trees in, the checkout lock,
which folders may be replaced, and the drift comparison."""
