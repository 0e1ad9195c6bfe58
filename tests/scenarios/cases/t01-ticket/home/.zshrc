# ~/.zshrc
export PATH="$HOME/bin:$PATH"
alias ll='ls -la'

# Claude prototype (2024)
export ANTHROPIC_API_KEY="{{key:prototype-2024}}"
