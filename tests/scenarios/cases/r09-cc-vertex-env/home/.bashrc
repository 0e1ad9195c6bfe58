export ANTHROPIC_API_KEY={{key:alpha}}
export CLAUDE_CODE_USE_VERTEX=1
