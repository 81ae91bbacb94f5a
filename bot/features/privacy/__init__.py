"""A person's data-protection rights: the retention schedule, disposal and erasure."""
