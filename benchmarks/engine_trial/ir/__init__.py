"""Engine trial, option (b): a small IR over Python ast and tree-sitter, a whole-repository resolver, and
model knowledge as data (models.yaml). See docs/design/engine-trial-ir.md."""
