"""A session: the loop where the coach meets a listener, a speaker, a journal and a clock."""
