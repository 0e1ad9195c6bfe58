# ~/.zshrc
export GOOGLE_API_KEY="{{key:old:google-api}}"
export GEMINI_API_KEY="{{key:alpha:google-api}}"
