"""minzheng: an open digital civil-affairs (民政) platform."""

__version__ = "0.1.0"
