"""Day-2 operations on a deployed environment: `main.py verify` and what it reads from gitops_out/."""
