"""Archive scoring (`fanzha score`): whole files on one machine, or tables on a Spark cluster,
with the same chunks, batches and results either way. See scoring/README.md."""
