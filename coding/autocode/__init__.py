"""Auto-coding: the language pipeline, segments, the fast path's candidates, and
the coders that suggest codings (today the rule coder, `rules.AutoCoder`)."""
