export OPENAI_API_KEY="{{key:old:openai-project}}"
