"""main.py's commands, by what they do to the checkout: `write` (synth, set-image) and `read` (check,
validate, diff, verify), with `console` for what they say and how they exit."""
