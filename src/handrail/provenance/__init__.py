"""Which commits and changes were AI-assisted, by which tools, and on what evidence.

One detector per signal (declaration, trailers, trailers a squash left in the body, author and
committer identities, message stamps, line-attribution notes), each reporting evidence with a
strength; verdict.py combines them into `ai`, `human` or `unknown`. The signatures detectors
look for are data: signatures.toml.
"""

from handrail.provenance.evidence import Evidence
from handrail.provenance.notes import NOTES_REF
from handrail.provenance.verdict import Provenance, change_provenance, commit_provenance

__all__ = ["NOTES_REF", "Evidence", "Provenance", "change_provenance", "commit_provenance"]
