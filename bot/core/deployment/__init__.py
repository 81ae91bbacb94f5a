"""How an install runs: deployment settings, each platform's settings, the application context
built from them, where the trust's settings live, and whether the scheduler is running its jobs."""
