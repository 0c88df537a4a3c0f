"""People's review: decisions on codings, and the front ends that make them
(the terminal loop, spreadsheets), all over one review queue."""
