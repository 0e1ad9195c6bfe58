# ~/.bashrc
export PATH="$HOME/bin:$PATH"

# the 2024 prototype
export OPENAI_API_KEY="{{key:old:openai-project}}"
