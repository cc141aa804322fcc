"""Domain events quality reacts to (registered in QualityConfig.ready())."""
