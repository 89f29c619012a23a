"""The elder-care module (issue #15)."""
