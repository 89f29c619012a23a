"""Framework-free helpers shared by every module (no Django import here)."""
