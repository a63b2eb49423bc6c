"""Named, atomic write functions of the service platform. Pages and the API call these and nothing else; each
validates first and raises `ValidationError` with messages by field (nothing is written on refusal)."""
