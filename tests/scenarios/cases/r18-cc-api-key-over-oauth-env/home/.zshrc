export ANTHROPIC_API_KEY={{key:old-console}}
export CLAUDE_CODE_OAUTH_TOKEN={{key:claude-code:oauth}}
