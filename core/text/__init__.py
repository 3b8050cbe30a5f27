"""Text generation: tokenizers, corpora, generation and rewards for the `sequence` kind."""
