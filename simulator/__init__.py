"""Deterministic sample-tenant simulator for Microsoft Entra ID sign-in logs.

``generate_sample`` builds a synthetic tenant's sign-ins (Graph beta ``signIn`` objects)
with a labelled mix of error-500121 causes; ``write_sample`` writes them as Graph response
pages; ``generate_bulk_records`` streams many records for benchmarks. Standard library only.
"""

from .bulk import generate_bulk_records
from .generate import Sample, generate_sample
from .output import write_sample

__all__ = ["Sample", "generate_bulk_records", "generate_sample", "write_sample"]
