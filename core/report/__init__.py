"""Reports on runs: plain-language explanations, comparisons of stored runs, analysis of trained models."""
