export ANTHROPIC_API_KEY={{key:alpha}}
eval "$(direnv hook bash)"
