export ANTHROPIC_API_KEY={{key:alpha}}
