"""Documents: templates, rendering to PDF (WeasyPrint) and, later, storage."""
