"""Reports: the top layer (DESIGN.md). It may read every other app; nothing imports it."""
