"""coding: deductive coding of group interviews against a codebook of needs.

The data flows one way, and each stage is a module named for what it holds:

    transcripts -> segments -> codings -> store -> tables / evaluation

`coding.pipeline.tag` runs the first four; `coding.tables` and
`coding.evaluation` read the store. `coding.cli` is a thin layer over these.
"""

__version__ = "0.2.0"
