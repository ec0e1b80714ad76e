"""`make rehearse`: the stacks applied, re-planned, proven and destroyed against a local AWS emulator."""
