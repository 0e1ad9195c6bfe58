# ~/.bashrc
[ -z "$PS1" ] && return
export ANTHROPIC_API_KEY={{key:prototype-2024}}
