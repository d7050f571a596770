#!/usr/bin/env python3
"""Every citation of the project's docs in the source tree names a section that exists.

Source comments cite the design documents as `docs/FILE.md, 'Section title'` (several titles
may follow: `docs/design.md, 'The EKV model', 'Limits'`). This check reads every text file of the
repository, finds those citations, and fails naming FILE:LINE when the document or a section
title is missing, so that renaming a section cannot leave citations pointing nowhere.
Usage: check_doc_citations.py SOURCE_DIR"""

import os
import re
import sys

root = sys.argv[1]
CITATION = re.compile(r"(docs/[\w./-]+\.md)((?:,?\s*(?://|#|\*)?\s*'[^']+')*)")
TITLE = re.compile(r"'([^']+)'")
# .builds: other revisions checked out by `benchmarks/run --compare-to` (their citations are theirs).
SKIP_DIRS = {".git", "build", ".builds"}
TEXT_SUFFIXES = (".cpp", ".hpp", ".md", ".cir", ".lib", ".py", ".txt", "")


def headings(path):
    with open(path, encoding="utf-8") as f:
        return {re.sub(r"^#+\s*(\d+\.\s*)?", "", line).strip() for line in f if line.startswith("#")}


problems, count = [], 0
known = {}
for directory, subdirectories, files in os.walk(root):
    subdirectories[:] = sorted(d for d in subdirectories if d not in SKIP_DIRS and not d.startswith("build"))
    for name in sorted(files):
        path = os.path.join(directory, name)
        relative = os.path.relpath(path, root)
        if not name.endswith(TEXT_SUFFIXES) or relative.startswith("tests/docs/"):
            continue
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        if "." not in name and not text.startswith("#!"):
            continue  # a file without a suffix counts only when it is a script
        for match in CITATION.finditer(text):
            count += 1
            line = text.count("\n", 0, match.start()) + 1
            document = match.group(1)
            if document not in known:
                full = os.path.join(root, document)
                known[document] = headings(full) if os.path.isfile(full) else None
            if known[document] is None:
                problems.append(f"{relative}:{line}: cites {document}, which does not exist")
                continue
            for title in TITLE.findall(match.group(2)):
                # A title may be wrapped over comment lines.
                title = " ".join(re.sub(r"\s*\n\s*(//|#|\*)?", " ", title).split())
                if title not in known[document]:
                    problems.append(f"{relative}:{line}: cites {document}, '{title}': no such section")

for problem in problems:
    print(problem, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"check_doc_citations: {count} citations of docs/, every section exists")
