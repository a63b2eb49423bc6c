"""The archive API: households, members, attachments (metadata and upload) under /api/v1/."""
