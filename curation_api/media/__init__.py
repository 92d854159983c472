"""Media copies: publishable posts' images fetched once, stored in resized WebP variants and
served from our own origin (``GET /media/{copy_id}/{width}.webp``)."""
