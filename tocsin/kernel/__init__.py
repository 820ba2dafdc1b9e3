"""The kernel: the clock and settings that every layer may use; it imports nothing of Tocsin."""
