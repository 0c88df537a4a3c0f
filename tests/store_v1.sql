BEGIN TRANSACTION;
CREATE TABLE codes (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    description TEXT NOT NULL
);
INSERT INTO "codes" VALUES('knowledge',0,'Knowledge','Exchanging the centralised knowledge in a decentralised way');
INSERT INTO "codes" VALUES('skills',1,'Skills','Contextualised support and capacity building');
INSERT INTO "codes" VALUES('coordination',2,'Coordination','Formal entity to support convening, representation, partnering and advocacy');
INSERT INTO "codes" VALUES('staff_support',3,'Staff support','Sustainable staffing for consistent contribution to the movement');
INSERT INTO "codes" VALUES('technical_infrastructure',4,'Technical infrastructure','Technically support project communities and organisations');
INSERT INTO "codes" VALUES('new_initiatives',5,'New initiatives','Support for development of new initiatives');
INSERT INTO "codes" VALUES('conflict_resolution',6,'Conflict resolution','Facilitate conflict resolution between organisations');
INSERT INTO "codes" VALUES('collaboration',7,'Facilitate collaboration','Support communication and collaboration across the region or theme');
INSERT INTO "codes" VALUES('legal_support',8,'Legal support','Legal support');
INSERT INTO "codes" VALUES('funding',9,'Funding','Money, fundraising, grant-making and financial support (proposed at the event, not in the published table)');
CREATE TABLE codings (
    id INTEGER PRIMARY KEY,
    transcript TEXT NOT NULL,
    group_id TEXT NOT NULL,
    segment_start INTEGER NOT NULL,
    segment_end INTEGER NOT NULL,
    line INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    role TEXT NOT NULL,
    quote TEXT NOT NULL,
    code TEXT NOT NULL,
    coder TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('suggested', 'accepted', 'rejected')),
    matched_text TEXT NOT NULL DEFAULT '',
    match_start INTEGER,
    match_end INTEGER,
    method TEXT NOT NULL DEFAULT '',
    score REAL,
    rule TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    run_id INTEGER REFERENCES runs(id),
    created TEXT NOT NULL
);
INSERT INTO "codings" VALUES(1,'transcripts/a.md','G1',129,142,9,'Interviewer','interviewer','Legal advice?','legal_support','auto','suggested','Legal advice',129,141,'lower',100.0,'term: legal advice','',1,'2026-11-21T09:01:56+00:00');
INSERT INTO "codings" VALUES(2,'transcripts/a.md','G1',148,165,10,'Ana','participant','We need a lawyer.','legal_support','auto','suggested','lawyer',158,164,'lower',100.0,'term: lawyer','',1,'2026-11-21T09:01:56+00:00');
INSERT INTO "codings" VALUES(3,'transcripts/a.md','G1',166,179,10,'Ana','participant','And training.','skills','auto','suggested','training',170,178,'lower',100.0,'term: training','',1,'2026-11-21T09:01:56+00:00');
INSERT INTO "codings" VALUES(4,'transcripts/a.md','G1',148,165,10,'Ana','participant','We need a lawyer.','legal_support','mira','rejected','',NULL,NULL,'',NULL,'','',NULL,'2026-11-21T09:01:56+00:00');
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    codebook_path TEXT NOT NULL,
    codebook_hash TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    shared_min_groups INTEGER NOT NULL,
    transcripts_tagged INTEGER NOT NULL DEFAULT 0,
    transcripts_unchanged INTEGER NOT NULL DEFAULT 0
);
INSERT INTO "runs" VALUES(1,'2026-11-21T09:01:56+00:00','0.1.0','/tmp/v1/codebook.yaml','45402084e125a760494f9a5d49935e431b9f4ddde5bf026afedb2077b6ebee29','blank:en+sentencizer+lowercase_lookup_lemmatizer (spaCy 3.8.18)',6,1,0);
CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    transcript TEXT NOT NULL REFERENCES transcripts(path) ON DELETE CASCADE,
    turn INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    role TEXT NOT NULL,
    line INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (transcript, start, "end")
);
INSERT INTO "segments" VALUES(1,'transcripts/a.md',0,'Interviewer','interviewer',9,129,142,'Legal advice?');
INSERT INTO "segments" VALUES(2,'transcripts/a.md',1,'Ana','participant',10,148,165,'We need a lawyer.');
INSERT INTO "segments" VALUES(3,'transcripts/a.md',1,'Ana','participant',10,166,179,'And training.');
CREATE TABLE transcripts (
    path TEXT PRIMARY KEY,
    group_id TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    codebook_hash TEXT NOT NULL,
    speakers TEXT NOT NULL,
    attributes TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id)
);
INSERT INTO "transcripts" VALUES('transcripts/a.md','G1','','','en','199ba1500664db3d03cd00b22079a22618abed38632ccc2783e1252063bbeffd','45402084e125a760494f9a5d49935e431b9f4ddde5bf026afedb2077b6ebee29','{"Interviewer": "interviewer", "Ana": "participant"}','{}',1);
CREATE INDEX codings_by_transcript ON codings (transcript, coder);
CREATE INDEX codings_by_code ON codings (code, group_id);
COMMIT;
