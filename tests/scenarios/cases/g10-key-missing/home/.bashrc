# ~/.bashrc
export PATH="$HOME/bin:$PATH"
