export ANTHROPIC_API_KEY={{key:ops-admin:admin}}
