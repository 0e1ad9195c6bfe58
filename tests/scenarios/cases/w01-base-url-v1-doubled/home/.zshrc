export ANTHROPIC_API_KEY={{key:alpha}}
export ANTHROPIC_BASE_URL={{sim}}/v1
