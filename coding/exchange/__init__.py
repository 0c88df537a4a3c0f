"""Exchange with other qualitative-analysis tools through REFI-QDA (www.qdasoftware.org).

- `qdc`: the codebook as a REFI-QDA codebook (`.qdc`), both ways.
- `qdpx`: the whole project (`.qdpx`): export the store; import another tool's codings
  as one coder's decisions, matched to our transcripts by their text.
- `project`: reads a REFI-QDA project (zip or bare `project.qde`) into plain records.
- `newtranscripts`: writes sources we do not have as Markdown transcripts.
- `refi`: the vocabulary both directions share (namespaces, stable GUIDs, code ids).
- `safezip`, `xml`: reading files from anyone: zip and XML guards.

This stage sits beside `report/`: it reads the store and what stands; an import
writes people's decisions only through `review.decisions`.
"""
