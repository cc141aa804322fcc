"""Quality tasks: thin, idempotent, ids only, named ``quality.*`` (queue ``default``)."""
