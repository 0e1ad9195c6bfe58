export ANTHROPIC_AUTH_TOKEN={{key:alpha}}
